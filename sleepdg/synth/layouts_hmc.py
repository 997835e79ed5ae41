"""HMC layout: ``recordings/SN001.edf`` + ``SN001_sleepscoring.edf`` + ``.txt`` (datasets.md B.2).

The PSG is plain EDF with 1-s records (eight channels at 256 Hz). The scoring has one annotation
per 30-s epoch from lights off to lights on, possibly starting seconds after the signal, plus the
zero-duration, off-grid ``Lights off@@<channel>`` / ``Lights on@@<channel>`` markers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sleepdg.stages import EPOCH_S
from sleepdg.synth.hypnogram import Hypnogram
from sleepdg.synth.layouts import RecordStreams, edf_channels
from sleepdg.synth.profiles import DatasetProfile

FOLDER = "recordings"
# Channels the markers were linked to in SN001 (v1.0 names: the reference spelled A1, not M1)
MARKER_CHANNELS = ("EEG F4-A1", "EEG Fpz-Cz")


def write_hmc(
    out: Path,
    index: int,
    record_id: str,
    hyp: Hypnogram,
    signals: dict[str, tuple[np.ndarray, float]],
    profile: DatasetProfile,
    streams: RecordStreams,
) -> list[Path]:
    """Write one HMC night; returns the three file paths relative to ``out``."""
    from sleepdg.io.edf import Annotation, write_annotations_edf, write_edf
    from sleepdg.io.hmc_txt import write_hmc_scoring_txt

    files = [
        Path(FOLDER) / f"{record_id}{suffix}" for suffix in (".edf", "_sleepscoring.edf", "_sleepscoring.txt")
    ]
    patient = f"{record_id} X X X"
    write_edf(
        out / files[0],
        edf_channels(signals, profile),
        start=hyp.start,
        patient=patient,
        record_duration_s=1.0,
    )
    annotations = [
        Annotation(hyp.grid_offset_s + i * EPOCH_S, EPOCH_S, label)
        for i, label in enumerate(hyp.native)
        if label
    ]
    if hyp.lights_s is not None:
        off, on = hyp.lights_s
        channels = streams.extras.choice(MARKER_CHANNELS, 2)
        annotations += [
            Annotation(off, 0.0, f"Lights off@@{channels[0]}"),
            Annotation(on, 0.0, f"Lights on@@{channels[1]}"),
        ]
    annotations.sort(key=lambda a: a.onset_s)
    write_annotations_edf(out / files[1], annotations, start=hyp.start, patient=patient)
    write_hmc_scoring_txt(out / files[2], annotations, start=hyp.start)
    return files
