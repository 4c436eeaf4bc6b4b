"""Atomic file writes, shared by every mode that writes files (a leaf module)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

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
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
