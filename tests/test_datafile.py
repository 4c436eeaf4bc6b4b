"""ing2gw's own data files (mapping tables, finding codes) read by the fast loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ing2gw.datafile import DataFileError, load_data

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = sorted([*(ROOT / "mappings").rglob("*.yaml"), *(ROOT / "ing2gw" / "data").glob("*.yaml")])


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_data_file_reads_as_ruamels_safe_loader_reads_it(path: Path) -> None:
    # the loader was ruamel's safe loader; the fast composer must not change a single value
    text = path.read_text(encoding="utf-8")
    assert load_data(text, str(path)) == YAML(typ="safe").load(text)


def test_there_are_data_files() -> None:
    names = {p.name for p in DATA_FILES}
    assert {"ingress-nginx.yaml", "controllers.yaml", "intents.yaml", "codes-core.yaml"} <= names


def test_broken_or_multi_document_files_are_refused() -> None:
    with pytest.raises(DataFileError, match=r"x\.yaml:\d+: invalid YAML"):
        load_data("a: 1\nb: [\n", "x.yaml")
    with pytest.raises(DataFileError, match="expected one YAML document, found 2"):
        load_data("a: 1\n---\nb: 2\n", "x.yaml")
    assert load_data("", "empty.yaml") is None
