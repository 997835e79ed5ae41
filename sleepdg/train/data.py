"""Sequences of consecutive epochs from prepared stores: windows, source index, split, Dataset.

A window is ``seq_len`` consecutive epochs of one recording (architecture.md "Sequences"):
training uses windows every ``stride`` epochs from the first epoch, the remainder dropped;
evaluation and predict add one window aligned to the recording's end so every epoch is covered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

from sleepdg.stages import Stage
from sleepdg.store import STORE_NAME, open_recording, read_index

log = logging.getLogger(__name__)


class Window(NamedTuple):
    """``seq_len`` epochs of one recording starting at epoch ``start`` (0-based)."""

    dataset: str
    record_id: str
    start: int


def train_windows(n_epochs: int, seq_len: int, stride: int) -> np.ndarray:
    """Start epochs of the windows ``[s, s + seq_len)`` every ``stride`` epochs; the tail is dropped.

    >>> train_windows(45, 20, 20).tolist()
    [0, 20]
    """
    if seq_len < 1 or stride < 1:
        raise ValueError(f"seq_len ({seq_len}) and stride ({stride}) must be positive")
    return np.arange(0, max(n_epochs - seq_len + 1, 0), stride, dtype=np.int64)


def eval_windows(n_epochs: int, seq_len: int) -> np.ndarray:
    """Non-overlapping windows plus one final window aligned to the end, so every epoch is covered.

    A recording shorter than ``seq_len`` has no window.

    >>> eval_windows(45, 20).tolist()
    [0, 20, 25]
    >>> eval_windows(40, 20).tolist()
    [0, 20]
    """
    starts = train_windows(n_epochs, seq_len, seq_len)
    if starts.size and starts[-1] + seq_len < n_epochs:
        starts = np.append(starts, n_epochs - seq_len)
    return starts


@dataclass(frozen=True, eq=False)
class SourceRecord:
    """One prepared recording of a source dataset, with its (small) labels loaded."""

    dataset: str
    record_id: str
    subject_id: str
    domain: int  # index of the dataset among the fold's sources, in architecture.md's order
    store: Path  # .../<dataset>/store.zarr
    y: np.ndarray  # (n_epochs,) int8 Stage values, -1 unscored


@dataclass(frozen=True)
class SequenceIndex:
    """Windows over a set of recordings: window i is ``records[record[i]]`` from epoch ``start[i]``."""

    records: tuple[SourceRecord, ...]
    record: np.ndarray  # (n,) int64 index into records
    start: np.ndarray  # (n,) int64 first epoch
    seq_len: int

    def __len__(self) -> int:
        return int(self.record.size)

    def window(self, i: int) -> Window:
        rec = self.records[int(self.record[i])]
        return Window(rec.dataset, rec.record_id, int(self.start[i]))

    def domains(self) -> np.ndarray:
        """(n,) int64 domain id of every window."""
        return np.array([r.domain for r in self.records], dtype=np.int64)[self.record]

    def subset(self, which: np.ndarray) -> SequenceIndex:
        """The windows at positions ``which`` (an index array), over the same records."""
        return SequenceIndex(self.records, self.record[which], self.start[which], self.seq_len)

    def labels(self, i: int) -> np.ndarray:
        """(seq_len,) int8 stages of window i."""
        s = int(self.start[i])
        return self.records[int(self.record[i])].y[s : s + self.seq_len]


def _load_records(prepared_root: Path, dataset: str, domain: int) -> list[SourceRecord]:
    folder = prepared_root / dataset
    index = read_index(folder)
    store = folder / STORE_NAME
    records = []
    for row in index.sort_values("record_id").itertuples(index=False):
        _, y = open_recording(store, str(row.record_id))
        if y.shape[0] != int(row.n_epochs):
            raise ValueError(
                f"{store / str(row.record_id)}: {y.shape[0]} labels but index.parquet says "
                f"{row.n_epochs} epochs"
            )
        records.append(SourceRecord(dataset, str(row.record_id), str(row.subject_id), domain, store, y))
    if not records:
        raise ValueError(f"{folder / 'index.parquet'}: no recordings")
    return records


def open_sources(
    prepared_root: Path, datasets: Sequence[str], *, seq_len: int = 20, stride: int = 20
) -> SequenceIndex:
    """Index the training windows of the given prepared datasets (each one domain).

    Parameters
    ----------
    prepared_root
        The folder holding ``<dataset>/index.parquet`` and ``<dataset>/store.zarr``.
    datasets
        Source datasets in domain-id order: dataset k gets domain id k.
    seq_len, stride
        Window length and step in epochs. Windows whose epochs are all unscored are skipped.

    Returns
    -------
    SequenceIndex
        Records sorted by dataset order then record id, windows in recording order.
    """
    records: list[SourceRecord] = []
    for domain, dataset in enumerate(datasets):
        records.extend(_load_records(Path(prepared_root), dataset, domain))
    rec_idx, starts = [], []
    for i, rec in enumerate(records):
        s = train_windows(rec.y.shape[0], seq_len, stride)
        if s.size:
            scored = (np.lib.stride_tricks.sliding_window_view(rec.y, seq_len)[s] != Stage.UNSCORED).any(
                axis=1
            )
            s = s[scored]
        else:
            log.warning(
                "%s/%s: %d epochs, shorter than one %d-epoch window; not used",
                rec.dataset,
                rec.record_id,
                rec.y.shape[0],
                seq_len,
            )
        rec_idx.append(np.full(s.size, i, dtype=np.int64))
        starts.append(s)
    index = SequenceIndex(tuple(records), np.concatenate(rec_idx), np.concatenate(starts), seq_len)
    if len(index) == 0:
        raise ValueError(
            f"{prepared_root}: no {seq_len}-epoch window with a scored epoch in {', '.join(datasets)}"
        )
    return index


def split_train_val(
    index: SequenceIndex,
    how: Literal["sequence", "subject"],
    fraction: float,
    rng: np.random.Generator,
) -> tuple[SequenceIndex, SequenceIndex]:
    """Split the source windows into training and validation sets.

    Parameters
    ----------
    how
        ``sequence``: the reference's split, a random ``fraction`` of the pooled windows (subjects
        appear on both sides). ``subject``: within each source dataset, a random ``fraction`` of the
        subjects (at least one while another stays for training) goes to validation with all its windows.
    fraction
        Share of windows (``sequence``) or of each dataset's subjects (``subject``) for validation.
    rng
        The only source of randomness.
    """
    n = len(index)
    if how == "sequence":
        order = rng.permutation(n)
        n_val = round(fraction * n)
        val = np.sort(order[:n_val])
    elif how == "subject":
        val = _subject_val(index, fraction, rng)
    else:
        raise ValueError(f"train.val_split: expected 'sequence' or 'subject', got {how!r}")
    is_val = np.zeros(n, dtype=bool)
    is_val[val] = True
    train_set, val_set = index.subset(np.flatnonzero(~is_val)), index.subset(np.flatnonzero(is_val))
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(
            f"a {how}-wise split with fraction {fraction} of {n} windows leaves "
            f"{len(train_set)} for training and {len(val_set)} for validation; both need at least one"
        )
    return train_set, val_set


def _subject_val(index: SequenceIndex, fraction: float, rng: np.random.Generator) -> np.ndarray:
    keys = np.array([f"{r.dataset}\t{r.subject_id}" for r in index.records])[index.record]
    datasets = np.array([r.dataset for r in index.records])[index.record]
    chosen: list[str] = []
    for dataset in dict.fromkeys(r.dataset for r in index.records):
        subjects = np.unique(keys[datasets == dataset])  # sorted, so the draw depends on rng only
        n_val = round(fraction * subjects.size)
        n_val = min(max(n_val, 1), subjects.size - 1) if subjects.size > 1 else 0
        chosen.extend(rng.permutation(subjects)[:n_val].tolist())
    return np.flatnonzero(np.isin(keys, chosen))


class RecordingArrays:
    """The ``x`` arrays of a set of records: opened lazily from Zarr, or loaded into memory once.

    Lazily opened arrays are not pickled, so each DataLoader worker opens its own on first use.
    """

    def __init__(self, records: Sequence[SourceRecord]) -> None:
        self.records = tuple(records)
        self._open: dict[int, Any] = {}
        self._memory: dict[int, np.ndarray] | None = None

    def nbytes(self) -> int:
        """Bytes of float32 signal the records hold: what `load_into_memory` needs."""
        if not self.records:
            return 0
        per_epoch = int(np.prod(self._array(0).shape[1:])) * 4  # (2, T) float32, the same in every record
        return sum(int(r.y.shape[0]) for r in self.records) * per_epoch

    def _array(self, i: int) -> Any:
        if i not in self._open:
            rec = self.records[i]
            self._open[i], _ = open_recording(rec.store, rec.record_id)
        return self._open[i]

    def load_into_memory(self) -> None:
        """Read every record whole (decompressed float32); later reads touch no file."""
        self._memory = {i: np.asarray(self._array(i)[:], dtype=np.float32) for i in range(len(self.records))}
        self._open.clear()

    @property
    def in_memory(self) -> bool:
        return self._memory is not None

    def read(self, i: int, start: int, stop: int) -> np.ndarray:
        """(stop - start, 2, T) float32 epochs of record i."""
        if self._memory is not None:
            return self._memory[i][start:stop]
        return np.asarray(self._array(i)[start:stop], dtype=np.float32)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_open"] = {}  # zarr handles stay in the process that opened them
        return state


class SequenceDataset(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Windows of an index as tensors: ``x`` (L, 2, T) float32, ``y`` (L,) int64, domain () int64.

    Parameters
    ----------
    index
        The windows to serve.
    arrays
        Where the signals come from; share one `RecordingArrays` between the train and val sets
        so a loaded copy is read once. Built over ``index.records`` when omitted.
    """

    def __init__(self, index: SequenceIndex, arrays: RecordingArrays | None = None) -> None:
        self.index = index
        self.arrays = arrays if arrays is not None else RecordingArrays(index.records)
        if [(r.dataset, r.record_id) for r in self.arrays.records] != [
            (r.dataset, r.record_id) for r in index.records
        ]:
            raise ValueError("arrays were built over other records than the index's")
        self._domains = index.domains()

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rec, start = int(self.index.record[i]), int(self.index.start[i])
        stop = start + self.index.seq_len
        x = self.arrays.read(rec, start, stop)
        y = self.index.records[rec].y[start:stop]
        return (
            torch.from_numpy(np.ascontiguousarray(x)),
            torch.from_numpy(y.astype(np.int64)),
            torch.tensor(self._domains[i], dtype=torch.int64),
        )
