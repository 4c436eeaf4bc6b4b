"""The dataclass methods compiled ahead of time (ing2gw/fastclasses.py) are current, are the very
code `dataclasses` would compile, and are what ing2gw's classes actually use."""

from __future__ import annotations

import dataclasses
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ing2gw
from ing2gw import fastclasses

FOLDER = Path(ing2gw.__file__).resolve().parent / "_dataclass_methods"


def _tables() -> dict[str, dict[str, object]]:
    out = {}
    for path in sorted(FOLDER.glob("*.py")):
        if path.name != "__init__.py":
            out[path.stem] = importlib.import_module(f"ing2gw._dataclass_methods.{path.stem}").TABLE
    return out


def test_tables_are_current() -> None:
    """Regenerating the tables in a fresh interpreter gives the files on disk: a class added or
    changed without `python -m ing2gw.fastclasses` would only be slower, but it is caught here."""
    code = "import json, ing2gw.fastclasses as f; print(json.dumps(f.generate()))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    import json

    wanted = json.loads(r.stdout)
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.py")}
    stale = sorted(set(wanted) ^ set(on_disk) | {n for n in wanted if n in on_disk and wanted[n] != on_disk[n]})
    assert not stale, f"ing2gw/_dataclass_methods is stale ({', '.join(stale[:5])}): run python -m ing2gw.fastclasses"


def test_each_entry_is_the_code_of_its_text() -> None:
    """A table function compiles from exactly its key's text: the same byte code, names and
    constants as `exec` of the text gives (so a hit changes nothing but who compiled it)."""
    checked = 0
    for table in _tables().values():
        for text, maker in table.items():
            ns: dict[str, object] = {}
            exec(compile(text, "<string>", "exec", dont_inherit=True), {}, ns)  # no __future__ of ours
            want, got = ns["__create_fn__"].__code__, maker.__code__  # type: ignore[attr-defined]
            assert got.co_code == want.co_code and got.co_varnames == want.co_varnames
            inner_want = [c for c in want.co_consts if hasattr(c, "co_code")]
            inner_got = [c for c in got.co_consts if hasattr(c, "co_code")]
            assert [(c.co_code, c.co_names, c.co_varnames, c.co_consts) for c in inner_got] == \
                   [(c.co_code, c.co_names, c.co_varnames, c.co_consts) for c in inner_want]
            checked += 1
    assert checked > 500  # every module's classes, not an empty folder


@pytest.mark.skipif(sys.version_info[:2] not in fastclasses._VERSIONS, reason="tables used on 3.11/3.12 only")
def test_convert_defines_every_class_from_the_tables(tmp_path: Path) -> None:
    """After a one-Ingress `convert`, every dataclass of every ing2gw module loaded has methods
    from the tables (none compiled at start), and they behave as dataclass methods."""
    one = tmp_path / "one.yaml"
    one.write_text(textwrap.dedent("""\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web, namespace: shop}
        spec:
          ingressClassName: nginx
          rules:
          - host: shop.example.com
            http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
        """))
    code = textwrap.dedent(f"""\
        import dataclasses, sys, io, contextlib
        from ing2gw.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["convert", "-f", {str(one)!r}])
            except SystemExit:
                pass
        compiled, classes = [], 0
        for name, mod in list(sys.modules.items()):
            if not name.startswith("ing2gw.") or name.startswith("ing2gw._dataclass_methods"):
                continue
            for obj in list(vars(mod).values()):
                if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == name:
                    classes += 1
                    init = obj.__dict__.get("__init__")
                    if init is not None and "_dataclass_methods" not in init.__code__.co_filename:
                        compiled.append(obj.__qualname__)
        print(classes, compiled)
        """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    classes, compiled = r.stdout.strip().split(" ", 1)
    assert int(classes) > 50
    assert compiled == "[]"


def test_methods_from_the_table_behave_as_dataclass_methods() -> None:
    from ing2gw.ir import PathMatch, SecretRef

    assert "_dataclass_methods" in PathMatch.__init__.__code__.co_filename
    a, b = PathMatch("PathPrefix", "/a"), PathMatch(type="PathPrefix", value="/a")
    assert a == b and hash(a) == hash(b) and a != PathMatch("Exact", "/a")
    assert repr(a) == "PathMatch(type='PathPrefix', value='/a')"
    assert dataclasses.replace(a, value="/b") == PathMatch("PathPrefix", "/b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.value = "/c"  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'value'"):
        PathMatch("Exact")  # type: ignore[call-arg]
    s = SecretRef("ns", "tls")
    assert s == SecretRef("ns", "tls") and {s: 1}[SecretRef("ns", "tls")] == 1
