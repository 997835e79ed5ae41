"""Sleep-EDF Expanded (SC and ST): ``*-PSG.edf`` + EDF+ ``*-Hypnogram.edf`` (datasets.md B.1).

Files pair on their first 7 characters (``SC4001E0-PSG.edf`` with ``SC4001EC-Hypnogram.edf``);
the record id is the PSG name before ``-PSG`` and the subject the first 5 characters (``SC400``:
both nights of subject 00). Hypnograms are R&K runs: 3 and 4 become N3, ``?`` and ``Movement
time`` are UNSCORED (never W), and the last ``?`` runs past the PSG's end (cut).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from sleepdg.datasets._common import (
    BaseReader,
    Pair,
    edf_start_shift,
)
from sleepdg.epochs import Grid, StageRun, align_runs, span_runs
from sleepdg.errors import ReaderError
from sleepdg.io.edf import Annotation, read_edf_annotations
from sleepdg.params import SleepedfPrepare
from sleepdg.stages import Stage

log = logging.getLogger(__name__)

LABELS: dict[str, Stage] = {
    "Sleep stage W": Stage.W,
    "Sleep stage 1": Stage.N1,
    "Sleep stage 2": Stage.N2,
    "Sleep stage 3": Stage.N3,
    "Sleep stage 4": Stage.N3,  # R&K 3 + 4 -> N3
    "Sleep stage R": Stage.REM,
    "Sleep stage ?": Stage.UNSCORED,
    "Movement time": Stage.UNSCORED,
}
PSG = re.compile(r"^(?P<key>S[CT]\d{4}[A-Z])\d-PSG\.edf$", re.IGNORECASE)
HYPNOGRAM = re.compile(r"^(?P<key>S[CT]\d{4}[A-Z])[A-Z0-9]-Hypnogram\.edf$", re.IGNORECASE)


def stage_runs(annotations: Sequence[Annotation], path: Path | str) -> list[StageRun]:
    """Hypnogram annotations as stage runs (every text must be a Sleep-EDF stage label)."""
    runs = []
    for a in annotations:
        if a.text not in LABELS:
            raise ReaderError(
                path, f"unknown stage label {a.text!r} at {a.onset_s:g} s; expected one of {list(LABELS)}"
            )
        if a.duration_s is None:
            raise ReaderError(path, f"stage annotation {a.text!r} at {a.onset_s:g} s has no duration")
        runs.append(StageRun(a.onset_s, a.duration_s, LABELS[a.text]))
    return runs


def read_hypnogram(path: Path | str) -> list[StageRun]:
    """Stage runs of a ``*-Hypnogram.edf`` (onsets in seconds from its own start)."""
    return stage_runs(read_edf_annotations(path), path)


class SleepedfReader(BaseReader):
    """Sleep-EDF Expanded under ``root`` (any layout: files are found recursively)."""

    name = "sleepedf"
    scoring_kind = "hypnogram"

    def __init__(self, root: Path, params: SleepedfPrepare) -> None:
        super().__init__(root, params)

    def _index(self) -> dict[str, Pair]:
        psgs: dict[str, Path] = {}
        hyps: dict[str, Path] = {}
        for path in sorted(self.root.rglob("*.edf")):
            for pattern, found in ((PSG, psgs), (HYPNOGRAM, hyps)):
                match = pattern.match(path.name)
                if match:
                    key = match["key"].upper()
                    if key in found:
                        raise ReaderError(path, f"a second file for recording {key}* (first: {found[key]})")
                    found[key] = path
        pairs = {}
        for key in psgs.keys() | hyps.keys():
            psg = psgs.get(key)
            record_id = psg.name[: -len("-PSG.edf")] if psg else f"{key}0"
            pairs[record_id] = Pair(psg, (hyps[key],) if key in hyps else ())
        return pairs

    def subject_id(self, record_id: str) -> str:
        return record_id[:5]  # SC4ss / ST7ss: the nights of one subject share it

    def grid_for(self, signal: Path, scoring: Path, signal_duration_s: float) -> Grid:
        runs = read_hypnogram(scoring)
        shift = edf_start_shift(signal, scoring)
        if shift:
            runs = [r._replace(onset_s=r.onset_s + shift) for r in runs]
        return align_runs(runs, signal_duration_s, scoring)

    def span_for(self, scoring: Path) -> Grid:
        return span_runs(read_hypnogram(scoring), scoring)
