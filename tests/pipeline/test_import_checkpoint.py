"""`sleepdg import-checkpoint REF OUT`: a reference state_dict becomes a sleepdg checkpoint."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from pipeline.cli import app
from sleepdg.errors import CheckpointError
from sleepdg.train.checkpoint import load_checkpoint
from tests.model.conftest import _one_torch_thread  # noqa: F401  (autouse: one torch thread per worker)


def test_import_writes_a_checkpoint_that_loads_and_stages_like_the_reference(
    golden: Path, tmp_path: Path
) -> None:
    out = tmp_path / "models" / "sleepedf" / "model.pt"
    ref = golden / "sleepdifformer_ref_state.safetensors"
    result = CliRunner().invoke(app, ["import-checkpoint", str(ref), str(out), "--fold", "sleepedf"])
    assert result.exit_code == 0, result.output
    assert "4 MDTA layers (stacking=reference), 3,517,445 parameters" in result.output
    model, meta = load_checkpoint(out)
    assert meta["fold"] == "sleepedf" and meta["sources"] == {"hmc": 0, "isruc": 1, "shhs": 2, "p2018": 3}
    assert meta["preprocess"]["common"]["band_hz"] == [0.3, 35.0] and "hmc" in meta["preprocess"]
    assert meta["params"]["imported_from"] == ref.name and len(meta["params"]["sha256"]) == 64
    io = load_file(str(golden / "sleepdifformer_ref_io.safetensors"))
    with torch.no_grad():
        torch.testing.assert_close(model(io["input.x"]).logits, io["eval.logits"], rtol=1e-5, atol=1e-6)


def test_import_rejects_an_unknown_fold_and_a_file_that_is_not_a_reference(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    torch.save({"weight": torch.zeros(1)}, bad)
    result = CliRunner().invoke(
        app, ["import-checkpoint", str(bad), str(tmp_path / "out.pt"), "--fold", "mass"]
    )
    message = " ".join(result.output.replace("│", " ").split())  # the usage error comes in a box
    assert result.exit_code == 2 and "'mass' is not one of sleepedf, hmc, isruc, shhs, p2018" in message
    result = CliRunner().invoke(app, ["import-checkpoint", str(bad), str(tmp_path / "out.pt")])
    assert isinstance(result.exception, CheckpointError)
    assert "not a SleepDIFFormer reference state_dict" in str(result.exception)
    assert not (tmp_path / "out.pt").exists()
