"""Domain errors. Each names the file (or key) and what is wrong with it."""

from __future__ import annotations

from pathlib import Path


class SleepdgError(Exception):
    """Base class: the CLI prints these as one line, without a traceback."""


class ReaderError(SleepdgError, ValueError):
    """A native file cannot be read as what it claims to be."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


class ChannelNotFoundError(ReaderError):
    """None of the accepted labels for a modality is in the file; lists what the file has."""

    def __init__(
        self, path: Path | str, wanted: str, accepted: tuple[str, ...], available: list[str]
    ) -> None:
        super().__init__(
            path,
            f"no {wanted} channel: looked for {', '.join(repr(a) for a in accepted)}; "
            f"the file has {', '.join(repr(a) for a in available)}",
        )
        self.available = list(available)


class ChecksumError(SleepdgError, OSError):
    """A downloaded or cached file does not match its published checksum."""


class DownloadError(SleepdgError, OSError):
    """A download failed for a reason the user must act on (404, 401, disk full)."""


class CheckpointError(SleepdgError, ValueError):
    """A file is not a sleepdg checkpoint, or not one this version can load."""
