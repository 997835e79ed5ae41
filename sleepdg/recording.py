"""The value types that cross from readers to the rest of the pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from sleepdg.stages import EPOCH_S


class Signal(NamedTuple):
    """One channel (or derivation) of a recording."""

    data: np.ndarray  # (n_samples,) float32, microvolts; sample 0 is the onset of epoch 0
    sfreq_hz: float
    label: str  # the channel label in the file, or "A - B" for a derivation

    @property
    def duration_s(self) -> float:
        return len(self.data) / self.sfreq_hz


@dataclass(frozen=True)
class Recording:
    """One night: the EEG and EOG a model reads, on the 30-s epoch grid of its scoring.

    ``signals`` start at the onset of epoch 0 (readers crop what lies before the grid) and may
    run up to one partial epoch past the last one. ``stages`` has one int8 `Stage` value per whole
    epoch of signal; epochs no scoring covers are ``Stage.UNSCORED``.
    """

    dataset: str
    record_id: str  # unique in the dataset: "SC4001E0", "SN001", "subgroupI/12", "shhs1-200001"
    subject_id: str  # nights of one person share it
    signals: Mapping[str, Signal]  # by modality: "eeg", "eog"
    stages: np.ndarray  # (n_epochs,) int8
    source: tuple[Path, ...] = field(default=())  # the signal file first, then scoring files

    @property
    def n_epochs(self) -> int:
        return len(self.stages)

    @property
    def file_stem(self) -> str:
        """``record_id`` usable as a file name (``subgroupI/12`` -> ``subgroupI_12``)."""
        return record_file_stem(self.record_id)


def record_file_stem(record_id: str) -> str:
    """A record id as a file name: ``/`` becomes ``_`` (architecture.md)."""
    return record_id.replace("/", "_")


def n_whole_epochs(n_samples: int, sfreq_hz: float, epoch_s: float = EPOCH_S) -> int:
    """Number of whole epochs in ``n_samples`` at ``sfreq_hz`` (a trailing partial epoch is not counted)."""
    return int(np.floor(n_samples / (sfreq_hz * epoch_s) + 1e-9))


class DatasetReader(Protocol):
    """A dataset on disk, read one recording at a time."""

    name: str

    def recordings(self) -> Iterator[Recording]: ...
