"""Training on several processes or GPUs: `torchrun` + DistributedDataParallel around `train_fold`.

``torchrun --nproc-per-node N --no-python sleepdg train --fold hmc`` starts N copies of the same
command with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` set;
`distributed_training` reads them, joins the process group (NCCL on GPUs, gloo on CPUs), gives each
rank its GPU (``cuda:LOCAL_RANK``), and hands `train_fold` what makes it distributed:

- the sampler: `shuffled_sampler` with the fold seed, so every rank draws the same permutation of
  the pooled source windows each epoch and takes every ``WORLD_SIZE``-th; a window keeps its
  domain id, which comes from the dataset, not from the order;
- the wrapper: `DistributedDataParallel` averages gradients over ranks, so one step equals one step
  on the ranks' batches together (each rank's loss weighted ``1 / WORLD_SIZE``). BatchNorm
  statistics and the alignment losses are computed over each rank's own batch;
- rank and world size: rank 0 alone validates (its metrics are broadcast, so every rank keeps the
  same best epoch and stops at the same time) and writes the checkpoint, curve and resume state.

Without torchrun (no ``RANK``/``WORLD_SIZE`` in the environment) or with a world of one process,
nothing changes: one process trains as before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from sleepdg.errors import SleepdgError
from sleepdg.params import Params
from sleepdg.runtime import resolve_device
from sleepdg.train.sampler import SamplerFactory, shuffled_sampler

log = logging.getLogger(__name__)

_LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


class DistributedSetupError(SleepdgError, RuntimeError):
    """The torchrun environment or ``runtime.device`` does not allow a distributed run."""


@dataclass(frozen=True)
class LaunchEnv:
    """This process's place in a torchrun launch."""

    rank: int
    world_size: int
    local_rank: int


def launch_env(environ: Mapping[str, str] | None = None) -> LaunchEnv | None:
    """The torchrun variables of this process, or None when it was not started by torchrun.

    Raises
    ------
    DistributedSetupError
        When only some of ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` are set, or they are not
        integers with ``0 <= RANK < WORLD_SIZE``.
    """
    env = os.environ if environ is None else environ
    present = [v for v in _LAUNCH_VARS if v in env]
    if not present:
        return None
    if len(present) != len(_LAUNCH_VARS):
        missing = ", ".join(v for v in _LAUNCH_VARS if v not in env)
        raise DistributedSetupError(
            f"torchrun environment incomplete: {missing} not set (start with torchrun)"
        )
    try:
        rank, world, local = (int(env[v]) for v in _LAUNCH_VARS)
    except ValueError:
        found = ", ".join(f"{v}={env[v]!r}" for v in _LAUNCH_VARS)
        raise DistributedSetupError(f"torchrun environment: expected integers, got {found}") from None
    if not 0 <= rank < world or local < 0:
        raise DistributedSetupError(
            f"torchrun environment: expected 0 <= RANK < WORLD_SIZE and LOCAL_RANK >= 0, "
            f"got RANK={rank}, WORLD_SIZE={world}, LOCAL_RANK={local}"
        )
    return LaunchEnv(rank, world, local)


@dataclass(frozen=True)
class DistributedRun:
    """What a rank passes to `train_fold`: its params (device set per rank) and `train_kwargs`."""

    params: Params
    rank: int = 0
    world_size: int = 1
    sampler_factory: SamplerFactory = shuffled_sampler
    wrap_model: Any = field(default=None)  # Callable[[nn.Module], nn.Module] | None

    def train_kwargs(self) -> dict[str, Any]:
        """``sampler_factory``, ``rank``, ``world_size`` and ``wrap_model`` for `train_fold`."""
        return {
            "sampler_factory": self.sampler_factory,
            "rank": self.rank,
            "world_size": self.world_size,
            "wrap_model": self.wrap_model,
        }


@contextmanager
def distributed_training(
    params: Params, environ: Mapping[str, str] | None = None
) -> Iterator[DistributedRun]:
    """Join the torchrun process group for the block (left at exit), or run alone outside torchrun.

    Parameters
    ----------
    params
        The run's params; ``runtime.device`` must be ``auto``, ``cuda`` or ``cpu`` under torchrun
        (rank r then uses ``cuda:LOCAL_RANK``, or the CPU), not a fixed ``cuda:N``.
    environ
        The environment to read (``os.environ`` by default).
    """
    env = launch_env(environ)
    if env is None or env.world_size == 1:
        yield DistributedRun(params)
        return
    import torch.distributed as dist

    rank_params, device = _rank_device(params, env)
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, rank=env.rank, world_size=env.world_size)
    try:
        log.info("rank %d of %d on %s (%s)", env.rank, env.world_size, device, backend)
        yield DistributedRun(rank_params, env.rank, env.world_size, shuffled_sampler, wrap_ddp)
    finally:
        dist.destroy_process_group()


def _rank_device(params: Params, env: LaunchEnv) -> tuple[Params, torch.device]:
    """``runtime.device`` of one rank: its own GPU, or the CPU."""
    device = resolve_device(params.runtime.device)
    if device.type != "cuda":
        return params, device
    if params.runtime.device not in ("auto", "cuda"):
        raise DistributedSetupError(
            f"runtime.device {params.runtime.device!r} puts every rank on one GPU; under torchrun set it "
            "to auto or cuda (rank r uses cuda:LOCAL_RANK) or cpu"
        )
    if env.local_rank >= torch.cuda.device_count():
        raise DistributedSetupError(
            f"LOCAL_RANK {env.local_rank} but this machine has {torch.cuda.device_count()} CUDA device(s): "
            "start at most one process per GPU (torchrun --nproc-per-node)"
        )
    torch.cuda.set_device(env.local_rank)
    device = torch.device("cuda", env.local_rank)
    runtime = params.runtime.model_copy(update={"device": str(device)})
    return params.model_copy(update={"runtime": runtime}), device


def wrap_ddp(model: torch.nn.Module) -> torch.nn.Module:
    """`DistributedDataParallel` around a model already on its device.

    ``find_unused_parameters``: with the reference stacking every MDTA layer but the last runs for
    its attention maps only, so their parameters get no gradient; DDP must not wait for them.
    """
    from torch.nn.parallel import DistributedDataParallel

    device = next(model.parameters()).device
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids, find_unused_parameters=True)


def broadcast_from_rank0(values: tuple[float, ...], device: torch.device) -> tuple[float, ...]:
    """Rank 0's ``values`` on every rank of the process group (float64, so nothing is rounded).

    Without a process group (`train_fold` called with a rank but no torchrun) ``values`` are returned.
    """
    import torch.distributed as dist

    if not dist.is_initialized():
        return values

    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.broadcast(tensor, src=0)
    return tuple(float(v) for v in tensor.tolist())


def require_same_on_all_ranks(value: int, device: torch.device, *, what: str) -> None:
    """Raise `DistributedSetupError` on every rank unless all ranks hold the same ``value``.

    Used on the epoch each rank resumes from: a rank that does not see rank 0's resume state (a
    scratch folder local to each node) would train other weights without any error from DDP.
    Without a process group there is nothing to compare.
    """
    import torch.distributed as dist

    if not dist.is_initialized():
        return

    bounds = torch.tensor([value, -value], dtype=torch.int64, device=device)
    dist.all_reduce(bounds, op=dist.ReduceOp.MAX)
    high, low = int(bounds[0]), -int(bounds[1])
    if high != low:
        raise DistributedSetupError(
            f"ranks disagree on the {what}: epochs {low} to {high}; put --scratch (and the prepared "
            "data) on storage every node sees"
        )


__all__ = [
    "DistributedRun",
    "DistributedSetupError",
    "LaunchEnv",
    "broadcast_from_rank0",
    "distributed_training",
    "launch_env",
    "require_same_on_all_ranks",
    "wrap_ddp",
]
