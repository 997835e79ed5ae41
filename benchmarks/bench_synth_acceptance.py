"""Acceptance checks 1–6 of synthetic.md Part 4 over many synthetic nights per dataset.

Usage:
    python benchmarks/bench_synth_acceptance.py [--nights 20] [--hours 8] [--datasets hmc,isruc]

Every night is a `generate_hypnogram` night synthesised with all native channels at the recommended
shift scales (`ShiftScale` defaults), then the model's preprocessing (100 Hz, 0.3–35 Hz) and the
dataset's epoch selection. Physiology checks use the TRUE stages (the generator's contract); label
noise only matters for the baseline (bench_baseline_lr.py). Check 7 (hypnograms, file round trips)
belongs to the layout benchmarks; check 8 is bench_baseline_lr.py. Prints one line per check and
dataset: the measured value, the target and PASS/FAIL.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from _synthbench import FS, Night, derivation, lr_features, make_night, night_seed, profile_for, to_model_rate
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sleepdg.params import DATASETS
from sleepdg.synth import checks
from sleepdg.synth.montage import EEG_WEIGHTS, EOG_WEIGHTS
from sleepdg.synth.physiology import BLINK_V_UV
from sleepdg.synth.profiles import DatasetProfile

STAGES = ("W", "N1", "N2", "N3", "REM")
O_LEAD = {"sleepedf": "EEG Pz-Oz", "hmc": "EEG O2-M1", "isruc": "O2-A1", "p2018": "O2-M1"}
EOG_PAIR = {"hmc": ("EOG E1-M2", "EOG E2-M2"), "isruc": ("LOC-A2", "ROC-A1"), "shhs": ("EOG(L)", "EOG(R)")}
CHIN = {"sleepedf": "EMG submental", "hmc": "EMG chin", "isruc": "X1", "shhs": "EMG", "p2018": "Chin1-Chin2"}
SW_SITE = {"F": 1.0, "C": 0.85, "O": 0.5, "FpzCz": 0.6, "PzOz": 0.2}  # KC/SW weight of the lead (§1.3)
OLDER = {"hmc", "shhs", "p2018"}  # typical age ≥ 50: spindle density target 1.5–4 /min
BETA_RANGE = {0: (1.0, 1.6), 1: (1.4, 1.9), 2: (1.9, 2.5), 3: (2.4, 3.2), 4: (1.6, 2.2)}  # §1.1


def _epochs(x: np.ndarray, start: int, n: int) -> np.ndarray:
    e = int(checks.EPOCH_S * FS)
    return x[start * e : (start + n) * e].reshape(n, e)


def _chin_rms(night: Night, dataset: str) -> np.ndarray:
    x, fs = night.raw[CHIN[dataset]]
    per_epoch = round(30 * fs)
    n = len(night.true)
    if fs < 20:  # Sleep-EDF: the 1-Hz envelope is already an rms
        return x[night.start_epoch * per_epoch : (night.start_epoch + n) * per_epoch].reshape(n, -1).mean(1)
    y = checks.band_filter(x, fs, 10.0, min(100.0, 0.45 * fs), order=2)
    seg = y[night.start_epoch * per_epoch : (night.start_epoch + n) * per_epoch].reshape(n, -1)
    return np.sqrt((seg**2).mean(axis=1))


def _artefact_features(night: Night, profile: DatasetProfile) -> np.ndarray:
    """(E, 2) log mains power and log white-noise floor of the native model EEG."""
    x, fs = night.raw[profile.model_labels[0]]
    per_epoch, n = round(30 * fs), len(night.true)
    seg = x[night.start_epoch * per_epoch : (night.start_epoch + n) * per_epoch].reshape(n, -1).astype(float)
    f, p = checks.epoch_psd(seg - seg.mean(axis=1, keepdims=True), fs)
    mains = profile.mains_hz or 50.0
    if fs >= 150:
        lo, hi = 65.0, 0.45 * fs  # above the physiology (≤ 40 Hz) and its resampling images
    elif fs > 110:
        lo, hi = 51.0, 58.0
    else:
        lo, hi = 40.0, 50.0  # Sleep-EDF: the spec's band; physiology also lives there
    floor = (f >= lo) & (f <= hi) & (np.abs(f - mains) > 2) & (np.abs(f - 3 * mains) > 2)
    hum = np.abs(f - mains) <= 0.5
    return np.stack([np.log(p[:, hum].sum(1) + 1e-12), np.log(p[:, floor].mean(1) + 1e-12)], axis=1)


def _eye_movement_times(night: Night, dataset: str, profile: DatasetProfile) -> np.ndarray:
    """REM detector input: E1 − E2 where a dataset has both (in-phase EEG leak cancels), else the EOG."""
    n = len(night.true)
    if dataset in EOG_PAIR:
        a, b = EOG_PAIR[dataset]
        x = to_model_rate(*derivation(night.raw, f"{a} - {b}"))[
            night.start_epoch * 3000 : (night.start_epoch + n) * 3000
        ]
        h = abs(EOG_WEIGHTS[profile.channel(a).site][0] - EOG_WEIGHTS[profile.channel(b).site][0])
    else:
        x = night.eog.reshape(-1)
        h = abs(EOG_WEIGHTS[profile.channel(profile.model_labels[-1]).site][0])
    return checks.eye_movements(x, FS, 300.0 * h, 40.0 * h)


def _blink_lead(dataset: str, profile: DatasetProfile) -> tuple[str, float, bool]:
    """(derivation, vertical eye-source weight on it, one lead) the blink detector reads: E1 − E2 where
    blinks are anti-phase on the pair (EEG leak and K-complexes cancel), Fpz-Cz on Sleep-EDF (its
    bipolar horizontal EOG barely sees blinks: vertical weight 0.1, where the detector found 17 % of
    them), else the model EOG lead."""
    if dataset == "sleepedf":
        return "EEG Fpz-Cz", EEG_WEIGHTS["FpzCz"]["eye_v"], True
    labels = EOG_PAIR.get(dataset, (profile.model_labels[-1],))
    v = EOG_WEIGHTS[profile.channel(labels[0]).site][1]
    if len(labels) == 2 and EOG_WEIGHTS[profile.channel(labels[1]).site][1] != v:
        return " - ".join(labels), v - EOG_WEIGHTS[profile.channel(labels[1]).site][1], False
    return labels[0], v, True  # SHHS: blinks are common to EOG(L) and EOG(R), so read EOG(L)


def _blink_times(night: Night, dataset: str, profile: DatasetProfile) -> np.ndarray:
    """Blink times; the threshold is 60 % of the smallest blink the generator draws at the lead read.
    One lead keeps its EEG leak (K-complexes and slow waves can look like blinks), so its baseline
    test is stricter (levels 0.4 s either side within 0.3 × the height) than on a pair."""
    n = len(night.true)
    entry, v, one_lead = _blink_lead(dataset, profile)
    v_model = abs(EOG_WEIGHTS[profile.channel(profile.model_labels[-1]).site][1])
    smallest_v = float(np.clip(profile.blink_uv[0] / v_model, *BLINK_V_UV))  # on the vertical source
    x = to_model_rate(*derivation(night.raw, entry))[
        night.start_epoch * 3000 : (night.start_epoch + n) * 3000
    ]
    strict = {"side_s": 0.4, "tolerance": 0.3} if one_lead else {}
    return checks.blinks(x, FS, v, 0.6 * smallest_v * abs(v), **strict)


def night_stats(night: Night, dataset: str, profile: DatasetProfile) -> dict[str, np.ndarray]:
    """Per-epoch measurements of one night (arrays aligned with ``night.true``)."""
    n = len(night.true)
    eeg_flat = night.eeg.reshape(-1)
    f, p = checks.epoch_psd(night.eeg, FS)
    fe, pe = checks.epoch_psd(night.eog, FS, nperseg_s=10.0)
    tot = checks.band_power(f, p, 0.5, 30.0)
    stages = night.true
    nrem = np.repeat((stages >= 1) & (stages <= 3), int(30 * FS))
    # AASM's 75 µV holds at frontal leads: scale by the lead's KC/SW weight and the dataset's factor
    thr = 75.0 * profile.kcsw_amp * SW_SITE[profile.channel(profile.model_labels[0]).site]
    out = {
        "stage": stages,
        "rel_delta": checks.band_power(f, p, 0.5, 4.0) / tot,
        "rel_sigma": checks.band_power(f, p, 11.0, 16.0) / tot,
        "delta": checks.band_power(f, p, 0.5, 4.0),
        "psd": p,
        "eog_slow": checks.band_power(fe, pe, 0.1, 1.0),
        "sw_frac": checks.slow_wave_fraction(eeg_flat, FS, n, thr),
        "emg": _chin_rms(night, dataset),
        "artefact": _artefact_features(night, profile),
        "lr": lr_features(night),
        "abs_bp": lr_features(night, zscore=False),
        "spindle_t": checks.detect_spindles(eeg_flat, FS, nrem),
        "kc_t": checks.kcomplexes(eeg_flat, FS, thr),
        "rem_t": _eye_movement_times(night, dataset, profile),
    }
    out["blink_t"] = _blink_times(night, dataset, profile)
    if dataset in O_LEAD:
        xo = _epochs(to_model_rate(*derivation(night.raw, O_LEAD[dataset])), night.start_epoch, n)
        fo, po = checks.epoch_psd(xo, FS)
        out["o_alpha"] = checks.band_power(fo, po, 8.0, 12.0) / checks.band_power(fo, po, 0.5, 30.0)
    if dataset in EOG_PAIR:
        a, b = (
            _epochs(to_model_rate(*derivation(night.raw, lab)), night.start_epoch, n)
            for lab in EOG_PAIR[dataset]
        )
        out["eog_pair"] = np.stack([a, b], axis=1)
    return out


class Report:
    """Collects (check, dataset, value, target, passed) rows and prints them."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, bool]] = []

    def add(self, check: str, ds: str, value: str, target: str, passed: bool) -> None:
        self.rows.append((check, ds, value, target, bool(passed)))
        print(f"{check:38s} {ds:9s} {value:44s} {target:32s} {'PASS' if passed else 'FAIL'}", flush=True)


def _in(x: float, lo: float, hi: float) -> bool:
    return bool(lo <= x <= hi)


def spectral_checks(rep: Report, ds: str, s: dict[str, np.ndarray], profile: DatasetProfile) -> None:
    st = s["stage"]
    rd = [np.nanmean(s["rel_delta"][st == k]) for k in range(5)]
    ok = (
        _in(rd[3], 0.80, 0.95)
        and _in(rd[2], 0.60, 0.88)
        and _in(rd[1], 0.40, 0.70)
        and _in(rd[4], 0.40, 0.70)
    )
    ok = ok and rd[3] > rd[2] > max(rd[1], rd[4])
    rep.add(
        "1 rel delta N3>N2>{N1,REM}",
        ds,
        f"N3 {rd[3]:.2f} N2 {rd[2]:.2f} N1 {rd[1]:.2f} REM {rd[4]:.2f}",
        ".80-.95 > .60-.88 > .40-.70",
        ok,
    )
    if "o_alpha" in s:
        a = [np.nanmean(s["o_alpha"][st == k]) for k in range(5)]
        ok = _in(a[0], 0.15, 0.45) and a[0] >= 2 * a[1] and a[0] >= 3 * max(a[2], a[3])
        rep.add(
            "1 W alpha at O/Pz-Oz",
            ds,
            "W {:.3f} N1 {:.3f} N2 {:.3f} N3 {:.3f}".format(*tuple(a[:4])),
            ".15-.45, >=2xN1, >=3xN2/N3",
            ok,
        )
    sg = [np.nanmean(s["rel_sigma"][st == k]) for k in range(5)]
    rep.add(
        "1 rel sigma N2 vs REM, N3",
        ds,
        f"N2/REM {sg[2] / sg[4]:.2f} N2/N3 {sg[2] / sg[3]:.2f}",
        ">=1.3, >=1.2",
        sg[2] >= 1.3 * sg[4] and sg[2] >= 1.2 * sg[3],
    )
    d = [np.nanmean(s["delta"][st == k]) for k in range(5)]
    rep.add(
        "2 delta N3/N2, REM/N2",
        ds,
        f"{d[3] / d[2]:.2f}, {d[4] / d[2]:.2f}",
        "2-5, 0.3-0.7",
        _in(d[3] / d[2], 2, 5) and _in(d[4] / d[2], 0.3, 0.7),
    )
    f = np.fft.rfftfreq(400, 1 / FS)
    beta = [checks.aperiodic_exponent(f, s["psd"][st == k]) for k in range(5)]
    off = profile.beta_offset
    ranges_ok = all(
        _in(beta[k], BETA_RANGE[k][0] + off - 0.3, BETA_RANGE[k][1] + off + 0.3) for k in range(5)
    )
    order_ok = beta[3] > beta[2] > max(beta[4], beta[1]) and min(beta[4], beta[1]) > beta[0]
    rep.add(
        "2 exponent order and ranges",
        ds,
        " ".join(f"{n} {b:.2f}" for n, b in zip(STAGES, beta, strict=True)),
        f"N3>N2>REM,N1>W; §1.1{off:+.2f}±.3",
        ranges_ok and order_ok,
    )


def _rates(nights: list[dict[str, np.ndarray]], key: str) -> list[float]:
    """Events per minute of each stage, pooled over nights."""
    counts, minutes = np.zeros(5), np.zeros(5)
    for s in nights:
        epoch = np.clip((s[key] // 30).astype(int), 0, len(s["stage"]) - 1)
        for k in range(5):
            counts[k] += np.sum(s["stage"][epoch] == k)
            minutes[k] += np.sum(s["stage"] == k) / 2
    return list(counts / np.maximum(minutes, 1e-9))


def event_checks(rep: Report, ds: str, nights: list[dict[str, np.ndarray]], s: dict[str, np.ndarray]) -> None:
    st = s["stage"]
    sp = _rates(nights, "spindle_t")
    lo, hi = (1.5, 4.0) if ds in OLDER else (2.0, 7.0)
    ok = _in(sp[2], lo, hi) and _in(sp[3], 0.5, 3.0) and max(sp[0], sp[4]) < 0.5
    rep.add(
        "3 spindles /min N2, N3, W|REM",
        ds,
        f"N2 {sp[2]:.2f} N3 {sp[3]:.2f} W {sp[0]:.2f} REM {sp[4]:.2f}",
        f"{lo}-{hi}, .5-3, <.5",
        ok,
    )
    kc = _rates(nights, "kc_t")
    rep.add("3 K-complexes /min N2", ds, f"{kc[2]:.2f}", "0.5-3", _in(kc[2], 0.5, 3.0))
    n3 = np.mean(s["sw_frac"][st == 3] >= 0.2)
    n2 = np.mean(s["sw_frac"][st == 2] >= 0.2)
    rep.add(
        "3 epochs with >=20% slow waves",
        ds,
        f"N3 {n3:.2f} N2 {n2:.2f}",
        "N3 >=.75, N2 <=.15",
        n3 >= 0.75 and n2 <= 0.15,
    )
    rem = _rates(nights, "rem_t")
    rep.add(
        "4 eye movements /min REM vs N2",
        ds,
        f"REM {rem[4]:.1f} N2 {rem[2]:.2f}",
        "4-15, >=3xN2",
        _in(rem[4], 4, 15) and rem[4] >= 3 * rem[2],
    )
    slow = [np.nanmean(s["eog_slow"][st == k]) for k in range(5)]
    rep.add("4 EOG 0.1-1 Hz power N1/N2", ds, "%.2f" % (slow[1] / slow[2]), ">=2", slow[1] >= 2 * slow[2])
    bl = _rates(nights, "blink_t")  # N1 may blink 0–3 /min (§1.1); "sleep" below is N2, N3 and REM
    rep.add(
        "4 blinks /min W, N1, N2-REM",
        ds,
        "W {:.1f} N1 {:.2f} N2-REM {}".format(bl[0], bl[1], " ".join(f"{b:.2f}" for b in bl[2:])),
        "W >=5, N1 <=3, sleep <1",
        bl[0] >= 5 and bl[1] <= 3 and max(bl[2:]) < 1,
    )
    if "eog_pair" in s:
        r = {}
        for k in (3, 4):
            pair = s["eog_pair"][st == k]
            r[k] = float(np.corrcoef(pair[:, 0].ravel(), pair[:, 1].ravel())[0, 1])
        rep.add(
            "4 E1/E2 correlation REM, N3",
            ds,
            f"REM {r[4]:.2f} N3 {r[3]:.2f}",
            "-.9..-.6, +.3..+.8",
            _in(r[4], -0.9, -0.6) and _in(r[3], 0.3, 0.8),
        )


def emg_checks(rep: Report, ds: str, nights: list[dict[str, np.ndarray]], s: dict[str, np.ndarray]) -> None:
    st = s["stage"]
    m = [np.nanmean(s["emg"][st == k]) for k in range(5)]
    r2, r4 = m[2] / m[0], m[4] / m[0]
    lowest = np.mean(
        [
            np.nanmean(n["emg"][n["stage"] == 4])
            < min(np.nanmean(n["emg"][n["stage"] == k]) for k in range(4) if np.any(n["stage"] == k))
            for n in nights
            if np.any(n["stage"] == 4)
        ]
    )
    rep.add(
        "5 chin EMG W:N2:REM, REM lowest",
        ds,
        f"1 : {r2:.2f} : {r4:.2f}, lowest in {100 * lowest:.0f}%",
        "1 : .3-.5 : .05-.2, >=90%",
        _in(r2, 0.3, 0.5) and _in(r4, 0.05, 0.2) and lowest >= 0.9,
    )


def _lr_cv(x: np.ndarray, y: np.ndarray, groups: np.ndarray, *, stratify: bool = False) -> float:
    """Accuracy of a logistic regression, cross-validated by night (stratified by class if asked)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    n_splits = min(5, len(np.unique(groups)) // (5 if stratify else 1))
    cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=0) if stratify else GroupKFold(n_splits)
    return float(cross_val_score(model, x, y, groups=groups, cv=cv).mean())


def artefact_checks(rep: Report, per_ds: dict[str, dict[str, np.ndarray]]) -> None:
    for ds, s in per_ds.items():
        keep = s["stage"] >= 0
        acc = _lr_cv(s["artefact"][keep], s["stage"][keep], s["night"][keep])
        prior = np.bincount(s["stage"][keep]).max() / keep.sum()
        rep.add(
            "6 stage from mains/noise floor",
            ds,
            f"acc {acc:.3f} prior {prior:.3f}",
            "within ±0.02",
            acc <= prior + 0.02,
        )
    if len(per_ds) < 2:
        return
    y = np.concatenate([np.full(len(s["lr"]), i) for i, s in enumerate(per_ds.values())])
    g = np.concatenate([s["night"] + 1000 * i for i, s in enumerate(per_ds.values())])
    acc_abs = _lr_cv(np.concatenate([s["abs_bp"] for s in per_ds.values()]), y, g, stratify=True)
    acc_z = _lr_cv(np.concatenate([s["lr"] for s in per_ds.values()]), y, g, stratify=True)
    rep.add(
        "6 dataset from band powers (µV², z)",
        "all",
        f"acc {acc_abs:.3f} (z-scored {acc_z:.3f})",
        ">=0.90",
        acc_abs >= 0.9,
    )


def _pool(nights: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    pooled = {k: np.concatenate([n[k] for n in nights]) for k in nights[0] if not k.endswith("_t")}
    pooled["night"] = np.concatenate([np.full(len(n["stage"]), i) for i, n in enumerate(nights)])
    return pooled


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nights", type=int, default=20)
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--seed-base", type=int, default=1)
    args = ap.parse_args()
    rep = Report()
    per_ds: dict[str, dict[str, np.ndarray]] = {}
    for ds in args.datasets.split(","):
        t0 = time.perf_counter()
        profile = profile_for(ds)
        nights = []
        for i in range(args.nights):
            night = make_night(
                ds, night_seed(ds, i, args.seed_base), hours=args.hours, profile=profile, channels="all"
            )
            nights.append(night_stats(night, ds, profile))
        s = per_ds[ds] = _pool(nights)
        counts = defaultdict(int, zip(*np.unique(s["stage"], return_counts=True), strict=True))
        print(
            f"--- {ds}: {args.nights} nights, {len(s['stage'])} epochs "
            f"({', '.join(f'{n} {counts[k]}' for k, n in enumerate(STAGES))}), "
            f"{time.perf_counter() - t0:.0f} s"
        )
        spectral_checks(rep, ds, s, profile)
        event_checks(rep, ds, nights, s)
        emg_checks(rep, ds, nights, s)
    artefact_checks(rep, per_ds)
    n_pass = sum(r[4] for r in rep.rows)
    print(f"=== {n_pass}/{len(rep.rows)} checks pass")


if __name__ == "__main__":
    main()
