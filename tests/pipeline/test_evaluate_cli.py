"""`sleepdg evaluate --fold` and `sleepdg indomain` on tiny real stores and checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from tiny_checkpoints import save_tiny_checkpoint, write_target
from typer.testing import CliRunner

from pipeline.cli import app
from sleepdg.errors import CheckpointError
from sleepdg.params import ParamsError

TINY_PARAMS = {
    "model": {"d_model": 16, "n_heads": 2, "n_layers": 1, "d_ff": 16, "cnn_channels": [4, 8]},
    "train": {"epochs": 1, "batch_size": 4, "max_steps_per_epoch": 1},
    "evaluate": {"n_hypnograms": 1, "n_attention": 0, "confusion_sample": 0},
    "runtime": {"device": "cpu"},
}


def _params(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(TINY_PARAMS))
    return path


def test_evaluate_writes_the_fold_reports_and_prints_its_scores(tmp_path: Path) -> None:
    write_target(tmp_path / "prepared", "hmc", (30, 25))
    save_tiny_checkpoint(tmp_path / "models" / "hmc" / "model.pt", fold="hmc")
    folders = ["--prepared", str(tmp_path / "prepared"), "--models", str(tmp_path / "models")]
    args = ["evaluate", "--fold", "hmc", "--params", str(_params(tmp_path)), *folders,
            "--out", str(tmp_path / "reports"), "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "reports" / "hmc" / "metrics.json").read_text())
    assert f"hmc: accuracy {scores['acc']:.4f}" in result.output
    assert f"over {scores['n_epochs']} scored epochs" in result.output
    assert len(list((tmp_path / "reports" / "hmc" / "hypnograms").glob("*.png"))) == 1
    assert list((tmp_path / "reports" / "hmc" / "attention").glob("*.png")) == []


def test_evaluate_refuses_an_unknown_fold_and_a_model_of_another_fold(tmp_path: Path) -> None:
    params = str(_params(tmp_path))
    result = CliRunner().invoke(app, ["evaluate", "--fold", "mass", "--params", params])
    assert isinstance(result.exception, ParamsError) and "no fold 'mass'" in str(result.exception)
    write_target(tmp_path / "prepared", "isruc", (21,))
    save_tiny_checkpoint(tmp_path / "models" / "isruc" / "model.pt", fold="hmc")
    args = ["evaluate", "--fold", "isruc", "--params", params, "--prepared", str(tmp_path / "prepared"),
            "--models", str(tmp_path / "models"), "--out", str(tmp_path / "reports")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, CheckpointError)
    assert "a model of fold 'hmc', expected 'isruc'" in str(result.exception)


def test_indomain_trains_and_tests_on_disjoint_subjects(tmp_path: Path) -> None:
    subjects = ["s0", "s0", "s1", "s2", "s3"]  # two nights of s0 stay on one side
    write_target(tmp_path / "prepared", "hmc", (25, 25, 25, 25, 25), subjects=subjects)
    args = ["indomain", "hmc", "--params", str(_params(tmp_path)), "--prepared", str(tmp_path / "prepared"),
            "--models", str(tmp_path / "models"), "--reports", str(tmp_path / "reports"),
            "--scratch", str(tmp_path / "scratch"), "--test-fraction", "0.25", "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    split = pd.read_csv(tmp_path / "models" / "indomain-hmc" / "split.csv")
    test_subjects = set(split.loc[split["split"] == "test", "subject_id"])
    train_subjects = set(split.loc[split["split"] == "train", "subject_id"])
    assert len(test_subjects) == 1 and not test_subjects & train_subjects
    assert len(split) == 5
    tested = pd.read_csv(tmp_path / "reports" / "indomain-hmc" / "recordings.csv")
    assert set(tested["subject_id"]) == test_subjects
    checkpoint = __import__("torch").load(
        tmp_path / "models" / "indomain-hmc" / "model.pt", weights_only=True
    )
    assert checkpoint["fold"] == "hmc" and checkpoint["sources"] == {"hmc": 0}
    assert not (tmp_path / "scratch" / "indomain-hmc" / "prepared").exists()
    assert "indomain-hmc: accuracy" in result.output
