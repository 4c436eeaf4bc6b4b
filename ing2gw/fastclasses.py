"""Dataclass methods compiled ahead of time, so that defining ing2gw's dataclasses is cheap.

Python 3.11's `dataclasses` writes each generated method (`__init__`, `__repr__`, `__eq__`,
`__hash__`, a frozen class's `__setattr__`/`__delattr__`) as source text and compiles it with
`exec` every time a class is defined: ~3.5 M instructions per class, and a one-Ingress `convert`
defines ~77 of them (about a third of its whole run). The byte code of a module, on the other
hand, is compiled once and kept in its `.pyc`.

So `ing2gw/_dataclass_methods/` holds those very texts (one module per defining module), generated from ing2gw's own classes
(`python -m ing2gw.fastclasses`), as ordinary functions, and `install()` has `dataclasses` take
the function compiled from the identical text instead of compiling it again. The lookup key is
the complete text that `dataclasses` would compile, so a hit is the same code by construction;
anything else (a class added or changed since the table was generated, another library's
class, another Python version) misses and is compiled as before. It writes no file at run
time: the table is part of the package, like any module. Only classes defined in ing2gw's own
modules are looked up (`tests/test_fastclasses.py` checks the table is current).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

#: Python versions whose `dataclasses._create_fn` builds the text as `_text` does
_VERSIONS = ((3, 11), (3, 12))

_installed = False


def _text(name: str, args: Any, body: Any, locals: dict[str, Any], has_return: bool) -> str:
    """The source `dataclasses._create_fn` (3.11, 3.12) compiles for these arguments."""
    annotation = "->_return_type" if has_return else ""
    lines = "\n".join(f"  {b}" for b in body)
    inner = f" def {name}({','.join(args)}){annotation}:\n{lines}"
    return f"def __create_fn__({', '.join(locals.keys())}):\n{inner}\n return {name}"


def _table_module(module: str) -> str:
    """The generated module holding the methods of `module`'s dataclasses."""
    return "ing2gw._dataclass_methods." + module.replace(".", "_")


def install() -> None:
    """Route ing2gw's dataclass method creation through the precompiled tables (idempotent; a
    no-op on a Python whose `dataclasses` works otherwise)."""
    global _installed
    if _installed or sys.version_info[:2] not in _VERSIONS:
        return
    import dataclasses

    found_original = getattr(dataclasses, "_create_fn", None)
    if found_original is None:
        return
    original: Callable[..., Callable[..., Any]] = found_original
    import importlib

    missing = dataclasses.MISSING
    tables: dict[str, dict[str, Callable[..., Any]]] = {}

    def table(module: str) -> dict[str, Callable[..., Any]]:
        # one small module per defining module: a run loads the methods of the classes it defines
        found = tables.get(module)
        if found is None:
            try:
                found = importlib.import_module(_table_module(module)).TABLE
            except ModuleNotFoundError:
                found = {}
            tables[module] = found
        return found

    def create_fn(name: str, args: Any, body: Any, *, globals: dict[str, Any] | None = None,
                  locals: dict[str, Any] | None = None, return_type: Any = missing) -> Callable[..., Any]:
        module = (globals or {}).get("__name__", "")
        if not module.startswith("ing2gw."):
            return original(name, args, body, globals=globals, locals=locals, return_type=return_type)
        locals = {} if locals is None else locals
        if return_type is not missing:
            locals["_return_type"] = return_type  # as dataclasses does, before the text
        maker = table(module).get(_text(name, args, body, locals, return_type is not missing))
        if maker is None:
            return original(name, args, body, globals=globals, locals=locals, return_type=return_type)
        fn: Callable[..., Any] = maker(**locals)
        fn.__module__ = module
        return fn

    dataclasses._create_fn = create_fn  # type: ignore[attr-defined]
    _installed = True


def generate() -> dict[str, str]:
    """The generated table modules (file name -> text): every method text of ing2gw's
    dataclasses, per defining module, found by importing all of ing2gw's modules with
    `dataclasses` recording them."""
    import dataclasses
    import importlib
    import pkgutil
    from pathlib import Path

    texts: dict[str, set[str]] = {}
    original = dataclasses._create_fn  # type: ignore[attr-defined]

    def record(name: str, args: Any, body: Any, *, globals: dict[str, Any] | None = None,
               locals: dict[str, Any] | None = None, return_type: Any = dataclasses.MISSING) -> Any:
        module = (globals or {}).get("__name__", "")
        if module.startswith("ing2gw."):
            shown = dict(locals or {})
            if return_type is not dataclasses.MISSING:
                shown["_return_type"] = return_type
            texts.setdefault(module, set()).add(_text(name, args, body, shown, return_type is not dataclasses.MISSING))
        return original(name, args, body, globals=globals, locals=locals, return_type=return_type)

    if any(m.startswith("ing2gw.") for m in sys.modules if not m.startswith(_SELF)):
        raise SystemExit("run as `python -m ing2gw.fastclasses` in a fresh interpreter")
    dataclasses._create_fn = record  # type: ignore[attr-defined]
    try:
        for info in pkgutil.walk_packages([str(Path(__file__).resolve().parent)], "ing2gw."):
            if info.name.startswith(_SELF) or info.name.endswith(".__main__"):
                continue
            importlib.import_module(info.name)
    finally:
        dataclasses._create_fn = original  # type: ignore[attr-defined]
    files = {"__init__.py": '"""Generated by `python -m ing2gw.fastclasses`: do not edit (see ing2gw/fastclasses.py)."""\n'}
    for module, found in sorted(texts.items()):
        out = [f'"""Generated by `python -m ing2gw.fastclasses` from {module}: do not edit.',
               "",
               "Each function is the text `dataclasses` compiles for one method of a dataclass of",
               f'{module}, compiled once into byte code; TABLE maps the text to it."""',
               "# ruff: noqa", "# mypy: ignore-errors", "", "TABLE = {}", ""]
        for text in sorted(found):
            out.append(text)  # verbatim: the same name, so the same code as dataclasses' exec
            out.append(f"TABLE[{text!r}] = __create_fn__")
            out.append("")
        files[_table_module(module).rsplit(".", 1)[1] + ".py"] = "\n".join(out)
    return files


_SELF = ("ing2gw.fastclasses", "ing2gw._dataclass_methods", "ing2gw.__main__")


def main() -> None:
    """Rewrite ing2gw/_dataclass_methods/ from the current classes."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent / "_dataclass_methods"
    files = generate()
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.py"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
