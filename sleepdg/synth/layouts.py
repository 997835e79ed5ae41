"""Where and how each synthetic recording is written: names, folders, signals on the scoring grid.

Every dataset keeps its official layout and naming under the output folder (datasets.md Part B):

- ``sleepedf``: ``sleep-cassette/SC4ssNE0-PSG.edf`` + ``SC4ssNEx-Hypnogram.edf`` (the real 153 SC
  names, scorer letters included, in order)
- ``hmc``: ``recordings/SN001.edf`` + ``SN001_sleepscoring.edf`` + ``SN001_sleepscoring.txt``
- ``isruc``: ``subgroupI/<n>/<n>.rec`` + ``<n>_1.txt`` + ``<n>_2.txt``
- ``shhs``: ``polysomnography/edfs/shhs1/shhs1-<nsrrid>.edf`` + the NSRR and profusion XMLs
- ``p2018``: ``training/trNN-NNNN/`` with ``.hea``, MAT v4 ``.mat``, ``.arousal``, ``-arousal.mat``
  (the real 994 training names, in order)

A recording's randomness comes from (seed, dataset, index) alone, so recording k is the same
whatever the number of recordings; its stream is split into hypnogram, label noise, physiology
and file extras (`RecordStreams`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sleepdg.params import DATASETS
from sleepdg.stages import EPOCH_S, Stage
from sleepdg.synth.hypnogram import Hypnogram, generate_hypnogram, sample_quantiles
from sleepdg.synth.profiles import ChannelSpec, DatasetProfile, scaled_profile

log = logging.getLogger(__name__)

N_RECORDS: dict[str, int] = {  # recordings the real datasets hold (the naming runs out after)
    "sleepedf": 153,  # SC cassette nights
    "hmc": 151,
    "isruc": 100,  # subgroup I
    "shhs": 5804,  # nsrrids 200001-205804 (5,793 of them exist in SHHS1)
    "p2018": 994,  # training set
}


class RecordStreams(NamedTuple):
    """Independent random streams of one recording."""

    hypnogram: np.random.Generator
    scoring: np.random.Generator  # label noise (and ISRUC's second scorer)
    physiology: np.random.Generator
    extras: np.random.Generator  # events, header fields, marker channels


def record_streams(seed: int, dataset: str, index: int) -> RecordStreams:
    """The streams of recording ``index`` of ``dataset``: a function of (seed, dataset, index) only."""
    sequence = np.random.SeedSequence([int(seed), DATASETS.index(dataset), int(index)])
    return RecordStreams(*(np.random.Generator(np.random.PCG64(s)) for s in sequence.spawn(4)))


def record_name(dataset: str, index: int) -> str:
    """The ``index``-th (0-based) record id of ``dataset`` under the real naming rules.

    >>> [record_name(d, 0) for d in ("sleepedf", "hmc", "isruc", "shhs", "p2018")]
    ['SC4001E0', 'SN001', 'subgroupI/1', 'shhs1-200001', 'tr03-0005']
    """
    if dataset not in N_RECORDS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    if not 0 <= index < N_RECORDS[dataset]:
        raise ValueError(
            f"{dataset} has {N_RECORDS[dataset]} recordings under its real names; got index {index}"
        )
    if dataset == "sleepedf":
        from sleepdg.synth.hypnogram_stats import SLEEPEDF_SC_RECORDS

        return SLEEPEDF_SC_RECORDS[index][:7] + "0"
    if dataset == "hmc":
        return f"SN{index + 1:03d}"
    if dataset == "isruc":
        return f"subgroupI/{index + 1}"
    if dataset == "shhs":
        return f"shhs1-{200001 + index}"
    return _p2018_names()[index]


def _p2018_names() -> list[str]:
    from sleepdg.synth.hypnogram_stats import P2018_RECORDS

    return [f"{prefix}-{number}" for prefix, numbers in P2018_RECORDS.items() for number in numbers.split()]


def sleepedf_hypnogram_stem(index: int) -> str:
    """``SC4001EC``: the real hypnogram name (PSG name with its scorer letter) of record ``index``."""
    from sleepdg.synth.hypnogram_stats import SLEEPEDF_SC_RECORDS

    return SLEEPEDF_SC_RECORDS[index]


# ---------------------------------------------------------------------------------------------
# Signals on the scoring grid


def night_signals(
    hyp: Hypnogram, profile: DatasetProfile, rng: np.random.Generator
) -> dict[str, tuple[np.ndarray, float]]:
    """Every native channel over the signal span of ``hyp``, from its true stages.

    The physiology is synthesised in whole epochs (one extra before the grid when the scoring
    starts off the signal's first second, one after for a trailing partial epoch) and cropped to
    ``hyp.signal_s``: label -> (float32 physical values, sfreq_hz).
    """
    from sleepdg.synth.physiology import synthesize_night

    n = hyp.n_signal_epochs
    stages, movement = hyp.stages[:n], hyp.movement[:n]
    lead = hyp.grid_offset_s > 0
    if lead:
        stages, movement = np.r_[stages[:1], stages], np.r_[False, movement]
    if hyp.extra_s > 0:
        after = hyp.stages[n] if hyp.n_epochs > n else stages[-1]
        stages, movement = np.r_[stages, after], np.r_[movement, False]
    out = synthesize_night(profile, stages.astype(np.int8), rng, movement=movement)
    cropped = {}
    for label, (data, sfreq_hz) in out.items():
        first = round((EPOCH_S - hyp.grid_offset_s) * sfreq_hz) if lead else 0
        cropped[label] = (data[first : first + round(hyp.signal_s * sfreq_hz)], sfreq_hz)
    return cropped


def edf_channels(signals: dict[str, tuple[np.ndarray, float]], profile: DatasetProfile) -> list:
    """`sleepdg.io.edf.EdfChannel`s in the profile's file order."""
    from sleepdg.io.edf import EdfChannel

    out = []
    for spec in profile.channels:
        data, sfreq_hz = signals[spec.label]
        out.append(
            EdfChannel(
                spec.label, data, sfreq_hz, spec.physical_range, spec.digital_range, spec.dimension,
                spec.prefilter, spec.transducer,
            )
        )  # fmt: skip
    return out


def digital_scale(spec: ChannelSpec) -> tuple[float, int]:
    """(gain in ADC units per physical unit, baseline) mapping the physical onto the digital range."""
    (p_lo, p_hi), (d_lo, d_hi) = spec.physical_range, spec.digital_range
    gain = (d_hi - d_lo) / (p_hi - p_lo)
    return gain, round(d_lo - p_lo * gain)


# ---------------------------------------------------------------------------------------------
# Scoring helpers


@dataclass(frozen=True)
class Run:
    """A run of epochs with one native label: ``first`` epoch, ``n`` epochs."""

    first: int
    n: int
    label: str


def label_runs(native: Sequence[str]) -> list[Run]:
    """Consecutive equal labels as runs (epochs with no label, "", are skipped)."""
    runs: list[Run] = []
    for i, label in enumerate(native):
        if runs and runs[-1].label == label and runs[-1].first + runs[-1].n == i:
            runs[-1] = Run(runs[-1].first, runs[-1].n + 1, label)
        elif label:
            runs.append(Run(i, 1, label))
    return runs


def sleep_events(
    hyp: Hypnogram,
    rates_per_h: dict[str, float],
    duration_s: Callable[[str, np.random.Generator], float],
    rng: np.random.Generator,
) -> list[tuple[str, float, float]]:
    """Scored events (name, onset s from the signal start, duration s) during the true sleep epochs.

    Each kind is a Poisson process at ``rates_per_h`` per hour of sleep; an event never overlaps
    the previous one of its kind and lies inside the signal.
    """
    asleep = np.flatnonzero(hyp.stages[: hyp.n_signal_epochs] > Stage.W)
    events: list[tuple[str, float, float]] = []
    if asleep.size == 0:
        return events
    for name, rate in rates_per_h.items():
        n = rng.poisson(rate * asleep.size / 120.0)
        onsets = np.sort(hyp.grid_offset_s + (rng.choice(asleep, n) + rng.random(n)) * EPOCH_S)
        end = -np.inf
        for onset in onsets:
            length = duration_s(name, rng)
            if onset >= end and onset + length <= hyp.signal_s:
                events.append((name, round(float(onset), 1), round(length, 1)))
                end = onset + length
    return sorted(events, key=lambda e: (e[1], e[0]))


def quantile_duration(
    table: dict[str, tuple[float, Sequence[float]]],
) -> Callable[[str, np.random.Generator], float]:
    """Event durations drawn from each kind's stored quantiles (``NIGHTS[ds]['events']``)."""
    return lambda name, rng: sample_quantiles(table[name][1], rng)


# ---------------------------------------------------------------------------------------------
# One recording


class RecordPlan(NamedTuple):
    """Everything a recording's files are made of, before any signal is synthesised."""

    record_id: str
    profile: DatasetProfile
    hypnogram: Hypnogram  # scored with label noise: what the scoring files say
    streams: RecordStreams


def plan_recording(dataset: str, index: int, *, hours: float, seed: int, shift_scale: float) -> RecordPlan:
    """Name, profile and scored hypnogram of recording ``index`` (cheap: no signal yet).

    The physiology follows the true stages (``hypnogram.stages``); the scoring files carry
    `apply_label_noise` labels (``hypnogram.scored``), so `Hypnogram.expected_stages` is what the
    dataset reader must return for the written files.
    """
    from sleepdg.synth.physiology import apply_label_noise

    streams = record_streams(seed, dataset, index)
    profile = scaled_profile(dataset, shift_scale)
    truth = generate_hypnogram(dataset, hours, streams.hypnogram)
    hyp = truth.rescore(apply_label_noise(truth.stages, profile, streams.scoring))
    return RecordPlan(record_name(dataset, index), profile, hyp, streams)


def write_recording(
    dataset: str, out: Path, index: int, *, hours: float, seed: int, shift_scale: float
) -> list[Path]:
    """Synthesise recording ``index`` of ``dataset`` and write its files under ``out``.

    Returns
    -------
    list[Path]
        The files written, relative to ``out``.
    """
    plan = plan_recording(dataset, index, hours=hours, seed=seed, shift_scale=shift_scale)
    signals = night_signals(plan.hypnogram, plan.profile, plan.streams.physiology)
    files = _writer(dataset)(out, index, plan.record_id, plan.hypnogram, signals, plan.profile, plan.streams)
    log.info(
        "%s %s: %d epochs, %d files", dataset, plan.record_id, plan.hypnogram.n_signal_epochs, len(files)
    )
    for path in files:
        log.debug("wrote %s", out / path)
    return files


Writer = Callable[
    [Path, int, str, Hypnogram, dict[str, tuple[np.ndarray, float]], DatasetProfile, RecordStreams],
    list[Path],
]


def _writer(dataset: str) -> Writer:
    if dataset == "sleepedf":
        from sleepdg.synth.layouts_sleepedf import write_sleepedf as writer
    elif dataset == "hmc":
        from sleepdg.synth.layouts_hmc import write_hmc as writer
    elif dataset == "isruc":
        from sleepdg.synth.layouts_isruc import write_isruc as writer
    elif dataset == "shhs":
        from sleepdg.synth.layouts_shhs import write_shhs as writer
    else:
        from sleepdg.synth.layouts_p2018 import write_p2018 as writer
    return writer
