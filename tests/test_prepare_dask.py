"""prepare_dataset with ``runtime.scheduler: dask``: a real LocalCluster of 2 worker processes, one
of which dies half-way through writing a recording; the run still ends with the process pool's store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sleepdg.params import Params, ParamsError, parse_params
from sleepdg.prepare import prepare_dataset
from sleepdg.store import open_recording, recording_attrs

pytestmark = pytest.mark.xdist_group("dask")

RECORDS = ("SN001", "SN002", "SN003")
VICTIM = "SN001"  # the first task: the restart overlaps the others

# Loaded by every Dask worker at start-up (distributed.worker.preload accepts a script's text): the
# first worker to write VICTIM writes half of it plus a stray file, leaves a marker, and dies at once.
# The nanny restarts it (it reloads this script; the marker keeps it from dying again).
CRASH_ONCE = """
import os
from pathlib import Path

import sleepdg.prepare

_write = sleepdg.prepare.write_recording


def dask_setup(worker):
    def write_or_die(store_path, record_id, x, y, attrs):
        marker = Path({marker!r})
        if record_id == {victim!r} and not marker.exists():
            _write(store_path, record_id, x[: len(x) // 2], y[: len(y) // 2], attrs)
            (Path(store_path) / record_id / "x" / "stray-chunk").write_bytes(b"half-written")
            marker.write_text(str(os.getpid()))
            os._exit(1)
        _write(store_path, record_id, x, y, attrs)

    sleepdg.prepare.write_recording = write_or_die
"""


def _hmc_raw(root: Path) -> Path:
    from sleepdg.manifest import entry_for, write_manifest
    from tests.native_files import write_hmc

    raw = root / "raw" / "hmc"
    stages = [0] * 4 + [1, 2, 2, 3, 3, 2, 4, 4] * 3 + [0] * 2
    for record in RECORDS:
        write_hmc(raw / "recordings", record, stages)
    write_manifest(raw, [entry_for(raw, p) for p in sorted(raw.rglob("*")) if p.is_file()])
    return raw


def _files(store: Path) -> list[str]:
    return sorted(p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file())


def _params() -> Params:
    return parse_params({})


def test_a_local_dask_cluster_whose_worker_dies_mid_write_still_writes_the_process_pools_store(
    tmp_path: Path,
) -> None:
    import dask

    raw = _hmc_raw(tmp_path)
    marker = tmp_path / "worker-died"
    reference, out = tmp_path / "processes" / "hmc", tmp_path / "dask" / "hmc"
    prepare_dataset("hmc", raw, reference, _params(), workers=1, scheduler="processes")
    crash = CRASH_ONCE.format(marker=str(marker), victim=VICTIM)
    with dask.config.set({"distributed.worker.preload": [crash]}):
        report = prepare_dataset("hmc", raw, out, _params(), workers=2, scheduler="dask")
    assert marker.is_file()  # a worker did die half-way through VICTIM
    assert report.n_recordings == len(RECORDS) and not report.skipped
    pd.testing.assert_frame_equal(
        pd.read_parquet(reference / "index.parquet"), pd.read_parquet(out / "index.parquet")
    )
    assert _files(out / "store.zarr") == _files(reference / "store.zarr")  # no stray chunk left
    expected, store = reference / "store.zarr", out / "store.zarr"
    for record in RECORDS:
        x_ref, y_ref = open_recording(expected, record)
        x, y = open_recording(store, record)
        np.testing.assert_array_equal(x[:], x_ref[:])
        np.testing.assert_array_equal(y, y_ref)
        assert recording_attrs(store, record) == recording_attrs(expected, record)
    assert sorted(p.name for p in out.parent.iterdir()) == ["hmc"]  # no temporary folder left


@pytest.mark.parametrize("scheduler", ["Dask", "ray", "http://scheduler:8786", "tcp://"])
def test_an_unknown_scheduler_is_refused_naming_the_accepted_forms(scheduler: str) -> None:
    with pytest.raises(ParamsError, match=r"runtime\.scheduler: expected processes, dask .*tcp://host:port"):
        parse_params({"runtime": {"scheduler": scheduler}})


@pytest.mark.parametrize("scheduler", ["processes", "dask", "tcp://10.0.0.5:8786", "tls://[::1]:8786"])
def test_the_scheduler_accepts_the_pool_a_local_cluster_or_a_cluster_address(scheduler: str) -> None:
    assert parse_params({"runtime": {"scheduler": scheduler}}).runtime.scheduler == scheduler
