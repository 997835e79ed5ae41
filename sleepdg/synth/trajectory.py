"""Per-night subject parameters and the 1-Hz parameter trajectory θ(t) (synthetic.md §1.1, §1.5–1.6, §3.2).

The trajectory holds every stage-dependent quantity of the night, one value per second: background
exponent and rms, rhythm amplitudes and duty cycles, event rates, EMG tone. Per-epoch values
(stage table × per-epoch jitter) are blended across stage boundaries with a two-sided exponential
kernel, so the physiology changes smoothly while the label keeps the majority rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import convolve1d

from sleepdg.stages import EPOCH_S
from sleepdg.synth.events import Events, poisson_times
from sleepdg.synth.profiles import DatasetProfile

_EPOCH = int(EPOCH_S)
# Stage tables, index W, N1, N2, N3, REM, at the reference site of each component (synthetic.md §1.1).
BG_RMS_UV = np.array([9.0, 11.0, 13.0, 16.0, 10.0])  # 1/f background at C, 0.3–35 Hz
# Aperiodic exponent of the background (with a 2-Hz knee, noise.KNEE_HZ). Off §1.1's recipe (1.35, 1.65,
# 2.0, 2.5, 1.8) so that the exponent fitted on the whole signal (2–30 Hz, 8–16 Hz masked), where theta,
# sawtooth and eye leak steepen N1/REM and muscle and amplifier noise flatten W/N2/N3, lands in §1.1's
# ranges (acceptance check 2), and REM's flatter background does not out-sigma N2's spindles (check 1).
BETA = np.array([1.5, 1.4, 2.2, 2.8, 1.9])
ALPHA_RMS_UV = np.array([12.0, 5.0, 0.0, 0.0, 0.0])  # at O2-M1 while on (W: eyes closed)
ALPHA_SHARE = np.array([0.55, 0.2, 0.0, 0.0, 0.0])
REM_ALPHA = (3.0, 0.1)  # rms at O, share of REM epochs; 1–2 Hz slower than W alpha
THETA_RMS_UV = np.array([3.0, 7.0, 5.0, 7.0, 6.0])  # at C while on
THETA_SHARE = np.array([0.2, 0.45, 0.35, 0.4, 0.5])
MUSCLE_RMS_UV = np.array([4.0, 2.0, 0.6, 0.3, 0.8])  # 18–35 Hz at Fpz-Cz (REM: + twitches)
VERTEX_PER_MIN = np.array([0.0, 3.0, 0.5, 0.0, 0.0])
SPINDLE_REL = np.array([0.0, 0.03, 1.0, 0.3, 0.0])  # × the N2 density
KC_PER_MIN = np.array([0.0, 0.1, 1.5, 0.0, 0.0])
SAWTOOTH_PER_MIN = np.array([0.0, 0.0, 0.0, 0.0, 1.5])
EMG_REL = np.array([1.0, 0.65, 0.4, 0.35, 0.12])  # chin EMG rms × W
SW_BETA = {2: (0.06, 0.06, 0.0, 0.25), 3: (0.45, 0.18, 0.15, 0.95)}  # mean, sd, min, max of f_SW
SEM_P = np.array([0.3, 0.65, 0.10, 0.0, 0.0])  # share of epochs with slow eye movements
SEM_AMP = np.array([0.8, 1.0, 0.5, 0.0, 0.0])
BLINK_PER_MIN = {"open": 25.0, "closed": 2.0, "N1": 0.5}
SACCADE_PER_MIN = {"open": 45.0, "closed": 3.0}
REM_BURST_PER_MIN = {"phasic": 6.0, "tonic": 0.3}
TWITCH_PER_MIN = {"phasic": 10.0, "tonic": 2.0}
P_PHASIC = 0.5
BLUR_P = 0.45  # share of epochs pulled towards a neighbouring stage (§1.6 ambiguity)
BLUR_NEIGHBOURS = np.array([[1, 1], [0, 2], [1, 3], [2, 2], [1, 2]])  # two candidates per stage
# kept from the epoch's own stage: REM atonia, waking eye behaviour and the slow-wave share (whose
# overlap between N2 and N3 the Beta draws already give, §1.2)
UNBLURRED = frozenset({"emg_rel", "twitch", "blink", "saccade", "sw_frac"})
N1_ALPHA_P = 0.2  # N1 epochs with alpha in 30–50 % of the epoch (§1.6 ambiguity budget)
SHARE_SD = 0.15  # per-epoch spread of rhythm duty cycles
SUBJECT_SD = 0.25  # between-subject spread of each stage's amplitudes (LogN sigma)
RHYTHM_JITTER = 0.3  # per-epoch LogN sigma of rhythm and muscle amplitudes (background: 0.15)


@dataclass(frozen=True)
class Subject:
    """Per-night parameters drawn from the profile (synthetic.md §1.6, §3.2)."""

    age_y: float
    alpha_hz: float
    alpha_amp: float
    spindle_hz_c: float  # at C; other sites add their offset (montage.SPINDLE_OFFSET_HZ)
    spindle_density: float  # N2, per minute
    spindle_amp: float
    kcsw_amp: float
    beta_offset: float
    eyes_closed_p: float  # share of W epochs with eyes closed
    emg_w_uv: float  # chin EMG rms in W
    eog_gain: float
    gain: float  # amplifier gain of the EEG/EOG leads
    hr_bpm: float
    resp_hz: float
    arousal_per_h: float
    tau_s: float  # boundary blending time constant
    eye_tau_s: float  # decay of eye-position steps


def _age_factor(age: float, slope: float, floor: float) -> float:
    """Linear decline from 25 y (synthetic.md §3.2), floored."""
    return max(floor, 1.0 - slope * (age - 25.0))


def draw_subject(profile: DatasetProfile, model_site_offset_hz: float, rng: np.random.Generator) -> Subject:
    """Draw one night's subject; the profile's values hold at its typical age."""
    mean_age, sd_age, lo, hi = profile.age_y
    age = float(np.clip(rng.normal(mean_age, sd_age), lo, hi))

    def rel(slope: float, floor: float) -> float:
        return _age_factor(age, slope, floor) / _age_factor(mean_age, slope, floor)

    low_alpha = 0.3 if rng.random() < 0.1 else 1.0
    arousal_rel = (10 + 0.3 * (age - 25)) / (10 + 0.3 * (mean_age - 25))
    return Subject(
        age_y=age,
        alpha_hz=float(rng.normal(profile.alpha_hz - 0.02 * (age - mean_age), 0.5)),
        alpha_amp=profile.alpha_amp * rel(0.008, 0.5) * low_alpha,
        spindle_hz_c=float(
            rng.normal(profile.spindle_hz - model_site_offset_hz + 0.01 * (age - mean_age), 0.4)
        ),
        spindle_density=profile.spindle_density
        * rel(0.012, 0.4)
        * float(np.exp(0.3 * rng.standard_normal())),
        spindle_amp=profile.spindle_amp * rel(0.008, 0.5),
        kcsw_amp=profile.kcsw_amp * rel(0.010, 0.5) * float(np.exp(0.2 * rng.standard_normal())),
        beta_offset=profile.beta_offset - 0.008 * (age - mean_age) + float(rng.normal(0.0, 0.15)),
        eyes_closed_p=float(rng.uniform(0.3, 0.95)),
        emg_w_uv=20.0 * float(np.exp(0.4 * rng.standard_normal())),
        eog_gain=float(np.exp(0.3 * rng.standard_normal())),
        gain=float(np.exp(profile.gain_sigma * rng.standard_normal())),
        hr_bpm=float(rng.uniform(50, 80)),
        resp_hz=float(rng.uniform(0.2, 0.3)),
        arousal_per_h=profile.arousal_per_h * arousal_rel,
        tau_s=float(rng.uniform(5, 15)),
        eye_tau_s=float(rng.uniform(0.5, 2.0)),
    )


@dataclass(frozen=True)
class Trajectory:
    """Stage-dependent quantities, one value per second (index k covers [k, k+1) s)."""

    stage: np.ndarray  # (S,) int8 stage driving the physiology (unscored -> W), after early onsets
    night: np.ndarray  # (S,) time of night over the sleep period, 0..1
    beta: np.ndarray
    bg_rms: np.ndarray
    alpha_rms: np.ndarray
    alpha_share: np.ndarray
    rem_alpha_share: np.ndarray
    theta_rms: np.ndarray
    theta_share: np.ndarray
    muscle_rms: np.ndarray
    emg_rel: np.ndarray
    sem_pp: np.ndarray  # slow-eye-movement peak-to-peak on the horizontal source, µV
    sw_frac: np.ndarray
    rates: dict[str, np.ndarray]  # events per second: spindle kc vertex sawtooth rem blink saccade twitch
    arousals: Events  # params: "emg" multiplier


def _beta_draw(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float, m: int) -> np.ndarray:
    """``m`` Beta draws with this mean and sd, clipped to [lo, hi]."""
    nu = mean * (1 - mean) / sd**2 - 1
    return np.clip(rng.beta(mean * nu, (1 - mean) * nu, m), lo, hi)


def _early_onsets(stage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-second stage; at 15 % of transitions the next stage starts 5–14 s early."""
    per_s = np.repeat(stage, _EPOCH)
    for k in np.flatnonzero(np.diff(stage) != 0):
        if rng.random() < 0.15:
            b = (k + 1) * _EPOCH
            per_s[b - int(rng.integers(5, 15)) : b] = stage[k + 1]
    return per_s


def _smooth(x: np.ndarray, tau_s: float) -> np.ndarray:
    """Two-sided exponential smoothing (time constant ``tau_s`` seconds) of a 1-Hz series."""
    half = int(4 * tau_s)
    kernel = np.exp(-np.abs(np.arange(-half, half + 1)) / tau_s)
    return convolve1d(np.asarray(x, dtype=np.float64), kernel / kernel.sum(), mode="nearest")


def _night_fraction(stage: np.ndarray) -> np.ndarray:
    """Time over the sleep period (first to last sleep second), 0..1, per second."""
    sleep = np.flatnonzero(stage > 0)
    if len(sleep) == 0:
        return np.zeros(len(stage))
    first, last = sleep[0], sleep[-1] + 1
    return np.clip((np.arange(len(stage)) - first) / max(last - first, 1), 0.0, 1.0)


def _shares(rng: np.random.Generator, mean: np.ndarray, sd: float = SHARE_SD) -> np.ndarray:
    """Per-epoch duty cycles ~ Beta(mean, sd); 0 where the mean is 0."""
    m = np.clip(mean, 1e-3, 1 - 1e-3)
    nu = np.maximum(m * (1 - m) / sd**2 - 1, 0.5)
    return np.where(mean > 0, rng.beta(m * nu, (1 - m) * nu), 0.0)


def _night_tables(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """This subject's own stage tables: amplitudes × LogN(0, SUBJECT_SD), exponents + N(0, 0.1), per stage."""

    def amp(table: np.ndarray) -> np.ndarray:
        return table * np.exp(SUBJECT_SD * rng.standard_normal(len(table)))

    return {
        "bg": amp(BG_RMS_UV),
        "beta": BETA + rng.normal(0.0, 0.1, len(BETA)),
        "alpha": amp(ALPHA_RMS_UV),
        "theta": amp(THETA_RMS_UV),
        "muscle": amp(MUSCLE_RMS_UV),
    }


def _epoch_values(
    stage: np.ndarray, subject: Subject, tables: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per-epoch values: stage tables × jitter, eye state, phasic REM, SEM and slow-wave fractions."""
    e = len(stage)
    jit = lambda sigma=RHYTHM_JITTER: np.exp(sigma * rng.standard_normal(e))  # noqa: E731
    eyes_closed = _eye_states(e, subject.eyes_closed_p, rng) & (stage == 0)
    is_w, is_n1, is_rem = stage == 0, stage == 1, stage == 4
    phasic = is_rem & (rng.random(e) < P_PHASIC)
    sem = rng.random(e) < SEM_P[stage] * np.where(is_w, eyes_closed, 1)
    sw = np.zeros(e)
    for s, (mean, sd, lo, hi) in SW_BETA.items():
        sw[stage == s] = _beta_draw(rng, mean, sd, lo, hi, int(np.sum(stage == s)))
    alpha_rms = tables["alpha"][stage] * np.where(is_w & ~eyes_closed, 0.2, 1.0)
    alpha_share = _shares(rng, ALPHA_SHARE[stage])
    n1_alpha = is_n1 & (rng.random(e) < N1_ALPHA_P)  # drowsy N1 epochs with wake-like alpha
    alpha_rms[n1_alpha] = 0.7 * tables["alpha"][0]
    alpha_share[n1_alpha] = rng.uniform(0.3, 0.5, int(n1_alpha.sum()))
    return {
        "beta": tables["beta"][stage] + rng.normal(0.0, 0.15, e),
        "bg_rms": tables["bg"][stage] * jit(0.15),
        "alpha_rms": alpha_rms * jit(),
        "alpha_share": alpha_share,
        "rem_alpha_share": np.where(is_rem, REM_ALPHA[1], 0.0),
        "theta_rms": tables["theta"][stage] * jit(),
        "theta_share": _shares(rng, THETA_SHARE[stage]),
        "muscle_rms": tables["muscle"][stage] * jit(),
        "emg_rel": EMG_REL[stage] * jit(0.15),
        "sem_pp": np.where(sem, SEM_AMP[stage] * rng.uniform(50, 200, e), 0.0),
        "sw_frac": sw,
        "spindle": SPINDLE_REL[stage] / 60.0,
        "kc": KC_PER_MIN[stage] / 60.0,
        "vertex": VERTEX_PER_MIN[stage] / 60.0,
        "sawtooth": SAWTOOTH_PER_MIN[stage] / 60.0,
        "rem": np.where(phasic, REM_BURST_PER_MIN["phasic"], is_rem * REM_BURST_PER_MIN["tonic"]) / 60.0,
        "blink": _eye_rate(stage, eyes_closed, BLINK_PER_MIN) / 60.0,
        "saccade": _eye_rate(stage, eyes_closed, SACCADE_PER_MIN) / 60.0,
        "twitch": np.where(phasic, TWITCH_PER_MIN["phasic"], is_rem * TWITCH_PER_MIN["tonic"]) / 60.0,
    }


def _blurred_values(
    stage: np.ndarray, subject: Subject, tables: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per-epoch values where a share ``BLUR_P`` of epochs is pulled towards a neighbouring stage.

    The blurred epoch keeps 40–90 % of its own stage's values and takes the rest from a stage scorers
    confuse it with (W↔N1, N1↔N2/REM, N2↔N3, REM↔N1/N2): individual epochs vary between stages as
    real ones do, while every stage keeps its textbook signature on average.
    """
    own = _epoch_values(stage, subject, tables, rng)
    blur = (rng.random(len(stage)) < BLUR_P) & (stage >= 0)
    if not blur.any():
        return own
    choice = rng.integers(0, 2, len(stage))
    neighbour = np.where(blur, BLUR_NEIGHBOURS[stage, choice], stage)
    other = _epoch_values(neighbour, subject, tables, rng)
    w = np.where(blur, rng.uniform(0.4, 0.9, len(stage)), 1.0)
    return {k: (w * own[k] + (1 - w) * other[k]) if k not in UNBLURRED else own[k] for k in own}


def _eye_states(n: int, closed_p: float, rng: np.random.Generator) -> np.ndarray:
    """Eyes-closed flags per epoch: a two-state chain that stays put with p 0.8, stationary at closed_p."""
    stay = 0.8
    flips = rng.random(n) > stay
    fresh = rng.random(n) < closed_p
    keep_idx = np.maximum.accumulate(np.where(flips | (np.arange(n) == 0), np.arange(n), 0))
    return fresh[keep_idx]


def _eye_rate(stage: np.ndarray, closed: np.ndarray, table: dict[str, float]) -> np.ndarray:
    """Per-epoch rate (per min) from ``table``: eyes open / closed in W, the N1 entry in N1, else 0."""
    rate = np.where(stage == 0, np.where(closed, table["closed"], table["open"]), 0.0)
    return np.where(stage == 1, table.get("N1", 0.0), rate)


def _draw_arousals(stage_s: np.ndarray, per_h: float, rng: np.random.Generator) -> Events:
    """Arousals in sleep: 3–15 s (median 7 s), after ≥10 s of sleep, EMG × 1.5–3."""
    asleep = (stage_s > 0).astype(np.float64)
    settled = convolve1d(asleep, np.ones(10), mode="constant", origin=4) >= 10  # 10 s of sleep before
    onset = poisson_times(asleep * settled * per_h / 3600.0, rng, refractory_s=20.0)
    m = len(onset)
    dur = np.clip(7.0 * np.exp(0.4 * rng.standard_normal(m)), 3.0, 15.0)
    return Events(onset, dur, {"emg": rng.uniform(1.5, 3.0, m)})


def build_trajectory(stages: np.ndarray, subject: Subject, rng: np.random.Generator) -> Trajectory:
    """Blend per-epoch stage values into 1-Hz trajectories (synthetic.md §1.5 steps 1, 3, 4).

    Parameters
    ----------
    stages
        (n_epochs,) true stages, −1 = unscored (treated as W).
    subject
        The night's subject parameters.
    rng
        Random generator.

    Returns
    -------
    Trajectory
        Arrays of n_epochs · 30 values.
    """
    stage = np.where(np.asarray(stages) < 0, 0, stages).astype(np.int64)
    per_s = _early_onsets(stage, rng)
    owner = np.repeat(np.arange(len(stage)), _EPOCH)
    shifted = per_s != np.repeat(stage, _EPOCH)
    owner[shifted] += 1  # seconds that start early take the next epoch's values
    values = _blurred_values(stage, subject, _night_tables(rng), rng)
    smooth = {k: _smooth(v[owner], subject.tau_s) for k, v in values.items()}
    smooth["sw_frac"] = values["sw_frac"][owner]  # slow-wave runs (3–15 s) make their own transitions
    night = _night_fraction(per_s)
    arousals = _draw_arousals(per_s, subject.arousal_per_h, rng)
    rates = {
        k: smooth[k] for k in ("spindle", "kc", "vertex", "sawtooth", "rem", "blink", "saccade", "twitch")
    }
    rates["spindle"] = rates["spindle"] * subject.spindle_density * (0.9 + 0.2 * night)
    rates["rem"] = rates["rem"] * (0.7 + 0.6 * night)
    return Trajectory(
        stage=per_s.astype(np.int8),
        night=night,
        beta=smooth["beta"] + subject.beta_offset,
        bg_rms=smooth["bg_rms"] * subject.kcsw_amp,  # EEG amplitude falls with age, as the slow waves do
        alpha_rms=smooth["alpha_rms"] * subject.alpha_amp,
        alpha_share=smooth["alpha_share"],
        rem_alpha_share=smooth["rem_alpha_share"],
        theta_rms=smooth["theta_rms"],
        theta_share=smooth["theta_share"],
        muscle_rms=smooth["muscle_rms"],
        emg_rel=smooth["emg_rel"],
        sem_pp=smooth["sem_pp"],
        sw_frac=smooth["sw_frac"],
        rates=rates,
        arousals=arousals,
    )


def arousal_cover(arousals: Events, n_seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-second arousal coverage in [0, 1] and the EMG multiplier in force (1 outside arousals)."""
    cover = np.zeros(n_seconds)
    emg = np.ones(n_seconds)
    for onset, length, mult in zip(arousals.onset_s, arousals.length_s, arousals.params["emg"], strict=True):
        a, b = int(onset), min(int(np.ceil(onset + length)), n_seconds)
        cover[a:b] = 1.0
        emg[a:b] = mult
    return cover, emg
