"""Throughput of `HttpClient.fetch` (Range-capable, sha256 while streaming) against plain copies.

Serves one file from a local folder on 127.0.0.1 with the standard library's file server and
downloads it three ways, each timed in the same run so the ratios are comparable on a busy
machine:

- ``urllib read``: bytes read from the socket and thrown away (the network ceiling here);
- ``fetch, no checksum``: `HttpClient.fetch` writing ``.part`` then renaming (sha256 computed anyway);
- ``fetch, sha256 published``: the same, verified against the published sha256 (no second read);
- ``fetch, md5 published``: md5 and sha256 computed in the same pass (NSRR files);
- ``sha256 of the file on disk``: what a second hashing pass would have cost.

Run: ``python benchmarks/bench_download.py [--mb 256]``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sleepdg.download.checksums import Checksum
from sleepdg.download.http import HttpClient, HttpOptions
from sleepdg.manifest import sha256_file


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _timed(label: str, size: int, run: Callable[[], object], baseline: float | None) -> float:
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    ratio = f"  x{seconds / baseline:.2f} of urllib read" if baseline else ""
    print(f"{label:32s} {seconds:6.2f} s  {size / seconds / 1e6:7.1f} MB/s{ratio}")
    return seconds


def _drain(url: str) -> None:
    with urllib.request.urlopen(url) as response:
        while response.read(1 << 16):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=256, help="size of the served file in MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        root, out = Path(tmp) / "served", Path(tmp) / "out"
        root.mkdir()
        body = hashlib.sha256(b"seed").digest() * (args.mb * 1_000_000 // 32)
        (root / "big.edf").write_bytes(body)
        size = len(body)
        sha = Checksum("sha256", hashlib.sha256(body).hexdigest())
        md5 = Checksum("md5", hashlib.md5(body).hexdigest())
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/big.edf"
        client = HttpClient(HttpOptions(retries=0))
        print(f"{size / 1e6:.0f} MB over 127.0.0.1")
        base = _timed("urllib read", size, lambda: _drain(url), None)
        _timed("fetch, no checksum", size, lambda: client.fetch(url, out / "a.edf", what="a"), base)
        _timed(
            "fetch, sha256 published",
            size,
            lambda: client.fetch(url, out / "b.edf", what="b", expected=sha),
            base,
        )
        _timed(
            "fetch, md5 published",
            size,
            lambda: client.fetch(url, out / "c.edf", what="c", expected=md5),
            base,
        )
        _timed("sha256 of the file on disk", size, lambda: sha256_file(out / "b.edf"), base)
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
