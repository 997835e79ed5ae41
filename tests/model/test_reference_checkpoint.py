"""Reference checkpoints load: the 208 live tensors or a full state_dict with the dead modules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sleepdg.errors import CheckpointError
from sleepdg.model import load_reference_checkpoint


def _full_state_dict(golden: Path) -> dict[str, torch.Tensor]:
    """The golden live tensors plus every dead tensor of the full reference class (as zero-stride views)."""
    state = load_file(str(golden / "sleepdifformer_ref_state.safetensors"))
    dead = json.loads((golden / "sleepdifformer_ref.json").read_text())["unused_state_dict_keys"]
    for key, info in dead.items():  # 1,109 tensors, 213 MB if materialised; stored as one element each
        state[key] = torch.zeros(()).expand(info["shape"])
    return state


def test_full_reference_state_dict_as_pt_loads_and_reproduces_the_golden_logits(
    golden: Path, tmp_path: Path
) -> None:
    path = tmp_path / "reference.pth"
    torch.save(_full_state_dict(golden), path)
    model = load_reference_checkpoint(path)
    io = load_file(str(golden / "sleepdifformer_ref_io.safetensors"))
    assert not model.training and model.config.stacking == "reference" and model.config.n_layers == 4
    with torch.no_grad():
        logits = model(io["input.x"]).logits
    torch.testing.assert_close(logits, io["eval.logits"], rtol=1e-5, atol=1e-6)


def test_a_missing_live_tensor_is_named(golden: Path, tmp_path: Path) -> None:
    state = load_file(str(golden / "sleepdifformer_ref_state.safetensors"))
    del state["ae.encoder.seq_encoder_1.layers.3.norm7.weight"]
    torch.save(state, tmp_path / "partial.pt")
    with pytest.raises(
        CheckpointError, match=re.escape("1 tensors missing, e.g. encoder.layers.3.norm_ffn_eog.weight")
    ):
        load_reference_checkpoint(tmp_path / "partial.pt")


def test_a_tensor_of_the_wrong_shape_is_named_with_both_shapes(golden: Path, tmp_path: Path) -> None:
    state = load_file(str(golden / "sleepdifformer_ref_state.safetensors"))
    state["classifier.weight"] = torch.zeros(4, 256)
    torch.save(state, tmp_path / "wrong.pt")
    with pytest.raises(CheckpointError, match=r"classifier.weight \(4, 256\) \(expected \(5, 256\)\)"):
        load_reference_checkpoint(tmp_path / "wrong.pt")


def test_files_that_are_not_reference_state_dicts_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    with pytest.raises(
        CheckpointError, match=re.escape("notes.pt: cannot read as a .pt/.pth or .safetensors state_dict")
    ):
        load_reference_checkpoint(tmp_path / "notes.pt")
    torch.save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "other.pt")
    with pytest.raises(
        CheckpointError, match=re.escape("other.pt: not a SleepDIFFormer reference state_dict")
    ):
        load_reference_checkpoint(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match=re.escape("missing.pt: no such checkpoint")):
        load_reference_checkpoint(tmp_path / "missing.pt")
