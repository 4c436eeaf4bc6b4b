"""Atomic file writes, shared by every mode that writes files (a leaf module)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

#: suffix of the temporary files; a run killed mid-write can leave one behind (migrate removes
#: them on its next run)
TEMP_SUFFIX = ".ing2gw.tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `data` atomically: readers see the old or the new file, never half of
    one. An existing file keeps its permission bits; a new one gets 0666 minus the umask (not
    the 0600 of a temporary file)."""
    atomic_write_chunks(path, (data,), fsync=fsync)


def atomic_write_chunks(path: Path, chunks: Iterable[bytes], *, fsync: bool = True) -> None:
    """`atomic_write_bytes` of the concatenated `chunks`, written as they come: a large file
    (a report of 10,000 Ingresses) is never one more copy in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write(path: Path, text: str, *, fsync: bool = False) -> None:
    """`atomic_write_bytes` for UTF-8 text with LF line ends."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def _inside(root_real: str, path_real: str) -> bool:
    return path_real == root_real or path_real.startswith(root_real.rstrip(os.sep) + os.sep)


def unsafe_path(root: Path, rel: str) -> str | None:
    """Why writing or deleting `rel` under `root` could touch something outside `root`, or None.

    Refused: an absolute path or a `..` component; a symbolic link on the way that resolves
    outside `root` (a symlinked sub-folder of an output tree, a `--platform-dir` symlinked out of
    the repository); and a symbolic link as the file itself (ing2gw never writes or deletes through
    one). A symlinked folder that stays inside `root` is followed like any folder.
    """
    if not rel or "\0" in rel:
        return "an empty path"
    posix = rel.replace(os.sep, "/")
    parts = posix.split("/")
    if posix.startswith("/") or os.path.isabs(rel) or ".." in parts:
        return f"{rel} is not a path inside {root}"
    root_real = os.path.realpath(root)
    current = str(root)
    for part in parts[:-1]:
        if part in ("", "."):
            continue
        current = os.path.join(current, part)
        if os.path.islink(current):
            target = os.path.realpath(current)
            if not _inside(root_real, target):
                return f"{current} is a symbolic link to {target}, outside {root}"
    full = os.path.join(str(root), *[p for p in parts if p not in ("", ".")])
    if os.path.islink(full):
        return f"{full} is a symbolic link (to {os.readlink(full)}); ing2gw never writes or deletes through one"
    if not _inside(root_real, os.path.realpath(os.path.dirname(full))):
        return f"{full} resolves outside {root}"
    return None
