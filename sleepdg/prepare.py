"""Prepare one dataset: native files -> preprocessed epochs -> Zarr store + index.parquet.

`prepare_one` turns one `Recording` into one Zarr group and one index row, and writes nothing
else, so any executor can run it (a process pool here; Dask in a distributed run). The whole
dataset folder is written aside and renamed into place only when every recording succeeded (or
was skipped on purpose with ``prepare.on_error: skip``), so a failed run leaves the previous store.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sleepdg.atomic import atomic_path
from sleepdg.errors import SleepdgError
from sleepdg.manifest import ManifestEntry, read_manifest
from sleepdg.params import DatasetPrepare, Params, PrepareCommon
from sleepdg.preprocess import preprocess
from sleepdg.recording import Recording
from sleepdg.stages import stage_counts
from sleepdg.store import INDEX_COLUMNS, INDEX_NAME, SKIPPED_NAME, STORE_NAME, init_store, write_recording

log = logging.getLogger(__name__)


class PrepareError(SleepdgError, ValueError):
    """A recording could not be prepared (``prepare.on_error: raise``)."""


def params_hash(common: PrepareCommon, dataset: DatasetPrepare) -> str:
    """Short stable hash of the preprocessing params of one dataset (stored with every group)."""
    blob = json.dumps({"common": common.model_dump(), "dataset": dataset.model_dump()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def prepare_one(
    recording: Recording,
    common: PrepareCommon,
    dataset: DatasetPrepare,
    store_path: Path,
    *,
    raw_dir: Path,
    source_sha256: str = "",
) -> dict[str, Any]:
    """Preprocess one recording, write its Zarr group, return its index row (INDEX_COLUMNS).

    ``source_sha256`` is the signal file's digest from download's manifest (never recomputed).
    """
    epochs = preprocess(recording, common, dataset)
    source_file = _relative(recording.source[0] if recording.source else Path(recording.record_id), raw_dir)
    eeg, eog = recording.signals["eeg"], recording.signals["eog"]
    attrs = {
        "dataset": recording.dataset,
        "record_id": recording.record_id,
        "subject_id": recording.subject_id,
        "sfreq_hz": epochs.sfreq_hz,
        "native_sfreq_hz": {"eeg": eeg.sfreq_hz, "eog": eog.sfreq_hz},
        "channels": {"eeg": eeg.label, "eog": eog.label},
        "units": "z-score of microvolts" if common.normalise == "zscore" else "microvolts",
        "zscore_mean_uv": list(epochs.mean),
        "zscore_std_uv": list(epochs.std),
        "first_epoch": epochs.first_epoch,
        "source_files": [p.name for p in recording.source],
        "params_hash": params_hash(common, dataset),
    }
    write_recording(store_path, recording.record_id, epochs.x, epochs.y, attrs)
    counts = stage_counts(epochs.y)
    return {
        "dataset": recording.dataset,
        "record_id": recording.record_id,
        "subject_id": recording.subject_id,
        "n_epochs": len(epochs.y),
        **{f"n_{name}": n for name, n in counts.items()},
        "source_file": source_file,
        "source_sha256": source_sha256,
        "eeg_sfreq_hz": float(eeg.sfreq_hz),
        "eog_sfreq_hz": float(eog.sfreq_hz),
    }


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs to read and prepare one recording (picklable)."""

    dataset: str
    raw_dir: Path
    store_path: Path
    common: PrepareCommon
    params: DatasetPrepare
    run_id: str


@dataclass(frozen=True)
class _Outcome:
    record_id: str
    row: dict[str, Any] | None = None
    error: str | None = None
    error_type: str | None = None


@lru_cache(maxsize=4)
def _reader(dataset: str, raw_dir: Path, params: DatasetPrepare, run_id: str) -> Any:
    """One reader per worker process and run: it lists and pairs the raw folder once, not per recording."""
    from sleepdg.datasets import open_reader

    return open_reader(dataset, raw_dir, params)


class _Task:
    """Picklable callable: one record id -> outcome. Errors come back as text (custom exception
    classes do not always survive pickling), and the parent decides to raise or skip."""

    def __init__(self, job: _Job) -> None:
        self.job = job

    def __call__(self, item: tuple[str, str]) -> _Outcome:
        record_id, sha256 = item
        job = self.job
        try:
            recording = _reader(job.dataset, job.raw_dir, job.params, job.run_id).read(record_id)
            row = prepare_one(
                recording, job.common, job.params, job.store_path, raw_dir=job.raw_dir, source_sha256=sha256
            )
            return _Outcome(record_id, row=row)
        except Exception as exc:
            return _Outcome(record_id, error=str(exc), error_type=type(exc).__name__)


@dataclass
class PrepareReport:
    dataset: str
    n_recordings: int = 0
    n_epochs: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def _sha256_of(manifest: Mapping[str, ManifestEntry], sources: tuple[Path, ...], raw_dir: Path) -> str:
    entry = manifest.get(_relative(sources[0], raw_dir)) if sources else None
    return entry.sha256 if entry is not None else ""


def _write_index(rows: list[dict[str, Any]], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(INDEX_COLUMNS)).sort_values("record_id", kind="stable")
    frame.to_parquet(path, index=False)


def _write_skipped(skipped: list[tuple[str, str]], path: Path) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("record", "reason"))
        writer.writerows(sorted(skipped))


def prepare_dataset(
    dataset: str,
    raw_dir: Path,
    out_dir: Path,
    params: Params,
    *,
    workers: int = 1,
    scheduler: str = "processes",
) -> PrepareReport:
    """Prepare every recording of ``raw_dir`` into ``out_dir`` (``data/prepared/<ds>``).

    Parameters
    ----------
    dataset
        Dataset key (``sleepedf``, ``hmc``, ``isruc``, ``shhs``, ``p2018``).
    raw_dir
        The dataset's native files (``data/raw/<ds>``), with download's ``manifest.csv`` if any.
    out_dir
        Replaced atomically: ``store.zarr``, ``index.parquet`` and, when recordings were skipped,
        ``skipped.csv``.
    params
        The validated params; reads ``prepare.common`` and ``prepare.<dataset>`` only.
    workers, scheduler
        Parallelism (``runtime`` params): ``processes`` (a local pool of ``workers`` processes),
        ``dask`` (a local Dask cluster of ``workers`` processes) or a Dask scheduler address, whose
        workers must see ``raw_dir`` and ``out_dir``'s parent at the same absolute paths.
    """
    from tqdm import tqdm

    from sleepdg.executor import map_unordered

    if not raw_dir.is_dir():
        raise SleepdgError(f"{raw_dir}: no such folder; run `sleepdg download {dataset}` first")
    raw_dir = raw_dir.absolute()  # workers of a Dask cluster may run in another folder
    common, ds_params = params.prepare.common, params.prepare.dataset(dataset)
    run_id = uuid.uuid4().hex
    reader = _reader(dataset, raw_dir, ds_params, run_id)
    record_ids = reader.record_ids()
    if not record_ids:
        raise SleepdgError(f"{raw_dir}: no {dataset} recording found")
    manifest = read_manifest(raw_dir)
    if not manifest:
        log.warning("%s has no manifest.csv: source_sha256 stays empty in the index", raw_dir)
    items = [(rid, _sha256_of(manifest, reader.source_files(rid), raw_dir)) for rid in record_ids]
    report, rows, started = PrepareReport(dataset), [], time.perf_counter()
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        store_path = tmp.absolute() / STORE_NAME
        init_store(store_path)
        job = _Job(dataset, raw_dir, store_path, common, ds_params, run_id)
        task = _Task(job)
        progress = tqdm(total=len(record_ids), desc=f"prepare {dataset}", unit="rec", leave=False)
        for outcome in map_unordered(  # not bound to a name: an exception closes it (and its workers) at once
            task, items, workers=min(workers, len(items)), scheduler=scheduler, shared_paths=(raw_dir, tmp)
        ):
            progress.update()
            if outcome.row is not None:
                rows.append(outcome.row)
                report.n_epochs += int(outcome.row["n_epochs"])
            elif common.on_error == "raise":
                raise PrepareError(
                    f"{dataset} {outcome.record_id}: {outcome.error} "
                    "(set prepare.common.on_error: skip to go on without it)"
                )
            else:
                reason = f"{outcome.error_type}: {outcome.error}"
                log.warning("skipped %s %s: %s", dataset, outcome.record_id, reason)
                report.skipped.append((outcome.record_id, reason))
        progress.close()
        if not rows:
            raise SleepdgError(f"{raw_dir}: every {dataset} recording failed; see the warnings above")
        _write_index(rows, tmp / INDEX_NAME)
        if report.skipped:
            _write_skipped(report.skipped, tmp / SKIPPED_NAME)
    report.n_recordings, report.seconds = len(rows), time.perf_counter() - started
    log.info(
        "prepared %d %s recordings (%d epochs) into %s in %.1f s%s",
        report.n_recordings, dataset, report.n_epochs, out_dir, report.seconds,
        f"; skipped {len(report.skipped)} (see {SKIPPED_NAME})" if report.skipped else "",
    )  # fmt: skip
    return report


__all__ = ["PrepareReport", "params_hash", "prepare_dataset", "prepare_one"]
