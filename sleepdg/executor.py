"""Run independent per-recording tasks on a local process pool (``runtime.scheduler: processes``).

Tasks are picklable callables applied to picklable items; results come back as they complete, so
the caller can show progress and stop at the first error. Workers are started with ``spawn``: the
parent may hold threads (zarr's event loop), which ``fork`` would copy in a broken state.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_unordered(fn: Callable[[T], R], items: Iterable[T], *, workers: int) -> Iterator[R]:
    """Apply ``fn`` to every item, yielding results in completion order.

    With ``workers == 1`` everything runs in this process (no pickling, easy debugging). With more,
    at most ``2 * workers`` tasks are in flight, so a long item list never floods the pool. If the
    consumer stops early (an exception), pending tasks are cancelled.
    """
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
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        finally:
            for future in pending:
                future.cancel()
