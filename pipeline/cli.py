"""The ``sleepdg`` command: one Typer app that registers every stage and tool.

Commands import their heavy dependencies inside their bodies, so ``sleepdg --help`` is instant.
Errors of the library (`SleepdgError`) reach the user as one line on stderr and exit code 1.
"""

from __future__ import annotations

import logging
import sys

import typer

app = typer.Typer(
    name="sleepdg",
    help="Cross-dataset sleep staging: synthesise, download, prepare, train, evaluate and predict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _configure(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages too."),
) -> None:
    """Set up logging once for every command."""
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False)],
        force=True,
    )
    for noisy in ("matplotlib", "numcodecs", "zarr", "fsspec", "asyncio", "urllib3", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> None:
    """Console entry point: run the app, turning library errors into one-line messages.

    Click (standalone mode) already prints usage errors as one line with exit code 2; a
    `SleepdgError` (bad input, named file and problem) is printed here with exit code 1.
    """
    from sleepdg.errors import SleepdgError

    try:
        app()
    except SleepdgError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


# Commands: one line per stage module. The modules import only typer and the standard library at
# import time, so registering them here keeps `sleepdg --help` instant.
from pipeline import prepare as _prepare  # noqa: E402

app.command("prepare")(_prepare.prepare)
from pipeline import train as _train  # noqa: E402

app.command("train")(_train.train)
from pipeline import inspect_cmd as _inspect_cmd  # noqa: E402

app.command("inspect")(_inspect_cmd.inspect)
from pipeline import evaluate as _evaluate  # noqa: E402
from pipeline import indomain as _indomain  # noqa: E402
from pipeline import predict as _predict  # noqa: E402
from pipeline import report as _report  # noqa: E402

app.command("evaluate")(_evaluate.evaluate)
app.command("report")(_report.report)
app.command("predict")(_predict.predict)
app.command("indomain")(_indomain.indomain)
from pipeline import download as _download  # noqa: E402

app.command("download")(_download.download)
from pipeline import synth as _synth  # noqa: E402

app.command("synth")(_synth.synth)
from pipeline import import_checkpoint as _import_checkpoint  # noqa: E402

app.command("import-checkpoint")(_import_checkpoint.import_checkpoint)
