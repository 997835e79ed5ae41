"""Noise processes of the synthetic PSG: time-varying 1/f background, band noise, gates, mains.

Everything is generated in the frequency domain (one FFT per process, or per 30-s block for the
1/f background) and returned as float32; no per-sample Python loop.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from scipy import signal
from scipy.special import ndtri

_TWO_PI = 2.0 * np.pi
KNEE_HZ = 2.0  # aperiodic knee: real sleep EEG spectra flatten below ~1–2 Hz
TOP_HZ = (36.0, 40.0)  # cortical background tapered to 0 over this band: above it, muscle and noise only


def fast_len(n: int) -> int:
    """Smallest FFT-friendly length ≥ ``n``."""
    return int(scipy.fft.next_fast_len(int(n), real=True))


def per_second_to_samples(values: np.ndarray, n_samples: int, sfreq_hz: float) -> np.ndarray:
    """Linear interpolation of a 1-Hz trajectory (value k at t = k + 0.5 s) to the sample grid.

    Parameters
    ----------
    values
        (n_seconds,) values, one per second.
    n_samples, sfreq_hz
        Length and rate of the output.

    Returns
    -------
    np.ndarray
        (n_samples,) float32.
    """
    return upsample_linear(np.asarray(values), 1.0, n_samples, sfreq_hz)


def upsample_linear(values: np.ndarray, from_hz: float, n_samples: int, sfreq_hz: float) -> np.ndarray:
    """Linear interpolation of a regular series (value k at t = (k + 0.5)/from_hz) to ``sfreq_hz``.

    Uses a broadcast (n_values, factor) product when ``sfreq_hz / from_hz`` is an integer, which is
    several times faster than ``np.interp``; values beyond either end are held.

    Returns
    -------
    np.ndarray
        (n_samples,) float32.
    """
    ratio = sfreq_hz / from_hz
    factor = round(ratio)
    v = np.asarray(values, dtype=np.float32)
    if abs(ratio - factor) > 1e-9 or factor < 1 or len(v) * factor < n_samples:
        t = (np.arange(n_samples, dtype=np.float64) + 0.5) / sfreq_hz
        return np.interp(t, (np.arange(len(v)) + 0.5) / from_hz, v).astype(np.float32)
    frac = (np.arange(factor, dtype=np.float32) + 0.5) / factor - 0.5  # offset from the value's centre
    half = int(np.searchsorted(frac, 0.0))
    out = np.empty((len(v), factor), dtype=np.float32)
    out[:] = v[:, None]
    out[:, :half] += np.diff(v, prepend=v[:1])[:, None] * frac[None, :half]
    out[:, half:] += np.diff(v, append=v[-1:])[:, None] * frac[None, half:]
    return out.reshape(-1)[:n_samples]


def _complex_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Circular complex Gaussian (E|z|² = 1) as complex64."""
    z = rng.standard_normal((*shape, 2), dtype=np.float32)
    return z.view(np.complex64)[..., 0] * np.float32(np.sqrt(0.5))


def shaped_noise(n: int, sfreq_hz: float, amplitude: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stationary Gaussian noise whose amplitude spectrum follows ``amplitude(f)``, unit variance.

    Parameters
    ----------
    n, sfreq_hz
        Length (samples) and rate of the output.
    amplitude
        amplitude
        (fast_len(n)//2 + 1,) non-negative weights on the rfft grid of ``fast_len(n)`` points,
        whose frequencies `rfft_freqs` returns.
    rng
        Random generator.

    Returns
    -------
    np.ndarray
        (n,) float32 with variance ≈ 1 (0 if ``amplitude`` is all zero).
    """
    n_fft = fast_len(n)
    amp = np.asarray(amplitude, dtype=np.float32)
    power = float(np.sum(amp.astype(np.float64) ** 2))
    if power <= 0.0:
        return np.zeros(n, dtype=np.float32)
    spectrum = np.zeros(n_fft // 2 + 1, dtype=np.complex64)
    active = np.flatnonzero(amp > 1e-6 * amp.max())
    lo, hi = int(active[0]), int(active[-1]) + 1
    spectrum[lo:hi] = _complex_normal(rng, (hi - lo,)) * amp[lo:hi]
    x = scipy.fft.irfft(spectrum, n=n_fft, norm="ortho")[:n]
    return (x / np.float32(np.sqrt(2.0 * power / n_fft))).astype(np.float32, copy=False)


def rfft_freqs(n: int, sfreq_hz: float) -> np.ndarray:
    """Frequencies (Hz) of the rfft grid `shaped_noise` uses for ``n`` samples."""
    return np.fft.rfftfreq(fast_len(n), 1.0 / sfreq_hz)


def _top_taper(f: np.ndarray) -> np.ndarray:
    """1 below TOP_HZ[0], a cosine down to 0 at TOP_HZ[1] and beyond."""
    lo, hi = TOP_HZ
    x = np.clip((f - lo) / (hi - lo), 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * x))


def power_law_noise(n: int, sfreq_hz: float, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary 1/f^β noise (flat below 0.1 Hz, nothing at DC or above 40 Hz), unit rms in 0.3–35 Hz."""
    f = rfft_freqs(n, sfreq_hz)
    amp = np.where(f > 0, np.maximum(f, 0.1) ** (-beta / 2), 0.0) * _top_taper(f)
    in_band = (f >= 0.3) & (f <= 35.0)
    return shaped_noise(n, sfreq_hz, amp, rng) * np.float32(
        np.sqrt(np.sum(amp**2) / np.sum(amp[in_band] ** 2))
    )


def band_noise(
    n: int, sfreq_hz: float, centre_hz: float, width_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """Unit-variance noise with a Gaussian power peak at ``centre_hz`` (−3 dB width ``width_hz``)."""
    f = rfft_freqs(n, sfreq_hz)
    sigma = width_hz / (2.0 * np.sqrt(np.log(2.0)))  # power exp(-(f-c)²/σ²) halves at ±width/2
    return shaped_noise(n, sfreq_hz, np.exp(-0.5 * ((f - centre_hz) / sigma) ** 2), rng)


def box_noise(n: int, sfreq_hz: float, lo_hz: float, hi_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise flat between ``lo_hz`` and ``hi_hz`` with soft (≈1 Hz) edges."""
    f = rfft_freqs(n, sfreq_hz)
    edge = max(0.02, 0.05 * (hi_hz - lo_hz))
    amp = 1.0 / (1.0 + np.exp(-(f - lo_hz) / edge)) / (1.0 + np.exp((f - hi_hz) / edge))
    return shaped_noise(n, sfreq_hz, amp, rng)


def colored_noise(
    n: int,
    sfreq_hz: float,
    beta_per_s: np.ndarray,
    rms_per_s: np.ndarray,
    rng: np.random.Generator,
    *,
    block_s: float = 30.0,
    band_hz: tuple[float, float] = (0.3, 35.0),
    knee_hz: float = KNEE_HZ,
) -> np.ndarray:
    """Aperiodic background whose exponent and rms follow 1-Hz trajectories (synthetic.md §1.5 step 2).

    Gaussian spectra shaped to the power law with a knee, PSD ∝ 1/(knee^β + f^β) (flat below the
    knee, f^−β above it), in ``block_s`` blocks at 50 % overlap; sine windows make the overlap-add
    variance-preserving. Each block is scaled so its rms inside ``band_hz`` equals the trajectory
    value at the block centre.

    Parameters
    ----------
    n, sfreq_hz
        Output length (samples) and rate (Hz).
    beta_per_s, rms_per_s
        (n_seconds,) exponent and band rms (µV), one value per second.
    rng
        Random generator.
    block_s, band_hz, knee_hz
        Block length (s), the band the rms refers to and the aperiodic knee (Hz).

    Returns
    -------
    np.ndarray
        (n,) float32, µV.
    """
    block = round(block_s * sfreq_hz) // 2 * 2
    hop = block // 2
    n_blocks = -(-n // hop) + 1  # block b spans samples [(b-1)·hop, (b+1)·hop)
    centres_s = np.arange(n_blocks) * hop / sfreq_hz
    idx = np.clip(centres_s.astype(np.int64), 0, len(beta_per_s) - 1)
    beta, rms = np.asarray(beta_per_s)[idx], np.asarray(rms_per_s)[idx]
    f = np.fft.rfftfreq(block, 1.0 / sfreq_hz)
    log_f = np.log(np.maximum(f, 0.1))[None, :]
    log_k = np.log(max(knee_hz, 0.1))
    shape = (np.exp(beta[:, None] * log_k) + np.exp(beta[:, None] * log_f)) ** -0.5  # (B, F)
    shape = (shape * _top_taper(f)[None, :]).astype(np.float32)
    shape[:, 0] = 0.0
    in_band = (f >= band_hz[0]) & (f <= band_hz[1])
    band_var = 2.0 * np.sum(shape[:, in_band].astype(np.float64) ** 2, axis=1) / block
    shape *= (rms / np.sqrt(band_var)).astype(np.float32)[:, None]
    spectra = _complex_normal(rng, shape.shape) * shape
    blocks = scipy.fft.irfft(spectra, n=block, axis=1, norm="ortho").astype(np.float32, copy=False)
    window = np.sin(np.pi * (np.arange(block) + 0.5) / block).astype(np.float32)
    blocks *= window
    halves = blocks.reshape(n_blocks, 2, hop)
    out = (halves[1:, 0, :] + halves[:-1, 1, :]).reshape(-1)  # segment j = [j·hop, (j+1)·hop)
    return out[:n]


def smooth_gate(
    share_per_s: np.ndarray,
    n: int,
    sfreq_hz: float,
    rng: np.random.Generator,
    *,
    burst_s: float = 2.5,
    edge: float = 0.3,
) -> np.ndarray:
    """Waxing/waning on-off gate in [0, 1] that is on for ``share_per_s`` of the time on average.

    The gate is a soft threshold of smooth Gaussian noise (correlation ≈ ``burst_s``), so bursts
    last about 1–6 s and their edges rise over a few hundred ms (synthetic.md §1.2 alpha/theta).

    Parameters
    ----------
    share_per_s
        (n_seconds,) fraction of time on, in [0, 1].
    n, sfreq_hz
        Output length and rate.
    rng
        Random generator.
    burst_s, edge
        Typical burst length (s) and softness of the threshold (in noise sd).

    Returns
    -------
    np.ndarray
        (n,) float32 in [0, 1].
    """
    slow_fs = 4.0
    n_slow = int(np.ceil(n / sfreq_hz * slow_fs)) + 2
    f = rfft_freqs(n_slow, slow_fs)
    z = shaped_noise(n_slow, slow_fs, np.exp(-0.5 * (f * burst_s * 1.5) ** 2), rng)
    share = upsample_linear(share_per_s, 1.0, n_slow, slow_fs)
    inflate = np.sqrt(1.0 + (np.pi * edge / np.sqrt(3.0)) ** 2)  # logistic ≈ normal of this sd
    q = ndtri(np.clip(1.0 - share, 1e-6, 1.0 - 1e-6)) * inflate
    gate = 1.0 / (1.0 + np.exp(-(z - q) / edge))
    gate[share <= 1e-6] = 0.0
    return upsample_linear(gate, slow_fs, n, sfreq_hz)


def mains(
    n: int, sfreq_hz: float, mains_hz: float, amplitude_uv: float, rng: np.random.Generator
) -> np.ndarray:
    """Mains hum: fundamental + 10 % third harmonic (below 0.45·fs), amplitude drifting ±50 %.

    With integer rates the hum repeats every second, so one second is computed and tiled.
    """
    period = round(sfreq_hz) if float(sfreq_hz).is_integer() and float(mains_hz).is_integer() else n
    t = np.arange(min(period, n), dtype=np.float64) / sfreq_hz
    cycle = np.zeros(len(t))
    for harmonic, rel in ((1, 1.0), (3, 0.1)):
        if harmonic * mains_hz < 0.45 * sfreq_hz:
            cycle += rel * np.sin(_TWO_PI * harmonic * mains_hz * t + rng.uniform(0, _TWO_PI))
    hum = np.tile(cycle.astype(np.float32), -(-n // len(cycle)))[:n]
    n_slow = int(np.ceil(n / sfreq_hz / 10.0)) + 2  # one drift value per 10 s
    drift = upsample_linear(rng.uniform(0.5, 1.5, n_slow), 0.1, n, sfreq_hz)
    return hum * drift * np.float32(amplitude_uv)


def hardware_filter(
    x: np.ndarray, sfreq_hz: float, hp_hz: float | None, lp_hz: float | None, lp_order: int = 1
) -> np.ndarray:
    """Causal amplifier filters: 1-pole high-pass and ``lp_order``-pole Butterworth low-pass."""
    sections = []
    if hp_hz is not None and hp_hz > 0:
        sections.append(signal.butter(1, hp_hz, "highpass", fs=sfreq_hz, output="sos"))
    if lp_hz is not None and lp_hz < 0.45 * sfreq_hz:
        sections.append(signal.butter(lp_order, lp_hz, "lowpass", fs=sfreq_hz, output="sos"))
    if not sections:
        return x
    sos = np.vstack(sections)
    zi = (signal.sosfilt_zi(sos) * float(x[0])).astype(np.float32)
    y, _ = signal.sosfilt(
        sos.astype(np.float32), np.asarray(x, dtype=np.float32), zi=zi
    )  # float32: 2× faster
    return np.asarray(y, dtype=np.float32)
