"""Which files make up each dataset, where they come from, and what checksum they carry.

URLs and layouts follow datasets.md Part B:

- PhysioNet (Sleep-EDF Expanded 1.0.0, HMC 1.1, Challenge 2018 1.0.0): ``<mirror>/SHA256SUMS.txt``
  lists every file of the project as ``<sha256> <relative path>``; a file is at
  ``<mirror>/<relative path>`` and lands at the same relative path under ``data/raw/<ds>/``.
- ISRUC-Sleep: ``<mirror>/subgroupI/<n>.rar`` (also ``subgroupII``, ``subgroupIII``), no checksums;
  extracted to ``subgroupI/<n>/``.
- SHHS (NSRR): ``GET <mirror>/api/v1/datasets/shhs/files.json?path=<folder>&auth_token=<token>``
  lists a folder (``full_path``, ``is_file``, ``file_size``, ``file_checksum_md5``); a file is at
  ``<mirror>/datasets/shhs/files/a/<token>/m/sleepdg/<full_path>`` and lands at ``<full_path>``.

Functions here take listing text and return plain values, so they are tested without a network.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sleepdg.download.checksums import Checksum, checksum
from sleepdg.errors import DownloadError
from sleepdg.params import DataParams

log = logging.getLogger(__name__)

PHYSIONET_SUMS = "SHA256SUMS.txt"
NSRR_CLIENT = "sleepdg"  # the /m/<client>/ segment of NSRR download URLs (download statistics)

# One pattern per dataset part; group "rec" is the recording the file belongs to. Sleep-EDF pairs
# PSG and hypnogram on the first 6 characters (subject + night), datasets.md B.1.
_SLEEPEDF = {
    "cassette": re.compile(r"^sleep-cassette/(?P<rec>SC4\d{3})[A-Z][0-9A-Z]-(?:PSG|Hypnogram)\.edf$"),
    "telemetry": re.compile(r"^sleep-telemetry/(?P<rec>ST7\d{3})[A-Z][0-9A-Z]-(?:PSG|Hypnogram)\.edf$"),
}
_HMC = re.compile(r"^recordings/(?P<rec>SN\d{3})(?:\.edf|_sleepscoring\.edf|_sleepscoring\.txt)$")
_P2018 = re.compile(r"^training/(?P<rec>tr\d\d-\d{4})/(?P=rec)(?:\.hea|\.mat|\.arousal|-arousal\.mat)$")

# ISRUC-Sleep subjects per subgroup (datasets.md B.3): I 100 patients, II 8 patients x 2 sessions,
# III 10 healthy subjects.
ISRUC_SUBJECTS = {1: 100, 2: 8, 3: 10}
_ROMAN = {1: "I", 2: "II", 3: "III"}


class RemoteFile(NamedTuple):
    """One file to fetch."""

    path: str  # where it lands, relative to data/raw/<ds>/, "/"-separated
    url: str  # may hold a secret (NSRR token): never log it
    recording: str  # files of one recording share it; the subset keeps whole recordings
    checksum: Checksum | None = None  # published checksum, None for ISRUC
    size: int | None = None  # published size in bytes, when the source gives one
    extract_to: str | None = None  # archives: folder (relative) the members go to


def first_recordings(files: Iterable[RemoteFile], subset: int | None) -> list[RemoteFile]:
    """Keep the files of the first ``subset`` recordings, in the order they are first seen."""
    files = list(files)
    if subset is None:
        return files
    kept: list[str] = []
    for f in files:
        if f.recording not in kept:
            kept.append(f.recording)
    keep = set(kept[:subset])
    return [f for f in files if f.recording in keep]


def physionet_files(dataset: str, mirror: str, sums: dict[str, str], data: DataParams) -> list[RemoteFile]:
    """The dataset's recording files out of a PhysioNet ``SHA256SUMS.txt``, sorted by recording.

    Parameters
    ----------
    dataset
        ``sleepedf``, ``hmc`` or ``p2018``.
    mirror
        Project root URL (``data.mirrors.<dataset>``), without a trailing slash.
    sums
        Relative path -> sha256, from `parse_sha256sums`.
    data
        ``sleepedf_parts`` selects cassette and/or telemetry; ``subset`` keeps the first N recordings.
    """
    if dataset == "sleepedf":
        patterns = [_SLEEPEDF[part] for part in ("cassette", "telemetry") if part in data.sleepedf_parts]
    elif dataset == "hmc":
        patterns = [_HMC]
    elif dataset == "p2018":
        patterns = [_P2018]
    else:
        raise ValueError(f"{dataset!r} is not a PhysioNet dataset; expected sleepedf, hmc or p2018")
    files = []
    for index, pattern in enumerate(patterns):
        for path, digest in sums.items():
            if match := pattern.match(path):
                url = f"{mirror}/{urllib.parse.quote(path)}"
                recording = f"{index}:{match['rec']}"  # part order first, then name
                files.append(RemoteFile(path, url, recording, Checksum("sha256", digest)))
    if not files:
        raise DownloadError(
            f"{mirror}/{PHYSIONET_SUMS} lists no {dataset} recording files; "
            f"is data.mirrors.{dataset} the project's version root?"
        )
    files.sort(key=lambda f: (f.recording, f.path))
    return first_recordings(files, data.subset)


def isruc_files(mirror: str, data: DataParams) -> list[RemoteFile]:
    """One RAR archive per ISRUC subject of the requested subgroups (first ``subset`` of them)."""
    files = []
    for group in sorted(data.isruc_subgroups):
        folder = f"subgroup{_ROMAN[group]}"
        for n in range(1, ISRUC_SUBJECTS[group] + 1):
            path = f"{folder}/{n}.rar"
            files.append(RemoteFile(path, f"{mirror}/{path}", f"{folder}/{n}", extract_to=f"{folder}/{n}"))
    return first_recordings(files, data.subset)


# -- NSRR -------------------------------------------------------------------------------------


class NsrrItem(NamedTuple):
    full_path: str
    size: int | None
    md5: str | None


def nsrr_folders(data: DataParams) -> list[str]:
    """The SHHS folders to list: EDFs and the requested annotation kinds of one visit."""
    visit = f"shhs{data.shhs_visit}"
    folders = [f"polysomnography/edfs/{visit}"]
    folders += [f"polysomnography/annotations-events-{kind}/{visit}" for kind in data.shhs_annotations]
    return folders


def nsrr_account_url(mirror: str, token: str) -> str:
    return f"{mirror}/api/v1/account/profile.json?" + urllib.parse.urlencode({"auth_token": token})


def nsrr_listing_url(mirror: str, folder: str, token: str) -> str:
    query = urllib.parse.urlencode({"path": folder, "auth_token": token})
    return f"{mirror}/api/v1/datasets/shhs/files.json?{query}"


def nsrr_file_url(mirror: str, token: str, full_path: str) -> str:
    return f"{mirror}/datasets/shhs/files/a/{token}/m/{NSRR_CLIENT}/{urllib.parse.quote(full_path)}"


def parse_nsrr_listing(payload: bytes | str, source: str) -> list[NsrrItem]:
    """The files (not sub-folders) of an NSRR ``files.json`` answer."""
    try:
        items = json.loads(payload)
    except ValueError:
        raise DownloadError(f"{source}: the NSRR listing is not JSON") from None
    if not isinstance(items, list):
        raise DownloadError(f"{source}: expected a JSON list of files, got {type(items).__name__}")
    files = []
    for item in items:
        if not isinstance(item, dict) or "full_path" not in item:
            raise DownloadError(f"{source}: listing entry without full_path: {str(item)[:200]}")
        if item.get("is_file"):
            size = item.get("file_size")
            files.append(
                NsrrItem(
                    str(item["full_path"]),
                    int(size) if size is not None else None,
                    item.get("file_checksum_md5"),
                )
            )
    return files


def shhs_files(mirror: str, token: str, listed: Sequence[NsrrItem], data: DataParams) -> list[RemoteFile]:
    """EDFs and annotations of the requested visit, grouped by recording (``shhs1-200001``)."""
    visit = f"shhs{data.shhs_visit}"
    edf = re.compile(rf"^polysomnography/edfs/{visit}/(?P<rec>{visit}-\d{{6}})\.edf$")
    kinds = "|".join(data.shhs_annotations)
    xml = re.compile(
        rf"^polysomnography/annotations-events-(?:{kinds})/{visit}/(?P<rec>{visit}-\d{{6}})-(?:{kinds})\.xml$"
    )
    files = []
    for item in listed:
        match = edf.match(item.full_path) or xml.match(item.full_path)
        if match is None:
            continue
        published = checksum("md5", item.md5, item.full_path) if item.md5 else None
        if published is None:
            log.warning("%s: NSRR publishes no MD5 for it; only its size is checked", item.full_path)
        url = nsrr_file_url(mirror, token, item.full_path)
        files.append(RemoteFile(item.full_path, url, match["rec"], published, item.size))
    with_edf = {f.recording for f in files if f.path.endswith(".edf")}
    files = sorted((f for f in files if f.recording in with_edf), key=lambda f: (f.recording, f.path))
    if not files:
        raise DownloadError(f"NSRR lists no {visit} EDFs under {', '.join(nsrr_folders(data))}")
    return first_recordings(files, data.subset)
