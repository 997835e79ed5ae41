"""Speed-up of ``sleepdg prepare`` from 1 to 2 workers: process pool vs a local Dask cluster.

Writes ``--nights`` synthetic SHHS nights of ``--hours`` h (native EDF + NSRR XML, as the download
stage does), then prepares them with ``runtime.scheduler`` ``processes`` and ``dask`` at 1 and 2
workers, each run in a fresh interpreter (so every configuration pays its own imports, pool or
cluster start-up, as a ``sleepdg prepare`` does). Reported per run: seconds, nights per minute,
speed-up over ``processes`` with 1 worker (in-process, no pool), and the parallel efficiency.

Then the fixed costs that bound the scaling to a cluster:
- start-up: a LocalCluster of N workers ready, then closed;
- per-task overhead: ``map_unordered`` of a no-op over many items on a 2-worker cluster;
- per-worker import: ``import sleepdg.prepare`` + the SHHS reader in a fresh interpreter;
- I/O per night: raw bytes read, prepared bytes written.

    python benchmarks/bench_prepare_dask.py [--nights 8] [--hours 8] [--repeat 3] [--workdir DIR]

On a shared machine the absolute times are noisy; the ratios come from one invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from sleepdg.params import parse_params
from sleepdg.prepare import prepare_dataset
raw, out, scheduler, workers = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
t1 = time.perf_counter()
report = prepare_dataset("shhs", raw, out, parse_params({}), workers=workers, scheduler=scheduler)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "prepare_s": t2 - t1, "n": report.n_recordings}))
"""

OVERHEAD = r"""
import json, sys, time
from sleepdg.dask_cluster import dask_client
from sleepdg.executor import map_unordered
n_tasks = int(sys.argv[1])
out = {}
for workers in (1, 2):
    t0 = time.perf_counter()
    with dask_client("dask", workers):
        t1 = time.perf_counter()
    out[f"start_close_{workers}_s"] = time.perf_counter() - t0
    out[f"start_{workers}_s"] = t1 - t0
t0 = time.perf_counter()
results = list(map_unordered(abs, range(-n_tasks, 0), workers=2, scheduler="dask"))
total = time.perf_counter() - t0
assert len(results) == n_tasks
out["map_noop_s"] = total
out["per_task_ms"] = 1000 * (total - out["start_close_2_s"]) / n_tasks
print(json.dumps(out))
"""

IMPORTS = "import sleepdg.prepare, sleepdg.datasets.shhs, sleepdg.preprocess"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # one compute thread per worker process, as dask's nanny sets
    return env


def _write_nights(raw: Path, nights: int, hours: float) -> None:
    marker = raw / f".bench-{nights}x{hours}h"
    if marker.exists():
        return
    from sleepdg.synth import write_dataset

    t0 = time.perf_counter()
    write_dataset("shhs", raw, n_recordings=nights, hours=hours, seed=0, workers=2)
    marker.write_text("")
    print(f"wrote {nights} synthetic SHHS nights of {hours:g} h in {time.perf_counter() - t0:.0f} s")


def _prepare(raw: Path, out: Path, scheduler: str, workers: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(raw), str(out), scheduler, str(workers)],
        capture_output=True, text=True, env=_env(), check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{scheduler} x{workers} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--tasks", type=int, default=400, help="no-op tasks for the per-task overhead")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench_prepare_dask"))
    args = parser.parse_args()
    raw, out = args.workdir / "raw" / "shhs", args.workdir / "prepared"
    _write_nights(raw, args.nights, args.hours)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    runs = [("processes", 1), ("processes", 2), ("dask", 1), ("dask", 2)]
    times: dict[tuple[str, int], list[float]] = {run: [] for run in runs}
    for round_ in range(args.repeat):  # interleaved rounds: a load spike hits every configuration alike
        for scheduler, workers in runs:
            r = _prepare(raw, out / f"{scheduler}{workers}", scheduler, workers)
            times[(scheduler, workers)].append(r["prepare_s"])
            print(f"  round {round_ + 1}: {scheduler:>9} x{workers}: {r['prepare_s']:6.1f} s", flush=True)
    results = {run: {"prepare_s": statistics.median(t), "n": args.nights} for run, t in times.items()}
    base = results[("processes", 1)]["prepare_s"]
    print(
        f"\nprepare of {args.nights} SHHS nights x {args.hours:g} h "
        f"(median of {args.repeat} rounds, a fresh interpreter per run)"
    )
    print("| scheduler | workers | seconds | nights/min | speed-up vs processes x1 | efficiency |")
    print("|---|---|---|---|---|---|")
    for (scheduler, workers), r in results.items():
        speedup = base / r["prepare_s"]
        print(
            f"| {scheduler} | {workers} | {r['prepare_s']:.1f} | {60 * r['n'] / r['prepare_s']:.1f} | "
            f"{speedup:.2f}x | {speedup / workers:.0%} |"
        )
    d1, d2 = results[("dask", 1)]["prepare_s"], results[("dask", 2)]["prepare_s"]
    p2 = results[("processes", 2)]["prepare_s"]
    print(f"dask 1 -> 2 workers: {d1 / d2:.2f}x; dask x2 takes {d2 / p2:.2f} times as long as processes x2")

    proc = subprocess.run(
        [sys.executable, "-c", OVERHEAD, str(args.tasks)],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    fixed = json.loads(proc.stdout.strip().splitlines()[-1])
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], env=_env(), check=True)
    import_s = time.perf_counter() - t0
    raw_mb, prepared_mb = _size_mb(raw) / args.nights, _size_mb(out / "dask2") / args.nights
    per_night = results[("processes", 1)]["prepare_s"] / args.nights
    print("\nfixed costs")
    start = f"{fixed['start_1_s']:.1f} s (1 worker), {fixed['start_2_s']:.1f} s (2 workers)"
    print(f"- LocalCluster start: {start}; start + close {fixed['start_close_2_s']:.1f} s")
    print(f"- per-task overhead (no-op over {args.tasks} tasks, 2 workers): {fixed['per_task_ms']:.1f} ms")
    print(f"- per-worker import of sleepdg.prepare + SHHS reader (fresh interpreter): {import_s:.1f} s")
    print(f"- one night: {per_night:.1f} s of work, {raw_mb:.0f} MB raw read, {prepared_mb:.0f} MB written "
          f"({(raw_mb + prepared_mb) / per_night:.0f} MB/s of I/O per busy worker)")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
