"""prepare_one writes one Zarr group and returns one index row; nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sleepdg.errors import SleepdgError
from sleepdg.params import HmcPrepare, Params, PrepareCommon, parse_params
from sleepdg.prepare import PrepareError, params_hash, prepare_dataset, prepare_one
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
    row = prepare_one(
        rec, PrepareCommon(), HmcPrepare(), store, raw_dir=tmp_path / "raw", source_sha256="ab" * 32
    )
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
    prepare_one(rec, PrepareCommon(), HmcPrepare(), store, raw_dir=tmp_path)
    x, _ = open_recording(store, "subgroupII/3/1")
    assert x.shape[0] == 21 and (store / "subgroupII" / "3" / "1" / "x").is_dir()


def test_a_failing_recording_leaves_no_group_behind(tmp_path: Path) -> None:
    store = tmp_path / "store.zarr"
    init_store(store)
    rec = _recording(tmp_path)
    short_eog = Signal(np.zeros(10, np.float32), 256.0, "E")
    broken = Recording(
        rec.dataset, rec.record_id, rec.subject_id, {"eeg": rec.signals["eeg"], "eog": short_eog}, rec.stages
    )
    with pytest.raises(Exception, match="epoch"):
        prepare_one(broken, PrepareCommon(), HmcPrepare(), store, raw_dir=tmp_path)
    assert not (store / "SN001").exists()


def test_params_hash_changes_with_any_preprocessing_param() -> None:
    base = params_hash(PrepareCommon(), HmcPrepare())
    assert params_hash(PrepareCommon(filter="sos"), HmcPrepare()) != base
    assert params_hash(PrepareCommon(), HmcPrepare(eeg=("EEG C4-M1",))) != base
    assert params_hash(PrepareCommon(), HmcPrepare()) == base


# ---------------------------------------------------------------------------------------------
# prepare_dataset: a whole raw folder through the real HMC reader


def _hmc_raw(root: Path, n_good: int = 2, bad: bool = True) -> Path:
    from sleepdg.manifest import entry_for, write_manifest
    from tests.native_files import write_hmc

    raw = root / "raw" / "hmc"
    stages = [0] * 4 + [1, 2, 2, 3, 3, 2, 4, 4] * 3 + [0] * 2
    for i in range(1, n_good + 1):
        write_hmc(raw / "recordings", f"SN00{i}", stages)
    if bad:  # a recording whose EEG channel is missing
        from sleepdg.io.edf import write_annotations_edf, write_edf
        from tests.native_files import START, edf_channels, hmc_annotations

        psg = raw / "recordings" / f"SN00{n_good + 1}.edf"
        write_edf(psg, edf_channels(("EEG C4-M1", "EOG E1-M2"), 256.0, 30.0 * len(stages)), start=START)
        write_annotations_edf(
            psg.with_name(f"{psg.stem}_sleepscoring.edf"), hmc_annotations(stages), start=START
        )
    files = [p for p in sorted(raw.rglob("*")) if p.is_file()]
    write_manifest(raw, [entry_for(raw, p) for p in files])
    return raw


def _params(on_error: str = "raise") -> Params:
    return parse_params({"prepare": {"common": {"on_error": on_error}}})


def test_prepare_dataset_writes_store_index_and_lists_skipped_recordings(tmp_path: Path) -> None:
    import pandas as pd

    from sleepdg.manifest import read_manifest

    raw = _hmc_raw(tmp_path)
    out = tmp_path / "prepared" / "hmc"
    report = prepare_dataset("hmc", raw, out, _params("skip"), workers=1)
    assert report.n_recordings == 2 and len(report.skipped) == 1
    index = pd.read_parquet(out / "index.parquet")
    assert list(index.columns) == list(INDEX_COLUMNS)
    assert index["record_id"].tolist() == ["SN001", "SN002"]
    assert (index["n_epochs"] == 30).all() and (index["n_N2"] == 9).all()
    assert index["source_sha256"].tolist() == [
        read_manifest(raw)[f"recordings/{r}.edf"].sha256 for r in ("SN001", "SN002")
    ]
    skipped = (out / "skipped.csv").read_text().splitlines()
    assert skipped[0] == "record,reason" and skipped[1].startswith("SN003,")
    assert "EEG C4-M1" in skipped[1]  # the reason lists the channels the file has
    assert sorted(p.name for p in out.parent.iterdir()) == ["hmc"]  # no temporary left


def test_prepare_dataset_raises_on_a_bad_recording_and_keeps_the_previous_store(tmp_path: Path) -> None:
    raw = _hmc_raw(tmp_path)
    out = tmp_path / "prepared" / "hmc"
    out.mkdir(parents=True)
    (out / "previous.txt").write_text("old store")
    with pytest.raises(PrepareError, match=r"hmc SN003: .*no EEG channel"):
        prepare_dataset("hmc", raw, out, _params("raise"), workers=1)
    assert (out / "previous.txt").read_text() == "old store"
    assert sorted(p.name for p in out.parent.iterdir()) == ["hmc"]


def test_two_workers_write_the_same_store_as_one(tmp_path: Path) -> None:
    import pandas as pd

    raw = _hmc_raw(tmp_path, n_good=3, bad=False)
    one, two = tmp_path / "one", tmp_path / "two"
    prepare_dataset("hmc", raw, one, _params(), workers=1)
    prepare_dataset("hmc", raw, two, _params(), workers=2)
    pd.testing.assert_frame_equal(
        pd.read_parquet(one / "index.parquet"), pd.read_parquet(two / "index.parquet")
    )
    for rid in ("SN001", "SN002", "SN003"):
        x1, y1 = open_recording(one / "store.zarr", rid)
        x2, y2 = open_recording(two / "store.zarr", rid)
        np.testing.assert_array_equal(x1[:], x2[:])
        np.testing.assert_array_equal(y1, y2)


def test_missing_raw_folder_names_the_download_command(tmp_path: Path) -> None:
    with pytest.raises(SleepdgError, match="sleepdg download hmc"):
        prepare_dataset("hmc", tmp_path / "nope", tmp_path / "out", _params())
