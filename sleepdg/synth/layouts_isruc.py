"""ISRUC layout: ``subgroupI/<n>/<n>.rec`` + ``<n>_1.txt`` + ``<n>_2.txt`` (datasets.md B.3).

The ``.rec`` is EDF under another suffix (19 channels at 200 Hz, A-montage). Both scorers' label
files run 30 epochs past the signal; scorer 2 is a second, independent noisy scoring of the same
night whose unscored epochs (``U``: epoch 1 in a fifth of nights, now and then mid-night) are
written as ``0`` like W, as in the real ``.txt`` files.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from sleepdg.synth.hypnogram import UNSCORED, Hypnogram
from sleepdg.synth.layouts import RecordStreams, edf_channels
from sleepdg.synth.profiles import DatasetProfile

CODES = (0, 1, 2, 3, 5)  # W N1 N2 N3 REM; 4 is unused


def scorer2(hyp: Hypnogram, profile: DatasetProfile, rng: np.random.Generator) -> Hypnogram:
    """The second scorer: independent label noise, plus ``U`` epochs at the measured rates."""
    from sleepdg.synth.hypnogram_stats import NIGHTS
    from sleepdg.synth.physiology import apply_label_noise

    q = NIGHTS["isruc"]
    kinds = hyp.kinds.copy()
    if rng.random() < q["u_first_p"]:
        kinds[0] = UNSCORED
    for _ in range(rng.poisson(q["u_mid_per_night"])):
        kinds[rng.integers(1, hyp.n_epochs)] = UNSCORED
    return replace(hyp, kinds=kinds).rescore(apply_label_noise(hyp.stages, profile, rng))


def write_isruc(
    out: Path,
    index: int,
    record_id: str,
    hyp: Hypnogram,
    signals: dict[str, tuple[np.ndarray, float]],
    profile: DatasetProfile,
    streams: RecordStreams,
) -> list[Path]:
    """Write one subgroup-I night; returns the three file paths relative to ``out``."""
    from sleepdg.io.edf import write_edf
    from sleepdg.io.isruc_labels import write_isruc_labels

    n = record_id.rsplit("/", 1)[1]
    folder = Path(record_id)
    files = [folder / f"{n}.rec", folder / f"{n}_1.txt", folder / f"{n}_2.txt"]
    write_edf(out / files[0], edf_channels(signals, profile), start=hyp.start, record_duration_s=1.0)
    for path, scoring in ((files[1], hyp), (files[2], scorer2(hyp, profile, streams.scoring))):
        write_isruc_labels(out / path, [int(label) for label in scoring.native])
    return files
