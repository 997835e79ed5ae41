"""Time `sleepdg.predict` on an 8-h night, from the EDF file to the written hypnogram.

    python benchmarks/bench_predict.py [--hours 8] [--repeats 3] [--threads N]

Writes an 8-h EDF (EEG C4-M1 and EOG E1-M2 at 256 Hz, EMG and ECG beside them) and an untrained
checkpoint of each model preset (`small`, the default, and `paper`; weights do not change the
time), runs `predict` once to warm up (imports, filter design) and then ``--repeats`` times, and
prints the median seconds of each phase: load (checkpoint), read (the two channels), preprocess
(resample, band-pass, epochs, z-score), model (windows of 20 epochs plus one aligned to the end)
and write (CSV, EDF+, PNG). YASA stages a night in about 1.3 s on this machine (its feature
extraction and LightGBM, EEG + EOG); the comparable figure here is read + preprocess + model.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

YASA_S = 1.3  # YASA's whole-night staging on this machine (the figure)
PHASES = ("load", "read", "preprocess", "model", "write")


def write_night(path: Path, hours: float, sfreq_hz: float = 256.0) -> Path:
    """An EDF with EEG, EOG, EMG and ECG of noise shaped like µV-scale PSG, ``hours`` long."""
    from sleepdg.io.edf import EdfChannel, write_edf

    rng = np.random.default_rng(0)
    n = int(hours * 3600 * sfreq_hz)
    labels = ("EEG C4-M1", "EOG E1-M2", "EMG chin", "ECG")
    channels = [
        EdfChannel(label, (25.0 * rng.standard_normal(n)).astype(np.float32), sfreq_hz, (-500.0, 500.0))
        for label in labels
    ]
    write_edf(path, channels, start=datetime(2024, 1, 1, 22, 0), record_duration_s=1.0)
    return path


def write_checkpoint(path: Path, preset: str) -> Path:
    """An untrained model of ``preset`` saved as a sleepdg checkpoint."""
    from sleepdg.model import PRESETS, SleepDIFFormer
    from sleepdg.params import PrepareCommon
    from sleepdg.train import save_checkpoint

    config = PRESETS[preset]
    common = PrepareCommon().model_dump(mode="json")
    save_checkpoint(path, SleepDIFFormer(config, seed=0), config, preprocess={"common": common}, params={},
                    fold=None, sources={}, best={})  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import torch

    from sleepdg.predict import predict

    print(f"imports: {time.perf_counter() - t0:.1f} s (once per process)")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.hours:g}-h night\n")
    with tempfile.TemporaryDirectory(prefix="bench_predict_") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        night = write_night(root / "night.edf", args.hours)
        print(f"wrote {night.stat().st_size / 2**20:.0f} MB EDF in {time.perf_counter() - t:.1f} s\n")
        header = f"{'preset':8} " + " ".join(f"{p:>10}" for p in PHASES) + f" {'staging':>10} {'vs YASA':>8}"
        print(header + "\n" + "-" * len(header))
        for preset in ("small", "paper"):
            checkpoint = write_checkpoint(root / f"{preset}.pt", preset)
            first = predict(night, checkpoint, root / "out")  # warm-up: filter design, first-call costs
            runs = [predict(night, checkpoint, root / "out").timings_s for _ in range(args.repeats)]
            median = {p: statistics.median(r[p] for r in runs) for p in PHASES}
            staging = median["read"] + median["preprocess"] + median["model"]
            cells = " ".join(f"{median[p]:10.3f}" for p in PHASES)
            print(f"{preset:8} {cells} {staging:10.3f} {staging / YASA_S:7.2f}x")
            print(f"{'':8} (first call: {sum(first.timings_s.values()):.2f} s; {first.stages.size} epochs)")
    print(f"\nstaging = read + preprocess + model (seconds, median of {args.repeats}); YASA: {YASA_S} s")


if __name__ == "__main__":
    main()
