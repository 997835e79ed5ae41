"""`sleepdg report`: the summary of every fold named in params.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from sleepdg.report import METRIC_KEYS, ReportError


def _fold(root: Path, fold: str, acc: float) -> None:
    (root / fold).mkdir(parents=True)
    (root / fold / "metrics.json").write_text(json.dumps(dict.fromkeys(METRIC_KEYS, acc) | {"n_epochs": 10}))


def test_report_summarises_the_folds_of_params_and_prints_the_table(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump({"folds": {"hmc": ["isruc"], "isruc": ["hmc"]}, "model": {"stacking": "chained"}})
    )
    _fold(tmp_path / "reports", "hmc", 0.75)
    _fold(tmp_path / "reports", "isruc", 0.25)
    result = CliRunner().invoke(
        app, ["report", "--params", str(params), "--reports", str(tmp_path / "reports")]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["mean"]["acc"] == 0.5 and summary["stacking"] == "chained"
    assert summary["data_source"] == "synthetic"
    assert (
        "| **this run** (chained stacking) | synthetic | – | 75.00 / 75.00 | 25.00 / 25.00 |" in result.output
    )


def test_report_names_the_fold_whose_metrics_are_missing(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"folds": {"hmc": ["isruc"], "isruc": ["hmc"]}}))
    _fold(tmp_path / "reports", "hmc", 0.75)
    result = CliRunner().invoke(
        app, ["report", "--params", str(params), "--reports", str(tmp_path / "reports")]
    )
    assert isinstance(result.exception, ReportError)
    assert "isruc/metrics.json: no such metrics file" in str(result.exception)
