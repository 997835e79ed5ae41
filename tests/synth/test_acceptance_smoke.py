"""Smoke version of synthetic.md Part 4's acceptance checks: two short nights, key checks, wide margins.

The full checks (≥ 20 nights per dataset, every dataset) are benchmarks/bench_synth_acceptance.py.
Here: one HMC night with every channel (F4-M1, O2-M1, E1/E2, chin) and one P2018 night's model
channels, each 1.8 h with every stage, through the model's preprocessing (100 Hz, 0.3–35 Hz).
"""

from __future__ import annotations

import numpy as np
import pytest

from sleepdg.preprocess import bandpass, resample
from sleepdg.synth import checks
from sleepdg.synth.physiology import synthesize_night
from sleepdg.synth.profiles import PROFILES

FS = 100.0
# 1.8 h: wake, light sleep, a deep block, REM, a second cycle
STAGES = np.repeat(
    np.array([0, 1, 2, 3, 2, 4, 1, 2, 3, 2, 4, 0], np.int8), [24, 8, 24, 32, 12, 20, 6, 24, 24, 10, 24, 8]
)


def _model_rate(out: dict[str, tuple[np.ndarray, float]], label: str) -> np.ndarray:
    x, fs = out[label]
    return bandpass(resample(x, fs, FS), FS, (0.3, 35.0), "sos")


def _stage_mean(values: np.ndarray, stage: int) -> float:
    return float(np.mean(values[STAGES[: len(values)] == stage]))


@pytest.fixture(scope="module")
def hmc() -> dict[str, tuple[np.ndarray, float]]:
    return synthesize_night(PROFILES["hmc"], STAGES, np.random.default_rng(2023))


@pytest.fixture(scope="module")
def p2018() -> dict[str, tuple[np.ndarray, float]]:
    return synthesize_night(PROFILES["p2018"], STAGES, np.random.default_rng(2033), channels="model")


@pytest.mark.parametrize(("night", "lead"), [("hmc", "EEG F4-M1"), ("p2018", "C3-M2")])
def test_relative_delta_orders_n3_above_n2_above_light_sleep(
    night: str, lead: str, request: pytest.FixtureRequest
) -> None:
    x = _model_rate(request.getfixturevalue(night), lead)
    f, p = checks.epoch_psd(x.reshape(len(STAGES), -1), FS)
    rel = checks.band_power(f, p, 0.5, 4.0) / checks.band_power(f, p, 0.5, 30.0)
    n3, n2, n1, rem = (_stage_mean(rel, s) for s in (3, 2, 1, 4))
    assert 0.75 <= n3 <= 0.98 and n3 > n2 > max(n1, rem)
    assert min(n1, rem) >= 0.3


def test_aperiodic_exponent_is_steepest_in_n3_and_flattest_in_wake(hmc: dict) -> None:
    x = _model_rate(hmc, "EEG F4-M1").reshape(len(STAGES), -1)
    f, p = checks.epoch_psd(x, FS)
    beta = [checks.aperiodic_exponent(f, p[s == STAGES]) for s in range(5)]
    assert beta[3] > beta[2] > max(beta[1], beta[4]) and min(beta[1], beta[4]) > beta[0]


def test_wake_alpha_dominates_at_the_occipital_lead(hmc: dict) -> None:
    x = _model_rate(hmc, "EEG O2-M1").reshape(len(STAGES), -1)
    f, p = checks.epoch_psd(x, FS)
    alpha = checks.band_power(f, p, 8.0, 12.0) / checks.band_power(f, p, 0.5, 30.0)
    assert 0.1 <= _stage_mean(alpha, 0) <= 0.6
    assert _stage_mean(alpha, 0) > 1.5 * _stage_mean(alpha, 1) and _stage_mean(alpha, 0) > 2.5 * _stage_mean(
        alpha, 2
    )


@pytest.mark.parametrize(("night", "lead"), [("hmc", "EEG F4-M1"), ("p2018", "C3-M2")])
def test_spindles_are_detected_in_n2_and_hardly_in_rem_or_wake(
    night: str, lead: str, request: pytest.FixtureRequest
) -> None:
    x = _model_rate(request.getfixturevalue(night), lead)
    nrem = np.repeat((STAGES >= 1) & (STAGES <= 3), int(30 * FS))
    t = checks.detect_spindles(x, FS, nrem)
    n2, rem, w = (checks.rate_per_min(t, STAGES, s) for s in (2, 4, 0))
    assert 0.4 <= n2 <= 8.0 and max(rem, w) < 0.6 * n2


def test_n3_epochs_carry_slow_waves_and_n2_epochs_few(hmc: dict) -> None:
    x = _model_rate(hmc, "EEG F4-M1")
    share = checks.slow_wave_fraction(x, FS, len(STAGES), 75.0 * PROFILES["hmc"].kcsw_amp)
    assert np.mean(share[STAGES == 3] >= 0.2) >= 0.6
    assert np.mean(share[STAGES == 2] >= 0.2) <= 0.25


def test_rem_has_eye_movements_anti_phase_on_e1_and_e2(hmc: dict) -> None:
    e1, e2 = _model_rate(hmc, "EOG E1-M2"), _model_rate(hmc, "EOG E2-M2")
    t = checks.eye_movements(e1 - e2, FS, 600.0, 80.0)
    rem, n2 = checks.rate_per_min(t, STAGES, 4), checks.rate_per_min(t, STAGES, 2)
    assert 2.0 <= rem <= 20.0 and rem >= 3 * n2
    rem_samples = np.repeat(STAGES == 4, int(30 * FS))
    assert np.corrcoef(e1[rem_samples], e2[rem_samples])[0, 1] < -0.4


def test_slow_eye_movements_mark_n1(hmc: dict) -> None:
    x = (_model_rate(hmc, "EOG E1-M2") - _model_rate(hmc, "EOG E2-M2")).reshape(len(STAGES), -1)
    f, p = checks.epoch_psd(x, FS, nperseg_s=10.0)
    slow = checks.band_power(f, p, 0.1, 1.0)
    assert _stage_mean(slow, 1) > 2 * _stage_mean(slow, 2)


def test_chin_tone_falls_from_wake_to_n2_to_rem(hmc: dict) -> None:
    chin, fs = hmc["EMG chin"]
    sos_band = checks.band_filter(chin, fs, 10.0, 100.0, order=2)
    rms = np.sqrt((sos_band.reshape(len(STAGES), -1) ** 2).mean(axis=1))
    w, n2, rem = (_stage_mean(rms, s) for s in (0, 2, 4))
    assert 0.2 <= n2 / w <= 0.65 and 0.03 <= rem / w <= 0.3


def test_blinks_mark_wake_on_the_e1_e2_pair(hmc: dict) -> None:
    x = _model_rate(hmc, "EOG E1-M2") - _model_rate(hmc, "EOG E2-M2")  # blinks anti-phase: V weight −1
    t = checks.blinks(x, FS, -1.0, 0.6 * 120.0)  # 60 % of HMC's smallest blink on the pair
    wake, sleep = checks.rate_per_min(t, STAGES, 0), max(checks.rate_per_min(t, STAGES, s) for s in (2, 3))
    assert wake >= 2.0 and wake >= 5 * sleep and sleep < 0.5  # one subject: its eyes are mostly closed
