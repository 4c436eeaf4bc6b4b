"""Read ing2gw's own YAML data files: the mapping tables and the finding codes.

They are read on every run that translates, so they go through the manifest loader's fast
composer (libyaml events, `load.parse_documents`), ~5× faster than ruamel's safe loader whose
per-scalar Python resolver dominated the start-up of a one-Ingress `convert`.
tests/test_datafile.py checks that every shipped data file reads the same as with ruamel's
safe loader.

Even so, composing the tables a one-Ingress `convert` reads (~170 KB of YAML) was an eighth of
its instructions. With `CACHE_DIR` set (the CLI sets it: $ING2GW_CACHE_DIR, else
$XDG_CACHE_HOME/ing2gw or ~/.cache/ing2gw), each file's data is also kept there as JSON, named by
the SHA-256 of the file's text and of the loader's identity, and read back with the C JSON
parser (~50× faster). A file whose data JSON would not give back exactly is never kept; a cache
entry that cannot be read is ignored; a cache that cannot be written is not an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: where parsed data files are kept between runs (None: not kept; the library's default)
CACHE_DIR: Path | None = None
#: bump when what load_data returns for the same text changes in a way load.py's identity
#: (its size and modification time, part of every key) would not show
CACHE_FORMAT = 1


class DataFileError(ValueError):
    """A data file shipped with ing2gw is not valid YAML (a packaging or editing mistake)."""


def load_data(text: str, filename: str) -> Any:
    """The single document of data file `filename` (None when it is empty)."""
    entry = _cache_entry(text) if CACHE_DIR is not None else None
    if entry is not None:
        try:
            with open(entry, "rb") as f:
                return json.loads(f.read())["data"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not there yet, or unreadable: parse, and keep it
    data = _parse(text, filename)
    if entry is not None:
        _keep(entry, data)
    return data


def _parse(text: str, filename: str) -> Any:
    from ing2gw.load import parse_documents

    docs, problems = parse_documents(text, filename)
    if problems:
        raise DataFileError("; ".join(str(p) for p in problems))
    if len(docs) > 1:
        raise DataFileError(f"{filename}: expected one YAML document, found {len(docs)}")
    return docs[0][2] if docs else None


def _cache_entry(text: str) -> Path | None:
    import hashlib

    assert CACHE_DIR is not None
    try:
        loader = Path(__file__).with_name("load.py").stat()
    except OSError:
        return None
    key = hashlib.sha256(f"{CACHE_FORMAT}\0{loader.st_size}\0{loader.st_mtime_ns}\0".encode() + text.encode())
    return CACHE_DIR / f"data-{key.hexdigest()}.json"


def _keep(entry: Path, data: Any) -> None:
    try:
        encoded = json.dumps({"data": data}, ensure_ascii=False, separators=(",", ":"))
        if json.loads(encoded)["data"] != data:
            return  # JSON would not give it back exactly (a date, a non-string key): never cached
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        tmp.write_text(encoded, encoding="utf-8")
        os.replace(tmp, entry)  # readers see the whole entry or none
    except (OSError, TypeError, ValueError):
        pass
