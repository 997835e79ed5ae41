"""Model inference over whole recordings: every epoch covered, overlapping windows averaged.

A recording of n epochs is cut into windows of the model's ``seq_len`` every ``seq_len`` epochs
plus one aligned to its end (`sleepdg.train.eval_windows`, architecture.md "Sequences"); the
softmax probabilities of the windows covering an epoch are averaged, and an ensemble averages its
models' probabilities the same way. Also: the attention maps of one epoch for the reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sleepdg.errors import SleepdgError
from sleepdg.stages import N_CLASSES

if TYPE_CHECKING:
    import torch

    from sleepdg.model import SleepDIFFormer

BATCH_WINDOWS = 16  # windows per forward pass (the result does not depend on it)


class SequenceTooShortError(SleepdgError, ValueError):
    """A recording has fewer epochs than the model's sequence length."""


def model_seq_len(model: SleepDIFFormer) -> int:
    """Epochs per sequence of a `SleepDIFFormer` (its config's ``seq_len``)."""
    return model.config.seq_len


def window_probabilities(
    model: SleepDIFFormer,
    x: np.ndarray,
    *,
    device: torch.device | None = None,
    batch_windows: int = BATCH_WINDOWS,
) -> np.ndarray:
    """Per-epoch stage probabilities of one recording under one model.

    Parameters
    ----------
    model
        A `SleepDIFFormer` in eval mode.
    x
        (n_epochs, 2, 3000) float32 z-scored EEG and EOG.
    device
        Where to run; the model must already be there. CPU when None.

    Returns
    -------
    (n_epochs, 5) float32 softmax probabilities, averaged over the windows covering each epoch.

    Raises
    ------
    SequenceTooShortError
        When the recording has fewer epochs than the model's ``seq_len``.
    """
    import torch

    from sleepdg.train.data import eval_windows

    seq_len, n_epochs = model_seq_len(model), x.shape[0]
    starts = eval_windows(n_epochs, seq_len)
    if starts.size == 0:
        raise SequenceTooShortError(f"{n_epochs} epochs is shorter than one {seq_len}-epoch sequence")
    total = np.zeros((n_epochs, N_CLASSES), dtype=np.float64)
    covered = np.zeros(n_epochs, dtype=np.int64)
    with torch.inference_mode():
        for first in range(0, starts.size, batch_windows):
            batch = starts[first : first + batch_windows]
            xb = torch.from_numpy(
                np.stack([x[s : s + seq_len] for s in batch]).astype(np.float32, copy=False)
            )
            logits = model(xb.to(device or "cpu"), decode=False).logits  # (B, L, 5)
            proba = torch.softmax(logits.float(), dim=-1).cpu().numpy()
            for s, p in zip(batch, proba, strict=True):
                total[s : s + seq_len] += p
                covered[s : s + seq_len] += 1
    return (total / covered[:, None]).astype(np.float32)


def ensemble_probabilities(
    models: Sequence[SleepDIFFormer], x: np.ndarray, *, device: torch.device | None = None
) -> np.ndarray:
    """(n_epochs, 5) probabilities averaged over ``models`` (each with its own windows)."""
    if not models:
        raise ValueError("no model to predict with")
    return np.mean([window_probabilities(m, x, device=device) for m in models], axis=0).astype(np.float32)


def _global_token_rows(attention: dict[Any, Any], row: int) -> np.ndarray:
    """(2, n_layers, n_tokens): per modality and layer, the head-averaged row of the global token
    (the last) over the series tokens, for sequence item ``row`` (index into B·L)."""
    layers = sorted(attention)
    return np.stack([
        np.stack([attention[k][name][row, :, -1, :-1].float().mean(dim=0).cpu().numpy() for k in layers])
        for name in ("eeg_self_attn", "eog_self_attn")
    ])  # fmt: skip


def epoch_attention(
    model: SleepDIFFormer, window: np.ndarray, position: int, device: torch.device | None = None
) -> np.ndarray:
    """The attention of one epoch of a sequence (method.md §9).

    Parameters
    ----------
    window
        (seq_len, 2, 3000) float32 z-scored epochs, one model sequence.
    position
        Index of the epoch of interest in the window.

    Returns
    -------
    (2, n_layers, n_tokens) float32: for EEG then EOG and each MDTA layer, the head-averaged row of
    the global token over the series tokens.
    """
    import torch

    with torch.inference_mode():
        out = model(torch.from_numpy(window[None]).to(device or "cpu"), decode=False, return_attention=True)
    return _global_token_rows(out.attention, position).astype(np.float32)
