"""ModelConfig: presets, params overrides, validation and the checkpoint round trip."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from sleepdg.model import PRESETS, ModelConfig, config_from_params
from sleepdg.params import ModelParams


def test_paper_preset_has_the_reference_sizes() -> None:
    paper = PRESETS["paper"]
    assert (paper.d_model, paper.n_heads, paper.n_layers, paper.d_ff) == (128, 4, 4, 512)
    assert paper.cnn_channels == (64, 128) and paper.dropout == 0.1
    assert paper.n_tokens == 30 and paper.seq_width == 256  # 2·d_model, hard-coded 256 in the reference


def test_params_fill_the_preset_and_override_only_what_they_set() -> None:
    config = config_from_params(ModelParams(preset="paper", d_model=64, stacking="chained"), seq_len=10)
    assert config == replace(PRESETS["paper"], d_model=64, stacking="chained", seq_len=10)
    assert config_from_params(ModelParams()) == PRESETS["small"]  # the default preset


def test_config_round_trips_through_plain_json() -> None:
    config = replace(PRESETS["small"], attention="standard")
    plain = json.loads(json.dumps(config.to_dict()))
    assert ModelConfig.from_dict(plain) == config


def test_unknown_config_keys_are_named() -> None:
    with pytest.raises(ValueError, match="unknown model config keys \\['widht'\\]"):
        ModelConfig.from_dict({**PRESETS["small"].to_dict(), "widht": 3})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stacking": "stacked"}, "stacking 'stacked' is not one of reference, chained"),
        ({"attention": "linear"}, "attention 'linear' is not one of differential, standard"),
        ({"d_model": 60, "n_heads": 4}, "d_model 60 must be divisible by 2 \\* n_heads = 8"),
        ({"kernel_sizes": (49, 6, 5)}, "kernel_sizes must be three odd ints"),
        ({"pool_sizes": (7, 5, 4)}, "n_samples 3000 must be divisible by the pools' product"),
        ({"dropout": 1.0}, "dropout must be in \\[0, 1\\)"),
        ({"seq_heads": 7}, "seq_width 128 must be divisible by seq_heads 7"),
    ],
)
def test_invalid_configs_say_what_is_wrong(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(PRESETS["small"], **change)
