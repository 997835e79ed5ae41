"""SHHS layout: the EDF plus its NSRR and profusion XMLs under ``polysomnography/`` (datasets.md B.4).

``edfs/shhs1/shhs1-<nsrrid>.edf`` is plain EDF with 1-s records (14 channels, 1-125 Hz) starting
on the de-identified date 01.01.85; ``annotations-events-nsrr/shhs1/shhs1-<nsrrid>-nsrr.xml``
holds the R&K stage runs and the scored respiratory events and arousals;
``annotations-events-profusion/shhs1/shhs1-<nsrrid>-profusion.xml`` one stage code per epoch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sleepdg.stages import EPOCH_S
from sleepdg.synth.hypnogram import Hypnogram
from sleepdg.synth.layouts import RecordStreams, edf_channels, label_runs, sleep_events
from sleepdg.synth.profiles import DatasetProfile

STAGE_TYPE = "Stages|Stages"
EVENT_TYPES = {  # NSRR concept -> (event type, profusion name)
    "Hypopnea|Hypopnea": ("Respiratory|Respiratory", "Hypopnea"),
    "Obstructive apnea|Obstructive Apnea": ("Respiratory|Respiratory", "Obstructive Apnea"),
    "Central apnea|Central Apnea": ("Respiratory|Respiratory", "Central Apnea"),
    "Arousal|Arousal ()": ("Arousals|Arousals", "Arousal ()"),
    "SpO2 desaturation|SpO2 desaturation": ("Respiratory|Respiratory", "SpO2 desaturation"),
}


def shhs_paths(record_id: str) -> list[Path]:
    """EDF, NSRR XML and profusion XML of ``shhs1-<nsrrid>``, relative to the dataset folder."""
    visit = record_id.split("-", 1)[0]
    base = Path("polysomnography")
    return [
        base / "edfs" / visit / f"{record_id}.edf",
        base / "annotations-events-nsrr" / visit / f"{record_id}-nsrr.xml",
        base / "annotations-events-profusion" / visit / f"{record_id}-profusion.xml",
    ]


def _events(hyp: Hypnogram, rng: np.random.Generator) -> list[tuple[str, float, float]]:
    from sleepdg.synth.hypnogram_stats import NIGHTS

    table = NIGHTS["shhs"]["events"]

    def duration(name: str, r: np.random.Generator) -> float:
        median, sigma = table[name][1]
        return float(median * np.exp(r.normal(0.0, sigma)))

    return sleep_events(hyp, {name: rate for name, (rate, _) in table.items()}, duration, rng)


def write_shhs(
    out: Path,
    index: int,
    record_id: str,
    hyp: Hypnogram,
    signals: dict[str, tuple[np.ndarray, float]],
    profile: DatasetProfile,
    streams: RecordStreams,
) -> list[Path]:
    """Write one SHHS1 night; returns the three file paths relative to ``out``."""
    from sleepdg.io.edf import write_edf
    from sleepdg.io.nsrr_xml import write_nsrr_xml, write_profusion_xml

    files = shhs_paths(record_id)
    write_edf(out / files[0], edf_channels(signals, profile), start=hyp.start, record_duration_s=1.0)
    events = _events(hyp, streams.extras)
    stages = [(STAGE_TYPE, r.label, r.first * EPOCH_S, r.n * EPOCH_S) for r in label_runs(hyp.native)]
    scored = [(EVENT_TYPES[name][0], name, onset, length) for name, onset, length in events]
    write_nsrr_xml(
        out / files[1], stages + scored, recording_duration_s=hyp.signal_s,
        clock_time=f"00.00.00 {hyp.start:%H.%M.%S}",
    )  # fmt: skip
    codes = [int(label.rpartition("|")[2]) for label in hyp.native]
    profusion = [(EVENT_TYPES[name][1], onset, length) for name, onset, length in events]
    write_profusion_xml(out / files[2], codes, profusion)
    return files
