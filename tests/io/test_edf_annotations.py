"""TAL encoding and parsing (sleepdg.io.edf_annotations)."""

from __future__ import annotations

import pytest

from sleepdg.errors import ReaderError
from sleepdg.io.edf_annotations import Annotation, encode_record_tals, encode_tal, parse_tals


def test_a_tal_encodes_onset_duration_and_text_as_the_spec_writes_them() -> None:
    assert encode_tal(30.0, 120.0, ["Sleep stage 1"]) == b"+30\x15120\x14Sleep stage 1\x14\x00"
    assert encode_tal(33.43, None, ["x"]) == b"+33.43\x14x\x14\x00"
    assert encode_tal(-0.5, 0.0, ["y"]) == b"-0.5\x150\x14y\x14\x00"


def test_record_tals_start_with_a_time_keeping_tal_that_parsing_skips() -> None:
    data = encode_record_tals(60.0, [Annotation(61.0, 30.0, "Sleep stage W")])
    assert data.startswith(b"+60\x14\x14\x00")
    assert parse_tals(data + b"\x00" * 7, "f.edf") == [Annotation(61.0, 30.0, "Sleep stage W")]


def test_one_tal_may_carry_several_texts() -> None:
    assert parse_tals(b"+1\x152\x14a\x14b\x14\x00", "f.edf") == [
        Annotation(1.0, 2.0, "a"),
        Annotation(1.0, 2.0, "b"),
    ]


def test_a_tal_with_a_bad_onset_names_the_record() -> None:
    with pytest.raises(ReaderError, match=r"f.edf: data record 3: annotation onset '12' is not \+seconds"):
        parse_tals(b"12\x14x\x14\x00", "f.edf", record=3)


def test_text_holding_a_separator_byte_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="TAL separator"):
        encode_tal(0.0, 30.0, ["bad\x14text"])
