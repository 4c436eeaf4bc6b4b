"""Traefik's `router.*` Ingress annotations, parsed the way its provider decodes them.

Facts: traefik-semantics.md T-A3 (an unknown `router.*` key or a value of the wrong type drops
the whole Ingress), T-C2 (entry points), T-C3 (router.tls), T-B4 (router.priority) and
section H; Traefik docs `reference/routing-configuration/kubernetes/ingress.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ing2gw.providers.values import FOLDED_GO_BOOL, BadValue, parse_int, parse_list

PREFIX = "traefik.ingress.kubernetes.io/"

#: router.* keys (lower case, paerser matches field names case-insensitively) and their type
_ROUTER_KEYS: dict[str, str] = {
    "router.entrypoints": "list", "router.middlewares": "list", "router.priority": "int",
    "router.pathmatcher": "str", "router.rulesyntax": "str", "router.tls": "bool",
    "router.tls.certresolver": "str", "router.tls.options": "str",
    "router.observability.accesslogs": "bool", "router.observability.metrics": "bool",
    "router.observability.tracing": "bool", "router.observability.tracelevel": "str",
}
_DOMAINS = re.compile(r"router\.tls\.domains\.\d+\.(main|sans)\Z")


@dataclass
class RouterAnnotations:
    """What the router.* annotations of one Ingress say (None: not set)."""

    entrypoints: tuple[str, ...] | None = None
    middlewares: tuple[str, ...] = ()
    priority: int = 0
    pathmatcher: str | None = None
    #: router.tls: True/False when set; any router.tls.* key enables TLS too (T-C3)
    tls: bool | None = None
    tls_options: str | None = None
    #: keys that change nothing on routing (observability, cert resolvers)
    neutral: list[str] = field(default_factory=list)
    #: keys that were read and are expressed by the output
    used: list[str] = field(default_factory=list)


def _go_bool(value: str) -> bool | None:
    return FOLDED_GO_BOOL.maybe(value.strip())


def parse_router_annotations(annotations: dict[str, str]) -> tuple[RouterAnnotations | None, list[str]]:
    """The parsed annotations, or None and the problems that make Traefik skip the Ingress."""
    out = RouterAnnotations()
    problems: list[str] = []
    tls_sub = False
    for key, value in sorted(annotations.items()):
        if not key.startswith(PREFIX):
            continue
        short = key[len(PREFIX):].lower()
        if not short.startswith("router."):
            continue  # service.* belongs on the Service; other keys Traefik ignores (T-A3)
        if _DOMAINS.match(short):
            out.neutral.append(key)
            tls_sub = True
            continue
        kind = _ROUTER_KEYS.get(short)
        if kind is None:
            problems.append(f"{key}: unknown router annotation")
            continue
        if kind == "bool" and _go_bool(value) is None:
            problems.append(f"{key}: {value!r} is not a boolean")
            continue
        if kind == "int":
            try:
                out.priority = parse_int(value)  # strconv: no `1_000`, no other scripts' digits
            except BadValue:
                problems.append(f"{key}: {value!r} is not an integer")
                continue
            out.used.append(key)
            continue
        if short == "router.entrypoints":
            out.entrypoints = parse_list(value)
            out.used.append(key)
        elif short == "router.middlewares":
            out.middlewares = parse_list(value)
            out.used.append(key)
        elif short == "router.pathmatcher":
            out.pathmatcher = value.strip()
            out.used.append(key)
        elif short == "router.tls":
            out.tls = bool(_go_bool(value))
            out.used.append(key)
        elif short == "router.tls.options":
            out.tls_options = value.strip()
            tls_sub = True
            out.used.append(key)
        elif short == "router.tls.certresolver":
            tls_sub = True
            out.neutral.append(key)
        else:
            out.neutral.append(key)
    if problems:
        return None, problems
    if out.tls is None and tls_sub:
        out.tls = True  # paerser creates the TLS struct for any router.tls.* key (T-C3)
    return out, []
