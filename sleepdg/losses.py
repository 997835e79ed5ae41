"""Training losses of SleepDIFFormer (method.md §5): pure functions of tensors.

L = L_cls + align_weight·(L_mean + L_cov + L_seq) + rec_weight·L_rec.
The alignment terms compare the source domains present in a batch pairwise (any number of
domains, any integer ids); with fewer than two domains they are 0. They and the reconstruction use
every epoch, scored or not; the classification ignores epochs labelled -1 (unscored).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import Tensor

from sleepdg.stages import Stage

IGNORE_INDEX = int(Stage.UNSCORED)  # -1


def classification_loss(logits: Tensor, y: Tensor, *, label_smoothing: float = 0.1) -> Tensor:
    """Label-smoothed cross-entropy averaged over the scored epochs.

    Parameters
    ----------
    logits
        (B, L, n_classes) raw scores.
    y
        (B, L) int stage per epoch; -1 (unscored) epochs are ignored.
    label_smoothing
        Mass spread uniformly over the classes, in [0, 1).

    Returns
    -------
    Tensor
        Scalar; 0 (with a gradient path) when no epoch is scored.
    """
    if logits.shape[:-1] != y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and labels {tuple(y.shape)} disagree on (B, L)")
    flat_y = y.reshape(-1).long()
    if not bool((flat_y != IGNORE_INDEX).any()):
        return logits.sum() * 0.0
    flat = logits.reshape(-1, logits.shape[-1])
    return F.cross_entropy(flat, flat_y, ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing)


def _groups(mu: Tensor, domains: Tensor) -> list[Tensor]:
    """Sequences of each domain present, in increasing id order: list of (n_k, L, D)."""
    if mu.dim() != 3 or domains.shape != mu.shape[:1]:
        raise ValueError(
            f"features {tuple(mu.shape)} need one domain id per sequence, got {tuple(domains.shape)}"
        )
    return [mu[domains == d] for d in torch.unique(domains)]


def _zero(mu: Tensor) -> Tensor:
    """A scalar 0 that is part of mu's graph, so backward works with a single domain too."""
    return mu.sum() * 0.0


def _pairs(stats: list[Tensor]) -> list[Tensor]:
    return [a - b for a, b in itertools.combinations(stats, 2)]


def mean_alignment(mu: Tensor, domains: Tensor) -> Tensor:
    """Epoch-level first-moment alignment: Σ over domain pairs of the mean squared difference of means.

    Parameters
    ----------
    mu
        (B, L, D) epoch features.
    domains
        (B,) int domain id of each sequence.

    Returns
    -------
    Tensor
        Scalar, Σ_(i<j) ‖m_i − m_j‖² / D over the present domains; 0 with fewer than two.
    """
    means = [g.reshape(-1, g.shape[-1]).mean(0) for g in _groups(mu, domains)]
    return sum((d.pow(2).mean() for d in _pairs(means)), _zero(mu))


def covariance_alignment(mu: Tensor, domains: Tensor) -> Tensor:
    """Epoch-level CORAL: Σ over domain pairs of ‖C_i − C_j‖²_F / D², C the unbiased covariance.

    Parameters
    ----------
    mu
        (B, L, D) epoch features; each domain's covariance is over all its L·n_k epochs.
    domains
        (B,) int domain id of each sequence.

    Returns
    -------
    Tensor
        Scalar; 0 with fewer than two domains.
    """
    covs = []
    for g in _groups(mu, domains):
        rows = g.reshape(-1, g.shape[-1])  # (L·n_k, D)
        centred = rows - rows.mean(0)
        covs.append(centred.t() @ centred / max(rows.shape[0] - 1, 1))  # (D, D)
    return sum((d.pow(2).mean() for d in _pairs(covs)), _zero(mu))


def sequence_alignment(mu: Tensor, domains: Tensor) -> Tensor:
    """Sequence-level alignment: mean over domain pairs of ‖R_i − R_j‖²_F.

    R_k is the mean over domain k's sequences of the (L, L) Pearson correlation between the
    epochs of a sequence (each epoch's feature vector centred over its D features).

    Parameters
    ----------
    mu
        (B, L, D) epoch features.
    domains
        (B,) int domain id of each sequence.

    Returns
    -------
    Tensor
        Scalar; 0 (not NaN) with fewer than two domains.
    """
    centred = mu - mu.mean(-1, keepdim=True)  # (B, L, D)
    unit = centred / centred.norm(dim=-1, keepdim=True)
    corr = unit @ unit.transpose(1, 2)  # (B, L, L)
    means = [g.mean(0) for g in _groups(corr, domains)]
    diffs = _pairs(means)
    if not diffs:
        return _zero(mu)
    return torch.stack([d.pow(2).sum() for d in diffs]).mean()


def reconstruction_loss(recon: Tensor, x: Tensor) -> Tensor:
    """Mean squared error over every element; recon and x both (B, L, C, T)."""
    if recon.shape != x.shape:
        raise ValueError(f"reconstruction {tuple(recon.shape)} and input {tuple(x.shape)} differ in shape")
    return F.mse_loss(recon, x)


def total_loss(
    out: tuple[Tensor, Tensor | None, Tensor | None, object],
    x: Tensor,
    y: Tensor,
    domains: Tensor,
    *,
    align_weight: float = 0.5,
    rec_weight: float = 0.5,
    label_smoothing: float = 0.1,
) -> tuple[Tensor, dict[str, float]]:
    """The training objective of one batch, and its terms as floats for logging.

    Parameters
    ----------
    out
        The model's `ModelOutput` (logits, recon, mu, attention); recon and mu may be None only
        when their weight is 0.
    x, y, domains
        The batch: (B, L, 2, T) signals, (B, L) stages (-1 unscored), (B,) domain ids.
    align_weight, rec_weight, label_smoothing
        Weights of (L_mean + L_cov + L_seq) and of L_rec; label smoothing of L_cls.

    Returns
    -------
    tuple
        The scalar loss, and {"cls", "mean", "cov", "seq", "rec", "total"}.
    """
    logits, recon, mu = out[0], out[1], out[2]
    zero = logits.new_zeros(())
    terms = {"cls": classification_loss(logits, y, label_smoothing=label_smoothing)}
    if align_weight:
        if mu is None:
            raise ValueError("align_weight > 0 needs the features mu: call the model with decode=True")
        terms |= {"mean": mean_alignment(mu, domains), "cov": covariance_alignment(mu, domains)}
        terms["seq"] = sequence_alignment(mu, domains)
    else:
        terms |= {"mean": zero, "cov": zero, "seq": zero}
    if rec_weight:
        if recon is None:
            raise ValueError("rec_weight > 0 needs the reconstruction: call the model with decode=True")
        terms["rec"] = reconstruction_loss(recon, x)
    else:
        terms["rec"] = zero
    loss = (
        terms["cls"]
        + align_weight * (terms["mean"] + terms["cov"] + terms["seq"])
        + rec_weight * terms["rec"]
    )
    logged = {k: float(v.detach()) for k, v in terms.items()} | {"total": float(loss.detach())}
    return loss, logged
