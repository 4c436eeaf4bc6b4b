"""Kustomize awareness for `ing2gw migrate`: read kustomizations, find patches that target an
Ingress, and add or drop `resources:` entries without touching any other byte.

Kustomizations are read with the fast loader (values) and the libyaml event stream (the line
and column of each `resources:` entry and patch). An edit inserts or deletes whole `- entry`
lines of the `resources:` block sequence at those positions, so comments, quoting and the rest
of the file stay as they were. Only a flow-style `resources: [a, b]` is rewritten, by
ruamel.yaml round-trip, as a whole document.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from io import StringIO
from typing import Any, Callable, Iterable

from ing2gw.batch.docs import rt_yaml
from ing2gw.serialize import to_yaml

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)", re.IGNORECASE)
_KIND_INGRESS = re.compile(r"^kind:\s*[\"']?Ingress[\"']?\s*(?:#.*)?$", re.MULTILINE)


def is_kustomization(name: str) -> bool:
    return name in KUSTOMIZATION_NAMES


def mentions_ingress(text: str) -> bool:
    """Cheap test: does a YAML text hold a top-level `kind: Ingress`?"""
    return _KIND_INGRESS.search(text) is not None


@dataclass(frozen=True, slots=True)
class Entry:
    """One `resources:` (or `components:`) entry."""

    value: str  # as written
    path: str | None  # repository-relative, normalised; None when remote or outside the repository
    line: int  # 0-based line of the entry
    col: int  # column of the value


@dataclass(frozen=True, slots=True)
class IngressPatch:
    """A patch in a kustomization that targets Ingress objects."""

    line: int  # 1-based line of the patch entry in the kustomization
    field: str  # patches, patchesStrategicMerge, patchesJson6902, replacements
    names: tuple[str, ...] | None  # Ingress names (regular expressions, as kustomize reads them); None: any
    patch_file: str | None  # repository-relative file holding the patch, if any


@dataclass
class Kustomization:
    """What `ing2gw migrate` needs to know about one kustomization file."""

    path: str  # repository-relative path of the kustomization file
    text: str
    namespace: str | None = None
    resources: list[Entry] = field(default_factory=list)
    components: list[Entry] = field(default_factory=list)  # components and the deprecated bases
    flow_resources: bool = False
    patch_files: set[str] = field(default_factory=set)
    ingress_patches: list[IngressPatch] = field(default_factory=list)

    @property
    def dir(self) -> str:
        return posixpath.dirname(self.path)

    def lists(self, path: str) -> Entry | None:
        for e in self.resources:
            if e.path == path:
                return e
        return None


class KustomizationError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def resolve(base_dir: str, value: str) -> str | None:
    """A kustomization entry as a repository-relative path (None: remote, or outside the repository)."""
    if not value or _REMOTE.match(value) or value.startswith("/"):
        return None
    p = posixpath.normpath(posixpath.join(base_dir, value))
    if p == ".." or p.startswith("../"):
        return None
    return "" if p == "." else p


def _events(text: str) -> Iterable[Any]:
    try:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - the C extension ships with ruamel.yaml.clib
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)
    while parser.check_event():
        yield parser.get_event()


def _positions(text: str) -> dict[str, tuple[bool, list[tuple[int, int]]]]:
    """Top-level key -> (flow style, [(0-based line, column) of each item]) for sequence values."""
    out: dict[str, tuple[bool, list[tuple[int, int]]]] = {}
    depth = 0
    key: str | None = None
    expect_key = False
    current: list[tuple[int, int]] | None = None
    for ev in _events(text):
        name = type(ev).__name__
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            if depth == 1 and not expect_key and key is not None and name == "SequenceStartEvent":
                current = []
                out[key] = (bool(ev.flow_style), current)
            elif depth == 2 and current is not None:
                current.append((ev.start_mark.line, ev.start_mark.column))
            depth += 1
            expect_key = name == "MappingStartEvent" and depth == 1
            continue
        if name in ("MappingEndEvent", "SequenceEndEvent"):
            depth -= 1
            if depth == 1:
                current = None
                expect_key = True
            continue
        if depth == 1 and name in ("ScalarEvent", "AliasEvent"):
            if expect_key:
                key = getattr(ev, "value", None)
            expect_key = not expect_key
        elif depth == 2 and current is not None and name in ("ScalarEvent", "AliasEvent"):
            current.append((ev.start_mark.line, ev.start_mark.column))
    return out


def parse_kustomization(path: str, text: str, read: Callable[[str], str | None]) -> Kustomization:
    """Read a kustomization. `read(rel_path)` returns a repository file's text (patch files), or None.

    Raises KustomizationError when the file is not a YAML mapping.
    """
    from ing2gw.load import parse_documents

    docs, problems = parse_documents(text, path)
    if problems:
        raise KustomizationError(problems[0].line, problems[0].message)
    data = docs[0][2] if docs else {}
    if not isinstance(data, dict):
        raise KustomizationError(1, "a kustomization must be a mapping")
    try:
        pos = _positions(text)
    except Exception as exc:  # pragma: no cover - parse_documents accepted the text
        raise KustomizationError(0, f"invalid YAML: {exc}") from None
    k = Kustomization(path=path, text=text)
    base = k.dir
    ns = data.get("namespace")
    k.namespace = str(ns) if isinstance(ns, str) and ns else None
    for key, out in (("resources", k.resources), ("components", k.components), ("bases", k.components)):
        seq = data.get(key)
        if not isinstance(seq, list):
            continue
        flow, items = pos.get(key, (False, []))
        if key == "resources":
            k.flow_resources = flow
        for i, v in enumerate(seq):
            if not isinstance(v, str):
                continue
            ln, col = items[i] if i < len(items) else (-1, -1)
            out.append(Entry(v, resolve(base, v), ln, col))
    _patches(k, data, read, {key: [ln + 1 for ln, _ in items] for key, (_, items) in pos.items()})
    return k


def _docs(text: str) -> list[Any]:
    from ing2gw.load import parse_documents

    docs, _ = parse_documents(text, "<patch>")
    return [d for _, _, d in docs]


def _ingress_names(docs: Iterable[Any]) -> tuple[str, ...]:
    names = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "Ingress":
            md = d.get("metadata")
            names.append(str((md.get("name") if isinstance(md, dict) else None) or ".*"))
    return tuple(names)


def _kind_is_ingress(kind: Any) -> bool:
    if not isinstance(kind, str) or not kind:
        return False
    if kind == "Ingress":
        return True
    try:
        return re.fullmatch(kind, "Ingress") is not None  # kustomize reads target fields as regexes
    except re.error:
        return False


def _target_names(target: Any) -> tuple[str, ...] | None:
    name = target.get("name") if isinstance(target, dict) else None
    return (str(name),) if name else None


def _patches(k: Kustomization, data: dict[str, Any], read: Callable[[str], str | None],
             lines: dict[str, list[int]]) -> None:
    base = k.dir

    def _item_line(key: str, i: int) -> int:
        ls = lines.get(key) or []
        return ls[i] if i < len(ls) else 0

    def content(entry_path: str | None, inline: Any) -> tuple[str | None, str | None]:
        if isinstance(inline, str):
            return None, inline
        if isinstance(entry_path, str):
            rel = resolve(base, entry_path)
            if rel is not None:
                k.patch_files.add(rel)
                return rel, read(rel)
        return None, None

    seq = data.get("patches")
    if isinstance(seq, list):
        for i, p in enumerate(seq):
            if not isinstance(p, dict):
                continue
            rel, text = content(p.get("path"), p.get("patch"))
            target = p.get("target")
            if isinstance(target, dict) and target.get("kind"):
                if _kind_is_ingress(target.get("kind")):
                    k.ingress_patches.append(IngressPatch(_item_line("patches", i), "patches", _target_names(target), rel))
                continue
            names = _ingress_names(_docs(text)) if text and mentions_ingress(text) else ()
            if names:
                k.ingress_patches.append(IngressPatch(_item_line("patches", i), "patches", names, rel))
    seq = data.get("patchesStrategicMerge")
    if isinstance(seq, list):
        for i, p in enumerate(seq):
            if not isinstance(p, str):
                continue
            inline = "\n" in p or ":" in p
            rel, text = content(None if inline else p, p if inline else None)
            names = _ingress_names(_docs(text)) if text and mentions_ingress(text) else ()
            if names:
                k.ingress_patches.append(IngressPatch(_item_line("patchesStrategicMerge", i), "patchesStrategicMerge", names, rel))
    seq = data.get("patchesJson6902")
    if isinstance(seq, list):
        for i, p in enumerate(seq):
            if not isinstance(p, dict):
                continue
            rel, _ = content(p.get("path"), p.get("patch"))
            target = p.get("target")
            if isinstance(target, dict) and _kind_is_ingress(target.get("kind")):
                k.ingress_patches.append(IngressPatch(_item_line("patchesJson6902", i), "patchesJson6902", _target_names(target), rel))
    seq = data.get("replacements")
    if isinstance(seq, list):
        for i, p in enumerate(seq):
            if not isinstance(p, dict):
                continue
            items: list[Any] = [p]
            rel = None
            if isinstance(p.get("path"), str):
                rel, text = content(p.get("path"), None)
                items = [d for d in _docs(text)] if text else []
                flat: list[Any] = []
                for d in items:
                    flat.extend(d if isinstance(d, list) else [d])
                items = flat
            selected: list[str] = []
            hit = False
            for r in items:
                for t in (r.get("targets") or []) if isinstance(r, dict) else []:
                    sel = t.get("select") if isinstance(t, dict) else None
                    if isinstance(sel, dict) and _kind_is_ingress(sel.get("kind")):
                        hit = True
                        selected.extend(_target_names(sel) or (".*",))
            if hit:
                k.ingress_patches.append(IngressPatch(_item_line("replacements", i), "replacements", tuple(selected), rel))
    for key in ("configMapGenerator", "secretGenerator"):
        gens = data.get(key)
        for g in gens if isinstance(gens, list) else []:
            for f in (g.get("files") or []) + (g.get("envs") or []) if isinstance(g, dict) else []:
                if isinstance(f, str):
                    rel = resolve(base, f.split("=", 1)[-1])
                    if rel is not None:
                        k.patch_files.add(rel)  # data files, never manifests


# -- editing resources ---------------------------------------------------------------------------


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def edit_resources(k: Kustomization, add_after: dict[str, list[str]], remove: set[str]) -> str:
    """The kustomization text with new `resources:` entries and some entries removed.

    `add_after`: repository path of an existing entry -> repository paths to list right after it
    (skipped when already listed). `remove`: repository paths whose entries are deleted.
    """
    listed = {e.path for e in k.resources if e.path is not None}
    want: dict[int, list[str]] = {}
    drop: set[int] = set()
    for i, e in enumerate(k.resources):
        if e.path in add_after:
            new = [p for p in add_after[e.path] if p not in listed]
            listed.update(new)
            if new:
                want[i] = new
        if e.path in remove:
            drop.add(i)
    if not want and not drop:
        return k.text
    rel = {p: posixpath.relpath(p, k.dir or ".") for ps in want.values() for p in ps}
    if k.flow_resources or any(k.resources[i].line < 0 for i in (*want, *drop)):
        return _edit_by_round_trip(k, want, drop, rel)
    lines = re.findall(r"[^\n]*\n|[^\n]+\Z", k.text)  # not splitlines(): only \n ends a line for libyaml here
    for i in sorted(set(want) | drop, key=lambda j: k.resources[j].line, reverse=True):
        e = k.resources[i]
        src = lines[e.line]
        prefix = src[:e.col]
        nl = "\r\n" if src.endswith("\r\n") else ("\n" if src.endswith("\n") else _newline(k.text))
        new_lines = [prefix + to_yaml(rel[p]).rstrip("\n") + nl for p in want.get(i, [])]
        lines[e.line:e.line + 1] = ([] if i in drop else [src if src.endswith(("\n", "\r")) else src + nl]) + new_lines
    out = "".join(lines)
    if not k.text.endswith("\n"):  # keep a missing final newline missing
        out = out[:-2] if out.endswith("\r\n") else (out[:-1] if out.endswith("\n") else out)
    return out


def _edit_by_round_trip(k: Kustomization, want: dict[int, list[str]], drop: set[int], rel: dict[str, str]) -> str:
    y = rt_yaml(k.text)
    data = y.load(k.text)
    seq = data["resources"]
    values = [e.value for e in k.resources]
    new: list[Any] = []
    j = 0
    for item in list(seq):
        if isinstance(item, str) and j < len(values) and item == values[j]:
            if j not in drop:
                new.append(item)
            new.extend(rel[p] for p in want.get(j, []))
            j += 1
        else:
            new.append(item)
    seq[:] = new
    buf = StringIO()
    y.dump(data, buf)
    return buf.getvalue()
