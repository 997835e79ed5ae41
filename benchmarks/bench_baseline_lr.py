"""Band-power + logistic-regression baseline on synthetic nights (synthetic.md §4.8 check 8).

Usage:
    python benchmarks/bench_baseline_lr.py [--nights 12] [--hours 8] [--scales hmc=1.2,shhs=0.8]
                                           [--cache /tmp/synth-physiology/lr-cache]

Per night: `generate_hypnogram` + `synthesize_night` (model channels) + label noise, the model's
preprocessing (100 Hz, 0.3–35 Hz, per-recording z-score, Sleep-EDF wake trimming), then 12 features
per epoch: log band power in 0.5–2, 2–4, 4–8, 8–12, 11–16, 16–30 Hz of the EEG and the EOG.
A multinomial logistic regression (standardised features) is scored on the scored labels:
within-dataset by 4-fold cross-validation over nights, and leave-one-dataset-out (train on the
four other datasets' nights, test on every night of the target). Targets (§4.8): within accuracy
0.70–0.85, macro-F1 0.65–0.82, N1 F1 0.35–0.65, W F1 ≤ 0.93; LODO 3–20 points below within, ≥ 0.60.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

import numpy as np
from _synthbench import default_scales, lr_features, make_night, night_seed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sleepdg.params import DATASETS
from sleepdg.synth.profiles import scaled_profile

Data = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # dataset -> (X, y, night index)


def dataset_features(
    ds: str, scale: float, nights: int, hours: float, cache: Path | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, scored labels and night index of ``nights`` nights of ``ds`` at shift scale ``scale``."""
    path = cache / f"{ds}-{scale:.2f}-{nights}-{hours:g}.pkl" if cache else None
    if path is not None and path.exists():
        x, y, g = pickle.loads(path.read_bytes())
        return x, y, g
    profile = scaled_profile(ds, scale)
    xs, ys, gs = [], [], []
    for i in range(nights):
        night = make_night(ds, night_seed(ds, i), hours=hours, profile=profile)
        keep = night.labels >= 0
        xs.append(lr_features(night)[keep])
        ys.append(night.labels[keep])
        gs.append(np.full(int(keep.sum()), i))
    out = (np.concatenate(xs), np.concatenate(ys), np.concatenate(gs))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(out))
    return out


def _model() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def _scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    f1 = f1_score(y, pred, labels=range(5), average=None, zero_division=0)
    return {"acc": accuracy_score(y, pred), "mf1": float(np.mean(f1)), "f1_W": f1[0], "f1_N1": f1[1]}


def within(x: np.ndarray, y: np.ndarray, g: np.ndarray, n_folds: int = 4) -> dict[str, float]:
    """``n_folds``-fold cross-validation over nights (night index mod n_folds); every epoch predicted once."""
    pred = np.empty_like(y)
    for fold in range(n_folds):
        test = g % n_folds == fold
        model = _model().fit(x[~test], y[~test])  # type: ignore[attr-defined]
        pred[test] = model.predict(x[test])
    return _scores(y, pred)


def lodo(data: Data, target: str) -> dict[str, float]:
    """Train on every night of the other datasets, test on every night of ``target``."""
    sources = [d for d in data if d != target]
    x = np.concatenate([data[d][0] for d in sources])
    y = np.concatenate([data[d][1] for d in sources])
    model = _model().fit(x, y)  # type: ignore[attr-defined]
    return _scores(data[target][1], model.predict(data[target][0]))


def evaluate(data: Data) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """(within, LODO) scores per target dataset."""
    return {ds: (within(*data[ds]), lodo(data, ds)) for ds in data}


def _ok(w: dict[str, float], lo: dict[str, float]) -> bool:
    drop = w["acc"] - lo["acc"]
    within_ok = 0.70 <= w["acc"] <= 0.85 and 0.65 <= w["mf1"] <= 0.82
    stages_ok = 0.35 <= w["f1_N1"] <= 0.65 and w["f1_W"] <= 0.93
    return bool(within_ok and stages_ok and 0.03 <= drop <= 0.20 and lo["acc"] >= 0.60)


def print_table(
    results: dict[str, tuple[dict[str, float], dict[str, float]]], scales: dict[str, float]
) -> None:
    print(
        f"{'target':9s} {'λ':>4s} | {'acc':>5s} {'mF1':>5s} {'F1 W':>5s} {'F1 N1':>5s} | "
        f"{'LODO acc':>8s} {'mF1':>5s} | {'drop':>5s} | §4.8"
    )
    for ds, (w, lo) in results.items():
        drop = 100 * (w["acc"] - lo["acc"])
        print(
            f"{ds:9s} {scales[ds]:4.2f} | {w['acc']:.3f} {w['mf1']:.3f} {w['f1_W']:.3f} {w['f1_N1']:.3f} | "
            f"{lo['acc']:8.3f} {lo['mf1']:.3f} | {drop:5.1f} | {'ok' if _ok(w, lo) else 'OUT'}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nights", type=int, default=12)
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument(
        "--scales", default="", help="overrides of the ShiftScale defaults, e.g. hmc=1.2,shhs=0.8"
    )
    ap.add_argument("--cache", type=Path, default=None, help="folder caching features per (dataset, scale)")
    args = ap.parse_args()
    scales = default_scales()
    for item in filter(None, args.scales.split(",")):
        name, value = item.split("=")
        scales[name] = float(value)
    t0 = time.perf_counter()
    data: Data = {
        ds: dataset_features(ds, scales[ds], args.nights, args.hours, args.cache) for ds in DATASETS
    }
    print(
        f"{args.nights} nights per dataset, {sum(len(d[1]) for d in data.values())} scored epochs, "
        f"features in {time.perf_counter() - t0:.0f} s"
    )
    print_table(evaluate(data), scales)


if __name__ == "__main__":
    main()
