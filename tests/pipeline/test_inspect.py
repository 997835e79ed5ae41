"""``sleepdg inspect``: one JSON object per native file, pair or folder (pipeline/inspect_cmd.py)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app, main

RUN = CliRunner()


def _inspect(*args: str) -> dict:
    result = RUN.invoke(app, ["inspect", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_signal_file_shows_its_channels_rates_and_duration(realdata: Path) -> None:
    out = _inspect(str(realdata / "sleepedf/psg_crops/short_psg.edf"))
    assert out["kind"] == "signal" and out["format"] == "EDF" and out["duration_s"] == 300.0
    assert out["channels"][0] == {"label": "EEG Fpz-Cz", "sfreq_hz": 100.0}
    assert [c["sfreq_hz"] for c in out["channels"]] == [100.0, 100.0, 100.0, 1.0, 1.0, 1.0, 1.0]


def test_a_scoring_file_shows_its_epochs_per_stage_with_its_dataset_guessed(realdata: Path) -> None:
    out = _inspect(str(realdata / "hmc/SN001_sleepscoring.edf"))
    assert out["dataset"] == "hmc" and out["kind"] == "scoring"
    assert out["stages"] == {"W": 151, "N1": 109, "N2": 430, "N3": 23, "REM": 141, "UNSCORED": 0}
    hyp = _inspect(str(realdata / "sleepedf/hypnogram_edf/SC4001EC-Hypnogram.edf"))
    assert hyp["stages"] == {"W": 1997, "N1": 58, "N2": 250, "N3": 220, "REM": 125, "UNSCORED": 230}


def test_a_header_and_its_scoring_file_give_counts_aligned_to_the_signal(realdata: Path) -> None:
    out = _inspect(str(realdata / "p2018/tr03-0005.hea"), str(realdata / "p2018/tr03-0005.arousal"))
    assert out["kind"] == "recording" and out["n_epochs"] == 857
    assert out["stages"] == {"W": 367, "N1": 58, "N2": 267, "N3": 72, "REM": 81, "UNSCORED": 12}
    assert out["signal"]["trailing_partial_s"] == 25.0 and out["signal"]["signal_file_present"] is False


def test_a_folder_with_a_pair_gives_aligned_counts(realdata: Path, tmp_path: Path) -> None:
    shutil.copy(realdata / "sleepedf/psg_crops/short_psg.edf", tmp_path / "SC4001E0-PSG.edf")
    shutil.copy(realdata / "sleepedf/hypnogram_edf/SC4001EC-Hypnogram.edf", tmp_path)
    out = _inspect(str(tmp_path))
    assert out["dataset"] == "sleepedf" and out["n_recordings"] == 1 and out["n_errors"] == 0
    assert out["stages"] == {"W": 10, "N1": 0, "N2": 0, "N3": 0, "REM": 0, "UNSCORED": 0}
    assert out["recordings"][0]["files"] == ["SC4001E0-PSG.edf", "SC4001EC-Hypnogram.edf"]


def test_a_broken_recording_in_a_folder_is_reported_not_fatal(realdata: Path, tmp_path: Path) -> None:
    shutil.copy(realdata / "sleepedf/hypnogram_edf/SC4002EC-Hypnogram.edf", tmp_path)
    out = _inspect(str(tmp_path), "--dataset", "sleepedf")
    assert "hypnogram without its signal file" in out["recordings"][0]["error"]


def test_an_isruc_label_file_is_read_with_the_isruc_map_when_named(realdata: Path) -> None:
    out = _inspect(str(realdata / "isruc/Subgroup3/1/1_1.txt"))
    assert out["dataset"] == "isruc" and out["n_epochs"] == 954 and out["stages"]["REM"] == 119


def test_a_file_whose_dataset_cannot_be_guessed_says_so_in_one_line(
    realdata: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(sys, "argv", ["sleepdg", "inspect", str(realdata / "yasa/sub-02_hypno_30s.txt")])
    with pytest.raises(SystemExit) as exit_info:
        main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "cannot tell which dataset this belongs to from its name; pass --dataset" in err


@pytest.mark.parametrize("dataset", ["nope"])
def test_an_unknown_dataset_name_is_refused(realdata: Path, dataset: str) -> None:
    result = RUN.invoke(app, ["inspect", str(realdata / "hmc/SN001_sleepscoring.edf"), "--dataset", dataset])
    assert result.exit_code != 0 and "unknown dataset 'nope'" in str(result.exception)


def test_an_shhs_folder_lists_both_visits(tmp_path: Path) -> None:
    from native_files import write_shhs

    write_shhs(tmp_path, "shhs1-200001", [0, 0, 2, 2])
    write_shhs(tmp_path, "shhs2-200001", [0, 2, 2, 0, 5])
    out = _inspect(str(tmp_path))
    assert [r["record_id"] for r in out["recordings"]] == ["shhs1-200001", "shhs2-200001"]
    assert out["stages"] == {"W": 4, "N1": 0, "N2": 4, "N3": 0, "REM": 1, "UNSCORED": 0}
