"""Checksum listings and per-dataset file selection, from listing text alone."""

from __future__ import annotations

import json

import pytest

from sleepdg.download.checksums import ChecksumListError, parse_sha256sums
from sleepdg.download.sources import (
    isruc_files,
    nsrr_file_url,
    nsrr_listing_url,
    parse_nsrr_listing,
    physionet_files,
    shhs_files,
)
from sleepdg.errors import DownloadError
from sleepdg.params import DataParams

H = "ab" * 32  # any sha256
SLEEPEDF_SUMS = f"""\
{H}  RECORDS
{H}  SC-subjects.xls
{H}  sleep-cassette/SC4001E0-PSG.edf
{H}  sleep-cassette/SC4001EC-Hypnogram.edf
{H}  sleep-cassette/SC4002E0-PSG.edf
{H}  sleep-cassette/SC4002EC-Hypnogram.edf
{H}  sleep-cassette/SC4011E0-PSG.edf
{H}  sleep-cassette/SC4011EH-Hypnogram.edf
{H}  sleep-cassette/SC4001E0-PSG.edf.hyp
{H}  sleep-telemetry/ST7011J0-PSG.edf
{H}  sleep-telemetry/ST7011JP-Hypnogram.edf
"""
MIRROR = "https://physionet.org/files/sleep-edfx/1.0.0"


def _data(**fields: object) -> DataParams:
    return DataParams.model_validate(fields)


def test_sha256sums_lines_map_paths_to_lower_case_digests() -> None:
    text = f"{H.upper()}  recordings/SN001.edf\n\n{H} *./recordings/SN 002.edf\n"
    assert parse_sha256sums(text) == {"recordings/SN001.edf": H, "recordings/SN 002.edf": H}


def test_a_malformed_sha256sums_line_is_reported_with_its_number() -> None:
    with pytest.raises(ChecksumListError, match=r"SUMS: line 2: expected '<sha256> <path>', got 'dead x'"):
        parse_sha256sums(f"{H}  a.edf\ndead x\n", "SUMS")


def test_sleepedf_selects_psg_and_hypnogram_pairs_of_the_requested_parts() -> None:
    sums = parse_sha256sums(SLEEPEDF_SUMS)
    files = physionet_files("sleepedf", MIRROR, sums, _data(sleepedf_parts=("cassette",)))
    assert [f.path for f in files] == [
        "sleep-cassette/SC4001E0-PSG.edf", "sleep-cassette/SC4001EC-Hypnogram.edf",
        "sleep-cassette/SC4002E0-PSG.edf", "sleep-cassette/SC4002EC-Hypnogram.edf",
        "sleep-cassette/SC4011E0-PSG.edf", "sleep-cassette/SC4011EH-Hypnogram.edf",
    ]  # fmt: skip
    assert files[0].url == f"{MIRROR}/sleep-cassette/SC4001E0-PSG.edf"
    assert files[0].checksum == ("sha256", H)


def test_the_subset_keeps_whole_recordings_cassette_before_telemetry() -> None:
    sums = parse_sha256sums(SLEEPEDF_SUMS)
    files = physionet_files("sleepedf", MIRROR, sums, _data(subset=2))
    assert [f.path.split("/")[1][:6] for f in files] == ["SC4001", "SC4001", "SC4002", "SC4002"]
    everything = physionet_files("sleepedf", MIRROR, sums, _data(subset=4))
    assert everything[-1].path == "sleep-telemetry/ST7011JP-Hypnogram.edf"


def test_hmc_and_p2018_pick_their_recording_files_only() -> None:
    names = ["LICENSE.txt", "recordings/SN001.edf", "recordings/SN001_sleepscoring.edf",
             "recordings/SN001_sleepscoring.txt", "RECORDS"]  # fmt: skip
    hmc = parse_sha256sums("\n".join(f"{H}  {p}" for p in names))
    assert len(physionet_files("hmc", "http://m", hmc, _data())) == 3
    names = ["tr03-0005.hea", "tr03-0005.mat", "tr03-0005.arousal", "tr03-0005-arousal.mat"]
    p2018 = parse_sha256sums(
        "\n".join([f"{H}  training/tr03-0005/{n}" for n in names] + [f"{H}  test/te03-0001/te03-0001.hea"])
    )
    files = physionet_files("p2018", "http://m", p2018, _data())
    assert sorted(f.path.rsplit("/", 1)[1] for f in files) == sorted(names)
    assert {f.recording for f in files} == {"0:tr03-0005"}


def test_a_listing_without_the_datasets_files_points_at_the_mirror_param() -> None:
    with pytest.raises(DownloadError, match=r"lists no hmc recording files; is data\.mirrors\.hmc"):
        physionet_files("hmc", "http://m", {"RECORDS": H}, _data())


def test_isruc_lists_one_archive_per_subject_of_the_requested_subgroups() -> None:
    files = isruc_files("http://dataset.isr.uc.pt/ISRUC_Sleep", _data(isruc_subgroups=(3, 2)))
    assert len(files) == 18 and files[0].path == "subgroupII/1.rar" and files[-1].path == "subgroupIII/10.rar"
    assert files[0].url == "http://dataset.isr.uc.pt/ISRUC_Sleep/subgroupII/1.rar"
    assert files[0].extract_to == "subgroupII/1" and files[0].checksum is None
    first_two = isruc_files("http://m", _data(subset=2))
    assert [f.path for f in first_two] == ["subgroupI/1.rar", "subgroupI/2.rar"]


def test_nsrr_urls_carry_the_folder_token_and_client() -> None:
    assert nsrr_listing_url("https://sleepdata.org", "polysomnography/edfs/shhs1", "T") == (
        "https://sleepdata.org/api/v1/datasets/shhs/files.json?path=polysomnography%2Fedfs%2Fshhs1&auth_token=T"
    )
    assert nsrr_file_url("https://sleepdata.org", "T", "polysomnography/edfs/shhs1/shhs1-200001.edf") == (
        "https://sleepdata.org/datasets/shhs/files/a/T/m/sleepdg/polysomnography/edfs/shhs1/shhs1-200001.edf"
    )


def test_shhs_pairs_edfs_with_their_nsrr_xml_and_md5_of_one_visit() -> None:
    def item(path: str, is_file: bool = True) -> dict[str, object]:
        return {"full_path": path, "is_file": is_file, "file_size": 10, "file_checksum_md5": "cd" * 16}

    listing = [
        item("polysomnography/edfs/shhs1/shhs1-200002.edf"),
        item("polysomnography/edfs/shhs1/shhs1-200001.edf"),
        item("polysomnography/edfs/shhs1/old", is_file=False),
        item("polysomnography/annotations-events-nsrr/shhs1/shhs1-200001-nsrr.xml"),
        item("polysomnography/annotations-events-nsrr/shhs1/shhs1-209999-nsrr.xml"),  # no EDF: dropped
        item("polysomnography/edfs/shhs2/shhs2-200001.edf"),
    ]
    listed = parse_nsrr_listing(json.dumps(listing), "listing")
    files = shhs_files("https://sleepdata.org", "T", listed, _data(subset=1))
    assert sorted(f.path.rsplit("/", 1)[1] for f in files) == ["shhs1-200001-nsrr.xml", "shhs1-200001.edf"]
    assert all(f.checksum == ("md5", "cd" * 16) and f.size == 10 for f in files)


def test_an_nsrr_listing_that_is_not_json_is_a_clear_error() -> None:
    with pytest.raises(DownloadError, match="listing of x: the NSRR listing is not JSON"):
        parse_nsrr_listing(b"<html>", "listing of x")
