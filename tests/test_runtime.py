from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from sleepdg.runtime import DeviceError, resolve_device, seed_everything, set_threads


def test_auto_picks_cuda_only_when_torch_sees_it() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_it_names_the_setting() -> None:
    with pytest.raises(DeviceError, match=r"runtime.device: 'cuda:1' asked for, but torch sees no CUDA"):
        resolve_device("cuda:1")


def test_an_unknown_device_name_lists_the_accepted_ones() -> None:
    with pytest.raises(DeviceError, match="expected auto, cpu, cuda or cuda:N"):
        resolve_device("gpu0")


def test_seeding_repeats_python_numpy_and_torch_draws() -> None:
    seed_everything(7)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(7)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_set_threads_sets_torch_threads_and_none_keeps_them() -> None:
    before = torch.get_num_threads()
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1
        set_threads(None)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
