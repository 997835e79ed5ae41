"""Dataset readers: native files of the five datasets -> `Recording`, one at a time.

>>> sorted(READERS)
['hmc', 'isruc', 'p2018', 'shhs', 'sleepedf']
"""

from __future__ import annotations

from pathlib import Path

from sleepdg.datasets._common import BaseReader, SignalInfo
from sleepdg.datasets.generic import read_generic, trailing_partial_s
from sleepdg.datasets.hmc import HmcReader
from sleepdg.datasets.isruc import IsrucReader
from sleepdg.datasets.p2018 import P2018Reader
from sleepdg.datasets.shhs import ShhsReader
from sleepdg.datasets.sleepedf import SleepedfReader
from sleepdg.params import DATASETS, DatasetPrepare, ParamsError, PrepareParams

__all__ = [
    "READERS",
    "BaseReader",
    "HmcReader",
    "IsrucReader",
    "P2018Reader",
    "ShhsReader",
    "SignalInfo",
    "SleepedfReader",
    "open_reader",
    "read_generic",
    "trailing_partial_s",
]

READERS: dict[str, type[BaseReader]] = {
    "sleepedf": SleepedfReader,
    "hmc": HmcReader,
    "isruc": IsrucReader,
    "shhs": ShhsReader,
    "p2018": P2018Reader,
}


def open_reader(name: str, root: Path, params: DatasetPrepare | None = None) -> BaseReader:
    """The reader of dataset ``name`` over the raw folder ``root``.

    Parameters
    ----------
    name
        A dataset key (``sleepedf``, ``hmc``, ``isruc``, ``shhs``, ``p2018``).
    root
        The dataset's raw folder; searched recursively.
    params
        Its ``prepare.<name>`` block; None takes the defaults.
    """
    if name not in READERS:
        raise ParamsError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    block = params if params is not None else PrepareParams().dataset(name)
    expected = type(PrepareParams().dataset(name))
    if not isinstance(block, expected):
        raise ParamsError(f"dataset {name!r} needs a {expected.__name__} block, got {type(block).__name__}")
    return READERS[name](Path(root), block)
