from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

from sleepdg.train.sampler import cycled_sampler, shuffled_sampler

DATASET = TensorDataset(torch.arange(19))


def _order(sampler: object, epoch: int) -> list[int]:
    sampler.set_epoch(epoch)  # type: ignore[attr-defined]
    return list(sampler)  # type: ignore[call-overload]


def test_the_order_of_an_epoch_depends_on_the_seed_and_the_epoch_only() -> None:
    a, b = shuffled_sampler(DATASET, seed=5), shuffled_sampler(DATASET, seed=5)
    assert _order(a, 3) == _order(b, 3)
    assert sorted(_order(a, 3)) == list(range(19))
    assert _order(a, 3) != _order(a, 4)
    assert _order(a, 3) != _order(shuffled_sampler(DATASET, seed=6), 3)


def test_ranks_share_out_every_sequence_of_an_epoch() -> None:
    ranks = [_order(shuffled_sampler(DATASET, seed=0, rank=r, world_size=2), 1) for r in (0, 1)]
    assert [len(r) for r in ranks] == [10, 10]  # 19 sequences: one is repeated to even out
    assert set(ranks[0]) | set(ranks[1]) == set(range(19))


def test_cycled_sampler_fills_the_step_budget_with_whole_permutations() -> None:
    sampler = cycled_sampler(45)(DATASET, seed=2)
    assert len(sampler) == 45
    order = _order(sampler, 0)
    assert len(order) == 45
    assert sorted(order[:19]) == sorted(order[19:38]) == list(range(19))  # every sequence once per round
    assert order == _order(cycled_sampler(45)(DATASET, seed=2), 0)
    assert order != _order(sampler, 1)


def test_cycled_sampler_never_draws_fewer_than_the_dataset() -> None:
    sampler = cycled_sampler(5)(DATASET, seed=0)
    assert sorted(_order(sampler, 0)) == list(range(19))
