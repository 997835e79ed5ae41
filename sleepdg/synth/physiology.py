"""Signals of one synthetic PSG night from its stage sequence (synthetic.md Part 1 and §3.3).

`synthesize_night` is the entry point: per-night subject parameters, the 1-Hz trajectory, the
sources at the internal rate, then every native channel of the dataset. The physiology follows the
true stages; `apply_label_noise` makes the scorer's labels from them (§1.6).

Each part of the night draws from its own child generator, spawned from the caller's in a fixed
order, so ``channels="model"`` returns exactly the same model channels as ``channels="all"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sleepdg.stages import EPOCH_S
from sleepdg.synth import events as ev
from sleepdg.synth.auxiliary import chin_emg, ecg_unit, heart_beats, other_channel
from sleepdg.synth.montage import EOG_WEIGHTS, SPINDLE_OFFSET_HZ, derive, quantise, to_native
from sleepdg.synth.profiles import ChannelSpec, DatasetProfile
from sleepdg.synth.sources import FS_INT, Sources, build_sources
from sleepdg.synth.trajectory import Subject, Trajectory, arousal_cover, build_trajectory, draw_subject

logger = logging.getLogger(__name__)

_N_SHARED_STREAMS = 8  # subject, trajectory, sources, heart, pops, movement, chin bursts, spare
_W_MOVEMENT_PER_MIN = 0.3  # spontaneous body movements in wake (chin EMG bursts)
BLINK_V_UV = (100.0, 300.0)  # vertical-source blink (§1.2: 150–400; SC4001 Fpz-Cz p-p ≤ 160 µV)

__all__ = ["apply_label_noise", "synthesize_night"]


def _check_stages(stages: np.ndarray, movement: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Validated int8 stages and the movement mask (all False when None)."""
    stages = np.asarray(stages)
    if stages.ndim != 1 or len(stages) == 0:
        raise ValueError(f"stages must be a non-empty 1-D array of epochs, got shape {stages.shape}")
    if not np.issubdtype(stages.dtype, np.integer) or stages.min() < -1 or stages.max() > 4:
        raise ValueError(f"stages must be integers in -1..4 (Stage values), got {np.unique(stages)[:10]}")
    mask = np.zeros(len(stages), dtype=bool) if movement is None else np.asarray(movement, dtype=bool)
    if mask.shape != stages.shape:
        raise ValueError(f"movement has shape {mask.shape}, expected {stages.shape} (one flag per epoch)")
    return stages.astype(np.int8), mask


def _movement_events(mask: np.ndarray, rng: np.random.Generator) -> ev.Events:
    """One 2–20-s movement burst inside every flagged epoch; ``amp`` = EMG multiple 5–20."""
    epochs = np.flatnonzero(mask)
    length = rng.uniform(2.0, 20.0, len(epochs))
    onset = epochs * EPOCH_S + rng.random(len(epochs)) * (EPOCH_S - length)
    return ev.Events(onset, length, {"amp": rng.uniform(4.0, 19.0, len(epochs))})


def _chin_bursts(traj: Trajectory, movement: ev.Events, rng: np.random.Generator) -> ev.Events:
    """Spontaneous wake movements (100–500 µV on the chin) plus the flagged movement bursts."""
    times = ev.poisson_times((traj.stage == 0) * _W_MOVEMENT_PER_MIN / 60.0, rng, refractory_s=10.0)
    length = rng.uniform(0.5, 3.0, len(times))
    amp = rng.uniform(4.0, 19.0, len(times))
    return ev.Events(
        np.r_[times, movement.onset_s],
        np.r_[length, movement.length_s],
        {"amp": np.r_[amp, movement.params["amp"]]},
    )


def _pops(profile: DatasetProfile, n_s: float, rng: np.random.Generator) -> dict[str, ev.Events]:
    """1–3 electrode pops per night on one EEG/EOG lead: 100–500 µV steps decaying over 1–3 s."""
    leads = [c.label for c in profile.channels if c.kind in ("eeg", "eog")]
    lead = leads[int(rng.integers(len(leads)))]
    m = int(rng.integers(1, 4))
    length = rng.uniform(1.0, 3.0, m)
    pops = ev.Events(
        rng.uniform(0, n_s - 15.0, m),
        5 * length,
        {"amp": rng.uniform(100, 500, m) * rng.choice([-1.0, 1.0], m), "tau": length},
    )
    empty = ev.Events(np.zeros(0), np.zeros(0), {"amp": np.zeros(0), "tau": np.zeros(0)})
    return {label: pops if label == lead else empty for label in leads}


def _model_site(profile: DatasetProfile) -> str:
    """Site class of the model EEG lead (sets the spindle-frequency reference)."""
    return profile.channel(profile.model_labels[0]).site


def _selected(profile: DatasetProfile, channels: str) -> list[tuple[int, ChannelSpec]]:
    """(file index, spec) of the channels to generate."""
    if channels == "all":
        return list(enumerate(profile.channels))
    if channels == "model":
        wanted = set(profile.model_labels)
        return [(i, c) for i, c in enumerate(profile.channels) if c.label in wanted]
    raise ValueError(f"channels must be 'all' or 'model', got {channels!r}")


def synthesize_night(
    profile: DatasetProfile,
    stages: np.ndarray,
    rng: np.random.Generator,
    *,
    movement: np.ndarray | None = None,
    channels: Literal["all", "model"] = "all",
) -> dict[str, tuple[np.ndarray, float]]:
    """Generate every native channel of one night of ``profile``'s dataset.

    Parameters
    ----------
    profile
        Dataset profile, usually `scaled_profile(name, shift_scale)`.
    stages
        (n_epochs,) int AASM Stage per 30-s epoch (W=0 … REM=4); −1 = unscored, which gets a
        wake-like signal. These are the true stages the physiology follows.
    rng
        Random generator; the night is a deterministic function of its state.
    movement
        (n_epochs,) bool, epochs with a movement artefact (Sleep-EDF "Movement time").
    channels
        ``"all"`` for every channel of the native file, ``"model"`` for the channels prepare
        reads by default (`DatasetProfile.model_labels`); both give identical values for those.

    Returns
    -------
    dict
        File label -> (physical values float32 at the channel's native rate, sfreq_hz), in file
        order, n_samples = n_epochs · 30 · sfreq_hz; values are clipped and quantised to the
        channel's physical and digital ranges.
    """
    stages, mask = _check_stages(stages, movement)
    streams = rng.spawn(_N_SHARED_STREAMS + len(profile.channels))
    selected = _selected(profile, channels)
    night = _Night.draw(profile, stages, mask, streams, any(c.kind in ("eeg", "eog") for _, c in selected))
    out = {
        spec.label: (night.channel(spec, streams[_N_SHARED_STREAMS + i]), spec.sfreq_hz)
        for i, spec in selected
    }
    logger.debug("synthesised %s night: %d epochs, %d channels", profile.name, len(stages), len(out))
    return out


@dataclass
class _Night:
    """What every channel of one night shares: subject, trajectory, sources, heart beats, events."""

    profile: DatasetProfile
    subject: Subject
    traj: Trajectory
    sources: Sources | None
    beats: np.ndarray
    pops: dict[str, ev.Events]
    bursts: ev.Events
    emg_arousal: np.ndarray
    n_s: int
    _ecg: dict[float, np.ndarray] = field(default_factory=dict)

    @classmethod
    def draw(
        cls, profile: DatasetProfile, stages: np.ndarray, mask: np.ndarray, streams: list, with_sources: bool
    ) -> _Night:
        """Draw the shared parts from the fixed child streams (sources only when a lead needs them)."""
        n_s = len(stages) * int(EPOCH_S)
        subject = draw_subject(profile, SPINDLE_OFFSET_HZ.get(_model_site(profile), 0.0), streams[0])
        traj = build_trajectory(stages, subject, streams[1])
        moves = _movement_events(mask, streams[5])
        v_coef = abs(EOG_WEIGHTS[profile.channel(profile.model_labels[-1]).site][1])
        blink_v = (
            float(np.clip(profile.blink_uv[0] / v_coef, *BLINK_V_UV)),
            float(np.clip(profile.blink_uv[1] / v_coef, *BLINK_V_UV)),
        )
        sources = build_sources(traj, subject, moves, blink_v, streams[2]) if with_sources else None
        return cls(
            profile=profile,
            subject=subject,
            traj=traj,
            sources=sources,
            beats=heart_beats(float(n_s), subject, streams[3]),
            pops=_pops(profile, float(n_s), streams[4]),
            bursts=_chin_bursts(traj, moves, streams[6]),
            emg_arousal=arousal_cover(traj.arousals, n_s)[1],
            n_s=n_s,
        )

    def ecg(self, sfreq_hz: float) -> np.ndarray:
        """Unit ECG (QRS p-p 1) at ``sfreq_hz``, rendered once per rate."""
        if sfreq_hz not in self._ecg:
            self._ecg[sfreq_hz] = ecg_unit(self.beats, round(self.n_s * sfreq_hz), sfreq_hz)
        return self._ecg[sfreq_hz]

    def channel(self, spec: ChannelSpec, rng: np.random.Generator) -> np.ndarray:
        """One channel at its native rate, clipped and quantised; ``rng`` is the channel's own stream."""
        if spec.kind in ("eeg", "eog"):
            if self.sources is None:
                raise RuntimeError("sources were not generated for this night")  # internal invariant
            x_int = derive(spec, self.profile, self.sources, self.traj, rng)
            is_model = spec.label == self.profile.model_labels[0]
            pops = self.pops[spec.label]
            return to_native(
                x_int, spec, self.profile, self.subject, self.ecg(FS_INT), pops, rng, is_model_eeg=is_model
            )
        if spec.kind == "emg" and spec.site in ("chin", "chin_env"):
            x = chin_emg(
                spec, self.traj, self.subject, self.emg_arousal, self.bursts, self.ecg(spec.sfreq_hz), rng
            )
            return quantise(x, spec)
        ecg = self.ecg(spec.sfreq_hz) if spec.site == "ecg" else None
        return quantise(other_channel(spec, self.n_s, self.subject, self.beats, ecg, rng), spec)


def apply_label_noise(stages: np.ndarray, profile: DatasetProfile, rng: np.random.Generator) -> np.ndarray:
    """Scorer labels from true stages: each boundary epoch flips to a neighbour with p = 3·label_noise.

    Parameters
    ----------
    stages
        (n_epochs,) true stages (−1 = unscored, never flipped nor flipped to).
    profile
        Gives ``label_noise`` (synthetic.md §3.3; §1.6 boundary flips).
    rng
        Random generator.

    Returns
    -------
    np.ndarray
        (n_epochs,) int8 noisy labels; only epochs next to a different scored stage change.
    """
    s = np.asarray(stages).astype(np.int8)
    prev = np.r_[s[:1], s[:-1]]
    nxt = np.r_[s[1:], s[-1:]]
    to_prev = (prev != s) & (prev >= 0) & (s >= 0)
    to_next = (nxt != s) & (nxt >= 0) & (s >= 0)
    flip = (to_prev | to_next) & (rng.random(len(s)) < min(1.0, 3.0 * profile.label_noise))
    use_next = to_next & (~to_prev | (rng.random(len(s)) < 0.5))
    noisy = s.copy()
    noisy[flip] = np.where(use_next, nxt, prev)[flip]
    return noisy
