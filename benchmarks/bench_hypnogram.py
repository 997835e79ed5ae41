"""Acceptance of the synthetic hypnograms against the real ones (synthetic.md §2.6).

    python benchmarks/bench_hypnogram.py [--nights 500] [--seed 0]

For each dataset, samples ``--nights`` nights (at least 50) with `generate_hypnogram` at the
dataset's typical time in bed and compares them with `hypnogram_stats.TARGETS` on the same scope as
the real statistic: the epoch-to-epoch matrix within ±0.03 (diagonal ±0.02), stage proportions and
sleep-period thirds (N3, REM shares) within ±0.03, bout medians within ±1 epoch. SHHS has no real
night: its sleep-period matrix and proportions are compared with the §2.4 recipe and its whole-night
W share with 0.25-0.30. P2018's bouts come from two nights only and are shown, not judged.
Prints one table per dataset and exits 1 if any check fails; ``--repeat R`` instead prints how
many of R independent samples pass (the sampling noise of ``--nights`` nights against the tolerances).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from estimate_hypnogram_stats import bout_stats, proportions, sleep_period, thirds, transition_matrix  # noqa: E402

from sleepdg.epochs import trim_wake  # noqa: E402
from sleepdg.params import DATASETS  # noqa: E402
from sleepdg.synth.hypnogram import generate_hypnogram  # noqa: E402
from sleepdg.synth.hypnogram_stats import TARGETS  # noqa: E402

NAMES = ("W", "N1", "N2", "N3", "REM")
TOL, TOL_DIAG, TOL_BOUT = 0.03, 0.02, 1.0


def scoped(dataset: str, stages: np.ndarray) -> np.ndarray:
    """The part of a night the real statistic was computed on (TARGETS[ds]['scope'])."""
    scope = TARGETS[dataset]["scope"]
    if scope == "trimmed_60_60":
        return stages[trim_wake(stages, 60, 60)]
    if scope == "sleep_period":
        return stages[sleep_period(stages)]
    return stages


def fmt(values: object) -> str:
    return " ".join(f"{v:5.3f}" if isinstance(v, float) else f"{v:5}" for v in np.asarray(values).tolist())


def check(dataset: str, n_nights: int, seed: int) -> bool:
    target = TARGETS[dataset]
    hours = target["typical_hours"]
    t0 = time.perf_counter()
    whole = [
        generate_hypnogram(dataset, hours, np.random.default_rng([seed, i])).expected_stages()
        for i in range(n_nights)
    ]
    elapsed = time.perf_counter() - t0
    nights = [scoped(dataset, s) for s in whole]
    ok = True
    print(
        f"\n== {dataset}: {n_nights} nights at {hours:.2f} h in bed, scope {target['scope']}, {elapsed:.2f} s"
    )
    got, want = transition_matrix(nights), np.asarray(target["matrix"])
    diff = np.abs(got - want)
    diag_ok = bool(np.all(np.diag(diff) <= TOL_DIAG))
    off_ok = bool(np.all(diff[~np.eye(5, dtype=bool)] <= TOL))
    ok &= diag_ok and off_ok
    verdict = "PASS" if diag_ok and off_ok else "FAIL"
    print(
        f"  matrix (sampled | target)   max |diff| off-diagonal {diff[~np.eye(5, dtype=bool)].max():.3f} "
        f"(tol {TOL}), diagonal {np.diag(diff).max():.3f} (tol {TOL_DIAG})  {verdict}"
    )
    for k in range(5):
        print(f"    {NAMES[k]:>3}  {fmt(got[k])}  |  {fmt(want[k])}")
    rows: list[tuple[str, Any, Any, float | None]] = [
        ("proportions", proportions(nights), target["proportions"], TOL)
    ]
    if target["n3_thirds"] is not None:
        n3, rem = thirds(nights)
        rows += [("N3 thirds", n3, target["n3_thirds"], TOL), ("REM thirds", rem, target["rem_thirds"], TOL)]
    if target["bout_median"] is not None:
        judged = not target.get("bouts_from_two_nights", False)
        rows.append(
            (
                "bout medians",
                bout_stats(nights)["median"],
                target["bout_median"],
                TOL_BOUT if judged else None,
            )
        )
    for name, g, w, tol in rows:
        d = np.abs(np.asarray(g, float) - np.asarray(w, float)).max()
        verdict = "shown only" if tol is None else ("PASS" if d <= tol else "FAIL")
        ok &= tol is None or d <= tol
        print(f"  {name:<13} {fmt(g)}  |  {fmt(w)}   max |diff| {d:.3f}  {verdict}")
    if "whole_w_share" in target:
        lo, hi = target["whole_w_share"]
        share = proportions(whole)[0]
        ok &= lo <= share <= hi
        print(
            f"  whole-night W share {share:.3f} (target {lo}-{hi})  {'PASS' if lo <= share <= hi else 'FAIL'}"
        )
        n3, rem = thirds(nights)
        print(f"  N3 thirds {fmt(n3)}   REM thirds {fmt(rem)}   (no real SHHS thirds; shown only)")
    return ok


def pass_rates(datasets: list[str], n_nights: int, seed: int, repeat: int) -> None:
    """How often a sample of ``n_nights`` passes every check (sampling noise against the tolerances)."""
    import contextlib
    import io

    for dataset in datasets:
        passed = 0
        for r in range(repeat):
            with contextlib.redirect_stdout(io.StringIO()):
                passed += check(dataset, n_nights, seed + r)
        print(f"{dataset}: {passed}/{repeat} samples of {n_nights} nights pass every check")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument(
        "--repeat", type=int, default=1, help="independent samples; >1 prints pass rates only"
    )
    args = parser.parse_args()
    if args.nights < 50:
        parser.error("§2.6 judges at least 50 nights")
    if args.repeat > 1:
        pass_rates(args.datasets, args.nights, args.seed, args.repeat)
        return
    results = {ds: check(ds, args.nights, args.seed) for ds in args.datasets}
    print("\n" + "  ".join(f"{ds}: {'PASS' if ok else 'FAIL'}" for ds, ok in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
