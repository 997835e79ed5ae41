"""ISRUC-Sleep scoring: the per-scorer ``<n>_<k>.txt`` codes and the ``<n>_<k>.xlsx`` workbooks.

The ``.txt`` holds one integer per line (0 W, 1 N1, 2 N2, 3 N3, 5 REM; 4 is unused) and writes
an unscored epoch as 0; the workbook's ``Stage`` column (W/N1/N2/N3/R/U) tells ``U`` apart
(datasets.md B.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sleepdg.atomic import atomic_path
from sleepdg.errors import ReaderError
from sleepdg.stages import Stage

CODE_TO_STAGE: dict[int, Stage] = {0: Stage.W, 1: Stage.N1, 2: Stage.N2, 3: Stage.N3, 5: Stage.REM}
XLSX_TO_STAGE: dict[str, Stage] = {
    "W": Stage.W,
    "N1": Stage.N1,
    "N2": Stage.N2,
    "N3": Stage.N3,
    "R": Stage.REM,
    "U": Stage.UNSCORED,
    # Subgroup III subject 9's last 6 rows hold "N", not a stage: unscored (synthetic.md §2.5).
    "N": Stage.UNSCORED,
}


def parse_isruc_txt(text: str, path: Path | str) -> np.ndarray:
    """Stages (n_epochs,) int8 of an ISRUC label text; blank lines are skipped.

    Raises
    ------
    ReaderError
        A line that is not one of the codes 0, 1, 2, 3, 5 (its line number and text named).
    """
    stages = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if not value:
            continue
        try:
            stages.append(CODE_TO_STAGE[int(value)])
        except (ValueError, KeyError):
            raise ReaderError(
                path, f"line {line_no}: unknown stage code {value!r} (expected 0, 1, 2, 3 or 5)"
            ) from None
    return np.asarray(stages, dtype=np.int8)


def read_isruc_txt(path: Path | str) -> np.ndarray:
    """Stages (n_epochs,) int8 of ``<n>_<k>.txt``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    return parse_isruc_txt(text, path)


def write_isruc_labels(path: Path, codes: Sequence[int]) -> None:
    """Write ``<n>_<k>.txt``: one ISRUC code per line (0 W, 1 N1, 2 N2, 3 N3, 5 REM)."""
    bad = sorted({int(c) for c in codes} - set(CODE_TO_STAGE))
    if bad:
        raise ValueError(f"{path}: ISRUC codes must be 0, 1, 2, 3 or 5, got {bad}")
    with atomic_path(Path(path)) as tmp:
        tmp.write_text("".join(f"{int(c)}\n" for c in codes))


def read_isruc_xlsx(path: Path | str) -> np.ndarray:
    """Stages (n_epochs,) int8 from the ``Stage`` column of a scorer workbook (``U`` unscored).

    Raises
    ------
    ReaderError
        Not a workbook, no ``Epoch``/``Stage`` header, epochs out of order, or an unknown stage.
    """
    import openpyxl

    path = Path(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException
        raise ReaderError(path, f"not an .xlsx workbook: {exc}") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        head = next(rows, ())
        if tuple(str(v).strip() for v in head[:2]) != ("Epoch", "Stage"):
            raise ReaderError(path, f"first columns are {list(head[:2])}, expected ['Epoch', 'Stage']")
        stages: list[Stage] = []
        for row_no, row in enumerate(rows, start=2):
            if row[0] is None:
                continue
            label = str(row[1]).strip() if row[1] is not None else ""
            if label not in XLSX_TO_STAGE:
                raise ReaderError(
                    path, f"row {row_no}: unknown stage {label!r} (expected W, N1, N2, N3, R or U)"
                )
            if row[0] != len(stages) + 1:
                raise ReaderError(path, f"row {row_no}: epoch {row[0]!r}, expected {len(stages) + 1}")
            stages.append(XLSX_TO_STAGE[label])
    finally:
        book.close()
    return np.asarray(stages, dtype=np.int8)
