"""Attention modules of the MDTA: differential attention (DiffT) and the standard ablation.

Both map queries (N, n, D) and keys/values (N, m, D) to (N, n, D) and return their attention
maps (N, H, n, m). Ye et al. 2024, "Differential Transformer" (arXiv 2410.05258).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def lambda_init(layer_index: int) -> float:
    """Depth-dependent λ_init = 0.8 − 0.6·exp(−0.3·l) of the 0-based layer index l."""
    return 0.8 - 0.6 * math.exp(-0.3 * layer_index)


class DiffAttention(nn.Module):
    """Differential attention: two softmax maps per head, subtracted with a learned scalar λ.

    D_h = softmax(Q_h1 K_h1ᵀ/√d) − λ·softmax(Q_h2 K_h2ᵀ/√d), with
    λ = exp(⟨λ_q1, λ_k1⟩) − exp(⟨λ_q2, λ_k2⟩) + λ_init shared by all heads. Each head's output
    D_h V_h is RMS-normalised (gain shared across heads) and scaled by (1 − λ_init). Projections are
    bias-free; d = dim / (2 · n_heads), values are 2d wide per head (method.md §3.1).
    """

    def __init__(self, dim: int, n_heads: int, layer_index: int) -> None:
        super().__init__()
        if dim % (2 * n_heads):
            raise ValueError(f"dim={dim} must be divisible by 2 * n_heads = {2 * n_heads}")
        self.n_heads, self.head_dim = n_heads, dim // (2 * n_heads)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (
            nn.Linear(dim, dim, bias=False) for _ in range(4)
        )
        self.lambda_init = lambda_init(layer_index)
        self.lambda_q = nn.Parameter(torch.randn(2, self.head_dim) * 0.02)  # rows: λ_q1, λ_q2
        self.lambda_k = nn.Parameter(torch.randn(2, self.head_dim) * 0.02)  # rows: λ_k1, λ_k2
        self.norm = nn.RMSNorm(2 * self.head_dim, eps=1e-5)

    def lambda_full(self) -> Tensor:
        """The scalar λ (0-d tensor)."""
        lam = torch.exp((self.lambda_q * self.lambda_k).sum(-1))  # (2,)
        return lam[0] - lam[1] + self.lambda_init

    def maps(self, x_q: Tensor, x_kv: Tensor) -> Tensor:
        """Differential attention maps only: (N, n, D), (N, m, D) → (N, H, n, m)."""
        n_batch, n, _ = x_q.shape
        m = x_kv.shape[1]
        q = self.q_proj(x_q).view(n_batch, n, 2 * self.n_heads, self.head_dim).transpose(1, 2)  # (N,2H,n,d)
        k = self.k_proj(x_kv).view(n_batch, m, 2 * self.n_heads, self.head_dim).transpose(1, 2)  # (N,2H,m,d)
        a = torch.softmax((q * self.head_dim**-0.5) @ k.transpose(-2, -1), dim=-1)  # (N, 2H, n, m)
        a = a.view(n_batch, self.n_heads, 2, n, m)  # sub-heads 2h, 2h+1 pair up
        return a[:, :, 0] - self.lambda_full() * a[:, :, 1]  # (N, H, n, m)

    def forward(self, x_q: Tensor, x_kv: Tensor) -> tuple[Tensor, Tensor]:
        """(N, n, D) queries, (N, m, D) keys/values → output (N, n, D), maps (N, H, n, m)."""
        n_batch, n, dim = x_q.shape
        m = x_kv.shape[1]
        attn = self.maps(x_q, x_kv)  # (N, H, n, m)
        v = self.v_proj(x_kv).view(n_batch, m, self.n_heads, 2 * self.head_dim).transpose(1, 2)  # (N,H,m,2d)
        y = self.norm(attn @ v) * (1 - self.lambda_init)  # (N, H, n, 2d)
        return self.out_proj(y.transpose(1, 2).reshape(n_batch, n, dim)), attn


class StandardAttention(nn.Module):
    """Multi-head softmax attention with biased projections (the reference's ``use_normal`` path).

    ``n_heads`` heads of width dim / n_heads; dropout acts on the attention weights in training.
    """

    def __init__(self, dim: int, n_heads: int, layer_index: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"dim={dim} must be divisible by n_heads = {n_heads}")
        self.n_heads, self.head_dim, self.layer_index = n_heads, dim // n_heads, layer_index
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def maps(self, x_q: Tensor, x_kv: Tensor) -> Tensor:
        """Softmax maps (N, H, n, m), before dropout."""
        n_batch, n, _ = x_q.shape
        m = x_kv.shape[1]
        q = self.q_proj(x_q).view(n_batch, n, self.n_heads, self.head_dim).transpose(1, 2)  # (N, H, n, d)
        k = self.k_proj(x_kv).view(n_batch, m, self.n_heads, self.head_dim).transpose(1, 2)  # (N, H, m, d)
        return torch.softmax((q * self.head_dim**-0.5) @ k.transpose(-2, -1), dim=-1)

    def forward(self, x_q: Tensor, x_kv: Tensor) -> tuple[Tensor, Tensor]:
        """(N, n, D) queries, (N, m, D) keys/values → output (N, n, D), maps (N, H, n, m)."""
        n_batch, n, dim = x_q.shape
        m = x_kv.shape[1]
        attn = self.maps(x_q, x_kv)
        v = self.v_proj(x_kv).view(n_batch, m, self.n_heads, self.head_dim).transpose(1, 2)  # (N, H, m, d)
        y = self.dropout(attn) @ v  # (N, H, n, d)
        return self.out_proj(y.transpose(1, 2).reshape(n_batch, n, dim)), attn


def make_attention(
    kind: str, dim: int, n_heads: int, layer_index: int, dropout: float
) -> DiffAttention | StandardAttention:
    """``differential`` → `DiffAttention`, ``standard`` → `StandardAttention`."""
    if kind == "differential":
        return DiffAttention(dim, n_heads, layer_index)
    if kind == "standard":
        return StandardAttention(dim, n_heads, layer_index, dropout)
    raise ValueError(f"attention {kind!r} is not one of differential, standard")
