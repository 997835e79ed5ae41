"""Derivations and the amplifier chain of the EEG/EOG leads (synthetic.md §1.3, §1.5 steps 5–6).

`derive` mixes the night's sources into one lead at the internal rate with the §1.3 weights;
`to_native` resamples it to the channel's native rate and adds what the recording hardware adds
(ECG pick-up, mains, white noise, electrode pops), then applies the hardware filters, the gain,
clipping and quantisation. Everything `to_native` adds is independent of the stage.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import signal

from sleepdg.synth import events as ev
from sleepdg.synth.noise import (
    box_noise,
    hardware_filter,
    mains,
    upsample_linear,
)
from sleepdg.synth.profiles import ChannelSpec, DatasetProfile
from sleepdg.synth.sources import FS_INT, Sources
from sleepdg.synth.trajectory import Subject, Trajectory

# Weight of each source at each EEG site class (× the source at its reference site), §1.3.
_EEG_COLUMNS = ("bg", "alpha", "theta", "vertex", "spindle", "kcsw", "sawtooth", "eye_h", "eye_v", "muscle")
EEG_WEIGHTS: dict[str, dict[str, float]] = {
    site: dict(zip(_EEG_COLUMNS, row, strict=True))
    for site, row in {
        "C": (1.0, 0.5, 1.0, 1.0, 1.0, 0.85, 1.0, 0.02, 0.03, 0.5),
        "F": (1.05, 0.3, 0.9, 0.9, 0.8, 1.0, 0.8, 0.08, 0.15, 0.8),
        "O": (0.9, 1.0, 0.6, 0.6, 0.4, 0.5, 0.5, 0.01, 0.01, 0.6),
        "FpzCz": (0.65, 0.25, 0.7, -0.7, 0.7, 0.6, 0.6, 0.15, 0.6, 1.0),  # Cz is the 2nd electrode
        "PzOz": (0.5, 0.85, 0.5, 0.5, 0.45, 0.2, 0.35, 0.01, 0.01, 0.4),
    }.items()
}
SPINDLE_OFFSET_HZ = {"C": 0.0, "F": -0.8, "O": 0.0, "FpzCz": -0.4, "PzOz": 0.2}  # slow frontal spindles
# Horizontal and vertical eye-source weights of each EOG placement (H sign × the profile's eog_sign).
EOG_WEIGHTS: dict[str, tuple[float, float]] = {
    "E1": (1.0, -0.5),  # E1-M2, LOC-A2
    "E2": (-1.0, 0.5),  # E2-M2, ROC-A1
    "EOGH": (2.0, 0.1),  # Sleep-EDF bipolar across the outer canthi
    "EOGL": (1.0, -1.0),  # SHHS, referred to PG1 on the forehead
    "EOGR": (-1.0, -1.0),
}
_COMMON_SHARE = 0.7  # share of background variance common to every lead
_EOG_OWN_BG = 1.4  # independent background of an EOG lead, × its EEG leak × the C background rms
_EOG_ASYMMETRY = (0.3, 0.15)  # per-lead spread of the EEG leak and of the blink weight (±, relative)
_RESAMPLE_HALF_LEN = 6  # FIR half-length per polyphase branch (scipy's default is 10)


def _sweat(sources: Sources, traj: Trajectory, amplitude_uv: float, rng: np.random.Generator) -> np.ndarray:
    """0.05–0.3 Hz drift, strongest in N3 and late in the night; generated at 2 Hz and interpolated."""
    if amplitude_uv <= 0:
        return np.zeros(sources.n, dtype=np.float32)
    weight = 0.5 * (traj.stage == 3) + 0.5 * traj.night
    slow = box_noise(len(weight) * 2, 2.0, 0.05, 0.3, rng) * np.repeat(weight, 2) * amplitude_uv
    return upsample_linear(slow, 2.0, sources.n, FS_INT)


def derive(
    spec: ChannelSpec,
    profile: DatasetProfile,
    sources: Sources,
    traj: Trajectory,
    rng: np.random.Generator,
) -> np.ndarray:
    """One EEG or EOG lead at ``FS_INT`` (µV), from the sources and the §1.3 weights.

    Parameters
    ----------
    spec
        The channel; ``spec.site`` selects the weights.
    profile
        Its dataset (EOG sign and EEG leak into the EOG).
    sources, traj
        The night's sources and trajectory.
    rng
        The lead's own generator (its independent background and sweat).

    Returns
    -------
    np.ndarray
        (sources.n,) float32.
    """
    if spec.kind == "eeg":
        w = EEG_WEIGHTS[spec.site]
        x = w["bg"] * np.sqrt(_COMMON_SHARE) * sources.bg_common
        x += w["bg"] * np.sqrt(1.0 - _COMMON_SHARE) * sources.own_background(rng)
        x += sources.spindles(SPINDLE_OFFSET_HZ[spec.site]) * w["spindle"]
        for name in ("alpha", "theta", "vertex", "kcsw", "sawtooth", "eye_h", "eye_v", "muscle"):
            x += getattr(sources, name) * w[name]
    elif spec.kind == "eog":
        h, v = EOG_WEIGHTS[spec.site]
        v *= 1.0 + rng.uniform(-_EOG_ASYMMETRY[1], _EOG_ASYMMETRY[1])  # electrodes never sit symmetric:
        leak = profile.eog_leak * (
            1.0 + rng.uniform(-_EOG_ASYMMETRY[0], _EOG_ASYMMETRY[0])
        )  # R−L keeps a bit
        f = EEG_WEIGHTS["F"]
        x = leak * f["bg"] * np.sqrt(_COMMON_SHARE) * sources.bg_common
        x += _EOG_OWN_BG * max(leak, 0.1) * sources.own_background(rng)  # the leads' own share of EEG
        x += h * profile.eog_sign * sources.eye_h + v * sources.eye_v
        for name in ("theta", "vertex", "kcsw", "sawtooth"):
            x += leak * f[name] * getattr(sources, name)
        x += (
            0.15
            * leak
            * (f["alpha"] * sources.alpha + f["spindle"] * sources.spindles(SPINDLE_OFFSET_HZ["F"]))
        )
        x += 0.5 * np.sqrt(0.5) * (sources.muscle + sources.own_muscle(rng))  # periocular muscle, half local
    else:
        raise ValueError(f"{spec.label}: derive() handles EEG and EOG leads, not kind {spec.kind!r}")
    x += sources.movement * rng.uniform(0.3, 1.0) * rng.choice([-1.0, 1.0])
    x += _sweat(sources, traj, profile.sweat_uv * rng.uniform(0.5, 1.5), rng)
    return x.astype(np.float32, copy=False)


def resample(x: np.ndarray, from_hz: float, to_hz: float) -> np.ndarray:
    """Polyphase (anti-aliased) resampling between rates with a rational ratio."""
    if from_hz == to_hz:
        return x
    ratio = Fraction(to_hz / from_hz).limit_denominator(1000)
    up, down = ratio.numerator, ratio.denominator
    width = max(up, down)
    taps = signal.firwin(
        2 * _RESAMPLE_HALF_LEN * width + 1, 1.0 / width, window=("kaiser", 5.0)
    )  # scipy scales by up
    y = signal.resample_poly(x, up, down, window=taps)
    return np.asarray(y, dtype=np.float32)


def quantise(x: np.ndarray, spec: ChannelSpec) -> np.ndarray:
    """Clip to the physical range and round to the channel's digital resolution (physical units)."""
    (p0, p1), (d0, d1) = spec.physical_range, spec.digital_range
    step = (p1 - p0) / (d1 - d0)
    codes = np.asarray(x, dtype=np.float64) - p0  # float64: codes up to 65535 must stay exact
    codes *= 1.0 / step
    np.rint(codes, out=codes)
    np.clip(codes, 0, d1 - d0, out=codes)
    codes *= step
    codes += p0
    return codes.astype(np.float32)


def to_native(
    x_int: np.ndarray,
    spec: ChannelSpec,
    profile: DatasetProfile,
    subject: Subject,
    ecg_unit: np.ndarray,
    pops: ev.Events,
    rng: np.random.Generator,
    *,
    is_model_eeg: bool,
) -> np.ndarray:
    """The lead as the amplifier records it: native rate, pick-up, noise, filters, gain, quantisation.

    Parameters
    ----------
    x_int
        (n_int,) the lead at ``FS_INT`` from `derive`.
    spec, profile, subject
        Channel, dataset and night.
    ecg_unit
        (n_int,) ECG at ``FS_INT`` with a QRS peak-to-peak of 1 (the lead's cardiac pick-up).
    pops
        Electrode pops on this lead (params ``amp`` µV, ``tau`` s); usually empty.
    rng
        The lead's own generator.
    is_model_eeg
        The model EEG lead gets exactly the profile's ECG amplitude; other leads 0.5–1.5×.

    Returns
    -------
    np.ndarray
        (n,) float32 physical values, n = len(x_int) · sfreq / FS_INT.
    """
    fs = spec.sfreq_hz
    ecg_scale = profile.ecg_uv * (1.0 if is_model_eeg else rng.uniform(0.5, 1.5))
    x = resample(x_int + ecg_unit * np.float32(ecg_scale * rng.choice([-1.0, 1.0])), FS_INT, fs)
    n = len(x)
    if profile.mains_hz is not None:
        x += mains(n, fs, profile.mains_hz, rng.uniform(*profile.mains_uv), rng)
    x += rng.standard_normal(n, dtype=np.float32) * np.float32(profile.white_noise_uv)
    if len(pops):
        pop_wave = lambda i, t: pops.params["amp"][i] * np.exp(-t / pops.params["tau"][i])  # noqa: E731
        ev.render(x, fs, pops, pop_wave)
    x = hardware_filter(x, fs, profile.hp_hz, profile.lp_hz, profile.lp_order)
    x *= np.float32(subject.gain * np.exp(0.05 * rng.standard_normal()))
    return quantise(x, spec)
