"""Write-aside-then-rename, so a failed or interrupted run leaves the previous output intact."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _sibling(path: Path, tag: str) -> Path:
    return path.with_name(f".{path.name}.{tag}-{uuid.uuid4().hex[:8]}")


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` (file or folder) that replaces ``path`` on success.

    The caller writes to the yielded path. When the block raises, the temporary is removed and
    ``path`` is untouched. When it succeeds, the old ``path`` (if any) is moved aside, the new one
    renamed into place, and the old one deleted: at no moment is ``path`` half-written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, "tmp")
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if not tmp.exists():
        raise FileNotFoundError(f"{tmp}: nothing was written for {target}")
    old = _sibling(target, "old") if target.exists() or target.is_symlink() else None
    if old is not None:
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary sibling."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
