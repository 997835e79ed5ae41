from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from sleepdg.params import ParamsError

# The store-building helpers of tests/train/conftest.py, loaded under a name of their own.
_spec = importlib.util.spec_from_file_location(
    "_train_stores", Path(__file__).parents[1] / "train" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_stores = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stores)
tiny_params, write_sources = _stores.tiny_params, _stores.write_sources


def test_train_command_writes_the_checkpoint_and_curve_of_the_fold(tmp_path: Path) -> None:
    prepared = write_sources(tmp_path / "prepared", ("sleepedf", "isruc", "shhs", "p2018"), n_epochs=12)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(tiny_params(epochs=1, max_steps_per_epoch=2)))
    out, scratch = tmp_path / "models", tmp_path / "scratch"
    args = ["train", "--fold", "hmc", "--params", str(params), "--prepared", str(prepared),
            "--out", str(out), "--scratch", str(scratch), "--no-progress"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "models" / "hmc" / "model.pt").is_file()
    assert len(pd.read_csv(tmp_path / "models" / "hmc" / "train_curve.tsv", sep="\t")) == 1
    assert "hmc: best epoch 1" in result.output


def test_train_command_refuses_an_unknown_fold_naming_the_known_ones(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("{}\n")
    result = CliRunner().invoke(app, ["train", "--fold", "mass", "--params", str(params)])
    assert isinstance(result.exception, ParamsError)
    assert "no fold 'mass'" in str(result.exception) and "sleepedf" in str(result.exception)
