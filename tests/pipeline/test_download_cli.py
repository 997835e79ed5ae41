"""`sleepdg download`: the stage command against a local PhysioNet-like server."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app, main
from sleepdg.manifest import read_manifest

# The 127.0.0.1 test server of tests/download/conftest.py, loaded under a name of its own.
_spec = importlib.util.spec_from_file_location(
    "_download_server", Path(__file__).parents[1] / "download" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_server_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_server_module)


@pytest.fixture
def hmc_mirror() -> Iterator[tuple[str, dict[str, bytes], Any]]:
    srv = _server_module.FileServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    files = {f"recordings/SN001{suffix}": _server_module.payload(suffix, 5000) for suffix in
             (".edf", "_sleepscoring.edf", "_sleepscoring.txt")}  # fmt: skip
    yield srv.publish_physionet("hmc-sleep-staging/1.1", files), files, srv
    srv.shutdown()
    srv.server_close()


def _params(tmp_path: Path, **data: Any) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"data": {"source": "real", "retries": 0, "backoff_s": 0.01} | data}))
    return path


def test_download_command_fetches_a_dataset_into_out_with_its_manifest(
    hmc_mirror: tuple[str, dict[str, bytes], Any], tmp_path: Path
) -> None:
    mirror, files, _ = hmc_mirror
    params = _params(tmp_path, mirrors={"hmc": mirror})
    args = ["download", "hmc", "--params", str(params), "--out", str(tmp_path / "raw"), "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = read_manifest(tmp_path / "raw" / "hmc")
    expected = {p: hashlib.sha256(b).hexdigest() for p, b in files.items()}
    assert {p: e.sha256 for p, e in manifest.items()} == expected


def test_a_corrupt_file_fails_the_command_with_one_error_line_and_no_file_under_its_name(
    hmc_mirror: tuple[str, dict[str, bytes], Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mirror, _, srv = hmc_mirror
    srv.files["/hmc-sleep-staging/1.1/recordings/SN001.edf"] = b"truncated"
    params = _params(tmp_path, mirrors={"hmc": mirror})
    out = tmp_path / "raw"
    argv = ["sleepdg", "download", "hmc", "--params", str(params), "--out", str(out), "--no-progress"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: recordings/SN001.edf: sha256 ")
    assert not [p for p in (tmp_path / "raw").rglob("*SN001.edf*")]
