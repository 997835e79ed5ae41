"""The download stage: fill ``data/raw/<dataset>/`` with native files and their manifest.

``data.source: synthetic`` writes the generator's files; ``real`` fetches the official files
(`sleepdg.download.sources`) with bounded parallelism, resumable transfers and verification
(`sleepdg.download.http`), extracting ISRUC's RAR archives (`sleepdg.download.extract`).

Besides the files, the folder holds ``manifest.csv`` (path, size, sha256 of every verified file:
prepare reads it instead of hashing again), ``download.json`` (what was asked, written last, so
its presence means the run finished) and, for ISRUC, ``archives.csv`` (each archive's size and
sha256, since ISRUC publishes no checksum and the archives are deleted after extraction).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

from sleepdg.atomic import atomic_path, write_text_atomic
from sleepdg.download.checksums import StreamHasher, parse_sha256sums
from sleepdg.download.extract import require_rar_tool, safe_extract
from sleepdg.download.http import DownloadCancelled, HttpClient, HttpOptions
from sleepdg.download.progress import ByteProgress
from sleepdg.download.sources import (
    PHYSIONET_SUMS,
    RemoteFile,
    isruc_files,
    nsrr_account_url,
    nsrr_folders,
    nsrr_listing_url,
    parse_nsrr_listing,
    physionet_files,
    shhs_files,
)
from sleepdg.errors import DownloadError
from sleepdg.manifest import MANIFEST_NAME, ManifestEntry, entry_for, read_manifest, write_manifest
from sleepdg.params import DATASETS, DataParams, Params, ParamsError

log = logging.getLogger(__name__)

RECORD_NAME = "download.json"
ARCHIVES_NAME = "archives.csv"
_FLUSH_EVERY_S = 30.0  # manifest rewrite period during a long run (and always at the end)


class _Done(NamedTuple):
    entries: list[ManifestEntry]  # files now verified in the folder
    archive: ManifestEntry | None = None  # the archive they came from (ISRUC)


def download_dataset(
    dataset: str, out_dir: Path, params: Params, *, progress: bool | None = None
) -> list[ManifestEntry]:
    """Write one dataset's native files into ``out_dir`` and return its manifest entries.

    Parameters
    ----------
    dataset
        ``sleepedf``, ``hmc``, ``isruc``, ``shhs`` or ``p2018``.
    out_dir
        ``data/raw/<dataset>``; created. An interrupted real download resumes from the partial
        files left there; a finished one is not fetched again.
    params
        ``data`` (source, subset, mirrors, parts, workers, retries) and, for synthetic data,
        ``synthetic`` (its own seed) and ``runtime.workers``.
    progress
        Show a progress bar (bytes, rate); None shows it when stderr is a terminal.

    Returns
    -------
    list of ManifestEntry
        (path relative to ``out_dir``, size in bytes, sha256) of every file, sorted by path.
    """
    if dataset not in DATASETS:
        raise ParamsError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    if params.data.source == "synthetic":
        return _synthesise(dataset, Path(out_dir), params)
    return _download_real(dataset, Path(out_dir), params.data, progress)


# -- synthetic --------------------------------------------------------------------------------


def generator_digest() -> str:
    """sha256 of the generator's source: ``sleepdg/synth`` and ``sleepdg/io`` (its file writers), the
    folders `dvc.yaml` lists for the download stage, plus ``sleepdg/stages.py``.

    Synthetic files are kept (the stage's output persists) only while this digest is unchanged, so
    a change to the generator rewrites them instead of leaving the previous generator's data.
    """
    package = Path(__file__).resolve().parent.parent  # sleepdg/, found without importing the generator
    files = sorted([*package.joinpath("synth").rglob("*.py"), *package.joinpath("io").rglob("*.py")])
    digest = hashlib.sha256()
    for path in [*files, package / "stages.py"]:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _synthesise(dataset: str, out_dir: Path, params: Params) -> list[ManifestEntry]:
    request = {
        "dataset": dataset,
        "source": "synthetic",
        "recordings": params.synthetic.recordings,
        "hours": params.synthetic.hours,
        "seed": params.synthetic.seed,
        "shift_scale": getattr(params.synthetic.shift_scale, dataset),
        "generator": generator_digest(),
    }
    done = _finished_entries(out_dir, request)
    if done is not None:
        log.info("%s: synthetic files already written with these params and this generator", dataset)
        return done
    previous = _read_record(out_dir)
    if previous.get("source") == "real" or (not previous and (out_dir / MANIFEST_NAME).exists()):
        raise DownloadError(
            f"{out_dir} holds downloaded real data; move or delete it before writing synthetic files there"
        )
    from sleepdg.synth import write_dataset  # heavy (numpy, edfio): only when generating

    with atomic_path(out_dir) as tmp:  # the whole folder appears at once, or not at all
        root = tmp.resolve()
        root.mkdir(parents=True)
        paths = write_dataset(
            dataset,
            root,
            n_recordings=params.synthetic.recordings,
            hours=params.synthetic.hours,
            seed=params.synthetic.seed,
            shift_scale=request["shift_scale"],
            workers=params.runtime.workers,
        )
        files = [root / p for p in paths]  # write_dataset returns root / relative path
        with ThreadPoolExecutor(max(1, params.runtime.workers)) as pool:  # hashlib releases the GIL
            entries = sorted(pool.map(lambda p: entry_for(root, p), files))
        write_manifest(root, entries)
        write_text_atomic(root / RECORD_NAME, json.dumps(request, indent=2) + "\n")
    log.info("%s: %d synthetic files in %s", dataset, len(entries), out_dir)
    return entries


# -- real -------------------------------------------------------------------------------------


def _download_real(
    dataset: str, out_dir: Path, data: DataParams, progress: bool | None
) -> list[ManifestEntry]:
    request = _real_request(dataset, data)
    done = _finished_entries(out_dir, request)
    if done is not None:
        log.info("%s: already downloaded (%d files in %s)", dataset, len(done), out_dir)
        return done
    if _read_record(out_dir).get("source") == "synthetic":
        log.info("%s: replacing the synthetic files in %s by the real ones", dataset, out_dir)
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RECORD_NAME).unlink(missing_ok=True)  # written again only when this run finishes
    token = _nsrr_token(data) if dataset == "shhs" else ""
    stop = threading.Event()
    client = HttpClient(_http_options(dataset, data), secrets=[token], stop=stop)
    files = _list_files(dataset, data, client, token)
    if dataset == "isruc":
        log.info("ISRUC archives will be extracted with %s", require_rar_tool("ISRUC"))
    state = _State(out_dir, files)
    todo = [f for f in files if not state.is_done(f)]
    log.info("%s: %d of %d files to fetch into %s", dataset, len(todo), len(files), out_dir)
    with ByteProgress(dataset, n_files=len(todo), enabled=progress) as bar:
        tasks = [_task(client, out_dir, f, data.keep_archives, state, bar) for f in todo]
        try:
            _run_parallel(tasks, data.workers, stop, state.add)
        finally:
            state.flush()
    write_text_atomic(out_dir / RECORD_NAME, json.dumps(request, indent=2) + "\n")
    return sorted(state.manifest.values())


def _real_request(dataset: str, data: DataParams) -> dict[str, Any]:
    """What a run was asked for: a finished run with the same request has nothing to do."""
    request: dict[str, Any] = {
        "dataset": dataset,
        "source": "real",
        "mirror": getattr(data.mirrors, dataset),
        "subset": data.subset,
    }
    if dataset == "sleepedf":
        request["parts"] = list(data.sleepedf_parts)
    elif dataset == "isruc":
        request["subgroups"] = sorted(data.isruc_subgroups)
    elif dataset == "shhs":
        request["visit"], request["annotations"] = data.shhs_visit, sorted(data.shhs_annotations)
    return request


def _read_record(out_dir: Path) -> dict[str, Any]:
    """The request a finished run recorded in the folder; empty when there is none."""
    try:
        record = json.loads((out_dir / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _finished_entries(out_dir: Path, request: Mapping[str, Any]) -> list[ManifestEntry] | None:
    """The manifest of a finished run of the same request whose files are all still there."""
    if _read_record(out_dir) != dict(request):
        return None
    manifest = read_manifest(out_dir)
    for entry in manifest.values():
        path = out_dir / entry.path
        if not path.is_file() or path.stat().st_size != entry.size:
            return None
    return sorted(manifest.values()) if manifest else None


def _nsrr_token(data: DataParams) -> str:
    token = os.environ.get(data.nsrr_token_env, "").strip()
    if not token:
        raise DownloadError(
            f"SHHS is downloaded from NSRR with your personal token: set the environment variable "
            f"{data.nsrr_token_env} (the token is at https://sleepdata.org/token once your data "
            f"access request for SHHS is approved)"
        )
    return token


def _http_options(dataset: str, data: DataParams) -> HttpOptions:
    if dataset == "shhs":
        hint = f"is the token in {data.nsrr_token_env} valid and approved for SHHS?"
        return HttpOptions(
            data.retries, data.backoff_s, data.timeout_s, follow_redirects=False, auth_hint=hint
        )
    return HttpOptions(data.retries, data.backoff_s, data.timeout_s)


def _list_files(dataset: str, data: DataParams, client: HttpClient, token: str) -> list[RemoteFile]:
    mirror: str = getattr(data.mirrors, dataset)
    if dataset == "isruc":
        return isruc_files(mirror, data)
    if dataset == "shhs":
        account = client.get_bytes(nsrr_account_url(mirror, token), what="NSRR account check")
        try:
            authenticated = bool(json.loads(account).get("authenticated"))
        except (ValueError, AttributeError):
            raise DownloadError(f"{mirror}: the NSRR account check did not answer JSON") from None
        if not authenticated:
            env = data.nsrr_token_env
            raise DownloadError(f"NSRR did not accept the token in {env} (see https://sleepdata.org/token)")
        listed = []
        for folder in nsrr_folders(data):
            what = f"NSRR listing of {folder}"
            payload = client.get_bytes(nsrr_listing_url(mirror, folder, token), what=what)
            listed += parse_nsrr_listing(payload, what)
        return shhs_files(mirror, token, listed, data)
    sums_url = f"{mirror}/{PHYSIONET_SUMS}"
    text = client.get_bytes(sums_url, what=sums_url).decode("utf-8")
    return physionet_files(dataset, mirror, parse_sha256sums(text, sums_url), data)


# -- bookkeeping ------------------------------------------------------------------------------


class _State:
    """Manifest and archive records of the folder, updated as files are verified."""

    def __init__(self, out_dir: Path, files: list[RemoteFile]) -> None:
        self.out_dir = out_dir
        self.manifest = dict(read_manifest(out_dir))
        self.archives = dict(read_manifest_file(out_dir / ARCHIVES_NAME))
        self._last_flush = time.monotonic()
        self._prune(files)

    def _prune(self, files: list[RemoteFile]) -> None:
        """Forget (and delete) files of an earlier request that this one no longer includes."""
        wanted = {f.path for f in files if f.extract_to is None}
        folders = tuple(f"{f.extract_to}/" for f in files if f.extract_to is not None)
        stale = [p for p in self.manifest if p not in wanted and not p.startswith(folders)]
        for path in stale:
            (self.out_dir / path).unlink(missing_ok=True)
            del self.manifest[path]
        if stale:
            log.info("removed %d files no longer requested (data.subset or parts changed)", len(stale))

    def is_done(self, f: RemoteFile) -> bool:
        """Verified earlier and untouched since: in the manifest with the size on disk."""
        if f.extract_to is not None:
            prefix = f"{f.extract_to}/"
            members = [e for p, e in self.manifest.items() if p.startswith(prefix)]
            return f.path in self.archives and bool(members) and all(self._intact(e) for e in members)
        entry = self.manifest.get(f.path)
        return entry is not None and self._intact(entry) and (f.size is None or f.size == entry.size)

    def _intact(self, entry: ManifestEntry) -> bool:
        path = self.out_dir / entry.path
        return path.is_file() and path.stat().st_size == entry.size

    def add(self, done: _Done) -> None:
        for entry in done.entries:
            self.manifest[entry.path] = entry
        if done.archive is not None:
            self.archives[done.archive.path] = done.archive
        if time.monotonic() - self._last_flush > _FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        write_manifest(self.out_dir, self.manifest.values())
        if self.archives:
            write_manifest_file(self.out_dir / ARCHIVES_NAME, self.archives.values())
        self._last_flush = time.monotonic()


def read_manifest_file(path: Path) -> dict[str, ManifestEntry]:
    """Entries of a CSV in the manifest's columns under another name (``archives.csv``)."""
    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    try:
        return {r["path"]: ManifestEntry(r["path"], int(r["size"]), r["sha256"]) for r in rows}
    except (KeyError, TypeError, ValueError):
        raise DownloadError(f"{path}: expected columns path, size, sha256") from None


def write_manifest_file(path: Path, entries: Iterable[ManifestEntry]) -> None:
    """Write entries in the manifest's columns under another name, atomically, sorted by path."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ManifestEntry._fields)
        writer.writerows(sorted(entries))


# -- tasks ------------------------------------------------------------------------------------


def _task(
    client: HttpClient, out_dir: Path, f: RemoteFile, keep_archive: bool, state: _State, bar: ByteProgress
) -> Callable[[], _Done]:
    if f.extract_to is not None:
        folder = out_dir / f.extract_to
        return lambda: _fetch_archive(client, out_dir, f, folder, keep_archive, state, bar)
    return lambda: _fetch_file(client, out_dir, f, bar)


def _fetch_file(client: HttpClient, out_dir: Path, f: RemoteFile, bar: ByteProgress) -> _Done:
    adopted = _adopt(out_dir, f)
    if adopted is not None:
        bar.file_done()
        return _Done([adopted])
    dest = out_dir / f.path
    result = client.fetch(f.url, dest, what=f.path, expected=f.checksum, size=f.size, progress=bar)
    bar.file_done()
    return _Done([ManifestEntry(f.path, result.size, result.sha256)])


def _adopt(out_dir: Path, f: RemoteFile) -> ManifestEntry | None:
    """A file already under its final name but not in the manifest (a run killed between rename
    and manifest write): hash it once and keep it when it matches the published checksum."""
    path = out_dir / f.path
    if f.checksum is None or not path.is_file():
        return None
    hasher = StreamHasher(f.checksum)
    hasher.update_from_file(path)
    if hasher.matches() and (f.size is None or f.size == hasher.n_bytes):
        return ManifestEntry(f.path, hasher.n_bytes, hasher.sha256)
    log.warning("%s: on disk but not matching its published checksum; downloading it again", f.path)
    path.unlink()
    return None


def _fetch_archive(
    client: HttpClient,
    out_dir: Path,
    f: RemoteFile,
    folder: Path,
    keep: bool,
    state: _State,
    bar: ByteProgress,
) -> _Done:
    """Download an archive (or reuse a kept one), extract it safely, delete it unless kept."""
    archive_path = out_dir / f.path
    known = state.archives.get(f.path)
    if known is not None and archive_path.is_file() and archive_path.stat().st_size == known.size:
        archive = known
    else:
        result = client.fetch(f.url, archive_path, what=f.path, progress=bar)
        archive = ManifestEntry(f.path, result.size, result.sha256)
    extracted = safe_extract(archive_path, folder, strip_common_root=True)
    entries = [ManifestEntry(e.path.relative_to(out_dir).as_posix(), e.size, e.sha256) for e in extracted]
    if not keep:
        archive_path.unlink()
    bar.file_done()
    return _Done(entries, archive)


def _run_parallel(
    tasks: list[Callable[[], _Done]], workers: int, stop: threading.Event, on_done: Callable[[_Done], None]
) -> None:
    """Run tasks on ``workers`` threads; the first failure stops the others (their partial files
    stay for the next run) and is raised once they have stopped."""
    first_error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download") as pool:
        pending: set[Future[_Done]] = {pool.submit(task) for task in tasks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        on_done(future.result())
                    except DownloadCancelled:
                        continue
                    except Exception as exc:
                        if first_error is None:
                            first_error = exc
                            stop.set()
                        # cancel() does not wake a waiter (as_completed/wait would hang on them):
                        # drop the cancelled futures, wait only for the running ones
                        pending = {f for f in pending if not f.cancel()}
        except BaseException:  # Ctrl-C: stop the transfers, keep their partial files
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    if first_error is not None:
        raise first_error
