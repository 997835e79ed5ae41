"""`dvc repro` end to end on the tiny project: what runs, what re-runs, what comes back."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from sleepdg.params import DATASETS
from tests.pipeline.conftest import TinyProject, tree_digest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dvc")]


def _ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def test_dvc_repro_builds_every_dataset_and_is_then_up_to_date(tiny_project: TinyProject) -> None:
    for ds in ("sleepedf", "hmc", "isruc", "shhs", "p2018"):
        index = pd.read_parquet(tiny_project.root / "data" / "prepared" / ds / "index.parquet")
        assert len(index) == 2 and (index["dataset"] == ds).all()
        assert index["source_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()  # from download's manifest
        assert (tiny_project.root / "data" / "raw" / ds / "manifest.csv").is_file()
    status = tiny_project.dvc("status")
    assert "Data and pipelines are up to date" in status.stdout


def test_runtime_params_are_no_dependency(tiny_project: TinyProject, tmp_path: Path) -> None:
    clone = tiny_project.clone(tmp_path / "clone")
    params = clone.params()
    params["runtime"] = {**params["runtime"], "workers": 2, "device": "cpu", "threads": 1}
    clone.set_params(params)
    assert "Data and pipelines are up to date" in clone.dvc("status").stdout
    assert _ran(clone.dvc("repro").stdout) == set()


def test_changing_one_dataset_block_reruns_that_dataset_and_its_dependents_only(
    tiny_project: TinyProject, tmp_path: Path
) -> None:
    clone = tiny_project.clone(tmp_path / "clone")
    params = clone.params()
    params["prepare"]["hmc"]["eeg"] = ["EEG C4-M1"]
    clone.set_params(params)
    status = clone.dvc("status").stdout
    assert "prepare@hmc" in status and "prepare@isruc" not in status and "download@hmc" not in status
    # --dry --force-downstream lists the changed stage and everything that depends on it
    would_run = _ran(clone.dvc("repro", "--dry", "--force-downstream").stdout)
    using_hmc = {"prepare@hmc", "train@sleepedf", "train@isruc", "train@shhs", "train@p2018", "evaluate@hmc"}
    assert using_hmc <= would_run
    assert not {s for s in would_run if s.startswith("download@")}
    assert not {"prepare@sleepedf", "prepare@isruc", "prepare@shhs", "prepare@p2018", "train@hmc"} & would_run
    assert _ran(clone.dvc("repro", "prepare@hmc").stdout) == {"prepare@hmc"}
    attrs = (clone.root / "data" / "prepared" / "hmc" / "store.zarr" / "SN001" / "zarr.json").read_text()
    assert "EEG C4-M1" in attrs


def test_failed_repro_outputs_come_back_with_dvc_checkout(tiny_project: TinyProject, tmp_path: Path) -> None:
    clone = tiny_project.clone(tmp_path / "clone")
    store = clone.root / "data" / "prepared" / "hmc"
    before = tree_digest(store)
    params = clone.params()
    params["prepare"]["hmc"]["eeg"] = ["NO SUCH CHANNEL"]
    clone.set_params(params)
    failed = clone.dvc("repro", "prepare@hmc", check=False)
    assert failed.returncode != 0
    assert "NO SUCH CHANNEL" in failed.stdout + failed.stderr
    assert not (store / "index.parquet").exists()  # DVC removed the stage's outputs before running it
    clone.run("git", "checkout", "params.yaml")
    clone.dvc("checkout", "prepare@hmc")
    assert tree_digest(store) == before


def test_failed_prepare_from_the_cli_leaves_the_previous_store(
    tiny_project: TinyProject, tmp_path: Path
) -> None:
    clone = tiny_project.clone(tmp_path / "clone")
    store = clone.root / "data" / "prepared" / "shhs"
    before = tree_digest(store)
    params = clone.params()
    params["prepare"]["shhs"]["eog"] = ["EOG(X) - EOG(L)"]
    clone.set_params(params)
    failed = clone.run("sleepdg", "prepare", "shhs", check=False)
    assert failed.returncode == 1
    assert "shhs1-" in failed.stderr and "EOG(X) - EOG(L)" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert tree_digest(store) == before
    assert sorted(p.name for p in store.parent.iterdir()) == sorted(DATASETS)  # no temporary left
