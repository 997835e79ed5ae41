"""SleepDIFFormer: CNN embeddings → MDTA → two epoch-sequence encoders → per-epoch logits.

Data flow for x (B, L, 2, T) (method.md §0):
EEG, EOG → `SignalEmbedding` each → (B·L, 31, D) → `MDTAEncoder` → global tokens (B, L, 2D) →
sequence encoder → shared projection → classifier → logits (B, L, n_classes);
series tokens averaged (B, L, 2D) → the other sequence encoder → shared projection → μ → decoder.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import torch
from torch import Tensor, nn

from sleepdg.model.config import ModelConfig
from sleepdg.model.decoder import Decoder
from sleepdg.model.embedding import SignalEmbedding
from sleepdg.model.mdta import Maps, MDTAEncoder
from sleepdg.model.sequence import SequenceEncoder


class ModelOutput(NamedTuple):
    """What `SleepDIFFormer.forward` returns; ``out[0]`` is the logits.

    logits: (B, L, n_classes) raw scores. recon: (B, L, 2, T) reconstruction or None.
    mu: (B, L, 2·d_model) series-branch features (alignment losses, decoder) or None.
    attention: {layer: {"eeg_self_attn" (B·L, H, 31, 31), "eog_self_attn",
    "cross_attn_eeg_to_eog" (B·L, H, 1, 1), "cross_attn_eog_to_eeg"}}; empty unless asked for.
    """

    logits: Tensor
    recon: Tensor | None
    mu: Tensor | None
    attention: dict[int, Maps]


class SleepDIFFormer(nn.Module):
    """The multi-channel differential transformer for 2-channel (EEG, EOG) sleep staging.

    Parameters
    ----------
    config
        All sizes; see `ModelConfig` and its presets.
    seed
        When given, the weights are initialised from this seed without touching the global RNG.
    """

    def __init__(self, config: ModelConfig, *, seed: int | None = None) -> None:
        super().__init__()
        self.config = config
        rng = torch.random.fork_rng(devices=[]) if seed is not None else contextlib.nullcontext()
        with rng:
            if seed is not None:
                torch.manual_seed(seed)
            self._build(config)

    def _build(self, c: ModelConfig) -> None:
        def embedding() -> SignalEmbedding:
            return SignalEmbedding(
                c.cnn_channels, c.d_model, c.kernel_sizes, c.pool_sizes, c.n_tokens, c.dropout
            )

        self.embed_eeg, self.embed_eog = embedding(), embedding()
        self.encoder = MDTAEncoder(
            c.d_model, c.n_heads, c.n_layers, c.d_ff, c.dropout, c.stacking, c.attention
        )
        self.seq_series = SequenceEncoder(c.seq_width, c.seq_heads, c.seq_len, c.dropout)  # → μ
        self.seq_global = SequenceEncoder(c.seq_width, c.seq_heads, c.seq_len, c.dropout)  # → logits
        self.projection = nn.Linear(c.seq_width, c.seq_width)  # shared by both branches (fc_mu1)
        self.classifier = nn.Linear(c.seq_width, c.n_classes)
        self.decoder = Decoder(c.seq_width, c.dropout)

    def forward(
        self, x: Tensor, *, decode: bool | None = None, return_attention: bool = False
    ) -> ModelOutput:
        """Stage every epoch of every sequence.

        Parameters
        ----------
        x
            (B, L, 2, T) float32 z-scored signals, channel 0 EEG and 1 EOG, T samples at 100 Hz.
        decode
            Compute μ and the reconstruction; None means "in training mode only".
        return_attention
            Return every MDTA layer's attention maps (layers the reference discards included).

        Returns
        -------
        ModelOutput
            logits (B, L, n_classes), recon and mu (or None), attention maps (or {}).
        """
        self._check_input(x)
        b, length, _, t = x.shape
        e = self.embed_eeg(x[:, :, 0].reshape(b * length, t))  # (B·L, S, D)
        o = self.embed_eog(x[:, :, 1].reshape(b * length, t))
        e, o, maps = self.encoder(e, o, return_attention=return_attention)
        glob = torch.cat([e[:, -1], o[:, -1]], dim=-1).view(b, length, -1)  # (B, L, 2D)
        logits = self.classifier(self.projection(self.seq_global(glob)))  # (B, L, n_classes)
        if not (self.training if decode is None else decode):
            return ModelOutput(logits, None, None, maps)
        series = torch.cat([e[:, :-1].mean(1), o[:, :-1].mean(1)], dim=-1).view(b, length, -1)  # (B, L, 2D)
        mu = self.projection(self.seq_series(series))  # (B, L, 2D)
        return ModelOutput(logits, self.decoder(mu), mu, maps)

    def _check_input(self, x: Tensor) -> None:
        c = self.config
        expected = f"(B, {c.seq_len}, 2, {c.n_samples})"
        if x.dim() != 4 or tuple(x.shape[1:]) != (c.seq_len, 2, c.n_samples):
            raise ValueError(f"input of shape {tuple(x.shape)}; the model takes {expected}")
        if not x.is_floating_point():
            raise TypeError(f"input of dtype {x.dtype}; the model takes float32")
