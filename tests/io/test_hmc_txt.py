"""HMC scoring text (sleepdg.io.hmc_txt)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sleepdg.errors import ReaderError
from sleepdg.io.edf import read_edf_annotations
from sleepdg.io.hmc_txt import parse_hmc_scoring_txt, read_hmc_scoring_txt, write_hmc_scoring_txt


def test_real_edf_scoring_written_as_text_reads_back_identically(realdata: Path, tmp_path: Path) -> None:
    annotations = read_edf_annotations(realdata / "hmc/SN001_sleepscoring.edf")
    path = tmp_path / "SN001_sleepscoring.txt"
    write_hmc_scoring_txt(path, annotations, start=datetime(2001, 1, 1, 23, 59, 30))
    lines = path.read_text().splitlines()
    assert lines[0] == "Date, Time, Recording onset, Duration, Annotation, Linked channel"
    assert lines[1] == "01.01.01, 23.59.30, 0, 30, Sleep stage W, "
    assert lines[3] == "02.01.01, 00.00.03, 33.43, 0, Lights off, EEG F4-A1"  # date rolls over at midnight
    assert read_hmc_scoring_txt(path) == sorted(annotations, key=lambda a: a.onset_s)


def test_a_row_without_six_fields_names_its_line() -> None:
    text = "Date, Time, Recording onset, Duration, Annotation, Linked channel\n01.01.01, 23.00.00, 0, 30\n"
    with pytest.raises(ReaderError, match=r"x.txt: line 2: 4 fields, expected 6"):
        parse_hmc_scoring_txt(text, "x.txt")


def test_a_missing_header_is_an_error() -> None:
    with pytest.raises(ReaderError, match="first line is not the header"):
        parse_hmc_scoring_txt("01.01.01, 23.00.00, 0, 30, Sleep stage W, \n", "x.txt")
