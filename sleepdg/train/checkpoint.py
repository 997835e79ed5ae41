"""The trained model's file ``models/<fold>/model.pt`` (architecture.md "Checkpoint").

A dict of plain types and tensors, loadable with ``torch.load(weights_only=True)``, so loading a
checkpoint never runs pickled code.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from sleepdg.atomic import atomic_path
from sleepdg.errors import CheckpointError

if TYPE_CHECKING:
    from sleepdg.model import ModelConfig, SleepDIFFormer

CHECKPOINT_FORMAT = "sleepdg-checkpoint"
CHECKPOINT_VERSION = 1
_REQUIRED = ("format", "version", "model_config", "state_dict")


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The bare model inside a DistributedDataParallel (or any ``.module``) wrapper."""
    inner = getattr(model, "module", None)
    return inner if isinstance(inner, torch.nn.Module) else model


def cpu_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached CPU copy of the (unwrapped) model's state_dict."""
    return {k: v.detach().to("cpu", copy=True) for k, v in unwrap(model).state_dict().items()}


def save_checkpoint(
    path: Path | str,
    model: torch.nn.Module | Mapping[str, torch.Tensor],
    config: ModelConfig,
    *,
    preprocess: dict[str, Any],
    params: dict[str, Any],
    fold: str | None,
    sources: dict[str, int],
    best: dict[str, Any],
) -> None:
    """Write a checkpoint atomically (a failed write leaves any earlier file intact).

    Parameters
    ----------
    path
        Destination, normally ``models/<fold>/model.pt``.
    model
        The model (a DDP wrapper is unwrapped) or a ready state_dict.
    config
        The model's `ModelConfig`; stored as ``config.to_dict()``.
    preprocess
        ``{"common": prepare.common.model_dump(), "<ds>": prepare.<ds>.model_dump(), ...}``: what
        predict must repeat. Plain JSON-like values only.
    params
        The params that trained it (JSON-like ``model_dump(mode="json")``).
    fold, sources, best
        Target dataset (None outside leave-one-out), ``{source dataset: domain id}``, and the
        selected epoch with its validation metrics.
    """
    state = cpu_state_dict(model) if isinstance(model, torch.nn.Module) else dict(model)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model_config": config.to_dict(),
        "state_dict": state,
        "preprocess": preprocess,
        "params": params,
        "fold": fold,
        "sources": dict(sources),
        "best": best,
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: Path | str) -> dict[str, Any]:
    """The checkpoint dict, checked to be ours and of a version this code reads (tensors on CPU)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a sleepdg checkpoint (torch cannot load it: {reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(
            f"{path}: not a sleepdg checkpoint (format {found!r}, expected {CHECKPOINT_FORMAT!r})"
        )
    missing = [k for k in _REQUIRED if k not in payload]
    if missing:
        raise CheckpointError(f"{path}: not a sleepdg checkpoint (missing {', '.join(missing)})")
    version = payload["version"]
    if not isinstance(version, int) or version > CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint version {version!r} is newer than this sleepdg reads ({CHECKPOINT_VERSION})"
        )
    return payload


def load_checkpoint(path: Path | str) -> tuple[SleepDIFFormer, dict[str, Any]]:
    """Rebuild the model of a checkpoint, on CPU and in eval mode.

    Returns
    -------
    model, checkpoint
        The `SleepDIFFormer` with its weights, and the whole checkpoint dict (``preprocess``,
        ``params``, ``fold``, ``sources``, ``best`` ...).

    Raises
    ------
    CheckpointError
        When the file is not a sleepdg checkpoint, is of a newer version, or its weights do not
        fit its model config.
    FileNotFoundError
        When there is no file at ``path``.
    """
    payload = read_checkpoint(path)
    from sleepdg.model import ModelConfig, SleepDIFFormer

    try:
        config = ModelConfig.from_dict(payload["model_config"])
        model = SleepDIFFormer(config)
        model.load_state_dict(payload["state_dict"], strict=True)
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: the weights do not fit the stored model config ({first})") from None
    model.eval()
    return model, payload
