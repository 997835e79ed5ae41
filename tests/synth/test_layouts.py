"""Synthetic recordings on disk: official names and folders, native formats and quirks, read back
through the dataset readers, byte-identical for the same arguments."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from sleepdg.datasets import open_reader
from sleepdg.datasets.hmc import read_scoring
from sleepdg.io.edf import read_edf_annotations, read_edf_header
from sleepdg.io.nsrr_xml import read_nsrr_events
from sleepdg.io.wfdb_io import read_arousal_annotations
from sleepdg.params import DATASETS, PrepareParams
from sleepdg.stages import Stage
from sleepdg.synth import write_dataset
from sleepdg.synth.hypnogram import NO_LABEL, UNSCORED, Hypnogram
from sleepdg.synth.layouts import N_RECORDS, RecordPlan, plan_recording, record_name, write_recording
from sleepdg.synth.profiles import PROFILES

pytestmark = pytest.mark.xdist_group("synth_layouts")  # one worker builds the session fixture once

HOURS, SEED = 0.75, 7
# Each dataset's night is chosen to show its quirks (the first index that has them).
QUIRKY: dict[str, Callable[[Hypnogram], bool]] = {
    "sleepedf": lambda h: bool(h.movement.any()) and "Sleep stage 4" in h.native,
    "hmc": lambda h: h.grid_offset_s > 0 and h.kinds[0] == NO_LABEL,  # scoring starts > 30 s in
    "isruc": lambda h: True,
    "shhs": lambda h: bool((h.kinds == UNSCORED).any()),
    "p2018": lambda h: h.extra_s > 0,
}


def _plan(dataset: str, index: int) -> RecordPlan:
    return plan_recording(dataset, index, hours=HOURS, seed=SEED, shift_scale=1.0)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, RecordPlan, list[Path]]]:
    """One quirky night per dataset: (dataset folder, its plan, the files written)."""
    root = tmp_path_factory.mktemp("synth")
    out = {}
    for dataset in DATASETS:
        index = next(i for i in range(60) if QUIRKY[dataset](_plan(dataset, i).hypnogram))
        files = write_recording(dataset, root / dataset, index, hours=HOURS, seed=SEED, shift_scale=1.0)
        out[dataset] = (root / dataset, _plan(dataset, index), files)
    return out


def test_record_names_follow_each_datasets_real_numbering() -> None:
    assert [record_name("sleepedf", i) for i in (0, 1, 2, 152)] == [
        "SC4001E0",
        "SC4002E0",
        "SC4011E0",
        "SC4822G0",
    ]
    assert [record_name("hmc", i) for i in (0, 150)] == ["SN001", "SN151"]
    assert [record_name("isruc", i) for i in (0, 99)] == ["subgroupI/1", "subgroupI/100"]
    assert [record_name("shhs", i) for i in (0, 41)] == ["shhs1-200001", "shhs1-200042"]
    assert [record_name("p2018", i) for i in (0, 1, 993)] == ["tr03-0005", "tr03-0029", "tr14-0291"]
    with pytest.raises(ValueError, match="153 recordings"):
        record_name("sleepedf", N_RECORDS["sleepedf"])


def _expected_files(dataset: str, record_id: str, plan: RecordPlan) -> list[str]:
    if dataset == "sleepedf":
        from sleepdg.synth.hypnogram_stats import SLEEPEDF_SC_RECORDS

        stem = next(s for s in SLEEPEDF_SC_RECORDS if s[:7] == record_id[:7])
        return [f"sleep-cassette/{record_id}-PSG.edf", f"sleep-cassette/{stem}-Hypnogram.edf"]
    if dataset == "hmc":
        return [f"recordings/{record_id}{s}" for s in (".edf", "_sleepscoring.edf", "_sleepscoring.txt")]
    if dataset == "isruc":
        n = record_id.split("/")[1]
        return [f"{record_id}/{n}.rec", f"{record_id}/{n}_1.txt", f"{record_id}/{n}_2.txt"]
    if dataset == "shhs":
        return [
            f"polysomnography/edfs/shhs1/{record_id}.edf",
            f"polysomnography/annotations-events-nsrr/shhs1/{record_id}-nsrr.xml",
            f"polysomnography/annotations-events-profusion/shhs1/{record_id}-profusion.xml",
        ]
    return [f"training/{record_id}/{record_id}{s}" for s in (".hea", ".mat", ".arousal", "-arousal.mat")]


@pytest.mark.parametrize("dataset", DATASETS)
def test_files_carry_the_official_names_and_folders(synth: dict, dataset: str) -> None:
    root, plan, files = synth[dataset]
    assert [f.as_posix() for f in files] == _expected_files(dataset, plan.record_id, plan)
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert on_disk == sorted(f.as_posix() for f in files)


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_reader_returns_the_scored_stages_and_the_signal_on_their_grid(synth: dict, dataset: str) -> None:
    root, plan, _ = synth[dataset]
    reader = open_reader(dataset, root)
    assert reader.record_ids() == [plan.record_id]
    recording = reader.read(plan.record_id)
    hyp = plan.hypnogram
    assert np.array_equal(recording.stages, hyp.expected_stages())
    for signal in recording.signals.values():
        assert len(signal.data) == round((hyp.n_signal_epochs * 30 + hyp.extra_s) * signal.sfreq_hz)
    assert PROFILES[dataset].model_eeg.startswith(recording.signals["eeg"].label.split(" - ")[0])


@pytest.mark.parametrize(
    ("dataset", "option"),
    [("shhs", {"annotations": "profusion"}), ("p2018", {"labels": "mat"})],
)
def test_the_second_label_file_gives_the_same_stages(synth: dict, dataset: str, option: dict) -> None:
    root, plan, _ = synth[dataset]
    params = PrepareParams().dataset(dataset).model_copy(update=option)
    grid = open_reader(dataset, root, params).read_grid(plan.record_id)
    assert np.array_equal(grid.stages, plan.hypnogram.expected_stages())


def test_hmc_text_scoring_repeats_the_edf_scoring(synth: dict) -> None:
    root, plan, _ = synth["hmc"]
    edf = read_scoring(root / f"recordings/{plan.record_id}_sleepscoring.edf")
    txt = read_scoring(root / f"recordings/{plan.record_id}_sleepscoring.txt")
    assert [(r.onset_s, r.stage) for r in txt] == [(r.onset_s, r.stage) for r in edf]


def test_sleepedf_psg_is_plain_edf_and_its_24_h_hypnogram_ends_past_it(synth: dict) -> None:
    root, plan, files = synth["sleepedf"]
    psg, hyp_file = (read_edf_header(root / f) for f in files)
    assert not psg.is_edf_plus and psg.record_duration_s == 30.0 and psg.start == hyp_file.start
    assert [s.label for s in psg.signals] == [c.label for c in PROFILES["sleepedf"].channels]
    annotations = read_edf_annotations(root / files[1])
    assert all(a.duration_s % 30 == 0 for a in annotations)
    last = annotations[-1]
    assert last.text == "Sleep stage ?" and last.onset_s == psg.duration_s
    assert last.onset_s + last.duration_s == plan.hypnogram.n_epochs * 30 > psg.duration_s
    texts = {a.text for a in annotations}
    assert {"Movement time", "Sleep stage 4"} <= texts
    moved = plan.hypnogram.movement[: plan.hypnogram.n_signal_epochs]
    assert moved.any() and np.all(open_reader("sleepedf", root).read_grid(plan.record_id).stages[moved] == -1)


def test_hmc_scoring_starts_late_with_off_grid_lights_markers(synth: dict) -> None:
    root, plan, files = synth["hmc"]
    annotations = read_edf_annotations(root / files[1])
    lights = [a for a in annotations if a.text.startswith("Lights")]
    assert [a.text.split("@@")[0] for a in lights] == ["Lights off", "Lights on"]
    assert all(a.duration_s == 0 and "@@EEG " in a.text and a.onset_s % 30 for a in lights)
    stages = [a for a in annotations if a.text.startswith("Sleep stage")]
    assert stages[0].onset_s > 30 and all(a.duration_s == 30 for a in stages)
    assert read_edf_header(root / files[0]).duration_s == plan.hypnogram.signal_s
    recording_stages = open_reader("hmc", root).read_grid(plan.record_id).stages
    assert recording_stages[0] == Stage.UNSCORED and recording_stages[-1] != Stage.UNSCORED


def test_isruc_label_files_hold_30_epochs_more_than_the_rec(synth: dict) -> None:
    root, plan, files = synth["isruc"]
    hyp = plan.hypnogram
    assert read_edf_header(root / files[0]).duration_s == hyp.n_signal_epochs * 30
    for label_file in files[1:]:
        lines = (root / label_file).read_text().splitlines()
        assert len(lines) == hyp.n_signal_epochs + 30 and set(lines) <= {"0", "1", "2", "3", "5"}
    scorer2 = PrepareParams().isruc.model_copy(update={"scorer": 2})
    stages2 = open_reader("isruc", root, scorer2).read_grid(plan.record_id).stages
    assert len(stages2) == hyp.n_signal_epochs and 0.6 < np.mean(stages2 == hyp.expected_stages()) < 1.0


def test_shhs_xml_holds_rk_stage_runs_unscored_tail_and_respiratory_events(synth: dict) -> None:
    root, _, files = synth["shhs"]
    header = read_edf_header(root / files[0])
    assert header.start is not None and header.start.date().isoformat() == "1985-01-01"
    events = read_nsrr_events(root / files[1])
    stage_events = [e for e in events if e.event_type == "Stages|Stages"]
    assert stage_events[-1].concept == "Unscored|9"
    assert all(e.duration_s % 30 == 0 for e in stage_events)
    assert sum(e.duration_s for e in stage_events) == header.duration_s
    assert {e.event_type for e in events} >= {"Stages|Stages", "Respiratory|Respiratory"}


def test_p2018_record_has_an_undefined_lead_a_partial_epoch_and_an_early_one_hot(synth: dict) -> None:
    root, plan, files = synth["p2018"]
    hyp = plan.hypnogram
    lines = (root / files[0]).read_bytes().split(b"\r\n")
    n_samples = int(lines[0].split()[3])
    assert lines[0].split()[:3] == [plan.record_id.encode(), b"13", b"200"] and b"16+24" in lines[1]
    assert n_samples % 6000 == hyp.extra_s * 200 > 0
    assert b"655.35(-32768)/%" in lines[12] and b"1000/mV" in lines[13]
    samples, notes, _ = read_arousal_annotations(root / files[2])
    first_stage = next(
        s for s, n in zip(samples, notes, strict=True) if not n.startswith("(") and not n.endswith(")")
    )
    assert first_stage > 0 and first_stage % 6000 == 0
    assert any(n.startswith("(resp_") for n in notes) and any(n.endswith(")") for n in notes)
    with h5py.File(root / files[3], "r") as f:
        wake = np.asarray(f["data/sleep_stages/wake"]).reshape(-1)
        undefined = np.asarray(f["data/sleep_stages/undefined"]).reshape(-1)
    assert len(wake) == n_samples and undefined[-1] == 1
    assert undefined[first_stage - 2] == 1 and undefined[first_stage - 1] == 0  # one sample early


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("dataset", DATASETS)
def test_same_arguments_write_the_same_bytes_whatever_the_number_of_recordings(
    tmp_path: Path, dataset: str
) -> None:
    one = write_dataset(dataset, tmp_path / "one", n_recordings=1, hours=0.2, seed=3)
    two = write_dataset(dataset, tmp_path / "two", n_recordings=2, hours=0.2, seed=3)
    other = write_dataset(dataset, tmp_path / "other", n_recordings=1, hours=0.2, seed=4)
    first, second = _digests(tmp_path / "one"), _digests(tmp_path / "two")
    assert first and all(second[name] == digest for name, digest in first.items())
    assert len(two) == 2 * len(one) and [p.relative_to(tmp_path / "two") for p in two] == sorted(
        (p.relative_to(tmp_path / "two") for p in two), key=lambda p: p.as_posix()
    )
    assert _digests(tmp_path / "other") != first and len(other) == len(one)


def test_files_this_run_did_not_write_are_kept_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "notes.txt").write_text("left by someone else\n")
    with caplog.at_level(logging.WARNING):
        files = write_dataset("hmc", tmp_path, n_recordings=1, hours=0.2, seed=1)
    assert (tmp_path / "notes.txt").is_file() and len(files) == 3
    assert "1 files this run did not write" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dataset": "mass"}, "unknown dataset"),
        ({"n_recordings": 0}, "n_recordings must be 1-151"),
        ({"shift_scale": 3.0}, "shift_scale"),
        ({"hours": 48.0}, "time in bed"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(
    tmp_path: Path, kwargs: dict, message: str
) -> None:
    args = {"dataset": "hmc", "n_recordings": 1, "hours": 1.0, "seed": 0, "shift_scale": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        write_dataset(args.pop("dataset"), tmp_path / "out", **args)
    assert (
        not any(p.is_file() for p in (tmp_path / "out").rglob("*")) if (tmp_path / "out").exists() else True
    )
