"""Summary statistics of one night's hypnogram: time in bed, total sleep time, efficiency, latencies.

Definitions (AASM scoring manual, with the recording's start and end as lights off and on):
time in bed (TIB) = every epoch of the recording; total sleep time (TST) = epochs of N1, N2, N3
or REM; sleep efficiency = TST / TIB; sleep onset latency (SOL) = time from the start to the first
sleep epoch; REM latency = time from sleep onset to the first REM epoch; wake after sleep onset
(WASO) = wake between the first and the last sleep epoch. Unscored epochs count in TIB only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sleepdg.stages import EPOCH_S, STAGE_NAMES, Stage

_SLEEP = (Stage.N1, Stage.N2, Stage.N3, Stage.REM)


@dataclass(frozen=True)
class SleepSummary:
    """Sleep statistics of one night; durations in minutes, efficiency in percent.

    Latencies are None when the night has no sleep (SOL) or no REM after sleep onset.
    """

    time_in_bed_min: float
    total_sleep_time_min: float
    sleep_efficiency_pct: float
    sleep_onset_latency_min: float | None
    rem_latency_min: float | None
    waso_min: float
    stage_min: dict[str, float]  # W, N1, N2, N3, REM

    def as_dict(self) -> dict[str, object]:
        """Plain values, JSON-serialisable."""
        return asdict(self)

    def describe(self) -> str:
        """A few human-readable lines (what ``sleepdg predict`` prints)."""

        def minutes(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.1f} min"

        per_stage = ", ".join(f"{name} {self.stage_min[name]:.1f}" for name in STAGE_NAMES)
        return "\n".join(
            [
                f"time in bed           {minutes(self.time_in_bed_min)}",
                f"total sleep time      {minutes(self.total_sleep_time_min)}",
                f"sleep efficiency      {self.sleep_efficiency_pct:.1f} %",
                f"sleep onset latency   {minutes(self.sleep_onset_latency_min)}",
                f"REM latency           {minutes(self.rem_latency_min)}",
                f"wake after onset      {minutes(self.waso_min)}",
                f"minutes per stage     {per_stage}",
            ]
        )


def sleep_summary(stages: np.ndarray, epoch_s: float = EPOCH_S) -> SleepSummary:
    """Sleep statistics of a hypnogram.

    Parameters
    ----------
    stages
        (n_epochs,) `Stage` values in time order, -1 for unscored epochs.
    epoch_s
        Epoch length in seconds.

    Returns
    -------
    SleepSummary
        Durations in minutes; efficiency 0 for an empty hypnogram.

    Examples
    --------
    >>> s = sleep_summary(np.array([0, 0, 1, 2, 2, 0, 4, 0]))
    >>> s.total_sleep_time_min, s.sleep_onset_latency_min, s.rem_latency_min, s.waso_min
    (2.0, 1.0, 2.0, 0.5)
    """
    stages = np.asarray(stages, dtype=np.int64).ravel()
    epoch_min = epoch_s / 60.0
    asleep = np.isin(stages, [int(s) for s in _SLEEP])
    sleep_idx = np.flatnonzero(asleep)
    tib = stages.size * epoch_min
    tst = int(asleep.sum()) * epoch_min
    onset = latency_rem = None
    waso = 0.0
    if sleep_idx.size:
        first, last = int(sleep_idx[0]), int(sleep_idx[-1])
        onset = first * epoch_min
        rem = np.flatnonzero(stages[first:] == Stage.REM)
        latency_rem = float(rem[0]) * epoch_min if rem.size else None
        waso = int(np.count_nonzero(stages[first : last + 1] == Stage.W)) * epoch_min
    return SleepSummary(
        time_in_bed_min=tib,
        total_sleep_time_min=tst,
        sleep_efficiency_pct=100.0 * tst / tib if tib else 0.0,
        sleep_onset_latency_min=onset,
        rem_latency_min=latency_rem,
        waso_min=waso,
        stage_min={
            name: int(np.count_nonzero(stages == code)) * epoch_min for code, name in enumerate(STAGE_NAMES)
        },
    )
