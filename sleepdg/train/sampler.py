"""Samplers the trainer takes from outside, so a distributed run only swaps the factory.

A sampler factory is called as ``factory(dataset, seed=, rank=, world_size=)`` and returns a
`torch.utils.data.Sampler` over indices of the dataset. When the sampler has ``set_epoch``, the
trainer calls it before every epoch: the order of epoch e then depends on (seed, e) only, which is
what makes an interrupted run resume on exactly the batches an uninterrupted one would see.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import torch
from torch.utils.data import Dataset, DistributedSampler, Sampler


class SamplerFactory(Protocol):
    """Builds the training sampler of one rank."""

    def __call__(self, dataset: Dataset[Any], *, seed: int, rank: int, world_size: int) -> Sampler[int]: ...


def shuffled_sampler(dataset: Dataset[Any], *, seed: int, rank: int = 0, world_size: int = 1) -> Sampler[int]:
    """Uniform shuffling of all sequences, reshuffled every epoch; rank r takes every world_size-th.

    The reference draws batches uniformly over pooled sequences with no domain balancing
    (method.md §1). With ``world_size`` 1 this is a plain seeded shuffle; with more it is
    torch's `DistributedSampler` (the last ranks repeat a few sequences to even out).
    """
    return DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=False
    )


class CycledSampler(Sampler[int]):
    """``num_samples`` indices: seeded permutations of the dataset, one after another.

    For a training set smaller than the step budget: every sequence is seen once before any is
    seen again, and the order of epoch e depends on (seed, e) only.
    """

    def __init__(self, n_items: int, num_samples: int, seed: int) -> None:
        if n_items < 1:
            raise ValueError("cannot sample from an empty dataset")
        self.n_items, self.num_samples, self.seed, self.epoch = n_items, num_samples, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed + 1_000_003 * self.epoch)
        rounds = -(-self.num_samples // self.n_items)
        order = torch.cat([torch.randperm(self.n_items, generator=g) for _ in range(rounds)])
        return iter(order[: self.num_samples].tolist())


def cycled_sampler(num_samples: int) -> SamplerFactory:
    """A single-process factory of `CycledSampler`s drawing at least ``num_samples`` per epoch.

    The in-domain control trains on a few subjects of one dataset; with it, its epochs take as many
    steps as a leave-one-dataset-out fold's (``train.max_steps_per_epoch`` × ``train.batch_size``),
    so the two differ by their data, not by their optimisation budget.
    """

    def factory(dataset: Dataset[Any], *, seed: int, rank: int = 0, world_size: int = 1) -> Sampler[int]:
        if world_size != 1:
            raise ValueError("cycled_sampler runs in one process")
        n = len(dataset)  # type: ignore[arg-type]
        return CycledSampler(n, max(num_samples, n), seed)

    return factory
