"""Inference over whole recordings (sleepdg.inference): coverage, overlap averaging, ensembles."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from tiny_checkpoints import tiny_config

from sleepdg.inference import (
    SequenceTooShortError,
    ensemble_probabilities,
    epoch_attention,
    window_probabilities,
)


class PositionModel(torch.nn.Module):
    """Logits = the first 5 EEG samples of each epoch, plus its position in the window on stage W."""

    def __init__(self, seq_len: int) -> None:
        super().__init__()
        self.config = SimpleNamespace(seq_len=seq_len)

    def forward(self, x: torch.Tensor, *, decode: bool | None = None) -> Any:
        position = torch.arange(x.shape[1], dtype=x.dtype)[None, :, None] * torch.tensor([1.0, 0, 0, 0, 0])
        return SimpleNamespace(logits=x[:, :, 0, :5] + position)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def tiny_model() -> Any:
    from sleepdg.model import SleepDIFFormer

    return SleepDIFFormer(tiny_config(seq_len=4), seed=0).eval()


def test_overlapping_windows_average_their_probabilities_epoch_by_epoch() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 2, 3000)).astype(np.float32)
    proba = window_probabilities(PositionModel(4), x)  # windows start at 0, 4 and 6 (aligned to the end)
    logits = x[:, 0, :5].astype(np.float64)
    bump = np.array([1.0, 0, 0, 0, 0])
    expected = np.stack([_softmax(logits[i] + (i % 4) * bump) for i in range(10)])
    expected[8:] = [_softmax(logits[i] + (i - 6) * bump) for i in (8, 9)]  # only the window at 6 covers them
    for i in (6, 7):  # covered at positions 2, 3 of the window at 4 and 0, 1 of the window at 6
        expected[i] = (_softmax(logits[i] + (i - 4) * bump) + _softmax(logits[i] + (i - 6) * bump)) / 2
    np.testing.assert_allclose(proba, expected, rtol=1e-5)


def test_every_epoch_of_a_recording_gets_probabilities_that_sum_to_one(tiny_model: Any) -> None:
    x = np.random.default_rng(1).standard_normal((11, 2, 3000)).astype(np.float32)
    proba = window_probabilities(tiny_model, x, batch_windows=2)
    assert proba.shape == (11, 5) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba, window_probabilities(tiny_model, x, batch_windows=16))


def test_a_recording_shorter_than_one_sequence_is_refused_with_both_lengths(tiny_model: Any) -> None:
    with pytest.raises(SequenceTooShortError, match="3 epochs is shorter than one 4-epoch sequence"):
        window_probabilities(tiny_model, np.zeros((3, 2, 3000), dtype=np.float32))


def test_an_ensemble_averages_its_models_probabilities(tiny_model: Any) -> None:
    x = np.random.default_rng(2).standard_normal((9, 2, 3000)).astype(np.float32)
    other = PositionModel(3)
    mean = ensemble_probabilities([tiny_model, other], x)
    expected = (window_probabilities(tiny_model, x) + window_probabilities(other, x)) / 2
    np.testing.assert_allclose(mean, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="no model"):
        ensemble_probabilities([], x)


def test_epoch_attention_gives_each_modality_and_layer_the_global_tokens_row(tiny_model: Any) -> None:
    window = np.random.default_rng(3).standard_normal((4, 2, 3000)).astype(np.float32)
    weights = epoch_attention(tiny_model, window, 2)
    assert weights.shape == (2, 2, 30)  # EEG/EOG, 2 layers, 30 series tokens
    assert np.isfinite(weights).all()
    assert not np.allclose(weights[0], weights[1])  # each modality from its own maps
