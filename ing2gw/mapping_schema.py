"""The shape of the controller mapping tables (`mappings/<controller>.yaml`) and of the intent
vocabulary (`mappings/intents.yaml`), checked when a table is loaded.

A table is data that translators, the README and `ing2gw explain` trust, so a malformed row must
stop the program with the file and line of the row, not surface later as a wrong translation.
The checks are those `tests/test_mappings_nginx.py` applies to the ingress-nginx table, plus the
`intent` column (from the shared vocabulary) and the sections of tables that describe more than
annotations. Functions here only report problems; `ing2gw.mappings` raises `TableError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ing2gw.errors import InputError, Problem

#: Row statuses, in the order the support tables count them.
STATUSES = ("converted", "partial", "policy", "unsupported", "ignored")

#: Value types a row may declare (the ingress-nginx ones, and those CRD fields need).
TYPES = frozenset({
    "bool", "int", "string", "duration", "size", "url", "cidr-list", "enum", "map", "list", "regex",
    "secret-ref", "configmap-ref", "snippet", "object", "resource-ref", "expression",
})

RISKS = frozenset({"Low", "Medium", "High", "Critical"})

#: Columns every controller table row may carry, and those it must carry.
COLUMNS = frozenset({"key", "type", "default", "scope", "status", "becomes", "lossy", "security", "routing",
                     "intent", "handler", "docs", "targets", "risk"})
REQUIRED = frozenset({"key", "type", "default", "scope", "status", "becomes", "security", "routing", "docs"})

#: Sections whose keys are paths into an object: a field without a row takes its ancestor's row.
PATH_SECTIONS = frozenset({"middlewares", "crd_fields", "static"})

#: Where a HAProxy annotation can be written; a row lists them in precedence order (first wins).
HAPROXY_SOURCES = ("service", "ingress", "configmap")

_KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_HTTPS = re.compile(r"https://\S+")
_IDENT = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Section:
    """The rules of one list of rows in a table."""

    scopes: frozenset[str]
    key_pattern: re.Pattern[str]
    key_help: str
    extra_columns: frozenset[str] = frozenset()
    extra_required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableSpec:
    """The sections a controller table has, and its other top-level keys."""

    sections: Mapping[str, Section]
    header_keys: frozenset[str] = field(default_factory=frozenset)


_PATH_SEGMENT = r"[a-z][A-Za-z0-9]*(\[\])?"

SPECS: dict[str, TableSpec] = {
    "traefik": TableSpec(
        sections={
            "annotations": Section(
                frozenset({"ingress", "service"}),
                re.compile(r"(router|service)(\.[a-z][A-Za-z0-9]*)+"),
                "router.<name>... or service.<name>..., without the traefik.ingress.kubernetes.io/ prefix"),
            "middlewares": Section(
                frozenset({"middleware"}),
                re.compile(rf"[a-z][A-Za-z]*(\.{_PATH_SEGMENT})*"),
                "a Middleware spec field such as stripPrefix or stripPrefix.prefixes"),
            "crd_fields": Section(
                frozenset({"ingress", "route", "service", "tls", "middleware"}),
                re.compile(rf"[A-Z][A-Za-z]*(\.{_PATH_SEGMENT})*"),
                "<Kind> or <Kind>.<path>, e.g. IngressRoute.routes[].match"),
            "static": Section(
                frozenset({"entrypoint", "provider", "global"}),
                re.compile(r"[a-z][A-Za-z0-9]*(\.([a-z][A-Za-z0-9]*|\{name\}))+"),
                "a static-configuration path such as entryPoints.{name}.address"),
        },
        header_keys=frozenset({"prefix", "shared"}),
    ),
    "haproxy": TableSpec(
        sections={
            "annotations": Section(
                frozenset({"frontend", "backend", "global"}),
                re.compile(r"[a-z0-9]+([.-][a-z0-9]+)*"),
                "the annotation or ConfigMap key without a prefix, e.g. ssl-redirect",
                extra_columns=frozenset({"sources"}), extra_required=frozenset({"sources"})),
            "flags": Section(
                frozenset({"controller"}),
                re.compile(r"[a-z0-9]+([.-][a-z0-9]+)*"),
                "the controller flag without its leading --, e.g. ingress.class"),
        },
        header_keys=frozenset({"prefix", "prefixes"}),
    ),
}


class TableError(InputError):
    """A mapping table shipped with ing2gw is malformed (every problem, with file and line)."""


@dataclass(frozen=True)
class Intent:
    """One entry of the shared intent vocabulary."""

    name: str
    meaning: str
    security: bool


def _line(node: Any, key: Any = None) -> int:
    """1-based line of `node` (or of its item `key`) when it was loaded with line information."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return 0
    try:
        if key is None:
            return int(lc.line) + 1
        return int(lc.key(key)[0] if isinstance(key, str) else lc.item(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1


def check_intents(data: Any, file: str) -> tuple[dict[str, Intent], list[Problem]]:
    """The intents of `mappings/intents.yaml` by name, and what is wrong with the file."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping) or set(data) != {"intents"} or not isinstance(data["intents"], list):
        return {}, [Problem(file, _line(data), "expected one top-level key `intents:` holding a list")]
    out: dict[str, Intent] = {}
    names: list[str] = []
    for i, row in enumerate(data["intents"]):
        line = _line(data["intents"], i)
        if not isinstance(row, Mapping):
            problems.append(Problem(file, line, "an intent is a mapping with name, meaning and security"))
            continue
        name = row.get("name")
        where = f"intent {name!r}"
        if set(row) != {"name", "meaning", "security"}:
            problems.append(Problem(file, line, f"{where}: columns must be exactly name, meaning, security "
                                                f"(got {', '.join(sorted(map(str, row)))})"))
        if not isinstance(name, str) or not _KEBAB.fullmatch(name):
            problems.append(Problem(file, line, f"{where}: name must be kebab-case"))
            continue
        meaning = row.get("meaning")
        if not isinstance(meaning, str) or not meaning.strip() or "\n" in meaning.strip():
            problems.append(Problem(file, line, f"{where}: meaning must be one non-empty line"))
        if not isinstance(row.get("security"), bool):
            problems.append(Problem(file, line, f"{where}: security must be true or false"))
        if name in out:
            problems.append(Problem(file, line, f"{where}: duplicate name"))
        names.append(name)
        out[name] = Intent(name, str(meaning or "").strip(), bool(row.get("security")))
    if names != sorted(names):
        problems.append(Problem(file, _line(data, "intents"), "keep the intents sorted by name"))
    return out, problems


def check_table(name: str, data: Any, file: str, intents: Mapping[str, Intent]) -> list[Problem]:
    """Everything wrong with the controller table `name` (empty when it is well formed)."""
    spec = SPECS.get(name)
    if spec is None:
        return [Problem(file, 0, f"no schema for mapping table {name!r}; known: {', '.join(sorted(SPECS))}")]
    if not isinstance(data, Mapping):
        return [Problem(file, 0, "a controller table is a mapping of sections")]
    problems: list[Problem] = []
    unknown = sorted(set(map(str, data)) - set(spec.sections) - spec.header_keys)
    if unknown:
        problems.append(Problem(file, _line(data, unknown[0]),
                                f"unknown top-level keys {unknown}; allowed: "
                                f"{', '.join(sorted(set(spec.sections) | spec.header_keys))}"))
    for section_name, section in spec.sections.items():
        rows = data.get(section_name)
        if not isinstance(rows, list) or not rows:
            problems.append(Problem(file, _line(data), f"section `{section_name}:` is missing or empty"))
            continue
        problems += _check_section(section_name, section, rows, file, intents)
    if name == "traefik":
        problems += _check_shared(data, file)
    return problems


def _check_section(section_name: str, section: Section, rows: list[Any], file: str,
                   intents: Mapping[str, Intent]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    keys: list[str] = []
    for i, row in enumerate(rows):
        line = _line(rows, i)
        if not isinstance(row, Mapping):
            problems.append(Problem(file, line, f"{section_name}: a row is a mapping of columns"))
            continue
        key = row.get("key")
        if not isinstance(key, str) or not section.key_pattern.fullmatch(key):
            problems.append(Problem(file, line, f"{section_name}: bad key {key!r}; expected {section.key_help}"))
            continue
        if key in seen:
            problems.append(Problem(file, line, f"{section_name}: duplicate key {key!r} (first at line {seen[key]})"))
        seen.setdefault(key, line)
        keys.append(key)
        problems += [Problem(file, line, f"{section_name} {key}: {m}") for m in _row_problems(row, section, intents)]
    if keys != sorted(keys):
        first = next(b for a, b in zip(keys, keys[1:]) if a >= b)
        problems.append(Problem(file, seen.get(first, 0),
                                f"{section_name}: keep the rows sorted by key ({first!r} is out of order)"))
    return problems


def _row_problems(row: Mapping[str, Any], section: Section, intents: Mapping[str, Intent]) -> list[str]:
    """What is wrong with one row, as messages without the location."""
    out: list[str] = []
    allowed = COLUMNS | section.extra_columns
    required = REQUIRED | section.extra_required
    unknown = sorted(set(map(str, row)) - allowed)
    if unknown:
        out.append(f"unknown columns {unknown}; allowed: {', '.join(sorted(allowed))}")
    missing = sorted(required - set(row))
    if missing:
        out.append(f"missing columns {missing}")
        return out
    if row["type"] not in TYPES:
        out.append(f"type {row['type']!r} is not one of {', '.join(sorted(TYPES))}")
    if row["default"] is not None and not isinstance(row["default"], str):
        out.append("default must be a quoted string or null")
    if row["scope"] not in section.scopes:
        out.append(f"scope {row['scope']!r} is not one of {', '.join(sorted(section.scopes))}")
    status = row["status"]
    if status not in STATUSES:
        out.append(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if not isinstance(row["security"], bool) or not isinstance(row["routing"], bool):
        out.append("security and routing must be true or false")
    if not isinstance(row["becomes"], str) or not row["becomes"].strip():
        out.append("becomes is empty")
    if not isinstance(row["docs"], str) or not _HTTPS.fullmatch(row["docs"]):
        out.append("docs must be one https URL")
    lossy = row.get("lossy")
    if status == "converted" and lossy is not None:
        out.append("a converted row is exact: drop `lossy` or change the status")
    if status != "converted" and (not isinstance(lossy, str) or not lossy.strip()):
        out.append(f"a {status} row must say in `lossy` what is lost")
    out += _targets_problems(row.get("targets"), status)
    intent = row.get("intent")
    known = intents.get(intent) if isinstance(intent, str) else None
    if intent is not None and known is None:
        out.append(f"intent {intent!r} is not in mappings/intents.yaml")
    if status == "policy" and intent is None:
        out.append("a policy row names its intent (mappings/intents.yaml) in `intent`")
    if known is not None and known.security and status != "converted" and row["security"] is not True:
        out.append(f"intent {intent!r} is security-relevant and the row is {status}: set `security: true`")
    if row["security"] is True and status == "ignored":
        out.append("a security-relevant row is never safe to drop: it cannot be `ignored`")
    if row.get("risk") not in (None, *RISKS):
        out.append(f"risk {row.get('risk')!r} is not one of {', '.join(sorted(RISKS))}")
    handler = row.get("handler")
    if handler is not None and (not isinstance(handler, str) or not _IDENT.fullmatch(handler)):
        out.append(f"handler {handler!r} must be a Python identifier")
    if "sources" in section.extra_columns:
        out += _sources_problems(row.get("sources"))
    return out


def _targets_problems(targets: Any, status: Any) -> list[str]:
    if status != "policy":
        return [] if targets is None else ["`targets` only belongs to policy rows"]
    if not isinstance(targets, Mapping) or not targets:
        return ["a policy row names the implementations in `targets`"]
    return [f"bad target {impl!r}: {what!r} (kebab-case implementation -> non-empty text)"
            for impl, what in targets.items()
            if not isinstance(impl, str) or not _KEBAB.fullmatch(impl) or not isinstance(what, str) or not what.strip()]


def _sources_problems(sources: Any) -> list[str]:
    if (not isinstance(sources, list) or not sources or len(set(map(str, sources))) != len(sources)
            or any(s not in HAPROXY_SOURCES for s in sources)):
        return [f"sources must be a non-empty list of distinct values from {', '.join(HAPROXY_SOURCES)}, "
                f"in precedence order; got {sources!r}"]
    return []


def _check_shared(data: Mapping[str, Any], file: str) -> list[Problem]:
    """`shared: {Spec: [anchor path, ...]}`: each spec and anchor has a crd_fields row."""
    shared = data.get("shared")
    rows = {r.get("key") for r in data.get("crd_fields") or [] if isinstance(r, Mapping)}
    if not isinstance(shared, Mapping):
        return [Problem(file, _line(data), "`shared:` maps a shared spec name to the paths that embed it")]
    problems: list[Problem] = []
    for spec_name, anchors in shared.items():
        line = _line(shared, spec_name)
        if spec_name not in rows:
            problems.append(Problem(file, line, f"shared spec {spec_name!r} has no crd_fields row of its own"))
        if not isinstance(anchors, list) or not anchors:
            problems.append(Problem(file, line, f"shared spec {spec_name!r}: list the paths that embed it"))
            continue
        for anchor in anchors:
            if anchor not in rows:
                problems.append(Problem(file, line, f"shared spec {spec_name!r}: anchor {anchor!r} has no crd_fields row"))
    return problems
