"""Stage report: reports/<fold>/metrics.json of every fold -> reports/summary.json and summary.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    params_file: Annotated[Path, typer.Option("--params", help="params.yaml to read")] = Path("params.yaml"),
    reports: Annotated[Path, typer.Option(help="folder of the folds' reports; receives the summary")] = Path(
        "reports"
    ),
) -> None:
    """Summarise every fold's metrics (mean ± std) beside the published SleepDIFFormer and SleepDG numbers.

    Reads `folds` (which folds), `data.source` and `model.stacking` (stated beside the numbers).
    In-domain controls (`reports/indomain-<dataset>/metrics.json`) are added when they exist.
    """
    from sleepdg.params import load_params
    from sleepdg.report import write_summary

    params = load_params(params_file)
    _, md_path = write_summary(
        reports, list(params.folds), source=params.data.source, stacking=params.model.stacking
    )
    typer.echo(md_path.read_text())
