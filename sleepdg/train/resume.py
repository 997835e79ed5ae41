"""Per-epoch progress of a training run and its resume state, kept outside the stage's outputs.

DVC deletes ``models/<fold>/`` before the stage runs, so the state lives in a git-ignored scratch
folder ``<scratch_root>/<fold>-<key>/`` whose key hashes everything that decides the result: the
params except ``runtime``, the fold, and the bytes of every source's ``index.parquet``. A run
with other params or other data therefore never picks up a stale state.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sleepdg.atomic import atomic_path
from sleepdg.params import Params
from sleepdg.store import INDEX_NAME
from sleepdg.train.checkpoint import cpu_state_dict, unwrap

log = logging.getLogger(__name__)

STATE_NAME = "state.pt"
LOSS_TERMS = ("total", "cls", "mean", "cov", "seq", "rec")
_KEY_CHARS = 12


@dataclass(frozen=True)
class EpochRecord:
    """One row of the training curve; ``n_sequences`` and the timings stay out of the TSV."""

    epoch: int  # 1-based
    lr: float  # learning rate of the epoch's last step
    loss: dict[str, float]  # mean of each loss term over the epoch's batches
    val_acc: float
    val_macro_f1: float
    n_sequences: int = 0  # training sequences this rank saw in the epoch
    seconds: float = 0.0
    sequences_per_s: float = 0.0

    def row(self) -> dict[str, float]:
        """The curve's columns: epoch, lr, loss_<term>, val_acc, val_macro_f1."""
        values = {"epoch": self.epoch, "lr": self.lr}
        values.update({f"loss_{t}": self.loss.get(t, math.nan) for t in LOSS_TERMS})
        values.update({"val_acc": self.val_acc, "val_macro_f1": self.val_macro_f1})
        return values


@dataclass
class Progress:
    """Everything that changes from epoch to epoch besides the weights and optimiser."""

    epoch: int = 0  # epochs completed
    best_score: float = -math.inf
    best: dict[str, Any] = field(default_factory=dict)  # epoch, val_acc, val_macro_f1, select_by
    best_state: dict[str, torch.Tensor] = field(default_factory=dict)  # CPU copy of the best weights
    since_best: int = 0
    stopped_early: bool = False
    history: list[EpochRecord] = field(default_factory=list)


def run_key(params: Params, target: str, prepared_root: Path, sources: Sequence[str]) -> str:
    """Hex digest of the params (``runtime`` excluded), the fold and the sources' index files."""
    digest = hashlib.sha256()
    what = params.model_dump(mode="json", exclude={"runtime"})
    digest.update(json.dumps({"params": what, "fold": target}, sort_keys=True).encode())
    for dataset in sources:
        digest.update(dataset.encode())
        digest.update((Path(prepared_root) / dataset / INDEX_NAME).read_bytes())
    return digest.hexdigest()[:_KEY_CHARS]


def run_dir(scratch_root: Path, target: str, key: str) -> Path:
    """The scratch folder of one run: ``<scratch_root>/<fold>-<key>``."""
    return Path(scratch_root) / f"{target}-{key}"


def save_state(
    folder: Path,
    progress: Progress,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> None:
    """Write the state after an epoch atomically (an interruption mid-write keeps the previous one).

    The state holds weights, optimiser, schedule, torch's RNG (dropout) and the progress; the
    batch order needs no state, as the sampler derives it from (seed, epoch).
    """
    state: dict[str, Any] = {
        "model": cpu_state_dict(model),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "epoch": progress.epoch,
        "best_score": progress.best_score,
        "best": dict(progress.best),
        "best_state": progress.best_state,
        "since_best": progress.since_best,
        "stopped_early": progress.stopped_early,
        "history": [
            [r.epoch, r.lr, dict(r.loss), r.val_acc, r.val_macro_f1, r.n_sequences] for r in progress.history
        ],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / STATE_NAME) as tmp:
        torch.save(state, tmp)


def restore_state(
    folder: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> Progress:
    """Load a saved state into model, optimiser, schedule and RNG; a fresh `Progress` when there is none."""
    state = _load(folder / STATE_NAME)
    if state is None:
        return Progress()
    unwrap(model).load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if "cuda_rng" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    history = [
        EpochRecord(int(e), float(lr), dict(loss), float(acc), float(mf1), int(n))
        for e, lr, loss, acc, mf1, n in state["history"]
    ]
    log.info("resuming after epoch %d from %s", state["epoch"], folder)
    return Progress(
        epoch=int(state["epoch"]),
        best_score=float(state["best_score"]),
        best=dict(state["best"]),
        best_state=dict(state["best_state"]),
        since_best=int(state["since_best"]),
        stopped_early=bool(state["stopped_early"]),
        history=history,
    )


def _load(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a corrupt state only costs the time to retrain
        log.warning("%s: cannot read the resume state (%s); starting over", path, exc)
        return None
    return state
