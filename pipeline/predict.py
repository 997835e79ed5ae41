"""predict: stage any EDF/EDF+ or WFDB recording with one or more checkpoints (not a DVC stage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def predict(
    recording: Annotated[Path, typer.Argument(help="EDF/EDF+ file (any suffix) or WFDB .hea header")],
    model: Annotated[
        list[Path], typer.Option("--model", help="a sleepdg checkpoint; repeat to average an ensemble")
    ],
    out: Annotated[Path, typer.Option("--out", help="folder that receives the CSV, EDF+ and PNG")],
    eeg: Annotated[str | None, typer.Option(help="EEG channel label or 'A - B' derivation")] = None,
    eog: Annotated[str | None, typer.Option(help="EOG channel label or 'A - B' derivation")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda, cuda:N or auto")] = "cpu",
) -> None:
    """Stage a recording: writes `<name>-stages.csv`, `<name>-hypnogram.edf` (EDF+ annotations) and
    `<name>-hypnogram.png` into OUT, and prints total sleep time, sleep efficiency, minutes per stage
    and sleep onset latency.

    EEG and EOG are picked by common aliases unless `--eeg`/`--eog` name them. The preprocessing is the
    one stored in the checkpoint; a trailing partial epoch is dropped. Several `--model` checkpoints
    (e.g. the five fold models) average their probabilities.
    """
    from sleepdg.predict import predict as run_predict

    result = run_predict(recording, model, out, eeg=eeg, eog=eog, device=device)
    typer.echo(result.describe())
