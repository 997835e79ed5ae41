"""Stage any EDF/EDF+ or WFDB recording with one or more trained checkpoints.

The recording is read by the generic reader (EEG and EOG by alias or by name), preprocessed with
the checkpoint's stored ``prepare.common`` by the same `sleepdg.preprocess.preprocess` as prepare
(no epoch selection, z-score over the whole recording), and staged in windows of the model's
``seq_len`` plus one aligned to the end, overlapping probabilities averaged; an ensemble averages
its models' probabilities. A trailing partial epoch is dropped and reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sleepdg.errors import CheckpointError, SleepdgError
from sleepdg.inference import SequenceTooShortError, ensemble_probabilities, model_seq_len
from sleepdg.sleep_stats import SleepSummary, sleep_summary
from sleepdg.stages import EPOCH_S, STAGE_NAMES

if TYPE_CHECKING:
    from sleepdg.model import SleepDIFFormer
    from sleepdg.params import PrepareCommon

log = logging.getLogger(__name__)

# EDF+ hypnogram texts (Sleep-EDF's spelling, AASM stages; EDFbrowser's hypnogram reads them)
EDF_STAGE_TEXT: tuple[str, ...] = (
    "Sleep stage W",
    "Sleep stage N1",
    "Sleep stage N2",
    "Sleep stage N3",
    "Sleep stage R",
)
_ANONYMOUS_START = datetime(1985, 1, 1)  # EDF+'s start date for an unknown date (EDF+ spec 2.1.3.3)


class EnsembleError(SleepdgError, ValueError):
    """Checkpoints of one ensemble were trained with different preprocessing."""


@dataclass(frozen=True)
class PredictResult:
    """What `predict` wrote and found."""

    recording: Path
    csv_path: Path  # epoch, onset_s, stage, p_W … p_REM
    edf_path: Path  # EDF+ annotations, one "Sleep stage X" per run of equal stages
    png_path: Path  # hypnogram and stage probabilities
    stages: np.ndarray  # (n_epochs,) int8 predicted Stage values
    proba: np.ndarray  # (n_epochs, 5) float32
    summary: SleepSummary
    channels: dict[str, str]  # modality -> channel label (or derivation) used
    dropped_s: float  # seconds after the last whole epoch, not staged
    timings_s: dict[str, float] = field(default_factory=dict)  # load, read, preprocess, model, write

    def describe(self) -> str:
        """The short summary ``sleepdg predict`` prints."""
        lines = [
            f"{self.recording}: {self.stages.size} epochs staged "
            f"(EEG {self.channels['eeg']!r}, EOG {self.channels['eog']!r})"
        ]
        if self.dropped_s > 0:
            lines.append(f"the last {self.dropped_s:.1f} s do not fill a 30-s epoch and were not staged")
        lines.append(self.summary.describe())
        lines.append(f"wrote {self.csv_path}, {self.edf_path} and {self.png_path}")
        return "\n".join(lines)


def _diff(a: Any, b: Any, prefix: str = "") -> str | None:
    """The first key where two JSON-like values differ, as ``key: a vs b``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            found = _diff(a.get(key), b.get(key), f"{prefix}{key}.")
            if found:
                return found
        return None
    return None if a == b else f"{prefix.rstrip('.')}: {a!r} vs {b!r}"


def load_models(paths: Sequence[Path | str]) -> tuple[list[SleepDIFFormer], PrepareCommon]:
    """Load checkpoints and the ``prepare.common`` they share.

    Raises
    ------
    CheckpointError
        A file is not a sleepdg checkpoint or stores no preprocessing.
    EnsembleError
        Two checkpoints were trained with different ``prepare.common``; names both.
    """
    from sleepdg.params import PrepareCommon
    from sleepdg.train.checkpoint import load_checkpoint

    if not paths:
        raise ValueError("predict needs at least one checkpoint (--model)")
    models, commons = [], []
    for path in paths:
        model, meta = load_checkpoint(path)
        common = (meta.get("preprocess") or {}).get("common")
        if not isinstance(common, dict):
            raise CheckpointError(
                f"{path}: the checkpoint stores no preprocess.common; cannot repeat its preprocessing"
            )
        models.append(model)
        commons.append(common)
    for path, common in zip(paths[1:], commons[1:], strict=True):
        difference = _diff(commons[0], common)
        if difference:
            raise EnsembleError(
                f"{paths[0]} and {path} were trained with different preprocessing "
                f"(prepare.common.{difference}); ensemble models of one run"
            )
    return models, PrepareCommon.model_validate(commons[0])


def _start_time(path: Path) -> datetime:
    """The recording's start from its header (EDF or WFDB), or EDF+'s anonymous date."""
    try:
        if path.suffix.lower() == ".hea":
            import wfdb

            header = wfdb.rdheader(str(path.with_suffix("")))
            if header.base_date is not None and header.base_time is not None:
                return datetime.combine(header.base_date, header.base_time).replace(microsecond=0)
            return _ANONYMOUS_START
        from sleepdg.io.edf import read_edf_header

        start = read_edf_header(path).start
        return start if start is not None and 1985 <= start.year <= 2084 else _ANONYMOUS_START
    except Exception as exc:  # the signals were read; a header date we cannot use is not fatal
        log.debug("%s: no usable start time (%s)", path, exc)
        return _ANONYMOUS_START


def stage_runs(stages: np.ndarray, epoch_s: float = EPOCH_S) -> list[tuple[float, float, int]]:
    """Runs of equal consecutive stages as (onset_s, duration_s, stage).

    >>> stage_runs(np.array([0, 0, 2, 2, 2, 4]))
    [(0.0, 60.0, 0), (60.0, 90.0, 2), (150.0, 30.0, 4)]
    """
    stages = np.asarray(stages)
    if stages.size == 0:
        return []
    edges = np.flatnonzero(np.diff(stages)) + 1
    starts, stops = np.r_[0, edges], np.r_[edges, stages.size]
    return [
        (float(a * epoch_s), float((b - a) * epoch_s), int(stages[a]))
        for a, b in zip(starts, stops, strict=True)
    ]


def write_stage_csv(path: Path, stages: np.ndarray, proba: np.ndarray, epoch_s: float = EPOCH_S) -> None:
    """CSV ``epoch, onset_s, stage, p_W, …, p_REM`` (one row per epoch), written atomically."""
    import pandas as pd

    from sleepdg.atomic import atomic_path

    table = pd.DataFrame(
        {
            "epoch": np.arange(stages.size),
            "onset_s": np.arange(stages.size) * epoch_s,
            "stage": [STAGE_NAMES[s] for s in stages],
        }
    )
    for k, name in enumerate(STAGE_NAMES):
        table[f"p_{name}"] = np.round(proba[:, k].astype(np.float64), 5)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


def write_hypnogram_edf(path: Path, stages: np.ndarray, *, start: datetime, epoch_s: float = EPOCH_S) -> None:
    """EDF+ annotation file: one ``Sleep stage W/N1/N2/N3/R`` annotation per run of equal stages."""
    from sleepdg.io.edf import Annotation, write_annotations_edf

    runs = [
        Annotation(onset, duration, EDF_STAGE_TEXT[s]) for onset, duration, s in stage_runs(stages, epoch_s)
    ]
    write_annotations_edf(path, runs, start=start)


def predict(
    recording_path: Path | str,
    models: Path | str | Sequence[Path | str],
    out_dir: Path | str,
    *,
    eeg: str | None = None,
    eog: str | None = None,
    device: str = "cpu",
) -> PredictResult:
    """Stage a recording and write its hypnogram as CSV, EDF+ annotations and PNG.

    Parameters
    ----------
    recording_path
        EDF/EDF+ file (any suffix) or WFDB ``.hea``.
    models
        One checkpoint or several (their probabilities are averaged); their ``prepare.common``
        must agree.
    out_dir
        Receives ``<name>-stages.csv``, ``<name>-hypnogram.edf`` and ``<name>-hypnogram.png``.
    eeg, eog
        Channel label or ``"A - B"`` derivation; None picks by the generic aliases.
    device
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.

    Returns
    -------
    PredictResult
        Paths, stages, probabilities, the sleep summary and where the time went.

    Raises
    ------
    ReaderError
        Unreadable or missing file, or no EEG/EOG channel (the message lists the file's channels).
    CheckpointError, EnsembleError
        A model file that is not a sleepdg checkpoint; checkpoints that disagree on preprocessing.
    SequenceTooShortError
        A recording shorter than one model sequence.
    """
    import torch

    from sleepdg.datasets.generic import read_generic, trailing_partial_s
    from sleepdg.plots import plot_hypnogram
    from sleepdg.preprocess import preprocess
    from sleepdg.runtime import resolve_device

    paths = [models] if isinstance(models, str | Path) else list(models)
    recording_path, out_dir = Path(recording_path), Path(out_dir)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded, common = load_models(paths)
    torch_device = resolve_device(device)
    for m in loaded:
        m.to(torch_device)
    t1 = time.perf_counter()
    recording = read_generic(recording_path, eeg=eeg, eog=eog)
    seq_len = max(model_seq_len(m) for m in loaded)
    if recording.n_epochs < seq_len:
        raise SequenceTooShortError(
            f"{recording_path}: {recording.n_epochs} whole 30-s epochs "
            f"({recording.n_epochs * EPOCH_S / 60:.1f} min) is shorter than one model sequence of "
            f"{seq_len} epochs ({seq_len * EPOCH_S / 60:.1f} min)"
        )
    t2 = time.perf_counter()
    epochs = preprocess(recording, common, None, select=False, parallel=torch.get_num_threads() > 1)
    t3 = time.perf_counter()
    proba = ensemble_probabilities(loaded, epochs.x, device=torch_device)
    stages = proba.argmax(axis=1).astype(np.int8)
    t4 = time.perf_counter()
    name = recording.file_stem
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, edf_path = out_dir / f"{name}-stages.csv", out_dir / f"{name}-hypnogram.edf"
    png_path = out_dir / f"{name}-hypnogram.png"
    write_stage_csv(csv_path, stages, proba)
    write_hypnogram_edf(edf_path, stages, start=_start_time(recording_path))
    plot_hypnogram(
        png_path, stages, proba, title=f"{recording_path.name}: predicted by {len(loaded)} model(s)"
    )
    t5 = time.perf_counter()
    timings.update(load=t1 - t0, read=t2 - t1, preprocess=t3 - t2, model=t4 - t3, write=t5 - t4)
    dropped = trailing_partial_s(recording) + (recording.n_epochs - stages.size) * EPOCH_S
    if dropped > 0:
        log.info("%s: the last %.1f s do not fill a 30-s epoch and were not staged", recording_path, dropped)
    channels = {m: s.label for m, s in recording.signals.items()}
    return PredictResult(
        recording_path,
        csv_path,
        edf_path,
        png_path,
        stages,
        proba,
        sleep_summary(stages),
        channels,
        float(dropped),
        timings,
    )
