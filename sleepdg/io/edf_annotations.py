"""EDF+ annotations: Time-stamped Annotation Lists (TALs) to and from bytes.

A TAL is ``+onset[\\x15duration]\\x14text\\x14[text\\x14...]\\x00``; the first TAL of every data
record is a time-keeping TAL with an empty text (``+onset\\x14\\x14\\x00``). Onsets are seconds from
the file's start date and time; texts are UTF-8 (EDF+ spec §2.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from sleepdg.errors import ReaderError

_ONSET = re.compile(r"^[+-]\d+(\.\d*)?$")
_DURATION = re.compile(r"^\d+(\.\d*)?$")
_FORBIDDEN = ("\x00", "\x14", "\x15")


class Annotation(NamedTuple):
    """One EDF+ annotation: ``onset_s`` seconds from the recording start; ``duration_s`` is None
    when the file gives none (instantaneous events)."""

    onset_s: float
    duration_s: float | None
    text: str


def _seconds(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def encode_tal(onset_s: float, duration_s: float | None, texts: Sequence[str]) -> bytes:
    """One TAL; ``texts`` empty gives the time-keeping TAL of a data record."""
    for text in texts:
        if any(c in text for c in _FORBIDDEN):
            raise ValueError(f"annotation text {text!r} contains a TAL separator byte")
    sign = "-" if onset_s < 0 else "+"
    head = f"{sign}{_seconds(abs(onset_s))}"
    if duration_s is not None:
        if duration_s < 0:
            raise ValueError(f"annotation {texts!r} at {onset_s} s has a negative duration {duration_s}")
        head += f"\x15{_seconds(duration_s)}"
    body = "".join(f"{t}\x14" for t in texts) if texts else "\x14"
    return f"{head}\x14{body}\x00".encode()


def encode_record_tals(record_onset_s: float, annotations: Iterable[Annotation]) -> bytes:
    """The annotation bytes of one data record: its time-keeping TAL, then one TAL per annotation."""
    parts = [encode_tal(record_onset_s, None, ())]
    parts.extend(encode_tal(a.onset_s, a.duration_s, (a.text,)) for a in annotations)
    return b"".join(parts)


def parse_tals(data: bytes, path: Path | str, record: int = 0) -> list[Annotation]:
    """Annotations in the annotation-signal bytes of one data record (time-keeping TALs left out).

    Raises
    ------
    ReaderError
        A TAL whose onset or duration is not a number.
    """
    out: list[Annotation] = []
    for chunk in data.split(b"\x00"):
        if not chunk:
            continue
        parts = chunk.split(b"\x14")
        head = parts[0].decode("latin-1")
        onset_text, _, duration_text = head.partition("\x15")
        if not _ONSET.match(onset_text):
            raise ReaderError(path, f"data record {record}: annotation onset {onset_text!r} is not +seconds")
        if duration_text and not _DURATION.match(duration_text):
            raise ReaderError(
                path, f"data record {record}: annotation duration {duration_text!r} is not seconds"
            )
        onset = float(onset_text)
        duration = float(duration_text) if duration_text else None
        for raw in parts[1:]:
            text = raw.decode("utf-8", errors="replace").strip()
            if text:
                out.append(Annotation(onset, duration, text))
    return out
