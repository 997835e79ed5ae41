"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Two xdist workers share two cores: one compute thread each, and idle OpenMP threads that sleep
# instead of spinning (spinning threads made small torch ops up to 50x slower under load). Set
# before torch is imported, and inherited by the subprocesses of end-to-end tests.
for _var, _value in (("OMP_NUM_THREADS", "1"), ("MKL_NUM_THREADS", "1"), ("OMP_WAIT_POLICY", "PASSIVE")):
    os.environ.setdefault(_var, _value)

REPO = Path(__file__).resolve().parents[1]
# The real annotation files live beside the clone (../shared/realdata); tests read them as they are.
SHARED = Path(os.environ.get("SLEEPDG_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """``../shared/realdata``; CI sets SLEEPDG_REQUIRE_SHARED=1 so that a missing folder fails."""
    path = SHARED / "realdata"
    if not path.is_dir():
        if os.environ.get("SLEEPDG_REQUIRE_SHARED") == "1":
            pytest.fail(f"{path} is missing: CI expects ../shared beside the clone")
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def golden() -> Path:
    """``../shared/golden``: the reference model's state, inputs, outputs and loss terms."""
    path = SHARED / "golden"
    if not path.is_dir():
        if os.environ.get("SLEEPDG_REQUIRE_SHARED") == "1":
            pytest.fail(f"{path} is missing: CI expects ../shared beside the clone")
        pytest.skip(f"{path} is not available")
    return path
