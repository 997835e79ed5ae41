"""PhysioNet/CinC 2018 reader (sleepdg.datasets.p2018), with the official tr03-0005 files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from native_files import channel_signal, write_p2018

from sleepdg.datasets import P2018Reader
from sleepdg.datasets.p2018 import arousal_stage_runs
from sleepdg.errors import ReaderError
from sleepdg.io.wfdb_io import write_arousal_annotations
from sleepdg.params import P2018Prepare
from sleepdg.stages import Stage, stage_counts

W, N1, N2, N3, R, U = Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.REM, Stage.UNSCORED
TR03_0005 = {"W": 367, "N1": 58, "N2": 267, "N3": 72, "REM": 81, "UNSCORED": 12}


@pytest.fixture(scope="module")
def official(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("p2018")
    folder = root / "training/tr03-0005"
    folder.mkdir(parents=True)
    for name in ("tr03-0005.hea", "tr03-0005.arousal", "tr03-0005-arousal.mat"):
        shutil.copy(realdata / "p2018" / name, folder)
    return root


@pytest.mark.parametrize("labels", ["arousal", "mat"])
def test_official_record_gives_the_whole_epoch_counts(official: Path, labels: str) -> None:
    reader = P2018Reader(official, P2018Prepare(labels=labels))  # type: ignore[arg-type]
    assert reader.record_ids() == ["tr03-0005"]
    grid = reader.read_grid("tr03-0005")
    assert stage_counts(grid.stages) == TR03_0005 and len(grid.stages) == 857
    assert grid.offset_s == 0.0 and grid.stages[:12].tolist() == [U] * 12 and grid.stages[12] == W
    assert reader.signal_info("tr03-0005").duration_s == 5_147_000 / 200  # 857 epochs + 5,000 samples


def test_the_arousal_mat_agrees_epoch_by_epoch_with_the_arousal_file(official: Path) -> None:
    a = P2018Reader(official, P2018Prepare(labels="arousal")).read_grid("tr03-0005").stages
    b = P2018Reader(official, P2018Prepare(labels="mat")).read_grid("tr03-0005").stages
    np.testing.assert_array_equal(a, b)


def test_the_official_hea_without_its_mat_fails_only_when_signals_are_read(official: Path) -> None:
    with pytest.raises(
        ReaderError, match=r"tr03-0005.hea: names the signal file tr03-0005.mat, which does not exist"
    ):
        P2018Reader(official, P2018Prepare()).read("tr03-0005")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("p2018syn")
    write_p2018(
        root / "training/tr01-0001",
        "tr01-0001",
        [W, W, N1, N2, N2, N3, R, W],
        lead_epochs=2,
        partial_samples=500,
    )
    return root


@pytest.mark.parametrize("labels", ["arousal", "mat"])
def test_leading_undefined_span_is_unscored_and_the_trailing_partial_epoch_kept_in_the_signal(
    synthetic: Path, labels: str
) -> None:
    recording = P2018Reader(synthetic, P2018Prepare(labels=labels)).read("tr01-0001")  # type: ignore[arg-type]
    assert recording.stages.tolist() == [U, U, W, W, N1, N2, N2, N3, R, W]
    eeg, eog = recording.signals["eeg"], recording.signals["eog"]
    assert (eeg.label, eog.label, eeg.sfreq_hz) == ("C3-M2", "E1-M2", 200.0)
    n = 10 * 6000 + 500
    np.testing.assert_allclose(eog.data, np.rint(channel_signal(6, n, 200.0)))  # 1 adu/µV
    assert eeg.data.dtype == np.float32 and len(eeg.data) == n


def test_the_mat_signal_file_must_have_the_size_its_header_implies(synthetic: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tr01-0001"
    shutil.copytree(synthetic / "training/tr01-0001", folder)
    mat = folder / "tr01-0001.mat"
    mat.write_bytes(mat.read_bytes()[: mat.stat().st_size - 26])
    with pytest.raises(
        ReaderError, match=r"tr01-0001.mat: \d+ bytes, but tr01-0001.hea describes 13 channels"
    ):
        P2018Reader(tmp_path, P2018Prepare()).read("tr01-0001")


def test_a_stage_change_off_the_30_s_grid_is_an_error(synthetic: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tr01-0001"
    shutil.copytree(synthetic / "training/tr01-0001", folder)
    write_arousal_annotations(folder, "tr01-0001", [12_000, 15_000], ["W", "N1"], 200.0)
    with pytest.raises(
        ReaderError, match=r"tr01-0001.arousal: stage annotation at 60 s lasts 15 s, not a multiple"
    ):
        P2018Reader(tmp_path, P2018Prepare()).read("tr01-0001")


def test_an_unknown_note_is_an_error_and_event_pairs_are_not_stages() -> None:
    runs = arousal_stage_runs(
        [0, 100, 200, 6000], ["W", "(arousal_rera", "arousal_rera)", "N2"], 12_000, 200.0, "a"
    )
    assert [(r.onset_s, r.duration_s, r.stage) for r in runs] == [(0.0, 30.0, W), (30.0, 30.0, N2)]
    with pytest.raises(ReaderError, match=r"a: unknown stage label 'N4' at sample 6000"):
        arousal_stage_runs([0, 6000], ["W", "N4"], 12_000, 200.0, "a")


def test_an_arousal_file_without_its_header_is_an_error(official: Path, tmp_path: Path) -> None:
    shutil.copy(official / "training/tr03-0005/tr03-0005.arousal", tmp_path)
    with pytest.raises(ReaderError, match=r"tr03-0005.arousal: arousal file without its signal file"):
        P2018Reader(tmp_path, P2018Prepare()).read("tr03-0005")
