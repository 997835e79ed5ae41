"""EDF / EDF+ reading and writing (sleepdg.io.edf, sleepdg.io.edf_header)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from native_files import START, channel_signal, edf_channels

from sleepdg.errors import ReaderError
from sleepdg.io.edf import (
    Annotation,
    EdfChannel,
    read_edf_annotations,
    read_edf_channels,
    read_edf_header,
    write_annotations_edf,
    write_edf,
)

LABELS = ("EEG F4-M1", "EMG chin", "EOG E1-M2", "Resp")


@pytest.fixture(scope="module")
def psg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("edf") / "psg.edf"
    write_edf(path, edf_channels(LABELS, (256, 256, 256, 1), 120.0), start=START, record_duration_s=1.0)
    return path


def test_header_reports_labels_rates_duration_and_start(psg: Path) -> None:
    header = read_edf_header(psg)
    assert header.labels == list(LABELS)
    assert [header.sfreq_hz(label) for label in LABELS] == [256, 256, 256, 1]
    assert header.duration_s == 120.0
    assert header.start == START
    assert not header.is_edf_plus


def test_written_values_read_back_within_one_quantisation_step(psg: Path) -> None:
    values = read_edf_channels(read_edf_header(psg), ["EOG E1-M2"])
    step = 1000.0 / 65535  # ±500 µV over 16 bits
    expected = channel_signal(2, 256 * 120, 256.0)
    assert values["EOG E1-M2"].dtype == np.float32
    np.testing.assert_allclose(values["EOG E1-M2"], expected, atol=step / 2 + 1e-3)


def test_reader_returns_only_the_channels_asked_for(psg: Path) -> None:
    values = read_edf_channels(read_edf_header(psg), ["Resp", "EEG F4-M1"])
    assert sorted(values) == ["EEG F4-M1", "Resp"]
    assert len(values["Resp"]) == 120 and len(values["EEG F4-M1"]) == 256 * 120


def test_values_outside_the_physical_range_are_clipped(tmp_path: Path) -> None:
    data = np.array([-900.0, -10.0, 0.0, 10.0, 900.0] * 20)
    path = tmp_path / "clip.edf"
    write_edf(path, [EdfChannel("EEG", data, 100.0, (-500.0, 500.0))], start=START, record_duration_s=1.0)
    got = read_edf_channels(read_edf_header(path), ["EEG"])["EEG"]
    assert got.max() == pytest.approx(500.0) and got.min() == pytest.approx(-500.0)
    assert got[1] == pytest.approx(-10.0, abs=0.01)


def test_rec_suffix_is_written_and_read_as_edf(tmp_path: Path) -> None:
    path = tmp_path / "1.rec"
    write_edf(path, edf_channels(("F4-A1", "LOC-A2"), 200.0, 60.0), start=START)
    assert read_edf_header(path).labels == ["F4-A1", "LOC-A2"]


def test_edf_plus_with_signals_keeps_annotations_in_their_records(tmp_path: Path) -> None:
    path = tmp_path / "plus.edf"
    annotations = [Annotation(0.0, 30.0, "Sleep stage W"), Annotation(33.43, 0.0, "Lights off@@EEG F4-A1"),
                   Annotation(65.5, None, "spike")]  # fmt: skip
    write_edf(path, edf_channels(("EEG",), 100.0, 90.0), start=START, annotations=annotations)
    header = read_edf_header(path)
    assert header.is_edf_plus and header.labels == ["EEG"]
    assert read_edf_annotations(path) == annotations
    assert header.recording.startswith("Startdate 01-JAN-2001")


def test_written_files_are_readable_by_edfio_pyedflib_and_mne(tmp_path: Path) -> None:
    import edfio
    import mne
    import pyedflib

    psg_path, hyp_path = tmp_path / "p.edf", tmp_path / "h.edf"
    write_edf(
        psg_path,
        edf_channels(("EEG", "EMG"), (100, 1), 60.0),
        start=START,
        annotations=[Annotation(1, 30, "x")],
    )
    write_annotations_edf(
        hyp_path, [Annotation(0, 30, "Sleep stage W"), Annotation(30, 60, "Sleep stage 2")], start=START
    )
    assert edfio.read_edf(psg_path).labels == ("EEG", "EMG")
    assert [a.text for a in edfio.read_edf(hyp_path).annotations] == ["Sleep stage W", "Sleep stage 2"]
    with pyedflib.EdfReader(str(psg_path)) as reader:
        assert reader.getSignalLabels() == ["EEG", "EMG"]
    assert list(mne.read_annotations(hyp_path).description) == ["Sleep stage W", "Sleep stage 2"]


def test_real_sleep_edf_crop_reads_with_its_channel_names_and_rates(realdata: Path) -> None:
    header = read_edf_header(realdata / "sleepedf/psg_crops/short_psg.edf")
    assert header.labels[:3] == ["EEG Fpz-Cz", "EEG Pz-Oz", "EOG horizontal"]
    assert [header.sfreq_hz(x) for x in header.labels] == [100, 100, 100, 1, 1, 1, 1]
    assert header.duration_s == 300.0 and header.start == datetime(1989, 4, 24, 16, 13)
    eeg = read_edf_channels(header, ["EEG Fpz-Cz"])["EEG Fpz-Cz"]
    assert len(eeg) == 30_000 and 15 < float(np.std(eeg)) < 40  # µV, real afternoon wake


def test_real_hypnogram_annotations_parse(realdata: Path) -> None:
    annotations = read_edf_annotations(realdata / "sleepedf/hypnogram_edf/SC4001EC-Hypnogram.edf")
    assert len(annotations) == 154
    assert annotations[0] == Annotation(0.0, 30630.0, "Sleep stage W")
    assert annotations[-1] == Annotation(79500.0, 6900.0, "Sleep stage ?")


# ---------------------------------------------------------------------------------------------
# bad input


def _corrupt(path: Path, offset: int, data: bytes) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(data)] = data
    path.write_bytes(bytes(raw))


def test_truncated_file_names_records_promised_and_bytes_found(psg: Path, tmp_path: Path) -> None:
    bad = tmp_path / "truncated.edf"
    bad.write_bytes(psg.read_bytes()[:-1000])
    with pytest.raises(ReaderError, match=r"truncated: the header promises 120 data records .* file has"):
        read_edf_header(bad)


def test_non_numeric_header_field_is_named(psg: Path, tmp_path: Path) -> None:
    bad = tmp_path / "nonnumeric.edf"
    bad.write_bytes(psg.read_bytes())
    _corrupt(bad, 236, b"12x     ")  # number of data records
    with pytest.raises(ReaderError, match=r"'number of data records' is '12x', not a number"):
        read_edf_header(bad)


def test_non_numeric_signal_field_names_the_signal(psg: Path, tmp_path: Path) -> None:
    bad = tmp_path / "physmin.edf"
    bad.write_bytes(psg.read_bytes())
    n = len(LABELS)
    _corrupt(bad, 256 + n * (16 + 80 + 8), b"abc     ")  # physical minimum of signal 0
    with pytest.raises(ReaderError, match=r"physical minimum of signal 0 \('EEG F4-M1'\)"):
        read_edf_header(bad)


def test_header_byte_count_must_match_the_signal_count(psg: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bytes.edf"
    bad.write_bytes(psg.read_bytes())
    _corrupt(bad, 184, b"512     ")
    with pytest.raises(ReaderError, match=r"header bytes field says 512, expected 256 \* \(4 signals \+ 1\)"):
        read_edf_header(bad)


def test_a_file_that_is_not_edf_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.edf"
    bad.write_text("hello")
    with pytest.raises(ReaderError, match="not an EDF file"):
        read_edf_header(bad)


def test_missing_signal_label_lists_what_the_file_has(psg: Path) -> None:
    with pytest.raises(ReaderError, match=r"no signal labelled 'C3'; the file has \['EEG F4-M1'"):
        read_edf_channels(read_edf_header(psg), ["C3"])


def test_writer_refuses_a_rate_that_is_not_whole_per_record(tmp_path: Path) -> None:
    channel = EdfChannel("EEG", np.zeros(256), 256.0, (-1.0, 1.0))
    with pytest.raises(ValueError, match="not a whole number of samples per record"):
        write_edf(tmp_path / "x.edf", [channel], start=START, record_duration_s=0.3)
    assert not (tmp_path / "x.edf").exists()


def test_writer_refuses_channels_of_different_durations(tmp_path: Path) -> None:
    a = EdfChannel("A", np.zeros(200), 100.0, (-1.0, 1.0))
    b = EdfChannel("B", np.zeros(300), 100.0, (-1.0, 1.0))
    with pytest.raises(ValueError, match="same duration"):
        write_edf(tmp_path / "x.edf", [a, b], start=START, record_duration_s=1.0)


def test_writer_refuses_a_label_longer_than_its_field(tmp_path: Path) -> None:
    channel = EdfChannel("A label far too long", np.zeros(100), 100.0, (-1.0, 1.0))
    with pytest.raises(ValueError, match="the field holds 16"):
        write_edf(tmp_path / "x.edf", [channel], start=START, record_duration_s=1.0)


def test_discontinuous_edf_plus_signals_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.edf"
    write_edf(path, edf_channels(("EEG",), 100.0, 60.0), start=START, annotations=[])
    _corrupt(path, 192, b"EDF+D")
    with pytest.raises(ReaderError, match=r"EDF\+D \(discontinuous\) signals are not supported"):
        read_edf_channels(read_edf_header(path), ["EEG"])
