"""`sleepdg synth`: the command writes a dataset in its native layout, in parallel or not, byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from sleepdg.synth import write_dataset


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_synth_writes_the_native_layout_with_a_process_pool_identical_to_a_serial_run(tmp_path: Path) -> None:
    args = ["synth", "hmc", str(tmp_path / "cli"), "--n-recordings", "2", "--hours", "0.2", "--seed", "5"]
    result = CliRunner().invoke(app, [*args, "--workers", "2"])
    assert result.exit_code == 0, result.output
    written = _digests(tmp_path / "cli")
    assert sorted(written) == [
        f"recordings/SN00{i}{suffix}"
        for i in (1, 2)
        for suffix in (".edf", "_sleepscoring.edf", "_sleepscoring.txt")
    ]
    write_dataset("hmc", tmp_path / "serial", n_recordings=2, hours=0.2, seed=5)
    assert written == _digests(tmp_path / "serial")


def test_synth_refuses_an_unknown_dataset_as_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", "mass", str(tmp_path / "x")])
    assert result.exit_code == 2 and "'mass' is not one of sleepedf" in result.output
    assert not (tmp_path / "x").exists()


def test_synth_refuses_impossible_hours_and_shift_scales(tmp_path: Path) -> None:
    hours = CliRunner().invoke(app, ["synth", "p2018", str(tmp_path / "x"), "--hours", "30"])
    assert hours.exit_code == 2 and "time in bed" in hours.output
    scale = CliRunner().invoke(app, ["synth", "p2018", str(tmp_path / "x"), "--shift-scale", "2.5"])
    assert scale.exit_code == 2 and "shift-scale" in scale.output
