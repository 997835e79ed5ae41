"""Per-modality series embedding: a 3-block CNN turns one 30-s epoch into 30 one-second tokens.

Each block is Conv1d → BatchNorm → GELU → MaxPool (method.md §2), computed by the exact, faster
kernels of `sleepdg.model.cnn_ops`: channels-first with a fused BatchNorm-GELU-pool in training,
channels-last with BatchNorm folded into the convolution at inference.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sleepdg.model.cnn_ops import (
    BANDED_MAX_CHANNELS,
    batchnorm_gelu_pool,
    conv_channels_last,
    conv_single_channel,
    conv_single_channel_banded,
    fold_batchnorm,
    gelu_max_pool_channels_last,
)

EVAL_CHUNK = 20  # epochs per CNN call at inference: temporaries stay in cache and in the malloc heap


class ConvBlock(nn.Module):
    """Conv1d(c_in→c_out, odd kernel, same padding) → BatchNorm1d → GELU → MaxPool(pool)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, pool: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, kernel, padding=kernel // 2)
        self.bn = nn.BatchNorm1d(c_out)
        self.pool = pool

    def forward(self, x: Tensor) -> Tensor:
        """Training (N, c_in, T) → (N, c_out, T/pool); inference (N, T, c_in) → (N, T/pool, c_out).

        A first block (c_in = 1) takes (N, T) in both modes.
        """
        if self.training and self.bn.training:  # the bias goes to the BatchNorm (it cancels there)
            y = self._conv_channels_first(x, self.conv.weight, None)
            return batchnorm_gelu_pool(y, self.bn, self.pool, conv_bias=self.conv.bias)
        weight, bias = fold_batchnorm(self.conv, self.bn)
        if self.training:  # a frozen BatchNorm (running statistics) inside a training model
            return F.max_pool1d(F.gelu(self._conv_channels_first(x, weight, bias)), self.pool)
        if x.dim() == 2 and weight.shape[0] <= BANDED_MAX_CHANNELS:
            y = conv_single_channel_banded(x, weight, bias)
        elif x.dim() == 2:
            y = conv_single_channel(x, weight, bias, channels_last=True)
        else:
            y = conv_channels_last(x, weight, bias)  # (N, T, c_out)
        return gelu_max_pool_channels_last(y, self.pool)

    def _conv_channels_first(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if x.dim() == 2:
            return conv_single_channel(x, weight, bias, channels_last=False)
        return F.conv1d(x, weight, bias, padding=self.conv.padding)  # (N, c_out, T)


class SignalEmbedding(nn.Module):
    """One modality's epochs → 30 series tokens with a learnable position embedding + a global token.

    Parameters
    ----------
    channels
        Output channels of the first two convolutions; the third outputs ``d_model``.
    kernels, pools
        Kernel and pool sizes in samples (odd kernels, same padding).
    n_tokens
        Series tokens per epoch: ``n_samples / prod(pools)``.
    """

    def __init__(
        self,
        channels: tuple[int, int],
        d_model: int,
        kernels: tuple[int, int, int],
        pools: tuple[int, int, int],
        n_tokens: int,
        dropout: float,
    ) -> None:
        super().__init__()
        widths = (1, *channels, d_model)
        self.blocks = nn.ModuleList(
            ConvBlock(widths[i], widths[i + 1], kernels[i], pools[i]) for i in range(3)
        )
        self.pos_embedding = nn.Parameter(torch.randn(1, n_tokens, d_model) * 0.02)
        self.global_token = nn.Parameter(torch.randn(1, 1, d_model))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """(N, T) samples → (N, n_tokens + 1, d_model); the global token is last."""
        if self.training or x.shape[0] <= EVAL_CHUNK:
            h = self._cnn(x)
        else:  # running statistics: chunks give the same result with a cache-sized buffer
            h = torch.cat([self._cnn(part) for part in x.split(EVAL_CHUNK)])
        h = h + self.pos_embedding  # (N, n_tokens, D)
        glob = self.global_token.expand(h.shape[0], -1, -1)  # (N, 1, D)
        return self.dropout(torch.cat([h, glob], dim=1))  # (N, n_tokens + 1, D)

    def _cnn(self, x: Tensor) -> Tensor:
        """(N, T) → (N, n_tokens, D)."""
        h = x
        for block in self.blocks:
            h = block(h)  # training (N, C, T'), inference (N, T', C)
        return h.transpose(1, 2) if self.training else h
