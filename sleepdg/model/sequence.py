"""Epoch-sequence encoder: one pre-norm ViT block over the epochs of a sequence (method.md §4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SequenceEncoder(nn.Module):
    """Learnable position embedding → dropout → x + MHSA(LN(x)) → x + MLP(LN(x)) → LN.

    Standard (not differential) multi-head self-attention with biases and dropout on its weights;
    the MLP is width → width → width with GELU. LayerNorms use eps 1e-6 as the reference.
    """

    def __init__(self, width: int, n_heads: int, seq_len: int, dropout: float) -> None:
        super().__init__()
        if width % n_heads:
            raise ValueError(f"width {width} must be divisible by n_heads {n_heads}")
        self.n_heads, self.attn_dropout = n_heads, dropout
        self.pos_embedding = nn.Parameter(torch.randn(1, seq_len, width) * 0.02)
        self.norm_attn = nn.LayerNorm(width, eps=1e-6)
        self.in_proj = nn.Linear(width, 3 * width)  # [W_q; W_k; W_v]
        self.out_proj = nn.Linear(width, width)
        self.norm_mlp = nn.LayerNorm(width, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(width, width), nn.Linear(width, width)
        self.norm_out = nn.LayerNorm(width, eps=1e-6)
        self.dropout = nn.Dropout(dropout)
        nn.init.xavier_uniform_(self.in_proj.weight)
        nn.init.zeros_(self.in_proj.bias)
        nn.init.zeros_(self.out_proj.bias)
        for fc in (self.fc1, self.fc2):
            nn.init.xavier_uniform_(fc.weight)
            nn.init.normal_(fc.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        """(B, L, W) → (B, L, W); L must equal the position embedding's length."""
        b, length, width = x.shape
        if length != self.pos_embedding.shape[1]:
            raise ValueError(f"sequence of {length} epochs; this encoder takes {self.pos_embedding.shape[1]}")
        h = self.dropout(x + self.pos_embedding)
        qkv = self.in_proj(self.norm_attn(h)).view(b, length, 3, self.n_heads, width // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # 3 × (B, heads, L, W/heads)
        p = self.attn_dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)  # (B, heads, L, W/heads)
        h = h + self.dropout(self.out_proj(y.transpose(1, 2).reshape(b, length, width)))
        mlp = self.dropout(self.fc2(self.dropout(F.gelu(self.fc1(self.norm_mlp(h))))))
        return self.norm_out(h + mlp)
