"""Sleep stages (AASM) and the 30-s epoch grid shared by every stage of the pipeline."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

EPOCH_S = 30.0  # every dataset is scored in 30-s epochs
N_CLASSES = 5


class Stage(IntEnum):
    """AASM stages as stored in every array of the pipeline; R&K 3 and 4 both map to N3."""

    UNSCORED = -1  # R&K "?", movement, SHHS 9, P2018 undefined, ISRUC "U", epochs no scoring covers
    W = 0
    N1 = 1
    N2 = 2
    N3 = 3
    REM = 4


STAGE_NAMES: tuple[str, ...] = ("W", "N1", "N2", "N3", "REM")  # index = Stage value


def stage_counts(stages: np.ndarray) -> dict[str, int]:
    """Number of epochs per stage, with the keys W, N1, N2, N3, REM, UNSCORED.

    >>> stage_counts(np.array([0, 0, 4, -1], dtype=np.int8))
    {'W': 2, 'N1': 0, 'N2': 0, 'N3': 0, 'REM': 1, 'UNSCORED': 1}
    """
    counts = {name: int(np.count_nonzero(stages == code)) for code, name in enumerate(STAGE_NAMES)}
    counts["UNSCORED"] = int(np.count_nonzero(stages == Stage.UNSCORED))
    return counts
