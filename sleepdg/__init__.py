"""sleepdg: cross-dataset sleep staging (SleepDIFFormer under leave-one-dataset-out).

Heavy dependencies (torch, mne, zarr) are imported by the modules that need them, not here.
"""

from sleepdg.errors import ChannelNotFoundError, ReaderError, SleepdgError
from sleepdg.predict import PredictResult, predict
from sleepdg.recording import DatasetReader, Recording, Signal
from sleepdg.stages import EPOCH_S, STAGE_NAMES, Stage

__all__ = [
    "EPOCH_S",
    "STAGE_NAMES",
    "ChannelNotFoundError",
    "DatasetReader",
    "PredictResult",
    "ReaderError",
    "Recording",
    "Signal",
    "SleepdgError",
    "Stage",
    "predict",
]
__version__ = "0.1.0"
