"""``sleepdg inspect PATH [PATH] [--dataset NAME]``: what a native file or folder holds, as JSON.

The first thing to run on a new download: a signal file's channels, rates and duration; a
scoring file's 30-s epochs per stage; a signal file with its scoring file (or a folder) gives
the counts aligned to the signal, as prepare will use them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def inspect(
    paths: Annotated[
        list[Path],
        typer.Argument(help="A native file, a signal file and its scoring file, or a dataset folder."),
    ],
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", "-d", help="sleepedf, hmc, isruc, shhs or p2018 (default: guessed)."),
    ] = None,
) -> None:
    """Print one JSON object describing native files (headers and scoring only; no samples read)."""
    from sleepdg.datasets.describe import describe_paths

    typer.echo(json.dumps(describe_paths(paths, dataset), indent=2))
