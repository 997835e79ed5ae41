"""Dask backends of ``runtime.scheduler``: a `LocalCluster` on this machine, or an existing cluster.

``dask`` starts ``runtime.workers`` worker processes with one thread each (prepare's tasks are
single-threaded NumPy/SciPy work that holds the GIL part of the time, so processes scale and
threads would not). An address (``tcp://host:port``, ``tls://host:port``) connects to a running
scheduler; its workers must run the same sleepdg environment and see the same files.

A worker that dies (killed, out of memory, machine lost) has its tasks rescheduled by Dask's
scheduler on the other workers. A task that was running on ``ALLOWED_FAILURES + 1`` workers that
all died is given up (`distributed.KilledWorker`): it is most likely the cause (e.g. one recording
too large for a worker's memory), and retrying it forever would take the cluster down with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleepdg.errors import SleepdgError

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[dask]'"
ALLOWED_FAILURES = 3  # worker deaths a task may be caught in before it is given up (Dask's default)
CONNECT_TIMEOUT_S = 30


class DaskUnavailableError(SleepdgError, ImportError):
    """``runtime.scheduler`` asks for Dask, which is an optional dependency that is not installed."""


class SchedulerUnreachableError(SleepdgError, ConnectionError):
    """No Dask scheduler answers at the ``runtime.scheduler`` address."""


class SharedStorageError(SleepdgError, FileNotFoundError):
    """A Dask worker does not see a folder the tasks read or write."""


def import_distributed() -> Any:
    """The ``distributed`` module, or `DaskUnavailableError` naming the pip command."""
    try:
        import distributed
    except ImportError as exc:
        raise DaskUnavailableError(
            f"runtime.scheduler asks for Dask, but it is not installed ({exc}); run: {INSTALL_HINT}"
        ) from None
    return distributed


@contextmanager
def dask_client(scheduler: str, workers: int) -> Iterator[Client]:
    """A connected `distributed.Client`, closed (with its local cluster, if any) on exit.

    Parameters
    ----------
    scheduler
        ``dask`` for a `LocalCluster` of ``workers`` processes with one thread each, or the
        address of a running scheduler (``tcp://host:port`` or ``tls://host:port``).
    workers
        Worker processes of the local cluster; ignored for an address (the cluster has its own).

    Raises
    ------
    DaskUnavailableError
        When ``dask``/``distributed`` are not installed (names the pip command).
    SchedulerUnreachableError
        When no scheduler answers at the address within `CONNECT_TIMEOUT_S`.
    """
    distributed = import_distributed()
    import dask

    if scheduler == "dask":
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
            cluster = distributed.LocalCluster(
                n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None
            )
        with cluster, distributed.Client(cluster) as client:
            log.info(
                "started a local Dask cluster of %d worker processes at %s",
                workers,
                cluster.scheduler_address,
            )
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except OSError as exc:
        raise SchedulerUnreachableError(
            f"runtime.scheduler: no Dask scheduler answers at {scheduler} ({exc})"
        ) from None
    with client:
        allowed = client.run_on_scheduler(_allowed_failures)
        log.info(
            "connected to the Dask scheduler at %s: %d workers, %d threads, allowed-failures %s",
            scheduler, len(client.nthreads()), sum(client.nthreads().values()), allowed,
        )  # fmt: skip
        yield client


def _allowed_failures(dask_scheduler: Any) -> int:
    return int(dask_scheduler.allowed_failures)


def _missing(paths: Sequence[str]) -> list[str]:
    """Runs on a worker: the paths it cannot see."""
    import os

    return [p for p in paths if not os.path.isdir(p)]


def check_shared_paths(client: Client, paths: Sequence[Path]) -> None:
    """Raise `SharedStorageError` unless every worker of the cluster sees every folder in ``paths``.

    Tasks get absolute paths; a remote cluster needs them on shared storage mounted at the same
    path on every worker (NFS, Lustre, a cloud file system), since workers read and write there.
    """
    wanted = [str(Path(p).absolute()) for p in paths]
    if not wanted:
        return
    missing = {w: m for w, m in client.run(_missing, wanted).items() if m}
    if missing:
        where = "; ".join(f"{worker} lacks {', '.join(m)}" for worker, m in sorted(missing.items()))
        raise SharedStorageError(
            f"Dask workers do not see the data folders ({where}): put them on storage shared by "
            "every worker, mounted at the same path"
        )


__all__ = [
    "ALLOWED_FAILURES",
    "INSTALL_HINT",
    "DaskUnavailableError",
    "SchedulerUnreachableError",
    "SharedStorageError",
    "check_shared_paths",
    "dask_client",
    "import_distributed",
]
