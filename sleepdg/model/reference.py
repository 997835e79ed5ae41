"""Load the reference implementation's weights (Ben1001409/SleepDIFFormer) into `SleepDIFFormer`.

A reference state_dict names its tensors after the reference's modules (``ae.encoder.…``) and,
when saved from the full class, holds about 1,100 tensors of modules that never run. This module
maps the tensors that act onto our names, ignores the dead ones, and infers the widths from the
shapes. The result uses ``stacking="reference"`` (the only stacking those weights were trained in).
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path

import torch
from torch import Tensor

from sleepdg.errors import CheckpointError
from sleepdg.model.config import PRESETS, ModelConfig
from sleepdg.model.sleepdifformer import SleepDIFFormer

log = logging.getLogger(__name__)

# Reference module → (our module, {reference sub-path: our sub-path}). A key maps when its
# remainder after the module is one of the sub-paths or starts with one and a dot; every other key
# of a full reference state_dict belongs to a module that never runs, and is ignored.
_EMBEDDING = {
    "glb_token": "global_token",
    "pos_embedding": "pos_embedding",
    **{f"embed_decreasing_kernel_128.{4 * i}": f"blocks.{i}.conv" for i in range(3)},
    **{f"embed_decreasing_kernel_128.{4 * i + 1}": f"blocks.{i}.bn" for i in range(3)},
}
_MDTA_LAYER = {
    "conv1": "ffn_eeg.fc1",
    "conv2": "ffn_eeg.fc2",
    "conv3": "ffn_eog.fc1",
    "conv4": "ffn_eog.fc2",
    "norm1": "norm_post_eeg",
    "norm2": "norm_cross_eeg",
    "norm3": "norm_ffn_eeg",
    "norm4": "norm_self_eeg",
    "norm5": "norm_self_eog",
    "norm6": "norm_cross_eog",
    "norm7": "norm_ffn_eog",
    **{f"{a}_attention.{p}_proj": f"{a}_attn.{p}_proj" for a in ("self", "cross") for p in "qkv"},
    **{f"{a}_attention.out_proj": f"{a}_attn.out_proj" for a in ("self", "cross")},
    **{f"{a}_attention.inner_attention.subln": f"{a}_attn.norm" for a in ("self", "cross")},
    **{
        f"{a}_attention.inner_attention.lambda_{v}": f"{a}_attn.lambda_{v}"
        for a in ("self", "cross")
        for v in ("q1", "q2", "k1", "k2")
    },
}
_BLOCK = "layers.encoder_layer_0."
_SEQUENCE = {
    "pos_embedding": "pos_embedding",
    _BLOCK + "ln_1": "norm_attn",
    _BLOCK + "ln_2": "norm_mlp",
    _BLOCK + "self_attention.in_proj_weight": "in_proj.weight",
    _BLOCK + "self_attention.in_proj_bias": "in_proj.bias",
    _BLOCK + "self_attention.out_proj": "out_proj",
    _BLOCK + "mlp.linear_1": "fc1",
    _BLOCK + "mlp.linear_2": "fc2",
    "ln": "norm_out",
}
_MODULES: dict[str, tuple[str, dict[str, str]]] = {
    "ae.encoder.en_embedding_1": ("embed_eeg", _EMBEDDING),
    "ae.encoder.en_embedding_2": ("embed_eog", _EMBEDDING),
    "ae.encoder.seq_encoder_global1": ("seq_series", _SEQUENCE),
    "ae.encoder.seq_encoder_global2": ("seq_global", _SEQUENCE),
    "ae.encoder.fc_mu1": ("projection", {"weight": "weight", "bias": "bias"}),
    "classifier": ("classifier", {"weight": "weight", "bias": "bias"}),
    "ae.decoder.upsample": ("decoder.layers", {}),  # indices kept as they are
}
_LAYER_KEY = re.compile(r"^ae\.encoder\.seq_encoder_1\.layers\.(\d+)\.(.+)$")
# Tensors of layers 0..L-2 that cannot change any output under the reference stacking.
_DISCARDED_LAYER_UNUSED = re.compile(
    r"^encoder\.layers\.(\d+)\.(ffn_e[eo]g\.\w+\.\w+|norm_(cross|ffn)_e[eo]g\.\w+"
    r"|cross_attn\.(v_proj|out_proj|norm)\.\w+)$"
)


def _map_part(rest: str, parts: dict[str, str]) -> str | None:
    if not parts:
        return rest
    for old, new in parts.items():
        if rest == old:
            return new
        if rest.startswith(old + "."):
            return new + rest[len(old) :]
    return None


def _rename(key: str) -> str | None:
    """Our name of a reference tensor, or None for a tensor of a module that never runs."""
    if m := _LAYER_KEY.match(key):
        part = _map_part(m.group(2), _MDTA_LAYER)
        return None if part is None else f"encoder.layers.{m.group(1)}.{part}"
    for module, (ours, parts) in _MODULES.items():
        if key.startswith(module + "."):
            part = _map_part(key[len(module) + 1 :], parts)
            return None if part is None else f"{ours}.{part}"
    return None


def _read(path: Path) -> dict[str, Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise FileNotFoundError(f"{path.resolve()}: no such checkpoint")
    try:
        raw: object = (
            load_file(str(path))
            if path.suffix == ".safetensors"
            else torch.load(path, map_location="cpu", weights_only=True)
        )
    except (SafetensorError, pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path}: cannot read as a .pt/.pth or .safetensors state_dict: {reason}"
        ) from None
    for wrapper in ("state_dict", "model", "model_state_dict"):  # common ways of saving a state_dict
        if isinstance(raw, dict) and isinstance(raw.get(wrapper), dict):
            raw = raw[wrapper]
    if not isinstance(raw, dict) or not all(isinstance(v, Tensor) for v in raw.values()):
        raise CheckpointError(f"{path}: expected a mapping of tensor names to tensors")
    return raw


def _convert(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Reference keys → ours: dead keys dropped, λ vectors stacked, 1×1 conv weights squeezed."""
    out: dict[str, Tensor] = {}
    lambdas: dict[str, dict[str, Tensor]] = {}
    for key, value in state.items():
        new = _rename(key)
        if new is None:
            continue
        if re.search(r"_attn\.lambda_[qk][12]$", new):
            lambdas.setdefault(new[:-1], {})[new[-1]] = value  # "….lambda_q" → {"1": …, "2": …}
            continue
        if re.search(r"\.ffn_e[eo]g\.fc[12]\.weight$", new) and value.dim() == 3:
            value = value[:, :, 0]  # Conv1d(kernel 1) → Linear
        out[new] = value
    for prefix, pair in lambdas.items():
        if set(pair) != {"1", "2"}:
            raise CheckpointError(f"{prefix}1/2: only λ vector(s) {sorted(pair)} present")
        out[prefix] = torch.stack([pair["1"], pair["2"]])
    return out


def _infer_config(state: dict[str, Tensor], path: str) -> ModelConfig:
    needed = ("embed_eeg.pos_embedding", "embed_eeg.blocks.0.conv.weight", "embed_eeg.blocks.1.conv.weight")
    missing = [k for k in needed if k not in state]
    if missing:
        raise CheckpointError(
            f"{path}: not a SleepDIFFormer reference state_dict (no {missing[0]!r} after mapping)"
        )
    layers = {int(m.group(1)) for k in state if (m := re.match(r"encoder\.layers\.(\d+)\.", k))}
    if not layers:
        raise CheckpointError(f"{path}: no MDTA layer (ae.encoder.seq_encoder_1.layers.*) in the state_dict")
    d_model = state["embed_eeg.pos_embedding"].shape[-1]
    head_dim = state["encoder.layers.0.self_attn.lambda_q"].shape[-1]
    last = max(layers)
    paper = PRESETS["paper"]
    return ModelConfig(
        d_model=d_model,
        n_heads=d_model // (2 * head_dim),
        n_layers=last + 1,
        d_ff=state[f"encoder.layers.{last}.ffn_eeg.fc1.weight"].shape[0],
        cnn_channels=(
            state["embed_eeg.blocks.0.conv.weight"].shape[0],
            state["embed_eeg.blocks.1.conv.weight"].shape[0],
        ),
        dropout=paper.dropout,
        stacking="reference",
        attention="differential",
        seq_len=state["seq_global.pos_embedding"].shape[1],
        kernel_sizes=tuple(state[f"embed_eeg.blocks.{i}.conv.weight"].shape[-1] for i in range(3)),  # type: ignore[arg-type]
        seq_heads=paper.seq_heads,
    )


def load_reference_checkpoint(path: Path | str) -> SleepDIFFormer:
    """Build our model from a reference checkpoint file, in eval mode with ``stacking="reference"``.

    Parameters
    ----------
    path
        A reference state_dict: the 208 live tensors or the full class's ~1,300 (dead modules
        are ignored), as ``.safetensors`` or a ``.pt``/``.pth`` read with ``weights_only=True``.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    CheckpointError
        When the file is not a state_dict, or a tensor the model needs is missing or has the
        wrong shape (both are named).
    """
    path = Path(path)
    return model_from_reference_state(_read(path), source=str(path))


def model_from_reference_state(state: dict[str, Tensor], *, source: str = "state_dict") -> SleepDIFFormer:
    """`load_reference_checkpoint` for a state_dict already in memory; ``source`` names it in errors."""
    ours = _convert({k.removeprefix("module."): v for k, v in state.items()})
    config = _infer_config(ours, source)
    model = SleepDIFFormer(config, seed=0)
    expected = model.state_dict()
    last = config.n_layers - 1
    missing = [k for k in expected if k not in ours and not _unused_when_discarded(k, last)]
    if missing:
        raise CheckpointError(f"{source}: {len(missing)} tensors missing, e.g. {', '.join(missing[:5])}")
    misfits = [
        f"{k} {tuple(v.shape)} (expected {tuple(expected[k].shape)})"
        for k, v in ours.items()
        if v.shape != expected[k].shape
    ]
    if misfits:
        raise CheckpointError(f"{source}: tensors of the wrong shape: {'; '.join(misfits[:5])}")
    model.load_state_dict(ours, strict=False)
    log.info("loaded %d reference tensors from %s (%d MDTA layers)", len(ours), source, config.n_layers)
    return model.eval()


def _unused_when_discarded(key: str, last_layer: int) -> bool:
    """True for a tensor of a layer before the last that cannot change any output (reference stacking)."""
    m = _DISCARDED_LAYER_UNUSED.match(key)
    return m is not None and int(m.group(1)) < last_layer
