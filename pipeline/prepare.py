"""Stage prepare@<dataset>: data/raw/<dataset> -> data/prepared/<dataset> (Zarr store + index)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def prepare(
    dataset: Annotated[str, typer.Argument(help="sleepedf, hmc, isruc, shhs or p2018")],
    params_file: Annotated[Path, typer.Option("--params", help="params.yaml to read")] = Path("params.yaml"),
    raw: Annotated[Path, typer.Option(help="folder of raw datasets")] = Path("data/raw"),
    out: Annotated[Path, typer.Option(help="folder of prepared datasets")] = Path("data/prepared"),
) -> None:
    """Parse one dataset's native files, cut 30-s epochs and write them to a Zarr store.

    Reads `prepare.common` and `prepare.<dataset>`; `runtime.workers` sets the process pool. The previous
    store stays in place until the new one is complete.
    """
    from sleepdg.params import load_params
    from sleepdg.prepare import prepare_dataset

    params = load_params(params_file)
    params.prepare.dataset(dataset)  # an unknown dataset fails here, naming the valid ones
    prepare_dataset(
        dataset, raw / dataset, out / dataset, params,
        workers=params.runtime.workers, scheduler=params.runtime.scheduler,
    )  # fmt: skip
