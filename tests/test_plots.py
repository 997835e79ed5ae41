"""Figures (sleepdg.plots): real PNGs written atomically, and their input checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sleepdg.plots import AttentionExample, plot_attention, plot_confusion, plot_hypnogram

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _night(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(5), n).astype(np.float32)
    return proba.argmax(axis=1).astype(np.int8), proba


def test_a_hypnogram_with_scoring_is_a_wide_png_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    predicted, proba = _night(120)
    scored = predicted.copy()
    scored[:3] = -1
    path = plot_hypnogram(tmp_path / "night.png", predicted, proba, scored=scored, title="night")
    width, height = _png_size(path)
    assert width > 2 * height
    assert [p.name for p in tmp_path.iterdir()] == ["night.png"]


def test_a_hypnogram_refuses_probabilities_of_another_length_naming_both_shapes(tmp_path: Path) -> None:
    predicted, proba = _night(10)
    with pytest.raises(ValueError, match=r"predicted \(10,\), proba \(9, 5\)"):
        plot_hypnogram(tmp_path / "x.png", predicted, proba[:9])
    assert not (tmp_path / "x.png").exists()


def test_a_confusion_matrix_is_drawn_and_a_wrong_shape_is_refused(tmp_path: Path) -> None:
    counts = np.arange(25).reshape(5, 5)
    counts[1] = 0  # a stage never scored: its row stays at 0 rather than dividing by zero
    _png_size(plot_confusion(tmp_path / "c.png", counts))
    with pytest.raises(ValueError, match=r"must be \(5, 5\), got \(4, 4\)"):
        plot_confusion(tmp_path / "bad.png", np.ones((4, 4)))


def test_attention_maps_draw_every_stage_row_even_without_an_example(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    examples = [
        AttentionExample(
            stage, rng.standard_normal((2, 3000)), rng.standard_normal((2, 3, 30)), "r0", 10 + stage, 2
        )
        for stage in (0, 2, 4)
    ]
    path = plot_attention(tmp_path / "a.png", examples, caption="layers 1-2 are untrained", title="fold hmc")
    width, height = _png_size(path)
    assert height > 0.8 * width  # five stage rows of two modality columns
