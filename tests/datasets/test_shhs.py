"""SHHS reader (sleepdg.datasets.shhs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from native_files import SHHS_LABELS, SHHS_RATES, channel_signal, write_shhs

from sleepdg.datasets import ShhsReader
from sleepdg.errors import ReaderError
from sleepdg.io.nsrr_xml import write_nsrr_xml
from sleepdg.params import ShhsPrepare
from sleepdg.stages import Stage

W, N1, N2, N3, R, U = Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.REM, Stage.UNSCORED
CODES = [0, 0, 1, 2, 3, 4, 5, 6, 9, 2, 0, 0]
EXPECTED = [W, W, N1, N2, N3, N3, R, U, U, N2, W, W]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("shhs") / "polysomnography"
    write_shhs(base / "edfs/shhs1", "shhs1-200001", CODES)
    write_shhs(base / "edfs/shhs2", "shhs2-200001", CODES[:10])
    for path in base.rglob("*.xml"):  # the NSRR layout keeps annotations in their own folders
        kind = "nsrr" if path.name.endswith("-nsrr.xml") else "profusion"
        target = base / f"annotations-events-{kind}" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    return base


def test_visit_1_is_read_by_default_and_visit_2_on_request(root: Path) -> None:
    assert ShhsReader(root, ShhsPrepare()).record_ids() == ["shhs1-200001"]
    reader = ShhsReader(root, ShhsPrepare(visit=2))
    assert reader.record_ids() == ["shhs2-200001"]
    assert (
        reader.subject_id("shhs2-200001")
        == ShhsReader(root, ShhsPrepare()).subject_id("shhs1-200001")
        == "200001"
    )


def test_nsrr_stages_merge_rk_3_and_4_and_mask_movement_and_unscored(root: Path) -> None:
    recording = ShhsReader(root, ShhsPrepare()).read("shhs1-200001")
    assert recording.stages.tolist() == EXPECTED
    assert recording.source[1].name == "shhs1-200001-nsrr.xml"


def test_profusion_stages_equal_the_nsrr_ones(root: Path) -> None:
    recording = ShhsReader(root, ShhsPrepare(annotations="profusion")).read("shhs1-200001")
    assert recording.stages.tolist() == EXPECTED
    assert recording.source[1].name == "shhs1-200001-profusion.xml"


def test_eeg_c4_a1_and_the_bipolar_eog_derivation_at_their_native_rates(root: Path) -> None:
    recording = ShhsReader(root, ShhsPrepare()).read("shhs1-200001")
    eeg, eog = recording.signals["eeg"], recording.signals["eog"]
    assert (eeg.label, eeg.sfreq_hz, eog.label, eog.sfreq_hz) == ("EEG", 125.0, "EOG(R) - EOG(L)", 50.0)
    n = 12 * 30 * 50
    expected = channel_signal(6, n, 50.0) - channel_signal(5, n, 50.0)  # EOG(R) is column 6, EOG(L) column 5
    np.testing.assert_allclose(eog.data, expected, atol=0.05)


@pytest.mark.parametrize("variant", ["EEG(sec)", "EEG sec", "EEG(SEC)", "EEG_SEC", "EEG 2", "EEG2", "EEG_2"])
def test_the_secondary_eeg_is_found_under_each_of_its_spellings(variant: str, tmp_path: Path) -> None:
    labels = tuple(variant if label == "EEG(sec)" else label for label in SHHS_LABELS[:-1])  # drop "EEG"
    write_shhs(tmp_path, "shhs1-200002", [0] * 4, labels=labels, rates=SHHS_RATES[:-1])
    params = ShhsPrepare(eeg=("EEG(sec)", "EEG 2"), eog=("EOG(L)",))
    recording = ShhsReader(tmp_path, params).read("shhs1-200002")
    assert recording.signals["eeg"].label == variant


def test_an_unknown_stage_concept_is_an_error(root: Path, tmp_path: Path) -> None:
    shutil.copy(root / "edfs/shhs1/shhs1-200001.edf", tmp_path)
    write_nsrr_xml(
        tmp_path / "shhs1-200001-nsrr.xml",
        [("Stages|Stages", "Stage 7 sleep|7", 0, 360)],
        recording_duration_s=360,
    )
    with pytest.raises(ReaderError, match=r"shhs1-200001-nsrr.xml: stage event at 0 s: unknown stage '7'"):
        ShhsReader(tmp_path, ShhsPrepare()).read("shhs1-200001")


def test_malformed_xml_is_an_error_naming_the_file(root: Path, tmp_path: Path) -> None:
    shutil.copy(root / "edfs/shhs1/shhs1-200001.edf", tmp_path)
    (tmp_path / "shhs1-200001-nsrr.xml").write_text("<PSGAnnotation><ScoredEvents>")
    with pytest.raises(ReaderError, match=r"shhs1-200001-nsrr.xml: malformed XML"):
        ShhsReader(tmp_path, ShhsPrepare()).read("shhs1-200001")


def test_xml_without_its_edf_is_an_error(root: Path, tmp_path: Path) -> None:
    shutil.copy(root / "annotations-events-nsrr/shhs1/shhs1-200001-nsrr.xml", tmp_path)
    with pytest.raises(ReaderError, match=r"shhs1-200001-nsrr.xml: annotation XML without its signal file"):
        ShhsReader(tmp_path, ShhsPrepare()).read("shhs1-200001")
