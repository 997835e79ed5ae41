"""SleepDIFFormer configuration: one frozen dataclass, plus the two presets of ``params.yaml``.

Presets (``model.preset``; any width set in ``params.yaml`` overrides the preset's):

=================  ========================  ==============================================
field              ``paper``                 ``small`` (default of the synthetic pipeline)
=================  ========================  ==============================================
cnn_channels       (64, 128)                 (16, 32)
d_model            128                       64
n_heads            4 differential heads      2 differential heads
n_layers           4                         2
d_ff               512                       128
seq_heads          8                         4
dropout            0.1                       0.1
=================  ========================  ==============================================

``paper`` is the reference model (method.md §2-§4) and the only preset whose weights a reference
checkpoint fits (3,517,445 parameters with its four MDTA layers). ``small`` keeps every kernel,
pool, head width and token count (30 one-second tokens + one global token per modality) and
narrows the widths: 583,877 parameters, and 4-5 times less CPU time than ``paper`` per training
step, 4-5 times less per night of inference (``benchmarks/bench_model.py`` measures both).

The epoch-sequence encoders, the shared projection and the decoder are ``seq_width = 2 * d_model``
wide: the concatenated EEG and EOG features (256 in the reference, where it is hard-coded).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sleepdg.params import ModelParams

STACKINGS = ("reference", "chained")
ATTENTIONS = ("differential", "standard")


@dataclass(frozen=True)
class ModelConfig:
    """Every size of a SleepDIFFormer; blocks receive plain ints from it.

    ``stacking``: ``reference`` feeds every MDTA layer the embeddings and keeps the last layer's
    output (the published code, method.md §3.3); ``chained`` feeds layer l's output to layer l+1.
    ``attention``: ``differential`` (DiffT) or ``standard`` softmax attention inside the MDTA.
    Kernel sizes are in samples at 100 Hz (0.49 s, 0.07 s, 0.05 s); the pools take 100 Hz to one
    token per second.
    """

    d_model: int
    n_heads: int
    n_layers: int
    d_ff: int
    cnn_channels: tuple[int, int]
    dropout: float
    stacking: str
    attention: str
    seq_len: int = 20  # epochs per sequence
    n_samples: int = 3000  # samples per 30-s epoch at 100 Hz
    n_classes: int = 5
    kernel_sizes: tuple[int, int, int] = (49, 7, 5)
    pool_sizes: tuple[int, int, int] = (5, 5, 4)
    seq_heads: int = 8  # heads of the epoch-sequence encoders (width seq_width)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cnn_channels", tuple(int(c) for c in self.cnn_channels))
        object.__setattr__(self, "kernel_sizes", tuple(int(k) for k in self.kernel_sizes))
        object.__setattr__(self, "pool_sizes", tuple(int(p) for p in self.pool_sizes))
        problems = self._problems()
        if problems:
            raise ValueError("invalid model config: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        out = []
        if self.stacking not in STACKINGS:
            out.append(f"stacking {self.stacking!r} is not one of {', '.join(STACKINGS)}")
        if self.attention not in ATTENTIONS:
            out.append(f"attention {self.attention!r} is not one of {', '.join(ATTENTIONS)}")
        if min(self.d_model, self.n_heads, self.n_layers, self.d_ff, self.seq_len, self.n_classes) < 1:
            out.append("d_model, n_heads, n_layers, d_ff, seq_len and n_classes must be positive")
        elif self.d_model % (2 * self.n_heads):
            out.append(f"d_model {self.d_model} must be divisible by 2 * n_heads = {2 * self.n_heads}")
        if self.seq_heads < 1 or self.seq_width % self.seq_heads:
            out.append(f"seq_width {self.seq_width} must be divisible by seq_heads {self.seq_heads}")
        if len(self.cnn_channels) != 2 or min(self.cnn_channels) < 1:
            out.append(f"cnn_channels must be two positive ints, got {self.cnn_channels}")
        if len(self.kernel_sizes) != 3 or any(k < 1 or k % 2 == 0 for k in self.kernel_sizes):
            out.append(f"kernel_sizes must be three odd ints, got {self.kernel_sizes}")
        if len(self.pool_sizes) != 3 or min(self.pool_sizes) < 1:
            out.append(f"pool_sizes must be three positive ints, got {self.pool_sizes}")
        elif self.n_samples % math.prod(self.pool_sizes):
            out.append(
                f"n_samples {self.n_samples} must be divisible by the pools' product {self.pool_sizes}"
            )
        if self.n_samples != 3000:
            out.append(f"n_samples must be 3000 (the decoder's geometry), got {self.n_samples}")
        if not 0.0 <= self.dropout < 1.0:
            out.append(f"dropout must be in [0, 1), got {self.dropout}")
        return out

    @property
    def n_tokens(self) -> int:
        """Series tokens per epoch and modality (30 for 3000 samples and pools 5, 5, 4)."""
        return self.n_samples // math.prod(self.pool_sizes)

    @property
    def seq_width(self) -> int:
        """Width of the epoch-sequence encoders: the EEG and EOG features side by side."""
        return 2 * self.d_model

    def to_dict(self) -> dict[str, Any]:
        """Plain types only (lists for tuples), for checkpoints."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Inverse of `to_dict`; unknown keys raise ``ValueError`` naming them."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown model config keys {unknown}; known: {sorted(names)}")
        kwargs: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**kwargs)


PRESETS: dict[str, ModelConfig] = {
    "paper": ModelConfig(
        d_model=128,
        n_heads=4,
        n_layers=4,
        d_ff=512,
        cnn_channels=(64, 128),
        dropout=0.1,
        stacking="reference",
        attention="differential",
        seq_heads=8,
    ),
    "small": ModelConfig(
        d_model=64,
        n_heads=2,
        n_layers=2,
        d_ff=128,
        cnn_channels=(16, 32),
        dropout=0.1,
        stacking="reference",
        attention="differential",
        seq_heads=4,
    ),
}

_OVERRIDABLE = ("d_model", "n_heads", "n_layers", "d_ff", "cnn_channels", "dropout", "stacking", "attention")


def config_from_params(p: ModelParams, *, seq_len: int = 20) -> ModelConfig:
    """Build the config of a ``model`` params block: the preset, then every field that is set.

    Parameters
    ----------
    p
        The validated ``model`` block of ``params.yaml``.
    seq_len
        Epochs per training sequence (``train.seq_len``).
    """
    changes: dict[str, Any] = {k: getattr(p, k) for k in _OVERRIDABLE if getattr(p, k) is not None}
    return replace(PRESETS[p.preset], seq_len=seq_len, **changes)
