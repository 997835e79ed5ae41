"""Evaluation of a fold's model on every recording of its target dataset, and the fold's reports.

Every epoch of every recording gets a prediction (`sleepdg.inference`: windows plus one aligned to
the end, overlapping probabilities averaged). Metrics pool the scored epochs of all recordings
(method.md §6). `write_fold_report` writes ``reports/<fold>/`` (architecture.md "Reports"): all
of it is drawn in a staging folder first, then each output replaces its previous version.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sleepdg import metrics
from sleepdg.atomic import atomic_path
from sleepdg.inference import SequenceTooShortError, ensemble_probabilities, epoch_attention, model_seq_len
from sleepdg.plots import AttentionExample, plot_attention, plot_confusion, plot_hypnogram
from sleepdg.recording import record_file_stem
from sleepdg.stages import N_CLASSES, STAGE_NAMES, Stage
from sleepdg.store import STORE_NAME, open_recording, read_index

if TYPE_CHECKING:
    import torch

    from sleepdg.model import SleepDIFFormer
    from sleepdg.params import EvaluateParams

log = logging.getLogger(__name__)

REPORT_ITEMS: tuple[str, ...] = (
    "metrics.json", "recordings.csv", "confusion.csv", "confusion.png", "hypnograms", "attention",
)  # fmt: skip  # what evaluate writes into reports/<fold>/, each replaced whole
RECORDING_COLUMNS: tuple[str, ...] = (
    "record_id", "subject_id", "n_epochs", "n_scored", "acc", "macro_f1", "kappa",
    *(f"f1_{s}" for s in STAGE_NAMES),
)  # fmt: skip


@dataclass(frozen=True)
class RecordingPrediction:
    """Predicted stage probabilities of one recording beside its scored stages."""

    record_id: str
    subject_id: str
    y: np.ndarray  # (n_epochs,) int8 scored Stage, -1 unscored
    proba: np.ndarray  # (n_epochs, 5) float32, rows sum to 1

    @property
    def predicted(self) -> np.ndarray:
        """(n_epochs,) int8 most probable stage."""
        return self.proba.argmax(axis=1).astype(np.int8)


def predict_dataset(
    models: Sequence[SleepDIFFormer],
    dataset_dir: Path,
    *,
    records: Sequence[str] | None = None,
    device: torch.device | None = None,
    progress: bool = True,
) -> list[RecordingPrediction]:
    """Predict every epoch of every recording of a prepared dataset.

    Parameters
    ----------
    models
        One model, or several whose probabilities are averaged.
    dataset_dir
        ``data/prepared/<ds>`` (``index.parquet`` and ``store.zarr``).
    records
        Record ids to predict (the in-domain test subjects); all when None.

    Returns
    -------
    Predictions in record-id order. A recording shorter than one sequence is skipped with a warning.
    """
    from tqdm.auto import tqdm

    index = read_index(dataset_dir).sort_values("record_id")
    if records is not None:
        wanted = set(records)
        index = index[index["record_id"].isin(wanted)]
        if len(index) != len(wanted):
            missing = sorted(wanted - set(index["record_id"]))
            raise KeyError(f"{dataset_dir}: no recordings {missing} in index.parquet")
    out = []
    for row in tqdm(
        list(index.itertuples(index=False)), desc=f"evaluate {dataset_dir.name}", disable=not progress
    ):
        x, y = open_recording(dataset_dir / STORE_NAME, str(row.record_id))
        try:
            proba = ensemble_probabilities(models, np.asarray(x[:], dtype=np.float32), device=device)
        except SequenceTooShortError as exc:
            log.warning("%s/%s: %s; not evaluated", dataset_dir.name, row.record_id, exc)
            continue
        out.append(RecordingPrediction(str(row.record_id), str(row.subject_id), y, proba))
    if not out:
        raise ValueError(f"{dataset_dir}: no recording long enough to evaluate")
    return out


def pooled(predictions: Sequence[RecordingPrediction]) -> tuple[np.ndarray, np.ndarray]:
    """Scored and predicted stages of every epoch of every recording, concatenated."""
    return np.concatenate([p.y for p in predictions]), np.concatenate([p.predicted for p in predictions])


def fold_metrics(predictions: Sequence[RecordingPrediction]) -> dict[str, float | int]:
    """The flat ``metrics.json`` over the pooled scored epochs (`sleepdg.metrics.summary`)."""
    return metrics.summary(*pooled(predictions))


def recordings_table(predictions: Sequence[RecordingPrediction]) -> pd.DataFrame:
    """One row per recording (`RECORDING_COLUMNS`); scores are NaN for a recording without scored epochs."""
    rows = []
    for p in predictions:
        n_scored = int(np.count_nonzero(p.y != Stage.UNSCORED))
        row: dict[str, Any] = {
            "record_id": p.record_id,
            "subject_id": p.subject_id,
            "n_epochs": int(p.y.size),
            "n_scored": n_scored,
        }
        scores = metrics.summary(p.y, p.predicted) if n_scored else {}
        row.update({k: scores.get(k, np.nan) for k in RECORDING_COLUMNS[4:]})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(RECORDING_COLUMNS))


def confusion_rows(counts: np.ndarray) -> pd.DataFrame:
    """The (5, 5) counts as rows ``actual, predicted, n`` with stage names (25 rows)."""
    actual, predicted = np.meshgrid(np.arange(N_CLASSES), np.arange(N_CLASSES), indexing="ij")
    return pd.DataFrame({
        "actual": [STAGE_NAMES[i] for i in actual.ravel()],
        "predicted": [STAGE_NAMES[j] for j in predicted.ravel()],
        "n": np.asarray(counts, dtype=np.int64).ravel(),
    })  # fmt: skip


def confusion_sample(
    y_true: np.ndarray, y_pred: np.ndarray, n: int, rng: np.random.Generator
) -> pd.DataFrame:
    """At most ``n`` scored epochs drawn without replacement, as rows ``actual, predicted`` for
    DVC's built-in ``confusion`` template (in epoch order)."""
    t, p = metrics.scored(y_true, y_pred)
    keep = np.sort(rng.choice(t.size, size=min(n, t.size), replace=False))
    return pd.DataFrame(
        {"actual": [STAGE_NAMES[i] for i in t[keep]], "predicted": [STAGE_NAMES[i] for i in p[keep]]}
    )


def hypnogram_choice(table: pd.DataFrame, n: int) -> list[str]:
    """Up to ``n`` record ids spread over the accuracy range (worst, …, best), in that order."""
    ranked = table.dropna(subset=["acc"]).sort_values(["acc", "record_id"], kind="stable")
    if n <= 0 or ranked.empty:
        return []
    picks = np.unique(np.round(np.linspace(0, len(ranked) - 1, min(n, len(ranked)))).astype(int))
    return [str(ranked.iloc[i]["record_id"]) for i in picks]


def _choose_epoch(
    predictions: Sequence[RecordingPrediction], stage: int, rank: int
) -> tuple[int, int] | None:
    """(recording, epoch) of the ``rank``-th best example of ``stage``.

    Correct predictions come first, then the higher probability of the stage, then time order.
    """
    rec, epoch, right, prob = [], [], [], []
    for i, p in enumerate(predictions):
        idx = np.flatnonzero(p.y == stage)
        rec.append(np.full(idx.size, i))
        epoch.append(idx)
        right.append(p.predicted[idx] == stage)
        prob.append(p.proba[idx, stage])
    r, e = np.concatenate(rec), np.concatenate(epoch)
    if r.size <= rank:
        return None
    order = np.lexsort((e, r, -np.concatenate(prob), ~np.concatenate(right)))
    return int(r[order[rank]]), int(e[order[rank]])


def attention_examples(
    model: SleepDIFFormer,
    predictions: Sequence[RecordingPrediction],
    dataset_dir: Path,
    *,
    rank: int = 0,
    device: torch.device | None = None,
) -> list[AttentionExample]:
    """One epoch per scored stage with the model's attention maps (method.md §9).

    The epoch is the ``rank``-th best example of its stage over all recordings (correctly
    predicted first, then by the probability of the stage); its sequence is the ``seq_len``
    epochs centred on it, cut at the recording's edges.
    """
    seq_len, out = model_seq_len(model), []
    for stage in range(N_CLASSES):
        choice = _choose_epoch(predictions, stage, rank)
        if choice is None:
            continue
        pred, epoch = predictions[choice[0]], choice[1]
        x, _ = open_recording(dataset_dir / STORE_NAME, pred.record_id)
        start = min(max(epoch - seq_len // 2, 0), pred.y.size - seq_len)
        window = np.asarray(x[start : start + seq_len], dtype=np.float32)
        weights = epoch_attention(model, window, epoch - start, device)
        out.append(
            AttentionExample(
                stage, window[epoch - start], weights, pred.record_id, epoch, int(pred.predicted[epoch])
            )
        )
    return out


def attention_caption(stacking: str, n_layers: int) -> str:
    """What the bands show, and under ``reference`` stacking that layers before the last are untrained."""
    text = (
        "Bands, one per MDTA layer (layer 1 at the top): the global token's attention over the 30 "
        "one-second series tokens of the epoch, averaged over heads, min-max normalised per panel, "
        "over the z-scored waveform. "
    )
    if stacking == "reference" and n_layers > 1:
        text += (
            "stacking=reference: every layer reads the embeddings and only the last one's output is "
            f"used (method.md §3.3), so layers 1-{n_layers - 1} are untrained and their maps stay at "
            "initialisation."
        )
    elif stacking == "chained":
        text += "stacking=chained: each layer reads the previous layer's output."
    return text


def _write_hypnograms(
    folder: Path, predictions: Sequence[RecordingPrediction], table: pd.DataFrame, n: int
) -> None:
    folder.mkdir()
    by_id = {p.record_id: p for p in predictions}
    rows = []
    for record_id in hypnogram_choice(table, n):
        p, name = by_id[record_id], f"{record_file_stem(record_id)}.png"
        acc = float(table.loc[table["record_id"] == record_id, "acc"].iloc[0])
        plot_hypnogram(
            folder / name, p.predicted, p.proba, scored=p.y, title=f"{record_id}: accuracy {acc:.3f}"
        )
        rows.append({"record_id": record_id, "acc": acc, "file": name})
    pd.DataFrame(rows, columns=["record_id", "acc", "file"]).to_csv(folder / "index.csv", index=False)


def _write_attention(
    folder: Path,
    model: SleepDIFFormer,
    predictions: Sequence[RecordingPrediction],
    dataset_dir: Path,
    n: int,
    title: str,
    device: torch.device | None,
) -> None:
    folder.mkdir()
    config = model.config
    caption = attention_caption(str(config.stacking), int(config.n_layers))
    rows = []
    for rank in range(n):
        examples = attention_examples(model, predictions, dataset_dir, rank=rank, device=device)
        name = f"attention_{rank + 1}.png"
        plot_attention(
            folder / name, examples, caption=caption, title=f"{title}: attention, example {rank + 1}"
        )
        rows += [
            {
                "file": name,
                "stage": STAGE_NAMES[e.stage],
                "record_id": e.record_id,
                "epoch": e.epoch,
                "predicted": STAGE_NAMES[e.predicted],
            }
            for e in examples
        ]
    pd.DataFrame(rows, columns=["file", "stage", "record_id", "epoch", "predicted"]).to_csv(
        folder / "examples.csv", index=False
    )


def write_fold_report(
    out_dir: Path,
    predictions: Sequence[RecordingPrediction],
    *,
    model: SleepDIFFormer,
    dataset_dir: Path,
    settings: EvaluateParams,
    title: str,
    seed: int = 0,
    device: torch.device | None = None,
) -> dict[str, float | int]:
    """Write `REPORT_ITEMS` into ``out_dir``: metrics.json, recordings.csv, confusion.csv/.png,
    hypnograms/, attention/.

    Everything is drawn in a staging folder first; then each item replaces its previous version
    by a rename, so a failure leaves the previous reports, and other files (DVC's ``.gitignore``)
    stay.

    Parameters
    ----------
    out_dir
        ``reports/<fold>``.
    predictions
        The target's predictions (`predict_dataset`).
    model, dataset_dir
        For the attention maps (the first model of an ensemble) and the signals they show.
    settings
        ``evaluate`` params: numbers of hypnograms and attention figures, confusion sample size
        (0 writes 25 count rows for the custom template ``confusion_counts``).
    title
        Prefix of the figure titles (e.g. ``fold hmc``).
    seed
        Seeds the confusion sample.

    Returns
    -------
    The metrics written to metrics.json.
    """
    scores = fold_metrics(predictions)
    table = recordings_table(predictions)
    y, p = pooled(predictions)
    counts = metrics.confusion(y, p)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        (staging / "metrics.json").write_text(json.dumps(scores, indent=2) + "\n")
        table.to_csv(staging / "recordings.csv", index=False, float_format="%.6f")
        if settings.confusion_sample:
            rng = np.random.default_rng(seed)
            confusion_sample(y, p, settings.confusion_sample, rng).to_csv(
                staging / "confusion.csv", index=False
            )
        else:
            confusion_rows(counts).to_csv(staging / "confusion.csv", index=False)
        plot_confusion(
            staging / "confusion.png",
            counts,
            title=f"{title}: accuracy {scores['acc']:.3f}, "
            f"macro-F1 {scores['macro_f1']:.3f} over {scores['n_epochs']} epochs",
        )
        _write_hypnograms(staging / "hypnograms", predictions, table, settings.n_hypnograms)
        _write_attention(
            staging / "attention", model, predictions, dataset_dir, settings.n_attention, title, device
        )
        for item in REPORT_ITEMS:  # other files in out_dir (DVC's .gitignore) stay
            with atomic_path(out_dir / item) as tmp:
                os.replace(staging / item, tmp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info(
        "%s: accuracy %.4f, macro-F1 %.4f, kappa %.4f over %d scored epochs of %d recordings; wrote %s",
        title,
        scores["acc"],
        scores["macro_f1"],
        scores["kappa"],
        scores["n_epochs"],
        len(predictions),
        out_dir,
    )
    return scores


def evaluate_checkpoint(
    checkpoint: Path,
    dataset_dir: Path,
    out_dir: Path,
    settings: EvaluateParams,
    *,
    title: str,
    records: Sequence[str] | None = None,
    expected_fold: str | None = None,
    device: torch.device | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, float | int]:
    """Load a checkpoint, predict a prepared dataset (or some of its records) and write the report.

    ``expected_fold``, when given, must be the checkpoint's fold (a guard against swapped paths).

    Returns
    -------
    The metrics of ``out_dir/metrics.json``.
    """
    from sleepdg.errors import CheckpointError
    from sleepdg.train.checkpoint import load_checkpoint

    model, meta = load_checkpoint(checkpoint)
    if expected_fold is not None and meta.get("fold") != expected_fold:
        raise CheckpointError(
            f"{checkpoint}: a model of fold {meta.get('fold')!r}, expected {expected_fold!r}"
        )
    model.to(device or "cpu")
    predictions = predict_dataset([model], dataset_dir, records=records, device=device, progress=progress)
    return write_fold_report(
        out_dir,
        predictions,
        model=model,
        dataset_dir=dataset_dir,
        settings=settings,
        title=title,
        seed=seed,
        device=device,
    )
