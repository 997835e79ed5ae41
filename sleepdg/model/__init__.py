"""SleepDIFFormer: model, configuration and reference-checkpoint import."""

from sleepdg.model.config import PRESETS, ModelConfig, config_from_params
from sleepdg.model.reference import load_reference_checkpoint
from sleepdg.model.sleepdifformer import ModelOutput, SleepDIFFormer

__all__ = [
    "PRESETS",
    "ModelConfig",
    "ModelOutput",
    "SleepDIFFormer",
    "config_from_params",
    "load_reference_checkpoint",
]
