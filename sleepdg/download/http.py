"""Resumable HTTP downloads: Range requests, retries with backoff, streaming hash, atomic rename.

A file is written to a hidden ``.<name>.part`` sibling, hashed while it streams in, verified against
its published checksum, and only then renamed to its final name. An interrupted transfer keeps its
``.part`` file: the next attempt (or the next run) asks for the remaining bytes with ``Range``.
Standard library only (``urllib.request``), so proxies from the environment are honoured.
"""

from __future__ import annotations

import errno
import http.client
import logging
import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from sleepdg.download.checksums import Checksum, StreamHasher
from sleepdg.errors import ChecksumError, DownloadError

log = logging.getLogger(__name__)

_CHUNK = 1 << 20  # most bytes per read1(): what has arrived, up to 1 MiB
_MAX_BACKOFF_S = 60.0
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_NOT_FOUND_STATUS = frozenset({404, 410})
_REFUSED_STATUS = frozenset({401, 403})
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


class DownloadCancelled(DownloadError):
    """Another download of the same run failed; this one stopped and kept its partial file."""


class Progress(Protocol):
    """Receives byte counts from concurrent transfers (implementations must be thread-safe)."""

    def add_total(self, n_bytes: int) -> None: ...

    def advance(self, n_bytes: int) -> None: ...


@dataclass(frozen=True)
class HttpOptions:
    """How to talk to one source."""

    retries: int = 5  # attempts after the first, per file, counted without progress in between
    backoff_s: float = 2.0  # first pause; doubles per failed attempt, capped at 60 s
    timeout_s: float = 60.0  # per connect and per read
    follow_redirects: bool = True  # False for NSRR, where a redirect means "token not authorised"
    auth_hint: str = "check your credentials"  # appended to 401/403 errors
    user_agent: str = "sleepdg-download (Python urllib)"


class FetchResult(NamedTuple):
    path: Path  # the final, verified file
    size: int  # bytes
    sha256: str  # hex digest, computed while streaming


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def partial_path(dest: Path) -> Path:
    """The hidden sibling an unfinished download of ``dest`` lives in."""
    return dest.with_name(f".{dest.name}.part")


def _resumes_at(response: http.client.HTTPResponse, offset: int) -> bool:
    """True for a 206 whose Content-Range starts at ``offset`` ("bytes 1000-4999/5000")."""
    content_range = response.getheader("Content-Range", "")
    start = content_range.removeprefix("bytes ").partition("-")[0]
    return response.status == 206 and start.isdigit() and int(start) == offset


def _free_bytes(directory: Path) -> int:
    return shutil.disk_usage(directory).free


class HttpClient:
    """Downloads from one source with shared options, secrets to redact and a stop switch.

    Parameters
    ----------
    options
        Retries, backoff, timeout and redirect policy.
    secrets
        Strings (tokens) that must never appear in a log line or an error message.
    stop
        Set by the caller to make running transfers stop at their next chunk.
    """

    def __init__(
        self, options: HttpOptions, *, secrets: Sequence[str] = (), stop: threading.Event | None = None
    ) -> None:
        self.options = options
        self.secrets = tuple(s for s in secrets if s)
        self.stop = stop or threading.Event()
        handlers: list[urllib.request.BaseHandler] = [] if options.follow_redirects else [_NoRedirect()]
        self._opener = urllib.request.build_opener(*handlers)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def get_bytes(self, url: str, *, what: str) -> bytes:
        """The whole body of a small resource (a listing), with the same retries as files."""
        failures = 0
        while True:
            try:
                with self._open(url, offset=0, what=what) as response:
                    return bytes(response.read())
            except _NETWORK_ERRORS as exc:
                failures = self._after_failure(exc, what, failures)

    def fetch(
        self,
        url: str,
        dest: Path,
        *,
        what: str,
        expected: Checksum | None = None,
        size: int | None = None,
        progress: Progress | None = None,
    ) -> FetchResult:
        """Download ``url`` to ``dest``, resuming a partial file, and verify it before renaming.

        Parameters
        ----------
        url
            Where the file is; may contain a secret (never logged).
        dest
            Final path; its folder is created. Until verified the bytes live in `partial_path`.
        what
            The file's name in messages (e.g. its path relative to the dataset folder).
        expected
            Published checksum. A mismatch deletes the partial file and raises `ChecksumError`.
        size
            Published size in bytes, checked as well when given.
        progress
            Receives the bytes still to fetch and each chunk's size.

        Returns
        -------
        FetchResult
            Final path, size in bytes and sha256 (computed while streaming: never re-read).
        """
        dest.parent.mkdir(parents=True, exist_ok=True)
        transfer = _Transfer(self, url, dest, what, expected, size, progress)
        return transfer.run()

    # -- shared helpers ---------------------------------------------------------------------

    def _open(self, url: str, *, offset: int, what: str) -> http.client.HTTPResponse:
        headers = {"User-Agent": self.options.user_agent, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response: http.client.HTTPResponse = self._opener.open(request, timeout=self.options.timeout_s)
        except urllib.error.HTTPError as exc:
            exc.close()
            self._raise_if_fatal(exc.code, exc.reason, url, what)
            raise
        return response

    def _raise_if_fatal(self, status: int, reason: object, url: str, what: str) -> None:
        """Turn a status that no retry can fix into a `DownloadError` naming the file."""
        if status in _NOT_FOUND_STATUS:
            raise DownloadError(f"{what}: not found (HTTP {status}) at {self.redact(url)}")
        if status in _REFUSED_STATUS or 300 <= status < 400:
            raise DownloadError(f"{what}: access refused (HTTP {status} {reason}); {self.options.auth_hint}")
        if status == 416 or status in _RETRY_STATUS:
            return
        if 400 <= status < 600:
            raise DownloadError(f"{what}: HTTP {status} {reason} from {self.redact(url)}")

    def _after_failure(self, exc: Exception, what: str, failures: int) -> int:
        """Sleep before the next attempt, or raise when the retries are used up."""
        failures += 1
        message = self.redact(f"{type(exc).__name__}: {exc}")
        if failures > self.options.retries:
            raise DownloadError(f"{what}: gave up after {failures} attempts; last error {message}") from None
        pause = min(self.options.backoff_s * 2 ** (failures - 1), _MAX_BACKOFF_S)
        log.info("%s: %s; retry %d/%d in %.1f s", what, message, failures, self.options.retries, pause)
        if self.stop.wait(pause):
            raise DownloadCancelled(f"{what}: cancelled")
        return failures


class _Transfer:
    """State of one file's download across attempts: partial file, running hash, offset."""

    def __init__(
        self,
        client: HttpClient,
        url: str,
        dest: Path,
        what: str,
        expected: Checksum | None,
        size: int | None,
        progress: Progress | None,
    ) -> None:
        self.client, self.url, self.dest, self.what = client, url, dest, what
        self.expected, self.size, self.progress = expected, size, progress
        self.part = partial_path(dest)
        self.hasher = StreamHasher(expected)
        self.announced = False

    def run(self) -> FetchResult:
        self._resume()
        failures = 0
        while True:
            before = self.hasher.n_bytes
            try:
                if self._attempt():
                    break
            except _NETWORK_ERRORS as exc:
                if self.hasher.n_bytes > before:
                    failures = 0  # progress was made: this is a new run of failures
                failures = self.client._after_failure(exc, self.what, failures)
        return self._finish()

    def _resume(self) -> None:
        """Seed the hash with the bytes an earlier attempt left, or drop an impossible partial."""
        if not self.part.exists():
            return
        if self.size is not None and self.part.stat().st_size > self.size:
            log.info("%s: partial file is larger than the published size; starting over", self.what)
            self.part.unlink()
            return
        self.hasher.update_from_file(self.part)
        log.info("%s: resuming after %d bytes", self.what, self.hasher.n_bytes)

    def _restart(self) -> None:
        self.part.unlink(missing_ok=True)
        self.hasher = StreamHasher(self.expected)

    def _attempt(self) -> bool:
        """One request; True when the body is complete on disk."""
        offset = self.hasher.n_bytes
        try:
            response = self.client._open(self.url, offset=offset, what=self.what)
        except urllib.error.HTTPError as exc:
            if exc.code != 416:
                raise
            return self._range_not_satisfiable(exc)
        with response:
            if offset and not _resumes_at(response, offset):
                log.info("%s: the server did not resume at byte %d; starting over", self.what, offset)
                self._restart()
                offset = 0
            length = response.getheader("Content-Length")
            remaining = int(length) if length is not None else None
            self._check_space(remaining)
            self._announce(offset, remaining)
            self._stream(response)
            if remaining is not None and self.hasher.n_bytes < offset + remaining:
                got = self.hasher.n_bytes - offset
                raise ConnectionError(f"connection closed after {got} of {remaining} bytes")
        return True

    def _range_not_satisfiable(self, exc: urllib.error.HTTPError) -> bool:
        """416: the partial file already holds the whole file, or it is stale."""
        content_range = exc.headers.get("Content-Range", "") if exc.headers else ""
        total = content_range.rpartition("/")[2]
        if total.isdigit() and int(total) == self.hasher.n_bytes:
            return True  # complete already; verification decides
        log.info("%s: the server cannot resume at byte %d; starting over", self.what, self.hasher.n_bytes)
        self._restart()
        raise http.client.HTTPException("HTTP 416 for a stale partial file")

    def _announce(self, offset: int, remaining: int | None) -> None:
        if self.progress is not None and not self.announced and remaining is not None:
            self.progress.add_total(remaining)
            self.announced = True

    def _check_space(self, remaining: int | None) -> None:
        if remaining is None:
            return
        free = _free_bytes(self.part.parent)
        if free < remaining:
            raise DownloadError(
                f"{self.what}: disk full: {remaining} more bytes needed, {free} free in {self.part.parent}"
            )

    def _stream(self, response: http.client.HTTPResponse) -> None:
        with open(self.part, "ab") as fh:
            while chunk := response.read1(_CHUNK):
                if self.client.stop.is_set():
                    raise DownloadCancelled(f"{self.what}: cancelled")
                try:
                    fh.write(chunk)
                except OSError as exc:
                    if exc.errno == errno.ENOSPC:
                        raise DownloadError(f"{self.what}: disk full while writing {self.part}") from None
                    raise
                self.hasher.update(chunk)
                if self.progress is not None:
                    self.progress.advance(len(chunk))

    def _finish(self) -> FetchResult:
        """Verify size and checksum, then rename; a bad file is deleted, never renamed."""
        n_bytes = self.hasher.n_bytes
        if self.size is not None and n_bytes != self.size:
            self._restart()
            raise ChecksumError(f"{self.what}: {n_bytes} bytes, expected {self.size}; deleted the download")
        expected = self.expected
        if expected is not None and not self.hasher.matches():
            got = self.hasher.published_digest()
            self._restart()
            raise ChecksumError(
                f"{self.what}: {expected.algorithm} {got} does not match the published "
                f"{expected.hexdigest}; deleted the download (re-run to fetch it again)"
            )
        if not self.part.exists():  # an empty body never opened the file
            self.part.touch()
        os.replace(self.part, self.dest)
        return FetchResult(self.dest, n_bytes, self.hasher.sha256)
