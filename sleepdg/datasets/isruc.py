"""ISRUC-Sleep subgroups I-III: ``<n>.rec`` (EDF) + scorer ``<n>_<k>.txt`` / ``.xlsx`` (datasets.md B.3).

Record ids follow the folder layout: ``subgroupI/12``, ``subgroupII/3/1`` (subject 3, session 1;
the sessions share the subject id ``subgroupII/3``), ``subgroupIII/1``. Label files run up to 30
epochs past the signal (cut); more than that is an error. The ``.txt`` writes unscored epochs
as 0 (W); ``prepare.isruc.labels: xlsx`` reads the workbook, which tells ``U`` apart.
Both montages (A1/A2 and M1/M2 names) are matched by the channel aliases of ``prepare.isruc``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from sleepdg.datasets._common import BaseReader, Pair
from sleepdg.epochs import Grid, align_labels
from sleepdg.errors import ReaderError
from sleepdg.io.isruc_labels import read_isruc_txt, read_isruc_xlsx
from sleepdg.params import IsrucPrepare

# Label files hold 30 epochs more than the signal exports ("due to noise"; datasets.md B.3).
MAX_EXTRA_LABELS = 30
_SUBGROUP = re.compile(r"^sub[-_ ]?group[-_ ]?(?P<g>iii|ii|i|[123])$", re.IGNORECASE)
_ROMAN = {"1": "I", "2": "II", "3": "III", "i": "I", "ii": "II", "iii": "III"}
_LABEL = re.compile(r"^(?P<n>\d+)_(?P<scorer>[12])\.(?P<ext>txt|xlsx)$", re.IGNORECASE)


def read_labels(path: Path | str) -> np.ndarray:
    """Stages (n_epochs,) int8 of a scorer file, ``.txt`` or ``.xlsx`` by suffix."""
    path = Path(path)
    return read_isruc_xlsx(path) if path.suffix.lower() == ".xlsx" else read_isruc_txt(path)


def record_id_for(path: Path, root: Path) -> str:
    """``subgroupI/12``, ``subgroupII/3/1`` or ``subgroupIII/1`` from a file's place under ``root``."""
    parts = (*root.resolve().parts, *path.parent.relative_to(root).parts)
    for i in range(len(parts) - 1, -1, -1):
        match = _SUBGROUP.match(parts[i])
        if match:
            group = _ROMAN[match["g"].lower()]
            number = path.name.split(".")[0].split("_")[0]
            if group == "II":
                if i + 1 >= len(parts):
                    raise ReaderError(path, "subgroup II files must sit in a <subject>/<session>/ folder")
                return f"subgroupII/{parts[i + 1]}/{number}"
            return f"subgroup{group}/{number}"
    raise ReaderError(
        path, "cannot tell the ISRUC subgroup: no folder named subgroupI, subgroupII or subgroupIII above it"
    )


class IsrucReader(BaseReader):
    """ISRUC-Sleep under ``root``, scored by ``params.scorer`` from ``params.labels`` files."""

    name = "isruc"
    scoring_kind = "label file"

    def __init__(self, root: Path, params: IsrucPrepare) -> None:
        super().__init__(root, params)
        self.scorer = params.scorer
        self.label_ext = params.labels

    def _index(self) -> dict[str, Pair]:
        recs: dict[str, Path] = {}
        labels: dict[str, Path] = {}
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() == ".rec":
                found = recs
            elif (
                (m := _LABEL.match(path.name))
                and int(m["scorer"]) == self.scorer
                and m["ext"].lower() == self.label_ext
            ):
                found = labels
            else:
                continue
            record_id = record_id_for(path, self.root)
            if record_id in found:
                raise ReaderError(path, f"a second file for {record_id} (first: {found[record_id]})")
            found[record_id] = path
        return {
            rid: Pair(recs.get(rid), (labels[rid],) if rid in labels else ())
            for rid in recs.keys() | labels.keys()
        }

    def subject_id(self, record_id: str) -> str:
        return record_id.rsplit("/", 1)[0] if record_id.startswith("subgroupII/") else record_id

    def grid_for(self, signal: Path, scoring: Path, signal_duration_s: float) -> Grid:
        return align_labels(read_labels(scoring), signal_duration_s, scoring, max_extra=MAX_EXTRA_LABELS)

    def span_for(self, scoring: Path) -> Grid:
        stages = read_labels(scoring)
        return Grid(0.0, stages, len(stages))
