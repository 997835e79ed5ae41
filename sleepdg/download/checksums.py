"""Published checksums: parse checksum listings and hash a stream in one pass.

PhysioNet publishes ``SHA256SUMS.txt`` at each project's version root (``sha256sum`` output: one
``<hex>  <relative path>`` per line); NSRR publishes a per-file MD5 in its file listing; ISRUC
publishes nothing (datasets.md Part C).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal, NamedTuple

from sleepdg.errors import SleepdgError

Algorithm = Literal["sha256", "md5"]
_HEX_LENGTH = {"sha256": 64, "md5": 32}
_CHUNK = 1 << 20


class ChecksumListError(SleepdgError, ValueError):
    """A checksum listing does not have the published format."""


class Checksum(NamedTuple):
    """A published digest of one file."""

    algorithm: Algorithm
    hexdigest: str  # lower case


_SUMS_LINE = re.compile(
    r"""^(?P<digest>[0-9a-fA-F]{64})   # sha256 in hex
        [ \t]+\*?                      # separator; '*' marks binary mode in sha256sum output
        (?P<path>\S.*?)\s*$            # relative path, may contain spaces
    """,
    re.VERBOSE,
)


def parse_sha256sums(text: str, source: str = "SHA256SUMS.txt") -> dict[str, str]:
    """Map each relative path of a ``sha256sum``-style listing to its lower-case hex digest.

    Parameters
    ----------
    text
        The listing, one ``<64 hex digits> <path>`` per line; blank lines are ignored and a
        leading ``./`` or ``*`` (binary-mode marker) on the path is dropped.
    source
        Where the text came from, for error messages.

    Returns
    -------
    dict
        ``{"sleep-cassette/SC4001E0-PSG.edf": "<sha256>", ...}`` in listing order.
    """
    sums: dict[str, str] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line)
        if match is None:
            problem = f"line {line_no}: expected '<sha256> <path>', got {line[:120]!r}"
            raise ChecksumListError(f"{source}: {problem}")
        path = match["path"].removeprefix("./")
        sums[path] = match["digest"].lower()
    if not sums:
        raise ChecksumListError(f"{source}: no checksums in the listing")
    return sums


def checksum(algorithm: str, hexdigest: str, source: str) -> Checksum:
    """Validate a published digest: known algorithm, hex of the right length."""
    if algorithm not in _HEX_LENGTH:
        raise ChecksumListError(f"{source}: unknown checksum algorithm {algorithm!r}")
    digest = hexdigest.strip().lower()
    if len(digest) != _HEX_LENGTH[algorithm] or not re.fullmatch(r"[0-9a-f]+", digest):
        expected = f"{_HEX_LENGTH[algorithm]} hex digits"
        raise ChecksumListError(f"{source}: {algorithm} must be {expected}, got {hexdigest!r}")
    return Checksum("md5" if algorithm == "md5" else "sha256", digest)


class StreamHasher:
    """sha256 of a stream, plus the published algorithm when it is not sha256, in one pass."""

    def __init__(self, expected: Checksum | None = None) -> None:
        self.expected = expected
        self._sha256 = hashlib.sha256()
        self._other = hashlib.md5(usedforsecurity=False) if expected and expected.algorithm == "md5" else None
        self.n_bytes = 0

    def update(self, chunk: bytes) -> None:
        self._sha256.update(chunk)
        if self._other is not None:
            self._other.update(chunk)
        self.n_bytes += len(chunk)

    def update_from_file(self, path: Path) -> None:
        """Feed the bytes already on disk (the partial file of an interrupted download)."""
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                self.update(chunk)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def published_digest(self) -> str | None:
        """The digest in the published algorithm, or None when nothing is published."""
        if self.expected is None:
            return None
        return self._other.hexdigest() if self._other is not None else self.sha256

    def matches(self) -> bool:
        """True when nothing is published or the published digest matches."""
        return self.expected is None or self.published_digest() == self.expected.hexdigest
