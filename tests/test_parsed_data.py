"""The data files parsed ahead of time (ing2gw/parsed_data.py) are current, give exactly what
parsing gives, and are used only for the very text they were generated from."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import ing2gw
from ing2gw.datafile import load_data, parse_data, parsed, parsed_module

FOLDER = Path(ing2gw.__file__).resolve().parent / "_parsed_data"


def _same(a: object, b: object) -> bool:
    """Equal with the same types all the way down (1 == 1.0 == True would hide a wrong literal)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_modules_are_current() -> None:
    code = "import json, ing2gw.parsed_data as p; print(json.dumps(p.generate()))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    import json

    wanted = json.loads(r.stdout)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.py")}
    stale = sorted(set(wanted) ^ set(on_disk) | {n for n in wanted if n in on_disk and wanted[n] != on_disk[n]})
    assert not stale, f"ing2gw/_parsed_data is stale ({', '.join(stale[:5])}): run python -m ing2gw.parsed_data"


def test_each_module_gives_what_parsing_gives() -> None:
    checked = 0
    for path in sorted(FOLDER.glob("*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"ing2gw._parsed_data.{path.stem}")
        filename = module.__doc__.split(" from ", 1)[1].split(":", 1)[0]
        assert parsed_module(filename) == module.__name__
        assert _same(module.value(), parse_data(module.TEXT, filename)), filename
        assert module.value() is not module.value()  # a fresh value each time: callers may change it
        checked += 1
    assert checked >= 20


def test_other_text_is_parsed() -> None:
    """An edited file (or one another version generated) is parsed, never read stale."""
    module = importlib.import_module(parsed_module("mappings/controllers.yaml"))
    edited = module.TEXT + "\nextra-key-for-the-test: 1\n"
    assert parsed(edited, "mappings/controllers.yaml") is None
    assert load_data(edited, "mappings/controllers.yaml")["extra-key-for-the-test"] == 1
    assert parsed(module.TEXT, "mappings/controllers.yaml") is not None
    assert parsed("a: 1\n", "mappings/no-such-table.yaml") is None
    assert load_data("a: 1\n", "mappings/no-such-table.yaml") == {"a": 1}


def test_the_generator_refuses_an_invalid_mapping_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A prepared table is trusted without a second check at run time (`mappings.table`), so
    the generator must refuse to prepare one that the schema rejects."""
    import shutil

    from ing2gw import mappings, parsed_data
    from ing2gw.mapping_schema import TableError

    shutil.copytree(Path(str(mappings.mappings_dir())), tmp_path / "m")
    path = tmp_path / "m" / "targets" / "gke.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("- intent: cors\n", "- intent: cors\n  colour: red\n", 1),
                    encoding="utf-8")
    monkeypatch.setattr(mappings, "mappings_dir", lambda: tmp_path / "m")
    mappings.table.cache_clear()
    try:
        with pytest.raises(TableError, match=r"mappings/targets/gke.yaml:\d+: intent cors: unknown columns"):
            parsed_data.generate()
    finally:
        mappings.table.cache_clear()


def test_a_prepared_table_is_the_validated_table() -> None:
    """Every shipped table that has a schema passes it (what the generator checked)."""
    from ing2gw import mappings

    module = importlib.import_module(parsed_module("mappings/targets/envoy-gateway.yaml"))
    mappings.validate("targets/envoy-gateway", module.TEXT, module.value(), "mappings/targets/envoy-gateway.yaml")
    assert mappings.table("targets/envoy-gateway") == module.value()
