from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sleepdg.errors import CheckpointError
from sleepdg.train.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, load_checkpoint, read_checkpoint


def test_a_file_torch_cannot_read_is_not_a_sleepdg_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(b"0 EDF header, not a checkpoint")
    with pytest.raises(CheckpointError, match=r"model.pt: not a sleepdg checkpoint \(torch cannot load it"):
        load_checkpoint(path)


def test_a_plain_state_dict_is_not_a_sleepdg_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(
        CheckpointError, match=r"weights.pt: not a sleepdg checkpoint \(format None, expected"
    ):
        load_checkpoint(path)


def test_a_pickled_object_is_refused_without_running_it(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "hook": Path("/etc")}, path)
    with pytest.raises(CheckpointError, match="torch cannot load it"):
        read_checkpoint(path)


def test_a_checkpoint_of_a_newer_version_is_refused_naming_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "future.pt"
    newer = CHECKPOINT_VERSION + 1
    torch.save({"format": CHECKPOINT_FORMAT, "version": newer, "model_config": {}, "state_dict": {}}, path)
    with pytest.raises(CheckpointError, match=f"version {newer} is newer than this sleepdg reads"):
        read_checkpoint(path)


def test_a_missing_checkpoint_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.pt: no such checkpoint file"):
        load_checkpoint(tmp_path / "nope.pt")
