"""Shared helpers of the synthetic-signal benchmarks: nights through the model's preprocessing, features.

A night = `sleepdg.synth.hypnogram.generate_hypnogram` (true stages, scoring quirks) +
`synthesize_night` (model channels) + `apply_label_noise`, then the pipeline's preprocessing of the
model EEG/EOG (polyphase resample to 100 Hz, zero-phase 0.3–35 Hz band-pass, `sleepdg.preprocess`)
and the dataset's epoch selection (Sleep-EDF wake trimming). Signals stay in µV here; the z-score
is applied where a benchmark needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import signal

from sleepdg.epochs import trim_wake
from sleepdg.params import DATASETS, ShiftScale
from sleepdg.preprocess import bandpass, resample
from sleepdg.synth.hypnogram import PLAIN, generate_hypnogram
from sleepdg.synth.physiology import apply_label_noise, synthesize_night
from sleepdg.synth.profiles import DatasetProfile, scaled_profile

FS = 100.0
EPOCH_N = 3000
BANDS_HZ = ((0.5, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 12.0), (11.0, 16.0), (16.0, 30.0))
SLEEPEDF_TRIM = (60, 59)
_PAD = 80  # Sleep-EDF: synthesise only the trimmed window ± this many epochs (its wake padding is cut)


@dataclass
class Night:
    """One synthetic night after the model's preprocessing (µV, 100 Hz, kept epochs only)."""

    dataset: str
    eeg: np.ndarray  # (E, 3000)
    eog: np.ndarray  # (E, 3000)
    true: np.ndarray  # (E,) true stages
    labels: np.ndarray  # (E,) scored labels with label noise; -1 unscored
    raw: dict[str, tuple[np.ndarray, float]]  # the synthesised channels at their native rates
    start_epoch: int  # index of the first kept epoch in `raw` (epochs of the synthesised window)


def default_scales() -> dict[str, float]:
    """The recommended shift scales (`ShiftScale` defaults)."""
    return dict(ShiftScale().model_dump())


def profile_for(dataset: str, scales: dict[str, float] | None = None) -> DatasetProfile:
    scales = scales or default_scales()
    return scaled_profile(dataset, scales[dataset])


def derivation(raw: dict[str, tuple[np.ndarray, float]], entry: str) -> tuple[np.ndarray, float]:
    """A channel or an ``"A - B"`` derivation of the synthesised channels."""
    parts = [p.strip() for p in entry.split(" - ")]
    x, fs = raw[parts[0]]
    if len(parts) == 2:
        x = x - raw[parts[1]][0]
    return x.astype(np.float64), fs


def to_model_rate(x: np.ndarray, fs: float) -> np.ndarray:
    """The pipeline's per-channel preprocessing: resample to 100 Hz, zero-phase 0.3–35 Hz band-pass."""
    return bandpass(resample(x, fs, FS), FS, (0.3, 35.0), "sos")


def make_night(
    dataset: str,
    seed: int,
    *,
    hours: float = 8.0,
    profile: DatasetProfile | None = None,
    channels: Literal["all", "model"] = "model",
) -> Night:
    """Generate one night of ``dataset`` and return its preprocessed model channels."""
    rng = np.random.default_rng(seed)
    profile = profile or profile_for(dataset)
    hyp = generate_hypnogram(dataset, hours, rng)
    n = hyp.n_signal_epochs
    stages, kinds, movement = hyp.stages[:n], hyp.kinds[:n], hyp.movement[:n]
    labels = apply_label_noise(stages, profile, rng)
    labels = np.where(kinds == PLAIN, labels, -1).astype(np.int8)
    window = slice(0, n)
    if dataset == "sleepedf":
        keep = trim_wake(labels, *SLEEPEDF_TRIM)
        window = slice(max(0, keep.start - _PAD), min(n, keep.stop + _PAD))
    raw = synthesize_night(profile, stages[window], rng, movement=movement[window], channels=channels)
    eeg = to_model_rate(*derivation(raw, profile.model_eeg))
    eog = to_model_rate(*derivation(raw, profile.model_eog))
    e = window.stop - window.start
    eeg, eog = eeg[: e * EPOCH_N].reshape(e, EPOCH_N), eog[: e * EPOCH_N].reshape(e, EPOCH_N)
    true, lab = stages[window], labels[window]
    keep = trim_wake(lab, *SLEEPEDF_TRIM) if dataset == "sleepedf" else slice(0, e)
    return Night(dataset, eeg[keep], eog[keep], true[keep], lab[keep], raw, keep.start)


def welch(epochs: np.ndarray, nperseg: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch Welch PSD (4-s Hann segments): frequencies (F,) and PSD (E, F) in unit²/Hz."""
    f, p = signal.welch(epochs, fs=FS, nperseg=nperseg, axis=-1)
    return f, p


def band_power(f: np.ndarray, psd: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Power in [lo, hi) Hz of each row of ``psd``."""
    m = (f >= lo) & (f < hi)
    return psd[:, m].sum(axis=1) * (f[1] - f[0])


def lr_features(night: Night, *, zscore: bool = True) -> np.ndarray:
    """(E, 12) log band powers of the EEG and EOG (the §4.8 baseline's features).

    With ``zscore`` (the pipeline's per-recording normalisation) amplitude is removed; without it
    the powers are in µV².
    """
    feats = []
    for x in (night.eeg, night.eog):
        z = (x - x.mean()) / x.std() if zscore else x
        f, p = welch(z)
        feats += [np.log(band_power(f, p, lo, hi) + 1e-12) for lo, hi in BANDS_HZ]
    return np.stack(feats, axis=1)


def night_seed(dataset: str, index: int, base: int = 0) -> int:
    """A fixed seed per (dataset, night) so every benchmark sees the same nights."""
    return base * 100_000 + DATASETS.index(dataset) * 10_000 + index
