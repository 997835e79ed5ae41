"""Does loading sequences from Zarr keep up with the training step? Prints sequences/s of both.

Usage::

    python benchmarks/bench_loader.py                       # builds synthetic-sized stores in /tmp
    python benchmarks/bench_loader.py --prepared data/prepared --sources hmc isruc shhs p2018

Loader variants: windows read from Zarr by the main process (0 workers) or by 1–2 DataLoader
workers, and the signals loaded into memory once (``runtime.preload_mb``), with the load time.
The step is forward + loss + backward + Adam step of the default (``small``) model with batch 16
on this machine's CPU. The machine is shared, so compare the ratios of one run, not absolute figures.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from sleepdg.params import Params
from sleepdg.store import INDEX_COLUMNS, INDEX_NAME, STORE_NAME, init_store, write_recording
from sleepdg.train.data import RecordingArrays, SequenceDataset, open_sources
from sleepdg.train.sampler import shuffled_sampler


def build_stores(root: Path, datasets: list[str], n_records: int, n_epochs: int) -> None:
    """Stores of z-scored noise (compresses like real EEG: ratio ~1.1), one subject per recording."""
    import pandas as pd

    rng = np.random.default_rng(0)
    for ds in datasets:
        init_store(root / ds / STORE_NAME)
        rows = []
        for i in range(n_records):
            x = rng.standard_normal((n_epochs, 2, 3000), dtype=np.float32)
            y = rng.integers(0, 5, n_epochs).astype(np.int8)
            write_recording(root / ds / STORE_NAME, f"{ds}-{i}", x, y, {"sfreq_hz": 100.0})
            rows.append(
                {c: 0 for c in INDEX_COLUMNS}
                | {"dataset": ds, "record_id": f"{ds}-{i}", "subject_id": f"{ds}-{i}", "n_epochs": n_epochs}
            )
        pd.DataFrame(rows, columns=list(INDEX_COLUMNS)).to_parquet(root / ds / INDEX_NAME, index=False)


def loader_rate(dataset: SequenceDataset, batch: int, workers: int, n_batches: int) -> float:
    """Sequences per second of a shuffled DataLoader over ``n_batches`` batches (after one warm-up)."""
    sampler = shuffled_sampler(dataset, seed=0)
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers)
    it = iter(loader)
    next(it)  # worker start-up and first open are not throughput
    t0 = time.perf_counter()
    n = sum(x.shape[0] for x, _, _ in itertools.islice(it, n_batches))
    return n / (time.perf_counter() - t0)


def step_rate(batch: int, n_steps: int) -> float | None:
    """Sequences per second of full training steps of the default model, or None without a model."""
    try:
        from sleepdg import losses, model
    except ImportError as exc:
        print(f"training step: not measured ({exc})")
        return None
    params = Params()
    net = model.SleepDIFFormer(model.config_from_params(params.model, seq_len=20))
    opt = torch.optim.Adam(net.parameters(), lr=5e-4, weight_decay=5e-5)
    x = torch.randn(batch, 20, 2, 3000)
    y = torch.randint(0, 5, (batch, 20))
    d = torch.arange(batch) % 4
    net.train()

    def step() -> None:
        loss, _ = losses.total_loss(net(x), x, y, d)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(n_steps):
        step()
    return batch * n_steps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prepared", type=Path, help="existing prepared root; default: build one in /tmp")
    parser.add_argument("--sources", nargs="+", default=["hmc", "isruc", "shhs", "p2018"])
    parser.add_argument("--records", type=int, default=8, help="recordings per dataset when building")
    parser.add_argument("--epochs", type=int, default=960, help="30-s epochs per recording when building")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--batches", type=int, default=40, help="batches timed per loader variant")
    parser.add_argument("--steps", type=int, default=5, help="training steps timed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="bench_loader_", dir="/tmp") as tmp:
        root = args.prepared
        if root is None:
            root = Path(tmp)
            t0 = time.perf_counter()
            build_stores(root, args.sources, args.records, args.epochs)
            print(
                f"built {len(args.sources)} x {args.records} recordings x {args.epochs} epochs "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        index = open_sources(root, args.sources)
        lazy = SequenceDataset(index)
        print(f"{len(index)} windows of 20 epochs; signals {lazy.arrays.nbytes() / 2**20:.0f} MB as float32")
        rates = {f"zarr, {w} workers": loader_rate(lazy, args.batch, w, args.batches) for w in (0, 1, 2)}
        arrays = RecordingArrays(index.records)
        t0 = time.perf_counter()
        arrays.load_into_memory()
        print(f"load into memory: {time.perf_counter() - t0:.1f} s")
        rates["memory, 0 workers"] = loader_rate(SequenceDataset(index, arrays), args.batch, 0, args.batches)
        step = step_rate(args.batch, args.steps)
        for name, rate in rates.items():
            ratio = f"  ({rate / step:.0f}x the training step)" if step else ""
            print(f"loader {name:<18} {rate:9.1f} sequences/s{ratio}")
        if step:
            print(
                f"training step (small model, batch {args.batch}, CPU, {torch.get_num_threads()} threads): "
                f"{step:.1f} sequences/s"
            )


if __name__ == "__main__":
    main()
