"""HMC sleep staging 1.1: ``SNxxx.edf`` + ``SNxxx_sleepscoring.edf`` or its ``.txt`` twin (datasets.md B.2).

Scoring is one AASM annotation per 30-s epoch (``Sleep stage W/N1/N2/N3/R``). The zero-duration,
off-grid ``Lights off@@…`` / ``Lights on@@…`` events are dropped (logged), never mapped to a
stage. Scoring may start after the signal: the epochs before it are UNSCORED.
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
from sleepdg.io.hmc_txt import read_hmc_scoring_txt
from sleepdg.params import HmcPrepare
from sleepdg.stages import Stage

log = logging.getLogger(__name__)

LABELS: dict[str, Stage] = {
    "Sleep stage W": Stage.W,
    "Sleep stage N1": Stage.N1,
    "Sleep stage N2": Stage.N2,
    "Sleep stage N3": Stage.N3,
    "Sleep stage R": Stage.REM,
}
# Lights-off/on markers: zero duration, off the epoch grid, with an "@@<channel>" suffix
# (datasets.md B.2); they are not stages.
DROPPED = re.compile(r"^Lights (off|on)(@@.*)?$", re.IGNORECASE)
PSG = re.compile(r"^(?P<id>SN\d{3})\.edf$", re.IGNORECASE)
SCORING = re.compile(r"^(?P<id>SN\d{3})_sleepscoring\.(?P<ext>edf|txt)$", re.IGNORECASE)


def stage_runs(annotations: Sequence[Annotation], path: Path | str) -> list[StageRun]:
    """Scoring annotations as stage runs, lights events dropped (logged)."""
    runs = []
    for a in annotations:
        stage = LABELS.get(a.text)
        if stage is None:
            if DROPPED.match(a.text):
                log.debug("%s: dropped %r at %g s (not a stage)", path, a.text, a.onset_s)
                continue
            raise ReaderError(
                path, f"unknown stage label {a.text!r} at {a.onset_s:g} s; expected one of {list(LABELS)}"
            )
        if a.duration_s is None:
            raise ReaderError(path, f"stage annotation {a.text!r} at {a.onset_s:g} s has no duration")
        runs.append(StageRun(a.onset_s, a.duration_s, stage))
    return runs


def read_scoring(path: Path | str) -> list[StageRun]:
    """Stage runs of ``SNxxx_sleepscoring.edf`` or ``.txt`` (chosen by suffix)."""
    path = Path(path)
    annotations = read_hmc_scoring_txt(path) if path.suffix.lower() == ".txt" else read_edf_annotations(path)
    return stage_runs(annotations, path)


class HmcReader(BaseReader):
    """HMC under ``root``; the EDF+ scoring file is used when present, else the ``.txt``."""

    name = "hmc"
    scoring_kind = "sleep-scoring file"

    def __init__(self, root: Path, params: HmcPrepare) -> None:
        super().__init__(root, params)

    def _index(self) -> dict[str, Pair]:
        psgs: dict[str, Path] = {}
        scorings: dict[str, dict[str, Path]] = {}
        for path in sorted(self.root.rglob("SN*")):
            if m := PSG.match(path.name):
                if m["id"].upper() in psgs:
                    raise ReaderError(
                        path, f"a second signal file for {m['id']} (first: {psgs[m['id'].upper()]})"
                    )
                psgs[m["id"].upper()] = path
            elif m := SCORING.match(path.name):
                scorings.setdefault(m["id"].upper(), {})[m["ext"].lower()] = path
        pairs = {}
        for record_id in psgs.keys() | scorings.keys():
            found = scorings.get(record_id, {})
            chosen = found.get("edf") or found.get("txt")
            pairs[record_id] = Pair(psgs.get(record_id), (chosen,) if chosen else ())
        return pairs

    def grid_for(self, signal: Path, scoring: Path, signal_duration_s: float) -> Grid:
        runs = read_scoring(scoring)
        shift = edf_start_shift(signal, scoring) if scoring.suffix.lower() == ".edf" else 0.0
        if shift:
            runs = [r._replace(onset_s=r.onset_s + shift) for r in runs]
        return align_runs(runs, signal_duration_s, scoring)

    def span_for(self, scoring: Path) -> Grid:
        return span_runs(read_scoring(scoring), scoring)
