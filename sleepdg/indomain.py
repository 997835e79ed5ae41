"""The in-domain control: train and test on disjoint subjects of one dataset.

Outside the main pipeline (architecture.md): ``models/indomain-<ds>/`` and ``reports/indomain-<ds>/``.
Subjects (not recordings: nights of one person stay together) are split at random into training
and test; the training subjects are trained on with the trainer's `train_fold` exactly as a fold's
sources are (including its own validation split), and the test subjects are evaluated like a fold.

The trainer reads its sources from ``<prepared_root>/<ds>/index.parquet``, so the control hands
it a workspace whose index lists the training recordings only and whose ``store.zarr`` links to
the real store, and a copy of the params whose fold ``<ds>`` has the source ``<ds>`` (the per-fold
seed of ``<ds>``; the checkpoint records ``fold == source``).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sleepdg.atomic import write_text_atomic
from sleepdg.params import DATASETS, Params, ParamsError
from sleepdg.store import INDEX_NAME, STORE_NAME, read_index

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

SPLIT_NAME = "split.csv"


class SplitError(ValueError):
    """A dataset has too few subjects to hold some out."""


@dataclass(frozen=True)
class SubjectSplit:
    """Record ids of the training and test subjects."""

    train: tuple[str, ...]
    test: tuple[str, ...]

    def table(self, index: pd.DataFrame) -> pd.DataFrame:
        """``record_id, subject_id, split`` for every recording of the split."""
        split = {**dict.fromkeys(self.train, "train"), **dict.fromkeys(self.test, "test")}
        rows = index[index["record_id"].isin(split)][["record_id", "subject_id"]].copy()
        rows["split"] = rows["record_id"].map(split)
        return rows.sort_values(["split", "record_id"], ascending=[False, True]).reset_index(drop=True)


def subject_split(index: pd.DataFrame, test_fraction: float, rng: np.random.Generator) -> SubjectSplit:
    """Split a dataset's recordings by subject.

    Parameters
    ----------
    index
        The dataset's ``index.parquet`` (``record_id``, ``subject_id``).
    test_fraction
        Share of the subjects held out for testing: at least one, and at least one left to train on.
    rng
        The only source of randomness.

    Raises
    ------
    SplitError
        Fewer than two subjects.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    subjects = np.unique(index["subject_id"].astype(str))  # sorted: the draw depends on rng only
    if subjects.size < 2:
        raise SplitError(f"{subjects.size} subject(s): the in-domain control needs two or more")
    n_test = min(max(round(test_fraction * subjects.size), 1), subjects.size - 1)
    test_subjects = set(rng.permutation(subjects)[:n_test].tolist())
    is_test = index["subject_id"].astype(str).isin(test_subjects).to_numpy()
    ids = index["record_id"].astype(str).to_numpy()
    return SubjectSplit(tuple(sorted(ids[~is_test])), tuple(sorted(ids[is_test])))


def _workspace(
    prepared_root: Path, dataset: str, index: pd.DataFrame, records: tuple[str, ...], root: Path
) -> Path:
    """``root/<ds>/`` with the training recordings' index and a link to the real store."""
    if root.exists():
        shutil.rmtree(root)
    folder = root / dataset
    folder.mkdir(parents=True)
    index[index["record_id"].isin(records)].to_parquet(folder / INDEX_NAME, index=False)
    os.symlink(
        (Path(prepared_root) / dataset / STORE_NAME).resolve(), folder / STORE_NAME, target_is_directory=True
    )
    return root


def indomain_params(params: Params, dataset: str) -> Params:
    """A copy of ``params`` whose fold ``dataset`` trains on ``dataset`` itself.

    The validator of ``folds`` (a target is never its own source) is bypassed on purpose.
    """
    if dataset not in DATASETS:
        raise ParamsError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    return params.model_copy(update={"folds": {dataset: (dataset,)}})


def run_indomain(
    params: Params,
    dataset: str,
    *,
    prepared_root: Path,
    models_root: Path,
    reports_root: Path,
    scratch_root: Path,
    test_fraction: float = 0.2,
    device: torch.device | None = None,
    progress: bool = True,
) -> dict[str, float | int]:
    """Train on some subjects of ``dataset``, test on the others, write the model and the report.

    Parameters
    ----------
    params
        Validated params (``base``, ``model``, ``train``, ``prepare``, ``evaluate``, ``runtime``).
    prepared_root, models_root, reports_root
        ``data/prepared``; ``models`` and ``reports``, which receive ``indomain-<ds>/``.
    scratch_root
        Git-ignored folder for the workspace and the trainer's resume states.
    test_fraction
        Share of subjects held out for testing.

    Returns
    -------
    The test metrics (``reports/indomain-<ds>/metrics.json``).
    """
    from sleepdg.evaluate import evaluate_checkpoint
    from sleepdg.train import train_fold
    from sleepdg.train.sampler import cycled_sampler

    name = f"indomain-{dataset}"
    index = read_index(Path(prepared_root) / dataset)
    seed = params.fold_seed(dataset)
    split = subject_split(index, test_fraction, np.random.default_rng(seed))
    log.info("%s: %d training and %d test recordings", name, len(split.train), len(split.test))
    workspace = _workspace(prepared_root, dataset, index, split.train, Path(scratch_root) / name / "prepared")
    try:
        result = train_fold(
            indomain_params(params, dataset),
            dataset,
            prepared_root=workspace,
            out_dir=Path(models_root) / name,
            scratch_root=Path(scratch_root) / name / "train",
            progress=progress,
            # steps-matched: as many steps per epoch as a LODO fold, however few the subjects
            sampler_factory=(
                cycled_sampler(params.train.max_steps_per_epoch * params.train.batch_size)
                if params.train.max_steps_per_epoch
                else None
            ),
        )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    if result.checkpoint is None:
        raise RuntimeError(f"{name}: the trainer wrote no checkpoint")
    write_text_atomic(Path(models_root) / name / SPLIT_NAME, split.table(index).to_csv(index=False))
    return evaluate_checkpoint(
        result.checkpoint,
        Path(prepared_root) / dataset,
        Path(reports_root) / name,
        params.evaluate,
        title=f"in-domain {dataset}",
        records=split.test,
        expected_fold=dataset,
        device=device,
        seed=seed,
        progress=progress,
    )
