"""WFDB .hea/.mat, .arousal and v7.3 -arousal.mat (sleepdg.io.wfdb_io)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sleepdg.errors import ReaderError
from sleepdg.io.wfdb_io import (
    read_arousal_annotations,
    read_arousal_mat,
    read_mat_channels,
    read_wfdb_header,
    write_arousal_annotations,
    write_arousal_mat,
    write_mat_record,
)

N = 200 * 30 * 3 + 123


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    folder = tmp_path_factory.mktemp("wfdb")
    digital = np.random.default_rng(0).integers(-2000, 2000, size=(3, N)).astype(np.int16)
    gains, units, baselines = [1.0, 655.35, 1000.0], ["uV", "%", "mV"], [0, -32768, 0]
    labels = ["C3-M2", "SaO2", "ECG"]
    write_mat_record(
        folder, "tr01-0001", labels, digital, 200.0, gains=gains, units=units, baselines=baselines
    )
    return folder / "tr01-0001.hea", digital


def test_header_is_crlf_format_16_plus_24_like_the_official_files(record: tuple[Path, np.ndarray]) -> None:
    hea, _ = record
    lines = hea.read_bytes().split(b"\r\n")
    assert lines[0] == f"tr01-0001 3 200 {N}".encode()
    assert lines[1].startswith(b"tr01-0001.mat 16+24 1/uV 16 0 ")
    assert b" 655.35(-32768)/% 16 0 " in lines[2]
    assert hea.with_suffix(".mat").stat().st_size == 24 + 2 * 3 * N


def test_mat_channels_read_back_in_microvolts(record: tuple[Path, np.ndarray]) -> None:
    hea, digital = record
    header = read_wfdb_header(hea)
    assert header.labels == ("C3-M2", "SaO2", "ECG") and header.n_samples == N
    values = read_mat_channels(header, ["ECG", "C3-M2"])
    np.testing.assert_allclose(values["C3-M2"], digital[0])
    np.testing.assert_allclose(values["ECG"], digital[2] / 1000.0 * 1000.0, rtol=1e-6)  # mV -> µV


def test_mat_is_read_in_chunks_that_join_seamlessly(record: tuple[Path, np.ndarray], monkeypatch) -> None:
    import sleepdg.io.wfdb_io as wfdb_io

    monkeypatch.setattr(wfdb_io, "_CHUNK_SAMPLES", 7000)
    values = read_mat_channels(read_wfdb_header(record[0]), ["C3-M2"])
    np.testing.assert_array_equal(values["C3-M2"], record[1][0].astype(np.float32))


def test_real_hea_parses_without_its_mat(realdata: Path) -> None:
    header = read_wfdb_header(realdata / "p2018/tr03-0005.hea", check_mat=False)
    assert header.n_samples == 5_147_000 and header.sfreq_hz == 200.0
    assert header.labels[2] == "C3-M2" and header.labels[6] == "E1-M2"
    assert header.gains[11] == 655.35 and header.baselines[11] == -32768 and header.units[12] == "mV"


def test_hea_naming_a_missing_mat_is_an_error(realdata: Path) -> None:
    with pytest.raises(
        ReaderError, match=r"tr03-0005.hea: names the signal file tr03-0005.mat, which does not exist"
    ):
        read_wfdb_header(realdata / "p2018/tr03-0005.hea")


def test_mat_whose_size_disagrees_with_its_header_is_an_error(
    record: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    hea = tmp_path / "tr01-0001.hea"
    hea.write_bytes(record[0].read_bytes())
    (tmp_path / "tr01-0001.mat").write_bytes(record[0].with_suffix(".mat").read_bytes()[:-6])
    with pytest.raises(ReaderError, match=rf"bytes, but tr01-0001.hea describes 3 channels x {N} samples"):
        read_wfdb_header(hea)


def test_arousal_annotations_round_trip_with_aux_notes(tmp_path: Path) -> None:
    notes = ["W", "(resp_hypopnea", "resp_hypopnea)", "N1"]
    write_arousal_annotations(tmp_path, "tr01-0002", [6000, 7000, 9000, 12000], notes, 200.0)
    samples, got, fs = read_arousal_annotations(tmp_path / "tr01-0002.arousal")
    assert samples.tolist() == [6000, 7000, 9000, 12000] and got == notes and fs == 200.0


def test_real_arousal_file_holds_stage_notes_and_event_pairs(realdata: Path) -> None:
    samples, notes, _ = read_arousal_annotations(realdata / "p2018/tr03-0005.arousal")
    assert len(samples) == 240 and samples[0] == 72_000 and notes[:2] == ["W", "N1"]
    assert notes.count("(arousal_rera") == notes.count("arousal_rera)") == 27


def test_arousal_mat_round_trip_undoes_the_one_sample_shift(tmp_path: Path) -> None:
    stages = np.full(6000 * 4 + 50, -1, dtype=np.int8)
    stages[6000:12000], stages[12000:] = 0, 2
    path = tmp_path / "tr01-0003-arousal.mat"
    write_arousal_mat(path, stages, np.zeros(len(stages)))
    assert path.read_bytes()[:19] == b"MATLAB 7.3 MAT-file" and path.read_bytes()[126:128] == b"IM"
    got, arousals = read_arousal_mat(path)
    np.testing.assert_array_equal(got, stages)
    assert arousals.shape == stages.shape


def test_real_arousal_mat_stage_changes_fall_on_the_arousal_file_samples(realdata: Path) -> None:
    stages, arousals = read_arousal_mat(realdata / "p2018/tr03-0005-arousal.mat")
    samples, notes, _ = read_arousal_annotations(realdata / "p2018/tr03-0005.arousal")
    changes = (np.flatnonzero(np.diff(stages)) + 1).tolist()
    stage_samples = [int(s) for s, n in zip(samples, notes, strict=True) if n in {"W", "N1", "N2", "N3", "R"}]
    assert set(changes) <= set(stage_samples) and changes[0] == 72_000
    assert len(stages) == 5_147_000 and set(np.unique(arousals)) == {-1.0, 0.0, 1.0}


def test_a_file_that_is_not_a_v73_mat_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x-arousal.mat"
    bad.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    with pytest.raises(ReaderError, match=r"not a P2018 v7\.3 -arousal\.mat"):
        read_arousal_mat(bad)
