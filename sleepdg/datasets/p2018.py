"""PhysioNet/CinC 2018 training set (datasets.md B.5).

Files: ``trNN-NNNN.hea`` + ``.mat`` + ``.arousal`` or ``-arousal.mat``.

Stages come from the stage-change notes (W, N1, N2, N3, R) of the WFDB ``.arousal`` file
(``prepare.p2018.labels: arousal``) or from the one-hot vectors of the v7.3 ``-arousal.mat``
(``labels: mat``). The timeline before the first stage is undefined: those epochs are UNSCORED.
The last stage runs to the end of the record, whose trailing partial epoch is not an epoch.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sleepdg.datasets._common import (
    BaseReader,
    Pair,
    SignalInfo,
    pick_modalities,
    read_wfdb_signals,
    wfdb_info,
)
from sleepdg.epochs import Grid, StageRun, align_runs, span_runs
from sleepdg.errors import ReaderError
from sleepdg.io.wfdb_io import read_arousal_annotations, read_arousal_mat, read_wfdb_header
from sleepdg.params import P2018Prepare
from sleepdg.recording import Signal
from sleepdg.stages import EPOCH_S, Stage

DEFAULT_SFREQ_HZ = 200.0  # every P2018 record (a -arousal.mat does not store its rate)
NOTES: dict[str, Stage] = {"W": Stage.W, "N1": Stage.N1, "N2": Stage.N2, "N3": Stage.N3, "R": Stage.REM}
HEA = re.compile(r"^(?P<id>t[re]\d\d-\d{4})\.hea$", re.IGNORECASE)
AROUSAL = re.compile(r"^(?P<id>t[re]\d\d-\d{4})\.arousal$", re.IGNORECASE)
AROUSAL_MAT = re.compile(r"^(?P<id>t[re]\d\d-\d{4})-arousal\.mat$", re.IGNORECASE)


def _last_run_s(start: int, n_samples: int, sfreq_hz: float) -> float:
    """The last stage runs to the record's end: whole epochs, the partial one included (cut later)."""
    per_epoch = EPOCH_S * sfreq_hz
    return max(1, math.ceil((n_samples - start) / per_epoch)) * EPOCH_S


def arousal_stage_runs(
    samples: Sequence[int] | np.ndarray,
    notes: Sequence[str],
    n_samples: int,
    sfreq_hz: float,
    path: Path | str,
) -> list[StageRun]:
    """Stage runs from ``.arousal`` notes: each stage note lasts until the next one.

    Event notes (``(resp_hypopnea`` ... ``resp_hypopnea)``) are not stages and are skipped; any
    other note is an unknown stage label.
    """
    changes = []
    for sample, note in zip(samples, notes, strict=True):
        if note.startswith("(") or note.endswith(")"):
            continue
        if note not in NOTES:
            raise ReaderError(
                path, f"unknown stage label {note!r} at sample {sample}; expected one of {list(NOTES)}"
            )
        changes.append((int(sample), NOTES[note]))
    runs = []
    for i, (start, stage) in enumerate(changes):
        if i + 1 < len(changes):
            duration = (changes[i + 1][0] - start) / sfreq_hz
        else:
            duration = _last_run_s(start, n_samples, sfreq_hz)
        runs.append(StageRun(start / sfreq_hz, duration, stage))
    return runs


def mat_stage_runs(stage_per_sample: np.ndarray, sfreq_hz: float, path: Path | str) -> list[StageRun]:
    """Stage runs from per-sample stages (undefined spans, -1, are not runs)."""
    n = len(stage_per_sample)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(stage_per_sample)) + 1, [n]])
    runs = []
    for start, stop in itertools.pairwise(bounds):
        stage = int(stage_per_sample[start])
        if stage == Stage.UNSCORED:
            continue
        duration = _last_run_s(int(start), n, sfreq_hz) if stop == n else (stop - start) / sfreq_hz
        runs.append(StageRun(start / sfreq_hz, duration, stage))
    return runs


def read_arousal_stages(path: Path | str, n_samples: int, sfreq_hz: float) -> list[StageRun]:
    """Stage runs of ``<rec>.arousal`` for a record of ``n_samples`` at ``sfreq_hz``."""
    samples, notes, fs = read_arousal_annotations(path)
    if fs is not None and abs(fs - sfreq_hz) > 1e-9:
        raise ReaderError(path, f"annotations are at {fs:g} Hz, the signal at {sfreq_hz:g} Hz")
    return arousal_stage_runs(samples, notes, n_samples, sfreq_hz, path)


def read_mat_stages(path: Path | str, sfreq_hz: float, n_samples: int | None = None) -> list[StageRun]:
    """Stage runs of ``<rec>-arousal.mat`` (its length must match ``n_samples`` when given)."""
    stages, _ = read_arousal_mat(path)
    if n_samples is not None and len(stages) != n_samples:
        raise ReaderError(path, f"{len(stages)} samples of labels, the signal has {n_samples}")
    return mat_stage_runs(stages, sfreq_hz, path)


class P2018Reader(BaseReader):
    """The P2018 training records under ``root``, labelled by ``params.labels``."""

    name = "p2018"
    scoring_kind = "arousal file"

    def __init__(self, root: Path, params: P2018Prepare) -> None:
        super().__init__(root, params)
        self.labels = params.labels

    def _index(self) -> dict[str, Pair]:
        heas: dict[str, Path] = {}
        labels: dict[str, Path] = {}
        pattern = AROUSAL if self.labels == "arousal" else AROUSAL_MAT
        for path in sorted(self.root.rglob("t*")):
            for regex, found in ((HEA, heas), (pattern, labels)):
                if m := regex.match(path.name):
                    key = m["id"].lower()
                    if key in found:
                        raise ReaderError(path, f"a second file for {key} (first: {found[key]})")
                    found[key] = path
        return {
            rid: Pair(heas.get(rid), (labels[rid],) if rid in labels else ())
            for rid in heas.keys() | labels.keys()
        }

    def info_for(self, signal: Path) -> SignalInfo:
        return wfdb_info(read_wfdb_header(signal, check_mat=False))

    def signals_for(self, signal: Path) -> dict[str, Signal]:
        header = read_wfdb_header(signal)
        return read_wfdb_signals(header, pick_modalities(header.labels, self.accepted, header.path))

    def grid_for(self, signal: Path, scoring: Path, signal_duration_s: float) -> Grid:
        header = read_wfdb_header(signal, check_mat=False)
        if scoring.suffix.lower() == ".mat":
            runs = read_mat_stages(scoring, header.sfreq_hz, header.n_samples)
        else:
            runs = read_arousal_stages(scoring, header.n_samples, header.sfreq_hz)
        return align_runs(runs, signal_duration_s, scoring)

    def span_for(self, scoring: Path) -> Grid:
        """A ``-arousal.mat`` holds the record's length; an ``.arousal`` alone ends at its last
        stage change (its last stage counted as one epoch)."""
        if scoring.suffix.lower() == ".mat":
            stages, _ = read_arousal_mat(scoring)
            sfreq_hz = DEFAULT_SFREQ_HZ
            return align_runs(mat_stage_runs(stages, sfreq_hz, scoring), len(stages) / sfreq_hz, scoring)
        samples, notes, fs = read_arousal_annotations(scoring)
        sfreq_hz = fs or DEFAULT_SFREQ_HZ
        runs = arousal_stage_runs(samples, notes, int(max(samples, default=0)) + 1, sfreq_hz, scoring)
        return span_runs(runs, scoring)
