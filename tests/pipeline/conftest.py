"""A tiny DVC project shared by every end-to-end test: the real dvc.yaml on a tiny params.yaml.

It is built once per session (``dvc repro`` in a temporary git repository) and committed; tests
that change it work on a clone (`TinyProject.clone`) that shares the DVC cache, so a checkout is
cheap and the shared project stays as built. Tests using it carry
``pytest.mark.xdist_group("dvc")`` so that one xdist worker builds it once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: `sleepdg` and `dvc` live here

# Overrides of the repo's params.yaml (DVC needs every listed key present, so the rest stays).
# Every stage of dvc.yaml runs, on two half-hour nights per dataset and a few training steps.
TINY_OVERRIDES: dict[str, Any] = {
    "synthetic": {"recordings": 2, "hours": 0.5},
    "model": {
        "preset": "small",
        "d_model": 16,
        "n_heads": 2,
        "n_layers": 1,
        "d_ff": 16,
        "cnn_channels": [4, 8],
    },
    "train": {"epochs": 1, "batch_size": 4, "max_steps_per_epoch": 3},
    "evaluate": {"n_hypnograms": 1, "n_attention": 1},
    "runtime": {"workers": 1},
}


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied recursively (mappings merge, other values replace)."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def tiny_params(**overrides: Any) -> dict[str, Any]:
    """The repo's params.yaml with the tiny overrides (and any further ones)."""
    base = yaml.safe_load((REPO / "params.yaml").read_text())
    params = merged(merged(base, TINY_OVERRIDES), overrides)
    if "folds" in overrides:
        params["folds"] = overrides["folds"]  # folds are replaced, not merged
    return params


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DVC_NO_ANALYTICS="1",
        CI="1",
        GIT_AUTHOR_NAME="sleepdg tests",
        GIT_AUTHOR_EMAIL="tests@localhost",
        GIT_COMMITTER_NAME="sleepdg tests",
        GIT_COMMITTER_EMAIL="tests@localhost",
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


@dataclass
class TinyProject:
    root: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command in the project (``dvc``, ``git``, ``sleepdg``...) and capture its output."""
        proc = subprocess.run(args, cwd=self.root, env=self.env, capture_output=True, text=True)
        if check and proc.returncode != 0:
            command = " ".join(args)
            raise AssertionError(f"{command} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN / "dvc"), *args, check=check)

    def params(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((self.root / "params.yaml").read_text())
        return loaded

    def set_params(self, params: dict[str, Any]) -> None:
        (self.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-q", "-m", message)

    def clone(self, dest: Path) -> TinyProject:
        """A git clone sharing this project's DVC cache, with every output checked out."""
        self.run("git", "clone", "-q", str(self.root), str(dest))
        copy = TinyProject(dest, self.env)
        copy.dvc("cache", "dir", "--local", str(self.root / ".dvc" / "cache"))
        copy.dvc("checkout", "-q")
        return copy


def _copy_sources(root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("sleepdg", "pipeline"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    for name in ("dvc.yaml", ".dvcignore"):
        shutil.copy2(REPO / name, root / name)
    if (REPO / ".dvc" / "plots").is_dir():
        (root / ".dvc").mkdir(exist_ok=True)
        shutil.copytree(REPO / ".dvc" / "plots", root / ".dvc" / "plots", dirs_exist_ok=True)


def build_project(root: Path, params: dict[str, Any]) -> TinyProject:
    """git init + dvc init + sources + params, committed; nothing reproduced yet."""
    root.mkdir(parents=True, exist_ok=True)
    home = root.parent / f"{root.name}-home"
    home.mkdir(exist_ok=True)
    project = TinyProject(root, _env(home))
    project.run("git", "init", "-q")
    project.dvc("init", "-q")
    for key, value in (("core.analytics", "false"), ("core.check_update", "false")):
        project.dvc("config", key, value)
    _copy_sources(root)
    (root / ".gitignore").write_text("/data/\n/models/**/*.pt\n/.scratch/\n__pycache__/\n")
    project.set_params(params)
    project.commit("tiny project")
    return project


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyProject]:
    """The tiny project after one full ``dvc repro``, committed with its dvc.lock."""
    project = build_project(tmp_path_factory.mktemp("dvc") / "tiny", tiny_params())
    project.dvc("repro", "-q")
    project.commit("repro")
    yield project


def tree_digest(folder: Path) -> str:
    """sha256 over the relative paths and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
