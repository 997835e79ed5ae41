"""Samplers the trainer takes from outside, so a distributed run only swaps the factory.

A sampler factory is called as ``factory(dataset, seed=, rank=, world_size=)`` and returns a
`torch.utils.data.Sampler` over indices of the dataset. When the sampler has ``set_epoch``, the
trainer calls it before every epoch: the order of epoch e then depends on (seed, e) only, which is
what makes an interrupted run resume on exactly the batches an uninterrupted one would see.
"""

from __future__ import annotations

from typing import Any, Protocol

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
