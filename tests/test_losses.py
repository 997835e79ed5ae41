"""Losses of method.md §5: each argument matters, edge cases give 0 rather than NaN, golden values."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import Tensor

from sleepdg.losses import (
    classification_loss,
    covariance_alignment,
    mean_alignment,
    reconstruction_loss,
    sequence_alignment,
    total_loss,
)

ALIGNMENTS = (mean_alignment, covariance_alignment, sequence_alignment)


def _mu(seed: int = 0, batch: int = 6, length: int = 4, dim: int = 8) -> Tensor:
    return torch.randn(batch, length, dim, generator=torch.Generator().manual_seed(seed))


def test_classification_loss_is_label_smoothed_cross_entropy_over_scored_epochs() -> None:
    logits = _mu(1, 2, 3, 5)
    y = torch.tensor([[0, 4, -1], [2, -1, 1]])
    keep = y.reshape(-1) != -1
    expected = F.cross_entropy(logits.reshape(-1, 5)[keep], y.reshape(-1)[keep], label_smoothing=0.1)
    torch.testing.assert_close(classification_loss(logits, y), expected)


def test_classification_loss_changes_with_each_argument_but_not_with_unscored_logits() -> None:
    logits, y = _mu(1, 2, 3, 5), torch.tensor([[0, 4, -1], [2, 3, 1]])
    base = classification_loss(logits, y)
    assert classification_loss(logits + torch.randn(2, 3, 5), y) != base
    assert classification_loss(logits, torch.tensor([[1, 4, -1], [2, 3, 1]])) != base
    assert classification_loss(logits, y, label_smoothing=0.0) != base
    unscored_changed = logits.clone()
    unscored_changed[0, 2] += 10
    assert classification_loss(unscored_changed, y) == base


def test_classification_loss_of_a_batch_without_scored_epochs_is_zero_with_a_gradient() -> None:
    logits = _mu(1, 2, 3, 5).requires_grad_()
    loss = classification_loss(logits, torch.full((2, 3), -1))
    assert loss.item() == 0.0
    loss.backward()
    assert logits.grad is not None


def test_classification_loss_rejects_labels_of_another_shape() -> None:
    with pytest.raises(ValueError, match=r"logits \(2, 3, 5\) and labels \(2, 4\) disagree"):
        classification_loss(_mu(1, 2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


def _hand(mu: Tensor, domains: Tensor) -> tuple[float, float, float]:
    """The three alignment terms written out with explicit loops."""
    ids = sorted(set(domains.tolist()))
    feats = {d: mu[domains == d] for d in ids}
    means = {d: f.reshape(-1, mu.shape[-1]).mean(0) for d, f in feats.items()}
    covs = {d: torch.cov(f.reshape(-1, mu.shape[-1]).T) for d, f in feats.items()}
    rel = {d: torch.stack([torch.corrcoef(s) for s in f]).mean(0) for d, f in feats.items()}
    pairs = list(itertools.combinations(ids, 2))
    mean = sum(((means[a] - means[b]) ** 2).mean().item() for a, b in pairs)
    cov = sum(((covs[a] - covs[b]) ** 2).mean().item() for a, b in pairs)
    seq = sum(((rel[a] - rel[b]) ** 2).sum().item() for a, b in pairs) / len(pairs)
    return mean, cov, seq


@pytest.mark.parametrize("ids", [[0, 1, 2, 0, 1, 2], [7, 7, 3, 11, 3, 40]])  # any ids, up to 4 domains
def test_alignment_terms_equal_their_definitions_for_any_domain_ids(ids: list[int]) -> None:
    mu, domains = _mu(2), torch.tensor(ids)
    got = [f(mu, domains).item() for f in ALIGNMENTS]
    assert got == pytest.approx(_hand(mu, domains), rel=1e-5)


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_alignment_changes_with_features_and_with_domains(
    alignment: Callable[[Tensor, Tensor], Tensor],
) -> None:
    mu, domains = _mu(3), torch.tensor([0, 0, 1, 1, 2, 2])
    base = alignment(mu, domains)
    assert alignment(mu * torch.linspace(0.5, 2, 8), domains) != base
    assert alignment(mu, torch.tensor([0, 1, 0, 1, 2, 2])) != base


@pytest.mark.parametrize("alignment", ALIGNMENTS)
def test_alignment_of_a_single_domain_is_zero_not_nan(alignment: Callable[[Tensor, Tensor], Tensor]) -> None:
    mu = _mu(4).requires_grad_()
    loss = alignment(mu, torch.full((6,), 2))
    assert loss.item() == 0.0
    loss.backward()  # still part of the graph or a constant: both fine for the trainer


def test_alignment_needs_one_domain_per_sequence() -> None:
    with pytest.raises(ValueError, match=r"one domain id per sequence, got \(5,\)"):
        mean_alignment(_mu(), torch.zeros(5, dtype=torch.long))


def test_reconstruction_loss_is_the_mean_squared_error_and_checks_shapes() -> None:
    x, recon = _mu(5, 2, 3, 4), _mu(6, 2, 3, 4)
    torch.testing.assert_close(reconstruction_loss(recon, x), ((recon - x) ** 2).mean())
    assert reconstruction_loss(recon, x) != reconstruction_loss(recon * 2, x)
    assert reconstruction_loss(recon, x) != reconstruction_loss(recon, x * 2)
    with pytest.raises(ValueError, match="differ in shape"):
        reconstruction_loss(recon[:, :2], x)


def test_total_loss_weights_the_terms_and_reports_each() -> None:
    g = torch.Generator().manual_seed(7)
    logits, recon, x = (
        torch.randn(4, 3, 5, generator=g),
        torch.randn(4, 3, 2, 10, generator=g),
        torch.randn(4, 3, 2, 10, generator=g),
    )
    mu, y, domains = _mu(8, 4, 3, 6), torch.randint(0, 5, (4, 3), generator=g), torch.tensor([0, 1, 0, 1])
    loss, terms = total_loss((logits, recon, mu, {}), x, y, domains, align_weight=0.3, rec_weight=2.0)
    assert set(terms) == {"cls", "mean", "cov", "seq", "rec", "total"}
    expected = terms["cls"] + 0.3 * (terms["mean"] + terms["cov"] + terms["seq"]) + 2.0 * terms["rec"]
    assert terms["total"] == pytest.approx(expected) and loss.item() == pytest.approx(expected)
    only_cls, terms0 = total_loss((logits, None, None, {}), x, y, domains, align_weight=0.0, rec_weight=0.0)
    assert only_cls.item() == pytest.approx(terms["cls"]) and terms0["rec"] == terms0["seq"] == 0.0
    with pytest.raises(ValueError, match="decode=True"):
        total_loss((logits, None, None, {}), x, y, domains)


def test_loss_terms_of_the_golden_training_batch(golden: Path) -> None:
    io = load_file(str(golden / "sleepdifformer_ref_io.safetensors"))
    expected = json.loads((golden / "sleepdifformer_ref.json").read_text())["loss_values"]["train_nodropout"]
    mu, domains = io["loss.train_nodropout.mu"], io["loss_batch.domains"]
    got = {
        "loss1_ce": classification_loss(io["loss.train_nodropout.logits"], io["loss_batch.y"]),
        "loss2_a_coral_mean": mean_alignment(mu, domains),
        "loss2_b_coral_cov": covariance_alignment(mu, domains),
        "loss2_c_relation": sequence_alignment(mu, domains),
    }
    for name, value in got.items():
        assert value.item() == pytest.approx(expected[name], rel=1e-5), name
