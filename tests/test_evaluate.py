"""Evaluation of a fold (sleepdg.evaluate): predictions over a real prepared store, reports on disk."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tiny_checkpoints import save_tiny_checkpoint, write_target

from sleepdg import metrics
from sleepdg.errors import CheckpointError
from sleepdg.evaluate import (
    RecordingPrediction,
    attention_caption,
    confusion_sample,
    evaluate_checkpoint,
    hypnogram_choice,
    recordings_table,
    write_fold_report,
)
from sleepdg.params import EvaluateParams
from sleepdg.store import open_recording

pytestmark = pytest.mark.xdist_group("evaluate")  # one worker builds the module's shared fixture

LENGTHS = (50, 41, 12)  # the last is shorter than one 20-epoch sequence
KEYS = ["acc", "macro_f1", "kappa", "f1_W", "f1_N1", "f1_N2", "f1_N3", "f1_REM", "n_epochs"]


@pytest.fixture(scope="module")
def fold(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("evaluate")
    dataset = write_target(root / "prepared", "hmc", LENGTHS)
    checkpoint = save_tiny_checkpoint(root / "models" / "hmc" / "model.pt", fold="hmc")
    out = root / "reports" / "hmc"
    settings = EvaluateParams(n_hypnograms=2, n_attention=1, confusion_sample=0)
    scores = evaluate_checkpoint(checkpoint, dataset, out, settings, title="fold hmc", expected_fold="hmc",
                                 progress=False)  # fmt: skip
    return {"root": root, "dataset": dataset, "checkpoint": checkpoint, "out": out, "scores": scores}


def test_metrics_json_has_exactly_the_report_keys_over_the_scored_epochs(fold: dict[str, Any]) -> None:
    written = json.loads((fold["out"] / "metrics.json").read_text())
    assert list(written) == KEYS
    assert written == fold["scores"]
    n_scored = sum(int(np.count_nonzero(open_recording(fold["dataset"] / "store.zarr", f"hmc-r{i}")[1] >= 0))
                   for i in (0, 1))  # fmt: skip
    assert written["n_epochs"] == n_scored  # the 12-epoch recording is not evaluated
    assert 0.0 <= written["acc"] <= 1.0 and isinstance(written["n_epochs"], int)


def test_recordings_csv_has_one_row_per_evaluated_recording(fold: dict[str, Any]) -> None:
    table = pd.read_csv(fold["out"] / "recordings.csv")
    assert table["record_id"].tolist() == ["hmc-r0", "hmc-r1"]
    assert table["n_epochs"].tolist() == [50, 41]
    assert table["n_scored"].tolist() == [48, 39]
    pooled_acc = (table["acc"] * table["n_scored"]).sum() / table["n_scored"].sum()
    assert pooled_acc == pytest.approx(fold["scores"]["acc"], abs=1e-5)


def test_confusion_csv_holds_25_count_rows_that_add_up_to_the_scored_epochs(fold: dict[str, Any]) -> None:
    table = pd.read_csv(fold["out"] / "confusion.csv")
    assert list(table.columns) == ["actual", "predicted", "n"]
    assert len(table) == 25 and table["n"].sum() == fold["scores"]["n_epochs"]
    assert (fold["out"] / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_hypnograms_and_attention_maps_are_drawn_with_an_index_of_what_they_show(
    fold: dict[str, Any],
) -> None:
    index = pd.read_csv(fold["out"] / "hypnograms" / "index.csv")
    assert sorted(index["file"]) == ["hmc-r0.png", "hmc-r1.png"]
    assert all((fold["out"] / "hypnograms" / f).is_file() for f in index["file"])
    examples = pd.read_csv(fold["out"] / "attention" / "examples.csv")
    assert examples["stage"].tolist() == ["W", "N1", "N2", "N3", "REM"]  # one epoch of each scored stage
    assert (fold["out"] / "attention" / "attention_1.png").is_file()
    for row in examples.itertuples():
        _, y = open_recording(fold["dataset"] / "store.zarr", row.record_id)
        assert ["W", "N1", "N2", "N3", "REM"][y[row.epoch]] == row.stage


def test_a_second_report_replaces_the_outputs_and_keeps_other_files(
    fold: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "hmc"
    out.mkdir()
    (out / ".gitignore").write_text("/hypnograms\n")  # written by DVC between runs
    (out / "hypnograms").mkdir()
    (out / "hypnograms" / "old.png").write_bytes(b"old")
    rng = np.random.default_rng(0)
    y = np.array([-1, 0, 1, 2, 3, 4] * 5, dtype=np.int8)
    preds = [RecordingPrediction("a", "s", y, rng.dirichlet(np.ones(5), y.size).astype(np.float32))]
    from sleepdg.train import load_checkpoint

    model, _ = load_checkpoint(fold["checkpoint"])
    settings = EvaluateParams(n_hypnograms=0, n_attention=0, confusion_sample=7)
    write_fold_report(
        out, preds, model=model, dataset_dir=fold["dataset"], settings=settings, title="t", seed=1
    )
    assert (out / ".gitignore").read_text() == "/hypnograms\n"
    assert not (out / "hypnograms" / "old.png").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            ".gitignore",
            "metrics.json",
            "recordings.csv",
            "confusion.csv",
            "confusion.png",
            "hypnograms",
            "attention",
        ]
    )
    sample = pd.read_csv(out / "confusion.csv")
    assert list(sample.columns) == ["actual", "predicted"] and len(sample) == 7  # capped per-epoch sample


def test_a_checkpoint_of_another_fold_is_refused(fold: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="a model of fold 'hmc', expected 'isruc'"):
        evaluate_checkpoint(fold["checkpoint"], fold["dataset"], tmp_path / "isruc", EvaluateParams(),
                            title="fold isruc", expected_fold="isruc", progress=False)  # fmt: skip
    assert not (tmp_path / "isruc").exists()


def test_a_recording_shorter_than_a_sequence_is_skipped_with_a_warning(
    fold: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    from sleepdg.evaluate import predict_dataset
    from sleepdg.train import load_checkpoint

    model, _ = load_checkpoint(fold["checkpoint"])
    with caplog.at_level(logging.WARNING, logger="sleepdg.evaluate"):
        preds = predict_dataset([model], fold["dataset"], records=["hmc-r2", "hmc-r1"], progress=False)
    assert [p.record_id for p in preds] == ["hmc-r1"]
    assert "hmc/hmc-r2: 12 epochs is shorter than one 20-epoch sequence; not evaluated" in caplog.text
    with pytest.raises(KeyError, match=r"no recordings \['hmc-r9'\]"):
        predict_dataset([model], fold["dataset"], records=["hmc-r9"], progress=False)


def test_hypnograms_go_to_the_worst_the_median_and_the_best_recording() -> None:
    table = pd.DataFrame({"record_id": list("abcde"), "acc": [0.5, 0.9, np.nan, 0.1, 0.7]})
    assert hypnogram_choice(table, 3) == ["d", "e", "b"]
    assert hypnogram_choice(table, 10) == ["d", "a", "e", "b"]
    assert hypnogram_choice(table, 0) == []


def test_the_confusion_sample_keeps_scored_epochs_only_and_is_capped() -> None:
    y = np.array([-1, 0, 1, 2, 3, 4, -1, 2], dtype=np.int8)
    p = np.array([0, 0, 1, 1, 3, 4, 2, 2], dtype=np.int8)
    full = confusion_sample(y, p, 100, np.random.default_rng(0))
    assert full.values.tolist() == [["W", "W"], ["N1", "N1"], ["N2", "N1"], ["N3", "N3"], ["REM", "REM"],
                                    ["N2", "N2"]]  # fmt: skip
    assert len(confusion_sample(y, p, 3, np.random.default_rng(0))) == 3


def test_per_recording_scores_are_nan_for_a_recording_without_scored_epochs() -> None:
    proba = np.full((4, 5), 0.2, dtype=np.float32)
    proba[:, 2] = 0.5
    preds = [RecordingPrediction("a", "s1", np.array([2, 2, 1, -1], dtype=np.int8), proba),
             RecordingPrediction("b", "s2", np.full(4, -1, dtype=np.int8), proba)]  # fmt: skip
    table = recordings_table(preds)
    assert table.loc[0, "acc"] == pytest.approx(metrics.accuracy([2, 2, 1], [2, 2, 2]))
    assert table.loc[1, "n_scored"] == 0 and np.isnan(table.loc[1, "acc"])


def test_the_attention_caption_says_which_layers_are_untrained_under_reference_stacking() -> None:
    assert "layers 1-3 are untrained" in attention_caption("reference", 4)
    assert "untrained" not in attention_caption("chained", 4)
    assert "untrained" not in attention_caption("reference", 1)
