"""import-checkpoint: a reference SleepDIFFormer state_dict → a sleepdg checkpoint (not a DVC stage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def import_checkpoint(
    ref: Annotated[
        Path,
        typer.Argument(help="state_dict of github.com/Ben1001409/SleepDIFFormer (.pt, .pth or .safetensors)"),
    ],
    out: Annotated[Path, typer.Argument(help="sleepdg checkpoint to write, e.g. models/sleepedf/model.pt")],
    fold: Annotated[
        str | None,
        typer.Option(help="the target dataset the reference model was trained for; names its sources"),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params", exists=True, dir_okay=False, help="params.yaml whose prepare blocks to store"
        ),
    ] = None,
) -> None:
    """Convert a reference checkpoint into ours (stacking=reference), for evaluate, predict and report.

    The reference's dead modules are dropped. The stored preprocessing (what predict repeats) is
    `prepare` of --params, or sleepdg's defaults, which follow the reference (100 Hz, 0.3-35 Hz, z-score).
    """
    from sleepdg.manifest import sha256_file
    from sleepdg.model import load_reference_checkpoint
    from sleepdg.params import DATASETS, Params, load_params
    from sleepdg.train.checkpoint import save_checkpoint

    if fold is not None and fold not in DATASETS:
        raise typer.BadParameter(f"{fold!r} is not one of {', '.join(DATASETS)}", param_hint="--fold")
    params = load_params(params_file) if params_file is not None else Params()
    model = load_reference_checkpoint(ref)
    config = model.config
    sources: dict[str, int] = (
        {d: i for i, d in enumerate(d for d in DATASETS if d != fold)} if fold is not None else {}
    )
    preprocess = {"common": params.prepare.common.model_dump(mode="json")}
    preprocess |= {d: params.prepare.dataset(d).model_dump(mode="json") for d in sources}
    provenance = {
        "imported_from": ref.name,
        "sha256": sha256_file(ref),
        "model": {"preset": "paper", "n_layers": config.n_layers, "stacking": config.stacking},
    }
    save_checkpoint(
        out, model, config, preprocess=preprocess, params=provenance, fold=fold, sources=sources, best={}
    )
    n_params = sum(p.numel() for p in model.parameters())
    typer.echo(
        f"{out}: SleepDIFFormer with {config.n_layers} MDTA layers (stacking=reference), "
        f"{n_params:,} parameters, from {ref}"
    )
