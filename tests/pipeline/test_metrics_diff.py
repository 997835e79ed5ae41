"""DVC shows what changed between runs: `dvc metrics diff`, `dvc plots diff`, `dvc exp run -S` + `exp show`.

Each test works on a clone of the shared tiny DVC project (``tiny_project`` of conftest.py: the
real dvc.yaml on a tiny params.yaml, reproduced and committed) and re-runs one fold only.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dvc")]  # one worker builds the project

METRIC_KEYS = {"acc", "macro_f1", "kappa", "f1_W", "f1_N1", "f1_N2", "f1_N3", "f1_REM", "n_epochs"}


@pytest.fixture
def project(tiny_project: Any, tmp_path: Path) -> Any:
    """A clone of the reproduced project: tests change it, never the shared one."""
    return tiny_project.clone(tmp_path / "project")


def _first_fold(project: Any) -> str:
    return str(next(iter(project.params()["folds"])))


def test_metrics_and_plots_diff_show_the_fold_that_moved_between_two_commits(project: Any) -> None:
    fold = _first_fold(project)
    params = project.params()
    params["base"]["seed"] = int(params["base"]["seed"]) + 1  # other initial weights, split and order
    project.set_params(params)
    project.dvc("repro", "-q", f"evaluate@{fold}")  # train@<fold> and evaluate@<fold> only
    project.commit("another seed")
    diff = json.loads(project.dvc("metrics", "diff", "HEAD~1", "HEAD", "--json").stdout)
    moved = diff.get(f"reports/{fold}/metrics.json", {})
    assert moved, f"no metric of fold {fold} moved: {diff}"
    assert set(moved) <= METRIC_KEYS
    assert all(v["new"] - v["old"] == pytest.approx(v["diff"]) for v in moved.values())
    plots = json.loads(project.dvc("plots", "diff", "HEAD~1", "HEAD", "--json").stdout)["data"]
    (confusion,) = plots[f"reports/{fold}/confusion.csv"]
    assert confusion["revisions"] == ["HEAD~1", "HEAD"]
    assert "confusion matrix from count rows" in confusion["content"]["description"]  # our template
    rows = confusion["content"]["data"]["values"]
    assert {r["rev"] for r in rows} == {"HEAD~1", "HEAD"} and len(rows) == 50  # 25 count rows per revision


def test_an_experiment_with_chained_stacking_appears_in_exp_show(project: Any) -> None:
    fold = _first_fold(project)
    project.dvc("exp", "run", "-q", "-n", "chained", "-S", "model.stacking=chained", f"evaluate@{fold}")
    table = list(csv.DictReader(io.StringIO(project.dvc("exp", "show", "--csv").stdout)))
    (row,) = [r for r in table if r["Experiment"] == "chained"]
    assert row["model.stacking"] == "chained"
    assert 0.0 <= float(row[f"reports/{fold}/metrics.json:acc"]) <= 1.0
    baseline = [r for r in table if r["typ"] == "baseline" and r["rev"] != "workspace"]
    assert baseline and baseline[0]["model.stacking"] == "reference"
