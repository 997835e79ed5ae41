"""What every dataset reader shares: signal picking and reading, and the base reader class.

A reader indexes its folder once (file names only), pairs each signal file with its scoring
files, and reads one recording at a time: the scoring first (aligned on the header's duration,
`sleepdg.epochs.align_runs`), then only the two picked channels, cropped to the epoch grid.
A signal file without its scoring (or the reverse) stays in `record_ids` and fails in `read`
with a `ReaderError`, so ``prepare.on_error: skip`` can pass over it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np

from sleepdg.channels import ChannelPick, pick_channel
from sleepdg.epochs import Grid
from sleepdg.errors import ReaderError
from sleepdg.io.edf import EdfHeader, read_edf_channels, read_edf_header
from sleepdg.io.units import unit_scale_to_uv
from sleepdg.io.wfdb_io import WfdbHeader, read_mat_channels
from sleepdg.params import DatasetPrepare
from sleepdg.recording import Recording, Signal

log = logging.getLogger(__name__)

MODALITIES = ("eeg", "eog")


class SignalInfo(NamedTuple):
    """What a signal file's header says, without reading samples."""

    path: Path
    format: str  # "EDF", "EDF+" or "WFDB"
    labels: tuple[str, ...]
    sfreq_hz: tuple[float, ...]
    duration_s: float


def edf_info(header: EdfHeader) -> SignalInfo:
    """`SignalInfo` of an EDF header (annotation signals left out)."""
    data = [s for s in header.signals if not s.is_annotation]
    rates = tuple(s.n_samples / header.record_duration_s for s in data)
    kind = "EDF+" if header.is_edf_plus else "EDF"
    return SignalInfo(header.path, kind, tuple(s.label for s in data), rates, header.duration_s)


def wfdb_info(header: WfdbHeader) -> SignalInfo:
    """`SignalInfo` of a WFDB header (all channels share one rate)."""
    rates = (header.sfreq_hz,) * len(header.labels)
    return SignalInfo(header.path, "WFDB", header.labels, rates, header.duration_s)


def pick_modalities(
    available: Sequence[str], accepted: Mapping[str, Sequence[str]], path: Path
) -> dict[str, ChannelPick]:
    """Resolve every modality's channel (or derivation) among ``available``."""
    return {m: pick_channel(tuple(accepted[m]), available, path=path, modality=m.upper()) for m in accepted}


def _combine(
    picks: Mapping[str, ChannelPick], values: Mapping[str, np.ndarray], rates: Mapping[str, float], path: Path
) -> dict[str, Signal]:
    signals = {}
    for modality, pick in picks.items():
        data = values[pick.plus]
        if pick.minus is not None:
            if rates[pick.plus] != rates[pick.minus]:
                raise ReaderError(
                    path,
                    f"cannot derive {pick.label}: {pick.plus} is at {rates[pick.plus]:g} Hz, "
                    f"{pick.minus} at {rates[pick.minus]:g} Hz",
                )
            data = data - values[pick.minus]
        signals[modality] = Signal(np.asarray(data, dtype=np.float32), rates[pick.plus], pick.label)
    return signals


def read_edf_signals(header: EdfHeader, picks: Mapping[str, ChannelPick]) -> dict[str, Signal]:
    """The picked channels of an EDF file, in µV, as `Signal`s (derivations subtracted)."""
    labels = [label for pick in picks.values() for label in pick.labels]
    values = read_edf_channels(header, labels)
    rates = {}
    for label, data in values.items():
        signal = header.signals[header.index(label)]
        scale = unit_scale_to_uv(signal.dimension, header.path, label)
        if scale != 1.0:
            data *= np.float32(scale)
        rates[label] = header.sfreq_hz(label)
    return _combine(picks, values, rates, header.path)


def read_wfdb_signals(header: WfdbHeader, picks: Mapping[str, ChannelPick]) -> dict[str, Signal]:
    """The picked channels of a WFDB record, in µV, as `Signal`s."""
    labels = [label for pick in picks.values() for label in pick.labels]
    values = read_mat_channels(header, labels)
    return _combine(picks, values, dict.fromkeys(values, header.sfreq_hz), header.path)


def edf_start_shift(psg: Path, scoring: Path) -> float:
    """Seconds from a PSG's start to its EDF+ scoring file's start (0 in the official files)."""
    a, b = read_edf_header(psg).start, read_edf_header(scoring).start
    if a is None or b is None or a == b:
        return 0.0
    shift = (b - a).total_seconds()
    log.warning("%s starts %g s after %s; its onsets are shifted to the PSG clock", scoring, shift, psg.name)
    return shift


def crop_to_grid(signals: Mapping[str, Signal], offset_s: float) -> dict[str, Signal]:
    """Drop what lies before epoch 0 (``offset_s`` seconds into the file)."""
    out = {}
    for modality, signal in signals.items():
        n = round(offset_s * signal.sfreq_hz)
        out[modality] = signal._replace(data=signal.data[n:]) if n else signal
    return out


@dataclass(frozen=True)
class Pair:
    """A recording's files: the signal file (None if missing) and its scoring files."""

    signal: Path | None
    scoring: tuple[Path, ...]


class BaseReader:
    """Shared machinery; subclasses define the file index, subject ids, and scoring and signal reads."""

    name: str = ""
    scoring_kind: ClassVar[str] = "scoring file"

    def __init__(self, root: Path, params: DatasetPrepare) -> None:
        self.root = Path(root)
        self.params = params
        self._pairs: dict[str, Pair] | None = None

    # -- to override ------------------------------------------------------------------------
    def _index(self) -> dict[str, Pair]:
        raise NotImplementedError

    def subject_id(self, record_id: str) -> str:
        return record_id

    def grid_for(self, signal: Path, scoring: Path, signal_duration_s: float) -> Grid:
        """Stages of ``scoring`` on the epoch grid of ``signal`` lasting ``signal_duration_s``."""
        raise NotImplementedError

    def span_for(self, scoring: Path) -> Grid:
        """Stages of a scoring file over its own span (no signal)."""
        raise NotImplementedError

    def info_for(self, signal: Path) -> SignalInfo:
        """Header of a signal file (EDF here; WFDB readers override)."""
        return edf_info(read_edf_header(signal))

    def signals_for(self, signal: Path) -> dict[str, Signal]:
        """The picked EEG and EOG of a signal file, in µV (EDF here; WFDB readers override)."""
        header = read_edf_header(signal)
        return read_edf_signals(header, pick_modalities(header.labels, self.accepted, header.path))

    # -- shared -----------------------------------------------------------------------------
    @property
    def pairs(self) -> dict[str, Pair]:
        if self._pairs is None:
            if not self.root.is_dir():
                raise ReaderError(self.root, f"no such folder (the {self.name} raw data)")
            self._pairs = self._index()
            log.debug("%s: %d recordings under %s", self.name, len(self._pairs), self.root)
        return self._pairs

    def record_ids(self) -> list[str]:
        """Record ids found under the root, sorted (file names only, nothing is read)."""
        return sorted(self.pairs)

    def pair(self, record_id: str) -> tuple[Path, tuple[Path, ...]]:
        """The signal file and scoring files of a complete recording; ReaderError if one is missing."""
        try:
            found = self.pairs[record_id]
        except KeyError:
            raise ReaderError(
                self.root, f"no {self.name} recording {record_id!r} under this folder"
            ) from None
        if found.signal is None:
            raise ReaderError(
                found.scoring[0], f"{self.scoring_kind} without its signal file (record {record_id})"
            )
        if not found.scoring:
            raise ReaderError(
                found.signal, f"signal file without its {self.scoring_kind} (record {record_id})"
            )
        return found.signal, found.scoring

    def source_files(self, record_id: str) -> tuple[Path, ...]:
        """Signal file first, then the scoring files (nothing is read)."""
        signal, scoring = self.pair(record_id)
        return (signal, *scoring)

    def signal_info(self, record_id: str) -> SignalInfo:
        """Channels, rates and duration of a recording's signal file (header only)."""
        return self.info_for(self.pair(record_id)[0])

    def read_grid(self, record_id: str) -> Grid:
        """A recording's stages on its signal's epoch grid (headers and scoring only, no samples)."""
        signal, (scoring,) = self.pair(record_id)
        return self.grid_for(signal, scoring, self.info_for(signal).duration_s)

    def read(self, record_id: str) -> Recording:
        """One recording: the scoring aligned to the signal, then the two picked channels."""
        grid = self.read_grid(record_id)
        signals = crop_to_grid(self.signals_for(self.pair(record_id)[0]), grid.offset_s)
        return Recording(
            dataset=self.name,
            record_id=record_id,
            subject_id=self.subject_id(record_id),
            signals=signals,
            stages=grid.stages,
            source=self.source_files(record_id),
        )

    def recordings(self) -> Iterator[Recording]:
        """Every recording, read lazily one at a time, in `record_ids` order."""
        for record_id in self.record_ids():
            yield self.read(record_id)

    @property
    def accepted(self) -> dict[str, tuple[str, ...]]:
        return {"eeg": tuple(self.params.eeg), "eog": tuple(self.params.eog)}
