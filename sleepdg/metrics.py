"""Sleep-staging metrics over pooled scored epochs (unscored epochs, y == -1, are ignored).

Every function takes the true and predicted stages of the same epochs, pooled over recordings
and flattened: ``y_true`` (n,) with Stage values and -1 for unscored epochs, ``y_pred`` (n,) with
Stage values. The reference pools every epoch of the test set before scoring (method.md §6).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sleepdg.stages import N_CLASSES, STAGE_NAMES, Stage

LABELS: tuple[int, ...] = tuple(range(N_CLASSES))


def scored(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose true stage is scored, as two int64 arrays of equal length.

    Raises
    ------
    ValueError
        When the two arrays differ in length, or a predicted stage lies outside 0..4.
    """
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} epochs but y_pred has {p.size}")
    keep = t != Stage.UNSCORED
    t, p = t[keep], p[keep]
    if p.size and (p.min() < 0 or p.max() >= N_CLASSES):
        raise ValueError(f"predicted stages must lie in 0..{N_CLASSES - 1}, got {p.min()}..{p.max()}")
    if t.size and (t.min() < 0 or t.max() >= N_CLASSES):
        raise ValueError(f"true stages must lie in -1..{N_CLASSES - 1}, got {t.min()}..{t.max()}")
    return t, p


def _nonempty(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t, p = scored(y_true, y_pred)
    if t.size == 0:
        raise ValueError("no scored epochs to score (every y_true is -1 or the arrays are empty)")
    return t, p


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of scored epochs predicted right."""
    t, p = _nonempty(y_true, y_pred)
    return float(np.mean(t == p))


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Unweighted mean of the per-stage F1 over the stages present in ``y_true`` or ``y_pred``.

    This is scikit-learn's ``f1_score(average="macro")`` without ``labels``, as the reference
    computes it: a stage that neither occurs nor is predicted does not count as an F1 of 0.
    """
    from sklearn.metrics import f1_score

    t, p = _nonempty(y_true, y_pred)
    return float(f1_score(t, p, average="macro", zero_division=0.0))


def cohen_kappa(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Cohen's kappa over scored epochs (1 when both sides hold one and the same stage)."""
    from sklearn.metrics import cohen_kappa_score

    t, p = _nonempty(y_true, y_pred)
    if np.unique(np.concatenate([t, p])).size == 1:
        return 1.0  # sklearn returns nan for perfect agreement on a single class
    return float(cohen_kappa_score(t, p, labels=list(LABELS)))


def per_stage_f1(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """F1 per stage keyed W, N1, N2, N3, REM; 0 for a stage neither seen nor predicted."""
    from sklearn.metrics import f1_score

    t, p = _nonempty(y_true, y_pred)
    values = f1_score(t, p, labels=list(LABELS), average=None, zero_division=0.0)
    return {name: float(v) for name, v in zip(STAGE_NAMES, values, strict=True)}


def confusion(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """(5, 5) int64 counts: row = true stage, column = predicted stage, in Stage order."""
    from sklearn.metrics import confusion_matrix

    t, p = scored(y_true, y_pred)
    return np.asarray(confusion_matrix(t, p, labels=list(LABELS)), dtype=np.int64).reshape(
        N_CLASSES, N_CLASSES
    )


def summary(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float | int]:
    """The flat metrics of ``reports/<fold>/metrics.json`` (architecture.md "Reports").

    Returns
    -------
    dict
        ``acc``, ``macro_f1``, ``kappa``, ``f1_W`` … ``f1_REM`` (floats) and ``n_epochs`` (scored epochs).
    """
    t, p = _nonempty(y_true, y_pred)
    out: dict[str, float | int] = {
        "acc": accuracy(t, p),
        "macro_f1": macro_f1(t, p),
        "kappa": cohen_kappa(t, p),
    }
    out.update({f"f1_{name}": value for name, value in per_stage_f1(t, p).items()})
    out["n_epochs"] = int(t.size)
    return out
