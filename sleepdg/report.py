"""The cross-fold summary: ``reports/summary.json`` and ``reports/summary.md``.

The summary gathers each fold's ``reports/<fold>/metrics.json`` (and, when they exist, the
in-domain controls' ``reports/indomain-<ds>/metrics.json``), adds the mean and standard deviation
over folds, and lays the accuracy / macro-F1 out like the paper's table beside the published
SleepDIFFormer and SleepDG numbers (method.md §8), which were measured on the real datasets.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sleepdg.atomic import write_text_atomic
from sleepdg.errors import SleepdgError
from sleepdg.params import DATASETS

log = logging.getLogger(__name__)

METRIC_KEYS: tuple[str, ...] = (
    "acc", "macro_f1", "kappa", "f1_W", "f1_N1", "f1_N2", "f1_N3", "f1_REM", "n_epochs",
)  # fmt: skip  # exactly the keys of reports/<fold>/metrics.json (architecture.md "Reports")
SCORE_KEYS: tuple[str, ...] = METRIC_KEYS[:-1]
COLUMN_NAMES = {"sleepedf": "SleepEDFx", "hmc": "HMC", "isruc": "ISRUC", "shhs": "SHHS1", "p2018": "P2018"}

# Accuracy / macro-F1 in % per target, from SleepDIFFormer's comparison table (method.md §8):
# real data, one seed, no kappa. The SleepDG row is SleepDIFFormer's quotation of it.
PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "SleepDG": {
        "sleepedf": (77.44, 71.29), "hmc": (73.85, 71.16), "isruc": (78.69, 74.44),
        "shhs": (70.45, 60.89), "p2018": (74.74, 70.43), "avg": (75.03, 69.64),
    },
    "SleepDIFFormer": {
        "sleepedf": (78.19, 72.44), "hmc": (75.82, 73.39), "isruc": (76.46, 73.22),
        "shhs": (76.39, 68.33), "p2018": (74.72, 71.78), "avg": (76.32, 71.83),
    },
}  # fmt: skip


class ReportError(SleepdgError, ValueError):
    """A fold's metrics file is missing or does not hold the expected keys."""


def read_metrics(path: Path | str) -> dict[str, float]:
    """One ``metrics.json``, checked to hold exactly `METRIC_KEYS` with numeric values."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: no such metrics file; run its evaluate stage first") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or set(raw) != set(METRIC_KEYS):
        found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise ReportError(f"{path}: expected the keys {', '.join(METRIC_KEYS)}; found {found}")
    bad = [k for k, v in raw.items() if not isinstance(v, int | float) or isinstance(v, bool)]
    if bad:
        raise ReportError(f"{path}: non-numeric values for {', '.join(bad)}")
    return {k: raw[k] for k in METRIC_KEYS}


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1; 0 for a single value)."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def summarise(
    folds: Mapping[str, Mapping[str, float]],
    indomain: Mapping[str, Mapping[str, float]] | None = None,
    *,
    source: str,
    stacking: str,
) -> dict[str, Any]:
    """The content of ``summary.json``.

    Parameters
    ----------
    folds
        Metrics of each evaluated fold, keyed by target dataset.
    indomain
        Metrics of the in-domain controls that exist, keyed by dataset.
    source, stacking
        ``data.source`` and ``model.stacking`` of this run, stated beside the numbers.

    Returns
    -------
    dict
        ``folds``, ``mean`` and ``std`` (sample, over folds, per score), ``n_epochs`` (sum over
        folds), ``indomain``, ``domain_gap`` (in-domain minus cross-dataset, where both exist) and
        the run's ``data_source`` and ``stacking``. The published numbers stay out (constants, in
        summary.md), so that ``dvc metrics show`` lists this run's numbers only.
    """
    if not folds:
        raise ReportError("no fold metrics to summarise")
    order = [d for d in DATASETS if d in folds]
    stats = {k: _mean_std([folds[f][k] for f in order]) for k in SCORE_KEYS}
    indomain = dict(indomain or {})
    gap = {
        d: {k: float(indomain[d][k]) - float(folds[d][k]) for k in SCORE_KEYS}
        for d in DATASETS
        if d in indomain and d in folds
    }
    return {
        "data_source": source,
        "stacking": stacking,
        "folds": {f: dict(folds[f]) for f in order},
        "mean": {k: m for k, (m, _) in stats.items()},
        "std": {k: s for k, (_, s) in stats.items()},
        "n_epochs": int(sum(int(folds[f]["n_epochs"]) for f in order)),
        "indomain": {d: dict(indomain[d]) for d in DATASETS if d in indomain},
        "domain_gap": gap,
    }


def _pct(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{100.0 * value:.2f}"


def _score(key: str, value: float) -> str:
    """Kappa as a coefficient, every other score in %."""
    return f"{value:.3f}" if key == "kappa" else _pct(value)


def _cell(metrics: Mapping[str, float] | None) -> str:
    if metrics is None:
        return "–"
    return f"{_pct(metrics['acc'])} / {_pct(metrics['macro_f1'])}"


def _paper_table(summary: Mapping[str, Any]) -> list[str]:
    targets = list(DATASETS)
    source = summary["data_source"]
    lines = [
        "| method | data | " + " | ".join(COLUMN_NAMES[t] for t in targets) + " | Avg |",
        "|---|---|" + "---|" * (len(targets) + 1),
    ]
    for method, table in PUBLISHED.items():
        cells = [f"{a:.2f} / {f:.2f}" for a, f in (table[t] for t in [*targets, "avg"])]
        lines.append(f"| {method} (published) | real data | " + " | ".join(cells) + " |")
    folds, mean, std = summary["folds"], summary["mean"], summary["std"]
    avg = f"{_pct(mean['acc'])} ± {_pct(std['acc'])} / {_pct(mean['macro_f1'])} ± {_pct(std['macro_f1'])}"
    if len(folds) < len(targets):
        avg += f" ({len(folds)} folds)"
    cells = [_cell(folds.get(t)) for t in targets]
    lines.append(
        f"| **this run** ({summary['stacking']} stacking) | {source} | " + " | ".join(cells) + f" | {avg} |"
    )
    if summary["indomain"]:
        cells = [_cell(summary["indomain"].get(t)) for t in targets]
        lines.append(f"| in-domain control (this run) | {source} | " + " | ".join(cells) + " | |")
        cells = [_cell(summary["domain_gap"].get(t)) for t in targets]
        lines.append(f"| domain gap (in-domain − cross) | {source} | " + " | ".join(cells) + " | |")
    return lines


def _fold_table(summary: Mapping[str, Any]) -> list[str]:
    header = ["target", "acc", "macro-F1", "κ", "F1 W", "F1 N1", "F1 N2", "F1 N3", "F1 REM", "scored epochs"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for fold, m in summary["folds"].items():
        cells = [_score(k, m[k]) for k in SCORE_KEYS]
        lines.append(f"| {COLUMN_NAMES[fold]} | " + " | ".join(cells) + f" | {int(m['n_epochs'])} |")
    mean, std = summary["mean"], summary["std"]
    cells = [f"{_score(k, mean[k])} ± {_score(k, std[k])}" for k in SCORE_KEYS]
    lines.append("| mean ± std | " + " | ".join(cells) + f" | {summary['n_epochs']} |")
    return lines


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """``summary.md``: the paper-style table beside the published numbers, then per-fold details."""
    source = summary["data_source"]
    note = (
        "**This run used synthetic recordings** (`data.source: synthetic`): its numbers test the pipeline "
        "and cannot be compared with the published ones, which were measured on the real datasets."
        if source == "synthetic"
        else f"This run used `data.source: {source}`; check the subset and preprocessing before comparing."
    )
    lines = [
        "# Cross-dataset sleep staging: leave one dataset out",
        "",
        "Accuracy / macro-F1 (%) on each held-out target dataset and their unweighted average.",
        "Published rows: SleepDIFFormer's comparison table (real data, one seed; SleepDG as it quotes it).",
        note,
        "",
        *_paper_table(summary),
        "",
        "## This run, per target",
        "",
        "Scores in % over the target's pooled scored epochs, except Cohen's κ; std is the sample",
        "standard deviation over folds.",
        "",
        *_fold_table(summary),
        "",
    ]
    if summary["indomain"]:
        lines += [
            "The in-domain control trains and tests on disjoint subjects of one dataset; the domain gap is",
            "its score minus the cross-dataset score of the fold that holds that dataset out.",
            "",
        ]
    return "\n".join(lines)


def collect(
    reports_root: Path, folds: Sequence[str]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Read ``<root>/<fold>/metrics.json`` of every fold (each must exist) and every
    ``<root>/indomain-<ds>/metrics.json`` that exists."""
    reports_root = Path(reports_root)
    fold_metrics = {f: read_metrics(reports_root / f / "metrics.json") for f in folds}
    indomain: dict[str, dict[str, float]] = {}
    for dataset in DATASETS:
        path = reports_root / f"indomain-{dataset}" / "metrics.json"
        if path.is_file():
            indomain[dataset] = read_metrics(path)
    return fold_metrics, indomain


def write_summary(
    reports_root: Path, folds: Sequence[str], *, source: str, stacking: str
) -> tuple[Path, Path]:
    """Write ``<root>/summary.json`` and ``<root>/summary.md`` from the folds' metrics.

    Returns
    -------
    The two paths written.
    """
    fold_metrics, indomain = collect(reports_root, folds)
    summary = summarise(fold_metrics, indomain, source=source, stacking=stacking)
    json_path, md_path = Path(reports_root) / "summary.json", Path(reports_root) / "summary.md"
    write_text_atomic(json_path, json.dumps(summary, indent=2) + "\n")
    write_text_atomic(md_path, summary_markdown(summary))
    log.info(
        "summary of %d folds (%s): mean acc %.4f, macro-F1 %.4f; wrote %s and %s",
        len(fold_metrics),
        ", ".join(fold_metrics),
        summary["mean"]["acc"],
        summary["mean"]["macro_f1"],
        json_path,
        md_path,
    )
    return json_path, md_path
