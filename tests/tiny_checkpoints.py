"""Tiny untrained checkpoints, prepared target stores and native recordings for the report tests.

Checkpoints go through the trainer's own `save_checkpoint`, stores through `sleepdg.store`, and
recordings through sleepdg's EDF writer, so the tests read real files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sleepdg.io.edf import EdfChannel, write_edf
from sleepdg.params import PrepareCommon
from sleepdg.stages import stage_counts
from sleepdg.store import INDEX_COLUMNS, INDEX_NAME, STORE_NAME, init_store, write_recording

START = datetime(2024, 3, 1, 22, 30, 0)
SEQ_LEN = 20


def tiny_config(stacking: str = "reference", seq_len: int = SEQ_LEN) -> Any:
    """A `ModelConfig` small enough to run in milliseconds per window on CPU."""
    from sleepdg.model import ModelConfig

    return ModelConfig(
        d_model=16, n_heads=2, n_layers=2, d_ff=16, cnn_channels=(4, 8), dropout=0.1,
        stacking=stacking, attention="differential", seq_heads=2, seq_len=seq_len,
    )  # fmt: skip


def save_tiny_checkpoint(
    path: Path,
    *,
    fold: str | None = "hmc",
    seed: int = 0,
    stacking: str = "reference",
    seq_len: int = SEQ_LEN,
    common: dict[str, Any] | None = None,
) -> Path:
    """An untrained tiny model (weights from ``seed``) saved as a sleepdg checkpoint."""
    from sleepdg.model import SleepDIFFormer
    from sleepdg.train import save_checkpoint

    config = tiny_config(stacking, seq_len)
    common = common if common is not None else PrepareCommon().model_dump(mode="json")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(
        path, SleepDIFFormer(config, seed=seed), config, preprocess={"common": common}, params={},
        fold=fold, sources={"sleepedf": 0}, best={"epoch": 1},
    )  # fmt: skip
    return path


def stages_in_bouts(n_epochs: int, rng: np.random.Generator, n_unscored: int = 2) -> np.ndarray:
    """Stages in bouts of 3-8 epochs, every stage present when long enough, ``n_unscored`` leading -1."""
    out: list[int] = []
    while len(out) < n_epochs:
        out.extend(
            [len(out) // 4 % 5 if len(out) < 40 else int(rng.integers(0, 5))] * int(rng.integers(3, 9))
        )
    y = np.asarray(out[:n_epochs], dtype=np.int8)
    y[:n_unscored] = -1
    return y


def write_target(root: Path, dataset: str, lengths: Sequence[int], *, seed: int = 0,
                 subjects: Sequence[str] | None = None) -> Path:  # fmt: skip
    """``root/<dataset>/{store.zarr,index.parquet}``: one recording per length, signals follow the stage."""
    rng = np.random.default_rng(seed)
    folder = root / dataset
    store = folder / STORE_NAME
    init_store(store)
    rows = []
    t = np.arange(3000) / 100.0
    for i, n in enumerate(lengths):
        record_id = f"{dataset}-r{i}"
        y = stages_in_bouts(n, rng)
        freq = 1.0 + 2.0 * np.where(y < 0, 0, y)[:, None]
        eeg = np.sin(2 * np.pi * freq * t) + 0.3 * rng.standard_normal((n, 3000))
        eog = 0.5 * rng.standard_normal((n, 3000))
        write_recording(
            store, record_id, np.stack([eeg, eog], axis=1).astype(np.float32), y, {"sfreq_hz": 100.0}
        )
        rows.append({
            "dataset": dataset, "record_id": record_id,
            "subject_id": subjects[i] if subjects is not None else f"{dataset}-s{i}", "n_epochs": n,
            **{f"n_{k}": v for k, v in stage_counts(y).items()}, "source_file": f"{record_id}.edf",
            "source_sha256": "0" * 64, "eeg_sfreq_hz": 100.0, "eog_sfreq_hz": 100.0,
        })  # fmt: skip
    pd.DataFrame(rows, columns=list(INDEX_COLUMNS)).to_parquet(folder / INDEX_NAME, index=False)
    return folder


def write_night(path: Path, duration_s: float, *, sfreq_hz: float = 128.0, seed: int = 0,
                labels: Sequence[str] = ("EEG C4-M1", "EOG E1-M2", "EMG chin")) -> Path:  # fmt: skip
    """An EDF recording of noise-like EEG/EOG/EMG channels (±500 µV range), ``duration_s`` long."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * sfreq_hz)
    channels = [
        EdfChannel(label, 20.0 * rng.standard_normal(n), sfreq_hz, (-500.0, 500.0)) for label in labels
    ]
    write_edf(path, channels, start=START, record_duration_s=1.0)  # duration_s: whole seconds
    return path
