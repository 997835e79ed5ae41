"""Figures of the reports and of predict: hypnograms, confusion matrices and attention maps.

Every function draws on its own `matplotlib.figure.Figure` (the Agg canvas, no pyplot state, no
display needed) and writes a PNG atomically. Stages are `Stage` values; -1 (unscored) is a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sleepdg.atomic import atomic_path
from sleepdg.stages import EPOCH_S, N_CLASSES, STAGE_NAMES, Stage

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

# One colour per stage (index = Stage value), shared by every figure.
STAGE_COLOURS: tuple[str, ...] = ("#e6a532", "#8fd3e8", "#3f8fd2", "#1b3a78", "#d0453c")
# Hypnogram rows from the top: W, REM, N1, N2, N3 (the clinical layout).
_ROW_OF_STAGE = {Stage.W: 4, Stage.REM: 3, Stage.N1: 2, Stage.N2: 1, Stage.N3: 0}
_DPI = 110


def _figure(width_in: float, height_in: float, *, constrained: bool = True) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained" if constrained else None)


def _save(fig: Figure, path: Path | str) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=_DPI)
    return path


def _hypnogram_rows(stages: np.ndarray) -> np.ndarray:
    """Row of each epoch in the clinical layout, NaN for unscored epochs."""
    rows = np.full(stages.shape, np.nan)
    for stage, row in _ROW_OF_STAGE.items():
        rows[stages == stage] = row
    return rows


def _draw_hypnogram(ax: Axes, stages: np.ndarray, edges_h: np.ndarray, colour: str, label: str) -> None:
    """Step plot over epoch edges (n_epochs + 1 times in hours); unscored epochs shaded grey."""
    rows = _hypnogram_rows(stages)
    ax.step(edges_h, np.append(rows, rows[-1]), where="post", color=colour, lw=1.0)
    unscored = np.append(stages == Stage.UNSCORED, False)
    if unscored.any():
        ax.fill_between(edges_h, -0.5, 4.5, where=unscored, step="post", color="0.85", lw=0)
    stages_shown = [s for s in Stage if s != Stage.UNSCORED]
    ax.set_yticks([_ROW_OF_STAGE[s] for s in stages_shown], [STAGE_NAMES[s] for s in stages_shown])
    ax.set_ylim(-0.5, 4.5)
    ax.set_ylabel(label)
    ax.grid(axis="y", color="0.9", lw=0.5)


def plot_hypnogram(
    path: Path | str,
    predicted: np.ndarray,
    proba: np.ndarray,
    *,
    scored: np.ndarray | None = None,
    title: str = "",
    epoch_s: float = EPOCH_S,
) -> Path:
    """Draw the predicted hypnogram (above it the scored one, when given) and the stage probabilities.

    Parameters
    ----------
    path
        PNG to write.
    predicted
        (n_epochs,) predicted `Stage` values.
    proba
        (n_epochs, 5) per-stage probabilities (rows sum to 1), drawn as stacked areas.
    scored
        (n_epochs,) scored stages, -1 unscored; None for a recording without labels.
    title
        Figure title (recording name, metrics).
    epoch_s
        Epoch length in seconds; the x axis is in hours from the recording's start.
    """
    predicted, proba = np.asarray(predicted), np.asarray(proba, dtype=np.float64)
    if proba.shape != (predicted.size, N_CLASSES) or (
        scored is not None and np.shape(scored) != predicted.shape
    ):
        raise ValueError(
            f"expected {predicted.size} epochs everywhere: predicted {predicted.shape}, proba {proba.shape}"
            f"{'' if scored is None else f', scored {np.shape(scored)}'}"
        )
    hours = np.arange(predicted.size + 1) * epoch_s / 3600.0
    n_rows = 3 if scored is not None else 2
    fig = _figure(11, 1.6 * n_rows + 0.6)
    axes = fig.subplots(n_rows, 1, sharex=True, height_ratios=[1.0] * (n_rows - 1) + [0.9])
    if scored is not None:
        _draw_hypnogram(axes[0], np.asarray(scored), hours, "black", "scored")
    _draw_hypnogram(axes[n_rows - 2], predicted, hours, "#3366aa", "predicted")
    ax = axes[-1]
    ax.stackplot(
        hours, np.vstack([proba, proba[-1:]]).T, colors=STAGE_COLOURS, step="post", labels=STAGE_NAMES, lw=0
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(0, hours[-1])
    ax.set_ylabel("probability")
    ax.set_xlabel("hours from the recording's start")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion(path: Path | str, counts: np.ndarray, *, title: str = "") -> Path:
    """Draw a confusion matrix normalised per scored stage (rows), annotated with shares and counts.

    Parameters
    ----------
    counts
        (5, 5) epoch counts, row = scored stage, column = predicted stage, in `Stage` order.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape != (N_CLASSES, N_CLASSES):
        raise ValueError(f"confusion counts must be ({N_CLASSES}, {N_CLASSES}), got {counts.shape}")
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    fig = _figure(5.6, 4.8)
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(N_CLASSES):
        for j in range(N_CLASSES):
            colour = "white" if shares[i, j] > 0.55 else "black"
            ax.text(
                j,
                i,
                f"{shares[i, j]:.2f}\n({counts[i, j]})",
                ha="center",
                va="center",
                fontsize=8,
                color=colour,
            )
    ax.set_xticks(range(N_CLASSES), STAGE_NAMES)
    ax.set_yticks(range(N_CLASSES), [f"{n} ({t})" for n, t in zip(STAGE_NAMES, totals.ravel(), strict=True)])
    ax.set_xlabel("predicted")
    ax.set_ylabel("scored (epochs)")
    fig.colorbar(image, ax=ax, label="share of the scored stage")
    ax.set_title(title or f"confusion over {int(counts.sum())} scored epochs", fontsize=10)
    return _save(fig, path)


@dataclass(frozen=True)
class AttentionExample:
    """One epoch's attention: the global token's row over the series tokens, per modality and layer."""

    stage: int  # scored Stage of the epoch
    signal: np.ndarray  # (2, n_samples) z-scored EEG and EOG of the epoch
    weights: np.ndarray  # (2, n_layers, n_tokens) head-averaged differential weights, EEG then EOG
    record_id: str
    epoch: int  # index of the epoch in its recording
    predicted: int  # predicted Stage


def _draw_attention(ax: Axes, signal: np.ndarray, weights: np.ndarray, epoch_s: float) -> AxesImage:
    from matplotlib.colors import Normalize

    n_layers = weights.shape[0]
    low, high = -4.2, 4.0  # y range of the z-scored waveform (method.md §9)
    lo, hi = float(weights.min()), float(weights.max())
    norm = Normalize(lo, hi if hi > lo else lo + 1e-12)  # one min–max over the panel's layers
    image = ax.imshow(
        weights,
        cmap="viridis",
        norm=norm,
        alpha=0.6,
        aspect="auto",
        interpolation="nearest",
        extent=(0.0, epoch_s, low, high),
        origin="upper",
    )
    t = np.arange(signal.size) * epoch_s / signal.size
    ax.plot(t, np.clip(signal, low, high), color="black", lw=0.5)
    band = (high - low) / n_layers
    ax.set_yticks(
        [high - band * (k + 0.5) for k in range(n_layers)], [f"layer {k + 1}" for k in range(n_layers)]
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(low, high)
    ax.set_xlim(0.0, epoch_s)
    return image


def plot_attention(
    path: Path | str,
    examples: Sequence[AttentionExample],
    *,
    caption: str = "",
    title: str = "",
    epoch_s: float = EPOCH_S,
) -> Path:
    """Draw attention maps in the layout of the paper's figure (method.md §9).

    One row per stage (W … REM), an EEG and an EOG column, each from its own maps. Each panel
    shows the epoch's z-scored waveform under one band per layer (layer 1 at the top) of
    rectangles, one per series token (1 s), coloured by the global token's weight on that token,
    min–max normalised over the panel's layers. A stage without an example gets an empty panel.

    Parameters
    ----------
    examples
        At most one per stage; see `AttentionExample` for the shapes.
    caption
        Text under the figure (e.g. that layers before the last are untrained).
    """
    by_stage = {int(e.stage): e for e in examples}
    fig = _figure(12, 2.1 * N_CLASSES + 0.8, constrained=False)  # a fixed grid draws twice as fast
    fig.subplots_adjust(left=0.11, right=0.88, top=0.94, bottom=0.09, wspace=0.18, hspace=0.12)
    axes = fig.subplots(N_CLASSES, 2, sharex=True, squeeze=False)
    image: AxesImage | None = None
    for stage in range(N_CLASSES):
        example = by_stage.get(stage)
        for m, modality in enumerate(("EEG", "EOG")):
            ax = axes[stage, m]
            if stage == 0:
                ax.set_title(modality)
            if example is None:
                ax.text(
                    0.5,
                    0.5,
                    f"no {STAGE_NAMES[stage]} epoch to show",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    color="0.4",
                )
                ax.set_yticks([])
                continue
            image = _draw_attention(
                ax, np.asarray(example.signal[m]), np.asarray(example.weights[m]), epoch_s
            )
            if m == 0:
                ax.set_ylabel(
                    f"{STAGE_NAMES[stage]}\n{example.record_id} #{example.epoch}\n"
                    f"predicted {STAGE_NAMES[example.predicted]}",
                    fontsize=8,
                )
    for ax in axes[-1]:
        ax.set_xlabel("seconds in the epoch")
    if image is not None:
        bar = fig.colorbar(image, cax=fig.add_axes((0.91, 0.3, 0.015, 0.4)), ticks=[])
        bar.set_label("attention weight (min to max of each panel)")
    if title:
        fig.suptitle(title)
    if caption:
        fig.text(0.01, 0.005, caption, ha="left", va="bottom", fontsize=8, wrap=True)
    return _save(fig, path)
