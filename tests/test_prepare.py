"""prepare_one writes one Zarr group and returns one index row; nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sleepdg.manifest import ManifestEntry
from sleepdg.params import HmcPrepare, PrepareCommon
from sleepdg.prepare import params_hash, prepare_one
from sleepdg.recording import Recording, Signal
from sleepdg.store import INDEX_COLUMNS, init_store, open_recording, recording_attrs


def _recording(tmp_path: Path, record_id: str = "SN001", n_epochs: int = 40) -> Recording:
    rng = np.random.default_rng(3)
    source = tmp_path / "raw" / "recordings" / f"{record_id}.edf"
    signals = {
        "eeg": Signal((30 * rng.standard_normal(n_epochs * 30 * 256)).astype(np.float32), 256.0, "EEG F4-M1"),
        "eog": Signal((50 * rng.standard_normal(n_epochs * 30 * 256)).astype(np.float32), 256.0, "EOG E1-M2"),
    }
    stages = np.resize(np.array([0, 1, 2, 3, 4, -1], dtype=np.int8), n_epochs)
    return Recording("hmc", record_id, record_id, signals, stages, (source,))


def test_prepare_one_writes_one_group_and_returns_its_index_row(tmp_path: Path) -> None:
    store = tmp_path / "store.zarr"
    init_store(store)
    rec = _recording(tmp_path)
    manifest = {"recordings/SN001.edf": ManifestEntry("recordings/SN001.edf", 123, "ab" * 32)}
    row = prepare_one(rec, PrepareCommon(), HmcPrepare(), store, raw_dir=tmp_path / "raw", manifest=manifest)
    assert tuple(row) == INDEX_COLUMNS
    assert row["n_epochs"] == 40 and row["n_UNSCORED"] == 6 and row["n_W"] == 7
    assert row["source_file"] == "recordings/SN001.edf" and row["source_sha256"] == "ab" * 32
    assert row["eeg_sfreq_hz"] == 256.0
    x, y = open_recording(store, "SN001")
    assert x.shape == (40, 2, 3000) and x.dtype == np.float32 and y.tolist() == rec.stages.tolist()
    attrs = recording_attrs(store, "SN001")
    assert attrs["channels"] == {"eeg": "EEG F4-M1", "eog": "EOG E1-M2"}
    assert attrs["params_hash"] == params_hash(PrepareCommon(), HmcPrepare())
    assert sorted(p.name for p in store.iterdir()) == ["SN001", "zarr.json"]


def test_nested_record_ids_become_nested_groups(tmp_path: Path) -> None:
    store = tmp_path / "store.zarr"
    init_store(store)
    rec = _recording(tmp_path, record_id="subgroupII/3/1", n_epochs=21)
    prepare_one(rec, PrepareCommon(), HmcPrepare(), store, raw_dir=tmp_path, manifest={})
    x, _ = open_recording(store, "subgroupII/3/1")
    assert x.shape[0] == 21 and (store / "subgroupII" / "3" / "1" / "x").is_dir()


def test_a_failing_recording_leaves_no_group_behind(tmp_path: Path) -> None:
    store = tmp_path / "store.zarr"
    init_store(store)
    rec = _recording(tmp_path)
    broken = Recording(rec.dataset, rec.record_id, rec.subject_id,
                       {"eeg": rec.signals["eeg"], "eog": Signal(np.zeros(10, np.float32), 256.0, "E")}, rec.stages)  # fmt: skip
    with pytest.raises(Exception, match="epoch"):
        prepare_one(broken, PrepareCommon(), HmcPrepare(), store, raw_dir=tmp_path, manifest={})
    assert not (store / "SN001").exists()


def test_params_hash_changes_with_any_preprocessing_param() -> None:
    base = params_hash(PrepareCommon(), HmcPrepare())
    assert params_hash(PrepareCommon(filter="sos"), HmcPrepare()) != base
    assert params_hash(PrepareCommon(), HmcPrepare(eeg=("EEG C4-M1",))) != base
    assert params_hash(PrepareCommon(), HmcPrepare()) == base
