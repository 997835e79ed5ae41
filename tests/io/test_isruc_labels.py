"""ISRUC label files (sleepdg.io.isruc_labels), with the real Subgroup III files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sleepdg.errors import ReaderError
from sleepdg.io.isruc_labels import parse_isruc_txt, read_isruc_txt, read_isruc_xlsx, write_isruc_labels
from sleepdg.stages import Stage, stage_counts


def test_real_scorer_files_parse_as_they_are(realdata: Path) -> None:
    one = read_isruc_txt(realdata / "isruc/Subgroup3/1/1_1.txt")
    two = read_isruc_txt(realdata / "isruc/Subgroup3/1/1_2.txt")
    assert len(one) == len(two) == 954
    assert stage_counts(one) == {"W": 165, "N1": 119, "N2": 373, "N3": 178, "REM": 119, "UNSCORED": 0}
    assert 0.85 < float(np.mean(one == two)) < 0.9  # scorer agreement, synthetic.md §1.6: 0.877


def test_code_5_is_rem_and_crlf_or_blank_lines_do_not_matter() -> None:
    assert parse_isruc_txt("0\r\n5\r\n\r\n3\r\n", "x.txt").tolist() == [Stage.W, Stage.REM, Stage.N3]


def test_real_workbooks_of_ten_subjects_give_8589_epochs_after_dropping_30_each(realdata: Path) -> None:
    files = sorted((realdata / "isruc/Subgroup3_scorer2_xlsx").glob("*_2.xlsx"))
    assert len(files) == 10
    kept = [read_isruc_xlsx(f)[:-30] for f in files]
    assert sum(len(k) for k in kept) == 8589
    assert sum(int(np.sum(k == Stage.UNSCORED)) for k in kept) == 3  # the U epochs (synthetic.md §2.1)


def test_workbook_tells_unscored_apart_where_the_txt_writes_w(realdata: Path) -> None:
    xlsx = read_isruc_xlsx(realdata / "isruc/Subgroup3/1/1_2.xlsx")
    txt = read_isruc_txt(realdata / "isruc/Subgroup3/1/1_2.txt")
    (unscored,) = np.flatnonzero(xlsx == Stage.UNSCORED)
    assert txt[unscored] == Stage.W
    assert np.array_equal(np.delete(xlsx, unscored), np.delete(txt, unscored))


def test_an_unknown_code_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "1_1.txt"
    path.write_text("0\n1\n4\n")
    with pytest.raises(ReaderError, match=r"1_1.txt: line 3: unknown stage code '4'"):
        read_isruc_txt(path)


def test_labels_round_trip(tmp_path: Path) -> None:
    write_isruc_labels(tmp_path / "1_1.txt", [0, 1, 2, 3, 5])
    assert read_isruc_txt(tmp_path / "1_1.txt").tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="got \\[4\\]"):
        write_isruc_labels(tmp_path / "1_2.txt", [4])


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "1_2.xlsx"
    path.write_text("not a zip")
    with pytest.raises(ReaderError, match=r"not an \.xlsx workbook"):
        read_isruc_xlsx(path)
