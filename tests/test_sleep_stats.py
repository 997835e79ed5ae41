"""Sleep statistics of a hypnogram (sleepdg.sleep_stats)."""

from __future__ import annotations

import numpy as np
import pytest

from sleepdg.sleep_stats import sleep_summary


def test_a_night_gives_tst_efficiency_latencies_waso_and_minutes_per_stage() -> None:
    # 4 W, then N1 N2 N2 W N3 N3 REM REM, then 2 W: 14 epochs of 30 s
    stages = np.array([0, 0, 0, 0, 1, 2, 2, 0, 3, 3, 4, 4, 0, 0])
    s = sleep_summary(stages)
    assert s.time_in_bed_min == 7.0
    assert s.total_sleep_time_min == 3.5
    assert s.sleep_efficiency_pct == pytest.approx(50.0)
    assert s.sleep_onset_latency_min == 2.0
    assert s.rem_latency_min == 3.0  # from sleep onset (epoch 4) to the first REM (epoch 10)
    assert s.waso_min == 0.5  # the W inside the sleep period, not the final awakening
    assert s.stage_min == {"W": 3.5, "N1": 0.5, "N2": 1.0, "N3": 1.0, "REM": 1.0}


def test_a_night_without_sleep_has_no_latencies_and_unscored_epochs_count_in_bed_only() -> None:
    s = sleep_summary(np.array([-1, 0, 0, -1]))
    assert (s.time_in_bed_min, s.total_sleep_time_min, s.sleep_efficiency_pct) == (2.0, 0.0, 0.0)
    assert s.sleep_onset_latency_min is None and s.rem_latency_min is None
    assert "sleep onset latency   n/a" in s.describe()


def test_the_description_names_every_figure_in_minutes() -> None:
    text = sleep_summary(np.array([0, 2, 2, 4])).describe()
    assert "total sleep time      1.5 min" in text
    assert "sleep efficiency      75.0 %" in text
    assert "W 0.5, N1 0.0, N2 1.0, N3 0.0, REM 0.5" in text
