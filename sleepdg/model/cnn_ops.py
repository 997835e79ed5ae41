"""Fast CPU kernels of the embedding CNN, each equal to Conv1d → BatchNorm → GELU → MaxPool.

The CNN dominates the model's cost (about 100 GMAC per night) and, besides its convolutions, the
element-wise BatchNorm, GELU and pooling passes over the 64 × 3000 feature map of the first block.
Three exact rewrites remove most of that work:

- GELU is quasi-convex (it decreases, then increases), and BatchNorm is a per-channel monotone
  affine map, so the maximum of GELU(BN(y)) over a pooling window is reached at the window's
  maximum or its minimum. Pool the raw convolution output to both, and normalise and apply GELU
  to 2/pool of the elements. In training, `BatchNormGeluPool` does this with a hand-written
  backward pass (BatchNorm's gradient is a per-channel affine map of y plus the pooled sparse part).
- A one-channel convolution (49 taps) is one matrix product: of the im2col windows for wide outputs
  (`conv_single_channel`), or, for narrow ones at inference, of short overlapping blocks of the signal
  by a banded (Toeplitz) weight that computes ``BANDED_BLOCK`` outputs per row (`conv_single_channel_banded`).
- At inference BatchNorm folds into the convolution (`fold_batchnorm`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def conv_single_channel(x: Tensor, weight: Tensor, bias: Tensor | None, *, channels_last: bool) -> Tensor:
    """Same-padded stride-1 convolution of one-channel signals x (N, T) by weight (C, 1, k).

    Returns (N, T, C) when ``channels_last``, else (N, C, T).
    """
    n, t = x.shape
    c_out, _, k = weight.shape
    cols = F.pad(x, (k // 2, k // 2)).unfold(-1, k, 1)  # (N, T, k) view
    w = weight.view(c_out, k)
    if channels_last:  # one (N·T, k) @ (k, C) product; reshape copies the overlapping windows once
        rows = cols.reshape(n * t, k)
        y = torch.addmm(bias, rows, w.t()) if bias is not None else rows @ w.t()
        return y.view(n, t, c_out)
    w = w.expand(n, c_out, k)
    if bias is None:
        return torch.bmm(w, cols.transpose(1, 2))  # (N, C, T)
    return torch.baddbmm(bias[:, None], w, cols.transpose(1, 2))


BANDED_BLOCK = 12  # outputs per row of the banded product; 8-16 run equally fast on this CPU (16 channels)
BANDED_MAX_CHANNELS = 32  # above this, its (block + k - 1) / k more MACs cost more than the im2col copy saves


def conv_single_channel_banded(
    x: Tensor, weight: Tensor, bias: Tensor | None, block: int = BANDED_BLOCK
) -> Tensor:
    """Same-padded stride-1 convolution of one-channel signals x (N, T) by weight (C, 1, k) → (N, T, C).

    Each row of the product is one window of ``block + k - 1`` samples (a stride-``block`` view, copied
    at (block + k - 1) / block times the signal's size instead of im2col's k times), multiplied by a
    banded (block + k - 1, block · C) matrix that holds the kernel once per output position. Equal to
    `conv_single_channel` up to float rounding; faster when C is small (the small preset's 16).
    """
    n, t = x.shape
    c_out, _, k = weight.shape
    n_blocks, width = -(-t // block), block + k - 1
    padded = F.pad(x, (k // 2, n_blocks * block - t + k // 2))  # n_blocks·block + k − 1 samples
    rows = padded.unfold(-1, width, block).reshape(n * n_blocks, width)
    # banded[i, o, c] = weight[c, 0, i − o] for 0 <= i − o < k, else 0
    offsets = torch.arange(width, device=x.device)[:, None] - torch.arange(block, device=x.device)[None, :]
    taps = torch.cat([weight.view(c_out, k).t(), weight.new_zeros(1, c_out)])  # row k: the zero tap
    banded = taps[torch.where((offsets >= 0) & (offsets < k), offsets, k)].view(width, block * c_out)
    y = torch.addmm(bias.repeat(block), rows, banded) if bias is not None else rows @ banded
    return y.view(n, n_blocks * block, c_out)[:, :t]


def conv_channels_last(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """Same-padded stride-1 convolution of channels-last (N, T, C_in) → (N, T, C_out), via NHWC Conv2d."""
    k = weight.shape[-1]
    x4 = x.permute(0, 2, 1).unsqueeze(2)  # (N, C_in, 1, T) with NHWC strides: no copy
    w4 = weight.unsqueeze(2).contiguous(memory_format=torch.channels_last)  # (C_out, C_in, 1, k)
    y = F.conv2d(x4, w4, bias, padding=(0, k // 2))  # (N, C_out, 1, T) channels-last
    return y.squeeze(2).permute(0, 2, 1)


def fold_batchnorm(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> tuple[Tensor, Tensor]:
    """Conv weight and bias with an eval-mode BatchNorm folded in: w·s, (b − μ)·s + β, s = γ/√(σ² + ε)."""
    mean, var = bn.running_mean, bn.running_var
    if mean is None or var is None:
        raise ValueError("cannot fold a BatchNorm without running statistics")
    scale = torch.rsqrt(var + bn.eps)
    scale = scale * bn.weight if bn.affine else scale
    bias = conv.bias if conv.bias is not None else torch.zeros_like(mean)
    shift = bn.bias if bn.affine else torch.zeros_like(scale)
    return conv.weight * scale[:, None, None], (bias - mean) * scale + shift


def gelu_max_pool_channels_last(y: Tensor, pool: int) -> Tensor:
    """max over windows of GELU(y): (N, T, C) → (N, T // pool, C), evaluating GELU twice per window."""
    n, t, c = y.shape
    windows = y[:, : t - t % pool].reshape(n, t // pool, pool, c)
    # A chain of element-wise maxima over the pool's slices: each is contiguous in C, where a reduction
    # over the strided pool axis (amax(2)) runs 3 times slower.
    hi = lo = windows[:, :, 0]
    for i in range(1, pool):
        hi, lo = torch.maximum(hi, windows[:, :, i]), torch.minimum(lo, windows[:, :, i])
    return torch.maximum(F.gelu(hi), F.gelu(lo))


def batchnorm_gelu_pool(y: Tensor, bn: nn.BatchNorm1d, pool: int, conv_bias: Tensor | None = None) -> Tensor:
    """Training-mode MaxPool(GELU(BatchNorm(y + conv_bias))), channels-first (N, C, T) → (N, C, T // pool).

    Uses batch statistics and updates ``bn``'s running statistics exactly as ``BatchNorm1d`` does.
    With batch statistics a bias before BatchNorm cancels, so it only shifts the running mean and
    gets a zero gradient; pass the convolution's bias here rather than adding it to y (one pass less).
    """
    if not bn.affine or bn.running_mean is None or bn.running_var is None:
        raise ValueError("batchnorm_gelu_pool needs an affine BatchNorm that tracks running statistics")
    if bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)
    momentum = bn.momentum if bn.momentum is not None else 1.0 / float(bn.num_batches_tracked or 1)
    t = y.shape[-1] - y.shape[-1] % pool
    y = y[..., :t].float().contiguous()  # float32 statistics and gradients, also under autocast
    out: Tensor = BatchNormGeluPool.apply(
        y, conv_bias, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum, bn.eps, pool
    )
    return out


class BatchNormGeluPool(torch.autograd.Function):
    """MaxPool(GELU(BatchNorm(y + conv_bias))) with batch statistics; y (N, C, T), T divisible by the pool."""

    @staticmethod
    def forward(
        ctx: Any,
        y: Tensor,
        conv_bias: Tensor | None,
        weight: Tensor,
        bias: Tensor,
        running_mean: Tensor,
        running_var: Tensor,
        momentum: float,
        eps: float,
        pool: int,
    ) -> Tensor:
        n, c, t = y.shape
        mean, var = torch.batch_norm_update_stats(y, running_mean, running_var, momentum)  # biased var
        if conv_bias is not None:  # the running mean is that of y + conv_bias
            running_mean.add_(conv_bias.detach(), alpha=momentum)
        invstd = torch.rsqrt(var + eps)
        scale, shift = (weight * invstd)[:, None], (bias - mean * weight * invstd)[:, None]
        windows = y.view(n, c, t // pool, pool)
        hi, lo = windows.amax(-1), windows.amin(-1)  # (N, C, T/p)
        z_hi, z_lo = hi * scale + shift, lo * scale + shift
        g_hi, g_lo = F.gelu(z_hi), F.gelu(z_lo)
        take_hi = g_hi >= g_lo
        ctx.save_for_backward(
            y, torch.where(take_hi, hi, lo), torch.where(take_hi, z_hi, z_lo), mean, invstd, weight
        )
        ctx.pool, ctx.has_conv_bias = pool, conv_bias is not None
        return torch.where(take_hi, g_hi, g_lo)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        y, picked, z, mean, invstd, weight = ctx.saved_tensors
        n, c, t = y.shape
        pool = ctx.pool
        g_z = torch.ops.aten.gelu_backward(grad.contiguous(), z)  # dL/d(BN output) at the picked elements
        x_hat = (picked - mean[:, None]) * invstd[:, None]
        sum_g, sum_gx = g_z.sum((0, 2)), (g_z * x_hat).sum((0, 2))  # = dL/dβ, dL/dγ
        # dL/dy = a·g − (a/M)·(Σg + x̂·Σg·x̂), a = γ/σ: a per-channel affine map of y (dense) plus a·g at the
        # picked elements (sparse).
        a, m = weight * invstd, n * t
        c1 = -a * sum_gx * invstd / m
        c0 = -a * sum_g / m - c1 * mean
        grad_y = torch.addcmul(c0[None, :, None], y, c1[None, :, None])  # (N, C, T)
        hit = y.view(n, c, t // pool, pool) == picked.unsqueeze(-1)  # (N, C, T/p, p)
        first = hit.view(torch.uint8).argmax(-1, keepdim=True)  # like MaxPool, one element per window
        add_at(grad_y.view(n, c, t // pool, pool), first, (a[:, None] * g_z).unsqueeze(-1))
        grad_conv_bias = torch.zeros_like(mean) if ctx.has_conv_bias else None  # BatchNorm cancels it
        return grad_y, grad_conv_bias, sum_gx, sum_g, None, None, None, None, None


def add_at(windows: Tensor, index: Tensor, values: Tensor, *, scatter: bool | None = None) -> Tensor:
    """windows[..., index] += values in place, for (…, p) windows and (…, 1) index and values.

    ``scatter`` (default: on CPU) uses scatter_add_; elsewhere a one-hot mask, since CUDA's
    scatter_add_ may refuse ``torch.use_deterministic_algorithms``.
    """
    if scatter is None:
        scatter = windows.device.type == "cpu"
    if scatter:
        return windows.scatter_add_(-1, index, values)
    one_hot = torch.arange(windows.shape[-1], device=windows.device) == index
    return windows.addcmul_(one_hot, values)
