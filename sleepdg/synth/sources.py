"""Cortical and ocular source signals of one night at the internal rate (synthetic.md §1.2, §1.5 step 3).

Each source is the component's signal at its reference site (§1.3 first column); `montage` mixes
them into derivations. Spindles are kept as events, since each site sees them at its own
frequency; `Sources.spindles` renders them for a frequency offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from sleepdg.synth import events as ev
from sleepdg.synth.noise import (
    band_noise,
    box_noise,
    colored_noise,
    per_second_to_samples,
    power_law_noise,
    smooth_gate,
    upsample_linear,
)
from sleepdg.synth.trajectory import MUSCLE_RMS_UV, REM_ALPHA, Subject, Trajectory, arousal_cover

FS_INT = 100.0  # Hz: every stage signature lies below 40 Hz; broadband parts are added at the native rate
SW_PP_UV = 165.0  # median slow-wave p-p at F4-M1 (§1.2: 140, range 100–250; raised for check 3)
W_ALPHA_RMS_UV = 12.0
OWN_BETA = 2.0  # exponent of the leads' independent background (the common part carries the stage's)


@dataclass
class Sources:
    """Source signals (µV, float32, at ``FS_INT``) at their reference sites."""

    n: int
    bg_rms: np.ndarray  # (S,) background rms trajectory, for the per-lead independent parts
    beta: np.ndarray  # (S,)
    bg_common: np.ndarray  # 1/f background at C
    alpha: np.ndarray  # at O2-M1 (W alpha + REM alpha)
    theta: np.ndarray  # at C
    vertex: np.ndarray  # at Cz
    kcsw: np.ndarray  # K-complexes and slow waves at F4-M1
    sawtooth: np.ndarray  # at C
    muscle: np.ndarray  # 18–35 Hz at Fpz-Cz
    muscle_carrier: np.ndarray  # the unit-variance noise under ``muscle``
    muscle_env: np.ndarray  # and its rms envelope
    own_carrier: np.ndarray  # unit stationary 1/f² noise, the leads' independent background
    bg_env: np.ndarray  # background rms envelope
    eye_h: np.ndarray  # horizontal eye source, E1-M2 scale
    eye_v: np.ndarray  # vertical eye source (blinks)
    movement: np.ndarray  # broadband movement artefact, common to every lead
    spindle_events: ev.Events
    _spindle_cache: dict[float, np.ndarray] = field(default_factory=dict)

    def own_background(self, rng: np.random.Generator) -> np.ndarray:
        """A lead's independent background: the shared carrier circularly shifted by a random lag
        (minutes: uncorrelated with the other leads) under the night's background envelope."""
        return np.roll(self.own_carrier, int(rng.integers(self.n // 8, self.n - self.n // 8))) * self.bg_env

    def own_muscle(self, rng: np.random.Generator) -> np.ndarray:
        """Local muscle of a lead: the muscle carrier shifted by a random lag, same envelope."""
        return (
            np.roll(self.muscle_carrier, int(rng.integers(self.n // 8, self.n - self.n // 8)))
            * self.muscle_env
        )

    def spindles(self, freq_offset_hz: float) -> np.ndarray:
        """Spindles at C rendered with every frequency shifted by ``freq_offset_hz``."""
        key = round(freq_offset_hz, 3)
        if key not in self._spindle_cache:
            out = np.zeros(self.n, dtype=np.float32)
            self._spindle_cache[key] = ev.render(
                out, FS_INT, self.spindle_events, ev.spindle_waveform(self.spindle_events, key)
            )
        return self._spindle_cache[key]


def _rhythm(
    n: int,
    centre_hz: float,
    width_hz: float,
    rms_s: np.ndarray,
    share_s: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Gated band noise: rms ``rms_s`` while on, on for ``share_s`` of the time (1-Hz trajectories)."""
    carrier = band_noise(n, FS_INT, centre_hz, width_hz, rng)
    gate = smooth_gate(share_s, n, FS_INT, rng)
    return carrier * gate * per_second_to_samples(rms_s, n, FS_INT)


def _slow_waves(traj: Trajectory, subject: Subject, rng: np.random.Generator) -> ev.Events:
    """Runs of 3–15 s covering ``sw_frac`` of each epoch, in non-overlapping slots."""
    per_epoch = traj.sw_frac.reshape(-1, 30).mean(axis=1) * 30.0  # seconds of slow waves per epoch
    night = traj.night.reshape(-1, 30).mean(axis=1)
    idx = np.flatnonzero(per_epoch >= 1.0)
    total = per_epoch[idx]
    n_runs = np.maximum(np.round(total / rng.uniform(3.0, 15.0, len(idx))).astype(np.int64), 1)
    epoch = np.repeat(idx, n_runs)
    slot = 30.0 / np.repeat(n_runs, n_runs)
    length = np.minimum(np.repeat(total / n_runs, n_runs), slot)
    rank = np.arange(len(epoch)) - np.repeat(np.cumsum(n_runs) - n_runs, n_runs)
    onset = epoch * 30.0 + rank * slot + rng.random(len(epoch)) * (slot - length)
    pp = SW_PP_UV * subject.kcsw_amp * (1.0 - 0.35 * night[epoch])
    return ev.slow_wave_cycles(onset, length, pp, rng)


def _kc_times(traj: Trajectory, cover: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """K-complex onsets: Poisson outside arousals, plus one at the onset of 30 % of arousals."""
    kc_times = ev.poisson_times(traj.rates["kc"] * (1.0 - cover), rng, refractory_s=2.0)
    at_arousal = traj.arousals.onset_s[rng.random(len(traj.arousals)) < 0.3]
    return np.sort(np.r_[kc_times, at_arousal])


def _kcsw(
    n: int, kc_times: np.ndarray, traj: Trajectory, subject: Subject, rng: np.random.Generator
) -> np.ndarray:
    """K-complexes and slow-wave runs at F4-M1 (µV)."""
    out = np.zeros(n, dtype=np.float32)
    kc = ev.draw_kcomplexes(kc_times, rng, amp_scale=subject.kcsw_amp)
    ev.render(out, FS_INT, kc, ev.kcomplex_waveform(kc))
    sw = _slow_waves(traj, subject, rng)
    ev.render(out, FS_INT, sw, ev.slow_wave_waveform(sw))
    return out


def _spindle_events(
    traj: Trajectory, subject: Subject, cover: np.ndarray, kc_times: np.ndarray, rng: np.random.Generator
) -> ev.Events:
    """Poisson spindles outside arousals, plus one after 40 % of K-complexes (0.2–0.6 s after its end)."""
    times = ev.poisson_times(traj.rates["spindle"] * (1.0 - cover), rng, refractory_s=1.5)
    follow = rng.random(len(kc_times)) < 0.4
    after_kc = kc_times[follow] + 1.0 + rng.uniform(0.2, 0.6, int(follow.sum()))  # KC ≈ 0.9 s long
    return ev.draw_spindles(
        np.sort(np.r_[times, after_kc]), rng, freq_hz=subject.spindle_hz_c, amp_scale=subject.spindle_amp
    )


def _eye_sources(
    n: int, traj: Trajectory, subject: Subject, blink_v_uv: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal and vertical eye sources (µV, E1-M2 scale) and the REM burst onsets (s)."""
    sacc = ev.poisson_times(traj.rates["saccade"], rng, refractory_s=0.3)
    bursts = ev.poisson_times(traj.rates["rem"], rng, refractory_s=2.0)
    size = np.clip(1 + rng.poisson(3.0, len(bursts)), 1, 15)
    rems = np.repeat(bursts, size) + ev.cluster_offsets(size, rng, 0.3, 2.0)
    times = np.r_[sacc, rems]
    is_rem = np.r_[np.zeros(len(sacc), bool), np.ones(len(rems), bool)]
    order = np.argsort(times, kind="stable")
    times, is_rem = times[order], is_rem[order]
    # steps of 50–300 µV (REMs) or 20–200 µV (saccades) in a random direction; the eye-source
    # high-pass below makes the absolute gaze position irrelevant
    size = np.where(is_rem, rng.uniform(50.0, 300.0, len(times)), rng.uniform(20.0, 200.0, len(times)))
    step = size * rng.choice([-1.0, 1.0], len(times))
    ramp = np.where(is_rem, rng.uniform(0.10, 0.20, len(times)), rng.uniform(0.03, 0.08, len(times)))
    moves = ev.Events(times, ramp, {"step": step})
    vel_h = ev.render(np.zeros(n, np.float32), FS_INT, moves, ev.step_velocity_waveform(moves, FS_INT))
    v_share = np.where(is_rem, rng.uniform(0.2, 0.4, len(times)), 0.3) * rng.choice([-1.0, 1.0], len(times))
    vmoves = ev.Events(times, ramp, {"step": np.diff(np.r_[0.0, np.cumsum(step * v_share)])})
    vel_v = ev.render(np.zeros(n, np.float32), FS_INT, vmoves, ev.step_velocity_waveform(vmoves, FS_INT))
    a = subject.eye_tau_s / (subject.eye_tau_s + 1.0 / FS_INT)  # 1-pole high-pass: steps decay with τ
    hp_b, hp_a = np.array([a, -a]), np.array([1.0, -a])
    eye_h = signal.lfilter(hp_b, hp_a, np.cumsum(vel_h, dtype=np.float64))
    eye_v = signal.lfilter(hp_b, hp_a, np.cumsum(vel_v, dtype=np.float64))
    blink_t = ev.poisson_times(traj.rates["blink"], rng, refractory_s=0.8)
    dur = rng.uniform(0.2, 0.4, len(blink_t))
    blinks = ev.Events(blink_t, dur, {"amp": rng.uniform(*blink_v_uv, len(blink_t))})
    ev.render(eye_v, FS_INT, blinks, ev.raised_cosine_waveform(blinks))
    eye_h += _slow_eye_movements(n, traj, rng)
    gain = subject.eog_gain
    return (gain * eye_h).astype(np.float32), (gain * eye_v).astype(np.float32), bursts


def _slow_eye_movements(n: int, traj: Trajectory, rng: np.random.Generator) -> np.ndarray:
    """Band-limited 0.1–0.6 Hz random sinusoid, gated per epoch; generated at 4 Hz and interpolated."""
    n_slow = len(traj.sem_pp) * 4
    sem = box_noise(n_slow, 4.0, 0.1, 0.6, rng) * np.repeat(traj.sem_pp / (2 * np.sqrt(2)), 4)
    return upsample_linear(sem, 4.0, n, FS_INT)


def _sawtooth(n: int, traj: Trajectory, bursts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sawtooth trains; 60 % are moved to end 0.5–3 s before the next REM burst within 60 s."""
    times = ev.poisson_times(traj.rates["sawtooth"], rng, refractory_s=3.0)
    st = ev.draw_sawtooth(times, rng, amp_scale=1.0)
    if len(bursts):
        nxt = np.minimum(np.searchsorted(bursts, times), len(bursts) - 1)
        move = (rng.random(len(times)) < 0.6) & (bursts[nxt] > times) & (bursts[nxt] - times < 60.0)
        end = bursts[nxt] - rng.uniform(0.5, 3.0, len(times))
        st.onset_s[move] = (end - st.length_s)[move]
    return ev.render(np.zeros(n, np.float32), FS_INT, st, ev.sawtooth_waveform(st))


def _movement(n: int, movement_s: ev.Events, rng: np.random.Generator) -> np.ndarray:
    """Broadband 100–1,000 µV artefact of body movements (low-passed noise under a taper)."""
    out = np.zeros(n, dtype=np.float32)
    for onset, length in zip(movement_s.onset_s, movement_s.length_s, strict=True):
        a, m = int(onset * FS_INT), int(length * FS_INT)
        seg = box_noise(m, FS_INT, 0.3, 15.0, rng) * np.hanning(m)
        seg *= rng.uniform(100.0, 1000.0) / max(float(np.ptp(seg)), 1e-6)
        out[a : a + m] += seg[: max(0, min(m, n - a))]
    return out


def build_sources(
    traj: Trajectory,
    subject: Subject,
    movement_s: ev.Events,
    blink_v_uv: tuple[float, float],
    rng: np.random.Generator,
) -> Sources:
    """Generate every cortical and ocular source of the night at ``FS_INT``.

    Parameters
    ----------
    traj
        The night's 1-Hz trajectory.
    subject
        The night's subject parameters.
    movement_s
        Movement-artefact bursts (onset, length in s).
    blink_v_uv
        Range of blink amplitudes on the vertical eye source (µV).
    rng
        Random generator.

    Returns
    -------
    Sources
        Float32 arrays of n = n_seconds · FS_INT samples.
    """
    s = len(traj.beta)
    n = int(s * FS_INT)
    cover, _ = arousal_cover(traj.arousals, s)
    alpha_w = subject.alpha_amp * W_ALPHA_RMS_UV * 0.7 * cover
    alpha_rms = np.maximum(traj.alpha_rms, alpha_w)
    alpha_share = traj.alpha_share + (0.9 - traj.alpha_share) * cover
    alpha = _rhythm(n, subject.alpha_hz, rng.uniform(1, 2), alpha_rms, alpha_share, rng)
    rem_alpha_rms = np.full(s, REM_ALPHA[0] * subject.alpha_amp)
    alpha += _rhythm(n, subject.alpha_hz - rng.uniform(1, 2), 1.5, rem_alpha_rms, traj.rem_alpha_share, rng)
    theta = _rhythm(n, 5.5, 3.0, traj.theta_rms, traj.theta_share, rng)
    # arousals are brief wake: muscle tone at least at the wake level, ×1.5 on average
    muscle_rms = np.maximum(traj.muscle_rms, MUSCLE_RMS_UV[0] * 1.5 * cover)
    muscle_carrier = box_noise(n, FS_INT, 18.0, 35.0, rng)
    muscle_env = per_second_to_samples(muscle_rms, n, FS_INT)
    kc_times = _kc_times(traj, cover, rng)
    kcsw = _kcsw(n, kc_times, traj, subject, rng)
    spindle_events = _spindle_events(traj, subject, cover, kc_times, rng)
    vertex_t = ev.poisson_times(traj.rates["vertex"], rng, refractory_s=2.0)
    vertex_events = ev.draw_vertex_waves(vertex_t, rng, amp_scale=1.0)
    vertex = ev.render(np.zeros(n, np.float32), FS_INT, vertex_events, ev.gaussian_waveform(vertex_events))
    eye_h, eye_v, bursts = _eye_sources(n, traj, subject, blink_v_uv, rng)
    return Sources(
        n=n,
        bg_rms=traj.bg_rms,
        beta=traj.beta,
        bg_common=colored_noise(n, FS_INT, traj.beta, traj.bg_rms, rng),
        alpha=alpha,
        theta=theta,
        vertex=vertex,
        kcsw=kcsw,
        sawtooth=_sawtooth(n, traj, bursts, rng),
        muscle=muscle_carrier * muscle_env,
        muscle_carrier=muscle_carrier,
        muscle_env=muscle_env,
        own_carrier=power_law_noise(n, FS_INT, OWN_BETA, rng),
        bg_env=per_second_to_samples(traj.bg_rms, n, FS_INT),
        eye_h=eye_h,
        eye_v=eye_v,
        movement=_movement(n, movement_s, rng),
        spindle_events=spindle_events,
    )
