from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from sleepdg.train.data import (
    RecordingArrays,
    SequenceDataset,
    Window,
    eval_windows,
    open_sources,
    split_train_val,
    train_windows,
)


def test_train_windows_step_by_stride_and_drop_the_tail() -> None:
    assert train_windows(45, 20, 20).tolist() == [0, 20]
    assert train_windows(45, 20, 10).tolist() == [0, 10, 20]
    assert train_windows(19, 20, 20).tolist() == []


def test_eval_windows_cover_every_epoch_with_one_window_aligned_to_the_end() -> None:
    assert eval_windows(45, 20).tolist() == [0, 20, 25]
    assert eval_windows(40, 20).tolist() == [0, 20]
    assert eval_windows(20, 20).tolist() == [0]
    assert eval_windows(5, 20).tolist() == []
    for n in range(20, 90):
        covered = np.zeros(n, dtype=bool)
        for s in eval_windows(n, 20):
            covered[s : s + 20] = True
        assert covered.all()


def test_open_sources_gives_domain_ids_in_source_order_and_skips_unscored_windows(
    tmp_path: Path, make_prepared: Callable[..., Any]
) -> None:
    y_a = np.zeros(60, dtype=np.int8)
    y_a[20:40] = -1  # the middle window is all unscored
    make_prepared(tmp_path, "hmc", [y_a])
    make_prepared(tmp_path, "shhs", [np.full(45, 2, dtype=np.int8)])
    index = open_sources(tmp_path, ["hmc", "shhs"], seq_len=20, stride=20)
    assert [index.window(i) for i in range(len(index))] == [
        Window("hmc", "hmc-r0", 0),
        Window("hmc", "hmc-r0", 40),
        Window("shhs", "shhs-r0", 0),
        Window("shhs", "shhs-r0", 20),
    ]
    assert index.domains().tolist() == [0, 0, 1, 1]


def test_open_sources_names_the_recording_whose_labels_disagree_with_the_index(
    tmp_path: Path, make_prepared: Callable[..., Any]
) -> None:
    import pandas as pd

    folder = make_prepared(tmp_path, "hmc", [np.zeros(40, dtype=np.int8)])
    index = pd.read_parquet(folder / "index.parquet")
    index.loc[0, "n_epochs"] = 41
    index.to_parquet(folder / "index.parquet")
    with pytest.raises(ValueError, match=r"hmc-r0: 40 labels but index.parquet says 41 epochs"):
        open_sources(tmp_path, ["hmc"])


def test_open_sources_without_a_prepared_index_says_to_run_prepare(
    tmp_path: Path, make_prepared: Callable[..., Any]
) -> None:
    with pytest.raises(FileNotFoundError, match="sleepdg prepare isruc"):
        open_sources(tmp_path, ["isruc"])


def test_sequence_dataset_returns_the_window_epochs_labels_and_domain(prepared: Path) -> None:
    index = open_sources(prepared, ["hmc", "isruc", "shhs", "p2018"])
    dataset = SequenceDataset(index)
    x, y, domain = dataset[len(dataset) - 1]
    rec = index.records[int(index.record[-1])]
    start = int(index.start[-1])
    from sleepdg.store import open_recording

    xs, ys = open_recording(rec.store, rec.record_id)
    assert x.shape == (20, 2, 3000) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and domain.item() == 3
    np.testing.assert_array_equal(x.numpy(), xs[start : start + 20])
    np.testing.assert_array_equal(y.numpy(), ys[start : start + 20])


def test_loaded_and_lazy_arrays_give_the_same_batches_with_and_without_workers(prepared: Path) -> None:
    index = open_sources(prepared, ["hmc", "isruc"])
    loaded = RecordingArrays(index.records)
    loaded.load_into_memory()
    assert loaded.in_memory and loaded.nbytes() == sum(len(r.y) for r in index.records) * 2 * 3000 * 4
    lazy = next(iter(DataLoader(SequenceDataset(index), batch_size=4, num_workers=1)))
    eager = next(iter(DataLoader(SequenceDataset(index, loaded), batch_size=4)))
    for a, b in zip(lazy, eager, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_sequence_split_is_reproducible_for_a_seed_and_disjoint(prepared: Path) -> None:
    index = open_sources(prepared, ["hmc", "isruc", "shhs", "p2018"])
    a_train, a_val = split_train_val(index, "sequence", 0.25, np.random.default_rng(3))
    _, b_val = split_train_val(index, "sequence", 0.25, np.random.default_rng(3))
    _, c_val = split_train_val(index, "sequence", 0.25, np.random.default_rng(4))
    assert len(a_val) == round(0.25 * len(index)) and len(a_train) + len(a_val) == len(index)
    assert a_val.start.tolist() == b_val.start.tolist() and a_val.record.tolist() == b_val.record.tolist()
    assert (a_val.record.tolist(), a_val.start.tolist()) != (c_val.record.tolist(), c_val.start.tolist())
    train_keys = set(zip(a_train.record.tolist(), a_train.start.tolist(), strict=True))
    assert not train_keys & set(zip(a_val.record.tolist(), a_val.start.tolist(), strict=True))


def test_subject_split_keeps_each_subject_on_one_side_and_every_source_in_validation(
    tmp_path: Path, make_prepared: Callable[..., Any]
) -> None:
    y = np.full(40, 2, dtype=np.int8)
    for ds in ("hmc", "isruc"):
        make_prepared(tmp_path, ds, [y] * 4, subjects=["a", "a", "b", "c"])
    index = open_sources(tmp_path, ["hmc", "isruc"])
    train, val = split_train_val(index, "subject", 0.34, np.random.default_rng(0))

    def subjects(part: object) -> set[tuple[str, str]]:
        return {(index.records[r].dataset, index.records[r].subject_id) for r in part.record.tolist()}  # type: ignore[attr-defined]

    assert not subjects(train) & subjects(val)
    assert {d for d, _ in subjects(val)} == {"hmc", "isruc"}
    assert len(train) + len(val) == len(index)


def test_a_split_that_leaves_no_validation_window_is_refused(
    tmp_path: Path, make_prepared: Callable[..., Any]
) -> None:
    make_prepared(tmp_path, "hmc", [np.full(40, 2, dtype=np.int8)])
    index = open_sources(tmp_path, ["hmc"])
    with pytest.raises(ValueError, match="0 for validation"):
        split_train_val(index, "subject", 0.2, np.random.default_rng(0))
