"""Read ing2gw's own YAML data files: the mapping tables and the finding codes.

They are read on every run that translates, so they go through the manifest loader's fast
composer (libyaml events, `load.parse_documents`), ~5× faster than ruamel's safe loader whose
per-scalar Python resolver dominated the start-up of a one-Ingress `convert`.
tests/test_datafile.py checks that every shipped data file reads the same as with ruamel's
safe loader. Each shipped file also comes parsed ahead of time (`ing2gw/_parsed_data`, written by
`python -m ing2gw.parsed_data`), used only for exactly the text it was generated from.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ing2gw.load import parse_documents


class DataFileError(ValueError):
    """A data file shipped with ing2gw is not valid YAML (a packaging or editing mistake)."""


def load_data(text: str, filename: str) -> Any:
    """The single document of data file `filename` (None when it is empty): built from the
    module generated ahead of time for exactly this text when there is one
    (`ing2gw.parsed_data`), else parsed."""
    maker = parsed(text, filename)
    return maker() if maker is not None else parse_data(text, filename)


def parsed_module(filename: str) -> str:
    """The module generated ahead of time for data file `filename` (as `load_data` is given it)."""
    stem = filename[:-len(".yaml")] if filename.endswith(".yaml") else filename
    return "ing2gw._parsed_data." + "".join(c if c.isascii() and c.isalnum() else "_" for c in stem)


def parsed(text: str, filename: str) -> Callable[[], Any] | None:
    """The generated maker of `filename`'s value when its text is exactly `text`, else None."""
    try:
        module = importlib.import_module(parsed_module(filename))
    except ModuleNotFoundError:
        return None
    maker: Callable[[], Any] | None = module.value if module.TEXT == text else None
    return maker


def parse_data(text: str, filename: str) -> Any:
    """The single document of `text`, parsed (None when it is empty)."""
    docs, problems = parse_documents(text, filename)
    if problems:
        raise DataFileError("; ".join(str(p) for p in problems))
    if len(docs) > 1:
        raise DataFileError(f"{filename}: expected one YAML document, found {len(docs)}")
    return docs[0][2] if docs else None
