"""MDTA: the multi-channel differential transformer over the EEG and EOG tokens of each epoch.

One layer (method.md §3.2): one self-attention module shared by both modalities (pre-norm; the
EEG stream also has a post-norm, the EOG stream not, as in the reference), one cross-attention
module between the two global tokens (both directions), and one FFN per modality.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from sleepdg.model.attention import make_attention

Maps = dict[str, Tensor]
MAP_NAMES = ("eeg_self_attn", "eog_self_attn", "cross_attn_eeg_to_eog", "cross_attn_eog_to_eeg")


class FeedForward(nn.Module):
    """Per-token Linear(D→d_ff) → GELU → Dropout → Linear(d_ff→D) → Dropout."""

    def __init__(self, dim: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, d_ff), nn.Linear(d_ff, dim)
        self.act, self.dropout = nn.GELU(), nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """(N, S, D) → (N, S, D)."""
        return self.dropout(self.fc2(self.dropout(self.act(self.fc1(x)))))


class MDTALayer(nn.Module):
    """One MDTA layer over EEG tokens e and EOG tokens o, (N, S, D) each, global token last."""

    def __init__(
        self, dim: int, n_heads: int, d_ff: int, dropout: float, layer_index: int, attention: str
    ) -> None:
        super().__init__()
        self.self_attn = make_attention(attention, dim, n_heads, layer_index, dropout)
        self.cross_attn = make_attention(attention, dim, n_heads, layer_index, dropout)
        self.norm_self_eeg, self.norm_self_eog = nn.LayerNorm(dim), nn.LayerNorm(dim)  # pre-norms
        self.norm_post_eeg = nn.LayerNorm(dim)  # EEG only: the reference's asymmetry
        self.norm_cross_eeg, self.norm_cross_eog = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.norm_ffn_eeg, self.norm_ffn_eog = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ffn_eeg, self.ffn_eog = FeedForward(dim, d_ff, dropout), FeedForward(dim, d_ff, dropout)
        self.dropout = nn.Dropout(dropout)

    def _self(self, e: Tensor, o: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Shared self-attention of both streams in one call → e1, o1 (N, S, D), maps (2N, H, S, S)."""
        n = e.shape[0]
        x = torch.cat([self.norm_self_eeg(e), self.norm_self_eog(o)])  # (2N, S, D)
        y, maps = self.self_attn(x, x)
        e1 = self.norm_post_eeg(e + self.dropout(y[:n]))
        o1 = o + self.dropout(y[n:])
        return e1, o1, maps

    def forward(self, e: Tensor, o: Tensor) -> tuple[Tensor, Tensor, Maps]:
        """(N, S, D) × 2 → updated (N, S, D) × 2 and the four attention maps."""
        n = e.shape[0]
        e1, o1, self_maps = self._self(e, o)
        g = torch.cat([e1[:, -1:], o1[:, -1:]])  # (2N, 1, D): EEG globals, then EOG globals
        g_other = torch.cat([o1[:, -1:], e1[:, -1:]])  # each global queries the other modality's
        y, cross_maps = self.cross_attn(g, g_other)  # (2N, 1, D)
        ge = self.norm_cross_eeg(e1[:, -1:] + self.dropout(y[:n]))
        go = self.norm_cross_eog(o1[:, -1:] + self.dropout(y[n:]))
        e2 = torch.cat([e1[:, :-1], ge], dim=1)  # series tokens untouched by cross-attention
        o2 = torch.cat([o1[:, :-1], go], dim=1)
        e_out = self.norm_ffn_eeg(e2 + self.ffn_eeg(e2))
        o_out = self.norm_ffn_eog(o2 + self.ffn_eog(o2))
        return e_out, o_out, _split_maps(self_maps, cross_maps, n)

    def maps(self, e: Tensor, o: Tensor) -> Maps:
        """The attention maps alone: skips the cross-attention output and the FFNs."""
        n = e.shape[0]
        e1, o1, self_maps = self._self(e, o)
        g = torch.cat([e1[:, -1:], o1[:, -1:]])
        cross_maps = self.cross_attn.maps(g, torch.cat([o1[:, -1:], e1[:, -1:]]))
        return _split_maps(self_maps, cross_maps, n)


def _split_maps(self_maps: Tensor, cross_maps: Tensor, n: int) -> Maps:
    return dict(zip(MAP_NAMES, (self_maps[:n], self_maps[n:], cross_maps[:n], cross_maps[n:]), strict=True))


class MDTAEncoder(nn.Module):
    """A stack of MDTA layers with the reference's or the chained stacking.

    ``reference``: every layer reads the embeddings and only the last layer's output is kept
    (method.md §3.3); layers 0..L−2 run only to return their maps. ``chained``: layer l feeds l+1.
    Set ``run_discarded`` to run the discarded layers in full as the reference does (benchmarks).
    """

    def __init__(
        self, dim: int, n_heads: int, n_layers: int, d_ff: int, dropout: float, stacking: str, attention: str
    ) -> None:
        super().__init__()
        if stacking not in ("reference", "chained"):
            raise ValueError(f"stacking {stacking!r} is not one of reference, chained")
        self.stacking = stacking
        self.run_discarded = False
        self.layers = nn.ModuleList(
            MDTALayer(dim, n_heads, d_ff, dropout, index, attention) for index in range(n_layers)
        )

    def forward(
        self, e: Tensor, o: Tensor, *, return_attention: bool = False
    ) -> tuple[Tensor, Tensor, dict[int, Maps]]:
        """(N, S, D) EEG and EOG tokens → the encoded tokens and {layer: maps} (empty unless asked)."""
        maps: dict[int, Maps] = {}
        if self.stacking == "chained":
            for index, layer in enumerate(self.layers):
                e, o, layer_maps = layer(e, o)
                if return_attention:
                    maps[index] = layer_maps
            return e, o, maps
        *discarded, last = cast(list[MDTALayer], list(self.layers))
        for index, layer in enumerate(discarded):
            if self.run_discarded:
                maps[index] = layer(e, o)[2]
            elif return_attention:
                maps[index] = layer.maps(e, o)  # skips the FFNs and the cross-attention output
        e_out, o_out, maps[len(discarded)] = last(e, o)
        return e_out, o_out, maps if return_attention else {}
