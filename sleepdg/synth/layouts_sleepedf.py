"""Sleep-EDF cassette layout: ``sleep-cassette/SC4ssNE0-PSG.edf`` + ``SC4ssNEx-Hypnogram.edf`` (B.1).

The PSG is plain EDF with 30-s data records (seven channels, 100 Hz and 1 Hz); the hypnogram is
an annotation-only EDF+ of R&K stage runs sharing the PSG's start, spanning the whole 24-h (or
shortened) timeline so that its final ``Sleep stage ?`` runs past the PSG end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sleepdg.stages import EPOCH_S
from sleepdg.synth.hypnogram import Hypnogram
from sleepdg.synth.layouts import RecordStreams, edf_channels, label_runs, sleepedf_hypnogram_stem
from sleepdg.synth.profiles import DatasetProfile

FOLDER = "sleep-cassette"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def patient_field(rng: np.random.Generator, profile: DatasetProfile) -> str:
    """``X F X Female_33yr``: code, sex, birthdate and name as the SC headers write them."""
    mean, sd, lo, hi = profile.age_y
    age = int(np.clip(round(rng.normal(mean, sd)), lo, hi))
    sex = "F" if rng.random() < 0.5 else "M"
    return f"X {sex} X {'Female' if sex == 'F' else 'Male'}_{age}yr"


def write_sleepedf(
    out: Path,
    index: int,
    record_id: str,
    hyp: Hypnogram,
    signals: dict[str, tuple[np.ndarray, float]],
    profile: DatasetProfile,
    streams: RecordStreams,
) -> list[Path]:
    """Write one SC night; returns the two file paths relative to ``out``."""
    from sleepdg.io.edf import Annotation, write_annotations_edf, write_edf

    psg = Path(FOLDER) / f"{record_id}-PSG.edf"
    hypnogram = Path(FOLDER) / f"{sleepedf_hypnogram_stem(index)}-Hypnogram.edf"
    patient = patient_field(streams.extras, profile)
    start = hyp.start
    recording = f"Startdate {start.day:02d}-{_MONTHS[start.month - 1]}-{start.year} X X X"
    write_edf(out / psg, edf_channels(signals, profile), start=start, patient=patient, recording=recording)
    annotations = [Annotation(r.first * EPOCH_S, r.n * EPOCH_S, r.label) for r in label_runs(hyp.native)]
    write_annotations_edf(out / hypnogram, annotations, start=start, patient=patient)
    return [psg, hypnogram]
