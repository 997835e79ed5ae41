"""EDF / EDF+ files: read only the channels asked for, write EDF, EDF+ and ISRUC's ``.rec``.

Reading parses and validates the header (`sleepdg.io.edf_header`), then streams the data records
in chunks of a few MB and keeps only the picked signals, converted to physical float32. Peak
memory is the returned arrays plus one chunk: no memory map of the whole night, no float64 copy.
Any suffix is accepted (ISRUC's ``.rec`` is EDF under another name).

Writing (used by the synthetic generator and the tests) produces plain EDF when ``annotations``
is None and EDF+C with an ``EDF Annotations`` signal otherwise; annotation-only EDF+ files
(Sleep-EDF hypnograms, HMC sleep scoring) have one data record of duration 0, like the originals.
Files are written through a temporary sibling and renamed into place (`sleepdg.atomic`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepdg.atomic import atomic_path
from sleepdg.errors import ReaderError
from sleepdg.io.edf_annotations import Annotation, encode_record_tals, parse_tals
from sleepdg.io.edf_header import (
    ANNOTATION_LABEL,
    EdfHeader,
    EdfSignalHeader,
    encode_edf_header,
    format_number,
    read_edf_header,
)

__all__ = [
    "Annotation",
    "EdfChannel",
    "EdfHeader",
    "read_edf_annotations",
    "read_edf_channels",
    "read_edf_header",
    "write_annotations_edf",
    "write_edf",
]

log = logging.getLogger(__name__)

_CHUNK_BYTES = 4 << 20  # data records are streamed in chunks of about this size
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class EdfChannel:
    """One signal to write: ``data`` (n_samples,) physical values in ``dimension`` units."""

    label: str
    data: np.ndarray  # physical values (unit = dimension), float
    sfreq_hz: float
    physical_range: tuple[float, float]
    digital_range: tuple[int, int] = (-32768, 32767)
    dimension: str = "uV"
    prefilter: str = ""
    transducer: str = ""


# ---------------------------------------------------------------------------------------------
# reading


def _iter_records(header: EdfHeader) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first record, int16 array (n_records_in_chunk, samples_per_record)) over the file."""
    per_record = header.record_bytes // 2
    if per_record == 0 or header.n_records == 0:
        return
    chunk = max(1, _CHUNK_BYTES // header.record_bytes)
    buffer = np.empty((min(chunk, header.n_records), per_record), dtype="<i2")
    with header.path.open("rb") as f:
        f.seek(header.header_bytes)
        for first in range(0, header.n_records, chunk):
            n = min(chunk, header.n_records - first)
            view = buffer[:n]
            got = f.readinto(view.data.cast("B"))
            if got != view.nbytes:
                raise ReaderError(
                    header.path,
                    f"truncated: data record {first + got // header.record_bytes} of {header.n_records} "
                    "ends before the header says",
                )
            yield first, view


def read_edf_channels(header: EdfHeader, labels: Sequence[str]) -> dict[str, np.ndarray]:
    """Physical values of the signals ``labels`` (the file's units), reading nothing else into memory.

    Parameters
    ----------
    header
        From `read_edf_header`.
    labels
        Data-signal labels exactly as the file spells them.

    Returns
    -------
    dict
        label -> (n_records · samples_per_record,) float32 in the signal's physical dimension.
    """
    if header.reserved.startswith("EDF+D"):
        raise ReaderError(
            header.path, "EDF+D (discontinuous) signals are not supported; export it as continuous EDF"
        )
    indices = [header.index(label) for label in dict.fromkeys(labels)]
    starts = np.concatenate([[0], np.cumsum([s.n_samples for s in header.signals])])
    out: dict[int, np.ndarray] = {
        i: np.empty(header.n_records * header.signals[i].n_samples, dtype=np.float32) for i in indices
    }
    for first, block in _iter_records(header):
        n = block.shape[0]
        for i in indices:
            signal = header.signals[i]
            ns = signal.n_samples
            dest = out[i][first * ns : (first + n) * ns].reshape(n, ns)
            np.multiply(block[:, starts[i] : starts[i + 1]], np.float32(signal.gain), out=dest)
            dest += np.float32(signal.offset)
    return {header.signals[i].label: out[i] for i in indices}


def read_edf_annotations(path: Path | str) -> list[Annotation]:
    """Every annotation of an EDF+ file, in file order (time-keeping TALs left out).

    Raises
    ------
    ReaderError
        The file is not EDF+ (it has no ``EDF Annotations`` signal) or a TAL does not parse.
    """
    header = read_edf_header(path)
    indices = [i for i, s in enumerate(header.signals) if s.is_annotation]
    if not indices:
        raise ReaderError(header.path, f"no {ANNOTATION_LABEL!r} signal: not an EDF+ annotation file")
    starts = np.concatenate([[0], np.cumsum([s.n_samples for s in header.signals])])
    out: list[Annotation] = []
    for first, block in _iter_records(header):
        for k in range(block.shape[0]):
            for i in indices:
                data = block[k, starts[i] : starts[i + 1]].tobytes()
                out.extend(parse_tals(data, header.path, first + k))
    return out


# ---------------------------------------------------------------------------------------------
# writing


def _edf_plus_fields(patient: str, recording: str, start: datetime) -> tuple[str, str]:
    if not recording.startswith("Startdate"):
        date = f"{start.day:02d}-{_MONTHS[start.month - 1]}-{start.year}"
        recording = f"Startdate {date} X X X" + (f" {recording}" if recording else "")
    return patient, recording


def _signal_header(channel: EdfChannel, record_duration_s: float) -> EdfSignalHeader:
    spr = channel.sfreq_hz * record_duration_s
    if spr <= 0 or abs(spr - round(spr)) > 1e-6:
        raise ValueError(
            f"{channel.label}: {channel.sfreq_hz} Hz x {record_duration_s} s records is not a whole "
            "number of samples per record; choose another record_duration_s"
        )
    low, high = (float(format_number(v)) for v in channel.physical_range)
    if low >= high or channel.digital_range[0] >= channel.digital_range[1]:
        raise ValueError(
            f"{channel.label}: ranges must increase, got {channel.physical_range} / {channel.digital_range}"
        )
    return EdfSignalHeader(
        label=channel.label,
        transducer=channel.transducer,
        dimension=channel.dimension,
        physical_min=low,
        physical_max=high,
        digital_min=channel.digital_range[0],
        digital_max=channel.digital_range[1],
        prefilter=channel.prefilter,
        n_samples=round(spr),
    )


def _n_records(channels: Sequence[EdfChannel], headers: Sequence[EdfSignalHeader]) -> int:
    counts = {len(c.data) / h.n_samples for c, h in zip(channels, headers, strict=True)}
    if len(counts) != 1:
        durations = {c.label: len(c.data) / c.sfreq_hz for c in channels}
        raise ValueError(f"channels must have the same duration, got {durations} s")
    (count,) = counts
    if not count.is_integer():
        raise ValueError(
            f"{channels[0].label}: {len(channels[0].data)} samples is not a whole number of "
            f"{headers[0].n_samples}-sample data records; choose another record_duration_s"
        )
    return int(count)


def _digital(channel: EdfChannel, header: EdfSignalHeader, lo: int, hi: int) -> np.ndarray:
    x = np.clip(np.asarray(channel.data[lo:hi], dtype=np.float64), header.physical_min, header.physical_max)
    digital = np.rint((x - header.offset) / header.gain)
    return np.clip(digital, header.digital_min, header.digital_max).astype("<i2")


def _annotation_layout(
    annotations: Sequence[Annotation], n_records: int, record_duration_s: float
) -> list[bytes]:
    per_record: list[list[Annotation]] = [[] for _ in range(n_records)]
    for a in sorted(annotations, key=lambda a: a.onset_s):
        k = 0 if record_duration_s == 0 else math.floor(a.onset_s / record_duration_s)
        per_record[min(max(k, 0), n_records - 1)].append(a)
    return [encode_record_tals(k * record_duration_s, anns) for k, anns in enumerate(per_record)]


def write_edf(
    path: Path,
    channels: Sequence[EdfChannel],
    *,
    start: datetime,
    patient: str = "X X X X",
    recording: str = "",
    record_duration_s: float = 30.0,
    annotations: Sequence[Annotation] | None = None,
) -> None:
    """Write an EDF file (EDF+C with an annotation signal when ``annotations`` is given).

    Parameters
    ----------
    path
        Target file, any suffix (``.edf``, ``.rec``); written atomically.
    channels
        Signals in file order; each lasts a whole number of ``record_duration_s`` records.
        Values outside ``physical_range`` are clipped, as a saturating amplifier would.
    start
        Recording start (EDF stores it to the second, years 1985-2084).
    patient, recording
        Header identification fields (EDF+ gets a ``Startdate dd-MMM-yyyy`` recording field).
    record_duration_s
        Seconds per data record; ``sfreq_hz * record_duration_s`` must be whole for every channel.
    annotations
        None for plain EDF; otherwise EDF+ annotations placed in the record holding their onset.
    """
    if not channels:
        raise ValueError(f"{path}: write_edf needs at least one channel (use write_annotations_edf)")
    if record_duration_s <= 0:
        raise ValueError(f"record_duration_s must be positive, got {record_duration_s}")
    headers = [_signal_header(c, record_duration_s) for c in channels]
    n_records = _n_records(channels, headers)
    tals: list[bytes] = []
    reserved = ""
    if annotations is not None:
        tals = _annotation_layout(annotations, n_records, record_duration_s)
        headers.append(_annotation_header(max(len(t) for t in tals)))
        patient, recording = _edf_plus_fields(patient, recording, start)
        reserved = "EDF+C"
    header = encode_edf_header(
        patient=patient,
        recording=recording,
        start=start,
        reserved=reserved,
        n_records=n_records,
        record_duration_s=record_duration_s,
        signals=headers,
    )
    _write(Path(path), header, channels, headers, tals, n_records)


def _annotation_header(n_bytes: int) -> EdfSignalHeader:
    return EdfSignalHeader(ANNOTATION_LABEL, "", "", -1.0, 1.0, -32768, 32767, "", max(1, -(-n_bytes // 2)))


def _write(
    path: Path,
    header: bytes,
    channels: Sequence[EdfChannel],
    headers: Sequence[EdfSignalHeader],
    tals: Sequence[bytes],
    n_records: int,
) -> None:
    starts = np.concatenate([[0], np.cumsum([h.n_samples for h in headers])])
    per_record = int(starts[-1])
    chunk = max(1, _CHUNK_BYTES // (2 * per_record))
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        f.write(header)
        for first in range(0, n_records, chunk):
            n = min(chunk, n_records - first)
            block = np.zeros((n, per_record), dtype="<i2")
            for i, (channel, h) in enumerate(zip(channels, headers, strict=False)):
                lo, hi = first * h.n_samples, (first + n) * h.n_samples
                block[:, starts[i] : starts[i + 1]] = _digital(channel, h, lo, hi).reshape(n, h.n_samples)
            if tals:
                raw = block.view(np.uint8)
                a0 = 2 * int(starts[len(channels)])
                for k in range(n):
                    tal = tals[first + k]
                    raw[k, a0 : a0 + len(tal)] = np.frombuffer(tal, dtype=np.uint8)
            f.write(block.tobytes())


def write_annotations_edf(
    path: Path, annotations: Sequence[Annotation], *, start: datetime, patient: str = "X X X X"
) -> None:
    """Write an annotation-only EDF+C file (a Sleep-EDF hypnogram, an HMC sleep-scoring file).

    One data record of duration 0 holds every annotation, as in the official files.
    """
    tal = encode_record_tals(0.0, sorted(annotations, key=lambda a: a.onset_s))
    signal = _annotation_header(len(tal))
    patient, recording = _edf_plus_fields(patient, "", start)
    header = encode_edf_header(
        patient=patient,
        recording=recording,
        start=start,
        reserved="EDF+C",
        n_records=1,
        record_duration_s=0.0,
        signals=[signal],
    )
    data = tal.ljust(2 * signal.n_samples, b"\x00")
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(header + data)
