from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from torch.utils.data import Dataset, Sampler, SequentialSampler

from sleepdg.params import Params, parse_params
from sleepdg.train import TrainResult, load_checkpoint, train_fold, trainer
from sleepdg.train.resume import run_key
from sleepdg.train.trainer import CURVE_COLUMNS, EpochRecord

pytestmark = pytest.mark.xdist_group("train_loop")  # one worker shares the module-scoped reference run
SOURCES = ("hmc", "isruc", "shhs", "p2018")
TARGET = "sleepedf"  # absent from the prepared folder: training must never open it


class Interrupted(Exception):
    pass


def _train(params: Params, prepared: Path, where: Path, **kwargs: Any) -> TrainResult:
    return train_fold(
        params, TARGET, prepared_root=prepared, out_dir=where / "models" / TARGET,
        scratch_root=where / "scratch", progress=False, **kwargs,
    )  # fmt: skip


def _state(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["state_dict"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory, make_sources: Callable[..., Path]) -> Path:
    return make_sources(tmp_path_factory.mktemp("prepared"), SOURCES, n_epochs=12)  # 3 windows per night


@pytest.fixture(scope="module")
def params(tiny: Callable[..., dict[str, Any]]) -> Params:
    return parse_params(tiny(epochs=2, max_steps_per_epoch=2))


@pytest.fixture(scope="module")
def reference(sources: Path, params: Params, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """One uninterrupted 2-epoch run that the other tests compare against."""
    return _train(params, sources, tmp_path_factory.mktemp("reference"))


def test_the_same_seed_and_data_give_identical_weights_and_curve(
    sources: Path, params: Params, reference: TrainResult, tmp_path: Path
) -> None:
    again = _train(params, sources, tmp_path)
    assert reference.checkpoint is not None and again.checkpoint is not None
    a, b = _state(reference.checkpoint), _state(again.checkpoint)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert reference.curve is not None and again.curve is not None
    assert reference.curve.read_text() == again.curve.read_text()
    assert not (sources / TARGET).exists()
    assert not any((tmp_path / "scratch").iterdir())  # the finished run's resume state is gone


def test_an_interrupted_run_resumes_after_the_last_epoch_and_ends_with_the_same_weights(
    sources: Path, params: Params, reference: TrainResult, tmp_path: Path
) -> None:
    def stop_after_first(record: EpochRecord) -> None:
        if record.epoch == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        _train(params, sources, tmp_path, callbacks=[stop_after_first])
    assert not (tmp_path / "models" / TARGET / "model.pt").exists()
    assert [p.name for p in (tmp_path / "scratch").iterdir()] == [
        f"{TARGET}-{run_key(params, TARGET, sources, SOURCES)}"
    ]
    resumed = _train(params, sources, tmp_path)
    assert resumed.resumed_from == 1 and [r.epoch for r in resumed.history] == [1, 2]
    assert reference.checkpoint is not None and resumed.checkpoint is not None
    a, b = _state(reference.checkpoint), _state(resumed.checkpoint)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert reference.curve is not None and resumed.curve is not None
    assert reference.curve.read_text() == resumed.curve.read_text()


def test_the_curve_has_one_row_per_epoch_with_loss_terms_and_validation_metrics(
    reference: TrainResult,
) -> None:
    assert reference.curve is not None
    curve = pd.read_csv(reference.curve, sep="\t")
    assert tuple(curve.columns) == CURVE_COLUMNS
    assert curve["epoch"].tolist() == [1, 2]
    assert curve["loss_total"].gt(0).all() and curve["val_acc"].between(0, 1).all()
    assert curve["lr"].is_monotonic_decreasing  # cosine schedule stepped per batch


def test_the_checkpoint_loads_back_with_preprocessing_sources_and_best_epoch(reference: TrainResult) -> None:
    assert reference.checkpoint is not None
    model, checkpoint = load_checkpoint(reference.checkpoint)
    assert not model.training
    assert checkpoint["fold"] == TARGET
    assert checkpoint["sources"] == {"hmc": 0, "isruc": 1, "shhs": 2, "p2018": 3}
    assert set(checkpoint["preprocess"]) == {"common", *SOURCES}
    assert checkpoint["preprocess"]["p2018"]["filter"] == "sos"
    best = checkpoint["best"]
    assert best == reference.best and best["select_by"] == "acc"
    assert best["val_acc"] == max(r.val_acc for r in reference.history)
    assert best["epoch"] == min(r.epoch for r in reference.history if r.val_acc == best["val_acc"])
    with torch.no_grad():
        logits = model(torch.zeros(1, 4, 2, 3000)).logits
    assert checkpoint["model_config"]["seq_len"] == 4 and logits.shape == (1, 4, 5)


def test_early_stopping_ends_training_after_patience_epochs_without_a_strictly_better_score(
    sources: Path, tiny: Callable[..., dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scores = iter([(0.5, 0.3), (0.6, 0.2), (0.6, 0.9), (0.9, 0.9)])  # (val acc, val macro-F1) per epoch
    monkeypatch.setattr(trainer, "_validate", lambda run: next(scores))
    params = parse_params(tiny(epochs=4, early_stopping=1, max_steps_per_epoch=1))
    result = _train(params, sources, tmp_path)
    assert result.stopped_early and [r.epoch for r in result.history] == [1, 2, 3]
    assert result.best == {
        "epoch": 2,
        "val_acc": 0.6,
        "val_macro_f1": 0.2,
        "select_by": "acc",
    }  # 0.6 is not > 0.6
    assert result.checkpoint is not None and load_checkpoint(result.checkpoint)[1]["best"]["epoch"] == 2


def test_selection_by_macro_f1_keeps_the_epoch_with_the_best_macro_f1(
    sources: Path, tiny: Callable[..., dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scores = iter([(0.5, 0.3), (0.6, 0.2)])
    monkeypatch.setattr(trainer, "_validate", lambda run: next(scores))
    result = _train(parse_params(tiny(select_by="macro_f1", max_steps_per_epoch=1)), sources, tmp_path)
    assert result.best["epoch"] == 1 and result.best["select_by"] == "macro_f1"


def test_batches_come_from_the_given_sampler_and_are_capped_by_max_steps(
    sources: Path, tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    calls: list[dict[str, int]] = []

    def in_order(dataset: Dataset[Any], *, seed: int, rank: int, world_size: int) -> Sampler[int]:
        calls.append({"seed": seed, "rank": rank, "world_size": world_size})
        return SequentialSampler(dataset)  # type: ignore[arg-type]

    capped = parse_params(tiny(epochs=1, max_steps_per_epoch=2))
    result = _train(capped, sources, tmp_path, sampler_factory=in_order)
    assert calls == [{"seed": capped.fold_seed(TARGET), "rank": 0, "world_size": 1}]
    assert result.history[0].n_sequences == 2 * capped.train.batch_size


def test_ranks_other_than_zero_train_but_write_nothing(
    sources: Path, tiny: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    one = parse_params(tiny(epochs=1, max_steps_per_epoch=1))
    result = _train(one, sources, tmp_path, rank=1, world_size=2)
    assert result.checkpoint is None and result.curve is None and len(result.history) == 1
    assert not (tmp_path / "models").exists() and not (tmp_path / "scratch").exists()


def test_the_resume_key_follows_what_is_computed_not_how_it_runs(sources: Path, params: Params) -> None:
    raw = params.model_dump(mode="json")
    key = run_key(params, TARGET, sources, SOURCES)
    faster = parse_params({**raw, "runtime": {**raw["runtime"], "loader_workers": 2}})
    other_lr = parse_params({**raw, "train": {**raw["train"], "lr": 1e-4}})
    assert run_key(faster, TARGET, sources, SOURCES) == key
    assert run_key(other_lr, TARGET, sources, SOURCES) != key
