"""Safe extraction of zip, tar and RAR: members that try to leave the target folder are refused."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import rarfile

from sleepdg.download.extract import (
    ArchiveError,
    ArchiveToolError,
    UnsafeArchiveError,
    require_rar_tool,
    safe_extract,
)

Entry = tuple[str, bytes, int]  # name, data, st_mode (symlink: data is the target)
FILE, DIR, LINK = 0o100644, 0o040755, 0o120777
MakeRar = Callable[[list[Entry]], bytes]
ISRUC_LIKE: list[Entry] = [
    ("12/12.rec", b"0 EDF header and signals" * 50, FILE),
    ("12/12_1.txt", b"0\n1\n2\n5\n", FILE),
    ("12/12_2.txt", b"0\n1\n2\n2\n", FILE),
]
BSDTAR = shutil.which("bsdtar")


def _zip(path: Path, entries: list[Entry]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def _tar(path: Path, entries: list[Entry], hardlinks: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            if mode == LINK:
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                tf.addfile(info)
            elif mode == DIR:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        for name, target in (hardlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.LNKTYPE, target
            tf.addfile(info)
    return path


def _write(kind: str, folder: Path, entries: list[Entry], make_rar4: MakeRar) -> Path:
    if kind == "zip":
        return _zip(folder / "a.zip", entries)
    if kind == "tar":
        return _tar(folder / "a.tar.gz", entries)
    path = folder / "a.rar"
    path.write_bytes(make_rar4(entries))
    return path


def _outside_is_untouched(tmp_path: Path, archive: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive.name]


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_zip_and_tar_extract_every_file_with_its_sha256(
    kind: str, tmp_path: Path, make_rar4: MakeRar
) -> None:
    entries = [("data/", b"", DIR), *ISRUC_LIKE, ("notes.txt", b"hello", FILE)]
    archive = _write(kind, tmp_path, entries, make_rar4)
    files = safe_extract(archive, tmp_path / "out")
    assert sorted(f.path.relative_to(tmp_path / "out").as_posix() for f in files) == [
        "12/12.rec", "12/12_1.txt", "12/12_2.txt", "notes.txt",
    ]  # fmt: skip
    for f in files:
        data = f.path.read_bytes()
        assert (f.size, f.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert (tmp_path / "out" / "data").is_dir()


def test_a_single_top_level_folder_is_stripped_when_asked(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "12.tar.gz", ISRUC_LIKE)
    target = tmp_path / "subgroupI" / "12"
    safe_extract(archive, target, strip_common_root=True)
    assert sorted(p.name for p in target.iterdir()) == ["12.rec", "12_1.txt", "12_2.txt"]
    assert (target / "12_1.txt").read_bytes() == b"0\n1\n2\n5\n"


def test_a_top_level_file_keeps_the_layout_even_when_stripping_is_asked(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", [*ISRUC_LIKE, ("README", b"x", FILE)])
    safe_extract(archive, tmp_path / "out", strip_common_root=True)
    assert (tmp_path / "out" / "12" / "12.rec").is_file() and (tmp_path / "out" / "README").is_file()


ESCAPES: dict[str, list[Entry]] = {
    "dot-dot": [("ok.txt", b"1", FILE), ("../evil.txt", b"x", FILE)],
    "dot-dot-inside": [("a/../../evil.txt", b"x", FILE)],
    "absolute": [("/tmp/evil.txt", b"x", FILE)],
    "drive": [("C:/evil.txt", b"x", FILE)],
    "symlink-out": [("ok.txt", b"1", FILE), ("link", b"../../etc", LINK)],
    "symlink-absolute": [("link", b"/etc/passwd", LINK)],
}


@pytest.mark.parametrize("kind", ["zip", "tar", "rar"])
@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_a_member_escaping_the_target_is_refused_and_nothing_is_written(
    kind: str, case: str, tmp_path: Path, make_rar4: MakeRar
) -> None:
    archive = _write(kind, tmp_path, ESCAPES[case], make_rar4)
    with pytest.raises(UnsafeArchiveError, match=rf"{archive.name}: (member|symlink) '.*'"):
        safe_extract(archive, tmp_path / "out")
    _outside_is_untouched(tmp_path, archive)


def test_a_tar_hard_link_to_a_path_outside_the_archive_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "a.tar.gz", [("ok.txt", b"1", FILE)], hardlinks={"copy": "../../etc/passwd"})
    with pytest.raises(UnsafeArchiveError, match="hard link 'copy'"):
        safe_extract(archive, tmp_path / "out")
    _outside_is_untouched(tmp_path, archive)


def test_links_that_stay_inside_are_extracted_after_the_files(tmp_path: Path) -> None:
    entries = [("data/a.txt", b"abc", FILE), ("data/latest", b"a.txt", LINK)]
    archive = _tar(tmp_path / "a.tar.gz", entries, hardlinks={"copy.txt": "data/a.txt"})
    files = safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "data" / "latest").is_symlink()
    assert (tmp_path / "out" / "data" / "latest").read_bytes() == b"abc"
    assert {f.path.name for f in files} == {"a.txt", "copy.txt"}


def test_a_fifo_in_a_tar_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("pipe")
        info.type = tarfile.FIFOTYPE
        tf.addfile(info)
    with pytest.raises(UnsafeArchiveError, match="'pipe' is a device or FIFO"):
        safe_extract(archive, tmp_path / "out")


def test_a_file_that_is_no_archive_is_named_in_the_error(tmp_path: Path) -> None:
    bogus = tmp_path / "1.rar"
    bogus.write_bytes(b"<html>not found</html>")
    with pytest.raises(ArchiveError, match=r"1\.rar: not a zip, tar or RAR archive"):
        safe_extract(bogus, tmp_path / "out")


def test_rar_without_any_extraction_tool_fails_naming_the_tools_to_install(
    tmp_path: Path, make_rar4: MakeRar, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "12.rar"
    archive.write_bytes(make_rar4(ISRUC_LIKE))
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ArchiveToolError, match=r"12\.rar: cannot decompress RAR: install one of unrar"):
        safe_extract(archive, tmp_path / "out")
    with pytest.raises(ArchiveToolError, match="apt-get install libarchive-tools"):
        require_rar_tool("ISRUC")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["12.rar", "empty-path"]


@pytest.mark.skipif(BSDTAR is None, reason="bsdtar (Debian package libarchive-tools) is not installed")
def test_rar_members_are_decompressed_by_bsdtar_and_checked_against_their_crc(
    tmp_path: Path, make_rar4: MakeRar
) -> None:
    archive = tmp_path / "12.rar"
    archive.write_bytes(make_rar4([("12/", b"", DIR), *ISRUC_LIKE]))
    files = safe_extract(archive, tmp_path / "subgroupI" / "12", strip_common_root=True)
    assert {f.path.name: f.path.read_bytes() for f in files} == {Path(n).name: d for n, d, _ in ISRUC_LIKE}
    assert all(f.sha256 == hashlib.sha256(f.path.read_bytes()).hexdigest() for f in files)


@pytest.mark.skipif(BSDTAR is None, reason="bsdtar (Debian package libarchive-tools) is not installed")
def test_a_corrupt_rar_member_fails_and_leaves_no_folder(tmp_path: Path, make_rar4: MakeRar) -> None:
    blob = bytearray(make_rar4(ISRUC_LIKE))
    blob[blob.index(b"EDF header")] ^= 0xFF  # flip one data byte: the stored CRC no longer matches
    archive = tmp_path / "12.rar"
    archive.write_bytes(bytes(blob))
    with pytest.raises(ArchiveError, match=r"12\.rar: .*12/12\.rec"):
        safe_extract(archive, tmp_path / "out", strip_common_root=True)
    _outside_is_untouched(tmp_path, archive)


@pytest.mark.skipif(BSDTAR is None, reason="bsdtar (Debian package libarchive-tools) is not installed")
def test_with_unrar_on_path_rarfile_itself_drives_the_tool(
    tmp_path: Path, make_rar4: MakeRar, monkeypatch: pytest.MonkeyPatch
) -> None:
    # unrar is not free software: a stand-in answers rarfile's probe and its "p" (print) command
    # through bsdtar, so the rarfile branch (its pipe reader and CRC check) runs for real.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "unrar"
    shim.write_text(
        textwrap.dedent(f"""\
            #!/bin/sh
            echo "$@" >> {bin_dir}/calls
            [ "$1" = "-inul" ] && exit 0
            shift 4
            exec {BSDTAR} -x -O -f "$1" -- "$2"
            """)
    )
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(rarfile, "FORCE_TOOL", True)  # stored members too go through the tool
    archive = tmp_path / "12.rar"
    archive.write_bytes(make_rar4(ISRUC_LIKE))
    files = safe_extract(archive, tmp_path / "out", strip_common_root=True)
    assert {f.path.name: f.path.read_bytes() for f in files} == {Path(n).name: d for n, d, _ in ISRUC_LIKE}
    assert "p -inul -p- --" in (bin_dir / "calls").read_text()
