"""Parity with the reference implementation on ../shared/golden (float32, CPU, rtol 1e-5 / atol 1e-6).

The golden state has its norms and λ vectors perturbed away from their initial values, so a wrong
key mapping or a misplaced norm shows in the outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import Tensor, nn

from sleepdg.losses import total_loss
from sleepdg.model import SleepDIFFormer, load_reference_checkpoint
from sleepdg.model.mdta import MAP_NAMES
from sleepdg.model.sequence import SequenceEncoder

RTOL, ATOL = 1e-5, 1e-6
# golden loss names → ours
LOSS_NAMES = {
    "loss1_ce": "cls",
    "loss2_a_coral_mean": "mean",
    "loss2_b_coral_cov": "cov",
    "loss2_c_relation": "seq",
    "loss3_recon_mse": "rec",
    "loss_total": "total",
}
BN_AFTER = "loss.train_nodropout.bn_after.ae.encoder.en_embedding_1.embed_decreasing_kernel_128.1."


@pytest.fixture(scope="module")
def io(golden: Path) -> dict[str, Tensor]:
    return load_file(str(golden / "sleepdifformer_ref_io.safetensors"))


@pytest.fixture(scope="module")
def expected_losses(golden: Path) -> dict[str, dict[str, float]]:
    values: dict[str, dict[str, float]] = json.loads((golden / "sleepdifformer_ref.json").read_text())[
        "loss_values"
    ]
    return values


@pytest.fixture()
def model(golden: Path) -> SleepDIFFormer:
    return load_reference_checkpoint(golden / "sleepdifformer_ref_state.safetensors")


def _close(name: str, ours: Tensor, theirs: Tensor, rtol: float = RTOL, atol: float = ATOL) -> None:
    err = (ours.double() - theirs.double()).abs()
    print(
        f"{name}: max abs {err.max():.2e}, max rel {(err / theirs.double().abs().clamp_min(1e-12)).max():.2e}"
    )
    torch.testing.assert_close(ours, theirs, rtol=rtol, atol=atol, msg=lambda m: f"{name}: {m}")


def test_eval_outputs_and_every_attention_map_match_the_reference(
    model: SleepDIFFormer, io: dict[str, Tensor]
) -> None:
    with torch.no_grad():
        out = model(io["input.x"], decode=True, return_attention=True)
    _close("logits", out.logits, io["eval.logits"])
    assert out.recon is not None and out.mu is not None
    _close("recon", out.recon, io["eval.recon"])
    _close("mu", out.mu, io["eval.mu"])
    assert sorted(out.attention) == [0, 1, 2, 3]
    for layer, maps in out.attention.items():
        assert tuple(maps) == MAP_NAMES
        for name, value in maps.items():
            _close(f"{name}.layer{layer}", value, io[f"eval.attn.{name}.layer{layer}"])


def test_inference_without_decoder_or_maps_gives_the_same_logits(
    model: SleepDIFFormer, io: dict[str, Tensor]
) -> None:
    with torch.inference_mode():
        out = model(io["input.x"])
    assert out.recon is None and out.mu is None and out.attention == {}
    _close("inference logits", out.logits, io["eval.inference_logits"])


def _dropout_off(model: nn.Module) -> None:
    """Training mode (BatchNorm on batch statistics) with every dropout off, as the golden case."""
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout | SequenceEncoder):
            module.eval()


def test_train_mode_loss_terms_running_stats_and_grad_norm_match_the_reference(
    model: SleepDIFFormer, io: dict[str, Tensor], expected_losses: dict[str, dict[str, float]]
) -> None:
    torch.use_deterministic_algorithms(True)
    _dropout_off(model)
    x, y, domains = io["loss_batch.x"], io["loss_batch.y"], io["loss_batch.domains"]
    out = model(x)
    loss, terms = total_loss(out, x, y, domains)
    for golden_name, ours in LOSS_NAMES.items():
        _close(
            golden_name,
            torch.tensor(terms[ours]),
            torch.tensor(expected_losses["train_nodropout"][golden_name]),
        )
    _close("train logits", out.logits, io["loss.train_nodropout.logits"])
    assert out.mu is not None
    _close("train mu", out.mu, io["loss.train_nodropout.mu"], atol=1e-5)

    bn = model.embed_eeg.blocks[0].bn
    assert bn.running_mean is not None and bn.running_var is not None
    _close("bn running_mean", bn.running_mean, io[BN_AFTER + "running_mean"])
    _close("bn running_var", bn.running_var, io[BN_AFTER + "running_var"])
    assert int(bn.num_batches_tracked) == int(io[BN_AFTER + "num_batches_tracked"]) == 1

    loss.backward()
    # The reference's conv biases before BatchNorm get float32 noise where the exact gradient is 0 (ours).
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    grad_norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    _close("grad norm", grad_norm, io["loss.train_nodropout.grad_norm_total"])


def test_eval_mode_loss_terms_match_the_reference(
    model: SleepDIFFormer, io: dict[str, Tensor], expected_losses: dict[str, dict[str, float]]
) -> None:
    x, y, domains = io["loss_batch.x"], io["loss_batch.y"], io["loss_batch.domains"]
    with torch.no_grad():
        _, terms = total_loss(model(x, decode=True), x, y, domains)
    for golden_name, ours in LOSS_NAMES.items():
        theirs = expected_losses["eval"][golden_name]
        # the eval-mode alignment terms are tiny differences of near-equal moments: absolute tolerance
        atol = 1e-8 if ours in ("mean", "cov", "seq") else ATOL
        _close(f"eval {golden_name}", torch.tensor(terms[ours]), torch.tensor(theirs), rtol=RTOL, atol=atol)
