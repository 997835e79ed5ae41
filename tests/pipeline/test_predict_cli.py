"""`sleepdg predict RECORDING --model CHECKPOINT --out DIR`: files written, summary printed, errors."""

from __future__ import annotations

from pathlib import Path

from tiny_checkpoints import save_tiny_checkpoint, write_night
from typer.testing import CliRunner

from pipeline.cli import app
from sleepdg.errors import ChannelNotFoundError


def test_predict_writes_csv_edf_and_png_and_prints_the_sleep_summary(tmp_path: Path) -> None:
    model = save_tiny_checkpoint(tmp_path / "fold.pt", fold="hmc")
    night = write_night(tmp_path / "night.edf", 20 * 30, labels=("C3", "LOC"))
    out = str(tmp_path / "out")
    args = [
        "predict",
        str(night),
        "--model",
        str(model),
        "--model",
        str(model),
        "--out",
        out,
        "--eeg",
        "C3",
        "--eog",
        "LOC",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "night-hypnogram.edf", "night-hypnogram.png", "night-stages.csv",
    ]  # fmt: skip
    for words in ("20 epochs staged (EEG 'C3', EOG 'LOC')", "total sleep time", "sleep efficiency",
                  "sleep onset latency", "minutes per stage"):  # fmt: skip
        assert words in result.output


def test_predict_reports_a_missing_channel_as_one_line_listing_the_files_channels(tmp_path: Path) -> None:
    model = save_tiny_checkpoint(tmp_path / "fold.pt", fold="hmc")
    night = write_night(tmp_path / "night.edf", 60, labels=("EMG chin", "ECG"))
    result = CliRunner().invoke(app, ["predict", str(night), "--model", str(model), "--out", str(tmp_path)])
    assert isinstance(result.exception, ChannelNotFoundError)
    assert "no EEG channel" in str(result.exception) and "the file has 'EMG chin', 'ECG'" in str(
        result.exception
    )
