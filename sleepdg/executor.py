"""Run independent per-recording tasks on a local process pool or a Dask cluster (``runtime.scheduler``).

Tasks are picklable callables applied to picklable items; results come back as they complete, so
the caller can show progress and stop at the first error. Whatever the backend, at most a few
tasks per worker are in flight, and stopping early cancels the rest.

- ``processes``: a local pool started with ``spawn`` (the parent may hold threads, zarr's event
  loop, which ``fork`` would copy in a broken state).
- ``dask``: a `distributed.LocalCluster` of ``workers`` processes, one thread each.
- ``tcp://host:port`` / ``tls://host:port``: an existing Dask cluster.

On Dask, the tasks of a worker that dies are rescheduled on the others (see `sleepdg.dask_cluster`);
a task must therefore be safe to run again after a partial run (prepare's tasks replace their own
Zarr group). A task given up after repeated worker deaths raises `WorkerLostError`.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, TypeVar

from sleepdg.errors import SleepdgError

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 2


class WorkerLostError(SleepdgError, RuntimeError):
    """A task was running on several Dask workers that all died; it was given up."""


def map_unordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int,
    scheduler: str = "processes",
    shared_paths: Sequence[Path] = (),
) -> Iterator[R]:
    """Apply ``fn`` to every item, yielding results in completion order.

    Parameters
    ----------
    fn, items
        A picklable callable and picklable items; ``fn`` must be importable by the workers
        (a module-level function or class instance).
    workers
        Local worker processes. With ``processes`` and ``workers == 1`` everything runs in this
        process (no pickling, easy debugging). Ignored for a cluster address.
    scheduler
        ``processes``, ``dask`` or a Dask scheduler address (``runtime.scheduler``).
    shared_paths
        Folders every Dask worker must see (checked before any task is sent).

    At most ``2 * workers`` tasks (``2 *`` the cluster's threads) are in flight, so a long item list
    never floods the pool. If the consumer stops early (an exception), the tasks not started (pool)
    or not sent (Dask) are dropped and the others awaited, so no task still runs once this generator
    is closed (a caller may then remove what they write). An exception raised by ``fn`` is
    re-raised here.
    """
    if scheduler == "processes":
        yield from _map_processes(fn, items, workers)
    else:
        yield from _map_dask(fn, items, workers, scheduler, shared_paths)


def _map_processes(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    pending: set[Future[R]] = set()
    iterator = iter(items)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            for item in iterator:
                pending.add(pool.submit(fn, item))
                if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        finally:
            for future in pending:
                future.cancel()


def _map_dask(
    fn: Callable[[T], R], items: Iterable[T], workers: int, scheduler: str, shared_paths: Sequence[Path]
) -> Iterator[R]:
    from sleepdg.dask_cluster import check_shared_paths, dask_client, import_distributed

    iterator = iter(items)
    first = list(itertools.islice(iterator, 1))
    if not first:
        return
    distributed = import_distributed()
    with dask_client(scheduler, workers) as client:
        check_shared_paths(client, shared_paths)
        limit = IN_FLIGHT_PER_WORKER * max(sum(client.nthreads().values()), workers, 1)
        prefix = f"{getattr(fn, '__module__', None) or 'task'}-{uuid.uuid4().hex[:8]}"
        counter = itertools.count()
        sent: dict[Any, tuple[T, Any]] = {}  # key -> (item, future), until its result is taken
        completed = distributed.as_completed()

        def submit(item: T) -> None:
            future = client.submit(fn, item, key=f"{prefix}-{next(counter)}")
            sent[future.key] = (item, future)
            completed.add(future)

        try:
            for item in itertools.islice(itertools.chain(first, iterator), limit):
                submit(item)
            for future in completed:
                item, _ = sent.pop(future.key)
                try:
                    result: R = future.result()
                except distributed.KilledWorker as exc:
                    raise WorkerLostError(_lost_message(item, exc)) from None
                future.release()
                for following in itertools.islice(iterator, 1):
                    submit(following)
                yield result
        finally:
            if sent:  # stopped early: items not sent yet never will be; wait for the ones sent
                log.info("stopping: waiting for %d tasks already sent to the cluster", len(sent))
                distributed.wait([future for _, future in sent.values()])


def _lost_message(item: Any, exc: BaseException) -> str:
    from sleepdg.dask_cluster import ALLOWED_FAILURES

    return (
        f"task {item!r} was given up: the Dask workers running it died more than "
        f"allowed-failures times ({ALLOWED_FAILURES} on a local cluster) ({exc}); the cause may be this "
        "task or one that ran beside it on the same worker; a worker killed for memory points at a "
        "recording too large for it: use fewer, larger workers"
    )


__all__ = ["WorkerLostError", "map_unordered"]
