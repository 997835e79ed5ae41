"""The in-domain control (outside dvc.yaml): train and test on disjoint subjects of one dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def indomain(
    dataset: Annotated[str, typer.Argument(help="sleepedf, hmc, isruc, shhs or p2018")],
    params_file: Annotated[Path, typer.Option("--params", help="params.yaml to read")] = Path("params.yaml"),
    prepared: Annotated[Path, typer.Option(help="folder of prepared datasets")] = Path("data/prepared"),
    models: Annotated[Path, typer.Option(help="writes MODELS/indomain-DATASET/")] = Path("models"),
    reports: Annotated[Path, typer.Option(help="writes REPORTS/indomain-DATASET/")] = Path("reports"),
    scratch: Annotated[Path, typer.Option(help="git-ignored working folder")] = Path(".scratch/indomain"),
    test_fraction: Annotated[float, typer.Option(help="share of the subjects held out for testing")] = 0.2,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
) -> None:
    """Train on some subjects of one dataset and test on the others: the in-domain control.

    Writes `models/indomain-<dataset>/` (model.pt, train_curve.tsv, split.csv) and
    `reports/indomain-<dataset>/` (as a fold's reports). Reads the same params blocks as `train` and
    `evaluate`. Run `sleepdg report` afterwards to show the domain gap beside each fold.
    """
    from sleepdg.indomain import run_indomain
    from sleepdg.params import load_params
    from sleepdg.runtime import resolve_device

    params = load_params(params_file)
    params.prepare.dataset(dataset)  # an unknown dataset fails here, naming the valid ones
    scores = run_indomain(
        params, dataset, prepared_root=prepared, models_root=models, reports_root=reports,
        scratch_root=scratch, test_fraction=test_fraction, device=resolve_device(params.runtime.device),
        progress=progress,
    )  # fmt: skip
    typer.echo(
        f"indomain-{dataset}: accuracy {scores['acc']:.4f}, macro-F1 {scores['macro_f1']:.4f} over "
        f"{scores['n_epochs']} scored test epochs -> {reports / f'indomain-{dataset}'}"
    )
