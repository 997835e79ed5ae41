"""Sleep-EDF Expanded reader (sleepdg.datasets.sleepedf), with the real hypnograms and PSG crop."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from native_files import RK_TEXT, START, runs, write_sleepedf

from sleepdg.datasets import SleepedfReader, open_reader
from sleepdg.datasets.sleepedf import read_hypnogram
from sleepdg.epochs import align_runs, span_runs, trim_wake
from sleepdg.errors import ChannelNotFoundError, ReaderError
from sleepdg.io.edf import Annotation, write_annotations_edf
from sleepdg.params import SleepedfPrepare
from sleepdg.stages import STAGE_NAMES, Stage, stage_counts

# PROVENANCE.md: epochs W / 1 / 2 / 3 / 4 / R / M / ? over each official hypnogram's whole span.
OFFICIAL = {
    "SC4001EC": (1997, 58, 250, 101, 119, 125, 0, 230), "SC4002EC": (1885, 59, 373, 94, 203, 215, 1, 50),
    "SC4011EH": (1856, 109, 562, 96, 9, 170, 0, 78), "SC4012EC": (1824, 92, 660, 80, 16, 176, 0, 32),
    "SC4021EH": (1907, 94, 545, 73, 22, 163, 0, 76), "SC4022EJ": (1871, 184, 402, 81, 38, 179, 1, 124),
    "SC4031EC": (2008, 61, 485, 56, 1, 209, 0, 60), "SC4032EP": (1957, 45, 400, 54, 77, 199, 0, 148),
    "SC4041EC": (1534, 166, 620, 53, 0, 196, 1, 310), "SC4042EC": (1773, 137, 514, 88, 6, 270, 4, 88),
    "SC4051EC": (2258, 44, 217, 116, 19, 68, 0, 158), "SC4052EC": (1780, 114, 616, 106, 8, 180, 2, 74),
    "SC4061EC": (2069, 56, 407, 35, 101, 102, 0, 110), "SC4062EC": (2007, 90, 417, 96, 33, 187, 0, 50),
    "SC4071EC": (1958, 89, 403, 80, 82, 198, 0, 70), "SC4072EH": (1904, 84, 392, 59, 163, 168, 0, 110),
    "SC4081EC": (1985, 68, 262, 158, 192, 131, 0, 84), "SC4082EP": (1724, 39, 329, 84, 198, 260, 0, 246),
    "SC4091EC": (1739, 19, 561, 87, 83, 232, 11, 148), "SC4092EC": (1079, 81, 512, 103, 4, 265, 12, 824),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_hypnogram_gives_the_published_epoch_counts(realdata: Path, name: str) -> None:
    path = realdata / f"sleepedf/hypnogram_edf/{name}-Hypnogram.edf"
    w, s1, s2, s3, s4, r, m, q = OFFICIAL[name]
    grid = span_runs(read_hypnogram(path), path)
    assert stage_counts(grid.stages) == {
        "W": w,
        "N1": s1,
        "N2": s2,
        "N3": s3 + s4,
        "REM": r,
        "UNSCORED": m + q,
    }
    assert len(grid.stages) == 2880  # every hypnogram spans 24 h


def _hypnogram_from_csv(csv: Path, out: Path) -> int:
    """Write the EDF+ hypnogram of a per-epoch CSV, its last ``?`` running to 24 h; return n epochs."""
    chars = csv.read_text().split()  # one character per epoch, CR-terminated (read as newlines)
    n_epochs = len(chars)
    if chars[-1] != "?":
        chars.append("?")
    annotations = runs([RK_TEXT[c] for c in chars])
    last = annotations[-1]
    annotations[-1] = last._replace(duration_s=86_400.0 - last.onset_s)  # the final ? runs past the PSG
    write_annotations_edf(out, annotations, start=START)
    return n_epochs


def test_39_nights_with_deepsleepnet_trimming_give_the_published_42308_epochs(
    realdata: Path, tmp_path: Path
) -> None:
    csvs = sorted((realdata / "sleepedf/hypnogram_per_epoch_csv").glob("SC4*E0-PSG.edf.csv"))
    assert len(csvs) == 39
    totals = dict.fromkeys(STAGE_NAMES, 0)
    for csv in csvs:
        hypnogram = tmp_path / f"{csv.name[:7]}C-Hypnogram.edf"
        n_epochs = _hypnogram_from_csv(csv, hypnogram)
        grid = align_runs(read_hypnogram(hypnogram), 30.0 * n_epochs, hypnogram)
        kept = grid.stages[trim_wake(grid.stages, 60, 60)]
        for name, n in stage_counts(kept).items():
            if name != "UNSCORED":
                totals[name] += n
    assert totals == {"W": 8285, "N1": 2804, "N2": 17799, "N3": 5703, "REM": 7717}
    assert sum(totals.values()) == 42_308


def test_real_psg_crop_pairs_with_its_official_hypnogram(realdata: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sleep-cassette"
    folder.mkdir()
    shutil.copy(realdata / "sleepedf/psg_crops/short_psg.edf", folder / "SC4001E0-PSG.edf")
    shutil.copy(realdata / "sleepedf/hypnogram_edf/SC4001EC-Hypnogram.edf", folder)
    reader = open_reader("sleepedf", tmp_path, SleepedfPrepare())
    assert reader.record_ids() == ["SC4001E0"]
    recording = reader.read("SC4001E0")
    assert recording.stages.tolist() == [Stage.W] * 10
    assert recording.subject_id == "SC400" and recording.dataset == "sleepedf"
    eeg, eog = recording.signals["eeg"], recording.signals["eog"]
    assert (eeg.label, eeg.sfreq_hz, len(eeg.data)) == ("EEG Fpz-Cz", 100.0, 30_000)
    assert (eog.label, eog.sfreq_hz, eog.data.dtype) == ("EOG horizontal", 100.0, np.float32)
    assert [p.name for p in recording.source] == ["SC4001E0-PSG.edf", "SC4001EC-Hypnogram.edf"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sleepedf")
    write_sleepedf(root / "sleep-cassette", "SC4001E0", "WW1234RM?W" + "?" * 10, n_signal_epochs=12)
    write_sleepedf(root / "sleep-cassette", "SC4002E0", "WW22WW")
    write_sleepedf(root / "sleep-telemetry", "ST7011J0", "W2R2WW")
    return root


def test_rk_stages_merge_and_movement_and_question_mark_are_unscored(folder: Path) -> None:
    recording = SleepedfReader(folder, SleepedfPrepare()).read("SC4001E0")
    W, N1, N2, N3, R, U = Stage.W, Stage.N1, Stage.N2, Stage.N3, Stage.REM, Stage.UNSCORED
    assert recording.stages.tolist() == [W, W, N1, N2, N3, N3, R, U, U, W, U, U]  # cut at the PSG's 12 epochs
    assert len(recording.signals["eeg"].data) == 12 * 3000


def test_cassette_and_telemetry_records_and_their_subjects(folder: Path) -> None:
    reader = SleepedfReader(folder, SleepedfPrepare())
    assert reader.record_ids() == ["SC4001E0", "SC4002E0", "ST7011J0"]
    assert [reader.subject_id(r) for r in reader.record_ids()] == ["SC400", "SC400", "ST701"]
    assert reader.source_files("ST7011J0")[1].name == "ST7011JC-Hypnogram.edf"


def test_recordings_are_yielded_one_at_a_time_in_order(folder: Path) -> None:
    iterator = SleepedfReader(folder, SleepedfPrepare()).recordings()
    assert next(iterator).record_id == "SC4001E0"
    assert [r.record_id for r in iterator] == ["SC4002E0", "ST7011J0"]


def test_configured_channels_are_read_instead_of_the_defaults(folder: Path) -> None:
    params = SleepedfPrepare(eeg=("eeg_PZ-OZ",), eog=("EOG horizontal",))
    assert SleepedfReader(folder, params).read("SC4002E0").signals["eeg"].label == "EEG Pz-Oz"


def test_a_missing_channel_lists_the_channels_the_file_has(folder: Path) -> None:
    params = SleepedfPrepare(eeg=("C4-M1",))
    with pytest.raises(
        ChannelNotFoundError, match=r"no EEG channel: looked for 'C4-M1'; the file has 'EEG Fpz-Cz'"
    ):
        SleepedfReader(folder, params).read("SC4002E0")


def test_psg_without_its_hypnogram_is_an_error_naming_the_psg(folder: Path, tmp_path: Path) -> None:
    shutil.copy(folder / "sleep-cassette/SC4002E0-PSG.edf", tmp_path / "SC4002E0-PSG.edf")
    reader = SleepedfReader(tmp_path, SleepedfPrepare())
    assert reader.record_ids() == ["SC4002E0"]
    with pytest.raises(ReaderError, match=r"SC4002E0-PSG.edf: signal file without its hypnogram"):
        reader.read("SC4002E0")


def test_hypnogram_without_its_psg_is_an_error_naming_the_hypnogram(folder: Path, tmp_path: Path) -> None:
    shutil.copy(folder / "sleep-cassette/SC4002EC-Hypnogram.edf", tmp_path)
    with pytest.raises(ReaderError, match=r"SC4002EC-Hypnogram.edf: hypnogram without its signal file"):
        SleepedfReader(tmp_path, SleepedfPrepare()).read("SC4002E0")


def test_an_unknown_stage_label_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "SC4009EC-Hypnogram.edf"
    write_annotations_edf(
        path, [Annotation(0, 30, "Sleep stage W"), Annotation(30, 30, "Sleep stage N2")], start=START
    )
    with pytest.raises(ReaderError, match=r"unknown stage label 'Sleep stage N2' at 30 s"):
        read_hypnogram(path)


def test_an_annotation_not_a_multiple_of_30_s_is_an_error(folder: Path, tmp_path: Path) -> None:
    shutil.copy(folder / "sleep-cassette/SC4002E0-PSG.edf", tmp_path)
    write_annotations_edf(
        tmp_path / "SC4002EC-Hypnogram.edf", [Annotation(0, 45, "Sleep stage W")], start=START
    )
    with pytest.raises(ReaderError, match=r"SC4002EC-Hypnogram.edf: stage annotation at 0 s lasts 45 s"):
        SleepedfReader(tmp_path, SleepedfPrepare()).read("SC4002E0")
