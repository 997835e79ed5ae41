"""EDF / EDF+ header: parse with validation, and encode.

The header is 256 bytes plus 256 per signal, in fixed-width ASCII fields (EDF spec, Kemp 1992;
EDF+, Kemp & Olivan 2003). Parsing checks every numeric field and that the file holds the data
records the header promises, and names the file, the field and the value when it does not.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sleepdg.errors import ReaderError

log = logging.getLogger(__name__)

ANNOTATION_LABEL = "EDF Annotations"
_FIXED_FIELDS = (  # (name, width) of the first 256 bytes
    ("version", 8),
    ("patient", 80),
    ("recording", 80),
    ("startdate", 8),
    ("starttime", 8),
    ("header bytes", 8),
    ("reserved", 44),
    ("number of data records", 8),
    ("data record duration", 8),
    ("number of signals", 4),
)
_SIGNAL_FIELDS = (  # (name, width) of each per-signal field, stored signal by signal
    ("label", 16),
    ("transducer", 80),
    ("physical dimension", 8),
    ("physical minimum", 8),
    ("physical maximum", 8),
    ("digital minimum", 8),
    ("digital maximum", 8),
    ("prefiltering", 80),
    ("samples per record", 8),
    ("signal reserved", 32),
)
_DATE = re.compile(r"^(\d\d)\.(\d\d)\.(\d\d)$")
_TIME = re.compile(r"^(\d\d)\.(\d\d)\.(\d\d)$")


@dataclass(frozen=True)
class EdfSignalHeader:
    """One signal's header fields; ``n_samples`` is per data record."""

    label: str
    transducer: str
    dimension: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    prefilter: str
    n_samples: int

    @property
    def is_annotation(self) -> bool:
        return self.label == ANNOTATION_LABEL

    @property
    def gain(self) -> float:
        """Physical units per digital step."""
        return (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min)

    @property
    def offset(self) -> float:
        """Physical value of digital 0."""
        return self.physical_min - self.digital_min * self.gain


@dataclass(frozen=True)
class EdfHeader:
    """A parsed EDF / EDF+ header; ``start`` is None when the file's date is not a valid date."""

    path: Path
    patient: str
    recording: str
    start: datetime | None
    header_bytes: int
    reserved: str
    n_records: int
    record_duration_s: float
    signals: tuple[EdfSignalHeader, ...]

    @property
    def is_edf_plus(self) -> bool:
        return self.reserved.startswith("EDF+")

    @property
    def record_bytes(self) -> int:
        return 2 * sum(s.n_samples for s in self.signals)

    @property
    def duration_s(self) -> float:
        return self.n_records * self.record_duration_s

    @property
    def labels(self) -> list[str]:
        """Labels of the data signals (annotation signals left out)."""
        return [s.label for s in self.signals if not s.is_annotation]

    def index(self, label: str) -> int:
        """Position of the data signal ``label`` in the file."""
        for i, signal in enumerate(self.signals):
            if signal.label == label and not signal.is_annotation:
                return i
        raise ReaderError(self.path, f"no signal labelled {label!r}; the file has {self.labels}")

    def sfreq_hz(self, label: str) -> float:
        signal = self.signals[self.index(label)]
        return signal.n_samples / self.record_duration_s


def _fields(raw: bytes, spec: Sequence[tuple[str, int]], start: int) -> tuple[dict[str, str], int]:
    values: dict[str, str] = {}
    for name, width in spec:
        values[name] = raw[start : start + width].decode("latin-1").strip()
        start += width
    return values, start


def _number(path: Path, field: str, text: str, kind: type[int] | type[float] = float) -> float:
    try:
        value = float(text) if kind is float else int(text)
    except ValueError:
        raise ReaderError(path, f"header field {field!r} is {text!r}, not a number") from None
    if not math.isfinite(value):
        raise ReaderError(path, f"header field {field!r} is {text!r}, not a finite number")
    return value


def _start(date: str, time: str) -> datetime | None:
    d, t = _DATE.match(date), _TIME.match(time)
    if not d or not t:
        return None
    day, month, yy = (int(x) for x in d.groups())
    year = 1900 + yy if yy >= 85 else 2000 + yy  # EDF's 1985-2084 clipping rule
    try:
        hour, minute, second = (int(x) for x in t.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None  # de-identified dates such as SHHS's old "00.00.00"


def parse_edf_header(raw: bytes, path: Path | str, file_size: int | None = None) -> EdfHeader:
    """Parse and validate an EDF header.

    Parameters
    ----------
    raw
        At least the whole header (256 + 256 · number of signals bytes).
    path
        The file, named in every error.
    file_size
        Size of the file in bytes; when given, the data records the header promises must fit.

    Raises
    ------
    ReaderError
        A field that does not parse, inconsistent sizes, or a truncated file.
    """
    path = Path(path)
    if len(raw) < 256:
        raise ReaderError(path, f"not an EDF file: {len(raw)} bytes, shorter than the 256-byte header")
    if raw[:1] == b"\xff":
        raise ReaderError(path, "a BDF (24-bit) file; only 16-bit EDF is supported")
    head, pos = _fields(raw, _FIXED_FIELDS, 0)
    if head["version"] != "0":
        raise ReaderError(path, f"not an EDF file: version field is {head['version']!r}, expected '0'")
    n_signals = int(_number(path, "number of signals", head["number of signals"], int))
    header_bytes = int(_number(path, "header bytes", head["header bytes"], int))
    if n_signals < 0 or header_bytes != 256 * (n_signals + 1):
        raise ReaderError(
            path, f"header bytes field says {header_bytes}, expected 256 * ({n_signals} signals + 1)"
        )
    if len(raw) < header_bytes:
        raise ReaderError(path, f"truncated header: {len(raw)} bytes of the {header_bytes} it declares")
    columns: dict[str, list[str]] = {}
    for name, width in _SIGNAL_FIELDS:
        columns[name] = [
            raw[pos + i * width : pos + (i + 1) * width].decode("latin-1").strip() for i in range(n_signals)
        ]
        pos += n_signals * width
    signals = tuple(_signal(path, columns, i) for i in range(n_signals))
    duration = _number(path, "data record duration", head["data record duration"])
    n_records = int(_number(path, "number of data records", head["number of data records"], int))
    header = EdfHeader(
        path=path,
        patient=head["patient"],
        recording=head["recording"],
        start=_start(head["startdate"], head["starttime"]),
        header_bytes=header_bytes,
        reserved=head["reserved"],
        n_records=n_records,
        record_duration_s=duration,
        signals=signals,
    )
    return _check_sizes(header, file_size)


def _signal(path: Path, columns: dict[str, list[str]], i: int) -> EdfSignalHeader:
    label = columns["label"][i]

    def num(field: str, kind: type[int] | type[float] = float) -> float:
        return _number(path, f"{field} of signal {i} ({label!r})", columns[field][i], kind)

    signal = EdfSignalHeader(
        label=label,
        transducer=columns["transducer"][i],
        dimension=columns["physical dimension"][i],
        physical_min=num("physical minimum"),
        physical_max=num("physical maximum"),
        digital_min=int(num("digital minimum", int)),
        digital_max=int(num("digital maximum", int)),
        prefilter=columns["prefiltering"][i],
        n_samples=int(num("samples per record", int)),
    )
    if signal.n_samples <= 0:
        raise ReaderError(path, f"signal {i} ({label!r}) has {signal.n_samples} samples per record")
    if not signal.is_annotation:
        if signal.digital_max <= signal.digital_min:
            raise ReaderError(
                path,
                f"signal {i} ({label!r}): digital maximum {signal.digital_max} "
                f"<= minimum {signal.digital_min}",
            )
        if signal.physical_max == signal.physical_min:
            raise ReaderError(path, f"signal {i} ({label!r}): physical minimum equals maximum")
    return signal


def _check_sizes(header: EdfHeader, file_size: int | None) -> EdfHeader:
    path = header.path
    data_signals = [s for s in header.signals if not s.is_annotation]
    if header.record_duration_s < 0 or (header.record_duration_s == 0 and data_signals):
        raise ReaderError(path, f"data record duration is {header.record_duration_s} s")
    if file_size is None:
        return header
    available = file_size - header.header_bytes
    whole = available // header.record_bytes if header.record_bytes else 0
    if header.n_records == -1:  # "unknown" while recording: take what the file holds
        log.warning("%s: number of data records is -1; using the %d whole records in the file", path, whole)
        return replace(header, n_records=whole)
    if header.n_records < 0:
        raise ReaderError(path, f"number of data records is {header.n_records}")
    expected = header.n_records * header.record_bytes
    if available < expected:
        raise ReaderError(
            path,
            f"truncated: the header promises {header.n_records} data records of {header.record_bytes} bytes "
            f"({header.header_bytes + expected} bytes in all) but the file has {file_size} bytes "
            f"({whole} whole records)",
        )
    if available > expected:
        log.warning("%s: %d bytes after the last data record are ignored", path, available - expected)
    return header


def read_edf_header(path: Path | str) -> EdfHeader:
    """Read and validate the header of an EDF / EDF+ file (any suffix: ``.edf``, ``.rec``)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            first = f.read(256)
            n_signals = first[252:256].decode("latin-1").strip()
            extra = 256 * int(n_signals) if n_signals.isdigit() else 0
            raw = first + f.read(extra)
        size = path.stat().st_size
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    except IsADirectoryError:
        raise ReaderError(path, "is a folder, expected an EDF file") from None
    return parse_edf_header(raw, path, size)


# ---------------------------------------------------------------------------------------------
# encoding


def encode_field(name: str, value: object, width: int) -> bytes:
    """Left-justified ASCII field; raises ValueError naming the field when the value does not fit."""
    text = str(value)
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"EDF header field {name!r}: {text!r} is not ASCII") from None
    if len(data) > width:
        raise ValueError(
            f"EDF header field {name!r}: {text!r} has {len(data)} characters, the field holds {width}"
        )
    return data.ljust(width)


def format_number(value: float, width: int = 8) -> str:
    """The most precise decimal of ``value`` that fits ``width`` characters (no exponent)."""
    if float(value).is_integer() and len(str(int(value))) <= width:
        return str(int(value))
    for decimals in range(width, -1, -1):
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"
        if len(text) <= width:
            return text
    raise ValueError(f"{value} does not fit an EDF number field of {width} characters")


def encode_edf_header(
    *,
    patient: str,
    recording: str,
    start: datetime,
    reserved: str,
    n_records: int,
    record_duration_s: float,
    signals: Sequence[EdfSignalHeader],
) -> bytes:
    """The header bytes of an EDF file with these fields (``signals`` in file order)."""
    if not 1985 <= start.year <= 2084:
        raise ValueError(f"EDF start year {start.year} is outside 1985-2084")
    n = len(signals)
    parts = [
        encode_field("version", "0", 8),
        encode_field("patient", patient, 80),
        encode_field("recording", recording, 80),
        encode_field("startdate", start.strftime("%d.%m.%y"), 8),
        encode_field("starttime", start.strftime("%H.%M.%S"), 8),
        encode_field("header bytes", 256 * (n + 1), 8),
        encode_field("reserved", reserved, 44),
        encode_field("number of data records", n_records, 8),
        encode_field("data record duration", format_number(record_duration_s), 8),
        encode_field("number of signals", n, 4),
    ]
    per_signal = (
        ("label", 16, lambda s: s.label),
        ("transducer", 80, lambda s: s.transducer),
        ("physical dimension", 8, lambda s: s.dimension),
        ("physical minimum", 8, lambda s: format_number(s.physical_min)),
        ("physical maximum", 8, lambda s: format_number(s.physical_max)),
        ("digital minimum", 8, lambda s: s.digital_min),
        ("digital maximum", 8, lambda s: s.digital_max),
        ("prefiltering", 80, lambda s: s.prefilter),
        ("samples per record", 8, lambda s: s.n_samples),
        ("signal reserved", 32, lambda s: ""),
    )
    for name, width, get in per_signal:
        parts.extend(encode_field(f"{name} of {s.label!r}", get(s), width) for s in signals)
    return b"".join(parts)
