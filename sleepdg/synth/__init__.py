"""Synthetic PSG recordings of the five datasets, written in their native layouts and formats.

`write_dataset` is the entry point of ``sleepdg synth``: N nights of one dataset under its official
folder layout, names and file formats, quirks included, so that the dataset readers cannot tell
them from real files. `generate_hypnogram` gives one night's stages and native scoring alone.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from sleepdg.params import DATASETS
from sleepdg.synth.hypnogram import Hypnogram, bed_epochs, generate_hypnogram
from sleepdg.synth.layouts import N_RECORDS, record_name, write_recording

__all__ = ["N_RECORDS", "Hypnogram", "generate_hypnogram", "record_name", "write_dataset"]

log = logging.getLogger(__name__)


def write_dataset(
    dataset: str,
    out: Path,
    *,
    n_recordings: int,
    hours: float,
    seed: int,
    shift_scale: float = 1.0,
    workers: int = 1,
) -> list[Path]:
    """Write ``n_recordings`` synthetic nights of ``dataset`` under ``out`` in its native layout.

    Parameters
    ----------
    dataset
        ``sleepedf``, ``hmc``, ``isruc``, ``shhs`` or ``p2018``.
    out
        The dataset's raw folder (created if missing); files already there are replaced when a
        recording writes the same name, and left alone otherwise (a warning counts them).
    n_recordings
        Number of nights: recordings 0 … n-1 under the dataset's real names.
    hours
        Time in bed per night (Sleep-EDF, SHHS and P2018 add their own padding around it).
    seed
        Base seed: recording k depends on (seed, dataset, k) only, whatever ``n_recordings``.
    shift_scale
        Per-dataset domain-shift scale λ in [0, 2] of the signal profile (synthetic.md §3.4).
    workers
        Processes writing recordings in parallel (1 = in this process).

    Returns
    -------
    list[Path]
        Every file written (``out / relative``), sorted by relative path. Each is written atomically.
    """
    from tqdm import tqdm

    from sleepdg.executor import map_unordered

    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    if not 1 <= n_recordings <= N_RECORDS[dataset]:
        raise ValueError(f"n_recordings must be 1-{N_RECORDS[dataset]} for {dataset}, got {n_recordings}")
    if not 0.0 <= shift_scale <= 2.0:
        raise ValueError(f"shift_scale must lie in [0, 2], got {shift_scale}")
    bed_epochs(hours)  # ValueError for an impossible time in bed
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    task = partial(_write_one, dataset, out, hours=hours, seed=seed, shift_scale=shift_scale)
    written: list[Path] = []
    with tqdm(total=n_recordings, desc=f"synth {dataset}", unit="rec", disable=None) as bar:
        for files in map_unordered(task, range(n_recordings), workers=workers):
            written += files
            bar.update()
    _warn_stray(out, set(written))
    log.info("%s: %d recordings, %d files under %s", dataset, n_recordings, len(written), out)
    return [out / rel for rel in sorted(written, key=lambda p: p.as_posix())]


def _write_one(
    dataset: str, out: Path, index: int, *, hours: float, seed: int, shift_scale: float
) -> list[Path]:
    return write_recording(dataset, out, index, hours=hours, seed=seed, shift_scale=shift_scale)


def _warn_stray(out: Path, written: set[Path]) -> None:
    stray = [p for p in out.rglob("*") if p.is_file() and p.relative_to(out) not in written]
    if stray:
        log.warning("%s holds %d files this run did not write (e.g. %s)", out, len(stray), stray[0])
