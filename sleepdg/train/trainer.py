"""Training of one leave-one-dataset-out fold (method.md §6–7): sources in, ``models/<fold>/`` out.

`train_fold` reads the four source datasets only, splits them into training and validation
windows, trains with Adam (coupled L2) or RAdam under a per-batch cosine schedule, keeps the
weights of the best validation epoch (strictly greater), and writes ``model.pt`` and
``train_curve.tsv``. After every epoch it saves a resume state in a scratch folder keyed by the
params hash; a second call with the same params and data continues from there. The sampler comes
from outside and only rank 0 writes, so a DistributedDataParallel launcher can reuse it as is.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from sleepdg import metrics
from sleepdg.atomic import write_text_atomic
from sleepdg.params import Params
from sleepdg.runtime import resolve_device, seed_everything, set_threads
from sleepdg.train import resume
from sleepdg.train.checkpoint import cpu_state_dict, save_checkpoint, unwrap
from sleepdg.train.data import RecordingArrays, SequenceDataset, open_sources, split_train_val
from sleepdg.train.resume import LOSS_TERMS, EpochRecord, Progress
from sleepdg.train.sampler import SamplerFactory, shuffled_sampler

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "model.pt"
CURVE_NAME = "train_curve.tsv"
CURVE_COLUMNS = ("epoch", "lr", *(f"loss_{t}" for t in LOSS_TERMS), "val_acc", "val_macro_f1")


@dataclass(frozen=True)
class TrainResult:
    """What a fold's training produced; paths are None on ranks other than 0."""

    checkpoint: Path | None
    curve: Path | None
    best: dict[str, Any]  # epoch, val_acc, val_macro_f1, select_by
    history: tuple[EpochRecord, ...]
    stopped_early: bool
    resumed_from: int  # epochs already done when this call started (0 = fresh)


EpochCallback = Callable[[EpochRecord], None]


@dataclass
class _Run:
    params: Params
    target: str
    sources: tuple[str, ...]
    seed: int
    device: torch.device
    model: torch.nn.Module  # possibly wrapped (DDP); unwrap() for the bare model
    config: Any
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    train_loader: DataLoader[Any]
    val_loader: DataLoader[Any]
    steps_per_epoch: int
    bf16: bool
    rank: int
    world_size: int = 1


def train_fold(
    params: Params,
    target: str,
    *,
    prepared_root: Path,
    out_dir: Path,
    scratch_root: Path,
    sampler_factory: SamplerFactory | None = None,
    rank: int = 0,
    world_size: int = 1,
    wrap_model: Callable[[torch.nn.Module], torch.nn.Module] | None = None,
    callbacks: Sequence[EpochCallback] = (),
    progress: bool = True,
) -> TrainResult:
    """Train the model of fold ``target`` on its source datasets and write ``out_dir``.

    Parameters
    ----------
    params
        Validated params; reads ``base``, ``folds``, ``model``, ``train``, ``prepare`` (stored in
        the checkpoint for predict) and ``runtime`` (device, threads, bf16, loader workers, preload).
    target
        The held-out dataset; its prepared folder is never opened.
    prepared_root
        Folder of ``<dataset>/index.parquet`` and ``<dataset>/store.zarr``.
    out_dir
        ``models/<fold>``: receives ``model.pt`` and ``train_curve.tsv`` (rank 0 only).
    scratch_root
        Git-ignored folder for resume states (``.scratch/train``); the run's folder is removed
        after the outputs are written.
    sampler_factory
        Builds the training sampler (`shuffled_sampler` by default); gets the fold seed and rank.
    rank, world_size
        This process's place in a distributed run; 0 and 1 alone.
    wrap_model
        Applied to the model after it is moved to the device (e.g. a DDP wrapper).
    callbacks
        Called after each epoch, once its resume state is saved; an exception stops training there.
    progress
        Show a progress bar with loss and throughput (rank 0 only).
    """
    run = _build(params, target, prepared_root, sampler_factory, rank, world_size, wrap_model)
    key = resume.run_key(params, target, prepared_root, run.sources)
    folder = resume.run_dir(scratch_root, target, key)
    state = resume.restore_state(folder, run.model, run.optimizer, run.scheduler)
    if world_size > 1:  # every rank must have read the same state (scratch_root shared by all nodes)
        from sleepdg.train.distributed import require_same_on_all_ranks

        require_same_on_all_ranks(state.epoch, run.device, what=f"resume state in {folder}")
    resumed_from = state.epoch
    while state.epoch < params.train.epochs and not state.stopped_early:
        record = _train_epoch(run, state.epoch, progress and rank == 0)
        _select(run, state, record)
        if rank == 0:
            resume.save_state(folder, state, run.model, run.optimizer, run.scheduler)
        for callback in callbacks:
            callback(record)
    result = _finish(run, state, out_dir, resumed_from)
    if rank == 0:
        _remove_tree(folder)
    return result


def _build(
    params: Params,
    target: str,
    prepared_root: Path,
    sampler_factory: SamplerFactory | None,
    rank: int,
    world_size: int,
    wrap_model: Callable[[torch.nn.Module], torch.nn.Module] | None,
) -> _Run:
    """Seed, device, data, model (from the fold seed), optimiser and schedule of one fold."""
    from sleepdg.model import SleepDIFFormer, config_from_params

    sources, seed = params.sources(target), params.fold_seed(target)
    seed_everything(seed)
    set_threads(params.runtime.threads)
    device = resolve_device(params.runtime.device)
    train_set, val_set = _datasets(params, prepared_root, sources, seed)
    sampler = (sampler_factory or shuffled_sampler)(train_set, seed=seed, rank=rank, world_size=world_size)
    train_loader = _loader(params, train_set, device, sampler=sampler)
    val_loader = _loader(params, val_set, device, sampler=None)
    steps = min(len(train_loader), params.train.max_steps_per_epoch or len(train_loader))
    config = config_from_params(params.model, seq_len=params.train.seq_len)
    model: torch.nn.Module = SleepDIFFormer(config, seed=seed).to(device)
    if wrap_model is not None:
        model = wrap_model(model)
    optimizer = _optimizer(params, model)
    total_steps = params.train.epochs * steps  # T_max: the schedule is stepped every batch
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps, eta_min=0.0)
    log.info("fold %s: sources %s, %d training and %d validation sequences, %d steps per epoch on %s",
             target, ", ".join(sources), len(train_set), len(val_set), steps, device)  # fmt: skip
    return _Run(
        params=params, target=target, sources=sources, seed=seed, device=device, model=model, config=config,
        optimizer=optimizer, scheduler=scheduler, train_loader=train_loader, val_loader=val_loader,
        steps_per_epoch=steps, bf16=params.runtime.bf16 and device.type == "cuda", rank=rank,
        world_size=world_size,
    )  # fmt: skip


def _datasets(
    params: Params, prepared_root: Path, sources: Sequence[str], seed: int
) -> tuple[SequenceDataset, SequenceDataset]:
    tp = params.train
    index = open_sources(prepared_root, sources, seq_len=tp.seq_len, stride=tp.stride)
    train_index, val_index = split_train_val(
        index, tp.val_split, tp.val_fraction, np.random.default_rng(seed)
    )
    arrays = RecordingArrays(index.records)
    budget = params.runtime.preload_mb * 2**20
    if arrays.nbytes() <= budget:
        t0 = time.perf_counter()
        arrays.load_into_memory()
        log.info(
            "loaded %.0f MB of source signals into memory in %.1f s",
            arrays.nbytes() / 2**20,
            time.perf_counter() - t0,
        )
    else:
        log.info(
            "source signals (%.0f MB) exceed runtime.preload_mb (%d): reading windows from Zarr",
            arrays.nbytes() / 2**20,
            params.runtime.preload_mb,
        )
    return SequenceDataset(train_index, arrays), SequenceDataset(val_index, arrays)


def _worker_init(worker_id: int) -> None:
    torch.set_num_threads(1)  # loader workers decompress and copy; leave the cores to the model


def _loader(params: Params, dataset: Dataset[Any], device: torch.device, *, sampler: Any) -> DataLoader[Any]:
    workers = params.runtime.loader_workers
    return DataLoader(
        dataset,
        batch_size=params.train.batch_size,
        sampler=sampler,
        shuffle=False,
        drop_last=False,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=device.type == "cuda",
        worker_init_fn=_worker_init if workers else None,
        generator=torch.Generator(),
    )


def _optimizer(params: Params, model: torch.nn.Module) -> torch.optim.Optimizer:
    tp = params.train
    kwargs: dict[str, Any] = {
        "lr": tp.lr,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": tp.weight_decay,
    }
    if tp.optimizer == "radam":
        return torch.optim.RAdam(model.parameters(), **kwargs)  # coupled L2 (decoupled_weight_decay=False)
    return torch.optim.Adam(model.parameters(), **kwargs)  # coupled L2, not AdamW (method.md §6)


def _train_epoch(run: _Run, epoch: int, show: bool) -> EpochRecord:
    """One pass over the sampler's batches (at most ``steps_per_epoch``), then validation."""
    from tqdm.auto import tqdm

    sampler = run.train_loader.sampler
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)  # the batch order depends on (seed, epoch) only
    if run.train_loader.generator is not None:
        run.train_loader.generator.manual_seed(run.seed * 1000 + epoch)  # so do the workers' seeds
    run.model.train()
    sums = dict.fromkeys(LOSS_TERMS, 0.0)
    n_steps = n_seq = 0
    desc = f"{run.target} epoch {epoch + 1}/{run.params.train.epochs}"
    t0 = time.perf_counter()
    with tqdm(total=run.steps_per_epoch, desc=desc, unit="batch", disable=not show, leave=False) as bar:
        for batch in itertools.islice(run.train_loader, run.steps_per_epoch):
            terms = _step(run, *batch, where=f"epoch {epoch + 1}, step {n_steps + 1}")
            for t in LOSS_TERMS:
                sums[t] += terms.get(t, math.nan)
            n_steps, n_seq = n_steps + 1, n_seq + batch[0].shape[0]
            bar.update()
            bar.set_postfix(loss=f"{terms['total']:.3f}", seq_s=f"{n_seq / (time.perf_counter() - t0):.1f}")
    seconds = time.perf_counter() - t0
    acc, mf1 = _validate(run) if run.rank == 0 else (math.nan, math.nan)
    if run.world_size > 1:  # rank 0's metrics decide on every rank (their BatchNorm statistics differ)
        from sleepdg.train.distributed import broadcast_from_rank0

        acc, mf1 = broadcast_from_rank0((acc, mf1), run.device)
    lr = float(run.optimizer.param_groups[0]["lr"])
    loss = {t: v / max(n_steps, 1) for t, v in sums.items()}
    return EpochRecord(epoch + 1, lr, loss, acc, mf1, n_seq, seconds, n_seq / max(seconds, 1e-9))


def _step(
    run: _Run, x: torch.Tensor, y: torch.Tensor, domains: torch.Tensor, *, where: str
) -> dict[str, float]:
    """Forward, loss (method.md §5), backward, clip, optimiser and schedule step; the loss terms."""
    from sleepdg.losses import total_loss

    tp = run.params.train
    x, y, domains = (t.to(run.device, non_blocking=True) for t in (x, y, domains))
    with torch.autocast(device_type=run.device.type, dtype=torch.bfloat16, enabled=run.bf16):
        out = run.model(x, decode=tp.loss_weights.align > 0 or tp.loss_weights.rec > 0)
        loss, terms = total_loss(
            out, x, y, domains, align_weight=tp.loss_weights.align,
            rec_weight=tp.loss_weights.rec, label_smoothing=tp.label_smoothing,
        )  # fmt: skip
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"fold {run.target}, {where}: loss is {loss.item()} ({terms}); "
            "lower train.lr or set train.clip_grad_norm"
        )
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if tp.clip_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), tp.clip_grad_norm)
    run.optimizer.step()
    run.scheduler.step()
    return {k: float(v) for k, v in terms.items()}


@torch.no_grad()
def _validate(run: _Run) -> tuple[float, float]:
    """Accuracy and macro-F1 of the bare model over the pooled scored validation epochs."""
    model = unwrap(run.model)
    model.eval()
    y_true, y_pred = [], []
    for x, y, _ in run.val_loader:
        with torch.autocast(device_type=run.device.type, dtype=torch.bfloat16, enabled=run.bf16):
            out = model(x.to(run.device, non_blocking=True), decode=False)
        y_pred.append(out.logits.argmax(dim=-1).cpu().numpy().ravel())
        y_true.append(y.numpy().ravel())
    t, p = np.concatenate(y_true), np.concatenate(y_pred)
    return metrics.accuracy(t, p), metrics.macro_f1(t, p)


def _select(run: _Run, state: Progress, record: EpochRecord) -> None:
    """Keep the weights of a strictly better epoch; count epochs since for early stopping."""
    tp = run.params.train
    score = record.val_acc if tp.select_by == "acc" else record.val_macro_f1
    state.epoch = record.epoch
    state.history.append(record)
    if score > state.best_score:
        state.best_score, state.since_best = score, 0
        state.best = {
            "epoch": record.epoch,
            "val_acc": record.val_acc,
            "val_macro_f1": record.val_macro_f1,
            "select_by": tp.select_by,
        }
        state.best_state = cpu_state_dict(run.model)
    else:
        state.since_best += 1
    state.stopped_early = tp.early_stopping is not None and state.since_best >= tp.early_stopping
    log.info(
        "fold %s epoch %d/%d: loss %.4f, val acc %.4f, val macro-F1 %.4f, %.1f seq/s%s",
        run.target,
        record.epoch,
        tp.epochs,
        record.loss["total"],
        record.val_acc,
        record.val_macro_f1,
        record.sequences_per_s,
        " (best)" if state.since_best == 0 else "",
    )
    if state.stopped_early:
        log.info(
            "fold %s: no better %s for %d epochs; stopping early", run.target, tp.select_by, tp.early_stopping
        )


def _finish(run: _Run, state: Progress, out_dir: Path, resumed_from: int) -> TrainResult:
    """Write the best weights and the curve (rank 0); other ranks only return."""
    if run.rank != 0:
        return TrainResult(
            None, None, dict(state.best), tuple(state.history), state.stopped_early, resumed_from
        )
    params = run.params
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    preprocess = {"common": params.prepare.common.model_dump(mode="json")}
    preprocess.update({ds: params.prepare.dataset(ds).model_dump(mode="json") for ds in run.sources})
    checkpoint, curve = out_dir / CHECKPOINT_NAME, out_dir / CURVE_NAME
    save_checkpoint(
        checkpoint,
        state.best_state,
        run.config,
        preprocess=preprocess,
        params=params.model_dump(mode="json", exclude={"runtime"}),
        fold=run.target,
        sources={ds: i for i, ds in enumerate(run.sources)},
        best=dict(state.best),
    )
    write_text_atomic(curve, curve_tsv(state.history))
    log.info(
        "fold %s: best epoch %s (%s); wrote %s and %s",
        run.target,
        state.best.get("epoch"),
        ", ".join(f"{k} {v:.4f}" for k, v in state.best.items() if isinstance(v, float)),
        checkpoint,
        curve,
    )
    return TrainResult(
        checkpoint, curve, dict(state.best), tuple(state.history), state.stopped_early, resumed_from
    )


def curve_tsv(history: Sequence[EpochRecord]) -> str:
    """The training curve as TSV (``CURVE_COLUMNS``), one row per epoch, for ``dvc plots``."""
    lines = ["\t".join(CURVE_COLUMNS)]
    for record in history:
        row = record.row()
        lines.append("\t".join(str(int(row[c])) if c == "epoch" else f"{row[c]:.8g}" for c in CURVE_COLUMNS))
    return "\n".join(lines) + "\n"


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
