"""Reconstruction decoder: one epoch's feature vector → both z-scored 30-s channels (method.md §5)."""

from __future__ import annotations

from torch import Tensor, nn

# (kernel, stride, padding) of the five transposed convolutions: lengths 1 → 5 → 10 → 20 → 100 → 3000
_GEOMETRY = ((5, 5, 0), (10, 2, 4), (10, 2, 4), (5, 5, 0), (64, 30, 17))


class Decoder(nn.Module):
    """ConvTranspose1d stack (bias-free), each but the last followed by BatchNorm → GELU → Dropout.

    Channels width → width → width/2 → width/4 → width/4 → 2 (256, 256, 128, 64, 64, 2 in the paper).
    """

    def __init__(self, width: int, dropout: float, n_channels: int = 2) -> None:
        super().__init__()
        widths = (width, width, width // 2, width // 4, width // 4, n_channels)
        layers: list[nn.Module] = []
        for i, (kernel, stride, padding) in enumerate(_GEOMETRY):
            layers.append(nn.ConvTranspose1d(widths[i], widths[i + 1], kernel, stride, padding, bias=False))
            if i < len(_GEOMETRY) - 1:
                layers += [nn.BatchNorm1d(widths[i + 1]), nn.GELU(), nn.Dropout(dropout)]
        self.layers = nn.Sequential(*layers)
        self.n_channels = n_channels

    def forward(self, mu: Tensor) -> Tensor:
        """(B, L, width) → (B, L, n_channels, 3000)."""
        b, length, width = mu.shape
        y = self.layers(mu.reshape(b * length, width, 1))  # (B·L, n_channels, 3000)
        return y.view(b, length, self.n_channels, -1)
