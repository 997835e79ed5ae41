"""Stage train@<fold>: data/prepared/<four sources> -> models/<fold>/ (model.pt, train_curve.tsv)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def train(
    fold: Annotated[
        str, typer.Option("--fold", help="the held-out target dataset: sleepedf, hmc, isruc, shhs, p2018")
    ],
    params_file: Annotated[Path, typer.Option("--params", help="params.yaml to read")] = Path("params.yaml"),
    prepared: Annotated[Path, typer.Option(help="folder of prepared datasets")] = Path("data/prepared"),
    out: Annotated[Path, typer.Option(help="folder of trained models; writes OUT/FOLD/")] = Path("models"),
    scratch: Annotated[Path, typer.Option(help="git-ignored folder for resume states")] = Path(
        ".scratch/train"
    ),
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Train SleepDIFFormer on the fold's four source datasets, keeping the best validation epoch.

    Reads `base`, `folds`, `model`, `train`, `prepare` (copied into the checkpoint for predict) and `runtime`.
    Never opens the target's prepared data. An interrupted run resumes from the last finished epoch.
    Under `torchrun --nproc-per-node N --no-python sleepdg train --fold FOLD` the N processes train
    one model with DistributedDataParallel (one GPU each, or gloo on CPUs); rank 0 writes.
    """
    from sleepdg.params import load_params
    from sleepdg.train import train_fold
    from sleepdg.train.distributed import distributed_training

    params = load_params(params_file)
    params.sources(fold)  # an unknown fold fails here, naming the valid ones
    with distributed_training(params) as run:  # one process, or this rank of a torchrun launch
        result = train_fold(
            run.params, fold, prepared_root=prepared, out_dir=out / fold, scratch_root=scratch,
            progress=progress, **run.train_kwargs(),
        )  # fmt: skip
    if run.rank == 0:
        best = ", ".join(f"{k} {v:.4f}" for k, v in result.best.items() if isinstance(v, float))
        typer.echo(f"{fold}: best epoch {result.best.get('epoch')} ({best}) -> {result.checkpoint}")
