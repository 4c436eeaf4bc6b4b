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


def test_the_cache_gives_back_what_the_parser_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ing2gw import datafile

    text = (ROOT / "mappings" / "ingress-nginx.yaml").read_text(encoding="utf-8")
    parsed = load_data(text, "ingress-nginx.yaml")
    monkeypatch.setattr(datafile, "CACHE_DIR", tmp_path / "cache")
    assert load_data(text, "ingress-nginx.yaml") == parsed  # a miss: parsed and kept
    [entry] = (tmp_path / "cache").iterdir()
    monkeypatch.setattr(datafile, "_parse", lambda *_: pytest.fail("a hit must not parse"))
    assert load_data(text, "ingress-nginx.yaml") == parsed
    # another text is another entry; an unreadable entry is parsed again (and rewritten)
    monkeypatch.undo()
    monkeypatch.setattr(datafile, "CACHE_DIR", tmp_path / "cache")
    assert load_data("a: 1\n", "x.yaml") == {"a": 1}
    assert len(list((tmp_path / "cache").iterdir())) == 2
    entry.write_text("{not json")
    assert load_data(text, "ingress-nginx.yaml") == parsed
    assert entry.read_text().startswith('{"data":')


def test_data_json_would_change_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ing2gw import datafile

    monkeypatch.setattr(datafile, "CACHE_DIR", tmp_path)
    import math

    # NaN is not equal to itself: the check that JSON gives the data back refuses it
    assert math.isnan(load_data("a: .nan\n", "x.yaml")["a"])
    assert list(tmp_path.iterdir()) == []
    assert load_data("a: .inf\n", "x.yaml") == {"a": math.inf}
    assert len(list(tmp_path.iterdir())) == 1  # the same check passes what JSON gives back


def test_an_unwritable_cache_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ing2gw import datafile

    (tmp_path / "file").write_text("")
    monkeypatch.setattr(datafile, "CACHE_DIR", tmp_path / "file" / "cache")  # a file in the way
    assert load_data("a: [1, 2]\n", "x.yaml") == {"a": [1, 2]}


def test_the_tables_are_found_in_the_wheels_folder_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from ing2gw import mappings

    (tmp_path / "pkg" / "_mappings").mkdir(parents=True)
    (tmp_path / "pkg" / "_mappings" / "controllers.yaml").write_text("{}\n")
    monkeypatch.setattr(mappings, "__file__", str(tmp_path / "pkg" / "mappings.py"))
    assert mappings.mappings_dir() == tmp_path / "pkg" / "_mappings"
    # neither folder: importlib.resources, else a path whose tables table() reports missing
    (tmp_path / "pkg" / "_mappings" / "controllers.yaml").unlink()
    assert mappings.mappings_dir() is not None


def test_the_codes_are_found_by_area_and_all_of_them_by_name() -> None:
    from ing2gw import findings

    assert findings.code_info("ING2GW-CORE-031") is findings.codes()["ING2GW-CORE-031"]
    assert findings.code_info("ING2GW-CERT-001") is not None  # declared in codes-ecosystem.yaml
    assert findings.code_info("ING2GW-CORE-999") is None
    assert findings.code_info("nonsense") is None
