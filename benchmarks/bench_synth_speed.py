"""Generation time of synthetic nights per dataset: model channels of 8 h, and a full native night.

Usage:
    python benchmarks/bench_synth_speed.py [--repeats 3] [--hours 8]

"model": `synthesize_night(..., channels="model")` on 8 h of stages (960 epochs); budget 2 s.
"full": every native channel of a `generate_hypnogram(dataset, hours)` night (Sleep-EDF's cassette
night is ~22 h with its wake padding); budget 15 s. Reports the best of ``--repeats`` runs in wall
and CPU seconds (the machine is shared: CPU time is the steadier figure) and the load average.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from sleepdg.params import DATASETS, ShiftScale
from sleepdg.synth.hypnogram import generate_hypnogram
from sleepdg.synth.physiology import synthesize_night
from sleepdg.synth.profiles import scaled_profile


def _best(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def _seeded(fn: Callable[[np.random.Generator], object], seed: int) -> Callable[[], object]:
    """``fn`` called with a fresh generator of ``seed`` (the same night on every repeat)."""

    def call() -> object:
        return fn(np.random.default_rng(seed))

    return call


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hours", type=float, default=8.0)
    args = ap.parse_args()
    scales = ShiftScale().model_dump()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'dataset':9s} {'model 8 h':>16s} | {'hours':>5s} {'full: wall s':>12s} {'CPU s':>6s} | MB")
    for ds in DATASETS:
        profile = scaled_profile(ds, scales[ds])
        hyp = generate_hypnogram(ds, args.hours, np.random.default_rng(1))
        n = hyp.n_signal_epochs
        stages_8h = np.resize(hyp.stages[hyp.stages > 0], 960).astype(np.int8)  # 8 h of sleep stages
        model_night = partial(synthesize_night, profile, stages_8h, channels="model")
        model = _best(_seeded(model_night, 2), args.repeats)
        full_night = partial(synthesize_night, profile, hyp.stages[:n], movement=hyp.movement[:n])
        whole = _best(_seeded(full_night, 3), args.repeats)
        mb = sum(x.nbytes for x, _ in full_night(np.random.default_rng(3)).values()) / 1e6
        print(
            f"{ds:9s} {model[0]:6.2f} s ({model[1]:4.2f} CPU) | {n / 120:5.1f} "
            f"{whole[0]:12.2f} {whole[1]:6.2f} | {mb:4.0f}"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
