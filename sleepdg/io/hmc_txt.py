"""HMC ``SNxxx_sleepscoring.txt``: the text twin of the EDF+ scoring file.

A header ``Date, Time, Recording onset, Duration, Annotation, Linked channel`` then one row per
annotation, fields separated by ``", "``. Dates are de-identified (``01.01.01``, rolling over to
``02.01.01`` after midnight) and times are ``hh.mm.ss``; the onset column (seconds) is what
counts. An EDF+ text ``Lights off@@EEG F4-A1`` is the row ``Lights off`` linked to
``EEG F4-A1``; reading joins them back, so both files give the same `Annotation` list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from sleepdg.atomic import atomic_path
from sleepdg.errors import ReaderError
from sleepdg.io.edf_annotations import Annotation

HEADER = ("Date", "Time", "Recording onset", "Duration", "Annotation", "Linked channel")
_LINK = "@@"


def parse_hmc_scoring_txt(text: str, path: Path | str) -> list[Annotation]:
    """Annotations of an HMC scoring text, in file order.

    Raises
    ------
    ReaderError
        A missing header, a row without six fields, or a non-numeric onset or duration.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or tuple(f.strip() for f in lines[0].split(",")) != HEADER:
        raise ReaderError(path, f"first line is not the header {', '.join(HEADER)!r}")
    out = []
    for line_no, line in enumerate(lines[1:], start=2):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != len(HEADER):
            raise ReaderError(path, f"line {line_no}: {len(fields)} fields, expected {len(HEADER)}: {line!r}")
        try:
            onset, duration = float(fields[2]), float(fields[3])
        except ValueError:
            raise ReaderError(
                path, f"line {line_no}: onset {fields[2]!r} / duration {fields[3]!r} not numbers"
            ) from None
        text_ = fields[4] + (f"{_LINK}{fields[5]}" if fields[5] else "")
        out.append(Annotation(onset, duration, text_))
    return out


def read_hmc_scoring_txt(path: Path | str) -> list[Annotation]:
    """Annotations of ``SNxxx_sleepscoring.txt``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise ReaderError(path, "no such file") from None
    return parse_hmc_scoring_txt(text, path)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def write_hmc_scoring_txt(path: Path, annotations: Sequence[Annotation], *, start: datetime) -> None:
    """Write ``SNxxx_sleepscoring.txt`` with the de-identified date 01.01.01 at ``start``'s clock time.

    ``start`` is the recording start (that of the PSG); each row's date and time are
    ``start + onset``, and ``text@@channel`` becomes the Annotation and Linked channel columns.
    """
    base = datetime(2001, 1, 1, start.hour, start.minute, start.second)
    clock0 = 3600 * start.hour + 60 * start.minute + start.second
    rows = [", ".join(HEADER)]
    dates: dict[int, str] = {}
    for a in sorted(annotations, key=lambda a: a.onset_s):
        text, _, channel = a.text.partition(_LINK)
        if "," in text or "," in channel:
            raise ValueError(f"annotation {a.text!r} contains a comma, which the format cannot hold")
        day, clock = divmod(clock0 + int(a.onset_s), 86_400)
        if day not in dates:
            dates[day] = (base + timedelta(days=day)).strftime("%d.%m.%y")
        hours, rest = divmod(clock, 3600)
        when = f"{dates[day]}, {hours:02d}.{rest // 60:02d}.{rest % 60:02d}"
        duration = _number(a.duration_s if a.duration_s is not None else 0.0)
        rows.append(f"{when}, {_number(a.onset_s)}, {duration}, {text}, {channel}")
    with atomic_path(Path(path)) as tmp:
        tmp.write_text("\n".join(rows) + "\n")
