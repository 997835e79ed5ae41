"""synthesize_night and apply_label_noise: shapes, determinism, stage signatures, artefact rules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import signal

from sleepdg.params import DATASETS
from sleepdg.synth.physiology import apply_label_noise, synthesize_night
from sleepdg.synth.profiles import PROFILES

# 50 min: every stage in blocks long enough to measure, boundaries for label noise
STAGES = np.repeat(np.array([0, 1, 2, 3, 2, 4], dtype=np.int8), [20, 10, 20, 20, 10, 20])


def _epochs(x: np.ndarray, fs: float) -> np.ndarray:
    n = int(30 * fs)
    return x[: len(x) // n * n].reshape(-1, n).astype(np.float64)


def _band(epochs: np.ndarray, fs: float, lo: float, hi: float) -> np.ndarray:
    f, p = signal.welch(epochs, fs=fs, nperseg=int(4 * fs), axis=-1)
    return p[:, (f >= lo) & (f < hi)].sum(axis=1)


@pytest.fixture(scope="module")
def hmc_night() -> dict[str, tuple[np.ndarray, float]]:
    return synthesize_night(PROFILES["hmc"], STAGES, np.random.default_rng(7))


@pytest.mark.parametrize("name", DATASETS)
def test_a_night_has_every_native_channel_in_file_order_at_its_rate(name: str) -> None:
    profile = PROFILES[name]
    stages = STAGES[:12]
    out = synthesize_night(profile, stages, np.random.default_rng(0))
    assert list(out) == [c.label for c in profile.channels]
    for spec in profile.channels:
        data, fs = out[spec.label]
        assert fs == spec.sfreq_hz
        assert data.dtype == np.float32 and data.shape == (int(len(stages) * 30 * fs),)
        assert np.all(np.isfinite(data))
        (p0, p1), (d0, d1) = spec.physical_range, spec.digital_range
        assert data.min() >= p0 - 1e-3 and data.max() <= p1 + 1e-3
        codes = (data.astype(np.float64) - p0) / ((p1 - p0) / (d1 - d0))
        assert np.allclose(codes, np.round(codes), atol=1e-2), f"{spec.label} is not on the digital grid"


def test_the_same_seed_gives_the_same_night_and_another_seed_another() -> None:
    a = synthesize_night(PROFILES["p2018"], STAGES[:20], np.random.default_rng(3), channels="model")
    b = synthesize_night(PROFILES["p2018"], STAGES[:20], np.random.default_rng(3), channels="model")
    c = synthesize_night(PROFILES["p2018"], STAGES[:20], np.random.default_rng(4), channels="model")
    assert all(np.array_equal(a[k][0], b[k][0]) for k in a)
    assert not np.array_equal(a["C3-M2"][0], c["C3-M2"][0])


@pytest.mark.parametrize("name", ["sleepedf", "shhs"])
def test_model_channels_equal_the_same_channels_of_the_full_night(name: str) -> None:
    profile = PROFILES[name]
    model = synthesize_night(profile, STAGES[:16], np.random.default_rng(11), channels="model")
    full = synthesize_night(profile, STAGES[:16], np.random.default_rng(11), channels="all")
    assert set(model) == set(profile.model_labels)
    for label, (data, _) in model.items():
        np.testing.assert_array_equal(data, full[label][0])


def test_n3_has_more_delta_and_rem_less_than_n2_at_the_model_eeg(hmc_night: dict) -> None:
    x, fs = hmc_night["EEG F4-M1"]
    delta = _band(_epochs(x, fs), fs, 0.5, 4.0)
    stage = STAGES[: len(delta)]
    inner = np.ones(len(stage), bool)
    inner[np.flatnonzero(np.diff(stage)) + 1] = False  # skip the first epoch of each block
    d = {s: np.median(delta[(stage == s) & inner]) for s in range(5)}
    assert d[3] > 1.5 * d[2] > 1.5 * d[4]


def test_wake_shows_alpha_at_the_occipital_lead_and_the_most_chin_tone(hmc_night: dict) -> None:
    o, fs = hmc_night["EEG O2-M1"]
    alpha = _band(_epochs(o, fs), fs, 8.0, 12.0) / _band(_epochs(o, fs), fs, 0.5, 30.0)
    chin, fs_chin = hmc_night["EMG chin"]
    sos = signal.butter(2, [10, 100], "bandpass", fs=fs_chin, output="sos")
    tone = _epochs(signal.sosfilt(sos, chin), fs_chin).std(axis=1)
    w, n2, rem = STAGES == 0, STAGES == 2, STAGES == 4
    assert np.median(alpha[w]) > 2 * np.median(alpha[n2])
    assert np.median(tone[w]) > np.median(tone[n2]) > np.median(tone[rem])


def test_unscored_epochs_get_a_wake_like_signal() -> None:
    profile = PROFILES["hmc"]
    wake = synthesize_night(profile, np.zeros(12, np.int8), np.random.default_rng(5))
    unscored = synthesize_night(profile, np.full(12, -1, np.int8), np.random.default_rng(5))
    np.testing.assert_array_equal(wake["EEG F4-M1"][0], unscored["EEG F4-M1"][0])


def test_movement_epochs_add_an_artefact_inside_the_flagged_epoch_only() -> None:
    profile = PROFILES["hmc"]
    stages = np.full(10, 2, np.int8)
    moving = np.zeros(10, bool)
    moving[5] = True
    calm = synthesize_night(profile, stages, np.random.default_rng(2))
    moved = synthesize_night(profile, stages, np.random.default_rng(2), movement=moving)
    x, fs = moved["EEG F4-M1"]
    diff = np.abs(_epochs(x - calm["EEG F4-M1"][0], fs)).max(axis=1)
    assert np.all(diff[:5] == 0) and diff[5] > 20.0
    chin = [_epochs(night["EMG chin"][0], 256.0).std(axis=1)[5] for night in (calm, moved)]
    assert chin[1] > 1.5 * chin[0]


def test_mains_and_the_noise_floor_do_not_follow_the_stage(hmc_night: dict) -> None:
    x, fs = hmc_night["EEG F4-M1"]
    ep = _epochs(x, fs)
    hum = _band(ep, fs, 49.5, 50.5)
    floor = _band(ep, fs, 60.0, 110.0)  # above the physiology: amplifier noise only
    for feature in (hum, floor):
        per_stage = [np.median(feature[s == STAGES]) for s in range(5)]
        assert max(per_stage) / min(per_stage) < 1.5


def test_bad_inputs_are_refused_with_what_was_expected() -> None:
    profile = PROFILES["hmc"]
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"integers in -1\.\.4"):
        synthesize_night(profile, np.array([0, 5]), rng)
    with pytest.raises(ValueError, match="1-D"):
        synthesize_night(profile, np.zeros((2, 2), np.int8), rng)
    with pytest.raises(ValueError, match="movement has shape"):
        synthesize_night(profile, np.zeros(3, np.int8), rng, movement=np.zeros(2, bool))
    with pytest.raises(ValueError, match="'all' or 'model'"):
        synthesize_night(profile, np.zeros(3, np.int8), rng, channels="eeg")  # type: ignore[arg-type]


def test_label_noise_only_flips_boundary_epochs_to_a_neighbouring_stage() -> None:
    stages = np.tile(np.repeat(np.array([0, 2, 3, 2, 4, -1], np.int8), 5), 200)
    noisy = apply_label_noise(stages, PROFILES["p2018"], np.random.default_rng(1))
    changed = np.flatnonzero(noisy != stages)
    prev, nxt = np.r_[stages[:1], stages[:-1]], np.r_[stages[1:], stages[-1:]]
    assert len(changed) > 0
    assert np.all((noisy[changed] == prev[changed]) | (noisy[changed] == nxt[changed]))
    assert np.all(noisy[stages == -1] == -1) and not np.any(noisy[changed] == -1)
    boundary = ((prev != stages) & (prev >= 0) | (nxt != stages) & (nxt >= 0)) & (stages >= 0)
    rate = len(changed) / boundary.sum()
    assert rate == pytest.approx(3 * PROFILES["p2018"].label_noise, abs=0.05)


def test_no_label_noise_keeps_the_labels() -> None:
    quiet = dataclasses.replace(PROFILES["hmc"], label_noise=0.0)
    np.testing.assert_array_equal(apply_label_noise(STAGES, quiet, np.random.default_rng(0)), STAGES)
