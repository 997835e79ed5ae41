"""Resumable, verified downloads against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sleepdg.download import http as http_module
from sleepdg.download.checksums import Checksum
from sleepdg.download.http import HttpClient, HttpOptions, partial_path
from sleepdg.errors import ChecksumError, DownloadError

FAST = HttpOptions(retries=3, backoff_s=0.01, timeout_s=5.0)
Bytes = Callable[[str, int], bytes]


def _sha256(body: bytes) -> Checksum:
    return Checksum("sha256", hashlib.sha256(body).hexdigest())


def test_a_full_download_lands_verified_under_its_final_name_with_its_sha256(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    body = make_bytes("a.edf", 300_000)
    server.files["/a.edf"] = body
    dest = tmp_path / "sub" / "a.edf"
    result = HttpClient(FAST).fetch(f"{server.url}/a.edf", dest, what="a.edf", expected=_sha256(body))
    assert dest.read_bytes() == body
    assert (result.size, result.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert not partial_path(dest).exists()


def test_a_transfer_cut_in_the_middle_resumes_with_range_to_an_identical_file(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    body = make_bytes("cut.mat", 500_000)
    server.files["/cut.mat"] = body
    server.cut_after["/cut.mat"] = 123_456
    dest = tmp_path / "cut.mat"
    result = HttpClient(FAST).fetch(f"{server.url}/cut.mat", dest, what="cut.mat", expected=_sha256(body))
    assert dest.read_bytes() == body and result.sha256 == hashlib.sha256(body).hexdigest()
    ranges = [s.range for s in server.gets("/cut.mat")]
    assert ranges == [None, "bytes=123456-"]


def test_a_partial_file_left_by_an_earlier_run_is_completed_not_fetched_again(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    body = make_bytes("left.edf", 200_000)
    server.files["/left.edf"] = body
    dest = tmp_path / "left.edf"
    partial_path(dest).write_bytes(body[:150_000])
    result = HttpClient(FAST).fetch(f"{server.url}/left.edf", dest, what="left.edf", expected=_sha256(body))
    assert dest.read_bytes() == body and result.size == len(body)
    assert [s.range for s in server.gets("/left.edf")] == ["bytes=150000-"]


def test_a_server_ignoring_range_makes_the_download_start_over_cleanly(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    body = make_bytes("norange.edf", 50_000)
    server.files["/norange.edf"] = body
    server.ignore_range = True
    dest = tmp_path / "norange.edf"
    partial_path(dest).write_bytes(body[:10_000])
    HttpClient(FAST).fetch(f"{server.url}/norange.edf", dest, what="norange.edf", expected=_sha256(body))
    assert dest.read_bytes() == body


def test_server_errors_are_retried_with_backoff_until_the_file_comes(
    server: Any, make_bytes: Bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = make_bytes("busy.edf", 1000)
    server.files["/busy.edf"] = body
    server.fail_first["/busy.edf"] = [503, 502]
    dest = tmp_path / "busy.edf"
    with caplog.at_level(logging.INFO, logger="sleepdg.download.http"):
        HttpClient(FAST).fetch(f"{server.url}/busy.edf", dest, what="busy.edf", expected=_sha256(body))
    assert dest.read_bytes() == body
    assert len(server.gets("/busy.edf")) == 3
    assert "retry 2/3" in caplog.text


def test_retries_give_up_after_the_configured_number_with_the_last_error(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    server.files["/down.edf"] = make_bytes("down.edf", 10)
    server.fail_first["/down.edf"] = [503] * 10
    with pytest.raises(DownloadError, match=r"down\.edf: gave up after 4 attempts.*503"):
        HttpClient(FAST).fetch(f"{server.url}/down.edf", tmp_path / "down.edf", what="down.edf")
    assert len(server.gets("/down.edf")) == 4


def test_a_corrupted_file_raises_a_checksum_error_and_leaves_nothing_in_place(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    body = make_bytes("bad.edf", 70_000)
    server.files["/bad.edf"] = body[:-1] + b"X"
    dest = tmp_path / "bad.edf"
    with pytest.raises(ChecksumError, match=r"bad\.edf: sha256 [0-9a-f]{64} does not match the published"):
        HttpClient(FAST).fetch(f"{server.url}/bad.edf", dest, what="bad.edf", expected=_sha256(body))
    assert list(tmp_path.iterdir()) == []


def test_an_md5_published_file_is_checked_by_md5_and_still_yields_its_sha256(
    server: Any, make_bytes: Bytes, tmp_path: Path
) -> None:
    body = make_bytes("shhs1-200001.edf", 40_000)
    server.files["/x.edf"] = body
    md5 = Checksum("md5", hashlib.md5(body).hexdigest())
    result = HttpClient(FAST).fetch(f"{server.url}/x.edf", tmp_path / "x.edf", what="x.edf", expected=md5)
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    with pytest.raises(ChecksumError, match="md5"):
        wrong = Checksum("md5", "0" * 32)
        HttpClient(FAST).fetch(f"{server.url}/x.edf", tmp_path / "y.edf", what="y.edf", expected=wrong)


def test_a_missing_file_is_a_clear_404_error_without_retries(server: Any, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"SN999\.edf: not found \(HTTP 404\) at http://127\.0\.0\.1"):
        HttpClient(FAST).fetch(f"{server.url}/SN999.edf", tmp_path / "SN999.edf", what="SN999.edf")
    assert len(server.gets("/SN999.edf")) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_bad_token_is_refused_with_a_hint_and_the_token_never_shows(
    server: Any, make_bytes: Bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.publish_nsrr("right-token", {"polysomnography/edfs/shhs1/shhs1-200001.edf": make_bytes("s", 10)})
    secret = "wrong-token-1234"
    url = f"{server.url}/datasets/shhs/files/a/{secret}/m/sleepdg/polysomnography/edfs/shhs1/shhs1-200001.edf"
    options = HttpOptions(retries=1, backoff_s=0.01, follow_redirects=False, auth_hint="check NSRR_TOKEN")
    with caplog.at_level(logging.DEBUG), pytest.raises(DownloadError) as info:
        HttpClient(options, secrets=[secret]).fetch(url, tmp_path / "a.edf", what="shhs1-200001.edf")
    assert "access refused (HTTP 401" in str(info.value) and "check NSRR_TOKEN" in str(info.value)
    assert secret not in str(info.value) and secret not in caplog.text


def test_a_disk_too_small_for_the_announced_size_is_a_disk_full_error(
    server: Any, make_bytes: Bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.files["/big.edf"] = make_bytes("big.edf", 5000)
    monkeypatch.setattr(http_module, "_free_bytes", lambda directory: 1000)
    with pytest.raises(DownloadError, match=r"big\.edf: disk full: 5000 more bytes needed, 1000 free"):
        HttpClient(FAST).fetch(f"{server.url}/big.edf", tmp_path / "big.edf", what="big.edf")
    assert not (tmp_path / "big.edf").exists()
