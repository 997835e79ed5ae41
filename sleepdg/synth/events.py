"""Transient events of the synthetic PSG: Poisson timing, per-event parameters, vectorised rendering.

Each event family has a ``draw_*`` function (times and parameters, synthetic.md §1.2) and is
rendered by `render` with a waveform function of (event index, time since onset); the samples
of all events are scattered into the output with one ``np.add.at``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Waveform = Callable[[np.ndarray, np.ndarray], np.ndarray]
SPINDLE_AMP_UV = [17.0, 46.0]  # sinusoid amplitude at C; §1.2 says 10–30, raised so N2 sigma beats REM
# (acceptance check 1) at the frontal leads and low spindle factors (0.65–0.75) of the older datasets


@dataclass(frozen=True)
class Events:
    """A family of events: onsets and lengths (s) plus named per-event parameters."""

    onset_s: np.ndarray  # (M,)
    length_s: np.ndarray  # (M,)
    params: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.onset_s)

    def subset(self, keep: np.ndarray) -> Events:
        """The events selected by a boolean mask or index array."""
        return Events(self.onset_s[keep], self.length_s[keep], {k: v[keep] for k, v in self.params.items()})


def poisson_times(
    rate_per_s: np.ndarray, rng: np.random.Generator, *, refractory_s: float = 0.0
) -> np.ndarray:
    """Event times (s) of an inhomogeneous Poisson process with a piecewise-constant 1-Hz rate.

    Parameters
    ----------
    rate_per_s
        (n_seconds,) events per second.
    rng
        Random generator.
    refractory_s
        Events closer than this to the previous kept event are dropped.

    Returns
    -------
    np.ndarray
        Sorted (M,) float64 times in seconds.
    """
    counts = rng.poisson(np.maximum(rate_per_s, 0.0))
    times = np.repeat(np.arange(len(counts), dtype=np.float64), counts) + rng.random(int(counts.sum()))
    times.sort()
    for _ in range(3):  # a few passes approximate the sequential refractory rule
        if len(times) < 2 or refractory_s <= 0:
            break
        keep = np.ones(len(times), dtype=bool)
        keep[1:] = np.diff(times) >= refractory_s
        if keep.all():
            break
        times = times[keep]
    return times


def render(
    out: np.ndarray, sfreq_hz: float, events: Events, waveform: Waveform, *, scale: float = 1.0
) -> np.ndarray:
    """Add every event's waveform into ``out`` (in place) and return it.

    Parameters
    ----------
    out
        (n,) float32 signal at ``sfreq_hz``.
    sfreq_hz
        Sampling rate of ``out``.
    events
        Onsets and lengths in seconds; samples outside ``out`` are dropped.
    waveform
        ``waveform(event_index, t_s)`` -> values, vectorised over the flat sample list.
    scale
        Factor applied to every value.
    """
    if len(events) == 0 or scale == 0.0:
        return out
    start = np.floor(events.onset_s * sfreq_hz).astype(np.int64)
    lengths = np.maximum(np.ceil(events.length_s * sfreq_hz).astype(np.int64), 1)
    index = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = start[index] + offsets
    t = (position / sfreq_hz - events.onset_s[index]).astype(np.float64)
    keep = (position >= 0) & (position < len(out))
    values = waveform(index[keep], t[keep])
    np.add.at(out, position[keep], (scale * values).astype(out.dtype))
    return out


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    """``size`` draws of LogN with this median and log-sd."""
    return median * np.exp(sigma * rng.standard_normal(size))


def draw_spindles(
    times_s: np.ndarray, rng: np.random.Generator, *, freq_hz: float, amp_scale: float
) -> Events:
    """Spindles at ``times_s`` (centres): duration LogN(0.9 s, 0.3) in 0.5–2 s, f ± 0.3 Hz, 17–46 µV."""
    m = len(times_s)
    dur = np.clip(_lognormal(rng, 0.9, 0.3, m), 0.5, 2.0)
    return Events(
        times_s - 0.625 * dur,
        1.25 * dur,
        {
            "dur": dur,
            "freq": freq_hz + rng.uniform(-0.3, 0.3, m),
            "amp": rng.uniform(SPINDLE_AMP_UV[0], SPINDLE_AMP_UV[1], m)
            * amp_scale
            * np.exp(0.15 * rng.standard_normal(m)),
            "phase": rng.uniform(0, 2 * np.pi, m),
        },
    )


def spindle_waveform(events: Events, freq_offset_hz: float = 0.0) -> Waveform:
    """Gaussian-windowed sinusoid with a −0.3 Hz chirp, frequency shifted by ``freq_offset_hz``."""
    p = events.params

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        dur = p["dur"][i]
        tc = t - 0.625 * dur
        phase = 2 * np.pi * ((p["freq"][i] + freq_offset_hz) * tc - 0.15 / dur * tc**2) + p["phase"][i]
        return p["amp"][i] * np.exp(-0.5 * (tc / (dur / 4)) ** 2) * np.sin(phase)

    return wave


def draw_kcomplexes(times_s: np.ndarray, rng: np.random.Generator, *, amp_scale: float) -> Events:
    """K-complexes: optional +10–20 µV bump, −(50–150) µV sharp trough, +(30–100) µV slow peak."""
    m = len(times_s)
    t_neg = rng.uniform(0.25, 0.4, m)
    delay = rng.uniform(0.35, 0.55, m)
    sd_pos = rng.uniform(0.15, 0.25, m)
    jitter = amp_scale * np.exp(0.15 * rng.standard_normal(m))
    return Events(
        times_s,
        t_neg + delay + 3 * sd_pos,
        {
            "bump": np.where(rng.random(m) < 0.5, rng.uniform(10, 20, m), 0.0) * jitter,
            "neg": rng.uniform(50, 150, m) * jitter,
            "t_neg": t_neg,
            "sd_neg": rng.uniform(0.08, 0.12, m),
            "pos": rng.uniform(30, 100, m) * jitter,
            "t_pos": t_neg + delay,
            "sd_pos": sd_pos,
        },
    )


def kcomplex_waveform(events: Events) -> Waveform:
    """Sum of three Gaussians (bump, trough, peak) per K-complex."""
    p = events.params

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        bump = p["bump"][i] * np.exp(-0.5 * ((t - 0.1) / 0.04) ** 2)
        trough = p["neg"][i] * np.exp(-0.5 * ((t - p["t_neg"][i]) / p["sd_neg"][i]) ** 2)
        peak = p["pos"][i] * np.exp(-0.5 * ((t - p["t_pos"][i]) / p["sd_pos"][i]) ** 2)
        return bump - trough + peak

    return wave


def gaussian_waveform(events: Events) -> Waveform:
    """``amp`` · Gaussian centred at length/2 with sd ``sd`` (vertex waves: negative ``amp``)."""
    p = events.params

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return p["amp"][i] * np.exp(-0.5 * ((t - events.length_s[i] / 2) / p["sd"][i]) ** 2)

    return wave


def draw_vertex_waves(times_s: np.ndarray, rng: np.random.Generator, *, amp_scale: float) -> Events:
    """Clusters of 1–4 negative sharp waves (σ 0.04–0.08 s, 50–150 µV at Cz) 0.5–1 s apart."""
    size = rng.integers(1, 5, len(times_s))
    onset = np.repeat(times_s, size) + cluster_offsets(size, rng, 0.5, 1.0)
    m = len(onset)
    sd = rng.uniform(0.04, 0.08, m)
    return Events(onset, 6 * sd, {"amp": -rng.uniform(50, 150, m) * amp_scale, "sd": sd})


def cluster_offsets(size: np.ndarray, rng: np.random.Generator, lo: float, hi: float) -> np.ndarray:
    """Offsets (s) of the members of each cluster: 0, then cumulative gaps U(lo, hi)."""
    gaps = rng.uniform(lo, hi, int(size.sum()))
    first = np.cumsum(size) - size
    gaps[first] = 0.0
    cum = np.cumsum(gaps)
    return cum - np.repeat(cum[first], size)


def draw_sawtooth(times_s: np.ndarray, rng: np.random.Generator, *, amp_scale: float) -> Events:
    """Trains of 4–20 asymmetric triangles at 2–6 Hz (median 3), 20–80 µV peak-to-peak."""
    m = len(times_s)
    freq = np.clip(_lognormal(rng, 3.0, 0.25, m), 2.0, 6.0)
    n_waves = rng.integers(4, 21, m)
    return Events(times_s, n_waves / freq, {"freq": freq, "amp": rng.uniform(20, 80, m) * amp_scale / 2})


def sawtooth_waveform(events: Events) -> Waveform:
    """Slow rise (70 % of the cycle), fast fall, under a short cosine taper at both ends."""
    p = events.params

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        phase = (p["freq"][i] * t) % 1.0
        tri = np.where(phase < 0.7, phase / 0.7, (1.0 - phase) / 0.3) * 2.0 - 1.0
        length = events.length_s[i]
        taper = np.clip(np.minimum(t, length - t) / np.minimum(0.25, length / 4), 0.0, 1.0)
        return p["amp"][i] * tri * taper

    return wave


def slow_wave_cycles(
    run_onset_s: np.ndarray, run_length_s: np.ndarray, pp_uv: np.ndarray, rng: np.random.Generator
) -> Events:
    """Cut slow-wave runs into cycles of period U(0.5, 2) s, each with p-p LogN(``pp_uv``, 0.25).

    Parameters
    ----------
    run_onset_s, run_length_s
        (R,) runs of slow waves.
    pp_uv
        (R,) median peak-to-peak amplitude of the run's cycles.
    rng
        Random generator.

    Returns
    -------
    Events
        One event per cycle with parameters ``pp`` (µV) and its length as the period.
    """
    if len(run_onset_s) == 0:
        return Events(np.zeros(0), np.zeros(0), {"pp": np.zeros(0)})
    n_cycles = np.maximum(np.round(run_length_s / 1.25).astype(np.int64), 1)
    run = np.repeat(np.arange(len(n_cycles)), n_cycles)
    period = rng.uniform(0.5, 2.0, len(run))
    total = np.bincount(run, weights=period)
    period *= (run_length_s / total)[run]  # cycles fill the run exactly
    period = np.clip(period, 0.45, 2.2)
    ends = np.cumsum(period)
    first = np.cumsum(n_cycles) - n_cycles
    onset = run_onset_s[run] + ends - period - np.repeat(ends[first] - period[first], n_cycles)
    pp = pp_uv[run] * np.exp(0.25 * rng.standard_normal(len(run)))
    return Events(onset, period, {"pp": pp})


def slow_wave_waveform(events: Events) -> Waveform:
    """One surface-negative-first sine cycle per event."""
    p = events.params

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return -0.5 * p["pp"][i] * np.sin(2 * np.pi * t / events.length_s[i])

    return wave


def raised_cosine_waveform(events: Events) -> Waveform:
    """``amp`` · (1 − cos 2πt/length)/2: blinks, EMG twitch envelopes."""
    p = events.params

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return p["amp"][i] * 0.5 * (1.0 - np.cos(2 * np.pi * t / events.length_s[i]))

    return wave


def step_velocity_waveform(events: Events, sfreq_hz: float) -> Waveform:
    """Constant velocity over each ramp; the cumulative sum of the rendered signal steps by ``step``."""
    per_sample = events.params["step"] / np.maximum(np.ceil(events.length_s * sfreq_hz), 1.0)

    def wave(i: np.ndarray, t: np.ndarray) -> np.ndarray:
        return per_sample[i]

    return wave
