"""The one preprocessing path of prepare and predict."""

from __future__ import annotations

import numpy as np
import pytest

from sleepdg.errors import ReaderError
from sleepdg.params import PrepareCommon, ShhsPrepare, SleepedfPrepare
from sleepdg.preprocess import bandpass, preprocess, resample
from sleepdg.recording import Recording, Signal
from sleepdg.stages import Stage


def _recording(
    stages: list[int], rates: tuple[float, float], seed: int = 0, extra_s: float = 0.0
) -> Recording:
    rng = np.random.default_rng(seed)
    n_s = len(stages) * 30 + extra_s
    signals = {
        m: Signal((20 * rng.standard_normal(int(n_s * fs)) + 5).astype(np.float32), fs, m.upper())
        for m, fs in zip(("eeg", "eog"), rates, strict=True)
    }
    return Recording("shhs", "r1", "s1", signals, np.asarray(stages, dtype=np.int8))


@pytest.mark.parametrize("native_hz", [256.0, 200.0, 125.0, 50.0, 100.0])
def test_resample_gives_100_hz_length_for_every_native_rate(native_hz: float) -> None:
    x = np.sin(2 * np.pi * 2.0 * np.arange(int(60 * native_hz)) / native_hz)
    y = resample(x, native_hz, 100.0)
    assert len(y) == 6000
    t = np.arange(6000) / 100.0
    np.testing.assert_allclose(y[500:-500], np.sin(2 * np.pi * 2.0 * t)[500:-500], atol=0.02)


def test_fir_bandpass_matches_mne_filter_data() -> None:
    import mne

    x = np.random.default_rng(1).standard_normal(30_000).cumsum()
    expected = mne.filter.filter_data(x[None], 100.0, 0.3, 35.0, fir_design="firwin", verbose=False)[0]
    np.testing.assert_allclose(
        bandpass(x, 100.0, (0.3, 35.0), "fir"),
        expected,
        rtol=0,
        atol=1e-6 * np.abs(x).max(),  # float32 FFT
    )


@pytest.mark.parametrize("kind", ["fir", "sos"])
def test_bandpass_keeps_the_band_and_removes_drift_and_high_frequencies(kind: str) -> None:
    t = np.arange(600 * 100) / 100.0
    inband, drift, high = (
        np.sin(2 * np.pi * 10 * t),
        2 * np.sin(2 * np.pi * 0.02 * t),
        np.sin(2 * np.pi * 45 * t),
    )
    y = bandpass(inband + drift + high, 100.0, (0.3, 35.0), kind)  # type: ignore[arg-type]
    core = slice(6000, -6000)
    np.testing.assert_allclose(y[core], inband[core], atol=0.05)  # drift and 45 Hz: >30x smaller


def test_unknown_filter_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown filter kind"):
        bandpass(np.zeros(1000), 100.0, (0.3, 35.0), "iir")  # type: ignore[arg-type]


def test_preprocess_resamples_each_channel_and_z_scores_the_kept_epochs() -> None:
    rec = _recording([0, 1, 2, 3, 4, -1], rates=(125.0, 50.0), extra_s=12.0)
    out = preprocess(rec, PrepareCommon(), ShhsPrepare())
    assert out.x.shape == (6, 2, 3000) and out.x.dtype == np.float32
    assert out.y.tolist() == [0, 1, 2, 3, 4, -1]
    np.testing.assert_allclose(out.x.mean(axis=(0, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.x.std(axis=(0, 2)), 1.0, atol=1e-4)
    assert out.dropped_samples == 1200  # 12 s at 100 Hz past the last whole epoch
    assert out.std[0] > 10  # statistics are kept in µV for the record


def test_preprocess_trims_sleep_edf_wake_and_fits_z_score_on_kept_epochs_only() -> None:
    stages = [0] * 100 + [2] * 10 + [0] * 100
    rec = _recording(stages, rates=(100.0, 100.0))
    out = preprocess(rec, PrepareCommon(), SleepedfPrepare(trim_wake=(60, 59)))
    assert out.first_epoch == 40 and len(out.y) == 60 + 10 + 59
    np.testing.assert_allclose(out.x.mean(axis=(0, 2)), 0.0, atol=1e-5)


def test_predict_mode_keeps_every_epoch() -> None:
    stages = [Stage.UNSCORED] * 150
    out = preprocess(_recording(stages, rates=(256.0, 256.0)), PrepareCommon(), None, select=False)
    assert out.x.shape[0] == 150 and out.first_epoch == 0


def test_flat_channel_is_a_clear_error() -> None:
    rec = _recording([0, 2, 2], rates=(100.0, 100.0))
    eog = rec.signals["eog"]
    signals = {"eeg": rec.signals["eeg"], "eog": Signal(np.zeros_like(eog.data), 100.0, "EOG")}
    flat = Recording(rec.dataset, rec.record_id, rec.subject_id, signals, rec.stages)
    with pytest.raises(ReaderError, match="flat EOG channel"):
        preprocess(flat, PrepareCommon(), None)


def test_sleep_edf_night_without_sleep_cannot_be_trimmed() -> None:
    with pytest.raises(ReaderError, match="no N1-REM epoch"):
        preprocess(_recording([0] * 10, rates=(100.0, 100.0)), PrepareCommon(), SleepedfPrepare())


def test_parallel_preprocessing_equals_serial() -> None:
    rec = _recording([0, 1, 2, 2, 3, 4], rates=(256.0, 200.0), seed=3)
    serial = preprocess(rec, PrepareCommon(), None, select=False)
    parallel = preprocess(rec, PrepareCommon(), None, select=False, parallel=True)
    np.testing.assert_array_equal(parallel.x, serial.x)
    assert parallel.mean == serial.mean and parallel.std == serial.std
