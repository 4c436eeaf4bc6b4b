"""The shape of the controller mapping tables (`mappings/<controller>.yaml`), of the intent
vocabulary (`mappings/intents.yaml`) and of the implementation target tables
(`mappings/targets/<target>.yaml`), checked when a table is loaded.

A table is data that translators, the README and `ing2gw explain` trust, so a malformed row must
stop the program with the file and line of the row, not surface later as a wrong translation.
The checks are those `tests/test_mappings_nginx.py` applies to the ingress-nginx table, plus the
`intent` column (from the shared vocabulary) and the sections of tables that describe more than
annotations. A target table has one row per intent of the vocabulary, no more and no fewer, so that
a policy any controller's provider asks for finds its row whichever controller wrote it. Functions
here only report problems; `ing2gw.mappings` raises `TableError`.
"""

from __future__ import annotations

import itertools
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


# -- Implementation target tables (mappings/targets/<target>.yaml) --------------------------------

#: How far a target carries an intent: exactly, with a stated loss, or not at all.
SUPPORT_LEVELS = ("full", "partial", "none")

#: The Gateway API facts every target table states (feature -> what it is), each as
#: `{support: supported|partial|unsupported, note: ...}`.
GATEWAY_API_FEATURES = {
    "listener-set": "ListenerSet (gateway.networking.k8s.io/v1) attached to its Gateways",
    "cors-filter": "the HTTPRoute CORS filter (Standard since v1.5)",
    "regex-path-match": "HTTPRoute path matches of type RegularExpression (implementation-specific)",
    "session-persistence": "HTTPRoute rules[].sessionPersistence (Experimental)",
    "backend-tls-policy": "BackendTLSPolicy (gateway.networking.k8s.io/v1)",
    "route-retry": "HTTPRoute rules[].retry (Experimental)",
    "route-timeouts": "HTTPRoute rules[].timeouts.request / backendRequest",
    "frontend-client-certificate-validation": "Gateway spec.tls.frontend (client certificates, Standard since v1.5)",
}
FEATURE_SUPPORT = ("supported", "partial", "unsupported")

#: Where a target resource takes effect. A policy that attaches wider than the routes an
#: Ingress covered must say so in the row's `lost`.
ATTACHMENTS = {
    "gateway": "targetRefs to a Gateway (every listener)",
    "listener": "targetRefs to one Gateway listener (sectionName)",
    "route": "targetRefs to an HTTPRoute",
    "route-rule": "targetRefs to one HTTPRoute rule (sectionName)",
    "service": "targetRefs to a backend Service (every route that uses it)",
    "extension-ref": "an ExtensionRef filter on an HTTPRoute rule",
    "backend-ref": "the object is an HTTPRoute backendRef",
    "route-field": "a field of the HTTPRoute itself",
    "gateway-field": "a field of the Gateway itself",
    "gatewayclass": "the GatewayClass (parametersRef or a targetRef to it)",
    "gateway-infrastructure": "the Gateway's spec.infrastructure.parametersRef",
    "destination-host": "the backend Service's host name (every client of that Service)",
    "workload-selector": "a label selector on the gateway's own pods (every route of that gateway)",
    "global": "controller- or mesh-wide configuration, no attachment",
}

TARGET_HEADER = frozenset({"name", "title", "version", "docs", "controllerName", "gatewayClassName",
                           "gatewayClassConvention", "gatewayAPI", "intents"})
TARGET_OPTIONAL_HEADER = frozenset({"notes"})
TARGET_COLUMNS = frozenset({"intent", "supported", "resources", "how", "lost", "requires", "security", "docs",
                            "generated"})
TARGET_REQUIRED = frozenset({"intent", "supported", "security", "docs"})
RESOURCE_KEYS = frozenset({"kind", "apiVersion", "fields", "attach", "channel"})
RESOURCE_REQUIRED = frozenset({"kind", "apiVersion", "fields", "attach"})

_CONTROLLER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_API_VERSION = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?v[0-9]+((alpha|beta)[0-9]+)?")
_KIND = re.compile(r"[A-Z][A-Za-z0-9]*")
#: `spec.a.b[].c`: object fields separated by dots, `[]` for the items of a list.
FIELD_PATH = re.compile(r"(metadata|spec)(\.[a-zA-Z][A-Za-z0-9_]*(\[\])?)+")


def check_target_table(name: str, data: Any, file: str, intents: Mapping[str, Intent]) -> list[Problem]:
    """Everything wrong with the target table `name` (`targets/<target>` or just `<target>`):
    header keys, the Gateway API facts, and exactly one well-formed row per known intent."""
    target = name.split("/")[-1]
    if not isinstance(data, Mapping):
        return [Problem(file, 0, "a target table is a mapping: name, title, version, docs, controllerName, "
                                 "gatewayClassName, gatewayClassConvention, gatewayAPI, intents")]
    problems: list[Problem] = []
    keys = set(map(str, data))
    unknown = sorted(keys - TARGET_HEADER - TARGET_OPTIONAL_HEADER)
    if unknown:
        problems.append(Problem(file, _line(data, unknown[0]), f"unknown top-level keys {unknown}; allowed: "
                                f"{', '.join(sorted(TARGET_HEADER | TARGET_OPTIONAL_HEADER))}"))
    missing = sorted(TARGET_HEADER - keys)
    if missing:
        problems.append(Problem(file, _line(data), f"missing top-level keys {missing}"))
    if "name" in data and data["name"] != target:
        problems.append(Problem(file, _line(data, "name"), f"name {data['name']!r} must be the file name {target!r}"))
    for key in ("title", "version", "gatewayClassConvention"):
        if key in data and not _one_line(data[key]):
            problems.append(Problem(file, _line(data, key), f"{key} must be one non-empty line"))
    if "docs" in data and not (isinstance(data["docs"], str) and _HTTPS.fullmatch(data["docs"])):
        problems.append(Problem(file, _line(data, "docs"), "docs must be one https URL"))
    if "controllerName" in data and not (isinstance(data["controllerName"], str)
                                         and _CONTROLLER_NAME.fullmatch(data["controllerName"])):
        problems.append(Problem(file, _line(data, "controllerName"),
                                "controllerName must be DOMAIN/PATH as GatewayClass requires, e.g. example.io/gateway-controller"))
    if "gatewayClassName" in data and not (isinstance(data["gatewayClassName"], str)
                                           and _DNS_LABEL.fullmatch(data["gatewayClassName"])):
        problems.append(Problem(file, _line(data, "gatewayClassName"), "gatewayClassName must be a DNS label"))
    notes = data.get("notes")
    if notes is not None and (not isinstance(notes, list) or not notes or not all(_one_line(n) for n in notes)):
        problems.append(Problem(file, _line(data, "notes"), "notes is a non-empty list of one-line strings"))
    if "gatewayAPI" in data:
        problems += _gateway_api_problems(data["gatewayAPI"], file, _line(data, "gatewayAPI"))
    if "intents" in data:
        problems += _target_rows_problems(data["intents"], file, _line(data, "intents"), intents)
    return problems


def _one_line(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\n" not in value.strip()


def _gateway_api_problems(facts: Any, file: str, line: int) -> list[Problem]:
    allowed = {"version", "channel", "report", "features"}
    if not isinstance(facts, Mapping) or set(map(str, facts)) != allowed:
        return [Problem(file, line, f"gatewayAPI holds exactly {', '.join(sorted(allowed))}")]
    problems: list[Problem] = []
    if not (isinstance(facts["version"], str) and re.fullmatch(r"v1\.[0-9]+(\.[0-9]+)?", facts["version"])):
        problems.append(Problem(file, _line(facts, "version"), "gatewayAPI.version is a Gateway API release, e.g. v1.6.1"))
    if facts["channel"] not in ("standard", "experimental"):
        problems.append(Problem(file, _line(facts, "channel"), "gatewayAPI.channel is standard or experimental"))
    if not (isinstance(facts["report"], str) and _HTTPS.fullmatch(facts["report"])):
        problems.append(Problem(file, _line(facts, "report"), "gatewayAPI.report is the https URL of the conformance "
                                                              "report or support page the facts come from"))
    features = facts["features"]
    if not isinstance(features, Mapping):
        return problems + [Problem(file, _line(facts, "features"), "gatewayAPI.features maps a feature to its support")]
    for missing in sorted(set(GATEWAY_API_FEATURES) - set(map(str, features))):
        problems.append(Problem(file, _line(facts, "features"), f"gatewayAPI.features: missing feature {missing!r} "
                                                                f"({GATEWAY_API_FEATURES[missing]})"))
    for feature, value in features.items():
        where = _line(features, feature)
        if feature not in GATEWAY_API_FEATURES:
            problems.append(Problem(file, where, f"gatewayAPI.features: unknown feature {feature!r}; known: "
                                                 f"{', '.join(sorted(GATEWAY_API_FEATURES))}"))
            continue
        if not isinstance(value, Mapping) or not set(map(str, value)) <= {"support", "note"} \
                or value.get("support") not in FEATURE_SUPPORT:
            problems.append(Problem(file, where, f"gatewayAPI.features.{feature}: expected {{support: "
                                                 f"{'|'.join(FEATURE_SUPPORT)}, note: one line}}"))
        elif (value.get("support") == "partial" or "note" in value) and not _one_line(value.get("note")):
            problems.append(Problem(file, where, f"gatewayAPI.features.{feature}: a partial feature says what is "
                                                 f"missing in `note` (one line)"))
    return problems


def _target_rows_problems(rows: Any, file: str, line: int, intents: Mapping[str, Intent]) -> list[Problem]:
    if not isinstance(rows, list):
        return [Problem(file, line, "intents is a list with one row per intent of mappings/intents.yaml")]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    order: list[str] = []
    for i, row in enumerate(rows):
        row_line = _line(rows, i)
        if not isinstance(row, Mapping):
            problems.append(Problem(file, row_line, "an intents row is a mapping of columns"))
            continue
        intent = row.get("intent")
        if not isinstance(intent, str) or intent not in intents:
            problems.append(Problem(file, row_line, f"intent {intent!r} is not in mappings/intents.yaml"))
            continue
        if intent in seen:
            problems.append(Problem(file, row_line, f"duplicate intent {intent!r} (first at line {seen[intent]})"))
        seen.setdefault(intent, row_line)
        order.append(intent)
        problems += [Problem(file, row_line, f"intent {intent}: {m}")
                     for m in _target_row_problems(row, intents[intent])]
    for missing in sorted(set(intents) - set(seen)):
        problems.append(Problem(file, line, f"missing row for intent {missing!r}: every intent has a row "
                                            f"(supported: none when the target cannot express it)"))
    if order != sorted(order):
        first = next(b for a, b in itertools.pairwise(order) if a >= b)
        problems.append(Problem(file, seen.get(first, line), f"keep the rows sorted by intent ({first!r} is out of order)"))
    return problems


def _target_row_problems(row: Mapping[str, Any], intent: Intent) -> list[str]:
    """What is wrong with one target row, as messages without the location."""
    out: list[str] = []
    unknown = sorted(set(map(str, row)) - TARGET_COLUMNS)
    if unknown:
        out.append(f"unknown columns {unknown}; allowed: {', '.join(sorted(TARGET_COLUMNS))}")
    missing = sorted(TARGET_REQUIRED - set(row))
    if missing:
        return out + [f"missing columns {missing}"]
    supported = row["supported"]
    if supported not in SUPPORT_LEVELS:
        return out + [f"supported {supported!r} is not one of {', '.join(SUPPORT_LEVELS)}"]
    if not isinstance(row["docs"], str) or not _HTTPS.fullmatch(row["docs"]):
        out.append("docs must be one https URL")
    if not isinstance(row["security"], bool):
        out.append("security must be true or false")
    elif supported == "full" and row["security"]:
        out.append("a full row loses nothing: `security: true` flags a loss")
    elif supported != "full" and intent.security and not row["security"]:
        out.append(f"intent {intent.name!r} is security-relevant and the row is {supported}: set `security: true`")
    lost = row.get("lost")
    if supported == "full" and lost is not None:
        out.append("a full row is exact: drop `lost` or make it partial")
    if supported != "full" and not _one_line(lost):
        out.append(f"a {supported} row says in `lost` (one line) what the target cannot express")
    resources = row.get("resources")
    if supported == "none":
        if resources is not None or row.get("generated"):
            out.append("a none row has no `resources` and nothing is `generated`")
        if "how" in row and not _one_line(row["how"]):
            out.append("how must be one line")
    else:
        if not _one_line(row.get("how")):
            out.append(f"a {supported} row says in `how` (one line) how the resources express the intent")
        out += _resources_problems(resources)
    if "requires" in row and not _one_line(row["requires"]):
        out.append("requires must be one line naming the prerequisite (controller flag, edition, external service)")
    if "generated" in row and row["generated"] is not True:
        out.append("generated is `true` (ing2gw --target writes these resources) or absent")
    return out


def _resources_problems(resources: Any) -> list[str]:
    if not isinstance(resources, list) or not resources:
        return ["`resources` lists the objects that express the intent (kind, apiVersion, fields, attach)"]
    out: list[str] = []
    for res in resources:
        if not isinstance(res, Mapping):
            out.append("a resource is a mapping: kind, apiVersion, fields, attach")
            continue
        label = f"resource {res.get('kind')!r}"
        unknown = sorted(set(map(str, res)) - RESOURCE_KEYS)
        if unknown:
            out.append(f"{label}: unknown keys {unknown}; allowed: {', '.join(sorted(RESOURCE_KEYS))}")
        missing = sorted(RESOURCE_REQUIRED - set(map(str, res)))
        if missing:
            out.append(f"{label}: missing keys {missing}")
            continue
        if not isinstance(res["kind"], str) or not _KIND.fullmatch(res["kind"]):
            out.append(f"{label}: kind must be a Kubernetes kind (UpperCamelCase)")
        if not isinstance(res["apiVersion"], str) or not _API_VERSION.fullmatch(res["apiVersion"]):
            out.append(f"{label}: apiVersion {res['apiVersion']!r} must be group/version or version")
        fields = res["fields"]
        if not isinstance(fields, list) or not fields:
            out.append(f"{label}: fields lists the field paths that express the intent")
        else:
            out += [f"{label}: bad field path {f!r}; expected spec.a.b[].c" for f in fields
                    if not isinstance(f, str) or not FIELD_PATH.fullmatch(f)]
            if len(set(map(str, fields))) != len(fields):
                out.append(f"{label}: duplicate field paths")
        attach = res["attach"]
        if not isinstance(attach, list) or not attach or not all(a in ATTACHMENTS for a in attach) \
                or len(set(attach)) != len(attach):
            out.append(f"{label}: attach lists distinct values from {', '.join(ATTACHMENTS)}; got {attach!r}")
        channel = res.get("channel")
        if channel is not None and (channel != "experimental"
                                    or not str(res["apiVersion"]).startswith("gateway.networking.k8s.io/")):
            out.append(f"{label}: channel is only `experimental`, for Gateway API fields outside the Standard channel")
    return out


def check_policy_intents(data: Any, file: str, intents: Mapping[str, Intent], section: str = "annotations") -> list[Problem]:
    """The intent rules for a controller table without a full schema here (ingress-nginx, checked in
    detail by its own tests): every `policy` row names a known intent, and no row names an unknown one."""
    rows = data.get(section) if isinstance(data, Mapping) else None
    if not isinstance(rows, list):
        return [Problem(file, _line(data), f"section `{section}:` is missing")]
    problems: list[Problem] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        intent = row.get("intent")
        where = f"{section} {row.get('key')}"
        if intent is not None and intent not in intents:
            problems.append(Problem(file, _line(rows, i), f"{where}: intent {intent!r} is not in mappings/intents.yaml"))
        elif intent is None and row.get("status") == "policy":
            problems.append(Problem(file, _line(rows, i), f"{where}: a policy row names its intent "
                                                          f"(mappings/intents.yaml) in `intent`"))
    return problems
