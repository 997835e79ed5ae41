"""SleepDIFFormer on tiny configs: shapes, modes, stacking and attention switches, determinism."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from sleepdg.model import PRESETS, ModelConfig, SleepDIFFormer
from sleepdg.model.attention import lambda_init
from sleepdg.model.mdta import MAP_NAMES
from sleepdg.model.sequence import SequenceEncoder

TINY = ModelConfig(
    d_model=16, n_heads=2, n_layers=2, d_ff=16, cnn_channels=(4, 8), dropout=0.1,
    stacking="reference", attention="differential", seq_len=3, seq_heads=2,
)  # fmt: skip


def _x(batch: int, config: ModelConfig = TINY, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, config.seq_len, 2, config.n_samples, generator=g)


@pytest.mark.parametrize(
    ("stacking", "attention", "n_layers"),
    [
        ("reference", "differential", 1),
        ("reference", "standard", 3),
        ("chained", "differential", 3),
        ("chained", "standard", 2),
    ],
)
def test_output_shapes_in_training_and_inference(stacking: str, attention: str, n_layers: int) -> None:
    config = replace(TINY, stacking=stacking, attention=attention, n_layers=n_layers)
    model = SleepDIFFormer(config, seed=0)
    x = _x(2, config)
    out = model.train()(x)
    assert out[0] is out.logits and out.logits.shape == (2, 3, 5)
    assert out.recon is not None and out.recon.shape == (2, 3, 2, 3000)
    assert out.mu is not None and out.mu.shape == (2, 3, 32)
    assert out.attention == {}
    with torch.no_grad():
        out = model.eval()(x, return_attention=True)
    assert out.recon is None and out.mu is None
    assert sorted(out.attention) == list(range(n_layers))
    heads = config.n_heads
    for maps in out.attention.values():
        assert tuple(maps) == MAP_NAMES
        assert maps["eeg_self_attn"].shape == maps["eog_self_attn"].shape == (6, heads, 31, 31)
        assert maps["cross_attn_eeg_to_eog"].shape == maps["cross_attn_eog_to_eeg"].shape == (6, heads, 1, 1)
    with torch.no_grad():
        out = model(x, decode=True)
    assert out.recon is not None and out.mu is not None


def test_differential_maps_rows_sum_to_one_minus_lambda_and_standard_maps_to_one() -> None:
    model = SleepDIFFormer(replace(TINY, n_layers=3), seed=0).eval()
    with torch.no_grad():
        maps = model(_x(1), return_attention=True).attention
    for layer, attn in enumerate(model.encoder.layers):
        lam = attn.self_attn.lambda_full().item()
        torch.testing.assert_close(maps[layer]["eeg_self_attn"].sum(-1), torch.full((3, 2, 31), 1 - lam))
        torch.testing.assert_close(
            maps[layer]["cross_attn_eog_to_eeg"],
            torch.full((3, 2, 1, 1), 1 - attn.cross_attn.lambda_full().item()),
        )
    standard = SleepDIFFormer(replace(TINY, attention="standard"), seed=0).eval()
    with torch.no_grad():
        maps = standard(_x(1), return_attention=True).attention
    torch.testing.assert_close(maps[1]["eog_self_attn"].sum(-1), torch.ones(3, 2, 31))


def test_lambda_init_grows_with_depth_as_in_diff_transformer() -> None:
    assert [round(lambda_init(i), 4) for i in range(4)] == [0.2, 0.3555, 0.4707, 0.5561]
    model = SleepDIFFormer(replace(TINY, n_layers=4), seed=0)
    assert [layer.self_attn.lambda_init for layer in model.encoder.layers] == [
        lambda_init(i) for i in range(4)
    ]


def _perturb_layer0(model: SleepDIFFormer) -> None:
    with torch.no_grad():
        for p in model.encoder.layers[0].parameters():
            p.add_(0.5)


@pytest.mark.parametrize("stacking", ["reference", "chained"])
def test_only_chained_stacking_lets_earlier_layers_change_the_output(stacking: str) -> None:
    model = SleepDIFFormer(replace(TINY, stacking=stacking), seed=0).eval()
    x = _x(1)
    with torch.no_grad():
        before = model(x, return_attention=True)
        _perturb_layer0(model)
        after = model(x, return_attention=True)
    assert not torch.equal(before.attention[0]["eeg_self_attn"], after.attention[0]["eeg_self_attn"])
    assert torch.equal(before.logits, after.logits) == (stacking == "reference")


def test_reference_stacking_gives_discarded_layers_no_gradient_and_chained_trains_all() -> None:
    for stacking, frozen in (("reference", True), ("chained", False)):
        model = SleepDIFFormer(replace(TINY, n_layers=3, stacking=stacking), seed=0).train()
        out = model(_x(2))
        (out.logits.sum() + out.mu.sum()).backward()  # type: ignore[union-attr]
        for index, layer in enumerate(model.encoder.layers):
            grads = [p.grad for p in layer.parameters()]
            assert all(g is None for g in grads) == (frozen and index < 2)
        assert all(p.grad is not None for p in model.encoder.layers[-1].ffn_eog.parameters())


def test_inference_runs_discarded_layers_only_for_their_maps_or_when_asked() -> None:
    model = SleepDIFFormer(replace(TINY, n_layers=3), seed=0).eval()
    calls: list[str] = []
    for index, layer in enumerate(model.encoder.layers):
        layer.self_attn.register_forward_hook(lambda *_, i=index: calls.append(f"attn{i}"))
        layer.ffn_eeg.register_forward_hook(lambda *_, i=index: calls.append(f"ffn{i}"))
    decoder_calls: list[int] = []
    model.decoder.register_forward_hook(lambda *_: decoder_calls.append(1))
    with torch.no_grad():
        model(_x(1))
        assert calls == ["attn2", "ffn2"] and decoder_calls == []
        calls.clear()
        model(_x(1), return_attention=True)
        assert calls == ["attn0", "attn1", "attn2", "ffn2"]
        calls.clear()
        model.encoder.run_discarded = True
        model(_x(1))
        assert calls == ["attn0", "ffn0", "attn1", "ffn1", "attn2", "ffn2"]


def test_same_seed_gives_the_same_weights_and_training_step_without_touching_the_global_rng() -> None:
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a, b = SleepDIFFormer(TINY, seed=7), SleepDIFFormer(TINY, seed=7)
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.classifier.weight, SleepDIFFormer(TINY, seed=8).classifier.weight)
    x = _x(2)
    losses = []
    for model in (a, b):
        torch.manual_seed(0)  # dropout masks
        out = model.train()(x)
        loss = out.logits.logsumexp(-1).mean() + out.recon.pow(2).mean()  # type: ignore[union-attr]
        loss.backward()
        losses.append((loss.item(), [p.grad.clone() for p in model.parameters() if p.grad is not None]))  # type: ignore[union-attr]
    assert losses[0][0] == losses[1][0]
    assert all(torch.equal(ga, gb) for ga, gb in zip(losses[0][1], losses[1][1], strict=True))


def test_long_inputs_go_through_the_cnn_in_chunks_with_the_same_result() -> None:
    config = replace(TINY, seq_len=20)
    model = SleepDIFFormer(config, seed=0).eval()
    x = _x(3, config)  # 60 epochs: more than one chunk
    with torch.no_grad():
        whole = model(x).logits
        parts = torch.cat([model(x[i : i + 1]).logits for i in range(3)])
    torch.testing.assert_close(whole, parts)


def test_paper_model_has_no_dead_modules() -> None:
    model = SleepDIFFormer(PRESETS["paper"], seed=0)
    # method.md §3.4: a clean port with all four MDTA layers (the reference class instantiates 51,431,667)
    assert sum(p.numel() for p in model.parameters()) == 3_517_445
    dead = (
        "value_embedding",
        "spectral",
        "multiscale",
        "non_overlappatch",
        "mlp_feedforward",
        "diff_attention",
        "gate",
        "fc_mu.",
    )
    assert not [name for name, _ in model.named_parameters() if any(d in name for d in dead)]


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((2, 3, 1, 3000), "input of shape \\(2, 3, 1, 3000\\); the model takes \\(B, 3, 2, 3000\\)"),
        ((3, 2, 3000), "input of shape"),
    ],
)
def test_wrong_input_shapes_are_rejected_with_the_expected_shape(
    shape: tuple[int, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SleepDIFFormer(TINY, seed=0)(torch.zeros(shape))


def test_a_frozen_batchnorm_in_a_training_model_uses_its_running_statistics() -> None:
    model = SleepDIFFormer(TINY, seed=0)
    x = _x(2)
    with torch.no_grad():
        expected = model.eval()(x).logits
        model.train()
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d | torch.nn.Dropout | SequenceEncoder):
                module.eval()  # SequenceEncoder: its attention dropout
        torch.testing.assert_close(model(x).logits, expected, rtol=1e-5, atol=1e-6)
