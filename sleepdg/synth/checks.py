"""Measurements behind the synthetic generator's acceptance checks (synthetic.md Part 4).

Plain detectors on µV signals at 100 Hz after the model's 0.3–35 Hz band-pass: spectral summaries,
a YASA-like spindle detector (two of three criteria: relative sigma power, sigma rms, sigma/broad
correlation), slow waves and K-complexes from zero crossings, eye movements from the 0.3–5 Hz
velocity, blinks from short peaks. They serve the acceptance benchmark and its CI smoke test.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.ndimage import uniform_filter1d

EPOCH_S = 30.0


def band_filter(x: np.ndarray, fs: float, lo: float, hi: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass (``order`` poles each way) of a 1-D signal."""
    sos = signal.butter(order, [lo, hi], "bandpass", fs=fs, output="sos")
    return np.asarray(signal.sosfiltfilt(sos, np.asarray(x, dtype=np.float64)))


def epoch_psd(epochs: np.ndarray, fs: float, nperseg_s: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of each epoch: frequencies (F,) and (E, F) µV²/Hz."""
    f, p = signal.welch(epochs, fs=fs, nperseg=int(nperseg_s * fs), axis=-1)
    return f, p


def band_power(f: np.ndarray, psd: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Power in [lo, hi) Hz of each row of ``psd`` (µV²)."""
    m = (f >= lo) & (f < hi)
    return np.asarray(psd[..., m].sum(axis=-1) * (f[1] - f[0]))


def aperiodic_exponent(
    f: np.ndarray,
    psd: np.ndarray,
    fit_hz: tuple[float, float] = (2.0, 30.0),
    mask_hz: tuple[float, float] = (8.0, 16.0),
) -> float:
    """β of PSD ∝ f^−β fitted in log-log over ``fit_hz`` without ``mask_hz`` on the median of ``psd`` rows
    (the median keeps a few arousal or movement epochs from flattening a stage's spectrum)."""
    m = (f >= fit_hz[0]) & (f <= fit_hz[1]) & ~((f >= mask_hz[0]) & (f <= mask_hz[1]))
    median = np.median(np.atleast_2d(psd), axis=0)
    return float(-np.polyfit(np.log(f[m]), np.log(median[m] + 1e-20), 1)[0])


def _segments(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices of the runs of True in ``mask``."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def detect_spindles(x: np.ndarray, fs: float, nrem: np.ndarray) -> np.ndarray:
    """Spindle centres (s): at least two of relative sigma power ≥ 0.2, sigma rms ≥ mean + 1.5 sd
    (10 %-trimmed, over ``nrem`` samples) and sigma/broad-band correlation ≥ 0.65, lasting 0.5–2 s.

    Parameters
    ----------
    x
        (n,) µV at ``fs``.
    fs
        Sampling rate (Hz).
    nrem
        (n,) bool, samples whose statistics set the rms threshold (N1–N3).
    """
    sigma, broad = band_filter(x, fs, 12.0, 15.0), band_filter(x, fs, 1.0, 30.0)
    w2, w03 = int(2 * fs), int(0.3 * fs)
    rel = uniform_filter1d(sigma**2, w2) / np.maximum(uniform_filter1d(broad**2, w2), 1e-12)
    rms = np.sqrt(uniform_filter1d(sigma**2, w03))
    ref = np.sort(rms[nrem] if nrem.any() else rms)
    trimmed = ref[int(0.1 * len(ref)) : max(int(0.9 * len(ref)), int(0.1 * len(ref)) + 1)]
    ms, mb = uniform_filter1d(sigma, w03), uniform_filter1d(broad, w03)
    cov = uniform_filter1d(sigma * broad, w03) - ms * mb
    var_s = uniform_filter1d(sigma**2, w03) - ms**2
    var_b = uniform_filter1d(broad**2, w03) - mb**2
    corr = cov / np.sqrt(np.maximum(var_s * var_b, 1e-12))
    votes = (rel >= 0.2).astype(int) + (rms >= trimmed.mean() + 1.5 * trimmed.std()) + (corr >= 0.65)
    start, stop = _merge(*_segments(votes >= 2), gap=int(0.5 * fs))
    dur = (stop - start) / fs
    keep = (dur >= 0.5) & (dur <= 2.0)
    return (start[keep] + stop[keep]) / 2 / fs


def _merge(start: np.ndarray, stop: np.ndarray, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge runs separated by fewer than ``gap`` samples."""
    if len(start) < 2:
        return start, stop
    new = np.r_[True, start[1:] - stop[:-1] >= gap]
    groups = np.cumsum(new) - 1
    return start[new], np.maximum.reduceat(stop, np.flatnonzero(new))[: groups[-1] + 1]


def slow_waves(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Waves of the 0.3–2 Hz signal between falling zero crossings: start, stop (samples), p-p (µV).

    Only waves of 0.5–2 s (0.5–2 Hz) are returned.
    """
    low = band_filter(x, fs, 0.3, 2.0, order=2)
    down = np.flatnonzero((low[:-1] >= 0) & (low[1:] < 0))
    if len(down) < 2:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    start, stop = down[:-1], down[1:]
    keep = ((stop - start) >= 0.5 * fs) & ((stop - start) <= 2.0 * fs)
    start, stop = start[keep], stop[keep]
    if len(start) == 0:
        return start, stop, np.zeros(0)
    bounds = np.ravel(np.c_[start, stop])  # increasing: waves do not overlap
    pp = np.maximum.reduceat(low, bounds)[::2] - np.minimum.reduceat(low, bounds)[::2]
    return start, stop, pp


def slow_wave_fraction(x: np.ndarray, fs: float, n_epochs: int, threshold_uv: float) -> np.ndarray:
    """(n_epochs,) share of each 30-s epoch covered by slow waves of ≥ ``threshold_uv`` peak-to-peak."""
    start, stop, pp = slow_waves(x, fs)
    covered = np.zeros(len(x), dtype=bool)
    for a, b in zip(start[pp >= threshold_uv], stop[pp >= threshold_uv], strict=True):
        covered[a:b] = True
    n = int(EPOCH_S * fs)
    return covered[: n_epochs * n].reshape(n_epochs, n).mean(axis=1)


def kcomplexes(x: np.ndarray, fs: float, threshold_uv: float, isolation_s: float = 3.0) -> np.ndarray:
    """Times (s) of isolated large waves (≥ ``threshold_uv`` p-p, no other within ``isolation_s``)."""
    start, stop, pp = slow_waves(x, fs)
    big = pp >= threshold_uv
    t = (start[big] + stop[big]) / 2 / fs
    if len(t) < 2:
        return t
    gap_before = np.r_[np.inf, np.diff(t)]
    gap_after = np.r_[np.diff(t), np.inf]
    return t[(gap_before >= isolation_s) & (gap_after >= isolation_s)]


def eye_movements(x: np.ndarray, fs: float, velocity_uv_s: float, amplitude_uv: float) -> np.ndarray:
    """Times (s) where the 0.3–5 Hz EOG moves faster than ``velocity_uv_s`` (peaks ≥ 0.3 s apart)
    and changes by at least ``amplitude_uv`` within ±0.3 s (so EEG transients leaking in are not counted)."""
    y = band_filter(x, fs, 0.3, 5.0, order=2)
    v = np.abs(np.gradient(y) * fs)
    peaks, _ = signal.find_peaks(v, height=velocity_uv_s, distance=int(0.3 * fs))
    half = int(0.3 * fs)
    lo, hi = np.clip(peaks - half, 0, len(y) - 1), np.clip(peaks + half, 0, len(y) - 1)
    change = np.abs(y[hi] - y[lo])
    return peaks[change >= amplitude_uv] / fs


def blinks(
    x: np.ndarray,
    fs: float,
    polarity: float,
    amplitude_uv: float,
    *,
    side_s: float = 0.3,
    tolerance: float = 0.5,
) -> np.ndarray:
    """Times (s) of blink-shaped bumps: ≥ ``amplitude_uv`` with ``polarity``, 0.08–0.3 s wide at half
    height, back near the baseline on both sides (``side_s`` away, levels within ``tolerance`` × the
    height of each other), unlike the steps of eye movements."""
    y = np.sign(polarity) * band_filter(x, fs, 0.3, 10.0, order=2)
    peaks, _props = signal.find_peaks(y, prominence=amplitude_uv, width=(0.08 * fs, 0.3 * fs), rel_height=0.5)
    side = int(side_s * fs)
    left, right = np.clip(peaks - side, 0, len(y) - 1), np.clip(peaks + side, 0, len(y) - 1)
    height = y[peaks] - (y[left] + y[right]) / 2
    symmetric = (np.abs(y[left] - y[right]) < tolerance * height) & (height >= amplitude_uv)
    return peaks[symmetric] / fs


def rate_per_min(times_s: np.ndarray, stages: np.ndarray, stage: int) -> float:
    """Events per minute of the epochs scored ``stage`` (NaN if there are none)."""
    in_stage = stages == stage
    if not in_stage.any():
        return float("nan")
    epoch = np.clip((times_s // EPOCH_S).astype(int), 0, len(stages) - 1)
    return float(np.sum(in_stage[epoch]) / (in_stage.sum() * EPOCH_S / 60.0))
