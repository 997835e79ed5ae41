"""Speed of SleepDIFFormer on CPU: training step, night inference, CNN throughput, parameter counts.

    python benchmarks/bench_model.py [--reference-dir /tmp/model/ref] [--threads 2] [--repeats 5]

Rows (same weights and inputs for every model of a table; variants run interleaved, so a load
change on a shared machine hits all of them alike; ratios use each row's minimum and median):
- train step: 8 sequences × 20 epochs, forward + losses + backward + clip + Adam.
- night: 960 epochs (48 sequences × 20) in eval mode under ``torch.inference_mode``.
Models: ``reference class`` (the published code, imported from --reference-dir, a checkout of
github.com/Ben1001409/SleepDIFFormer; skipped without it), ``ours as reference`` (paper preset,
stacking=reference, every MDTA layer run in full, decoder and attention maps computed, as the
reference does), ``ours`` (paper preset, stacking=reference, what training and predict run),
``ours chained`` and the ``small`` preset.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sleepdg.losses import total_loss
from sleepdg.model import PRESETS, SleepDIFFormer
from sleepdg.model.reference import model_from_reference_state

Step = Callable[[], object]


def _train_step(model: nn.Module, x: Tensor, y: Tensor, domains: Tensor, *, reference: bool = False) -> Step:
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=5e-5)

    def step() -> None:
        model.train()
        # the reference's Model.forward returns (logits, recon, mu, attention) like ours
        out = model(x) if reference else model(x, return_attention=getattr(model, "_bench_full", False))
        loss, _ = total_loss(tuple(out), x, y, domains)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return step


def _night(model: nn.Module, x: Tensor, *, reference: bool = False) -> Step:
    def run() -> None:
        model.eval()
        with torch.inference_mode():
            if reference:
                model.inference(x)  # type: ignore[operator]
            elif getattr(model, "_bench_full", False):
                model(x, decode=True, return_attention=True)
            else:
                model(x)

    return run


CLOCK: Callable[[], float] = time.perf_counter


def _time(rows: dict[str, Step], repeats: int) -> dict[str, list[float]]:
    for fn in rows.values():  # warm-up
        fn()
    times: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(repeats):
        for name, fn in rows.items():
            start = CLOCK()
            fn()
            times[name].append(CLOCK() - start)
    return times


def _report(title: str, times: dict[str, list[float]], baselines: tuple[str, ...]) -> None:
    print(f"\n## {title}")
    header = f"{'model':34s} {'min s':>8s} {'median s':>9s}"
    present = [b for b in baselines if b in times]
    for b in present:
        header += f"  {'vs ' + b + ' (min/med)':>32s}"
    print(header)
    for name, ts in times.items():
        lo, med = min(ts), statistics.median(ts)
        line = f"{name:34s} {lo:8.3f} {med:9.3f}"
        for b in present:
            line += f"  {lo / min(times[b]):15.2f}/{med / statistics.median(times[b]):<16.2f}"
        print(line)


def _cnn_macs(model: SleepDIFFormer) -> int:
    """Multiply-accumulates of both embedding CNNs for one epoch."""
    c = model.config
    widths, length, total = (1, *c.cnn_channels, c.d_model), c.n_samples, 0
    for i in range(3):
        total += widths[i] * widths[i + 1] * c.kernel_sizes[i] * length
        length //= c.pool_sizes[i]
    return 2 * total


def _cnn_rates(model: SleepDIFFormer, night: Tensor, batch: Tensor, repeats: int) -> None:
    flat_night = night[:, :, 0].reshape(-1, night.shape[-1])
    flat_batch = batch[:, :, 0].reshape(-1, batch.shape[-1])

    def infer() -> None:
        model.eval()
        with torch.inference_mode():
            model.embed_eeg(flat_night)
            model.embed_eog(flat_night)

    def train() -> None:
        model.train()
        (model.embed_eeg(flat_batch).sum() + model.embed_eog(flat_batch).sum()).backward()

    times = _time({"infer": infer, "train": train}, repeats)
    macs = _cnn_macs(model)
    gflop_infer = 2 * macs * flat_night.shape[0] / 1e9
    gflop_train = 3 * 2 * macs * flat_batch.shape[0] / 1e9  # forward + ~2x for the backward
    print("\n## CNN embedding (both modalities)")
    print(f"MACs per epoch: {macs / 1e6:.1f} M; night: {macs * flat_night.shape[0] / 1e9:.1f} GMAC")
    best = min(times["infer"])
    print(f"inference, {flat_night.shape[0]} epochs: {best:.3f} s = {gflop_infer / best:.1f} GFLOP/s")
    print(
        f"training fwd+bwd, {flat_batch.shape[0]} epochs: {min(times['train']):.3f} s = "
        f"{gflop_train / min(times['train']):.1f} GFLOP/s (counting the backward as 2x the forward)"
    )


def _params(models: dict[str, nn.Module]) -> None:
    print("\n## parameters")
    for name, model in models.items():
        print(f"{name:34s} {sum(p.numel() for p in model.parameters()):>12,d}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reference-dir", type=Path, default=None, help="checkout of Ben1001409/SleepDIFFormer"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--night-epochs", type=int, default=960)
    parser.add_argument("--only", choices=("train", "night", "cnn", "params"), action="append")
    parser.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="cpu: this process's CPU seconds, steadier on a shared machine (use with --threads 1)",
    )  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    only = set(args.only or ("train", "night", "cnn", "params"))
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, {args.clock} clock, {args.repeats} repeats")

    reference = None
    if args.reference_dir is not None and args.reference_dir.is_dir():
        from _model_reference import build_reference

        reference = build_reference(args.reference_dir)
        ours = model_from_reference_state(reference.state_dict(), source=str(args.reference_dir))
        full = model_from_reference_state(reference.state_dict(), source=str(args.reference_dir))
    else:
        print("no --reference-dir: the reference rows are skipped")
        ours, full = SleepDIFFormer(PRESETS["paper"], seed=0), SleepDIFFormer(PRESETS["paper"], seed=0)
    full.encoder.run_discarded = True
    full._bench_full = True  # type: ignore[assignment]
    chained = SleepDIFFormer(replace(PRESETS["paper"], stacking="chained"), seed=0)
    chained.load_state_dict(ours.state_dict())
    small = SleepDIFFormer(PRESETS["small"], seed=0)
    models: dict[str, nn.Module] = {}
    if reference is not None:
        models["reference class"] = reference
    models |= {"ours as reference": full, "ours": ours, "ours chained": chained, "ours small": small}
    baselines = ("reference class", "ours as reference")

    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 20, 2, 3000, generator=g)
    y = torch.randint(0, 5, (8, 20), generator=g)
    domains = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    night = torch.randn(args.night_epochs // 20, 20, 2, 3000, generator=g)

    if "params" in only:
        _params(models)
    if "train" in only:
        rows = {k: _train_step(m, x, y, domains, reference=k == "reference class") for k, m in models.items()}
        _report("training step, 8 sequences x 20 epochs", _time(rows, args.repeats), baselines)
    if "night" in only:
        rows = {k: _night(m, night, reference=k == "reference class") for k, m in models.items()}
        _report(f"inference of one night, {args.night_epochs} epochs", _time(rows, args.repeats), baselines)
    if "cnn" in only:
        _cnn_rates(ours, night, x, args.repeats)


if __name__ == "__main__":
    main()
