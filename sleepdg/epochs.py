"""Pure functions over per-epoch stage arrays: grid fitting, scoring alignment and epoch selection."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sleepdg.errors import ReaderError
from sleepdg.stages import EPOCH_S, Stage


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


# ---------------------------------------------------------------------------------------------
# Scoring on the 30-s epoch grid (architecture.md "Stages and labels")


class StageRun(NamedTuple):
    """A scored span on the recording's clock: ``stage`` (a `Stage` value, UNSCORED for R&K ``?``
    or movement) from ``onset_s`` for ``duration_s`` seconds."""

    onset_s: float
    duration_s: float
    stage: int


class Grid(NamedTuple):
    """Stages on an epoch grid starting ``offset_s`` seconds into the signal file."""

    offset_s: float
    stages: np.ndarray  # (n_epochs,) int8
    n_covered: int  # epochs some scoring entry covers (scored or not)


_TOL_S = 1e-3  # onsets and durations are compared to the grid within a millisecond


class _Placed(NamedTuple):
    first: np.ndarray  # (n_runs,) int64 first epoch of each run on the grid
    n: np.ndarray  # (n_runs,) int64 epochs per run
    stage: np.ndarray  # (n_runs,) int8


def _place(runs: Sequence[StageRun], path: Path | str, epoch_s: float) -> tuple[float, _Placed]:
    """Anchor on the first run and put every run on that grid (whole epochs, on the grid)."""
    if not runs:
        raise ReaderError(path, "no sleep-stage annotations")
    onset, duration, stage = (np.asarray(column) for column in zip(*runs, strict=True))
    anchor = float(onset.min())
    n = np.rint(duration / epoch_s).astype(np.int64)
    bad = np.flatnonzero((np.abs(duration - n * epoch_s) > _TOL_S) | (n <= 0))
    if bad.size:
        i = int(bad[0])
        raise ReaderError(
            path,
            f"stage annotation at {onset[i]:g} s lasts {duration[i]:g} s, not a multiple of {epoch_s:g} s",
        )
    first = np.rint((onset - anchor) / epoch_s).astype(np.int64)
    bad = np.flatnonzero(np.abs(onset - anchor - first * epoch_s) > _TOL_S)
    if bad.size:
        raise ReaderError(
            path,
            f"stage annotation at {onset[bad[0]]:g} s is off the {epoch_s:g}-s grid "
            f"that starts at {anchor:g} s",
        )
    return anchor, _Placed(first, n, stage.astype(np.int8))


def _fill(placed: _Placed, shift: int, n_epochs: int, path: Path | str) -> tuple[np.ndarray, int]:
    """Stages (n_epochs,) from placed runs shifted by ``shift`` epochs (cut to the grid)."""
    lo = np.clip(placed.first + shift, 0, n_epochs)
    lengths = np.clip(placed.first + shift + placed.n, 0, n_epochs) - lo
    lengths = np.maximum(lengths, 0)
    starts = np.cumsum(lengths) - lengths
    index = np.repeat(lo - starts, lengths) + np.arange(int(lengths.sum()))  # epoch of every covered slot
    counts = np.bincount(index, minlength=n_epochs)
    if counts.size and counts.max() > 1:
        raise ReaderError(path, f"stage annotations overlap at epoch {int(np.argmax(counts > 1))}")
    stages = np.full(n_epochs, Stage.UNSCORED, dtype=np.int8)
    stages[index] = np.repeat(placed.stage, lengths)
    return stages, int(index.size)


def span_runs(runs: Sequence[StageRun], path: Path | str, epoch_s: float = EPOCH_S) -> Grid:
    """Stages over a scoring file's own span (no signal): from its first to its last epoch, gaps
    UNSCORED. ``offset_s`` is the first run's onset."""
    anchor, placed = _place(runs, path, epoch_s)
    n_epochs = int((placed.first + placed.n).max())
    stages, covered = _fill(placed, 0, n_epochs, path)
    return Grid(anchor, stages, covered)


def align_runs(
    runs: Sequence[StageRun], signal_duration_s: float, path: Path | str, epoch_s: float = EPOCH_S
) -> Grid:
    """Stages per whole epoch of a signal, on the grid anchored at the first run's onset.

    The grid is extended back in whole epochs to the signal's start (``offset_s`` is where epoch 0
    begins, in [0, epoch_s)); epochs no run covers are UNSCORED; runs past the signal are cut.

    Raises
    ------
    ReaderError
        A run off the grid or not a whole number of epochs, overlapping runs, or scoring that
        covers less than half of the signal's epochs (or none of them).
    """
    anchor, placed = _place(runs, path, epoch_s)
    offset = anchor % epoch_s
    offset = 0.0 if offset > epoch_s - _TOL_S else offset
    n_epochs = max(0, int(np.floor((signal_duration_s - offset) / epoch_s + 1e-9)))
    shift = round((anchor - offset) / epoch_s)
    stages, covered = _fill(placed, shift, n_epochs, path)
    _check_coverage(covered, n_epochs, path, runs, signal_duration_s)
    return Grid(offset, stages, covered)


def _check_coverage(
    covered: int, n_epochs: int, path: Path | str, runs: Sequence[StageRun], signal_duration_s: float
) -> None:
    if covered == 0:
        start = min(r.onset_s for r in runs)
        end = max(r.onset_s + r.duration_s for r in runs)
        raise ReaderError(
            path, f"scoring ({start:g}-{end:g} s) lies outside the signal (0-{signal_duration_s:g} s)"
        )
    if covered * 2 < n_epochs:
        raise ReaderError(path, f"scoring covers {covered} of the signal's {n_epochs} epochs, less than half")


def align_labels(
    labels: np.ndarray, signal_duration_s: float, path: Path | str, *, max_extra: int | None = None,
    epoch_s: float = EPOCH_S,
) -> Grid:  # fmt: skip
    """Per-epoch labels from the signal's start, fitted to its whole epochs (`fit_to_grid`).

    Raises
    ------
    ReaderError
        More than ``max_extra`` labels past the signal, or labels covering less than half of it.
    """
    n_epochs = max(0, int(np.floor(signal_duration_s / epoch_s + 1e-9)))
    extra = len(labels) - n_epochs
    if max_extra is not None and extra > max_extra:
        raise ReaderError(
            path,
            f"{len(labels)} labels for {n_epochs} epochs of signal "
            f"({extra} extra; at most {max_extra} expected)",
        )
    covered = min(len(labels), n_epochs)
    if covered * 2 < n_epochs or covered == 0:
        raise ReaderError(
            path, f"{len(labels)} labels cover {covered} of the signal's {n_epochs} epochs, less than half"
        )
    return Grid(0.0, fit_to_grid(np.asarray(labels, dtype=np.int8), n_epochs), covered)
