"""The manifest of a raw dataset folder: every file with its size and verified sha256.

``download`` writes ``data/raw/<dataset>/manifest.csv`` once each file is verified, so that
``prepare`` can record ``source_sha256`` without hashing a raw file a second time.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from sleepdg.atomic import atomic_path

MANIFEST_NAME = "manifest.csv"
_FIELDS = ("path", "size", "sha256")
_CHUNK = 1 << 20


class ManifestEntry(NamedTuple):
    path: str  # relative to the dataset's raw folder, with "/" separators
    size: int  # bytes
    sha256: str  # hex digest


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def entry_for(root: Path, path: Path, sha256: str | None = None) -> ManifestEntry:
    """The manifest row of ``path`` under ``root``; hashes it unless ``sha256`` is given."""
    return ManifestEntry(path.relative_to(root).as_posix(), path.stat().st_size, sha256 or sha256_file(path))


def write_manifest(root: Path, entries: Iterable[ManifestEntry]) -> Path:
    """Write ``root/manifest.csv`` atomically, sorted by path."""
    target = root / MANIFEST_NAME
    with atomic_path(target) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(_FIELDS)
        for entry in sorted(entries):
            writer.writerow(entry)
    return target


def read_manifest(root: Path) -> Mapping[str, ManifestEntry]:
    """Entries of ``root/manifest.csv`` by relative path; empty when there is no manifest."""
    path = root / MANIFEST_NAME
    if not path.exists():
        return {}
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != _FIELDS:
            raise ValueError(f"{path}: expected columns {', '.join(_FIELDS)}, got {reader.fieldnames}")
        return {row["path"]: ManifestEntry(row["path"], int(row["size"]), row["sha256"]) for row in reader}
