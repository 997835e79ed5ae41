"""``sleepdg synth DATASET OUT``: synthetic nights of one dataset, in its native layout and formats."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer


def synth(
    dataset: Annotated[str, typer.Argument(help="sleepedf, hmc, isruc, shhs or p2018")],
    out: Annotated[Path, typer.Argument(help="folder to write the dataset's files into", file_okay=False)],
    n_recordings: Annotated[int, typer.Option("--n-recordings", "-n", min=1, help="nights to write")] = 8,
    hours: Annotated[float, typer.Option(help="time in bed per night, hours")] = 8.0,
    seed: Annotated[
        int, typer.Option(min=0, help="base seed; recording k depends on (seed, dataset, k)")
    ] = 0,
    shift_scale: Annotated[
        float,
        typer.Option("--shift-scale", min=0.0, max=2.0, help="domain-shift scale of the signal profile"),
    ] = 1.0,
    workers: Annotated[int, typer.Option(min=1, help="processes writing recordings in parallel")] = 1,
) -> None:
    """Write N synthetic recordings of DATASET under OUT, as the official files are laid out.

    Same arguments, same bytes: nothing depends on the clock. Sleep-EDF nights carry their long
    wake padding around the time in bed, SHHS its pre-lights wake, P2018 its undefined lead.
    """
    from sleepdg.params import DATASETS
    from sleepdg.synth import write_dataset

    if dataset not in DATASETS:
        raise typer.BadParameter(f"{dataset!r} is not one of {', '.join(DATASETS)}", param_hint="DATASET")
    try:
        files = write_dataset(
            dataset,
            out,
            n_recordings=n_recordings,
            hours=hours,
            seed=seed,
            shift_scale=shift_scale,
            workers=workers,
        )
    except ValueError as exc:  # out-of-range hours or recordings: a usage error, shown as one line
        raise typer.BadParameter(str(exc)) from None
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    logging.getLogger(__name__).info("wrote %d files (%.1f MB) under %s", len(files), size_mb, out)
