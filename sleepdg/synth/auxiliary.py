"""Non-EEG channels of the synthetic PSG: chin EMG, ECG, heart rate, respiration, SpO2 and the rest.

Cheap but physically plausible, and independent of the stage except the chin EMG (synthetic.md
§1.1 EMG row): ECG is a PQRST template train with respiratory sinus arrhythmia, respiration a
slowly modulated sinusoid, SpO2 a slow drift near 96 %.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from sleepdg.synth import events as ev
from sleepdg.synth.noise import per_second_to_samples
from sleepdg.synth.profiles import ChannelSpec
from sleepdg.synth.trajectory import Subject, Trajectory

# PQRST as Gaussians (time from the R peak s, sd s, amplitude); QRS ≈ 90 ms, scaled to QRS p-p 1.
_PQRST = (
    (-0.20, 0.025, 0.12),
    (-0.03, 0.010, -0.12),
    (0.0, 0.012, 1.0),
    (0.03, 0.012, -0.28),
    (0.26, 0.05, 0.3),
)
_QRS_PP = 1.28
_EMG_ENV_SCALE = 0.17  # Sleep-EDF's 1-Hz "EMG submental" envelope per µV rms (W ≈ 3.4, as SC4001E0)


def heart_beats(duration_s: float, subject: Subject, rng: np.random.Generator) -> np.ndarray:
    """R-peak times (s): mean rate ``subject.hr_bpm``, respiratory sinus arrhythmia and slow drift."""
    base = 60.0 / subject.hr_bpm
    n_est = int(duration_s / base * 1.4) + 10
    t_approx = np.arange(n_est) * base
    drift = signal.lfilter([0.1], [1.0, -0.99], rng.standard_normal(n_est))
    rsa = 0.04 * np.sin(2 * np.pi * subject.resp_hz * t_approx + rng.uniform(0, 2 * np.pi))
    rr = base * np.clip(1.0 + rsa + 0.05 * drift / max(float(np.std(drift)), 1e-9), 0.6, 1.6)
    times = np.cumsum(rr) - rr[0] * rng.random()
    return times[times < duration_s]


def ecg_unit(beats_s: np.ndarray, n: int, sfreq_hz: float) -> np.ndarray:
    """ECG waveform at ``sfreq_hz`` with a QRS peak-to-peak of 1 (arbitrary units).

    One PQRST template added at every R peak.
    """
    lead = round(0.35 * sfreq_hz)
    t = (np.arange(round(0.8 * sfreq_hz)) - lead) / sfreq_hz
    template = sum(a * np.exp(-0.5 * ((t - c) / sd) ** 2) for c, sd, a in _PQRST) / _QRS_PP
    out = np.zeros(n, dtype=np.float32)
    start = np.round(beats_s * sfreq_hz).astype(np.int64) - lead
    for j, value in enumerate(np.asarray(template, dtype=np.float32)):  # one vectorised add per tap
        idx = start + j
        out[idx[(idx >= 0) & (idx < n)]] += value  # beats are > 1 template apart: no repeated index
    return out


def _band_white(n: int, sfreq_hz: float, lo_hz: float, hi_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance white noise band-passed (2-pole Butterworth) to lo–min(hi, 0.45·fs) Hz."""
    hi = min(hi_hz, 0.45 * sfreq_hz)
    sos = signal.butter(2, [lo_hz, hi], "bandpass", fs=sfreq_hz, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal(n, dtype=np.float32))
    return np.asarray(x / max(float(np.std(x)), 1e-9), dtype=np.float32)


def chin_multiplier(
    traj: Trajectory, bursts: ev.Events, sfreq_hz: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Chin EMG envelope multiplier (≥1) from REM twitches (50–250 ms, 3–10×) and movement ``bursts``."""
    mult = np.ones(n, dtype=np.float32)
    times = ev.poisson_times(traj.rates["twitch"], rng, refractory_s=0.3)
    twitches = ev.Events(
        times, rng.uniform(0.05, 0.25, len(times)), {"amp": rng.uniform(2.0, 9.0, len(times))}
    )
    ev.render(mult, sfreq_hz, twitches, ev.raised_cosine_waveform(twitches))
    return ev.render(mult, sfreq_hz, bursts, ev.raised_cosine_waveform(bursts))


def chin_emg(
    spec: ChannelSpec,
    traj: Trajectory,
    subject: Subject,
    emg_arousal: np.ndarray,
    bursts: ev.Events,
    ecg: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Chin EMG (µV): band-passed noise × stage tone × twitches/bursts, or Sleep-EDF's 1-Hz envelope.

    Parameters
    ----------
    spec
        The channel (``site`` ``"chin"`` or ``"chin_env"``).
    traj, subject
        The night.
    emg_arousal
        (S,) per-second EMG multiplier of arousals (1 outside them).
    bursts
        Movement bursts (params ``amp``: added multiple of the tone).
    ecg
        (n,) unit ECG at the channel rate (chin leads pick up a little ECG).
    rng
        The channel's generator.

    Returns
    -------
    np.ndarray
        (n,) float32.
    """
    tone = subject.emg_w_uv * traj.emg_rel * emg_arousal  # (S,) µV rms
    if spec.site == "chin_env":
        grid = 10.0
        mult = chin_multiplier(traj, bursts, grid, len(tone) * 10, rng).reshape(-1, 10)
        rms = tone * np.sqrt(np.mean(mult.astype(np.float64) ** 2, axis=1))
        rms *= np.sqrt(rng.chisquare(180, len(tone)) / 180)
        return (_EMG_ENV_SCALE * rms).astype(np.float32)
    n = len(ecg)
    fs = spec.sfreq_hz
    env = per_second_to_samples(tone, n, fs) * chin_multiplier(traj, bursts, fs, n, rng)
    x = _band_white(n, fs, 10.0, 100.0, rng) * env + ecg * np.float32(rng.uniform(5, 20))
    return x + rng.standard_normal(n, dtype=np.float32) * np.float32(0.5)


def _slow(n_s: int, rng: np.random.Generator, corr_s: float) -> np.ndarray:
    """Unit-sd smooth noise at 1 Hz with correlation time ``corr_s``."""
    a = np.exp(-1.0 / corr_s)
    x = signal.lfilter([1.0], [1.0, -a], rng.standard_normal(n_s + int(5 * corr_s)))[int(5 * corr_s) :]
    return np.asarray(x / max(float(np.std(x)), 1e-9))


def _resp_phase(n_s: int, subject: Subject, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Breathing phase and amplitude on a 10-Hz grid."""
    rate = subject.resp_hz * (1.0 + 0.05 * np.repeat(_slow(n_s, rng, 60.0), 10))
    phase = 2 * np.pi * np.cumsum(rate) / 10.0 + rng.uniform(0, 2 * np.pi)
    return phase, 1.0 + 0.2 * np.repeat(_slow(n_s, rng, 30.0), 10)


def other_channel(
    spec: ChannelSpec,
    n_s: int,
    subject: Subject,
    beats_s: np.ndarray,
    ecg: np.ndarray | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """ECG, heart rate, respiration, SpO2, temperature and housekeeping channels (stage-independent)."""
    fs, (p0, p1) = spec.sfreq_hz, spec.physical_range
    n = round(n_s * fs)
    half, mid = (p1 - p0) / 2, (p1 + p0) / 2
    t = (np.arange(n) + 0.5) / fs
    site = spec.site
    if site == "ecg" and ecg is not None:
        mv = 1.0 if spec.dimension == "mV" else 1000.0
        return (ecg * np.float32(1.2 * mv * np.exp(0.2 * rng.standard_normal()))).astype(np.float32)
    if site in ("flow", "thorax", "abdomen", "thermistor", "snore"):
        phase, amp = _resp_phase(n_s, subject, rng)
        shift = {"flow": 0.0, "thermistor": -0.4, "thorax": -0.3, "abdomen": 0.2, "snore": 0.0}[site]
        grid = (np.arange(len(phase)) + 0.5) / 10.0
        wave = np.interp(t, grid, amp * np.sin(phase + shift))
        if site == "snore":
            return (rng.uniform(3, 15) * rng.standard_normal(n) * (wave > 0.6)).astype(np.float32)
        offset = rng.uniform(-0.2, 0.2) * half if half > 1000 else 0.0
        return (mid + offset + rng.uniform(0.1, 0.3) * half * wave).astype(np.float32)
    if site == "spo2":
        per_s = np.clip(rng.uniform(94.0, 98.0) + 0.5 * _slow(n_s, rng, 120.0), 85.0, 100.0)
        return per_second_to_samples(per_s, n, fs)
    if site == "hr":
        hr = 60.0 / np.diff(beats_s)
        return np.interp(t, beats_s[1:], hr).astype(np.float32)
    if site == "temp":
        return (37.0 + 0.25 * np.cos(2 * np.pi * t / 86400.0 + rng.uniform(0, 2 * np.pi))).astype(np.float32)
    if site == "marker":
        return (rng.uniform(880, 940) + 10.0 * rng.standard_normal(n)).astype(np.float32)
    if site == "position":
        changes = np.sort(rng.uniform(0, n_s, rng.poisson(n_s / 3600.0)))
        codes = rng.integers(0, 4, len(changes) + 1)
        return codes[np.searchsorted(changes, t)].astype(np.float32)
    if site == "light":
        return (t < rng.uniform(60, 600)).astype(np.float32)
    if site == "dc":
        return per_second_to_samples(rng.uniform(-100, 100) + 5.0 * _slow(n_s, rng, 600.0), n, fs)
    if site == "leg":
        return _band_white(n, fs, 10.0, 100.0, rng) * np.float32(rng.uniform(2, 6))
    return np.full(n, p0 if p0 >= 0 else mid, dtype=np.float32)  # status channels (OX STAT): idle
