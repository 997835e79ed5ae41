"""The reader for recordings outside the five datasets (sleepdg.datasets.generic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from native_files import START, channel_signal, edf_channels, write_p2018

from sleepdg.datasets import read_generic, trailing_partial_s
from sleepdg.errors import ChannelNotFoundError, ReaderError
from sleepdg.io.edf import EdfChannel, write_edf
from sleepdg.stages import Stage


@pytest.fixture(scope="module")
def edf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generic") / "night.edf"
    write_edf(
        path,
        edf_channels(("Fp1", "C4-M1", "E1", "E2", "EMG"), 128.0, 95.0),
        start=START,
        record_duration_s=5.0,
    )
    return path


def test_eeg_and_eog_are_picked_by_the_generic_aliases_and_every_epoch_is_unscored(edf: Path) -> None:
    recording = read_generic(edf)
    assert (recording.signals["eeg"].label, recording.signals["eog"].label) == ("C4-M1", "E1")
    assert recording.stages.tolist() == [Stage.UNSCORED] * 3 and recording.dataset == "generic"
    assert recording.record_id == recording.subject_id == "night"


def test_the_trailing_partial_epoch_is_kept_in_the_signal_and_reported(edf: Path) -> None:
    recording = read_generic(edf)
    assert len(recording.signals["eeg"].data) == 95 * 128
    assert trailing_partial_s(recording) == pytest.approx(5.0)


def test_channels_given_by_name_or_derivation_override_the_aliases(edf: Path) -> None:
    recording = read_generic(edf, eeg="fp1", eog="E1 - E2")
    assert (recording.signals["eeg"].label, recording.signals["eog"].label) == ("Fp1", "E1 - E2")
    expected = channel_signal(2, 95 * 128, 128.0) - channel_signal(3, 95 * 128, 128.0)
    np.testing.assert_allclose(recording.signals["eog"].data, expected, atol=0.05)


def test_a_missing_channel_lists_the_channels_the_file_has(edf: Path) -> None:
    with pytest.raises(
        ChannelNotFoundError, match=r"no EEG channel: looked for 'Cz'; the file has 'Fp1', 'C4-M1'"
    ):
        read_generic(edf, eeg="Cz")


def test_a_wfdb_record_is_read_from_its_header(tmp_path: Path) -> None:
    hea = write_p2018(tmp_path, "te01-0001", [Stage.W] * 3, lead_epochs=0, partial_samples=1000)
    recording = read_generic(hea)
    assert (recording.signals["eeg"].label, recording.signals["eog"].label) == ("C4-M1", "E1-M2")  # C4 first
    assert recording.record_id == "te01-0001" and len(recording.stages) == 3
    assert trailing_partial_s(recording) == pytest.approx(5.0)


def test_a_derivation_of_channels_at_different_rates_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "mixed.edf"
    write_edf(
        path, edf_channels(("C4", "E1", "E2"), (100, 100, 50), 60.0), start=START, record_duration_s=1.0
    )
    with pytest.raises(ReaderError, match=r"cannot derive E1 - E2: E1 is at 100 Hz, E2 at 50 Hz"):
        read_generic(path, eog="E1 - E2")


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="no such file"):
        read_generic(tmp_path / "absent.edf")


def test_channels_in_millivolts_are_returned_in_microvolts(tmp_path: Path) -> None:
    path = tmp_path / "mv.edf"
    data = channel_signal(0, 3000, 100.0) / 1000.0  # the same wave, in mV
    channels = [EdfChannel(label, data, 100.0, (-0.5, 0.5), dimension="mV") for label in ("C4", "E1")]
    write_edf(path, channels, start=START)
    np.testing.assert_allclose(read_generic(path).signals["eeg"].data, data * 1000.0, atol=0.02)
