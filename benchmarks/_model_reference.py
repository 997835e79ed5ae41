"""Import the reference SleepDIFFormer class from a user-given checkout, for side-by-side timing.

Nothing of the reference is in this repository: the user clones github.com/Ben1001409/SleepDIFFormer
wherever they like and passes the folder. What the published code lacks to build its model is
supplied here without editing it: the CNN sizes ``k1..p3`` that ``main.py`` never defines
(49, 7, 5 / 5, 5, 4: method.md §10) go into the params namespace, and ``einops``, imported by a layer
the model never uses, is stubbed when it is not installed.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import types
from pathlib import Path
from typing import Any

import torch
from torch import nn

# The README's command line (d_model 128, 4 heads, 4 layers, d_ff 512), plus k1..p3.
REFERENCE_PARAMS: dict[str, Any] = {
    "num_of_classes": 5,
    "dropout": 0.1,
    "num_heads": 4,
    "num_layers": 4,
    "d_model": 128,
    "d_ff": 512,
    "patch_len": 50,
    "use_normal": False,
    "return_attention": True,  # the only value that runs (method.md §10, item 6)
    "k1": 49,
    "k2": 7,
    "k3": 5,
    "p1": 5,
    "p2": 5,
    "p3": 4,
}


def load_reference_class(reference_dir: Path) -> type[nn.Module]:
    """``models.model.Model`` of the checkout at ``reference_dir``."""
    if not (reference_dir / "models" / "model.py").is_file():
        raise FileNotFoundError(f"{reference_dir}: no models/model.py; expected a SleepDIFFormer checkout")
    try:
        importlib.import_module("einops")
    except ImportError:  # only TwoStageAttentionLayer (never built) uses it
        stub = types.ModuleType("einops")
        stub.rearrange = stub.repeat = None  # type: ignore[attr-defined]
        sys.modules["einops"] = stub
    sys.path.insert(0, str(reference_dir))
    try:
        module = importlib.import_module("models.model")
    finally:
        sys.path.remove(str(reference_dir))
    model_class: type[nn.Module] = module.Model
    return model_class


def build_reference(reference_dir: Path, seed: int = 0) -> nn.Module:
    """The reference model with the README's sizes, initialised from ``seed`` (its prints silenced)."""
    model_class = load_reference_class(reference_dir)
    torch.manual_seed(seed)
    with contextlib.redirect_stdout(io.StringIO()):
        model: nn.Module = model_class(types.SimpleNamespace(**REFERENCE_PARAMS))
    return model
