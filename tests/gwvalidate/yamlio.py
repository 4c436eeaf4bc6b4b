"""Reading manifests as kubectl sends them: YAML 1.1 (PyYAML, like go-yaml v2), timestamps kept
as strings, integral floats become integers (the YAML -> JSON step), `kind: List` expanded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import yaml  # type: ignore[import-untyped]


class InputError(Exception):
    """A file that cannot be read or parsed: reported with file:line, never a traceback."""


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """SafeLoader without the timestamp resolver; remembers duplicate keys."""

    dup_keys: list[tuple[str, int]]


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in _Base.yaml_implicit_resolvers.items()}


def _mapping(loader: _Loader, node: Any) -> Any:
    seen: set[str] = set()
    for k, _ in node.value:
        if isinstance(k, yaml.ScalarNode):
            if k.value in seen:
                loader.dup_keys.append((k.value, k.start_mark.line + 1))
            seen.add(k.value)
    return loader.construct_mapping(node)


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def load_documents(path: Path) -> list[tuple[Any, list[tuple[str, int]]]]:
    """[(document, [(duplicate key, line)])]; InputError with file:line for bad input."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read ({e})") from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{e.lineno}: JSON syntax error: {e.msg}") from None
        return [(d, []) for d in (data if isinstance(data, list) else [data])]
    out, loader = [], _Loader(text)
    try:
        while loader.check_data():
            loader.dup_keys = []
            out.append((loader.get_data(), loader.dup_keys))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"{where}: YAML syntax error: {getattr(e, 'problem', None) or e}") from None
    finally:
        loader.dispose()
    return out


def expand(doc: Any, docid: str) -> Iterator[tuple[str, Any]]:
    """(id, object) for a document: List kinds and golden/case files' `manifests` are expanded."""
    if isinstance(doc, dict) and "kind" not in doc and isinstance(doc.get("manifests"), list):
        for i, item in enumerate(doc["manifests"]):
            yield from expand(item, f"{docid}.manifests[{i}]")
    elif isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        for i, item in enumerate(doc["items"]):
            yield from expand(item, f"{docid}.items[{i}]")
    elif doc is not None:
        yield docid, doc


def as_json(x: Any) -> Any:
    """A deep copy as the API server receives it: map keys are strings, 1.0 is 1."""
    if isinstance(x, dict):
        return {k if isinstance(k, str) else json.dumps(k, default=str): as_json(v) for k, v in x.items()}
    if isinstance(x, list):
        return [as_json(v) for v in x]
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def input_files(paths: list[Path]) -> Iterator[Path]:
    """The files to validate: folders are searched for *.yaml, *.yml and *.json, sorted."""
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".json") and f.is_file())
        else:
            yield p
