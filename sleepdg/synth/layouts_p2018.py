"""P2018 layout: ``training/trNN-NNNN/`` + ``.hea``, ``.mat``, ``.arousal``, ``-arousal.mat`` (B.5).

The ``.mat`` is MAT v4 int16 (13 channels at 200 Hz: 1 adu/µV, SaO2 655.35(-32768)/%, ECG
1000/mV) under a CRLF ``.hea``. The ``.arousal`` holds a stage note (W N1 N2 N3 R) at every stage
change on the 6,000-sample grid, the first after the undefined lead, and ``(name``/``name)`` event
pairs; the v7.3 ``-arousal.mat`` the same stages per sample (the writer shifts them one sample
early and leaves the last undefined) with the arousal target (1 in RERA arousals, -1 where
undefined or inside a respiratory event, 0 elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sleepdg.stages import EPOCH_S, Stage
from sleepdg.synth.hypnogram import Hypnogram
from sleepdg.synth.layouts import RecordStreams, digital_scale, label_runs, quantile_duration, sleep_events
from sleepdg.synth.profiles import DatasetProfile

SFREQ_HZ = 200.0
EPOCH_SAMPLES = int(EPOCH_S * SFREQ_HZ)
AROUSAL = "arousal_rera"


def digital_matrix(signals: dict[str, tuple[np.ndarray, float]], profile: DatasetProfile) -> tuple:
    """(n_channels, n_samples) int16 plus gains, units and baselines in file order."""
    rows, gains, units, baselines = [], [], [], []
    for spec in profile.channels:
        gain, baseline = digital_scale(spec)
        scaled = signals[spec.label][0] * np.float32(gain)  # float32 is exact enough for 16-bit codes
        scaled += np.float32(baseline)
        np.rint(scaled, out=scaled)
        rows.append(np.clip(scaled, *spec.digital_range, out=scaled).astype(np.int16))
        gains.append(gain)
        units.append(spec.dimension)
        baselines.append(baseline)
    return np.stack(rows), gains, units, baselines


def notes(hyp: Hypnogram, events: list[tuple[str, float, float]]) -> tuple[list[int], list[str]]:
    """Samples and aux notes of the ``.arousal`` file: stage changes, then event pairs, by sample."""
    rows = [(r.first * EPOCH_SAMPLES, 0, r.label) for r in label_runs(hyp.native)]
    for name, onset, length in events:
        rows += [
            (round(onset * SFREQ_HZ), 1, f"({name}"),
            (round((onset + length) * SFREQ_HZ), 2, f"{name})"),
        ]
    rows.sort()
    return [r[0] for r in rows], [r[2] for r in rows]


def per_sample(hyp: Hypnogram, n_samples: int, events: list[tuple[str, float, float]]) -> tuple:
    """Stage (int8, -1 undefined) and arousal target (float64) of every sample."""
    stages = np.repeat(hyp.scored[: hyp.n_signal_epochs], EPOCH_SAMPLES)
    stages = np.r_[
        stages, np.full(n_samples - len(stages), stages[-1], np.int8)
    ]  # last stage runs to the end
    arousal = np.where(stages == Stage.UNSCORED, -1.0, 0.0)
    for name, onset, length in events:
        span = slice(round(onset * SFREQ_HZ), round((onset + length) * SFREQ_HZ))
        arousal[span] = 1.0 if name == AROUSAL else -1.0
    return stages, arousal


def write_p2018(
    out: Path,
    index: int,
    record_id: str,
    hyp: Hypnogram,
    signals: dict[str, tuple[np.ndarray, float]],
    profile: DatasetProfile,
    streams: RecordStreams,
) -> list[Path]:
    """Write one training record; returns the four file paths relative to ``out``."""
    from sleepdg.io.wfdb_io import write_arousal_annotations, write_arousal_mat, write_mat_record
    from sleepdg.synth.hypnogram_stats import NIGHTS

    folder = Path("training") / record_id
    digital, gains, units, baselines = digital_matrix(signals, profile)
    labels = [spec.label for spec in profile.channels]
    write_mat_record(
        out / folder, record_id, labels, digital, SFREQ_HZ, gains=gains, units=units, baselines=baselines
    )
    table = NIGHTS["p2018"]["events"]
    events = sleep_events(
        hyp, {k: rate for k, (rate, _) in table.items()}, quantile_duration(table), streams.extras
    )
    samples, aux = notes(hyp, events)
    write_arousal_annotations(out / folder, record_id, samples, aux, SFREQ_HZ)
    stages, arousal = per_sample(hyp, digital.shape[1], events)
    write_arousal_mat(out / folder / f"{record_id}-arousal.mat", stages, arousal)
    return [folder / f"{record_id}{suffix}" for suffix in (".hea", ".mat", ".arousal", "-arousal.mat")]
