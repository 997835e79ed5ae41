from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from sleepdg import metrics

Y_TRUE = np.array([0, 0, 1, 2, 2, 2, 3, 4, 4, -1, -1])
Y_PRED = np.array([0, 1, 1, 2, 2, 3, 3, 4, 0, 4, 2])


def test_metrics_ignore_unscored_epochs_whatever_was_predicted_for_them() -> None:
    scored = Y_TRUE != -1
    other = Y_PRED.copy()
    other[~scored] = 0
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(6 / 9)
    assert metrics.summary(Y_TRUE, Y_PRED) == metrics.summary(Y_TRUE, other)
    assert metrics.summary(Y_TRUE, Y_PRED)["n_epochs"] == 9


def test_macro_f1_kappa_and_per_stage_f1_agree_with_sklearn_on_scored_epochs() -> None:
    t, p = Y_TRUE[Y_TRUE != -1], Y_PRED[Y_TRUE != -1]
    assert metrics.macro_f1(Y_TRUE, Y_PRED) == pytest.approx(f1_score(t, p, average="macro"))
    assert metrics.cohen_kappa(Y_TRUE, Y_PRED) == pytest.approx(cohen_kappa_score(t, p))
    per = metrics.per_stage_f1(Y_TRUE, Y_PRED)
    assert list(per) == ["W", "N1", "N2", "N3", "REM"]
    assert per["N2"] == pytest.approx(f1_score(t, p, labels=[2], average=None)[0])


def test_macro_f1_counts_only_stages_that_occur_or_are_predicted() -> None:
    assert metrics.macro_f1([0, 0, 2, 2], [0, 0, 2, 2]) == 1.0
    assert metrics.per_stage_f1([0, 0, 2, 2], [0, 0, 2, 2])["N1"] == 0.0


def test_confusion_rows_are_true_stages_and_columns_predicted_stages() -> None:
    cm = metrics.confusion(Y_TRUE, Y_PRED)
    assert cm.shape == (5, 5) and cm.sum() == 9
    assert cm[4, 0] == 1 and cm[2, 3] == 1 and np.trace(cm) == 6


def test_kappa_of_perfect_agreement_on_one_stage_is_one() -> None:
    assert metrics.cohen_kappa([2, 2, 2], [2, 2, 2]) == 1.0


def test_summary_has_the_flat_keys_of_metrics_json() -> None:
    keys = set(metrics.summary(Y_TRUE, Y_PRED))
    assert keys == {"acc", "macro_f1", "kappa", "f1_W", "f1_N1", "f1_N2", "f1_N3", "f1_REM", "n_epochs"}


def test_scoring_without_any_scored_epoch_is_refused() -> None:
    with pytest.raises(ValueError, match="no scored epochs"):
        metrics.accuracy([-1, -1], [0, 0])


def test_arrays_of_different_lengths_are_refused_with_both_lengths() -> None:
    with pytest.raises(ValueError, match="y_true has 3 epochs but y_pred has 2"):
        metrics.macro_f1([0, 1, 2], [0, 1])


def test_predicted_stages_outside_the_five_classes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"predicted stages must lie in 0..4, got 0..5"):
        metrics.accuracy([0, 1], [0, 5])
