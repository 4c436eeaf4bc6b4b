"""`traefik.ingress.kubernetes.io/router.*` and `service.*` annotations, decoded as Traefik does.

Traefik turns the annotations into labels (`traefik.router.priority`, with `.N.` list indexes
written `[N]`) and decodes them with paerser into typed structs (pkg/provider/kubernetes/ingress/
annotations.go): field names match case-insensitively, an unknown field, a value of the wrong
type or a struct given a value without being `allowEmpty` is an error. For router annotations
the error drops the whole Ingress (traefik-semantics.md T-A3); for service annotations every
path using the Service (T-B6/H). Keys outside `router.*` / `service.*` are ignored.

Decoding rules kept from paerser: lists are split on ',' and trimmed; booleans take Go's
ParseBool forms; integers Go's ParseInt; an `allowEmpty` struct (`router.tls`,
`router.observability`, `service.sticky`, `service.sticky.cookie`) is created by any of its keys
and disabled by a value other than "true" (case-insensitive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

PREFIX = "traefik.ingress.kubernetes.io/"
_INDEX = re.compile(r"(.+)\.(\w+)\.(\d+)\.(.+)")
_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
         "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
_INT = re.compile(r"[+-]?\d+")


class AnnotationError(ValueError):
    """Annotations paerser cannot decode."""


# field schema: name -> type; "str", "int", "bool", "list", a dict (struct), ("allowEmpty", dict),
# ("structs", dict) for a list of structs
_TLS = ("allowEmpty", {"options": "str", "certresolver": "str",
                       "domains": ("structs", {"main": "str", "sans": "list"})})
_OBS = ("allowEmpty", {"accesslogs": "bool", "metrics": "bool", "tracing": "bool", "traceverbosity": "str"})
ROUTER_SCHEMA: dict[str, Any] = {
    "pathmatcher": "str", "entrypoints": "list", "middlewares": "list", "priority": "int", "rulesyntax": "str",
    "tls": _TLS, "observability": _OBS,
}
_COOKIE = ("allowEmpty", {"name": "str", "secure": "bool", "httponly": "bool", "samesite": "str", "maxage": "int",
                          "path": "str", "domain": "str"})
SERVICE_SCHEMA: dict[str, Any] = {
    "serversscheme": "str", "serverstransport": "str", "passhostheader": "bool", "middlewares": "list",
    "sticky": ("allowEmpty", {"cookie": _COOKIE}), "nativelb": "bool", "nodeportlb": "bool",
}


@dataclass
class _Node:
    value: str | None = None
    children: dict[str, "_Node"] = field(default_factory=dict)


def _tree(annotations: Mapping[str, str], root: str) -> _Node | None:
    """The label tree under `traefik.<root>.` (None when no annotation is there)."""
    top = _Node()
    found = False
    for key, value in annotations.items():
        if not key.startswith(PREFIX):
            continue
        label = "traefik." + key[len(PREFIX):]
        m = _INDEX.fullmatch(label)
        if m:
            label = f"{m.group(1)}.{m.group(2)}[{m.group(3)}].{m.group(4)}"
        if not label.lower().startswith(f"traefik.{root}."):
            continue
        found = True
        node = top
        for part in re.split(r"\.|(?=\[)", label[len(f"traefik.{root}."):]):
            if part == "":
                raise AnnotationError(f"{key}: empty segment in the annotation name")
            node = node.children.setdefault(part.lower(), _Node())
        node.value = value
    return top if found else None


def _decode(node: _Node, schema: Any, where: str) -> Any:
    kind = schema[0] if isinstance(schema, tuple) else schema
    if isinstance(schema, dict) or kind == "allowEmpty":
        fields = schema[1] if isinstance(schema, tuple) else schema
        if not node.children and kind != "allowEmpty":
            raise AnnotationError(f"{where} cannot be a standalone element (a group of keys)")
        if kind == "allowEmpty" and node.value not in (None, "") and node.value.lower() != "true":
            return None  # disabled
        out: dict[str, Any] = {}
        for name, child in node.children.items():
            if name.startswith("["):
                raise AnnotationError(f"{where}{name}: {where} is not a list")
            if name not in fields:
                raise AnnotationError(f"{where}.{name}: unknown key (field not found); known: "
                                      f"{', '.join(sorted(fields))}")
            out[name] = _decode(child, fields[name], f"{where}.{name}")
        return out
    if kind == "structs":
        items = []
        for name in sorted(node.children, key=lambda n: int(n.strip("[]")) if n.strip("[]").isdigit() else -1):
            if not (name.startswith("[") and name.endswith("]")):
                raise AnnotationError(f"{where}.{name}: {where} is a list; write {where}.0.{name}")
            items.append(_decode(node.children[name], schema[1], f"{where}{name}"))
        return items
    if node.children:
        raise AnnotationError(f"{where}: a {kind} value cannot have sub-keys ({', '.join(node.children)})")
    value = node.value or ""
    if kind == "str":
        return value
    if kind == "bool":
        if value not in _BOOL:
            raise AnnotationError(f"{where}: {value!r} is not a boolean (true or false)")
        return _BOOL[value]
    if kind == "int":
        if not _INT.fullmatch(value) or not -2**63 <= int(value) < 2**63:
            raise AnnotationError(f"{where}: {value!r} is not an integer")
        return int(value)
    if kind == "list":
        return [v.strip() for v in value.split(",")] if value else []
    raise AssertionError(kind)  # pragma: no cover


@dataclass(frozen=True)
class RouterAnnotations:
    """router.* of an Ingress (None fields: not set)."""

    path_matcher: str = "PathPrefix"
    entry_points: tuple[str, ...] = ()
    middlewares: tuple[str, ...] = ()
    priority: int = 0
    rule_syntax: str = ""
    tls: bool = False
    tls_options: str = ""
    tls_cert_resolver: str = ""
    tls_domains: tuple[str, ...] = ()
    present: bool = False


@dataclass(frozen=True)
class ServiceAnnotations:
    """service.* of a Service."""

    servers_scheme: str = ""
    servers_transport: str = ""
    pass_host_header: bool = True
    middlewares: tuple[str, ...] = ()
    sticky: bool = False
    native_lb: bool | None = None
    node_port_lb: bool = False


def router_annotations(annotations: Mapping[str, str]) -> RouterAnnotations:
    """Decode router.* (AnnotationError when Traefik's decoder fails)."""
    tree = _tree(annotations, "router")
    if tree is None:
        return RouterAnnotations()
    d = _decode(tree, ROUTER_SCHEMA, "router")
    tls = d.get("tls")
    domains: list[str] = []
    for dom in (tls or {}).get("domains") or []:
        domains += [dom.get("main") or ""] + list(dom.get("sans") or [])
    return RouterAnnotations(
        path_matcher=d.get("pathmatcher", "PathPrefix"),
        entry_points=tuple(d.get("entrypoints") or ()),
        middlewares=tuple(d.get("middlewares") or ()),
        priority=d.get("priority", 0),
        rule_syntax=d.get("rulesyntax", ""),
        tls=tls is not None,
        tls_options=(tls or {}).get("options", ""),
        tls_cert_resolver=(tls or {}).get("certresolver", ""),
        tls_domains=tuple(x for x in domains if x),
        present=True,
    )


def service_annotations(annotations: Mapping[str, str]) -> ServiceAnnotations:
    """Decode service.* on a Service (AnnotationError when Traefik's decoder fails)."""
    tree = _tree(annotations, "service")
    if tree is None:
        return ServiceAnnotations()
    d = _decode(tree, SERVICE_SCHEMA, "service")
    sticky = d.get("sticky")
    return ServiceAnnotations(
        servers_scheme=d.get("serversscheme", ""),
        servers_transport=d.get("serverstransport", ""),
        pass_host_header=d.get("passhostheader", True),
        middlewares=tuple(d.get("middlewares") or ()),
        sticky=sticky is not None and sticky.get("cookie") is not None,
        native_lb=d.get("nativelb"),
        node_port_lb=d.get("nodeportlb", False),
    )
