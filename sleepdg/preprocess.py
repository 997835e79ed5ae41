"""From a `Recording` to model-ready epochs: the one preprocessing path of prepare and predict.

Per channel: resample to 100 Hz (polyphase) -> zero-phase band-pass 0.3-35 Hz at 100 Hz -> 30-s
epochs. Then the dataset's epoch selection (Sleep-EDF wake trimming) and a per-recording,
per-channel z-score fitted on the kept epochs (method.md §1). Resampling first keeps the band valid
for every native rate (SHHS EOG is 50 Hz). Predict has no labels: it selects no epochs and fits the
z-score on the whole recording.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Literal

import numpy as np

from sleepdg.epochs import trim_wake
from sleepdg.errors import ReaderError
from sleepdg.params import DatasetPrepare, PrepareCommon
from sleepdg.recording import Recording
from sleepdg.stages import EPOCH_S

log = logging.getLogger(__name__)

MODALITIES: tuple[str, str] = ("eeg", "eog")  # channel order of x: 0 = EEG, 1 = EOG
SOS_ORDER = 8  # Butterworth order of the `sos` filter (the reference's P2018 filter, in stable SOS form)


@dataclass(frozen=True)
class Epochs:
    """Preprocessed epochs of one recording."""

    x: np.ndarray  # (n_epochs, 2, n_samples) float32; channel 0 EEG, 1 EOG
    y: np.ndarray  # (n_epochs,) int8 Stage values
    first_epoch: int  # index of x[0] in the recording's epoch grid (after selection)
    sfreq_hz: float
    mean: tuple[float, float]  # z-score statistics per channel (µV), for the record
    std: tuple[float, float]
    dropped_samples: int  # samples past the last whole epoch (at sfreq_hz), dropped


def resample(data: np.ndarray, from_hz: float, to_hz: float) -> np.ndarray:
    """Polyphase resampling (anti-aliased) of a 1-D signal.

    Parameters
    ----------
    data
        (n_samples,) signal.
    from_hz, to_hz
        Native and target rates; their ratio is approximated by a fraction with denominator <= 1000.

    Returns
    -------
    (round(n_samples * to_hz / from_hz),) float64 signal.
    """
    from scipy.signal import resample_poly

    if from_hz == to_hz:
        return np.asarray(data, dtype=np.float64)
    ratio = Fraction(to_hz / from_hz).limit_denominator(1000)
    return resample_poly(np.asarray(data, dtype=np.float64), ratio.numerator, ratio.denominator)


@lru_cache(maxsize=16)
def _fir_taps(sfreq_hz: float, low_hz: float, high_hz: float) -> np.ndarray:
    """MNE's default zero-phase FIR design (firwin, hamming, automatic transition bands)."""
    import mne

    return np.asarray(
        mne.filter.create_filter(
            None, sfreq_hz, low_hz, high_hz, method="fir", fir_design="firwin", phase="zero", verbose=False
        )
    )


@lru_cache(maxsize=16)
def _sos(sfreq_hz: float, low_hz: float, high_hz: float) -> np.ndarray:
    from scipy.signal import butter

    return np.asarray(butter(SOS_ORDER, [low_hz, high_hz], btype="bandpass", fs=sfreq_hz, output="sos"))


def bandpass(
    data: np.ndarray, sfreq_hz: float, band_hz: tuple[float, float], kind: Literal["fir", "sos"] = "fir"
) -> np.ndarray:
    """Zero-phase band-pass of a 1-D signal.

    ``fir`` is the reference's MNE path (``raw.filter(l, h, fir_design='firwin')``): a linear-phase
    FIR whose delay is compensated, applied by FFT convolution with MNE's reflection padding.
    ``sos`` is an order-8 Butterworth applied forwards and backwards (``sosfiltfilt``), faster.

    Returns float64 for ``sos`` and float32 for ``fir``: its FFT convolution runs 2.4 times faster in
    float32 and stays within 1e-6 of the signal's range of MNE's float64 result (the epochs are
    stored as float32 anyway).
    """
    from scipy.signal import oaconvolve, sosfiltfilt

    low, high = band_hz
    if kind == "sos":
        return sosfiltfilt(_sos(sfreq_hz, low, high), np.asarray(data, dtype=np.float64))
    if kind != "fir":
        raise ValueError(f"unknown filter kind {kind!r}; expected 'fir' or 'sos'")
    x = np.asarray(data, dtype=np.float32)
    taps = _fir_taps(sfreq_hz, low, high).astype(np.float32)
    half = len(taps) // 2
    pad = min(half, len(x) - 1)
    # MNE's "reflect_limited" padding: odd reflection about each edge, zeros beyond the signal's length
    left, right = 2 * x[0] - x[pad:0:-1], 2 * x[-1] - x[-2 : -pad - 2 : -1]
    zeros = np.zeros(half - pad, np.float32)
    padded = np.concatenate([zeros, left, x, right, zeros])
    return oaconvolve(padded, taps, mode="valid")


def _channel_epochs(recording: Recording, modality: str, common: PrepareCommon, kind: str) -> np.ndarray:
    signal = recording.signals[modality]
    x = resample(signal.data, signal.sfreq_hz, common.sfreq_hz)
    return bandpass(x, common.sfreq_hz, common.band_hz, kind)  # type: ignore[arg-type]


def preprocess(
    recording: Recording,
    common: PrepareCommon,
    dataset: DatasetPrepare | None = None,
    *,
    select: bool = True,
    parallel: bool = False,
) -> Epochs:
    """Resample, filter, epoch, select and z-score the EEG and EOG of one recording.

    Parameters
    ----------
    recording
        Signals on the epoch grid and one stage per whole epoch.
    common
        ``prepare.common``: target rate, band, filter kind, normalisation.
    dataset
        ``prepare.<ds>``: epoch selection (``trim_wake``) and a filter override. None for predict.
    select
        Apply the dataset's epoch selection (prepare). Predict passes False.
    parallel
        Filter EEG and EOG in two threads (scipy's resampling and FFTs release the GIL): predict's
        one night gets both cores; prepare, which runs a recording per process, leaves it off.

    Returns
    -------
    Epochs with x (n_epochs, 2, epoch_s * sfreq_hz) float32 and y (n_epochs,) int8.
    """
    kind = (dataset.filter if dataset is not None else None) or common.filter
    n_per_epoch = round(EPOCH_S * common.sfreq_hz)
    if parallel:
        with ThreadPoolExecutor(len(MODALITIES), thread_name_prefix="preprocess") as pool:
            channels = list(pool.map(lambda m: _channel_epochs(recording, m, common, kind), MODALITIES))
    else:
        channels = [_channel_epochs(recording, m, common, kind) for m in MODALITIES]
    n_epochs = min(recording.n_epochs, *(len(c) // n_per_epoch for c in channels))
    if n_epochs == 0:
        raise ReaderError(
            recording.source[0] if recording.source else recording.record_id, "no whole 30-s epoch"
        )
    dropped = max(len(c) for c in channels) - n_epochs * n_per_epoch
    x = np.stack([c[: n_epochs * n_per_epoch].reshape(n_epochs, n_per_epoch) for c in channels], axis=1)
    y = np.asarray(recording.stages[:n_epochs], dtype=np.int8)
    keep = slice(0, n_epochs)
    if select and dataset is not None and dataset.trim_wake is not None:
        keep = trim_wake(y, *dataset.trim_wake)
        if keep.stop <= keep.start:
            raise ReaderError(
                recording.source[0] if recording.source else recording.record_id,
                "no N1-REM epoch to trim wake around",
            )
    trimmed = keep.stop - keep.start < n_epochs  # copy: do not keep the untrimmed night alive in a view
    x, y = x[keep].astype(np.float32, copy=trimmed), y[keep]
    mean, std = x.mean(axis=(0, 2), dtype=np.float64), x.std(axis=(0, 2), dtype=np.float64)  # float64 sums
    if common.normalise == "zscore":
        if np.any(std == 0):
            raise ReaderError(
                recording.source[0] if recording.source else recording.record_id,
                f"flat {MODALITIES[int(np.argmin(std))].upper()} channel: cannot z-score",
            )
        x -= mean.astype(np.float32)[None, :, None]
        x /= std.astype(np.float32)[None, :, None]
    return Epochs(
        x=x,
        y=y,
        first_epoch=keep.start,
        sfreq_hz=common.sfreq_hz,
        mean=(float(mean[0]), float(mean[1])),
        std=(float(std[0]), float(std[1])),
        dropped_samples=int(dropped),
    )
