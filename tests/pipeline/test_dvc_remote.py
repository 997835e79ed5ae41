"""Sharing through a DVC remote: push from one clone to a real S3-compatible server on 127.0.0.1
(moto), then a fresh clone pulls what was computed and re-runs nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.conftest import TinyProject, tree_digest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dvc")]

BUCKET = "sleepdg-remote"
# Dummy credentials, only ever in the environment of the commands (never in .dvc/config or git).
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto) on 127.0.0.1 with an empty bucket; its endpoint URL."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )
    s3.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _with_credentials(project: TinyProject) -> TinyProject:
    return TinyProject(project.root, {**project.env, **CREDENTIALS})


def _ran(output: str) -> set[str]:
    return set(re.findall(r"Running stage '([^']+)'", output))


def test_a_fresh_clone_pulls_what_another_machine_computed_and_reruns_nothing(
    tiny_project: TinyProject, s3_endpoint: str, tmp_path: Path
) -> None:
    # The machine that computed everything: a clone sharing the tiny project's cache (push reads the cache).
    tiny_project.run("git", "clone", "-q", str(tiny_project.root), str(tmp_path / "origin"))
    origin = _with_credentials(TinyProject(tmp_path / "origin", tiny_project.env))
    origin.dvc("cache", "dir", "--local", str(tiny_project.root / ".dvc" / "cache"))
    origin.dvc("remote", "add", "-d", "storage", f"s3://{BUCKET}/sleepdg")
    origin.dvc("remote", "modify", "storage", "endpointurl", s3_endpoint)
    origin.commit("DVC remote")
    config = (origin.root / ".dvc" / "config").read_text()
    assert s3_endpoint in config and not any(v in config for v in CREDENTIALS.values())
    assert re.search(r"\d+ files pushed", origin.dvc("push").stdout)

    origin.run("git", "clone", "-q", str(origin.root), str(tmp_path / "fresh"))
    fresh = TinyProject(tmp_path / "fresh", origin.env)  # its own empty cache: data come from S3 only
    assert not (fresh.root / "data").exists()

    # A training machine: the prepared stores only, not the raw data (persist: true outs like any other).
    fresh.dvc("pull", "prepare")
    assert tree_digest(fresh.root / "data" / "prepared") == tree_digest(
        tiny_project.root / "data" / "prepared"
    )
    assert not (fresh.root / "data" / "raw").exists()
    assert _ran(fresh.dvc("repro", "--allow-missing").stdout) == set()  # the missing raw data re-run nothing

    # Everything else, raw data included: then the clone is as the machine that computed it.
    fresh.dvc("pull")
    for folder in ("data/raw", "models"):
        assert tree_digest(fresh.root / folder) == tree_digest(tiny_project.root / folder)
    assert "Data and pipelines are up to date" in fresh.dvc("status").stdout
