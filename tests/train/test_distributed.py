"""`sleepdg train` under torchrun: 2 gloo processes on this CPU train the same weights as one
process that accumulates the gradients of the two ranks' batches, each loss halved."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from sleepdg.params import Params, parse_params
from sleepdg.train.distributed import DistributedSetupError, distributed_training, launch_env

SOURCES = ("hmc", "isruc", "shhs", "p2018")
TARGET = "sleepedf"
WORLD = 2
BIN = Path(sys.executable).parent


def _params(tiny: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    raw = tiny(epochs=1, batch_size=2, max_steps_per_epoch=3)
    raw["model"].update(dropout=0.0, n_layers=2)  # 2 layers: the reference stacking leaves layer 0 unused
    raw["runtime"].update(threads=1)
    return raw


def _rank_batches(params: Params, prepared: Path, rank: int) -> list[tuple[torch.Tensor, ...]]:
    """The batches rank ``rank`` trains on in epoch 0, built the way the trainer builds them."""
    from torch.utils.data import DataLoader

    from sleepdg.train.data import RecordingArrays, SequenceDataset, open_sources, split_train_val
    from sleepdg.train.sampler import shuffled_sampler

    tp, seed = params.train, params.fold_seed(TARGET)
    index = open_sources(prepared, SOURCES, seq_len=tp.seq_len, stride=tp.stride)
    train_index, _ = split_train_val(index, tp.val_split, tp.val_fraction, np.random.default_rng(seed))
    dataset = SequenceDataset(train_index, RecordingArrays(index.records))
    sampler = shuffled_sampler(dataset, seed=seed, rank=rank, world_size=WORLD)
    sampler.set_epoch(0)  # type: ignore[attr-defined]
    return list(DataLoader(dataset, batch_size=tp.batch_size, sampler=sampler))


def _accumulated_reference(params: Params, prepared: Path) -> dict[str, torch.Tensor]:
    """One process: per step, rank 0's then rank 1's batch, each loss halved, one optimiser step.

    BatchNorm running statistics are put back after rank 1's forward: under DDP they come from rank 0.
    """
    from sleepdg.losses import total_loss
    from sleepdg.model import SleepDIFFormer, config_from_params

    tp, seed = params.train, params.fold_seed(TARGET)
    batches = [_rank_batches(params, prepared, r) for r in range(WORLD)]
    steps = min(len(batches[0]), tp.max_steps_per_epoch or len(batches[0]))
    model = SleepDIFFormer(config_from_params(params.model, seq_len=tp.seq_len), seed=seed).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=tp.lr, weight_decay=tp.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=tp.epochs * steps, eta_min=0.0)
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        for rank in range(WORLD):
            x, y, domains = batches[rank][step]
            rank0_buffers = {k: b.clone() for k, b in model.named_buffers()}
            out = model(x, decode=True)
            loss, _ = total_loss(
                out, x, y, domains, align_weight=tp.loss_weights.align,
                rec_weight=tp.loss_weights.rec, label_smoothing=tp.label_smoothing,
            )  # fmt: skip
            (loss / WORLD).backward()
            if rank > 0:
                for name, buffer in model.named_buffers():
                    buffer.copy_(rank0_buffers[name])
        assert tp.clip_grad_norm is not None
        torch.nn.utils.clip_grad_norm_(model.parameters(), tp.clip_grad_norm)
        optimizer.step()
        schedule.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.slow
def test_two_gloo_ranks_end_with_the_weights_of_one_process_accumulating_their_batches(
    tmp_path: Path, make_sources: Callable[..., Path], tiny: Callable[..., dict[str, Any]]
) -> None:
    prepared = make_sources(tmp_path / "prepared", SOURCES, n_epochs=12)
    raw = _params(tiny)
    out, scratch, params_file = tmp_path / "models", tmp_path / "scratch", tmp_path / "params.yaml"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={WORLD}",
        "--no-python", str(BIN / "sleepdg"), "train", "--fold", TARGET, "--params", str(params_file),
        "--prepared", str(prepared), "--out", str(out), "--scratch", str(scratch), "--no-progress",
    ]  # fmt: skip
    params_file.write_text(yaml.safe_dump(raw))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reports = [line for line in proc.stdout.splitlines() if line.startswith(f"{TARGET}: best epoch 1")]
    assert len(reports) == 1, proc.stdout  # rank 0 alone reports
    assert sorted(p.name for p in (out / TARGET).iterdir()) == ["model.pt", "train_curve.tsv"]
    assert not any(scratch.iterdir())  # rank 0 removed the finished run's resume state

    trained = torch.load(out / TARGET / "model.pt", weights_only=True)["state_dict"]
    reference = _accumulated_reference(parse_params(raw), prepared)
    assert trained.keys() == reference.keys()
    unused = [k for k in reference if k.startswith("encoder.layers.0.")]
    assert unused and all(torch.equal(trained[k], reference[k]) for k in unused)  # no gradient, no decay
    moved = max((trained[k].float() - reference[k].float()).abs().max().item() for k in reference)
    assert moved < 1e-5, f"largest difference {moved:.2e}"
    bn = "embed_eeg.blocks.0.bn.running_mean"
    assert bn in trained and torch.allclose(trained[bn], reference[bn], atol=1e-6)  # rank 0's statistics


def test_without_torchrun_one_process_trains_as_before() -> None:
    params = parse_params({})
    assert launch_env({}) is None
    with distributed_training(params, environ={}) as run:
        assert run.params is params
        assert run.train_kwargs()["rank"] == 0 and run.train_kwargs()["world_size"] == 1
        assert run.train_kwargs()["wrap_model"] is None


def test_the_torchrun_variables_give_this_process_its_rank() -> None:
    env = launch_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "MASTER_PORT": "29500"})
    assert env is not None and (env.rank, env.world_size, env.local_rank) == (3, 4, 1)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"RANK": "0", "WORLD_SIZE": "2"}, "LOCAL_RANK not set"),
        ({"RANK": "zero", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}, "expected integers, got RANK='zero'"),
        ({"RANK": "2", "WORLD_SIZE": "2", "LOCAL_RANK": "0"}, "RANK=2, WORLD_SIZE=2"),
    ],
)
def test_a_broken_torchrun_environment_is_refused_naming_the_variables(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(DistributedSetupError, match=message):
        launch_env(environ)
