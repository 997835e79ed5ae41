"""The fast CNN kernels equal the plain Conv1d → BatchNorm1d → GELU → MaxPool1d they replace."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sleepdg.model.cnn_ops import (
    add_at,
    batchnorm_gelu_pool,
    conv_channels_last,
    conv_single_channel,
    conv_single_channel_banded,
    fold_batchnorm,
    gelu_max_pool_channels_last,
)


def _perturbed_bn(channels: int, seed: int) -> nn.BatchNorm1d:
    g = torch.Generator().manual_seed(seed)
    bn = nn.BatchNorm1d(channels)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(channels, generator=g))  # some negative scales: min and max swap
        bn.bias.copy_(torch.randn(channels, generator=g))
        bn.running_mean.copy_(torch.randn(channels, generator=g))
        bn.running_var.copy_(torch.rand(channels, generator=g) + 0.5)
    return bn


def _plain(y: torch.Tensor, bn: nn.BatchNorm1d, pool: int) -> torch.Tensor:
    return F.max_pool1d(F.gelu(bn(y)), pool)


def test_fused_batchnorm_gelu_pool_matches_the_plain_modules_in_values_gradients_and_running_stats() -> None:
    g = torch.Generator().manual_seed(0)
    y = (torch.randn(6, 5, 40, generator=g) * 2 + 3).requires_grad_()
    conv_bias = torch.randn(5, generator=g).requires_grad_()
    fused_bn, plain_bn = _perturbed_bn(5, 1), _perturbed_bn(5, 1)
    upstream = torch.randn(6, 5, 8, generator=g)

    fused = batchnorm_gelu_pool(y, fused_bn, 5, conv_bias=conv_bias)
    fused_grads = torch.autograd.grad(
        (fused * upstream).sum(), (y, conv_bias, fused_bn.weight, fused_bn.bias)
    )
    y2 = y.detach().clone().requires_grad_()
    bias2 = conv_bias.detach().clone().requires_grad_()
    plain = _plain(y2 + bias2[:, None], plain_bn, 5)
    plain_grads = torch.autograd.grad((plain * upstream).sum(), (y2, bias2, plain_bn.weight, plain_bn.bias))

    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(fused_grads, plain_grads, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fused_bn.running_mean, plain_bn.running_mean)
    torch.testing.assert_close(fused_bn.running_var, plain_bn.running_var)
    assert int(fused_bn.num_batches_tracked) == int(plain_bn.num_batches_tracked) == 1


def test_fused_pool_gives_a_constant_window_the_gradient_once_like_max_pool() -> None:
    y = torch.zeros(2, 3, 10)
    y[0, 0, 5:] = torch.arange(5.0)  # one ordinary window among constant ones
    y.requires_grad_()
    fused_bn, plain_bn = _perturbed_bn(3, 2), _perturbed_bn(3, 2)
    (fused_grad,) = torch.autograd.grad(batchnorm_gelu_pool(y, fused_bn, 5).sum(), y)
    y2 = y.detach().clone().requires_grad_()
    (plain_grad,) = torch.autograd.grad(_plain(y2, plain_bn, 5).sum(), y2)
    torch.testing.assert_close(fused_grad.sum(-1), plain_grad.sum(-1), rtol=1e-5, atol=1e-6)


def test_fused_pool_rejects_a_batchnorm_without_running_statistics() -> None:
    with pytest.raises(ValueError, match="running statistics"):
        batchnorm_gelu_pool(torch.randn(2, 3, 10), nn.BatchNorm1d(3, track_running_stats=False), 5)


@pytest.mark.parametrize("channels_last", [True, False])
def test_single_channel_im2col_convolution_equals_conv1d(channels_last: bool) -> None:
    g = torch.Generator().manual_seed(3)
    x, w, b = torch.randn(4, 60, generator=g), torch.randn(7, 1, 9, generator=g), torch.randn(7, generator=g)
    expected = F.conv1d(x[:, None], w, b, padding=4)  # (N, C, T)
    got = conv_single_channel(x, w, b, channels_last=channels_last)
    torch.testing.assert_close(got.transpose(1, 2) if channels_last else got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("block", "t", "with_bias"), [(12, 3000, True), (5, 61, True), (16, 40, False), (1, 9, True)]
)
def test_banded_single_channel_convolution_equals_conv1d(block: int, t: int, with_bias: bool) -> None:
    g = torch.Generator().manual_seed(8)
    x, w, b = torch.randn(3, t, generator=g), torch.randn(6, 1, 9, generator=g), torch.randn(6, generator=g)
    bias = b if with_bias else None
    expected = F.conv1d(x[:, None], w, bias, padding=4).transpose(1, 2)  # (N, T, C)
    got = conv_single_channel_banded(x, w, bias, block=block)
    assert got.shape == (3, t, 6)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_channels_last_convolution_equals_conv1d() -> None:
    g = torch.Generator().manual_seed(4)
    x, w, b = (
        torch.randn(3, 6, 50, generator=g),
        torch.randn(8, 6, 5, generator=g),
        torch.randn(8, generator=g),
    )
    got = conv_channels_last(x.transpose(1, 2).contiguous(), w, b)  # (N, T, C)
    torch.testing.assert_close(got.transpose(1, 2), F.conv1d(x, w, b, padding=2), rtol=1e-5, atol=1e-5)


def test_folded_batchnorm_and_two_point_gelu_pool_equal_the_eval_mode_modules() -> None:
    g = torch.Generator().manual_seed(5)
    conv, bn = nn.Conv1d(4, 6, 5, padding=2), _perturbed_bn(6, 6).eval()
    x = torch.randn(3, 4, 40, generator=g) * 3
    weight, bias = fold_batchnorm(conv, bn)
    y = F.conv1d(x, weight, bias, padding=2)  # (N, C, T)
    got = gelu_max_pool_channels_last(y.transpose(1, 2), 4).transpose(1, 2)
    torch.testing.assert_close(got, _plain(conv(x), bn, 4), rtol=1e-5, atol=1e-6)


def test_scatter_and_one_hot_ways_of_adding_into_windows_agree() -> None:
    g = torch.Generator().manual_seed(7)
    windows, values = torch.randn(3, 4, 6, 5, generator=g), torch.randn(3, 4, 6, 1, generator=g)
    index = torch.randint(0, 5, (3, 4, 6, 1), generator=g)
    expected = windows.clone()
    for pos in itertools.product(range(3), range(4), range(6)):
        expected[pos][index[pos]] += values[pos]
    torch.testing.assert_close(add_at(windows.clone(), index, values, scatter=True), expected)
    torch.testing.assert_close(add_at(windows.clone(), index, values, scatter=False), expected)
