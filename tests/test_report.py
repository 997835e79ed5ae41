"""The cross-fold summary (sleepdg.report): summary.json and the paper-style summary.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sleepdg.report import METRIC_KEYS, PUBLISHED, ReportError, read_metrics, summarise, write_summary


def _metrics(acc: float, macro_f1: float, n_epochs: int = 100) -> dict[str, float]:
    out = dict.fromkeys(METRIC_KEYS, 0.5)
    out.update(acc=acc, macro_f1=macro_f1, n_epochs=n_epochs)
    return out


def _write(root: Path, name: str, metrics: dict[str, float]) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "metrics.json").write_text(json.dumps(metrics))


def test_the_published_averages_are_the_means_of_their_rows() -> None:
    for method, table in PUBLISHED.items():
        for k in (0, 1):
            mean = sum(table[t][k] for t in ("sleepedf", "hmc", "isruc", "shhs", "p2018")) / 5
            assert abs(mean - table["avg"][k]) < 0.01, method


def test_the_summary_gives_mean_and_sample_std_over_folds_and_the_in_domain_gap() -> None:
    folds = {"isruc": _metrics(0.6, 0.5, 200), "hmc": _metrics(0.8, 0.7, 300)}
    summary = summarise(folds, {"hmc": _metrics(0.9, 0.75)}, source="synthetic", stacking="chained")
    assert list(summary["folds"]) == ["hmc", "isruc"]  # dataset order
    assert summary["mean"]["acc"] == pytest.approx(0.7)
    assert summary["std"]["acc"] == pytest.approx(0.1414213, rel=1e-5)  # sample std of 0.6 and 0.8
    assert summary["n_epochs"] == 500
    gap = summary["domain_gap"]["hmc"]  # in-domain minus cross-dataset
    assert (gap["acc"], gap["macro_f1"], gap["kappa"]) == (pytest.approx(0.1), pytest.approx(0.05), 0.0)
    assert "isruc" not in summary["domain_gap"]
    assert "published" not in summary  # constants, in summary.md only


def test_the_markdown_puts_this_run_beside_the_published_rows_and_names_its_data(tmp_path: Path) -> None:
    _write(tmp_path, "hmc", _metrics(0.8123, 0.7012))
    _write(tmp_path, "isruc", _metrics(0.6, 0.5))
    _write(tmp_path, "indomain-hmc", _metrics(0.9, 0.8))
    json_path, md_path = write_summary(tmp_path, ["hmc", "isruc"], source="synthetic", stacking="reference")
    text = md_path.read_text()
    assert "| SleepDIFFormer (published) | real data | 78.19 / 72.44 | 75.82 / 73.39" in text
    assert "| SleepDG (published) | real data |" in text
    assert (
        "| **this run** (reference stacking) | synthetic | – | 81.23 / 70.12 | 60.00 / 50.00 | – | – |"
        in text
    )
    assert "(2 folds)" in text
    assert "| in-domain control (this run) | synthetic | – | 90.00 / 80.00 |" in text
    assert "synthetic recordings" in text
    assert json.loads(json_path.read_text())["indomain"]["hmc"]["acc"] == 0.9


def test_a_missing_fold_report_names_the_file_and_the_stage_to_run(tmp_path: Path) -> None:
    _write(tmp_path, "hmc", _metrics(0.8, 0.7))
    with pytest.raises(
        ReportError, match=r"isruc/metrics.json: no such metrics file; run its evaluate stage"
    ):
        write_summary(tmp_path, ["hmc", "isruc"], source="synthetic", stacking="reference")
    assert not (tmp_path / "summary.json").exists()


def test_a_metrics_file_with_other_keys_is_refused_listing_them(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"acc": 0.5, "f1": 0.4}))
    with pytest.raises(ReportError, match=r"expected the keys acc, macro_f1, .*; found \['acc', 'f1'\]"):
        read_metrics(path)
    path.write_text(json.dumps(_metrics(0.5, 0.4) | {"kappa": "high"}))
    with pytest.raises(ReportError, match="non-numeric values for kappa"):
        read_metrics(path)
