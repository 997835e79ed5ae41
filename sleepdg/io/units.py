"""Physical units of EEG/EOG channels, converted to microvolts."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

_TO_UV = {"uv": 1.0, "µv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3}


def unit_scale_to_uv(unit: str, path: Path | str, label: str) -> float:
    """Factor turning values in ``unit`` into µV; an unknown or empty unit is taken as µV with a warning.

    >>> unit_scale_to_uv("mV", "x.edf", "EEG")
    1000.0
    """
    key = unit.strip().casefold().replace("μ", "µ").replace("\xb5", "µ")
    scale = _TO_UV.get(key)
    if scale is None:
        log.warning("%s: channel %r has unit %r; taking it as microvolts", path, label, unit)
        return 1.0
    return scale
