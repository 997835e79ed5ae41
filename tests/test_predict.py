"""Staging any recording with checkpoints (sleepdg.predict): outputs, ensembles and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_checkpoints import START, save_tiny_checkpoint, write_night

from sleepdg.errors import ChannelNotFoundError, CheckpointError, ReaderError
from sleepdg.inference import SequenceTooShortError
from sleepdg.io.edf import read_edf_header
from sleepdg.io.wfdb_io import write_mat_record
from sleepdg.params import PrepareCommon
from sleepdg.predict import EnsembleError, PredictResult, load_models, predict, stage_runs

pytestmark = pytest.mark.xdist_group("predict")  # one worker builds the module's shared fixture

NIGHT_S = 25 * 60 + 12  # 50 whole epochs and 12 s more


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("predict")
    return {
        "root": root,
        "a": save_tiny_checkpoint(root / "a.pt", fold=None, seed=0),
        "b": save_tiny_checkpoint(root / "b.pt", fold=None, seed=1),
        "night": write_night(root / "night.edf", NIGHT_S),
    }


@pytest.fixture(scope="module")
def result(files: dict[str, Path]) -> PredictResult:
    return predict(files["night"], [files["a"], files["b"]], files["root"] / "out")


def test_every_whole_epoch_is_staged_and_the_partial_one_is_reported_dropped(result: PredictResult) -> None:
    assert result.stages.shape == (50,) and result.proba.shape == (50, 5)
    np.testing.assert_array_equal(result.stages, result.proba.argmax(axis=1))
    assert result.dropped_s == pytest.approx(12.0)
    assert "the last 12.0 s do not fill a 30-s epoch" in result.describe()
    assert result.channels == {"eeg": "EEG C4-M1", "eog": "EOG E1-M2"}  # picked by the generic aliases
    assert set(result.timings_s) == {"load", "read", "preprocess", "model", "write"}


def test_the_csv_lists_epoch_onset_stage_and_the_five_probabilities(result: PredictResult) -> None:
    table = pd.read_csv(result.csv_path)
    assert result.csv_path.name == "night-stages.csv"
    assert list(table.columns) == ["epoch", "onset_s", "stage", "p_W", "p_N1", "p_N2", "p_N3", "p_REM"]
    assert table["onset_s"].tolist() == [30.0 * i for i in range(50)]
    assert table["stage"].tolist() == [["W", "N1", "N2", "N3", "REM"][s] for s in result.stages]
    np.testing.assert_allclose(table.iloc[:, 3:].sum(axis=1), 1.0, atol=1e-4)


def test_the_edf_hypnogram_reads_back_in_mne_as_runs_of_sleep_stages(result: PredictResult) -> None:
    import mne

    annotations = mne.read_annotations(result.edf_path)
    texts = ["Sleep stage W", "Sleep stage N1", "Sleep stage N2", "Sleep stage N3", "Sleep stage R"]
    runs = stage_runs(result.stages)
    assert list(annotations.description) == [texts[s] for _, _, s in runs]
    np.testing.assert_allclose(annotations.onset, [o for o, _, _ in runs])
    assert annotations.duration.sum() == pytest.approx(50 * 30.0)
    assert read_edf_header(result.edf_path).start == START  # aligned with the recording it stages
    assert result.png_path.read_bytes()[:4] == b"\x89PNG"


def test_an_ensemble_averages_the_probabilities_of_its_models(
    files: dict[str, Path], result: PredictResult
) -> None:
    from sleepdg.datasets.generic import read_generic
    from sleepdg.inference import window_probabilities
    from sleepdg.preprocess import preprocess

    models, common = load_models([files["a"], files["b"]])
    x = preprocess(read_generic(files["night"]), common, None, select=False).x
    alone = [window_probabilities(m, x) for m in models]
    assert not np.allclose(alone[0], alone[1])
    np.testing.assert_allclose(result.proba, (alone[0] + alone[1]) / 2, atol=1e-6)


def test_runs_of_equal_stages_become_one_annotation_each() -> None:
    assert stage_runs(np.array([0, 0, 2, 2, 2, 4])) == [(0.0, 60.0, 0), (60.0, 90.0, 2), (150.0, 30.0, 4)]
    assert stage_runs(np.array([], dtype=np.int8)) == []


def test_a_wfdb_recording_with_named_channels_is_staged(files: dict[str, Path], tmp_path: Path) -> None:
    n = 200 * 30 * 21
    rng = np.random.default_rng(0)
    digital = np.rint(20 * rng.standard_normal((3, n))).astype(np.int16)
    labels = ["F3-M2", "LOC", "CHIN"]
    write_mat_record(
        tmp_path, "rec", labels, digital, 200.0, gains=[1.0] * 3, units=["uV"] * 3, baselines=[0] * 3
    )
    out = predict(tmp_path / "rec.hea", files["a"], tmp_path / "out", eeg="F3-M2", eog="LOC")
    assert out.stages.shape == (21,) and out.dropped_s == 0.0
    assert out.csv_path == tmp_path / "out" / "rec-stages.csv"


def test_a_missing_channel_lists_what_the_file_has(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(
        ChannelNotFoundError, match=r"no EEG channel: looked for 'Fp1'; the file has 'EEG C4-M1'"
    ):
        predict(files["night"], files["a"], tmp_path, eeg="Fp1")
    night = write_night(tmp_path / "emg.edf", 60, labels=("EMG chin", "ECG"))
    with pytest.raises(ChannelNotFoundError, match=r"the file has 'EMG chin', 'ECG'"):
        predict(night, files["a"], tmp_path)


def test_a_recording_shorter_than_one_sequence_is_refused_naming_both_lengths(
    files: dict[str, Path], tmp_path: Path
) -> None:
    short = write_night(tmp_path / "nap.edf", 9 * 60 + 40)
    expected = (
        "nap.edf: 19 whole 30-s epochs (9.5 min) is shorter than one model sequence of 20 epochs (10.0 min)"
    )
    with pytest.raises(SequenceTooShortError, match=re.escape(expected)):
        predict(short, files["a"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_unreadable_recording_and_a_missing_one_are_reader_errors(
    files: dict[str, Path], tmp_path: Path
) -> None:
    garbage = tmp_path / "broken.edf"
    garbage.write_bytes(b"this is not an EDF header" * 20)
    with pytest.raises(ReaderError, match=r"broken\.edf"):
        predict(garbage, files["a"], tmp_path / "out")
    with pytest.raises(ReaderError, match=r"absent\.edf: no such file"):
        predict(tmp_path / "absent.edf", files["a"], tmp_path / "out")


def test_a_model_file_that_is_not_a_checkpoint_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    not_model = tmp_path / "model.pt"
    not_model.write_text("weights? no")
    with pytest.raises(CheckpointError, match=r"model\.pt: not a sleepdg checkpoint"):
        predict(files["night"], not_model, tmp_path / "out")


def test_checkpoints_trained_with_other_preprocessing_cannot_be_ensembled(
    files: dict[str, Path], tmp_path: Path
) -> None:
    other = PrepareCommon(band_hz=(0.5, 30.0)).model_dump(mode="json")
    c = save_tiny_checkpoint(tmp_path / "c.pt", fold=None, common=other)
    expected = (
        "were trained with different preprocessing (prepare.common.band_hz: [0.3, 35.0] vs [0.5, 30.0])"
    )
    with pytest.raises(EnsembleError, match=rf"a\.pt and .*c\.pt {re.escape(expected)}"):
        load_models([files["a"], c])
    models, common = load_models([files["a"], files["b"]])
    assert len(models) == 2 and common == PrepareCommon()


def test_the_summary_figures_come_from_the_predicted_hypnogram(result: PredictResult) -> None:
    s = result.summary
    assert s.time_in_bed_min == 25.0
    assert s.total_sleep_time_min == pytest.approx(0.5 * np.count_nonzero(result.stages > 0))
    text = result.describe()
    for words in ("total sleep time", "sleep efficiency", "sleep onset latency", "minutes per stage"):
        assert words in text
