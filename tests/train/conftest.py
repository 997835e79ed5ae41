"""Tiny prepared stores written with the real store functions, shared by the training tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sleepdg.stages import stage_counts
from sleepdg.store import INDEX_COLUMNS, INDEX_NAME, STORE_NAME, init_store, write_recording

N_SAMPLES = 3000


def stage_signal(y: np.ndarray, rng: np.random.Generator, shift: float = 0.0) -> np.ndarray:
    """(n, 2, 3000) float32: a sine whose frequency and amplitude follow the stage, plus noise."""
    t = np.arange(N_SAMPLES) / 100.0
    stage = np.where(y < 0, 0, y).astype(np.float64)[:, None]
    eeg = (1.0 + 0.3 * stage) * np.sin(2 * np.pi * (1.0 + 2.0 * stage) * t) + shift
    eog = np.cos(2 * np.pi * (0.5 + stage) * t) * (stage == 4)
    x = np.stack([eeg, np.broadcast_to(eog, eeg.shape)], axis=1) + 0.5 * rng.standard_normal(
        (len(y), 2, N_SAMPLES)
    )
    return x.astype(np.float32)


def write_prepared(
    root: Path,
    dataset: str,
    stages: Sequence[np.ndarray],
    *,
    subjects: Sequence[str] | None = None,
    seed: int = 0,
    shift: float = 0.0,
) -> Path:
    """Write ``root/<dataset>/{store.zarr,index.parquet}`` with one recording per stage array."""
    rng = np.random.default_rng(seed)
    folder = root / dataset
    store = folder / STORE_NAME
    init_store(store)
    rows = []
    for i, y in enumerate(stages):
        record_id = f"{dataset}-r{i}"
        y = np.asarray(y, dtype=np.int8)
        write_recording(store, record_id, stage_signal(y, rng, shift), y, {"sfreq_hz": 100.0})
        counts = stage_counts(y)
        rows.append(
            {
                "dataset": dataset,
                "record_id": record_id,
                "subject_id": subjects[i] if subjects is not None else f"{dataset}-s{i}",
                "n_epochs": len(y),
                **{f"n_{k}": v for k, v in counts.items()},
                "source_file": f"{record_id}.edf",
                "source_sha256": "0" * 64,
                "eeg_sfreq_hz": 100.0,
                "eog_sfreq_hz": 100.0,
            }
        )
    pd.DataFrame(rows, columns=list(INDEX_COLUMNS)).to_parquet(folder / INDEX_NAME, index=False)
    return folder


def random_stages(n_epochs: int, rng: np.random.Generator) -> np.ndarray:
    """A stage sequence in bouts of 3–10 epochs, with a short unscored lead."""
    out: list[int] = []
    while len(out) < n_epochs:
        out.extend([int(rng.integers(0, 5))] * int(rng.integers(3, 11)))
    y = np.asarray(out[:n_epochs], dtype=np.int8)
    y[:2] = -1
    return y


def write_sources(
    root: Path, datasets: Sequence[str], *, n_records: int = 2, n_epochs: int = 60, seed: int = 0
) -> Path:
    """``n_records`` recordings of ``n_epochs`` epochs per dataset, each dataset shifted a little."""
    rng = np.random.default_rng(seed)
    for k, dataset in enumerate(datasets):
        stages = [random_stages(n_epochs, rng) for _ in range(n_records)]
        write_prepared(root, dataset, stages, seed=seed + k, shift=0.2 * k)
    return root


TINY_MODEL = {"d_model": 8, "n_heads": 1, "n_layers": 1, "d_ff": 16, "cnn_channels": [4, 8], "dropout": 0.1}


def tiny_params(**train: object) -> dict[str, object]:
    """A tiny model on CPU over 4-epoch sequences, trained briefly; keyword arguments override ``train``."""
    return {
        "model": dict(TINY_MODEL),
        "train": {"epochs": 2, "batch_size": 2, "lr": 1e-3, "seq_len": 4, "stride": 4, **train},
        "runtime": {"device": "cpu"},
    }


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    """Four tiny source datasets (the target ``sleepedf`` is absent on purpose)."""
    return write_sources(tmp_path / "prepared", ("hmc", "isruc", "shhs", "p2018"))


@pytest.fixture(scope="session")
def make_prepared() -> Callable[..., Path]:
    """`write_prepared`: one dataset from the given stage arrays."""
    return write_prepared


@pytest.fixture(scope="session")
def make_sources() -> Callable[..., Path]:
    """`write_sources`: several datasets of random stage sequences."""
    return write_sources


@pytest.fixture(scope="session")
def tiny() -> Callable[..., dict[str, object]]:
    """`tiny_params`: a params mapping for a tiny model and a short run."""
    return tiny_params
