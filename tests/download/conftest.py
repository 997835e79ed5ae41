"""A real HTTP server on 127.0.0.1 for the download tests, and builders of the files it serves.

The standard library's file server has no Range support, so `FileServer` answers from a dict of
bytes: 200 or 206 (``Range: bytes=a-`` / ``a-b``), 416, HEAD, 404, 401 for an NSRR download URL
with the wrong token, JSON routes (the NSRR API), a "cut after N bytes" switch that drops the
connection in the middle of the first GET of a path, and statuses to return before serving.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

JsonRoute = Callable[[dict[str, str]], tuple[int, Any]]
_NSRR_DOWNLOAD = re.compile(r"^/datasets/(?P<slug>[^/]+)/files/a/(?P<token>[^/]+)/m/[^/]+/(?P<rest>.+)$")
_RANGE = re.compile(r"^bytes=(?P<start>\d+)-(?P<end>\d*)$")


class Seen(NamedTuple):
    method: str
    path: str  # without the query
    range: str | None


class FileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.json_routes: dict[str, JsonRoute] = {}
        self.token: str | None = None  # NSRR download URLs must carry it
        self.cut_after: dict[str, int] = {}  # path -> bytes sent before the first GET is dropped
        self.fail_first: dict[str, list[int]] = {}  # path -> statuses to answer before serving
        self.ignore_range = False
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def gets(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path and s.method == "GET"]

    def publish_physionet(self, root: str, files: dict[str, bytes]) -> str:
        """Serve ``files`` under ``/<root>/`` with a PhysioNet-style SHA256SUMS.txt; return its URL."""
        lines = []
        for rel, body in files.items():
            self.files[f"/{root}/{rel}"] = body
            lines.append(f"{hashlib.sha256(body).hexdigest()}  {rel}")
        self.files[f"/{root}/SHA256SUMS.txt"] = ("\n".join(lines) + "\n").encode()
        return f"{self.url}/{root}"

    def publish_nsrr(self, token: str, files: dict[str, bytes]) -> str:
        """Serve an NSRR-like API (account check, listings with MD5, tokenised downloads)."""
        self.token = token

        def account(query: dict[str, str]) -> tuple[int, Any]:
            return 200, {"authenticated": query.get("auth_token") == token}

        def listing(query: dict[str, str]) -> tuple[int, Any]:
            folder = query.get("path", "").strip("/")
            return 200, [
                {
                    "dataset": "shhs",
                    "full_path": rel,
                    "folder": folder,
                    "file_name": rel.rsplit("/", 1)[-1],
                    "is_file": True,
                    "file_size": len(body),
                    "file_checksum_md5": hashlib.md5(body).hexdigest(),
                    "archived": False,
                }
                for rel, body in files.items()
                if rel.rsplit("/", 1)[0] == folder
            ]

        self.json_routes["/api/v1/account/profile.json"] = account
        self.json_routes["/api/v1/datasets/shhs/files.json"] = listing
        for rel, body in files.items():
            self.files[f"/datasets/shhs/files/{rel}"] = body
        return self.url


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FileServer

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), dict(parse_qsl(parts.query))
        srv = self.server
        with srv.lock:
            srv.seen.append(Seen(self.command, path, self.headers.get("Range")))
            failures = srv.fail_first.get(path)
            status = failures.pop(0) if failures else None
        if status is not None:
            return self._reply(status, b"", head)
        if path in srv.json_routes:
            status, payload = srv.json_routes[path](query)
            return self._reply(status, json.dumps(payload).encode(), head, "application/json")
        if match := _NSRR_DOWNLOAD.match(path):
            if match["token"] != srv.token:
                return self._reply(401, b"unauthorized", head)
            path = f"/datasets/{match['slug']}/files/{match['rest']}"
        body = srv.files.get(path)
        if body is None:
            return self._reply(404, b"not found", head)
        self._serve_body(path, body, head)

    def _serve_body(self, path: str, body: bytes, head: bool) -> None:
        start, end, status = 0, len(body), 200
        match = _RANGE.match(self.headers.get("Range", ""))
        if match and not self.server.ignore_range:
            start = int(match["start"])
            end = min(int(match["end"]) + 1, len(body)) if match["end"] else len(body)
            if start >= len(body):
                return self._reply(416, b"", head, extra={"Content-Range": f"bytes */{len(body)}"})
            status = 206
        with self.server.lock:
            cut = None if head else self.server.cut_after.pop(path, None)
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(body)}")
        self.end_headers()
        if head:
            return
        if cut is not None:  # a transfer interrupted mid-body: some bytes, then the socket closes
            self.wfile.write(body[start : start + cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body[start:end])

    def _reply(
        self,
        status: int,
        body: bytes,
        head: bool,
        ctype: str = "text/plain",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def payload(name: str, n_bytes: int) -> bytes:
    """Deterministic, name-specific bytes (so two files never collide)."""
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (n_bytes // len(seed) + 1))[:n_bytes]


@pytest.fixture
def server() -> Iterator[FileServer]:
    """A running `FileServer` on an ephemeral port of 127.0.0.1."""
    srv = FileServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def rar4(members: list[tuple[str, bytes, int]]) -> bytes:
    """A RAR 4.x archive of stored (uncompressed) members, written from the format's header layout.

    ``members``: (name, data, st_mode); a symlink is mode 0o120777 with its target as data. No RAR
    writer is free software, so tests build the bytes themselves.
    """

    def block(after_crc: bytes) -> bytes:
        return struct.pack("<H", zlib.crc32(after_crc) & 0xFFFF) + after_crc

    out = b"Rar!\x1a\x07\x00" + block(struct.pack("<BHH", 0x73, 0, 13) + bytes(6))
    for name, data, mode in members:
        raw = name.encode()
        is_dir = (mode & 0o170000) == 0o040000
        header = struct.pack("<BHH", 0x74, 0x8000 | (0xE0 if is_dir else 0), 32 + len(raw))
        fields = struct.pack(
            "<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), 0x5A210000, 20, 0x30, len(raw), mode
        )
        out += block(header + fields + raw) + data
    return out + block(struct.pack("<BHH", 0x7B, 0x4000, 7))


@pytest.fixture
def make_bytes() -> Callable[[str, int], bytes]:
    """`payload`: deterministic bytes named after a file."""
    return payload


@pytest.fixture
def make_rar4() -> Callable[[list[tuple[str, bytes, int]]], bytes]:
    """`rar4`: a stored RAR 4.x archive built from its header layout."""
    return rar4
