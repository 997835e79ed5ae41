"""ISRUC-Sleep reader (sleepdg.datasets.isruc)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from native_files import ISRUC_M, START, channel_signal, edf_channels, write_isruc

from sleepdg.datasets import IsrucReader
from sleepdg.errors import ReaderError
from sleepdg.io.edf import write_edf
from sleepdg.io.isruc_labels import write_isruc_labels
from sleepdg.params import IsrucPrepare
from sleepdg.stages import Stage

W, N1, N2, N3, R, U = Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.REM, Stage.UNSCORED
STAGES = [W, N1, N2, N3, N3, R, W, N2]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("isruc")
    write_isruc(base / "subgroupI/12", 12, STAGES)
    write_isruc(base / "subgroupI/57", 57, STAGES, labels=ISRUC_M)  # the newer M1/M2 montage
    write_isruc(base / "subgroupII/3/1", 1, STAGES, extra=0)
    write_isruc(base / "subgroupII/3/2", 2, STAGES[:6], extra=5)
    write_isruc(base / "subgroupIII/1", 1, STAGES)
    return base


def test_record_ids_follow_subgroups_subjects_and_sessions(root: Path) -> None:
    reader = IsrucReader(root, IsrucPrepare())
    assert reader.record_ids() == [
        "subgroupI/12",
        "subgroupI/57",
        "subgroupII/3/1",
        "subgroupII/3/2",
        "subgroupIII/1",
    ]
    assert reader.subject_id("subgroupII/3/1") == reader.subject_id("subgroupII/3/2") == "subgroupII/3"
    assert reader.subject_id("subgroupI/12") == "subgroupI/12"
    assert [p.name for p in reader.source_files("subgroupII/3/2")] == ["2.rec", "2_1.txt"]


def test_rec_reads_f4_a1_and_loc_a2_with_the_30_extra_labels_cut(root: Path) -> None:
    recording = IsrucReader(root, IsrucPrepare()).read("subgroupIII/1")
    assert recording.stages.tolist() == STAGES
    eeg, eog = recording.signals["eeg"], recording.signals["eog"]
    assert (eeg.label, eog.label, eeg.sfreq_hz) == ("F4-A1", "LOC-A2", 200.0)
    np.testing.assert_allclose(eeg.data, channel_signal(5, 8 * 6000, 200.0), atol=0.02)  # F4-A1 is column 5


def test_the_m_montage_is_matched_by_the_default_aliases(root: Path) -> None:
    recording = IsrucReader(root, IsrucPrepare()).read("subgroupI/57")
    assert (recording.signals["eeg"].label, recording.signals["eog"].label) == ("F4-M1", "E1-M2")


def test_a_monopolar_subject_is_re_referenced_by_derivation(tmp_path: Path) -> None:
    folder = tmp_path / "subgroupI/40"
    labels = ("ROC", "A1", "LOC", "A2", "C4", "O2", "C3", "O1", "F4", "F3")
    folder.mkdir(parents=True)
    write_edf(folder / "40.rec", edf_channels(labels, 200.0, 240.0), start=START)
    write_isruc_labels(folder / "40_1.txt", [0] * 8)
    recording = IsrucReader(tmp_path, IsrucPrepare()).read("subgroupI/40")
    eeg = recording.signals["eeg"]
    assert eeg.label == "F4 - A1"
    np.testing.assert_allclose(
        eeg.data, channel_signal(8, 48_000, 200.0) - channel_signal(1, 48_000, 200.0), atol=0.05
    )


def test_up_to_30_extra_labels_are_cut(root: Path) -> None:
    assert IsrucReader(root, IsrucPrepare()).read_grid("subgroupII/3/2").stages.tolist() == STAGES[:6]


def test_shorter_labels_leave_the_end_unscored(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "subgroupIII", tmp_path / "subgroupIII")
    write_isruc_labels(tmp_path / "subgroupIII/1/1_1.txt", [0, 1, 2, 3, 3, 5])
    assert IsrucReader(tmp_path, IsrucPrepare()).read_grid("subgroupIII/1").stages.tolist() == [
        *STAGES[:6],
        U,
        U,
    ]


def test_scorer_2_is_read_when_configured(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "subgroupIII", tmp_path / "subgroupIII")
    write_isruc_labels(tmp_path / "subgroupIII/1/1_2.txt", [5] * 8)
    recording = IsrucReader(tmp_path, IsrucPrepare(scorer=2)).read("subgroupIII/1")
    assert recording.stages.tolist() == [R] * 8
    assert recording.source[1].name == "1_2.txt"


def test_workbook_labels_tell_unscored_from_wake(realdata: Path, tmp_path: Path) -> None:
    folder = tmp_path / "subgroupIII/1"
    folder.mkdir(parents=True)
    write_edf(
        folder / "1.rec",
        edf_channels(("F4-A1", "LOC-A2"), 10.0, 924 * 30.0),
        start=START,
        record_duration_s=30.0,
    )
    shutil.copy(realdata / "isruc/Subgroup3/1/1_2.xlsx", folder)
    shutil.copy(realdata / "isruc/Subgroup3/1/1_2.txt", folder)
    xlsx = IsrucReader(tmp_path, IsrucPrepare(scorer=2, labels="xlsx")).read_grid("subgroupIII/1").stages
    txt = IsrucReader(tmp_path, IsrucPrepare(scorer=2)).read_grid("subgroupIII/1").stages
    assert len(xlsx) == len(txt) == 924  # 954 labels, 30 cut
    (unscored,) = np.flatnonzero(xlsx != txt)
    assert xlsx[unscored] == U and txt[unscored] == W


def test_a_label_file_more_than_30_epochs_longer_than_the_signal_is_an_error(
    root: Path, tmp_path: Path
) -> None:
    shutil.copytree(root / "subgroupIII", tmp_path / "subgroupIII")
    write_isruc_labels(tmp_path / "subgroupIII/1/1_1.txt", [0] * (8 + 31))
    with pytest.raises(
        ReaderError, match=r"1_1.txt: 39 labels for 8 epochs of signal \(31 extra; at most 30"
    ):
        IsrucReader(tmp_path, IsrucPrepare()).read("subgroupIII/1")


def test_a_rec_without_labels_is_an_error(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "subgroupIII", tmp_path / "subgroupIII")
    (tmp_path / "subgroupIII/1/1_1.txt").unlink()
    with pytest.raises(ReaderError, match=r"1.rec: signal file without its label file"):
        IsrucReader(tmp_path, IsrucPrepare()).read("subgroupIII/1")


def test_a_file_outside_a_subgroup_folder_is_an_error(tmp_path: Path) -> None:
    write_isruc(tmp_path / "data" / "1", 1, STAGES)
    with pytest.raises(ReaderError, match="cannot tell the ISRUC subgroup"):
        IsrucReader(tmp_path / "data", IsrucPrepare()).record_ids()
