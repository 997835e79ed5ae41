"""Estimate the synthetic hypnogram statistics from real scorings and write sleepdg/synth/hypnogram_stats.py.

    python benchmarks/estimate_hypnogram_stats.py [--realdata ../shared/realdata] [--out PATH]

Reads (synthetic.md §2, PROVENANCE.md): the 20 official Sleep-EDF SC hypnogram EDFs with mne's
lights-off times and psg-utils' SC file list; HMC's 151 hdMTD hypnograms; ISRUC-S3's ten scorer-2
workbooks; P2018's two ``.arousal`` files and the 994-record ``-arousal.mat`` summary. SHHS has no
real file (NSRR forbids it): its chain follows the §2.4 recipe (HMC's sleep-period matrix rescaled).

For each dataset it measures the acceptance targets (epoch-to-epoch matrix, proportions, sleep-period
thirds, bout medians) and the generator's parameters (first sleep stage, bout-length distributions,
bout-to-bout jumps per third, lead/trail wake, quirks), then calibrates the time-of-night multipliers
by simulation so that sampled nights reproduce the thirds, and writes everything as plain literals.
The package never reads ../shared at run time: this script is the only bridge.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sleepdg.synth.hypnogram import SleepChain, sample_sleep_period  # noqa: E402

W, N1, N2, N3, R = range(5)
NAMES = ("W", "N1", "N2", "N3", "REM")
QUANTILES = np.linspace(0.0, 1.0, 21)
SEED = 20261125


# ---------------------------------------------------------------------------------------------
# Loading: every night becomes an int8 array of AASM codes (-1 = unscored) plus its quirks.


def _edf_annotations(path: Path) -> tuple[dt.time, list[tuple[float, float, str]]]:
    import edfio

    edf = edfio.read_edf(path)
    return edf.starttime, [(a.onset, a.duration or 0.0, a.text) for a in edf.annotations]


SEDF_CODE = {"W": "W", "1": "1", "2": "2", "3": "3", "4": "4", "R": "R", "?": "?", "e": "M"}
SEDF_AASM = {"W": 0, "1": 1, "2": 2, "3": 3, "4": 3, "R": 4, "?": -1, "M": -1}


def load_sleepedf(root: Path) -> list[dict]:
    """The 20 official SC hypnograms as per-epoch codes W 1 2 3 4 R ? M over their 24-h span."""
    lights = {}
    with open(root / "sleepedf/metadata/age_records.csv") as f:
        for row in csv.DictReader(f):
            if row["record type"] == "Hypnogram":
                lights[row["fname"][:7]] = row["lights off"]
    nights = []
    for path in sorted((root / "sleepedf/hypnogram_edf").glob("SC4*-Hypnogram.edf")):
        start, annotations = _edf_annotations(path)
        codes: list[str] = []
        for onset, duration, text in annotations:
            if not text.startswith(("Sleep stage", "Movement")):
                continue
            code = "M" if text.startswith("Movement") else text.split()[-1]
            assert round(onset / 30) == len(codes), (path, onset)
            codes += [code] * round(duration / 30)
        arr = np.array(codes)
        psg_end = len(arr)
        if arr[-1] == "?":  # the final "?" starts at the PSG end (datasets.md B.1)
            psg_end = int(np.flatnonzero(arr != "?")[-1]) + 1
        h, m, s = (int(x) for x in lights[path.name[:7]].split(":"))
        start_s = start.hour * 3600 + start.minute * 60 + start.second
        lights_off = ((h * 3600 + m * 60 + s) - start_s) % 86400 // 30
        stages = np.array([SEDF_AASM[c] for c in arr], dtype=np.int8)
        nights.append(
            dict(
                name=path.name,
                codes=arr,
                stages=stages,
                start_s=start_s,
                psg_end=psg_end,
                lights_off=lights_off,
            )
        )
    return nights


def load_hmc(root: Path) -> list[dict]:
    """hdMTD's 151 HMC hypnograms; its copy lacks the first 2-3 epochs (onset 60 or 90 s)."""
    code = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4}
    rows: dict[str, list] = {}
    onset0: dict[str, float] = {}
    with open(root / "hmc/hdMTD_sleepscoring_hmc151.csv") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["Patient"], []).append(code[row["SleepStage"]])
            onset0.setdefault(row["Patient"], float(row["Recording.onset"]))
    return [
        dict(name=p, stages=np.array(v, dtype=np.int8), missing=round(onset0[p] / 30))
        for p, v in rows.items()
    ]


def load_isruc(root: Path) -> list[dict]:
    """ISRUC-S3 scorer-2 workbooks (all rows, including the 30 past the signal); U and N -> -1."""
    import openpyxl

    code = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4}
    nights = []
    for subject in range(1, 11):
        path = root / f"isruc/Subgroup3_scorer2_xlsx/{subject}_2.xlsx"
        sheet = openpyxl.load_workbook(path, read_only=True).active
        labels = [r[1] for i, r in enumerate(sheet.iter_rows(values_only=True)) if i > 0 and r[0] is not None]
        stages = np.array([code.get(s, -1) for s in labels], dtype=np.int8)
        nights.append(dict(name=path.name, labels=labels, stages=stages))
    return nights


def load_p2018(root: Path) -> tuple[list[dict], list[dict]]:
    """The two real ``.arousal`` files (epoch stages, events) and the 994-record summary rows."""
    import wfdb

    code = {"W": 0, "N1": 1, "N2": 2, "N3": 3, "R": 4}
    with open(root / "p2018/p2018_training_arousalmat_summary.csv") as f:
        summary = list(csv.DictReader(f))
    n_samples = {r["record"]: int(r["n_samples_200Hz"]) for r in summary}
    nights = []
    for record in ("tr03-0005", "tr03-0029"):
        ann = wfdb.rdann(str(root / "p2018" / record), "arousal")
        n_epochs = n_samples[record] // 6000
        stages = np.full(n_epochs, -1, dtype=np.int8)
        events: list[tuple[str, float]] = []
        opened: dict[str, int] = {}
        for sample, note in zip(ann.sample, ann.aux_note, strict=True):
            if note in code:
                stages[int(sample) // 6000 :] = code[note]
            elif note.startswith("("):
                opened[note[1:]] = int(sample)
            elif note.endswith(")") and note[:-1] in opened:
                events.append((note[:-1], (int(sample) - opened.pop(note[:-1])) / 200.0))
        nights.append(dict(name=record, stages=stages, events=events))
    return nights, summary


# ---------------------------------------------------------------------------------------------
# Statistics over nights (int8 arrays, -1 = unscored)


def transition_matrix(nights: list[np.ndarray]) -> np.ndarray:
    """Epoch-to-epoch P(row -> column); pairs touching an unscored epoch are skipped (§2.2)."""
    counts = np.zeros((5, 5))
    for s in nights:
        a, b = s[:-1], s[1:]
        ok = (a >= 0) & (b >= 0)
        np.add.at(counts, (a[ok], b[ok]), 1)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def proportions(nights: list[np.ndarray]) -> np.ndarray:
    counts = np.bincount(np.concatenate([s[s >= 0] for s in nights]), minlength=5)
    return counts / counts.sum()


def sleep_period(s: np.ndarray) -> slice:
    sleep = np.flatnonzero(s >= 1)
    return slice(int(sleep[0]), int(sleep[-1]) + 1)


def thirds(nights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Share of N3 and of REM among the scored epochs of each sleep-period third, pooled over nights."""
    counts = np.zeros((3, 5))
    for s in nights:
        sp = s[sleep_period(s)]
        third = np.minimum(2, 3 * np.arange(len(sp)) // len(sp))
        ok = sp >= 0
        np.add.at(counts, (third[ok], sp[ok]), 1)
    share = counts / counts.sum(axis=1, keepdims=True)
    return share[:, N3], share[:, R]


def runs(s: np.ndarray) -> list[tuple[int, int, int]]:
    """(stage, start, length) of every run of equal codes (unscored runs included as -1)."""
    edges = np.flatnonzero(np.diff(s)) + 1
    starts = np.concatenate([[0], edges])
    lengths = np.diff(np.concatenate([starts, [len(s)]]))
    return [(int(s[a]), int(a), int(n)) for a, n in zip(starts, lengths, strict=True)]


def bout_stats(nights: list[np.ndarray]) -> dict[str, list[float]]:
    lengths: dict[int, list[int]] = {k: [] for k in range(5)}
    for s in nights:
        for stage, _, n in runs(s):
            if stage >= 0:
                lengths[stage].append(n)
    return {
        "median": [float(np.median(lengths[k])) for k in range(5)],
        "q25": [float(np.percentile(lengths[k], 25)) for k in range(5)],
        "q75": [float(np.percentile(lengths[k], 75)) for k in range(5)],
        "mean": [float(np.mean(lengths[k])) for k in range(5)],
    }


def targets(whole: list[np.ndarray]) -> dict:
    n3, rem = thirds(whole)
    return dict(
        matrix=transition_matrix(whole),
        proportions=proportions(whole),
        n3_thirds=n3,
        rem_thirds=rem,
        bouts=bout_stats(whole),
        n_nights=len(whole),
    )


def forward_fill(s: np.ndarray) -> np.ndarray:
    """Unscored epochs take the stage before them: a bout cut by a movement epoch stays one bout
    (the generator inserts its own movement epochs)."""
    out = s.copy()
    for i in range(1, len(out)):
        if out[i] < 0:
            out[i] = out[i - 1]
    return out


def sleep_period_model(nights: list[np.ndarray]) -> dict:
    """Bout lengths per stage, first sleep stage and bout-to-bout jump counts per third."""
    first = np.zeros(5)
    lengths: dict[int, list[int]] = {k: [] for k in range(5)}
    jumps = np.zeros((3, 5, 5))
    for s in nights:
        sp = forward_fill(s[sleep_period(s)])
        first[sp[0]] += 1
        bouts = runs(sp)
        for stage, _, n in bouts[:-1]:  # the generator cuts its own last bout at the period's end
            lengths[stage].append(n)
        for (a, _, _), (b, start, _) in itertools.pairwise(bouts):
            if a >= 0 and b >= 0:
                jumps[min(2, 3 * start // len(sp)), a, b] += 1
    return dict(first=first / first.sum(), lengths=lengths, jumps=jumps)


def pmf(lengths: list[int]) -> tuple[tuple[int, ...], tuple[float, ...]]:
    values, counts = np.unique(np.asarray(lengths), return_counts=True)
    return tuple(int(v) for v in values), tuple(round(float(c) / counts.sum(), 6) for c in counts)


def quantiles(values: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    return tuple(round(float(v), 2) for v in np.quantile(np.asarray(values, dtype=float), QUANTILES))


def stationary(m: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eig(m.T)
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    return v / v.sum()


def rescale_columns(m: np.ndarray, target: np.ndarray, n_iter: int = 500) -> np.ndarray:
    """§2.4: c_j <- c_j·sqrt(target_j / pi_j), rows renormalised, until the stationary law is ``target``."""
    c = np.ones(5)
    out = m
    for _ in range(n_iter):
        out = m * c
        out = out / out.sum(axis=1, keepdims=True)
        c = c * np.sqrt(target / stationary(out))
    return out


# ---------------------------------------------------------------------------------------------
# Generator parameters


def chain_stats(model: dict, third_mult: np.ndarray | None = None, smooth: float = 3.0) -> dict:
    """A `CHAINS` entry from measured bouts: base jumps over the whole period, per-third multipliers.

    A third's jump row is shrunk towards the base row with ``smooth`` pseudo-bouts, so thin rows
    (ISRUC has 94 N3 bouts) do not produce zero multipliers.
    """
    jumps = model["jumps"]
    total = jumps.sum(axis=0)
    base = total / np.maximum(total.sum(axis=1, keepdims=True), 1)
    if third_mult is None:
        per_third = (jumps + smooth * base[None]) / (jumps.sum(axis=2, keepdims=True) + smooth)
        third_mult = np.where(base[None] > 0, per_third / np.where(base[None] > 0, base[None], 1.0), 1.0)
    return dict(
        first_stage=model["first"],
        jump=base,
        third_mult=third_mult,
        bout_pmf=[pmf(model["lengths"][k]) for k in range(5)],
        rem_lockout_epochs=90,  # §2.6: no REM in the first 45 min of sleep ...
        rem_lockout_p=0.95,  # ... in 95 % of nights
    )


def scaled_pmf(lengths: list[int], mean: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The empirical bout lengths stretched by r (rounded, ≥ 1) so that their mean is ``mean``."""
    values = np.asarray(lengths, dtype=float)

    def stretched(r: float) -> np.ndarray:
        return np.maximum(1, np.floor(values * r + 0.5)).astype(int)

    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if stretched(mid).mean() < mean else (lo, mid)
    return pmf(list(stretched((lo + hi) / 2)))


def recipe_chain(sp_matrix: np.ndarray, model: dict) -> dict:
    """§2.4/§2.6 recipe datasets (SHHS, P2018): a rescaled epoch matrix turned into bouts.

    Mean bout length 1/(1 - P_jj), jumps = off-diagonal row shares, bout shapes from HMC stretched
    to that mean, and the design's time-of-night multipliers P(N2->N3) x1.8/1.0/0.4 and
    P(.->R) x0.5/1.1/1.5.
    """
    stay = np.diag(sp_matrix)
    base = sp_matrix * (1 - np.eye(5))
    base = base / base.sum(axis=1, keepdims=True)
    mult = np.ones((3, 5, 5))
    mult[:, N2, N3] = (1.8, 1.0, 0.4)
    mult[:, :, R] *= np.array([0.5, 1.1, 1.5])[:, None]
    return dict(
        first_stage=model["first"],
        jump=base,
        third_mult=mult,
        bout_pmf=[scaled_pmf(model["lengths"][k], 1 / (1 - stay[k])) for k in range(5)],
        rem_lockout_epochs=90,
        rem_lockout_p=0.95,
    )


# ---------------------------------------------------------------------------------------------
# Calibration by simulation


def simulate(stats: dict, shapes: list[tuple[int, int, int]], n: int, rng: np.random.Generator) -> list:
    """Nights of (lead W, sleep period, trail W) with the real nights' shapes."""
    chain = SleepChain.from_stats(stats)
    nights = []
    for _ in range(n):
        lead, length, trail = shapes[rng.integers(len(shapes))]
        sp = sample_sleep_period(chain, length, rng)
        nights.append(np.concatenate([np.zeros(lead, np.int8), sp, np.zeros(trail, np.int8)]))
    return nights


def night_shapes(nights: list[np.ndarray]) -> list[tuple[int, int, int]]:
    out = []
    for s in nights:
        p = sleep_period(s)
        out.append((p.start, p.stop - p.start, len(s) - p.stop))
    return out


def calibrate_thirds(
    stats: dict, whole: list, rng: np.random.Generator, n_iter: int = 12, cut: int = 0
) -> dict:
    """Scale the per-third multipliers of the N3 and REM columns until sampled thirds match the data
    (both judged without their last ``cut`` epochs: ISRUC's labels past the signal).

    N3 bouts are longer early in the night and the REM lock-out empties the first 45 min: neither
    is in the jump rows measured per third, so their entries are corrected by simulation.
    """
    want_n3, want_rem = thirds([s[: len(s) - cut] for s in whole])
    shapes = night_shapes(whole)
    mult = np.array(stats["third_mult"], dtype=float)
    for _ in range(n_iter):
        sampled = simulate({**stats, "third_mult": mult}, shapes, 300, rng)
        got_n3, got_rem = thirds([s[: len(s) - cut] for s in sampled])
        mult[:, :, N3] *= (np.maximum(want_n3, 1e-3) / np.maximum(got_n3, 1e-3))[:, None] ** 0.8
        mult[:, :, R] *= (np.maximum(want_rem, 1e-3) / np.maximum(got_rem, 1e-3))[:, None] ** 0.8
    return {**stats, "third_mult": mult}


def sampled_jumps(nights: list[np.ndarray]) -> np.ndarray:
    counts = np.zeros((5, 5))
    for s in nights:
        bouts = runs(s[sleep_period(s)])
        for (a, _, _), (b, _, _) in itertools.pairwise(bouts):
            counts[a, b] += 1
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def calibrate_base(stats: dict, shapes: list, rng: np.random.Generator, n_iter: int = 8) -> dict:
    """Recipe chains: adjust the base jumps so that, multipliers included, the sampled jumps equal it."""
    want = np.array(stats["jump"], dtype=float)
    base = want.copy()
    for _ in range(n_iter):
        got = sampled_jumps(simulate({**stats, "jump": base}, shapes, 300, rng))
        base = base * np.where(got > 0, want / np.where(got > 0, got, 1), 1.0)
        base = base / base.sum(axis=1, keepdims=True)
    return {**stats, "jump": base}


# ---------------------------------------------------------------------------------------------
# Per dataset: (chain, night structure and quirks, acceptance targets)


def first_last_sleep(s: np.ndarray) -> tuple[int, int]:
    p = sleep_period(s)
    return p.start, p.stop - 1


def stage4_model(nights: list[dict]) -> dict:
    """Share of R&K stage 4 among stage 3+4 epochs per sleep-period third, and its persistence."""
    share = np.zeros((3, 2))
    same = total = 0
    for n in nights:
        codes = n["codes"]
        start, last = first_last_sleep(n["stages"])
        sp = codes[start : last + 1]
        third = np.minimum(2, 3 * np.arange(len(sp)) // len(sp))
        for t in range(3):
            share[t] += (np.sum((sp == "3") & (third == t)), np.sum((sp == "4") & (third == t)))
        deep = np.isin(sp, ("3", "4"))
        pairs = deep[:-1] & deep[1:]
        same += int(np.sum(sp[:-1][pairs] == sp[1:][pairs]))
        total += int(pairs.sum())
    p4 = share[:, 1] / share.sum(axis=1)
    p = share[:, 1].sum() / share.sum()
    q = p**2 + (1 - p) ** 2
    return dict(
        stage4_share=tuple(round(float(x), 3) for x in p4), stage4_stay=round((same / total - q) / (1 - q), 3)
    )


def estimate_sleepedf(root: Path, rng: np.random.Generator) -> tuple[dict, dict, dict]:
    from sleepdg.epochs import trim_wake

    nights = load_sleepedf(root)
    trimmed = [n["stages"][trim_wake(n["stages"], 60, 60)] for n in nights]  # DeepSleepNet (60, 60)
    chain = calibrate_thirds(chain_stats(sleep_period_model(trimmed)), trimmed, rng)
    sol, bed = [], []
    for n in nights:
        sleep = np.flatnonzero(n["stages"] >= 1)
        onset = int(sleep[sleep >= n["lights_off"]][0])
        sol.append(onset - n["lights_off"])
        bed.append(int(sleep[-1]) + 1 - n["lights_off"])
    movement = [int(np.sum(n["codes"] == "M")) for n in nights]
    assert {len(n["codes"]) for n in nights} == {2880}, "every SC hypnogram spans 24 h"
    quirks = dict(
        span_epochs=2880,  # the hypnogram runs to 24 h; a final "Sleep stage ?" covers what the PSG lacks
        start_clock_s=quantiles([n["start_s"] for n in nights]),
        pre_lights=quantiles([n["lights_off"] for n in nights]),  # PSG start -> lights off
        lead_w=quantiles(sol),  # lights off -> first sleep
        psg_epochs=quantiles([n["psg_end"] for n in nights]),
        movement_night_p=round(sum(m > 0 for m in movement) / len(nights), 3),
        movement_epochs=quantiles([m for m in movement if m > 0]),
        **stage4_model(nights),
    )
    typical = float(np.median(bed)) / 120
    return chain, quirks, {**targets(trimmed), "scope": "trimmed_60_60", "typical_hours": typical}


def estimate_hmc(root: Path, rng: np.random.Generator) -> tuple[dict, dict, dict, list]:
    nights = load_hmc(root)
    whole = [n["stages"] for n in nights]
    chain = calibrate_thirds(chain_stats(sleep_period_model(whole)), whole, rng)
    lead = [first_last_sleep(n["stages"])[0] + n["missing"] for n in nights]
    trail = [len(n["stages"]) - 1 - first_last_sleep(n["stages"])[1] for n in nights]
    quirks = dict(lead_w=quantiles(lead), trail_w=quantiles(trail))
    typical = float(np.median([len(n["stages"]) + n["missing"] for n in nights])) / 120
    return chain, quirks, {**targets(whole), "scope": "whole", "typical_hours": typical}, whole


def estimate_isruc(root: Path, rng: np.random.Generator) -> tuple[dict, dict, dict]:
    nights = load_isruc(root)
    full = [n["stages"] for n in nights]  # label span = signal + 30 epochs
    chain = calibrate_thirds(chain_stats(sleep_period_model(full)), full, rng, cut=30)
    labels = [n["labels"] for n in nights]
    quirks = dict(
        extra_label_epochs=30,  # label files run 30 epochs past the signal (datasets.md B.3)
        lead_w=quantiles([first_last_sleep(s)[0] for s in full]),
        trail_w=quantiles([len(s) - 1 - first_last_sleep(s)[1] for s in full]),
        u_first_p=round(sum(x[0] == "U" for x in labels) / len(labels), 3),  # scorer 2
        u_mid_per_night=round(sum(u == "U" for x in labels for u in x[1:]) / len(labels), 3),
    )
    signal = [s[:-30] for s in full]
    typical = float(np.median([len(s) for s in signal])) / 120
    return chain, quirks, {**targets(signal), "scope": "signal", "typical_hours": typical}


def hmc_lead_trail_mean(hmc_quirks: dict) -> float:
    return float(np.mean(hmc_quirks["lead_w"]) + np.mean(hmc_quirks["trail_w"]))


def sample_shapes(
    lead_q: Sequence[float], trail_q: Sequence[float], n_epochs: int, rng: np.random.Generator, n: int = 400
) -> list:
    from sleepdg.synth.hypnogram import sample_quantiles

    shapes = []
    for _ in range(n):
        lead, trail = round(sample_quantiles(lead_q, rng)), round(sample_quantiles(trail_q, rng))
        shapes.append((lead, n_epochs - lead - trail, trail))
    return shapes


def estimate_p2018(root: Path, rng: np.random.Generator, hmc_whole: list, hmc_quirks: dict) -> tuple:
    """§2.6: HMC's whole-night matrix rescaled to the 994-record shares is the target; the generator
    rescales HMC's sleep-period matrix so that, with HMC's lead/trail wake, whole nights hit it."""
    nights, summary = load_p2018(root)
    stage_cols = ("samples_wake", "samples_nonrem1", "samples_nonrem2", "samples_nonrem3", "samples_rem")
    totals = np.array([sum(int(r[c]) for r in summary) for c in stage_cols], dtype=float)
    shares = totals / totals.sum()
    undefined = [int(r["samples_undefined"]) // 6000 for r in summary]
    n_samples = [int(r["n_samples_200Hz"]) for r in summary]
    staged = [n // 6000 - u for n, u in zip(n_samples, undefined, strict=True)]
    partial = [n % 6000 for n in n_samples]
    typical_epochs = int(np.median(staged))
    lead_trail = hmc_lead_trail_mean(hmc_quirks)
    sp_shares = shares * typical_epochs / (typical_epochs - lead_trail)
    sp_shares[W] = (shares[W] * typical_epochs - lead_trail) / (typical_epochs - lead_trail)
    hmc_sp = transition_matrix([s[sleep_period(s)] for s in hmc_whole])
    target_matrix = rescale_columns(transition_matrix(hmc_whole), shares)
    # Sleep rows as in the whole-night target; the W row from the sleep period alone, since lead
    # and trail wake are added around the chain.
    sp_matrix = target_matrix.copy()
    sp_matrix[W] = rescale_columns(hmc_sp, sp_shares)[W]
    chain = recipe_chain(sp_matrix, sleep_period_model(hmc_whole))
    shapes = sample_shapes(hmc_quirks["lead_w"], hmc_quirks["trail_w"], typical_epochs, rng)
    chain = calibrate_base(chain, shapes, rng)
    events: dict[str, list[float]] = {}
    sleep_h = sum(float(np.sum(n["stages"] >= 1)) / 120 for n in nights)
    for n in nights:
        for kind, duration in n["events"]:
            events.setdefault(kind, []).append(duration)
    quirks = dict(
        undefined_lead=quantiles(undefined),  # epochs before the first stage note (> 0: staging starts late)
        partial_p=round(sum(p > 0 for p in partial) / len(partial), 3),  # trailing partial epoch
        partial_samples=quantiles([p for p in partial if p > 0]),
        lead_w=hmc_quirks["lead_w"],  # [assumed] like HMC: P2018 staging starts at lights off
        trail_w=hmc_quirks["trail_w"],
        events={k: (round(len(v) / sleep_h, 2), quantiles(v)) for k, v in sorted(events.items())},
    )
    p_targets = {**targets([n["stages"] for n in nights]), "scope": "whole"}
    p_targets.update(matrix=target_matrix, proportions=shares, n3_thirds=None, rem_thirds=None)
    p_targets["typical_hours"] = typical_epochs / 120
    p_targets["bouts_from_two_nights"] = True
    return chain, quirks, p_targets


SHHS_SP_TARGET = np.array(
    [0.170, 0.043, 0.477, 0.147, 0.163]
)  # §2.4: XSleepNet sleep shares x 0.83, WASO 17 %
SHHS_QUIRKS: dict[str, Any] = (
    dict(  # §2.4 [design]: no SHHS file may be redistributed, so these are not measured
        pre_lights_min=(0.0, 40.0),  # uniform: recording start -> lights off (§2.4: 0-60; 40 keeps W <= 0.30)
        sol_median_min=15.0,  # sleep-onset latency ~ LogNormal(median 15 min, sigma) ...
        sol_sigma=1.0,  # ... sigma from mean 25.5 min (Kang 2023): sqrt(2 ln(25.5/15))
        trail_w_min=(10.0, 40.0),  # uniform: last sleep -> lights on (§2.4: 10-60)
        unscored_epochs=(0, 20),  # uniform integer: trailing `Unscored|9`
        movement_p=0.002,  # per sleep epoch: rare `Movement|6`
        stage4_scale=0.5,  # older home-PSG subjects: half Sleep-EDF's stage-4 share
        events={  # per hour of sleep, (median, sigma) of a LogNormal duration in seconds
            "Hypopnea|Hypopnea": (8.0, (20.0, 0.35)),
            "Obstructive apnea|Obstructive Apnea": (2.5, (18.0, 0.35)),
            "Central apnea|Central Apnea": (0.5, (15.0, 0.3)),
            "Arousal|Arousal ()": (20.0, (9.0, 0.5)),
            "SpO2 desaturation|SpO2 desaturation": (9.0, (25.0, 0.4)),
        },
        time_in_bed_h=475 / 60,  # Kang 2023
    )
)


def estimate_shhs(rng: np.random.Generator, hmc_whole: list) -> tuple:
    """§2.4: HMC's sleep-period matrix with columns rescaled to the SHHS sleep-period shares."""
    hmc_sp = transition_matrix([s[sleep_period(s)] for s in hmc_whole])
    target = rescale_columns(hmc_sp, SHHS_SP_TARGET)
    chain = recipe_chain(target, sleep_period_model(hmc_whole))
    q = SHHS_QUIRKS
    n_bed = round(float(q["time_in_bed_h"]) * 120)
    shapes = []
    for _ in range(400):
        sol = round(min(0.4 * n_bed, np.exp(rng.normal(np.log(q["sol_median_min"]), q["sol_sigma"])) * 2))
        trail = round(rng.uniform(*q["trail_w_min"]) * 2)
        shapes.append((sol, n_bed - sol - trail, trail))
    chain = calibrate_base(chain, shapes, rng)
    t = dict(
        matrix=target,
        proportions=SHHS_SP_TARGET,
        n3_thirds=None,
        rem_thirds=None,
        bouts=None,
        n_nights=0,
        scope="sleep_period",
        typical_hours=q["time_in_bed_h"],
        whole_w_share=(0.25, 0.30),
    )
    return chain, dict(q), t


# ---------------------------------------------------------------------------------------------
# Real record names


def sleepedf_records(root: Path) -> tuple[str, ...]:
    """The 153 SC hypnogram stems (``SC4001EC``): the PSG stem is the first 7 characters + ``0``."""
    with open(root / "sleepedf/metadata/sedf_sc_checksums.txt") as f:
        names = [line.split()[1] for line in f]
    return tuple(sorted(n[:8] for n in names if n.endswith("-Hypnogram.edf")))


def p2018_records(root: Path) -> dict[str, str]:
    """The 994 training record names, as prefix -> space-separated 4-digit numbers."""
    names = set()
    with open(root / "p2018/metadata/phys_checksums.txt") as f:
        for line in f:
            part = line.split()[1].split("/")[1] if "/" in line else ""
            if part.startswith("tr"):
                names.add(part)
    out: dict[str, list[str]] = {}
    for name in sorted(names):
        out.setdefault(name[:4], []).append(name[5:])
    return {k: " ".join(v) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# Output


def plain(obj: object, digits: int = 5) -> object:
    """numpy -> nested tuples / floats rounded to ``digits``, so the module holds plain literals."""
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist(), digits)
    if isinstance(obj, dict):
        return {k: plain(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return tuple(plain(v, digits) for v in obj)
    if isinstance(obj, float | np.floating):
        return round(float(obj), digits)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def target_entry(t: dict) -> dict:
    bouts = t.get("bouts")
    out = {
        "scope": t["scope"],
        "typical_hours": round(float(t["typical_hours"]), 3),
        "n_nights": t["n_nights"],
        "matrix": t["matrix"],
        "proportions": t["proportions"],
        "n3_thirds": t["n3_thirds"],
        "rem_thirds": t["rem_thirds"],
        "bout_median": bouts["median"] if bouts else None,
        "bout_iqr": tuple(zip(bouts["q25"], bouts["q75"], strict=True)) if bouts else None,
        "bout_mean": bouts["mean"] if bouts else None,
    }
    for key in ("whole_w_share", "bouts_from_two_nights"):
        if key in t:
            out[key] = t[key]
    return plain(out, 4)  # type: ignore[return-value]


HEADER = '''"""Hypnogram statistics of the five datasets, estimated from real scorings (synthetic.md §2).

GENERATED by benchmarks/estimate_hypnogram_stats.py from ../shared/realdata (see PROVENANCE.md);
do not edit by hand, re-run the script. Stage order everywhere: W, N1, N2, N3, REM; epochs are 30 s.
A quantile tuple holds the 0, 5, ..., 100 % quantiles (21 values) of a distribution, drawn from with
`sleepdg.synth.hypnogram.sample_quantiles`.

- CHAINS: the semi-Markov sleep-period chain per dataset (`hypnogram.SleepChain.from_stats`): first
  sleep stage, base bout-to-bout jump matrix, time-of-night multipliers per sleep-period third
  (3 x 5 x 5, rows renormalised after multiplying), bout-length distributions per stage, REM lock-out.
- NIGHTS: lead/trail wake and each dataset's native quirks (synthetic.md §2.5).
- TARGETS: what the real nights show, the acceptance targets of synthetic.md §2.6.
- SLEEPEDF_SC_RECORDS, P2018_RECORDS: the real record names, in order.
"""

from __future__ import annotations

from typing import Any

# fmt: off
'''


def write_module(
    path: Path, chains: dict, nights: dict, tgts: dict, sedf_names: tuple, p2018_names: dict
) -> None:
    from pprint import pformat

    def block(name: str, annotation: str, value: object) -> str:
        body = pformat(value, width=104, compact=True, sort_dicts=False).replace("\n", "\n    ")
        return f"{name}: {annotation} = (\n    {body}\n)\n\n"

    text = HEADER
    text += block("CHAINS", "dict[str, dict[str, Any]]", plain(chains))
    text += block("NIGHTS", "dict[str, dict[str, Any]]", plain(nights, 4))
    text += block("TARGETS", "dict[str, dict[str, Any]]", {k: target_entry(v) for k, v in tgts.items()})
    text += block("SLEEPEDF_SC_RECORDS", "tuple[str, ...]", sedf_names)
    text += block("P2018_RECORDS", "dict[str, str]", p2018_names)
    path.write_text(text.rstrip() + "\n# fmt: on\n")


def report(tgts: dict, chains: dict) -> None:
    for ds, t in tgts.items():
        print(f"\n== {ds} ({t['scope']}, {t['n_nights']} nights, typical {t['typical_hours']:.2f} h)")
        print("  proportions", np.round(t["proportions"], 3))
        print("  matrix\n" + "\n".join("    " + " ".join(f"{x:.3f}" for x in row) for row in t["matrix"]))
        if t["n3_thirds"] is not None:
            print("  N3 thirds", np.round(t["n3_thirds"], 3), " REM thirds", np.round(t["rem_thirds"], 3))
        if t.get("bouts"):
            print("  bout medians", t["bouts"]["median"])
        mult = np.asarray(chains[ds]["third_mult"])
        print("  multipliers N2->N3", np.round(mult[:, N2, N3], 2), " N2->R", np.round(mult[:, N2, R], 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--out", type=Path, default=REPO / "sleepdg" / "synth" / "hypnogram_stats.py")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    chains, nights, tgts = {}, {}, {}
    chains["sleepedf"], nights["sleepedf"], tgts["sleepedf"] = estimate_sleepedf(args.realdata, rng)
    chains["hmc"], nights["hmc"], tgts["hmc"], hmc_whole = estimate_hmc(args.realdata, rng)
    chains["isruc"], nights["isruc"], tgts["isruc"] = estimate_isruc(args.realdata, rng)
    chains["shhs"], nights["shhs"], tgts["shhs"] = estimate_shhs(rng, hmc_whole)
    chains["p2018"], nights["p2018"], tgts["p2018"] = estimate_p2018(
        args.realdata, rng, hmc_whole, nights["hmc"]
    )
    report(tgts, chains)
    write_module(
        args.out, chains, nights, tgts, sleepedf_records(args.realdata), p2018_records(args.realdata)
    )
    print(f"\nwrote {args.out} ({args.out.stat().st_size:,} B)")
    print(json.dumps({ds: round(float(t["typical_hours"]), 3) for ds, t in tgts.items()}))


if __name__ == "__main__":
    main()
