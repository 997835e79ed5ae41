"""What a native file or folder holds, as one JSON-ready dict (``sleepdg inspect``).

- a signal file (EDF, ``.rec``, WFDB ``.hea``): channels, sampling rates, duration;
- a scoring file: 30-s epochs per stage over its own span, with its dataset's label map;
- a signal file and its scoring file: the stages aligned to the signal (what prepare would use);
- a folder: every recording the dataset's reader finds, aligned, plus totals.

Only headers and scoring files are read, never the samples. The dataset comes from ``dataset``
or is guessed from file names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sleepdg.datasets import READERS, BaseReader, open_reader
from sleepdg.datasets._common import SignalInfo, edf_info, wfdb_info
from sleepdg.epochs import Grid
from sleepdg.errors import ReaderError, SleepdgError
from sleepdg.io.edf import read_edf_header
from sleepdg.io.wfdb_io import read_wfdb_header
from sleepdg.params import ShhsPrepare
from sleepdg.recording import n_whole_epochs
from sleepdg.stages import EPOCH_S, stage_counts

NAME_PATTERNS: dict[str, re.Pattern[str]] = {
    "sleepedf": re.compile(r"^S[CT]\d{4}[A-Z0-9]{2}-(PSG|Hypnogram)\.edf$", re.IGNORECASE),
    "hmc": re.compile(r"^SN\d{3}(_sleepscoring)?\.(edf|txt)$", re.IGNORECASE),
    "isruc": re.compile(r"^(\d+\.rec|\d+_[12]\.(txt|xlsx))$", re.IGNORECASE),
    "shhs": re.compile(r"^shhs[12]-\d+(\.edf|-nsrr\.xml|-profusion\.xml)$", re.IGNORECASE),
    "p2018": re.compile(r"^t[re]\d\d-\d{4}(\.hea|\.mat|\.arousal|-arousal\.mat)$", re.IGNORECASE),
}
_SIGNAL_SUFFIXES = {".edf", ".rec", ".hea", ".bdf"}
_CANNOT_TELL = "cannot tell which dataset this belongs to from its name; pass --dataset ({})"


def guess_dataset(path: Path) -> str | None:
    """The dataset whose file-name pattern ``path``'s name matches, or None."""
    hits = [name for name, pattern in NAME_PATTERNS.items() if pattern.match(path.name)]
    return hits[0] if len(hits) == 1 else None


def _dataset(paths: Sequence[Path], dataset: str | None) -> str:
    if dataset is not None:
        if dataset not in READERS:
            raise SleepdgError(f"unknown dataset {dataset!r}; expected one of {', '.join(READERS)}")
        return dataset
    guesses = {guess_dataset(p) for p in paths} - {None}
    if len(guesses) != 1:
        raise ReaderError(paths[0], _CANNOT_TELL.format(", ".join(READERS)))
    return str(guesses.pop())


def _signal_info(path: Path) -> SignalInfo | None:
    """Header of a signal file, or None when ``path`` is a scoring file (an annotation-only EDF+)."""
    suffix = path.suffix.lower()
    if suffix == ".hea":
        return wfdb_info(read_wfdb_header(path, check_mat=False))
    if suffix in _SIGNAL_SUFFIXES:
        info = edf_info(read_edf_header(path))
        return info if info.labels else None
    return None


def _signal_dict(info: SignalInfo) -> dict[str, Any]:
    rate = min(info.sfreq_hz) if info.sfreq_hz else 0.0
    n_epochs = n_whole_epochs(round(info.duration_s * rate), rate) if rate else 0
    out: dict[str, Any] = {
        "format": info.format,
        "channels": [
            {"label": lab, "sfreq_hz": fs} for lab, fs in zip(info.labels, info.sfreq_hz, strict=True)
        ],
        "duration_s": info.duration_s,
        "n_epochs": n_epochs,
        "trailing_partial_s": round(info.duration_s - n_epochs * EPOCH_S, 6),
    }
    if info.format == "WFDB":
        out["signal_file_present"] = (info.path.parent / f"{info.path.stem}.mat").is_file()
    return out


def _grid_dict(grid: Grid) -> dict[str, Any]:
    return {"start_s": grid.offset_s, "n_epochs": len(grid.stages), "stages": stage_counts(grid.stages)}


def describe_paths(paths: Sequence[Path | str], dataset: str | None = None) -> dict[str, Any]:
    """Describe a file, a signal file with its scoring file, or a folder (see module docstring).

    Raises
    ------
    SleepdgError
        Unreadable files, a dataset that cannot be guessed, or more than two paths.
    """
    items = [Path(p) for p in paths]
    for path in items:
        if not path.exists():
            raise ReaderError(path, "no such file or folder")
    if len(items) == 1 and items[0].is_dir():
        return describe_folder(items[0], dataset)
    if len(items) == 1:
        return describe_file(items[0], dataset)
    if len(items) == 2:
        return describe_pair(items[0], items[1], dataset)
    raise SleepdgError(
        f"inspect takes one file or folder, or a signal file and its scoring file; got {len(items)}"
    )


def describe_file(path: Path, dataset: str | None = None) -> dict[str, Any]:
    """One file: a signal file's header, or a scoring file's stage counts over its span."""
    if path.suffix.lower() == ".mat" and not path.name.lower().endswith("-arousal.mat"):
        if not path.with_suffix(".hea").is_file():
            raise ReaderError(path, "a WFDB signal file without its .hea header beside it")
        path = path.with_suffix(".hea")  # the header describes the .mat
    info = _signal_info(path)
    if info is not None:
        guessed = dataset or guess_dataset(path)
        return {"path": str(path), "kind": "signal", "dataset": guessed, **_signal_dict(info)}
    name = _dataset([path], dataset)
    grid = open_reader(name, path.parent).span_for(path)
    out = {"path": str(path), "kind": "scoring", "dataset": name, **_grid_dict(grid)}
    if name == "p2018" and path.suffix.lower() == ".arousal":
        out["note"] = (
            "the last stage runs to the record's end, unknown without its .hea: counted as one epoch"
        )
    return out


def describe_pair(first: Path, second: Path, dataset: str | None = None) -> dict[str, Any]:
    """A signal file and its scoring file (either order): stages aligned to the signal."""
    signals = [(p, info) for p in (first, second) if (info := _signal_info(p)) is not None]
    if len(signals) != 1:
        raise ReaderError(
            first, f"expected one signal file and one scoring file, got {len(signals)} signal files"
        )
    signal, info = signals[0]
    scoring = second if signal == first else first
    name = _dataset([signal, scoring], dataset)
    grid = open_reader(name, signal.parent).grid_for(signal, scoring, info.duration_s)
    return {
        "path": [str(signal), str(scoring)],
        "kind": "recording",
        "dataset": name,
        "signal": _signal_dict(info),
        **_grid_dict(grid),
    }


def describe_folder(folder: Path, dataset: str | None = None) -> dict[str, Any]:
    """Every recording of a dataset folder, aligned; a broken recording reports its error."""
    name = dataset or _guess_folder(folder)
    readers = [open_reader(name, folder)]
    if name == "shhs":  # both visits (prepare reads the one of prepare.shhs.visit)
        readers = [open_reader(name, folder, ShhsPrepare(visit=v)) for v in (1, 2)]
    recordings = []
    totals = dict.fromkeys(("W", "N1", "N2", "N3", "REM", "UNSCORED"), 0)
    for reader in readers:
        for record_id in tqdm(
            reader.record_ids(), desc=f"inspect {name}", unit="rec", leave=False, disable=None
        ):
            entry = _describe_record(reader, record_id, folder)
            for key, n in entry.get("stages", {}).items():
                totals[key] += n
            recordings.append(entry)
    return {
        "path": str(folder),
        "kind": "folder",
        "dataset": name,
        "n_recordings": len(recordings),
        "n_errors": sum("error" in r for r in recordings),
        "stages": totals,
        "recordings": recordings,
    }


def _describe_record(reader: BaseReader, record_id: str, folder: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"record_id": record_id}
    try:
        files = reader.source_files(record_id)
        grid = reader.read_grid(record_id)
    except SleepdgError as exc:
        entry["error"] = str(exc)
    else:
        entry.update(files=[str(p.relative_to(folder)) for p in files], **_grid_dict(grid))
    return entry


def _guess_folder(folder: Path) -> str:
    counts = dict.fromkeys(NAME_PATTERNS, 0)
    for path in folder.rglob("*"):
        guess = guess_dataset(path)
        if guess:
            counts[guess] += 1
    found = [name for name, n in counts.items() if n]
    if len(found) != 1:
        why = f"files of {', '.join(found)}" if found else "no file of the five datasets"
        raise ReaderError(folder, f"{why}; " + _CANNOT_TELL.format(", ".join(READERS)))
    return found[0]
