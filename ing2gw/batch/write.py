"""Apply a migration plan, or show it as a diff.

Each file is written atomically: the new bytes go to a temporary file in the same folder,
which is flushed to disk and renamed over the old one. A run stopped at any point (Ctrl-C,
SIGKILL, a full disk) leaves every file either as it was or as planned, never half-written.
Changes are applied in plan order (new files, then kustomizations, then edits, then
deletions), so a run stopped part-way leaves kustomizations that still build.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ing2gw.batch.plan import FileChange
from ing2gw.errors import UsageError
from ing2gw.fsutil import atomic_write_bytes, unsafe_path
from ing2gw.outdir import TreeWrite, write_tree

#: writes `data` to `path` (None: deletes it); injectable so tests can interrupt a run
Writer = Callable[[Path, "bytes | None"], None]


def default_writer(path: Path, data: bytes | None) -> None:
    """Atomic write, or removal when `data` is None."""
    if data is None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    else:
        atomic_write_bytes(path, data)


def check_unchanged(root: Path, changes: Sequence[FileChange]) -> None:
    """Refuse to apply a plan when a file changed since it was planned, or when a path would
    lead out of the repository (a symbolic link on the way; the plan reports these, this is the
    last line of defence)."""
    for c in changes:
        reason = unsafe_path(root, c.path)
        if reason:
            raise UsageError(f"not writing {c.path}: {reason}; nothing was written")
    for c in changes:
        p = root / c.path
        try:
            current: bytes | None = p.read_bytes()
        except FileNotFoundError:
            current = None
        if current != c.old:
            raise UsageError(f"{c.path} changed since the migration was planned; run ing2gw migrate again")


def apply_changes(root: Path, changes: Sequence[FileChange], *, write: Writer = default_writer,
                  on_change: Callable[[FileChange], None] | None = None) -> None:
    """Apply `changes` under `root` in order (each file atomically)."""
    check_unchanged(root, changes)
    for c in changes:
        write(root / c.path, c.new)
        if on_change:
            on_change(c)


def write_out_dir(out_dir: Path, changes: Sequence[FileChange], extra: Mapping[str, bytes] | None = None, *,
                  force: bool = False) -> TreeWrite:
    """Mirror the changed and new files under `out_dir` (deleted files are only described).

    Uses the `--out-dir` convention of `ing2gw convert`: a folder ing2gw wrote before is
    refreshed, any other non-empty folder is refused unless `force`.
    """
    files = {c.path: c.new.decode("utf-8") for c in changes if c.new is not None}
    for k, v in (extra or {}).items():
        files[k] = v.decode("utf-8")
    # copies of repository files keep their bytes; generated files carry migrate's own header
    return write_tree(out_dir, files, force=force, stamped=False)


def unified_diff(changes: Sequence[FileChange], *, context: int = 3) -> str:
    """The plan as one unified diff (git style paths: a/..., b/..., /dev/null)."""
    out: list[str] = []
    for c in changes:
        old = _lines(c.old)
        new = _lines(c.new)
        a = "/dev/null" if c.old is None else f"a/{c.path}"
        b = "/dev/null" if c.new is None else f"b/{c.path}"
        body = list(difflib.unified_diff(old, new, a, b, n=context))
        if not body:
            continue
        for line in body:
            if line.endswith("\n"):
                out.append(line)
            else:
                out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)
