"""The download stage end to end against a local server: PhysioNet, NSRR and ISRUC layouts."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sleepdg.download import ARCHIVES_NAME, RECORD_NAME, ArchiveToolError, download_dataset, generator_digest
from sleepdg.errors import ChecksumError, DownloadError
from sleepdg.manifest import read_manifest
from sleepdg.params import Params, parse_params

Bytes = Callable[[str, int], bytes]
TOKEN = "nsrr-secret-token-5f2c"


def real_params(**data: Any) -> Params:
    base = {"source": "real", "retries": 1, "backoff_s": 0.01, "timeout_s": 5.0, "workers": 2}
    return parse_params({"data": base | data})


def sleepedf_site(server: Any, make_bytes: Bytes) -> tuple[str, dict[str, bytes]]:
    names = ["SC4001E0-PSG.edf", "SC4001EC-Hypnogram.edf", "SC4002E0-PSG.edf", "SC4002EC-Hypnogram.edf",
             "SC4011E0-PSG.edf", "SC4011EH-Hypnogram.edf"]  # fmt: skip
    files = {f"sleep-cassette/{n}": make_bytes(n, 20_000 if "PSG" in n else 700) for n in names}
    files["SC-subjects.xls"] = b"not a recording"
    return server.publish_physionet("sleep-edfx/1.0.0", files), files


def _on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_sleepedf_subset_downloads_whole_recordings_with_a_verified_manifest(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, files = sleepedf_site(server, make_bytes)
    out = tmp_path / "raw" / "sleepedf"
    entries = download_dataset("sleepedf", out, real_params(subset=2, mirrors={"sleepedf": mirror}))
    wanted = sorted(p for p in files if p[15:21] in ("SC4001", "SC4002"))
    assert [e.path for e in entries] == wanted
    assert _on_disk(out) == {*wanted, "manifest.csv", RECORD_NAME}
    manifest = read_manifest(out)
    for path in wanted:
        assert manifest[path].size == len(files[path])
        assert manifest[path].sha256 == hashlib.sha256(files[path]).hexdigest()
        assert (out / path).read_bytes() == files[path]
    assert json.loads((out / RECORD_NAME).read_text())["subset"] == 2


def test_rerunning_a_finished_download_makes_no_request_at_all(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, _ = sleepedf_site(server, make_bytes)
    params, out = real_params(subset=1, mirrors={"sleepedf": mirror}), tmp_path / "sleepedf"
    first = download_dataset("sleepedf", out, params)
    n_requests = len(server.seen)
    assert download_dataset("sleepedf", out, params) == first
    assert len(server.seen) == n_requests


def test_files_verified_before_a_crash_lost_the_manifest_are_hashed_once_not_fetched_again(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, _ = sleepedf_site(server, make_bytes)
    params, out = real_params(subset=1, mirrors={"sleepedf": mirror}), tmp_path / "sleepedf"
    first = download_dataset("sleepedf", out, params)
    (out / "manifest.csv").unlink()
    (out / RECORD_NAME).unlink()
    n_requests = len(server.seen)
    assert download_dataset("sleepedf", out, params) == first
    assert [s.path for s in server.seen[n_requests:]] == ["/sleep-edfx/1.0.0/SHA256SUMS.txt"]


def test_an_interrupted_run_keeps_verified_files_and_resumes_the_partial_one(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, files = sleepedf_site(server, make_bytes)
    cut = "/sleep-edfx/1.0.0/sleep-cassette/SC4002E0-PSG.edf"
    server.cut_after[cut] = 5_000
    params = real_params(subset=2, retries=0, workers=1, mirrors={"sleepedf": mirror})
    out, psg = tmp_path / "sleepedf", "sleep-cassette/SC4002E0-PSG.edf"
    with pytest.raises(DownloadError, match=r"SC4002E0-PSG\.edf: gave up after 1 attempts"):
        download_dataset("sleepedf", out, params)
    assert not (out / "sleep-cassette" / "SC4002E0-PSG.edf").exists()  # never a half file under its name
    assert (out / "sleep-cassette" / ".SC4002E0-PSG.edf.part").stat().st_size == 5_000
    assert "sleep-cassette/SC4001E0-PSG.edf" in read_manifest(out)
    assert not (out / RECORD_NAME).exists()

    download_dataset("sleepedf", out, params)
    assert [s.range for s in server.gets(cut)] == [None, "bytes=5000-"]
    assert len(server.gets("/sleep-edfx/1.0.0/sleep-cassette/SC4001E0-PSG.edf")) == 1
    assert (out / psg).read_bytes() == files[psg]


def test_a_corrupted_file_stops_the_run_with_nothing_under_its_name(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, _ = sleepedf_site(server, make_bytes)
    server.files["/sleep-edfx/1.0.0/sleep-cassette/SC4001EC-Hypnogram.edf"] = b"tampered"
    out = tmp_path / "sleepedf"
    with pytest.raises(ChecksumError, match=r"SC4001EC-Hypnogram\.edf: sha256 .* does not match"):
        download_dataset("sleepedf", out, real_params(subset=1, workers=1, mirrors={"sleepedf": mirror}))
    assert not any(p.name.startswith("SC4001EC") for p in out.rglob("*"))


def test_a_smaller_subset_removes_the_recordings_no_longer_requested(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, _ = sleepedf_site(server, make_bytes)
    out = tmp_path / "sleepedf"
    download_dataset("sleepedf", out, real_params(subset=2, mirrors={"sleepedf": mirror}))
    entries = download_dataset("sleepedf", out, real_params(subset=1, mirrors={"sleepedf": mirror}))
    assert {e.path[15:21] for e in entries} == {"SC4001"}
    assert not (out / "sleep-cassette" / "SC4002E0-PSG.edf").exists()
    assert set(read_manifest(out)) == {e.path for e in entries}


def test_real_data_replaces_a_synthetic_folder_and_is_never_overwritten_by_synthetic_data(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    mirror, _ = sleepedf_site(server, make_bytes)
    out = tmp_path / "sleepedf"
    (out / "sleep-cassette").mkdir(parents=True)
    (out / "sleep-cassette" / "SC4001E0-PSG.edf").write_bytes(b"synthetic")
    (out / "manifest.csv").write_text(f"path,size,sha256\nsleep-cassette/SC4001E0-PSG.edf,9,{'0' * 64}\n")
    (out / RECORD_NAME).write_text(json.dumps({"dataset": "sleepedf", "source": "synthetic"}))
    entries = download_dataset("sleepedf", out, real_params(subset=1, mirrors={"sleepedf": mirror}))
    assert len(entries) == 2 and (out / "sleep-cassette" / "SC4001E0-PSG.edf").read_bytes() != b"synthetic"
    with pytest.raises(DownloadError, match="holds downloaded real data; move or delete it"):
        download_dataset("sleepedf", out, parse_params({}))
    assert read_manifest(out)["sleep-cassette/SC4001E0-PSG.edf"].size == 20_000


def test_a_missing_checksum_list_names_the_mirror_to_fix(server: Any, tmp_path: Path) -> None:
    params = real_params(mirrors={"hmc": f"{server.url}/wrong"})
    with pytest.raises(DownloadError, match=r"SHA256SUMS\.txt: not found \(HTTP 404\)"):
        download_dataset("hmc", tmp_path / "hmc", params)


def _shhs_files(make_bytes: Bytes) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for rec in ("shhs1-200001", "shhs1-200002"):
        files[f"polysomnography/edfs/shhs1/{rec}.edf"] = make_bytes(rec, 30_000)
        files[f"polysomnography/annotations-events-nsrr/shhs1/{rec}-nsrr.xml"] = make_bytes(rec + "x", 900)
    return files


def test_shhs_comes_through_the_nsrr_api_checked_by_md5_and_the_token_never_written(
    server: Any, make_bytes: Bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    files = _shhs_files(make_bytes)
    mirror = server.publish_nsrr(TOKEN, files)
    monkeypatch.setenv("NSRR_TOKEN", TOKEN)
    out = tmp_path / "shhs"
    with caplog.at_level(logging.DEBUG):
        entries = download_dataset("shhs", out, real_params(mirrors={"shhs": mirror}))
    assert {e.path for e in entries} == set(files)
    assert all(e.sha256 == hashlib.sha256(files[e.path]).hexdigest() for e in entries)
    written = "".join(p.read_text(errors="replace") for p in out.glob("*.*"))
    assert TOKEN not in written and TOKEN not in caplog.text


def test_a_token_nsrr_refuses_or_a_missing_one_is_a_clear_error(
    server: Any, make_bytes: Bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = server.publish_nsrr(TOKEN, _shhs_files(make_bytes))
    params = real_params(mirrors={"shhs": mirror}, nsrr_token_env="MY_NSRR")
    monkeypatch.delenv("MY_NSRR", raising=False)
    with pytest.raises(DownloadError, match="set the environment variable MY_NSRR"):
        download_dataset("shhs", tmp_path / "shhs", params)
    monkeypatch.setenv("MY_NSRR", "not-the-token")
    with pytest.raises(DownloadError, match="NSRR did not accept the token in MY_NSRR") as info:
        download_dataset("shhs", tmp_path / "shhs", params)
    assert "not-the-token" not in str(info.value)


def _isruc_site(server: Any, make_rar4: Callable[..., bytes]) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for n in (1, 2):
        entries = [(f"{n}/{n}.rec", f"rec {n} ".encode() * 400, 0o100644),
                   (f"{n}/{n}_1.txt", b"0\n1\n2\n5\n", 0o100644)]  # fmt: skip
        server.files[f"/ISRUC_Sleep/subgroupIII/{n}.rar"] = make_rar4(entries)
        members |= {f"subgroupIII/{name}": data for name, data, _ in entries}
    return members


@pytest.mark.skipif(shutil.which("bsdtar") is None, reason="bsdtar (libarchive-tools) is not installed")
def test_isruc_archives_are_extracted_recorded_and_deleted(
    server: Any, make_rar4: Callable[..., bytes], tmp_path: Path
) -> None:
    members = _isruc_site(server, make_rar4)
    params = real_params(subset=2, isruc_subgroups=[3], mirrors={"isruc": f"{server.url}/ISRUC_Sleep"})
    out = tmp_path / "isruc"
    entries = download_dataset("isruc", out, params)
    assert {e.path: (out / e.path).read_bytes() for e in entries} == members
    assert not list(out.rglob("*.rar"))
    archives = (out / ARCHIVES_NAME).read_text().splitlines()
    sha = hashlib.sha256(server.files["/ISRUC_Sleep/subgroupIII/1.rar"]).hexdigest()
    assert archives[0] == "path,size,sha256" and archives[1].endswith(sha)
    n_requests = len(server.seen)
    download_dataset("isruc", out, params)
    assert len(server.seen) == n_requests


def test_isruc_without_a_rar_tool_fails_before_downloading_anything(
    server: Any, make_rar4: Callable[..., bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _isruc_site(server, make_rar4)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    params = real_params(isruc_subgroups=[3], mirrors={"isruc": f"{server.url}/ISRUC_Sleep"})
    with pytest.raises(ArchiveToolError, match="ISRUC: cannot decompress RAR"):
        download_dataset("isruc", tmp_path / "isruc", params)
    assert server.seen == []


def test_synthetic_source_writes_the_generators_files_and_their_manifest_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative data/raw, as dvc runs it
    params = parse_params({"synthetic": {"recordings": 1, "hours": 0.1}, "runtime": {"workers": 1}})
    out = Path("data/raw/shhs")
    entries = download_dataset("shhs", out, params)
    assert any(e.path.endswith(".edf") for e in entries) and any(
        e.path.endswith("-nsrr.xml") for e in entries
    )
    for e in entries:
        assert e.sha256 == hashlib.sha256((out / e.path).read_bytes()).hexdigest()
    assert set(read_manifest(out)) == {e.path for e in entries}
    assert json.loads((out / RECORD_NAME).read_text())["source"] == "synthetic"
    stamps = {e.path: (out / e.path).stat().st_mtime_ns for e in entries}
    assert download_dataset("shhs", out, params) == entries
    assert {e.path: (out / e.path).stat().st_mtime_ns for e in entries} == stamps
    assert sorted(p.name for p in Path("data/raw").iterdir()) == ["shhs"]  # no temporary left
    # files written by another version of the generator are rewritten, not kept
    record = json.loads((out / RECORD_NAME).read_text())
    assert record["generator"] == generator_digest()
    (out / RECORD_NAME).write_text(json.dumps({**record, "generator": "an older generator"}))
    assert download_dataset("shhs", out, params) == entries  # same seed and code: same bytes
    assert json.loads((out / RECORD_NAME).read_text())["generator"] == generator_digest()
    assert all((out / e.path).stat().st_mtime_ns != stamps[e.path] for e in entries)
