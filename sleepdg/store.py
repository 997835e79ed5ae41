"""The prepared store of one dataset: one Zarr v3 group per recording plus ``index.parquet``.

Layout (architecture.md)::

    <prepared>/<dataset>/store.zarr/<record_id>/x   float32 (n_epochs, 2, 3000)  channel 0 EEG, 1 EOG
    <prepared>/<dataset>/store.zarr/<record_id>/y   int8    (n_epochs,)          Stage values, -1 unscored
    <prepared>/<dataset>/index.parquet              one row per recording (INDEX_COLUMNS)
    <prepared>/<dataset>/skipped.csv                record, reason (only with prepare.on_error: skip)

Chunks hold 20 epochs (one training window) compressed with Blosc-LZ4, the fastest layout for
reading 20-epoch windows measured in dependencies.md §3. Metadata is never consolidated, because
consolidated metadata goes stale silently after a write.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

STORE_NAME = "store.zarr"
INDEX_NAME = "index.parquet"
SKIPPED_NAME = "skipped.csv"
CHUNK_EPOCHS = 20
INDEX_COLUMNS: tuple[str, ...] = (
    "dataset", "record_id", "subject_id", "n_epochs", "n_W", "n_N1", "n_N2", "n_N3", "n_REM",
    "n_UNSCORED", "source_file", "source_sha256", "eeg_sfreq_hz", "eog_sfreq_hz",
)  # fmt: skip


def _compressor() -> Any:
    from zarr.codecs import BloscCodec, BloscShuffle

    return BloscCodec(cname="lz4", clevel=5, shuffle=BloscShuffle.shuffle)


def init_store(store_path: Path) -> None:
    """Create an empty root group (once, before workers write their recordings into it)."""
    import zarr

    zarr.open_group(store_path, mode="w", zarr_format=3)


def write_recording(
    store_path: Path, record_id: str, x: np.ndarray, y: np.ndarray, attrs: Mapping[str, Any]
) -> None:
    """Write one recording's group, replacing any earlier copy; on failure nothing of it stays.

    Parameters
    ----------
    store_path
        ``.../store.zarr`` created by `init_store`.
    record_id
        The group path; ``/`` nests (``subgroupI/12``).
    x
        (n_epochs, 2, n_samples) float32, z-scored EEG and EOG.
    y
        (n_epochs,) int8 stages.
    attrs
        JSON-serialisable attributes (rates, channel labels, units, sources, params hash).
    """
    import zarr

    if x.ndim != 3 or x.shape[0] != y.shape[0]:
        raise ValueError(f"{record_id}: x {x.shape} and y {y.shape} disagree on the number of epochs")
    root = zarr.open_group(store_path, mode="a", zarr_format=3, use_consolidated=False)
    group_dir = store_path / record_id
    if group_dir.exists():
        shutil.rmtree(group_dir)
    try:
        group = root.create_group(record_id, overwrite=True, attributes=dict(attrs))
        xs = group.create_array(
            "x", shape=x.shape, chunks=(CHUNK_EPOCHS, *x.shape[1:]), dtype="float32",
            compressors=_compressor(), dimension_names=("epoch", "channel", "time"),
        )  # fmt: skip
        xs[:] = x.astype(np.float32, copy=False)
        ys = group.create_array(
            "y", shape=y.shape, chunks=(max(len(y), 1),), dtype="int8", dimension_names=("epoch",)
        )
        ys[:] = y.astype(np.int8, copy=False)
    except BaseException:
        shutil.rmtree(group_dir, ignore_errors=True)
        raise


def open_recording(store_path: Path, record_id: str) -> tuple[Any, np.ndarray]:
    """The lazy ``x`` array and the (small, loaded) ``y`` labels of one recording."""
    import zarr

    group = zarr.open_group(store_path / record_id, mode="r", zarr_format=3, use_consolidated=False)
    x, y = group["x"], group["y"]
    if not isinstance(x, zarr.Array) or not isinstance(y, zarr.Array):
        raise ValueError(f"{store_path / record_id}: expected arrays x and y in the group")
    return x, np.asarray(y[:], dtype=np.int8)


def recording_attrs(store_path: Path, record_id: str) -> dict[str, Any]:
    """Attributes written with a recording's group."""
    import zarr

    group = zarr.open_group(store_path / record_id, mode="r", zarr_format=3, use_consolidated=False)
    return dict(group.attrs)


def read_index(dataset_dir: Path) -> pd.DataFrame:
    """The index of a prepared dataset folder (``data/prepared/<ds>``)."""
    path = dataset_dir / INDEX_NAME
    if not path.exists():
        raise FileNotFoundError(f"{path}: no index; run `sleepdg prepare {dataset_dir.name}` first")
    return pd.read_parquet(path)
