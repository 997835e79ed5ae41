"""One progress bar per dataset for concurrent transfers: bytes, rate and files done."""

from __future__ import annotations

import threading
from types import TracebackType

from tqdm import tqdm


class ByteProgress:
    """A thread-safe tqdm bar in bytes whose total grows as servers announce file sizes.

    Parameters
    ----------
    label
        Shown before the bar (the dataset).
    n_files
        Files this run will fetch, for the "files a/b" suffix.
    enabled
        True or False to force; None shows the bar only when stderr is a terminal.
    """

    def __init__(self, label: str, *, n_files: int, enabled: bool | None = None) -> None:
        self._lock = threading.Lock()
        self._n_files, self._files_done = n_files, 0
        self._bar = tqdm(
            total=None,
            desc=label,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=None if enabled is None else not enabled,
            dynamic_ncols=True,
            leave=True,
        )
        self._show_files()

    def add_total(self, n_bytes: int) -> None:
        with self._lock:
            self._bar.total = (self._bar.total or 0) + n_bytes
            self._bar.refresh()

    def advance(self, n_bytes: int) -> None:
        with self._lock:
            self._bar.update(n_bytes)

    def file_done(self) -> None:
        with self._lock:
            self._files_done += 1
            self._show_files()

    def _show_files(self) -> None:
        self._bar.set_postfix_str(f"files {self._files_done}/{self._n_files}", refresh=False)

    def __enter__(self) -> ByteProgress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.close()
