"""SHHS visits 1 and 2 (NSRR): ``shhsV-<nsrrid>.edf`` + ``-nsrr.xml`` or ``-profusion.xml`` (datasets.md B.4).

Scoring is R&K: 3 and 4 become N3; movement (6) and unscored (9) are UNSCORED, never W. The
record id is the file stem (``shhs1-200001``) and the subject the nsrrid (``200001``), shared by
both visits. ``prepare.shhs.visit`` picks the visit (1, as in the reference) and
``prepare.shhs.annotations`` the XML flavour. The EEG label varies between files (``EEG(sec)``,
``EEG 2``, ``EEG sec``...): the alias matching of `sleepdg.channels` covers the spellings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sleepdg.datasets._common import BaseReader, Pair
from sleepdg.epochs import Grid, StageRun, align_labels, align_runs, span_runs
from sleepdg.errors import ReaderError
from sleepdg.io.nsrr_xml import STAGE_EVENT_TYPE, ScoredEvent, read_nsrr_events, read_profusion_stages
from sleepdg.params import ShhsPrepare
from sleepdg.stages import EPOCH_S, Stage

CODES: dict[int, Stage] = {
    0: Stage.W,
    1: Stage.N1,
    2: Stage.N2,
    3: Stage.N3,
    4: Stage.N3,  # R&K 3 + 4 -> N3
    5: Stage.REM,
    6: Stage.UNSCORED,  # movement
    9: Stage.UNSCORED,  # unscored (the reference maps it to W; we mask it)
}
EDF = re.compile(r"^(?P<id>shhs(?P<visit>[12])-(?P<nsrrid>\d+))\.edf$", re.IGNORECASE)
XML = re.compile(r"^(?P<id>shhs(?P<visit>[12])-\d+)-(?P<kind>nsrr|profusion)\.xml$", re.IGNORECASE)


def _code(path: Path | str, value: int | str, where: str) -> Stage:
    try:
        return CODES[int(value)]
    except (KeyError, ValueError):
        raise ReaderError(path, f"{where}: unknown stage {value!r}; expected codes {sorted(CODES)}") from None


def nsrr_stage_runs(events: Sequence[ScoredEvent], path: Path | str) -> list[StageRun]:
    """The ``Stages|Stages`` events as runs (concept ``Name|code``; other events are not stages)."""
    runs = []
    for e in events:
        if e.event_type == STAGE_EVENT_TYPE:
            code = e.concept.rpartition("|")[2]
            runs.append(
                StageRun(e.start_s, e.duration_s, _code(path, code, f"stage event at {e.start_s:g} s"))
            )
    return runs


def read_profusion(path: Path | str) -> np.ndarray:
    """Stages (n_epochs,) int8 of a profusion XML, one per 30-s epoch from the recording start."""
    codes, epoch_s = read_profusion_stages(path)
    if epoch_s != EPOCH_S:
        raise ReaderError(path, f"EpochLength is {epoch_s:g} s, expected {EPOCH_S:g}")
    return np.asarray([_code(path, c, f"SleepStage {i}") for i, c in enumerate(codes)], dtype=np.int8)


class ShhsReader(BaseReader):
    """SHHS under ``root``: one visit, one annotation flavour (``params.visit``, ``params.annotations``)."""

    name = "shhs"
    scoring_kind = "annotation XML"

    def __init__(self, root: Path, params: ShhsPrepare) -> None:
        super().__init__(root, params)
        self.visit = params.visit
        self.kind = params.annotations

    def _index(self) -> dict[str, Pair]:
        edfs: dict[str, Path] = {}
        xmls: dict[str, Path] = {}
        for path in sorted(self.root.rglob("shhs*")):
            edf, xml = EDF.match(path.name), XML.match(path.name)
            if edf and int(edf["visit"]) == self.visit:
                key, found = edf["id"].lower(), edfs
            elif xml and int(xml["visit"]) == self.visit and xml["kind"].lower() == self.kind:
                key, found = xml["id"].lower(), xmls
            else:
                continue
            if key in found:
                raise ReaderError(path, f"a second file for {key} (first: {found[key]})")
            found[key] = path
        return {
            rid: Pair(edfs.get(rid), (xmls[rid],) if rid in xmls else ()) for rid in edfs.keys() | xmls.keys()
        }

    def subject_id(self, record_id: str) -> str:
        return record_id.split("-", 1)[1]  # the nsrrid, shared by both visits

    def grid_for(self, signal: Path, scoring: Path, signal_duration_s: float) -> Grid:
        if _is_profusion(scoring):
            return align_labels(read_profusion(scoring), signal_duration_s, scoring)
        return align_runs(nsrr_stage_runs(read_nsrr_events(scoring), scoring), signal_duration_s, scoring)

    def span_for(self, scoring: Path) -> Grid:
        if _is_profusion(scoring):
            stages = read_profusion(scoring)
            return Grid(0.0, stages, len(stages))
        return span_runs(nsrr_stage_runs(read_nsrr_events(scoring), scoring), scoring)


def _is_profusion(path: Path) -> bool:
    return path.name.lower().endswith("-profusion.xml")
