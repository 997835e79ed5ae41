"""Pure functions over per-epoch stage arrays: grid fitting and epoch selection."""

from __future__ import annotations

import numpy as np

from sleepdg.stages import Stage


def fit_to_grid(stages: np.ndarray, n_epochs: int) -> np.ndarray:
    """Cut labels past the signal's last whole epoch; epochs without a label become UNSCORED.

    >>> fit_to_grid(np.array([0, 1, 2], dtype=np.int8), 2).tolist()
    [0, 1]
    >>> fit_to_grid(np.array([0], dtype=np.int8), 3).tolist()
    [0, -1, -1]
    """
    out = np.full(n_epochs, Stage.UNSCORED, dtype=np.int8)
    n = min(n_epochs, len(stages))
    out[:n] = stages[:n]
    return out


def trim_wake(stages: np.ndarray, before: int, after: int) -> slice:
    """Epochs kept around the sleep period: ``before`` epochs before the first and ``after`` after
    the last N1-REM epoch, clipped to the recording (Sleep-EDF's long wake padding).

    The reference keeps ``[first - 60, last + 60)``, that is ``(before, after) = (60, 59)``;
    DeepSleepNet keeps ``(60, 60)``. A night with no sleep epoch keeps nothing.

    >>> trim_wake(np.array([0, 0, 0, 2, 2, 0, 0, 0], dtype=np.int8), 1, 2)
    slice(2, 7, None)
    """
    sleep = np.flatnonzero((stages >= Stage.N1) & (stages <= Stage.REM))
    if sleep.size == 0:
        return slice(0, 0)
    start = max(0, int(sleep[0]) - before)
    stop = min(len(stages), int(sleep[-1]) + after + 1)
    return slice(start, stop)
