"""One torch thread per test process for the model tests.

CI runs ``pytest -n 2`` on two cores: two workers with two OpenMP threads each oversubscribe the
machine, and spinning OpenMP threads then make small ops up to 50 times slower. One thread per
worker uses both cores without that.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
