"""How a stage runs, never what it computes: seeds, device and threads (``runtime`` params block)."""

from __future__ import annotations

import logging
import os
import random
from typing import TYPE_CHECKING

import numpy as np

from sleepdg.errors import SleepdgError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)


class DeviceError(SleepdgError, ValueError):
    """``runtime.device`` names a device this machine does not have or a name torch does not know."""


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators and ask for deterministic kernels.

    Called once by each stage entry point; library code takes explicit generators instead.
    cuDNN is put in deterministic, non-benchmarking mode, and ``CUBLAS_WORKSPACE_CONFIG`` is set
    (unless already set) so that cuBLAS matmuls on GPU repeat exactly.
    """
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def resolve_device(name: str) -> torch.device:
    """Turn ``runtime.device`` into a torch device.

    Parameters
    ----------
    name
        ``auto`` (CUDA when present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``.

    Raises
    ------
    DeviceError
        For an unknown name, or CUDA asked for on a machine without it (or without device N).
    """
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(
            f"runtime.device: unknown device {name!r}; expected auto, cpu, cuda or cuda:N"
        ) from None
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise DeviceError(f"runtime.device: {name!r} is not supported; expected auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise DeviceError(
            f"runtime.device: {name!r} asked for, but torch sees no CUDA device on this machine"
        )
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(
            f"runtime.device: {name!r} asked for, but this machine has "
            f"{torch.cuda.device_count()} CUDA device(s)"
        )
    return device


def set_threads(n_threads: int | None) -> None:
    """Limit torch's intra-op CPU threads (``runtime.threads``); None keeps torch's default."""
    import torch

    if n_threads is not None:
        torch.set_num_threads(n_threads)
        log.debug("torch uses %d CPU threads", n_threads)
