"""Small native recordings of the five datasets, written with sleepdg's own writers.

Signals are short (minutes) and deterministic: every channel carries a ramp plus a sine whose
amplitude identifies the channel, so a test can tell which channel a reader returned and where
its first sample was cut. Stage lists are per 30-s epoch as `Stage` values unless named ``codes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepdg.io.edf import Annotation, EdfChannel, write_annotations_edf, write_edf
from sleepdg.io.hmc_txt import write_hmc_scoring_txt
from sleepdg.io.isruc_labels import write_isruc_labels
from sleepdg.io.nsrr_xml import write_nsrr_xml, write_profusion_xml
from sleepdg.io.wfdb_io import write_arousal_annotations, write_arousal_mat, write_mat_record
from sleepdg.stages import Stage

START = datetime(2001, 1, 1, 23, 0, 0)


def channel_signal(index: int, n_samples: int, sfreq_hz: float) -> np.ndarray:
    """Channel ``index``'s test signal (µV): 10 * (index + 1) µV sine at 1 Hz plus a slow ramp."""
    t = np.arange(n_samples) / sfreq_hz
    return 10.0 * (index + 1) * np.sin(2 * np.pi * t) + 0.01 * t


def edf_channels(
    labels: Sequence[str], sfreq_hz: float | Sequence[float], duration_s: float
) -> list[EdfChannel]:
    """`EdfChannel`s carrying `channel_signal`, ±500 µV range."""
    rates = [sfreq_hz] * len(labels) if isinstance(sfreq_hz, int | float) else list(sfreq_hz)
    return [
        EdfChannel(label, channel_signal(i, round(duration_s * fs), fs), fs, (-500.0, 500.0))
        for i, (label, fs) in enumerate(zip(labels, rates, strict=True))
    ]


def runs(stage_texts: Sequence[str], onset_s: float = 0.0, epoch_s: float = 30.0) -> list[Annotation]:
    """One annotation per run of equal consecutive texts."""
    out: list[Annotation] = []
    for i, text in enumerate(stage_texts):
        if out and out[-1].text == text:
            last = out[-1]
            out[-1] = last._replace(duration_s=(last.duration_s or 0) + epoch_s)
        else:
            out.append(Annotation(onset_s + i * epoch_s, epoch_s, text))
    return out


# ---------------------------------------------------------------------------------------------
# per dataset

SLEEPEDF_LABELS = (
    "EEG Fpz-Cz",
    "EEG Pz-Oz",
    "EOG horizontal",
    "Resp oro-nasal",
    "EMG submental",
    "Temp rectal",
    "Event marker",
)
SLEEPEDF_RATES = (100, 100, 100, 1, 1, 1, 1)
RK_TEXT = {c: f"Sleep stage {c}" for c in "W1234R?"} | {"M": "Movement time"}


def write_sleepedf(
    folder: Path, record: str, rk: str, *, n_signal_epochs: int | None = None
) -> tuple[Path, Path]:
    """``<record>-PSG.edf`` + hypnogram from an R&K string (``"WW12?"``); the hypnogram may be longer."""
    n = n_signal_epochs if n_signal_epochs is not None else len(rk)
    folder.mkdir(parents=True, exist_ok=True)
    psg = folder / f"{record}-PSG.edf"
    write_edf(psg, edf_channels(SLEEPEDF_LABELS, SLEEPEDF_RATES, 30.0 * n), start=START)
    hyp = folder / f"{record[:7]}C-Hypnogram.edf"
    write_annotations_edf(hyp, runs([RK_TEXT[c] for c in rk]), start=START)
    return psg, hyp


HMC_LABELS = ("EEG F4-M1", "EEG C4-M1", "EEG O2-M1", "EEG C3-M2", "EMG chin", "EOG E1-M2", "EOG E2-M2", "ECG")
AASM_TEXT = {Stage.W: "W", Stage.N1: "N1", Stage.N2: "N2", Stage.N3: "N3", Stage.REM: "R"}


def hmc_annotations(
    stages: Sequence[int], *, first_onset_s: float = 0.0, lights: bool = True
) -> list[Annotation]:
    """One ``Sleep stage X`` annotation per epoch, plus HMC 1.0-style lights events."""
    out = [
        Annotation(first_onset_s + 30.0 * i, 30.0, f"Sleep stage {AASM_TEXT[Stage(s)]}")
        for i, s in enumerate(stages)
    ]
    if lights:
        end_s = first_onset_s + 30.0 * len(stages)
        out += [
            Annotation(first_onset_s + 3.43, 0.0, "Lights off@@EEG F4-A1"),
            Annotation(end_s - 1.3, 0.0, "Lights on@@EEG Fpz-Cz"),
        ]
    return out


def write_hmc(
    folder: Path, record: str, stages: Sequence[int], *, n_signal_epochs: int | None = None,
    first_onset_s: float = 0.0, scoring: str = "edf", sfreq_hz: float = 256.0,
) -> tuple[Path, Path]:  # fmt: skip
    """``SNxxx.edf`` (8 channels) + ``SNxxx_sleepscoring.edf`` or ``.txt``."""
    n = n_signal_epochs if n_signal_epochs is not None else len(stages)
    folder.mkdir(parents=True, exist_ok=True)
    psg = folder / f"{record}.edf"
    write_edf(psg, edf_channels(HMC_LABELS, sfreq_hz, 30.0 * n), start=START, record_duration_s=1.0)
    annotations = hmc_annotations(stages, first_onset_s=first_onset_s)
    path = folder / f"{record}_sleepscoring.{scoring}"
    if scoring == "edf":
        write_annotations_edf(path, annotations, start=START)
    else:
        write_hmc_scoring_txt(path, annotations, start=START)
    return psg, path


ISRUC_A = ("LOC-A2", "ROC-A1", "F3-A2", "C3-A2", "O1-A2", "F4-A1", "C4-A1", "O2-A1", "X1", "X2", "SaO2")
ISRUC_M = ("E1-M2", "E2-M1", "F3-M2", "C3-M2", "O1-M2", "F4-M1", "C4-M1", "O2-M1", "24", "25", "SpO2")
ISRUC_CODE = {Stage.W: 0, Stage.N1: 1, Stage.N2: 2, Stage.N3: 3, Stage.REM: 5}


def write_isruc(
    folder: Path, number: int, stages: Sequence[int], *, extra: int = 30, labels: Sequence[str] = ISRUC_A
) -> Path:
    """``<n>.rec`` (EDF, 200 Hz) + ``<n>_1.txt`` and ``<n>_2.txt`` with ``extra`` trailing W labels."""
    folder.mkdir(parents=True, exist_ok=True)
    rec = folder / f"{number}.rec"
    write_edf(rec, edf_channels(labels, 200.0, 30.0 * len(stages)), start=START)
    codes = [ISRUC_CODE[Stage(s)] for s in stages] + [0] * extra
    for scorer in (1, 2):
        write_isruc_labels(folder / f"{number}_{scorer}.txt", codes)
    return rec


SHHS_LABELS = (
    "SaO2",
    "H.R.",
    "EEG(sec)",
    "ECG",
    "EMG",
    "EOG(L)",
    "EOG(R)",
    "THOR RES",
    "ABDO RES",
    "POSITION",
    "LIGHT",
    "NEW AIR",
    "OX stat",
    "EEG",
)
SHHS_RATES = (1, 1, 125, 125, 125, 50, 50, 10, 10, 1, 1, 10, 1, 125)
SHHS_CONCEPT = {0: "Wake|0", 1: "Stage 1 sleep|1", 2: "Stage 2 sleep|2", 3: "Stage 3 sleep|3",
                4: "Stage 4 sleep|4", 5: "REM sleep|5", 6: "Movement|6", 9: "Unscored|9"}  # fmt: skip


def write_shhs(
    folder: Path, record: str, codes: Sequence[int], *, labels: Sequence[str] = SHHS_LABELS,
    rates: Sequence[float] = SHHS_RATES,
) -> tuple[Path, Path, Path]:  # fmt: skip
    """``shhsV-<id>.edf`` + ``-nsrr.xml`` (runs) + ``-profusion.xml`` from R&K codes (0-5, 6, 9)."""
    folder.mkdir(parents=True, exist_ok=True)
    edf = folder / f"{record}.edf"
    write_edf(
        edf,
        edf_channels(labels, rates, 30.0 * len(codes)),
        start=datetime(1985, 1, 1, 22),
        record_duration_s=1.0,
    )
    events = [
        ("Stages|Stages", a.text, a.onset_s, a.duration_s or 0.0)
        for a in runs([SHHS_CONCEPT[c] for c in codes])
    ]
    events.append(("Respiratory|Respiratory", "Hypopnea|Hypopnea", 61.0, 12.4))
    nsrr = folder / f"{record}-nsrr.xml"
    write_nsrr_xml(nsrr, events, recording_duration_s=30.0 * len(codes))
    profusion = folder / f"{record}-profusion.xml"
    write_profusion_xml(profusion, codes, [("SpO2 desaturation", 100.0, 15.0)])
    return edf, nsrr, profusion


P2018_LABELS = (
    "F3-M2",
    "F4-M1",
    "C3-M2",
    "C4-M1",
    "O1-M2",
    "O2-M1",
    "E1-M2",
    "Chin1-Chin2",
    "ABD",
    "CHEST",
    "AIRFLOW",
    "SaO2",
    "ECG",
)
P2018_NOTE = {Stage.W: "W", Stage.N1: "N1", Stage.N2: "N2", Stage.N3: "N3", Stage.REM: "R"}


def write_p2018(
    folder: Path, record: str, stages: Sequence[int], *, lead_epochs: int = 2, partial_samples: int = 500,
    sfreq_hz: float = 200.0,
) -> Path:  # fmt: skip
    """``<rec>.hea/.mat/.arousal/-arousal.mat``: ``lead_epochs`` undefined, then ``stages``, then a
    trailing partial epoch of ``partial_samples`` (continuing the last stage)."""
    per_epoch = round(30 * sfreq_hz)
    n = (lead_epochs + len(stages)) * per_epoch + partial_samples
    folder.mkdir(parents=True, exist_ok=True)
    digital = np.stack([np.rint(channel_signal(i, n, sfreq_hz)) for i in range(len(P2018_LABELS))]).astype(
        np.int16
    )
    gains = [1.0] * 11 + [655.35, 1000.0]
    units = ["uV"] * 11 + ["%", "mV"]
    baselines = [0] * 11 + [-32768, 0]
    write_mat_record(
        folder, record, P2018_LABELS, digital, sfreq_hz, gains=gains, units=units, baselines=baselines
    )
    samples, notes = [], []
    for i, s in enumerate(stages):
        if i == 0 or stages[i - 1] != s:
            samples.append((lead_epochs + i) * per_epoch)
            notes.append(P2018_NOTE[Stage(s)])
    samples += [samples[0] + 4000, samples[0] + 6400]
    notes += ["(resp_hypopnea", "resp_hypopnea)"]
    order = np.argsort(samples, kind="stable")
    write_arousal_annotations(
        folder, record, [samples[k] for k in order], [notes[k] for k in order], sfreq_hz
    )
    per_sample = np.full(n, Stage.UNSCORED, dtype=np.int8)
    for i, s in enumerate(stages):
        per_sample[(lead_epochs + i) * per_epoch : (lead_epochs + i + 1) * per_epoch] = s
    per_sample[(lead_epochs + len(stages)) * per_epoch :] = stages[-1]
    write_arousal_mat(folder / f"{record}-arousal.mat", per_sample, np.zeros(n))
    return folder / f"{record}.hea"
