"""Stage evaluate@<fold>: models/<fold>/model.pt + data/prepared/<fold> -> reports/<fold>/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def evaluate(
    fold: Annotated[
        str, typer.Option("--fold", help="the held-out target dataset: sleepedf, hmc, isruc, shhs, p2018")
    ],
    params_file: Annotated[Path, typer.Option("--params", help="params.yaml to read")] = Path("params.yaml"),
    prepared: Annotated[Path, typer.Option(help="folder of prepared datasets")] = Path("data/prepared"),
    models: Annotated[Path, typer.Option(help="folder of trained models; reads MODELS/FOLD/model.pt")] = Path(
        "models"
    ),
    out: Annotated[Path, typer.Option(help="folder of reports; writes OUT/FOLD/")] = Path("reports"),
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Stage every epoch of the fold's target dataset with the fold's model and write `reports/<fold>/`.

    Writes `metrics.json` (acc, macro_f1, kappa, f1 per stage, n_epochs over scored epochs),
    `recordings.csv`, `confusion.csv` and `confusion.png`, and the folders `hypnograms/` and
    `attention/`. Reads `evaluate` (and `runtime` for device and threads). The previous reports stay
    in place until the new ones are complete.
    """
    from sleepdg.evaluate import evaluate_checkpoint
    from sleepdg.params import load_params
    from sleepdg.runtime import resolve_device, seed_everything, set_threads

    params = load_params(params_file)
    params.sources(fold)  # an unknown fold fails here, naming the valid ones
    seed = params.fold_seed(fold)
    seed_everything(seed)
    set_threads(params.runtime.threads)
    scores = evaluate_checkpoint(
        models / fold / "model.pt", prepared / fold, out / fold, params.evaluate, title=f"fold {fold}",
        expected_fold=fold, device=resolve_device(params.runtime.device), seed=seed, progress=progress,
    )  # fmt: skip
    typer.echo(
        f"{fold}: accuracy {scores['acc']:.4f}, macro-F1 {scores['macro_f1']:.4f}, "
        f"kappa {scores['kappa']:.4f} over {scores['n_epochs']} scored epochs -> {out / fold}"
    )
