"""Safe extraction of zip, tar and RAR archives: no member ever lands outside the target folder.

Every member is checked before anything is written: absolute names, ``..`` components, drive
letters, links pointing out of the folder and special files (devices, FIFOs) are refused with an
error naming the archive and the member. Files are written first and links last, so no write can
follow a link. Extraction goes to a temporary sibling renamed into place on success, and each
file's sha256 is computed while it is written.

RAR members are listed by ``rarfile`` (pure Python) and decompressed by an external tool: ``unrar``,
``unar`` or ``7z`` through ``rarfile``, or ``bsdtar`` (Debian package ``libarchive-tools``) called
directly, because rarfile 4.5 builds a ``bsdtar -f -- <archive>`` command line that bsdtar rejects.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Literal, NamedTuple, cast

import rarfile

from sleepdg.atomic import atomic_path
from sleepdg.errors import SleepdgError

_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_GLOB_CHARS = re.compile(r"([\[\]*?\\])")
RAR_TOOLS_HINT = "install one of unrar, unar, 7z or bsdtar (Debian/Ubuntu: apt-get install libarchive-tools)"

Kind = Literal["file", "dir", "symlink", "hardlink"]


class ArchiveError(SleepdgError, ValueError):
    """An archive cannot be read (corrupt, encrypted, unknown format)."""


class UnsafeArchiveError(ArchiveError):
    """A member would land outside the target folder, or is a special file."""


class ArchiveToolError(SleepdgError, FileNotFoundError):
    """No external program able to decompress RAR is installed."""


class ExtractedFile(NamedTuple):
    path: Path  # final path under the target folder
    size: int  # bytes
    sha256: str  # hex digest computed while writing


@dataclass(frozen=True)
class _Member:
    name: str  # as stored in the archive
    kind: Kind
    link: str | None = None  # symlink target, or the member a hard link copies
    open: Callable[[], AbstractContextManager[IO[bytes]]] | None = None
    crc32: int | None = None  # checked after writing when the format does not check it itself


@dataclass(frozen=True)
class _Planned:
    member: _Member
    rel: PurePosixPath
    link_rel: PurePosixPath | None = None  # hard link source, relative to the target


def safe_extract(archive: Path, target: Path, *, strip_common_root: bool = False) -> list[ExtractedFile]:
    """Extract a zip, tar (any compression) or RAR archive into ``target``, refusing escapes.

    Parameters
    ----------
    archive
        The archive; its format is detected from its bytes, not its name.
    target
        Folder to create (replaced atomically if it exists). Nothing is written elsewhere.
    strip_common_root
        When every member lies under one top-level folder (ISRUC's ``12.rar`` holds ``12/...``),
        extract that folder's content into ``target`` instead of ``target/12/...``.

    Returns
    -------
    list of ExtractedFile
        Every regular file written (hard links included), with size and sha256.
    """
    with ExitStack() as stack:
        members = _list_members(archive, stack)
        plan = _plan(archive, members, strip_common_root)
        with atomic_path(target) as tmp:
            written = _write(archive, plan, tmp)
    return [ExtractedFile(target / rel, size, sha) for rel, (size, sha) in sorted(written.items())]


# -- listing ----------------------------------------------------------------------------------


def _list_members(archive: Path, stack: ExitStack) -> list[_Member]:
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive")
    if rarfile.is_rarfile(archive):
        return _rar_members(archive, stack)
    if zipfile.is_zipfile(archive):
        return _zip_members(archive, stack.enter_context(zipfile.ZipFile(archive)))
    if tarfile.is_tarfile(archive):
        return _tar_members(archive, stack.enter_context(tarfile.open(archive, "r:*")))
    raise ArchiveError(f"{archive}: not a zip, tar or RAR archive")


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[_Member]:
    members = []
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{archive}: member {info.filename!r} is encrypted")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            members.append(_Member(info.filename, "symlink", link=zf.read(info).decode("utf-8", "replace")))
        elif info.is_dir():
            members.append(_Member(info.filename, "dir"))
        else:
            members.append(_Member(info.filename, "file", open=partial(zf.open, info)))
    return members


def _tar_members(archive: Path, tf: tarfile.TarFile) -> list[_Member]:
    members = []
    for info in tf.getmembers():
        if info.isdir():
            members.append(_Member(info.name, "dir"))
        elif info.issym():
            members.append(_Member(info.name, "symlink", link=info.linkname))
        elif info.islnk():
            members.append(_Member(info.name, "hardlink", link=info.linkname))
        elif info.isfile():
            members.append(_Member(info.name, "file", open=partial(_tar_open, tf, info)))
        else:
            raise UnsafeArchiveError(f"{archive}: member {info.name!r} is a device or FIFO, not a file")
    return members


def _tar_open(tf: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    fh = tf.extractfile(info)
    if fh is None:
        raise ArchiveError(f"{tf.name!r}: member {info.name!r} has no data")
    return fh


def _rar_members(archive: Path, stack: ExitStack) -> list[_Member]:
    try:
        rf = stack.enter_context(rarfile.RarFile(archive))
    except rarfile.Error as exc:
        raise ArchiveError(f"{archive}: unreadable RAR archive: {exc}") from None
    if rf.needs_password():
        raise ArchiveError(f"{archive}: the RAR archive is password-protected")
    reader = _RarReader(archive, rf)
    members = []
    for info in rf.infolist():
        if info.file_redir:  # RAR5 links: (type, flags, target)
            copies = (rarfile.RAR5_XREDIR_HARD_LINK, rarfile.RAR5_XREDIR_FILE_COPY)
            kind: Kind = "hardlink" if info.file_redir[0] in copies else "symlink"
            members.append(_Member(info.filename, kind, link=info.file_redir[2]))
        elif info.is_symlink():  # RAR3 Unix symlink: the target is the member's data
            members.append(_Member(info.filename, "symlink", link=reader.read_small(info)))
        elif info.is_dir():
            members.append(_Member(info.filename, "dir"))
        else:
            members.append(_Member(info.filename, "file", open=partial(reader.open, info), crc32=info.CRC))
    return members


def require_rar_tool(context: str = "RAR archives") -> str:
    """The program that will decompress RAR members; `ArchiveToolError` naming them when none is.

    Call it before downloading RAR archives, so a missing tool fails in seconds, not after hours.
    """
    bsdtar = _rar_backend(context)
    return bsdtar if bsdtar is not None else str(rarfile.tool_setup().get_cmdline("check_cmd", None)[0])


def _rar_backend(context: str) -> str | None:
    """None when rarfile drives unrar, unar or 7z itself; else the path of bsdtar."""
    try:
        rarfile.tool_setup(bsdtar=False, force=True)
        return None
    except rarfile.RarCannotExec:
        bsdtar = shutil.which(rarfile.BSDTAR_TOOL)
        if bsdtar is None:
            raise ArchiveToolError(f"{context}: cannot decompress RAR: {RAR_TOOLS_HINT}") from None
        return bsdtar


class _RarReader:
    """Opens RAR members through rarfile, or through bsdtar when it is the only tool present."""

    def __init__(self, archive: Path, rf: rarfile.RarFile) -> None:
        self.archive, self.rf = archive, rf
        self._bsdtar: str | None = None
        self._checked = False

    def _choose_tool(self) -> None:
        if not self._checked:
            self._bsdtar = _rar_backend(str(self.archive))
            self._checked = True

    def read_small(self, info: rarfile.RarInfo) -> str:
        """A symlink's target: stored members are read by rarfile alone, without any tool."""
        if info.compress_type == rarfile.RAR_M0 and not info.needs_password():
            data = self.rf.read(info)
        else:
            with self.open(info) as fh:
                data = fh.read()
        return bytes(data).decode("utf-8", "replace")

    @contextmanager
    def open(self, info: rarfile.RarInfo) -> Iterator[IO[bytes]]:
        self._choose_tool()
        if self._bsdtar is None:
            try:
                with self.rf.open(info) as fh:
                    yield fh
            except rarfile.Error as exc:
                raise ArchiveError(f"{self.archive}: cannot extract {info.filename!r}: {exc}") from None
            return
        pattern = _GLOB_CHARS.sub(r"\\\1", info.filename)
        cmd = [self._bsdtar, "-x", "-O", "-f", str(self.archive), "--", pattern]
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty stderr cannot block
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors)
            try:
                yield cast(IO[bytes], proc.stdout)
            except BaseException:
                proc.kill()
                raise
            finally:
                cast(IO[bytes], proc.stdout).close()
                proc.wait()
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
        if proc.returncode != 0:
            raise ArchiveError(f"{self.archive}: bsdtar could not extract {info.filename!r}: {message}")


# -- planning ---------------------------------------------------------------------------------


def _relative(archive: Path, name: str) -> PurePosixPath | None:
    """The member's path relative to the target, or None for the root itself; refuses escapes."""
    raw = name.replace("\\", "/")
    if "\x00" in raw:
        raise UnsafeArchiveError(f"{archive}: member name {name!r} contains a NUL byte")
    if raw.startswith("/") or _DRIVE.match(raw):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} climbs out of the target with '..'")
    return PurePosixPath(*parts) if parts else None


def _plan(archive: Path, members: list[_Member], strip_common_root: bool) -> list[_Planned]:
    named = [(m, rel) for m in members if (rel := _relative(archive, m.name)) is not None]
    strip = strip_common_root and _has_common_root(named)
    final = {rel: PurePosixPath(*rel.parts[1:]) if strip else rel for _, rel in named}
    files = {rel for m, rel in named if m.kind == "file"}
    planned = []
    for member, rel in named:
        if strip and len(rel.parts) == 1:
            continue  # the common root folder itself
        link_rel = None
        if member.kind == "symlink":
            _check_symlink(archive, member, final[rel])
        elif member.kind == "hardlink":
            try:
                source = _relative(archive, member.link or "")
            except UnsafeArchiveError:
                source = None
            if source not in files:
                raise UnsafeArchiveError(
                    f"{archive}: hard link {member.name!r} targets {member.link!r}, not a file of the archive"
                )
            link_rel = final[source]
        planned.append(_Planned(member, final[rel], link_rel))
    return planned


def _has_common_root(named: list[tuple[_Member, PurePosixPath]]) -> bool:
    """True when all members lie under one top-level folder (a lone top-level file does not)."""
    roots = {rel.parts[0] for _, rel in named}
    return len(roots) == 1 and all(len(rel.parts) > 1 or m.kind == "dir" for m, rel in named)


def _check_symlink(archive: Path, member: _Member, rel: PurePosixPath) -> None:
    target = (member.link or "").replace("\\", "/")
    resolved = posixpath.normpath(posixpath.join(rel.parent.as_posix(), target))
    absolute = target.startswith("/") or _DRIVE.match(target)
    if not target or absolute or resolved == ".." or resolved.startswith("../"):
        where = f"points to {target!r}, outside the target"
        raise UnsafeArchiveError(f"{archive}: symlink {member.name!r} {where}")


# -- writing ----------------------------------------------------------------------------------


def _write(archive: Path, plan: list[_Planned], root: Path) -> dict[PurePosixPath, tuple[int, str]]:
    """Directories and files first, then hard links (copies), then symlinks."""
    root.mkdir(parents=True)
    written: dict[PurePosixPath, tuple[int, str]] = {}
    for item in plan:
        path = _inside(archive, root, item.rel)
        if item.member.kind == "dir":
            path.mkdir(parents=True, exist_ok=True)
        elif item.member.kind == "file":
            written[item.rel] = _write_file(archive, item.member, path)
    for item in plan:
        if item.member.kind == "hardlink" and item.link_rel is not None:
            if item.link_rel not in written:
                raise UnsafeArchiveError(f"{archive}: hard link {item.member.name!r} has no file to copy")
            path = _inside(archive, root, item.rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_inside(archive, root, item.link_rel), path)
            written[item.rel] = written[item.link_rel]
    for item in plan:
        if item.member.kind == "symlink":
            path = _inside(archive, root, item.rel)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(item.member.link or "")
    return written


def _inside(archive: Path, root: Path, rel: PurePosixPath) -> Path:
    path = root.joinpath(*rel.parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise UnsafeArchiveError(f"{archive}: member {rel.as_posix()!r} resolves outside the target")
    return path


def _write_file(archive: Path, member: _Member, path: Path) -> tuple[int, str]:
    if member.open is None:
        raise ArchiveError(f"{archive}: member {member.name!r} has no data")
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, crc, size = hashlib.sha256(), 0, 0
    with member.open() as src, open(path, "xb") as dst:
        while chunk := src.read(_CHUNK):
            dst.write(chunk)
            digest.update(chunk)
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    if member.crc32 is not None and crc != member.crc32:
        raise ArchiveError(f"{archive}: member {member.name!r} fails its CRC check (corrupt archive)")
    return size, digest.hexdigest()
