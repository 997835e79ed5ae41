"""Training of one leave-one-dataset-out fold: sequences from prepared stores, loop, checkpoint."""

from sleepdg.train.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, load_checkpoint, save_checkpoint
from sleepdg.train.data import (
    SequenceDataset,
    SequenceIndex,
    Window,
    eval_windows,
    open_sources,
    split_train_val,
    train_windows,
)
from sleepdg.train.trainer import EpochRecord, TrainResult, train_fold

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "EpochRecord",
    "SequenceDataset",
    "SequenceIndex",
    "TrainResult",
    "Window",
    "eval_windows",
    "load_checkpoint",
    "open_sources",
    "save_checkpoint",
    "split_train_val",
    "train_fold",
    "train_windows",
]
