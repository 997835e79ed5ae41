"""map_unordered on a real Dask cluster given by its address (the ``dask`` LocalCluster mode runs
through prepare in tests/test_prepare_dask.py; the process pool in tests/test_prepare.py)."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sleepdg.dask_cluster import DaskUnavailableError, SharedStorageError
from sleepdg.executor import WorkerLostError, map_unordered

pytestmark = pytest.mark.xdist_group("dask")  # one worker shares the module's cluster


def _square_where(folder: str, item: int) -> tuple[int, int]:
    """Runs on a worker: item², leaving a marker file, and the worker's pid."""
    time.sleep(0.05)
    Path(folder, f"{item}.done").write_text("")
    return item * item, os.getpid()


def _fail_on_three(folder: str, item: int) -> int:
    time.sleep(0.2)
    if item == 3:
        raise ValueError(f"item {item} is bad")
    Path(folder, f"{item}.done").write_text("")
    return item


def _die_on(name: str, item: str) -> str:
    if item == name:
        os._exit(1)  # the worker process dies: no exception, no clean-up
    return item


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes, one thread each; a task caught in a single worker death is given up."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with local:
        yield local


@pytest.fixture
def address(cluster: Any) -> str:
    cluster.wait_for_workers(2)  # a test may have killed one; its nanny restarts it
    return str(cluster.scheduler_address)


def _worker_pids(address: str) -> set[int]:
    from distributed import Client

    with Client(address) as client:
        return set(client.run(os.getpid).values())


def test_a_cluster_address_runs_every_item_once_on_the_clusters_workers(address: str, tmp_path: Path) -> None:
    fn = functools.partial(_square_where, str(tmp_path))
    results = list(map_unordered(fn, range(12), workers=1, scheduler=address))
    assert sorted(r for r, _ in results) == [i * i for i in range(12)]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and pids <= _worker_pids(address)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{i}.done" for i in range(12))


def test_an_error_in_a_task_stops_the_run_and_no_task_runs_after_it_is_raised(
    address: str, tmp_path: Path
) -> None:
    fn = functools.partial(_fail_on_three, str(tmp_path))
    with pytest.raises(ValueError, match="item 3 is bad"):
        list(map_unordered(fn, range(40), workers=1, scheduler=address))
    done = sorted(tmp_path.iterdir())
    time.sleep(0.5)  # a task still running would write its marker now
    assert sorted(tmp_path.iterdir()) == done
    assert len(done) < 12  # at most 2 tasks per worker thread were sent ahead of the error


def test_workers_that_do_not_see_a_data_folder_stop_the_run_before_any_task(
    address: str, tmp_path: Path
) -> None:
    fn = functools.partial(_square_where, str(tmp_path))
    missing = tmp_path / "not-shared"
    with pytest.raises(SharedStorageError, match=f"lacks {missing}.*same path"):
        list(map_unordered(fn, range(4), workers=1, scheduler=address, shared_paths=[tmp_path, missing]))
    assert list(tmp_path.iterdir()) == []


def test_a_task_whose_worker_dies_more_often_than_allowed_is_given_up_naming_it(address: str) -> None:
    # One item: a task queued behind it on the same worker would die with it and could be reported
    # first (Dask cannot tell the culprit from a bystander; the message says so).
    fn = functools.partial(_die_on, "SN002")
    with pytest.raises(WorkerLostError, match=r"task 'SN002' was given up.*allowed-failures"):
        list(map_unordered(fn, ["SN002"], workers=1, scheduler=address))


def test_without_dask_installed_the_error_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    with pytest.raises(DaskUnavailableError, match=r"pip install -e '\.\[dask\]'"):
        list(map_unordered(abs, [1, -2], workers=2, scheduler="dask"))


def test_the_process_pool_keeps_its_contract_in_this_process_with_one_worker() -> None:
    assert sorted(map_unordered(abs, [3, -1, -2], workers=1)) == [1, 2, 3]
