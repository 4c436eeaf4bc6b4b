"""A `migrate --in-place` run that stops part-way, and the run that finishes it.

MIGRATION.md describes the whole change for its pull request. It is written before the first
file changes, with a journal at its end: the SHA-256 of every file the run will write (or
`deleted`); once every file is written, it is written again without the journal. A later run
that finds the journal and would bring the repository to exactly that state (each file it
changes becomes what the journal says, every other journalled file already is) is the same
migration finished: it keeps the stopped run's description instead of describing only the
files that were left. Any other difference (the repository changed meanwhile) makes it a new
migration with its own description.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Mapping, Sequence

from ing2gw.batch.plan import FileChange
from ing2gw.fsutil import unsafe_path

JOURNAL_START = "<!-- ing2gw migrate: unfinished."
_DELETED = "deleted"


def _digest(data: bytes | None) -> str:
    return _DELETED if data is None else hashlib.sha256(data).hexdigest()


def journal(changes: Sequence[FileChange]) -> dict[str, str]:
    """path -> SHA-256 of the content the change writes, or `deleted`."""
    return {c.path: _digest(c.new) for c in changes}


def with_journal(text: str, entries: Mapping[str, str]) -> str:
    """MIGRATION.md's text followed by the journal (an HTML comment: invisible when rendered)."""
    lines = [f"{JOURNAL_START} A run stopped before it wrote every file; run the same command again to finish",
             "it. The files it writes (SHA-256 of the new content, or deleted):"]
    # JSON strings, with '>' escaped so that no path can end the comment
    lines += [f"{digest} {json.dumps(path).replace('>', chr(92) + 'u003e')}" for path, digest in sorted(entries.items())]
    return text + "\n".join(lines) + "\n-->\n"


def split_journal(text: str) -> tuple[str, dict[str, str] | None]:
    """(MIGRATION.md's text, the journal of an unfinished run or None)."""
    at = text.find("\n" + JOURNAL_START)
    if at == -1:
        return text, None
    body, tail = text[:at + 1], text[at + 1:]
    entries: dict[str, str] = {}
    for line in tail.splitlines()[2:]:
        if line == "-->":
            return body, entries
        digest, _, quoted = line.partition(" ")
        try:
            path = json.loads(quoted)
        except json.JSONDecodeError:
            return text, None
        if not isinstance(path, str):
            return text, None
        entries[path] = digest
    return text, None  # no end: not ing2gw's journal


def finishes(entries: Mapping[str, str], changes: Sequence[FileChange], root: Path) -> bool:
    """Whether applying `changes` brings every journalled file to the journal's state, and
    changes nothing else (the same migration, finished)."""
    planned = journal(changes)
    if any(entries.get(path) != digest for path, digest in planned.items()):
        return False
    for path, digest in entries.items():
        if path in planned:
            continue
        if unsafe_path(root, path):
            return False
        try:
            current: bytes | None = (root / path).read_bytes()
        except FileNotFoundError:
            current = None
        except OSError:
            return False
        if _digest(current) != digest:
            return False
    return True
