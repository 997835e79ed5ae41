"""Stage download@<dataset>: synthetic or official native files -> data/raw/<dataset>/ + manifest.csv."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer


def download(
    dataset: Annotated[str, typer.Argument(help="sleepedf, hmc, isruc, shhs or p2018")],
    params_file: Annotated[Path, typer.Option("--params", help="params.yaml to read")] = Path("params.yaml"),
    out: Annotated[Path, typer.Option(help="raw datasets folder; files go to OUT/DATASET")] = Path(
        "data/raw"
    ),
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="progress bar (default: on a terminal)")
    ] = None,
) -> None:
    """Write one dataset's native files and their manifest (path, size, sha256).

    `data.source: synthetic` runs the generator; `real` fetches the official files (`data.mirrors`),
    resuming partial files and verifying each against its published checksum before it gets its
    final name. SHHS reads the NSRR token from the variable named by `data.nsrr_token_env`.
    """
    from sleepdg.download import download_dataset
    from sleepdg.params import load_params

    params = load_params(params_file)
    entries = download_dataset(dataset, out / dataset, params, progress=progress)
    size_mb = sum(e.size for e in entries) / 1e6
    logging.getLogger(__name__).info(
        "%s: %d files, %.1f MB in %s", dataset, len(entries), size_mb, out / dataset
    )
