"""Scoring on the 30-s epoch grid (sleepdg.epochs: align_runs, span_runs, align_labels)."""

from __future__ import annotations

import numpy as np
import pytest

from sleepdg.epochs import StageRun, align_labels, align_runs, span_runs
from sleepdg.errors import ReaderError
from sleepdg.stages import Stage

W, N2, U = Stage.W, Stage.N2, Stage.UNSCORED


def test_scoring_that_starts_late_leaves_the_first_epochs_unscored() -> None:
    grid = align_runs([StageRun(90.0, 60.0, W), StageRun(150.0, 90.0, N2)], 240.0, "s.edf")
    assert grid.offset_s == 0.0
    assert grid.stages.tolist() == [U, U, U, W, W, N2, N2, N2]


def test_an_off_grid_start_moves_epoch_0_and_extends_the_grid_back_in_whole_epochs() -> None:
    grid = align_runs([StageRun(45.0, 120.0, W)], 200.0, "s.edf")
    assert grid.offset_s == 15.0  # epoch 0 = 15-45 s, epoch 1 = 45-75 s ...
    assert grid.stages.tolist() == [U, W, W, W, W, U]  # (200 - 15) / 30 = 6 whole epochs


def test_scoring_past_the_signal_is_cut_not_shifted() -> None:
    grid = align_runs([StageRun(0.0, 60.0, W), StageRun(60.0, 86_400.0, U)], 100.0, "s.edf")
    assert grid.stages.tolist() == [W, W, U]


def test_a_run_that_is_not_whole_epochs_is_an_error() -> None:
    with pytest.raises(
        ReaderError, match=r"s.edf: stage annotation at 0 s lasts 45 s, not a multiple of 30 s"
    ):
        align_runs([StageRun(0.0, 45.0, W)], 300.0, "s.edf")


def test_a_run_off_the_grid_of_the_first_run_is_an_error() -> None:
    with pytest.raises(
        ReaderError, match=r"stage annotation at 40 s is off the 30-s grid that starts at 0 s"
    ):
        align_runs([StageRun(0.0, 30.0, W), StageRun(40.0, 30.0, W)], 300.0, "s.edf")


def test_overlapping_runs_are_an_error() -> None:
    with pytest.raises(ReaderError, match="overlap at epoch 1"):
        align_runs([StageRun(0.0, 60.0, W), StageRun(30.0, 30.0, N2)], 300.0, "s.edf")


def test_scoring_covering_less_than_half_the_signal_is_an_error() -> None:
    with pytest.raises(ReaderError, match=r"scoring covers 4 of the signal's 10 epochs, less than half"):
        align_runs([StageRun(0.0, 120.0, W)], 300.0, "s.edf")


def test_scoring_covering_half_the_signal_leaves_the_rest_unscored() -> None:
    assert align_runs([StageRun(0.0, 150.0, W)], 300.0, "s.edf").stages.tolist() == [W] * 5 + [U] * 5


def test_scoring_outside_the_signal_is_an_error() -> None:
    with pytest.raises(ReaderError, match=r"scoring \(900-960 s\) lies outside the signal \(0-300 s\)"):
        align_runs([StageRun(900.0, 60.0, W)], 300.0, "s.edf")


def test_span_counts_a_scoring_file_alone_with_its_gaps_unscored() -> None:
    grid = span_runs([StageRun(60.0, 30.0, W), StageRun(120.0, 60.0, N2)], "s.edf")
    assert grid.offset_s == 60.0 and grid.stages.tolist() == [W, U, N2, N2]


def test_labels_up_to_max_extra_past_the_signal_are_cut() -> None:
    grid = align_labels(np.zeros(13, dtype=np.int8), 300.0, "1_1.txt", max_extra=3)
    assert len(grid.stages) == 10


def test_labels_beyond_max_extra_are_an_error() -> None:
    with pytest.raises(ReaderError, match=r"1_1.txt: 14 labels for 10 epochs of signal \(4 extra; at most 3"):
        align_labels(np.zeros(14, dtype=np.int8), 300.0, "1_1.txt", max_extra=3)


def test_short_label_lists_leave_the_tail_unscored() -> None:
    assert align_labels(np.zeros(6, dtype=np.int8), 300.0, "x").stages.tolist() == [W] * 6 + [U] * 4
