"""Traefik routers of Ingresses: one per path, its rule string and priority (T-B1..T-B5).

A router's match is kept in a form the translation reasons about: a host (exact, `*.d` or
None for any host) and a path test (`prefix`: character-wise string prefix, `exact`, `regex`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ing2gw import ir
from ing2gw.model.ingress import Ingress

MIN_INT32 = -2147483648
PathKind = Literal["prefix", "exact", "regex"]


def go_quote(s: str) -> str:
    """Go's %q for the ASCII strings Ingress hosts and paths are made of."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Router:
    """One Traefik router the translation emits (or reports)."""

    ing: Ingress
    host: str | None
    kind: PathKind
    path: str
    rule: str
    priority: int
    backend: ir.ServiceBackend
    #: entry points it is attached to (after dropping unknown names)
    entrypoints: tuple[str, ...]
    tls: bool
    middlewares: tuple[str, ...] = ()
    where: str = ""
    #: filters and intents of its middlewares (filled by middlewares.apply)
    actions: list["object"] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.ing.key


def rule_string(host: str | None, kind: PathKind | None, path: str) -> str:
    """The rule Traefik's Ingress provider writes (buildRule, v3 syntax)."""
    parts = []
    if host:
        parts.append(f"Host({go_quote(host)})")
    if kind is not None:
        matcher = {"prefix": "PathPrefix", "exact": "Path", "regex": "PathRegexp"}[kind]
        parts.append(f"{matcher}({go_quote(path)})")
    return " && ".join(parts)


def priority_of(rule: str, explicit: int) -> int:
    """router.priority when non-zero, else the rule's length in bytes (T-B4)."""
    return explicit if explicit else len(rule.encode())


def host_matches(router_host: str | None, host: str) -> bool:
    """Does a router's host take requests for `host` (a concrete name)? `*.d`: one label (T-E2)."""
    if router_host is None:
        return True
    if router_host.startswith("*."):
        first, _, rest = host.partition(".")
        return bool(first) and rest == router_host[2:]
    return router_host == host


def covers(b: Router, a: Router) -> bool:
    """Does every request (path-wise) that `a` matches match `b` too? Hosts checked by the caller."""
    if b.kind == "prefix":
        return a.kind in ("prefix", "exact") and a.path.startswith(b.path)
    if b.kind == "exact":
        return a.kind == "exact" and a.path == b.path
    return False


def overlap(a: Router, b: Router) -> bool:
    """Can one request path match both?"""
    if a.kind == "regex" or b.kind == "regex":
        return True
    if a.kind == "exact" and b.kind == "exact":
        return a.path == b.path
    if a.kind == "exact":
        return a.path.startswith(b.path)
    if b.kind == "exact":
        return b.path.startswith(a.path)
    return a.path.startswith(b.path) or b.path.startswith(a.path)
