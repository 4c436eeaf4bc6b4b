"""Deterministic output: kubectl-style YAML and JSON for Kubernetes objects.

* Keys in Kubernetes order (apiVersion, kind, metadata, spec, then the rest in the order the
  object was built); metadata as name, namespace, labels, annotations, then the rest; label and
  annotation keys sorted.
* 2-space indentation, sequences not indented under their key (as `kubectl get -o yaml`).
* Objects sorted by (kind, namespace, name).
* Strings are quoted whenever a YAML 1.1 or 1.2 reader could take them for anything but a string.

A hand-written emitter: the data is plain JSON-like values, and this is ~10× faster than a
general YAML dumper. tests/test_serialize.py round-trips random values through ruamel.yaml.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Mapping, Sequence

from ing2gw.load import YAML11_BOOLS, _resolve_plain

_TOP_ORDER = ("apiVersion", "kind", "metadata", "spec")
_META_ORDER = ("name", "namespace", "labels", "annotations")

_PLAIN = re.compile(r"[A-Za-z0-9_./~$^()+=;<][A-Za-z0-9 _./~$^()+=;<>@:,*&!?%\[\]{}-]*\Z")
# characters YAML does not allow unescaped (outside its printable set), plus the BOM; in ASCII
# text only the control characters. The full class is compiled on the first non-ASCII string:
# its ranges beyond U+FFFF make `re` build a 64K-entry table, ~5 ms of every start otherwise.
_NON_PRINTABLE_ASCII = re.compile("[^\t\n\r\x20-\x7e]")
_NON_PRINTABLE_ANY = ("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                      "\U00010000-\U0010ffff]")


def _non_printable(s: str) -> re.Pattern[str]:
    """The pattern finding the characters YAML must escape in `s` (a cheaper one for ASCII)."""
    return _NON_PRINTABLE_ASCII if s.isascii() else re.compile(_NON_PRINTABLE_ANY)


def _quote(s: str) -> str:
    """A YAML double-quoted scalar (JSON escapes are valid YAML escapes)."""
    q = json.dumps(s, ensure_ascii=False)
    return _non_printable(q).sub(lambda m: "\\u%04x" % ord(m.group()), q)
_DATE = re.compile(r"\d{4}-\d\d?-\d\d?")
_ONE_ONE_RESERVED = frozenset(["=", "<<"])


def object_sort_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    md = obj.get("metadata") or {}
    return (str(obj.get("kind", "")), str(md.get("namespace", "") or ""), str(md.get("name", "") or ""))


def sort_objects(objs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(objs, key=object_sort_key)


def ordered(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Kubernetes object with its keys in Kubernetes order."""
    out: dict[str, Any] = {}
    for k in _TOP_ORDER:
        if k in obj:
            out[k] = obj[k]
    for k, v in obj.items():
        if k not in out:
            out[k] = v
    md = out.get("metadata")
    if isinstance(md, Mapping):
        m: dict[str, Any] = {}
        for k in _META_ORDER:
            if k in md:
                v = md[k]
                m[k] = dict(sorted(v.items())) if k in ("labels", "annotations") and isinstance(v, Mapping) else v
        for k, v in md.items():
            if k not in m:
                m[k] = v
        out["metadata"] = m
    return out


def _needs_quotes(s: str) -> bool:
    if not _PLAIN.match(s):
        return True
    if s[-1] in " :" or ": " in s or " #" in s:
        return True
    if s in _ONE_ONE_RESERVED or s in YAML11_BOOLS or _DATE.match(s):
        return True
    return _resolve_plain(s) is not s and not isinstance(_resolve_plain(s), str)


_STR_CACHE: dict[str, str] = {}


def _scalar(v: Any) -> str:
    if type(v) is str:
        # names, paths and hosts repeat a lot: remember how each string is written
        out = _STR_CACHE.get(v)
        if out is None:
            out = _quote(v) if _needs_quotes(v) else v
            if len(_STR_CACHE) < 200_000:
                _STR_CACHE[v] = out
        return out
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        return repr(v)
    s = str(v)
    return _quote(s) if _needs_quotes(s) else s


def _block_literal(s: str, indent: str) -> str | None:
    """`|` block for multi-line strings that survive it unchanged, else None."""
    if "\n" not in s or s[:1] in (" ", "\t", "\n"):
        return None
    body = s.rstrip("\n")
    trailing = len(s) - len(body)
    lines = body.split("\n")
    for ln in lines:
        if ln != ln.rstrip() or "\t" in ln or "\r" in ln or _non_printable(ln).search(ln) or "\x85" in ln \
                or "\u2028" in ln or "\u2029" in ln:
            return None
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    if chomp == "+":
        return None
    pad = indent + "  "
    return "|" + chomp + "\n" + "\n".join((pad + ln) if ln else "" for ln in lines)


def _is_map(v: Any) -> bool:
    return type(v) is dict or (type(v) not in _LEAVES and isinstance(v, Mapping))


def _is_seq(v: Any) -> bool:
    return type(v) is list or type(v) is tuple or (type(v) not in _LEAVES and isinstance(v, (list, tuple)))


# the types of most values: checked with `type(v) is` before the (slower) ABC checks
_LEAVES = frozenset({str, int, bool, float, type(None)})


def _emit(v: Any, indent: str, out: list[str]) -> None:
    """Append the block form of a mapping or sequence `v`, each line starting with `indent`."""
    if _is_map(v):
        child = indent + "  "
        for k, item in v.items():
            _emit_entry(indent + _scalar(str(k)) + ":", item, indent, out, child)
    else:
        child, grandchild = indent + "  ", indent + "    "
        for item in v:
            if item and _is_map(item):
                first = True
                for k, sub in item.items():
                    prefix = (indent + "- " if first else child) + _scalar(str(k)) + ":"
                    _emit_entry(prefix, sub, child, out, grandchild)
                    first = False
            elif item and _is_seq(item):
                # a nested sequence: "- - a"
                sub_lines: list[str] = []
                _emit(item, child, sub_lines)
                sub_lines[0] = indent + "- " + sub_lines[0][len(indent) + 2:]
                out.extend(sub_lines)
            else:
                _emit_entry(indent + "-", item, indent, out, child)


def _emit_entry(prefix: str, v: Any, indent: str, out: list[str], child_indent: str) -> None:
    t = type(v)
    if t is str:
        if "\n" in v:
            block = _block_literal(v, indent)
            out.append(prefix + " " + (block if block is not None else _scalar(v)))
        else:
            out.append(prefix + " " + _scalar(v))
    elif t in _LEAVES:
        out.append(prefix + " " + _scalar(v))
    elif _is_map(v):
        if not v:
            out.append(prefix + " {}")
        else:
            out.append(prefix)
            _emit(v, child_indent, out)
    elif _is_seq(v):
        if not v:
            out.append(prefix + " []")
        else:
            out.append(prefix)
            # sequences are not indented under their key (kubectl style)
            _emit(v, child_indent[:-2] if prefix.endswith(":") else child_indent, out)
    elif isinstance(v, str) and "\n" in v:
        block = _block_literal(v, indent)
        out.append(prefix + " " + (block if block is not None else _scalar(v)))
    else:
        out.append(prefix + " " + _scalar(v))


def to_yaml(obj: Any) -> str:
    """One value (a Kubernetes object or any JSON-like value) as a YAML document body."""
    if not isinstance(obj, (Mapping, list, tuple)) or not obj:
        if isinstance(obj, Mapping):
            return "{}\n"
        if isinstance(obj, (list, tuple)):
            return "[]\n"
        return _scalar(obj) + "\n"
    lines: list[str] = []
    _emit(obj, "", lines)
    return "\n".join(lines) + "\n"


def dump_yaml_stream(objs: Sequence[Mapping[str, Any]], *, sort: bool = True) -> str:
    """Kubernetes objects as one multi-document YAML stream (`---` between documents)."""
    items = sort_objects(objs) if sort else list(objs)
    return "---\n".join(to_yaml(ordered(o)) for o in items)


def dump_json(objs: Sequence[Mapping[str, Any]], *, sort: bool = True) -> str:
    """Kubernetes objects as one JSON document: a `v1 List` when there is more than one."""
    items = [ordered(o) for o in (sort_objects(objs) if sort else objs)]
    if len(items) == 1:
        return json.dumps(items[0], indent=2, ensure_ascii=False) + "\n"
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2, ensure_ascii=False) + "\n"
