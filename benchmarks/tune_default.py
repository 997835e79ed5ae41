"""Run the five LODO folds and the in-domain controls of one params file; print the domain-gap table.

Usage::

    python benchmarks/tune_default.py                                   # params.yaml, /tmp/tune_default
    python benchmarks/tune_default.py --params params.yaml --work /tmp/tuner/run1 \\
        --set synthetic.shift_scale.hmc=1.2 --set train.epochs=8 --jobs 2

Everything happens under ``--work`` through the ``sleepdg`` command line (``download``, ``prepare``,
``train``, ``evaluate``, ``indomain``), as ``dvc repro`` runs it, without DVC. Prepared datasets are
cached under ``--cache`` by what they depend on (the synthetic and prepare params of the dataset,
and the source of the generator, readers and preprocessing), so changing one dataset's
``synthetic.shift_scale`` regenerates that dataset alone.

Per fold: LODO accuracy and macro-F1 (``reports/<fold>/metrics.json``), the in-domain accuracy of
the same configuration (``sleepdg indomain <fold>``: disjoint subjects of the target itself), the
gap in points (in-domain − LODO; target 5–15), and the ``train`` stage's wall and CPU seconds
(children's user + system time). ``--jobs 2`` runs two commands at a time: meant with
``runtime.threads: 1`` for tuning on a shared machine; the per-fold times then include contention,
so measure the final time with ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DATASETS = ("sleepedf", "hmc", "isruc", "shhs", "p2018")
DATA_CODE = (
    "sleepdg/synth", "sleepdg/io", "sleepdg/datasets", "sleepdg/download", "sleepdg/prepare.py",
    "sleepdg/preprocess.py", "sleepdg/epochs.py", "sleepdg/store.py", "sleepdg/channels.py",
)  # fmt: skip


def set_dotted(raw: dict[str, Any], assignment: str) -> None:
    """Apply ``a.b.c=value`` (value parsed as YAML) to a nested params mapping."""
    key, _, value = assignment.partition("=")
    *parents, leaf = key.strip().split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = yaml.safe_load(value)


def code_digest(paths: tuple[str, ...]) -> str:
    """sha256 over the Python sources the prepared data depend on."""
    h = hashlib.sha256()
    for rel in paths:
        root = REPO / rel
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            h.update(str(f.relative_to(REPO)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def data_key(raw: dict[str, Any], ds: str, code: str) -> str:
    """Cache key of one prepared dataset."""
    syn = raw["synthetic"]
    what = {
        "seed": syn.get("seed", 0),
        "recordings": syn["recordings"],
        "hours": syn["hours"],
        "lam": syn["shift_scale"][ds],
        "common": raw["prepare"]["common"],
        "ds": raw["prepare"][ds],
        "code": code,
    }
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:10]
    return f"{ds}-r{syn['recordings']}-h{syn['hours']:g}-l{syn['shift_scale'][ds]:g}-{digest}"


def run(cmd: list[str], log: Path) -> tuple[float, float]:
    """Run a command (output to ``log``); wall and CPU seconds (user + system of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}; see {log}")
    # RUSAGE_CHILDREN sums every waited-for child: exact with --jobs 1, shared between threads otherwise
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_timed(cmd: list[str], log: Path) -> tuple[float, float]:
    """Like `run`, CPU time from GNU time's report of this child alone (safe with parallel jobs)."""
    timing = log.with_suffix(".time")
    wall, _ = run(["/usr/bin/time", "-f", "%U %S", "-o", str(timing), *cmd], log)
    user, system = (float(v) for v in timing.read_text().split()[-2:])
    return wall, user + system


def prepare_data(raw: dict[str, Any], params: Path, cache: Path, root: Path, logs: Path) -> dict[str, float]:
    """Generate and prepare each dataset into the cache (if missing); link it into ``root``."""
    code = code_digest(DATA_CODE)
    root.mkdir(parents=True, exist_ok=True)
    seconds = {}
    for ds in DATASETS:
        entry = cache / data_key(raw, ds, code)
        if not (entry / "prepared" / ds / "index.parquet").exists():
            w1, _ = run_timed(
                [
                    "sleepdg",
                    "download",
                    ds,
                    "--params",
                    str(params),
                    "--out",
                    str(entry / "raw"),
                    "--no-progress",
                ],
                logs / f"download-{ds}.log",
            )
            w2, _ = run_timed(["sleepdg", "prepare", ds, "--params", str(params), "--raw", str(entry / "raw"),
                               "--out", str(entry / "prepared")], logs / f"prepare-{ds}.log")  # fmt: skip
            seconds[ds] = w1 + w2
            print(f"{ds}: generated in {w1:.0f} s, prepared in {w2:.0f} s -> {entry}", flush=True)
        link = root / ds
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(entry / "prepared" / ds, target_is_directory=True)
    return seconds


def fold_job(ds: str, params: Path, work: Path, lodo: bool, indomain: bool) -> dict[str, float]:
    """Train + evaluate fold ``ds`` and/or its in-domain control; metrics and times."""
    common = ["--params", str(params), "--prepared", str(work / "prepared")]
    row: dict[str, float] = {}
    if lodo:
        row["train_wall"], row["train_cpu"] = run_timed(
            ["sleepdg", "train", "--fold", ds, *common, "--out", str(work / "models"),
             "--scratch", str(work / "scratch" / "train"), "--no-progress"],
            work / "logs" / f"train-{ds}.log",
        )  # fmt: skip
        row["eval_wall"], row["eval_cpu"] = run_timed(
            ["sleepdg", "evaluate", "--fold", ds, *common, "--models", str(work / "models"),
             "--out", str(work / "reports"), "--no-progress"], work / "logs" / f"evaluate-{ds}.log",
        )  # fmt: skip
        m = json.loads((work / "reports" / ds / "metrics.json").read_text())
        row.update(
            acc=m["acc"],
            macro_f1=m["macro_f1"],
            kappa=m["kappa"],
            **{f"lodo_f1_{k}": m[f"f1_{k}"] for k in ("W", "N1", "N2", "N3", "REM")},
        )
    if indomain:
        row["in_wall"], row["in_cpu"] = run_timed(
            ["sleepdg", "indomain", ds, *common, "--models", str(work / "models"),
             "--reports", str(work / "reports"), "--scratch", str(work / "scratch" / "indomain"),
             "--no-progress"], work / "logs" / f"indomain-{ds}.log",
        )  # fmt: skip
        m = json.loads((work / "reports" / f"indomain-{ds}" / "metrics.json").read_text())
        row.update(in_acc=m["acc"], in_macro_f1=m["macro_f1"])
    print(f"{ds}: {json.dumps({k: round(v, 4) for k, v in row.items()})}", flush=True)
    return row


def table(rows: dict[str, dict[str, float]]) -> str:
    """The per-fold table as Markdown."""
    nan = float("nan")
    lines = [
        "| fold | LODO acc | LODO macro-F1 | in-domain acc | in-domain macro-F1 | gap (points) "
        "| train wall s | train CPU s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for ds, r in rows.items():
        gap = 100 * (r.get("in_acc", nan) - r.get("acc", nan))
        lines.append(
            f"| {ds} | {r.get('acc', nan):.3f} | {r.get('macro_f1', nan):.3f} | {r.get('in_acc', nan):.3f} "
            f"| {r.get('in_macro_f1', nan):.3f} | {gap:+.1f} | {r.get('train_wall', nan):.0f} "
            f"| {r.get('train_cpu', nan):.0f} |"
        )
    wall = sum(r.get("train_wall", 0.0) for r in rows.values())
    cpu = sum(r.get("train_cpu", 0.0) for r in rows.values())
    lines.append(f"| total train | | | | | | {wall:.0f} | {cpu:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--work", type=Path, default=Path("/tmp/tune_default"))
    parser.add_argument(
        "--cache", type=Path, default=None, help="prepared-data cache (default WORK/../cache)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a param")
    parser.add_argument("--folds", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--no-lodo", action="store_true", help="in-domain controls only")
    parser.add_argument("--no-indomain", action="store_true", help="LODO folds only")
    parser.add_argument("--jobs", type=int, default=1, help="commands at a time (use runtime.threads: 1)")
    args = parser.parse_args()

    raw = yaml.safe_load(args.params.read_text())
    raw = copy.deepcopy(raw)
    for assignment in args.set:
        set_dotted(raw, assignment)
    work = args.work.resolve()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    params = work / "params.yaml"
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    cache = (args.cache or work.parent / "cache").resolve()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    print(f"params {params} (from {args.params}, {args.set or 'no overrides'}); load {os.getloadavg()}")
    print(f"synthetic: {json.dumps(raw['synthetic'])}\nmodel: {json.dumps(raw['model'])}")
    print(f"train: {json.dumps(raw['train'])}\nruntime: {json.dumps(raw.get('runtime'))}", flush=True)

    t0 = time.perf_counter()
    prepare_data(raw, params, cache, work / "prepared", work / "logs")
    t_data = time.perf_counter() - t0
    jobs = [(ds, True, False) for ds in args.folds if not args.no_lodo]
    jobs += [(ds, False, True) for ds in args.folds if not args.no_indomain]
    results: dict[str, dict[str, float]] = {ds: {} for ds in args.folds}
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [(ds, pool.submit(fold_job, ds, params, work, lodo, ind)) for ds, lodo, ind in jobs]
        for ds, future in futures:
            results[ds].update(future.result())
    (work / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\ndata {t_data:.0f} s wall; all {time.perf_counter() - t0:.0f} s wall; load {os.getloadavg()}")
    print(table(results))


if __name__ == "__main__":
    main()
