"""HMC reader (sleepdg.datasets.hmc), with the real SN001 scoring file and the hdMTD hypnograms."""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from native_files import START, channel_signal, write_hmc

from sleepdg.datasets import HmcReader
from sleepdg.datasets.hmc import read_scoring
from sleepdg.epochs import span_runs
from sleepdg.errors import ReaderError
from sleepdg.io.edf import Annotation, write_annotations_edf
from sleepdg.io.hmc_txt import write_hmc_scoring_txt
from sleepdg.params import HmcPrepare
from sleepdg.stages import Stage, stage_counts

W, N1, N2, N3, R, U = Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.REM, Stage.UNSCORED


def test_real_sn001_scoring_counts_with_its_lights_events_dropped(realdata: Path, caplog) -> None:
    path = realdata / "hmc/SN001_sleepscoring.edf"
    with caplog.at_level("DEBUG", logger="sleepdg.datasets.hmc"):
        grid = span_runs(read_scoring(path), path)
    assert stage_counts(grid.stages) == {"W": 151, "N1": 109, "N2": 430, "N3": 23, "REM": 141, "UNSCORED": 0}
    assert "Lights off@@EEG F4-A1" in caplog.text and "Lights on@@EEG Fpz-Cz" in caplog.text


def _hdmtd(realdata: Path) -> dict[str, list[Annotation]]:
    per_patient: dict[str, list[Annotation]] = defaultdict(list)
    with (realdata / "hmc/hdMTD_sleepscoring_hmc151.csv").open() as f:
        rows = csv.reader(f)
        assert next(rows)[:6] == ["Patient", "Date", "Time", "Recording.onset", "Duration", "SleepStage"]
        for patient, _, _, onset, duration, stage, *_ in rows:
            per_patient[patient].append(Annotation(float(onset), float(duration), f"Sleep stage {stage}"))
    return per_patient


def test_151_real_hypnograms_written_as_official_files_give_the_table_totals(
    realdata: Path, tmp_path: Path
) -> None:
    patients = _hdmtd(realdata)
    assert len(patients) == 151
    for suffix in ("edf", "txt"):
        totals = dict.fromkeys(("W", "N1", "N2", "N3", "REM", "UNSCORED"), 0)
        for patient, scoring in patients.items():
            path = tmp_path / f"SN{int(patient):03d}_sleepscoring.{suffix}"
            if suffix == "edf":
                write_annotations_edf(path, scoring, start=START)
            else:
                write_hmc_scoring_txt(path, scoring, start=START)
            for name, n in stage_counts(span_runs(read_scoring(path), path).stages).items():
                totals[name] += n
        assert totals == {"W": 23_368, "N1": 15_548, "N2": 50_083, "N3": 26_671, "REM": 21_255, "UNSCORED": 0}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hmc") / "recordings"
    write_hmc(root, "SN001", [W, W, N1, N2, N2, N3, R, W])
    write_hmc(
        root, "SN002", [W, N1, N2, N2, R, W], n_signal_epochs=9, first_onset_s=60.0
    )  # scoring starts late
    write_hmc(
        root, "SN003", [W, N1, N2, N3, N3, W], n_signal_epochs=8, first_onset_s=45.0
    )  # off the signal's grid
    write_hmc(root, "SN004", [W, N2, N2, R, W, W], scoring="txt")
    return root


def test_reads_f4_m1_and_e1_m2_at_256_hz_with_the_stages(folder: Path) -> None:
    recording = HmcReader(folder, HmcPrepare()).read("SN001")
    assert recording.stages.tolist() == [W, W, N1, N2, N2, N3, R, W]
    eeg, eog = recording.signals["eeg"], recording.signals["eog"]
    assert (eeg.label, eog.label, eeg.sfreq_hz) == ("EEG F4-M1", "EOG E1-M2", 256.0)
    np.testing.assert_allclose(
        eeg.data, channel_signal(0, 8 * 30 * 256, 256.0), atol=0.02
    )  # ±500 µV, 16 bits
    np.testing.assert_allclose(eog.data, channel_signal(5, 8 * 30 * 256, 256.0), atol=0.02)
    assert recording.subject_id == "SN001"


def test_scoring_that_starts_late_leaves_leading_epochs_unscored(folder: Path) -> None:
    recording = HmcReader(folder, HmcPrepare()).read("SN002")
    assert recording.stages.tolist() == [U, U, W, N1, N2, N2, R, W, U]


def test_scoring_off_the_signal_grid_crops_the_signal_to_epoch_0(folder: Path) -> None:
    recording = HmcReader(folder, HmcPrepare()).read("SN003")
    assert recording.stages.tolist() == [U, W, N1, N2, N3, N3, W]  # epoch 0 = 15-45 s; (240 - 15) // 30 = 7
    eeg = recording.signals["eeg"]
    np.testing.assert_allclose(eeg.data[:256], channel_signal(0, 16 * 256, 256.0)[15 * 256 :], atol=0.02)


def test_text_scoring_is_used_when_there_is_no_edf_scoring(folder: Path) -> None:
    reader = HmcReader(folder, HmcPrepare())
    assert reader.source_files("SN004")[1].name == "SN004_sleepscoring.txt"
    assert reader.read("SN004").stages.tolist() == [W, N2, N2, R, W, W]
    assert reader.source_files("SN001")[1].name == "SN001_sleepscoring.edf"


def test_edf_and_text_scoring_give_the_same_stages(folder: Path, tmp_path: Path) -> None:
    shutil.copy(folder / "SN001.edf", tmp_path)
    write_hmc(tmp_path / "t", "SN001", [W, W, N1, N2, N2, N3, R, W], scoring="txt")
    (tmp_path / "t/SN001.edf").unlink()
    reader = HmcReader(tmp_path, HmcPrepare())
    assert (
        reader.read("SN001").stages.tolist() == HmcReader(folder, HmcPrepare()).read("SN001").stages.tolist()
    )


def test_an_rk_label_is_unknown_to_hmc(tmp_path: Path) -> None:
    path = tmp_path / "SN009_sleepscoring.edf"
    write_annotations_edf(
        path, [Annotation(0, 30, "Sleep stage W"), Annotation(30, 30, "Sleep stage 2")], start=START
    )
    with pytest.raises(
        ReaderError, match=r"SN009_sleepscoring.edf: unknown stage label 'Sleep stage 2' at 30 s"
    ):
        read_scoring(path)


def test_psg_without_scoring_and_scoring_without_psg_are_errors(folder: Path, tmp_path: Path) -> None:
    shutil.copy(folder / "SN001.edf", tmp_path)
    shutil.copy(folder / "SN002_sleepscoring.edf", tmp_path)
    reader = HmcReader(tmp_path, HmcPrepare())
    assert reader.record_ids() == ["SN001", "SN002"]
    with pytest.raises(ReaderError, match=r"SN001.edf: signal file without its sleep-scoring file"):
        reader.read("SN001")
    with pytest.raises(
        ReaderError, match=r"SN002_sleepscoring.edf: sleep-scoring file without its signal file"
    ):
        reader.read("SN002")


def test_scoring_covering_less_than_half_the_signal_is_an_error(tmp_path: Path) -> None:
    write_hmc(tmp_path, "SN005", [W, N1, N2, N2], n_signal_epochs=10)
    with pytest.raises(
        ReaderError, match=r"SN005_sleepscoring.edf: scoring covers 4 of the signal's 10 epochs"
    ):
        HmcReader(tmp_path, HmcPrepare()).read("SN005")
