"""Traefik routers of Ingresses: one per path, its rule string and priority (T-B1..T-B5).

A router's match is kept in a form the translation reasons about: a host (exact, `*.d` or
None for any host) and a path test (`prefix`: character-wise string prefix, `exact`, `regex`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from ing2gw import ir
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress
from ing2gw.origin import Origin
from ing2gw.providers.base import BuildContext
from ing2gw.providers.traefik.middlewares import Middleware

MIN_INT32 = -2147483648
PathKind = Literal["prefix", "exact", "regex"]


def go_quote(s: str) -> str:
    """Go's %q for the ASCII strings Ingress hosts and paths are made of."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Owner:
    """The object a router comes from: an Ingress or an IngressRoute."""

    kind: str
    namespace: str
    name: str
    origin: Origin
    ingress: Ingress | None = None

    # cached: asked for every router of every host view (a frozen dataclass keeps a __dict__)
    @cached_property
    def key(self) -> str:
        return self.source.key

    @property
    def subject(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @cached_property
    def source(self) -> ir.Source:
        return ir.Source(self.namespace, self.name, self.origin, kind=self.kind)


def owner_of(ing: Ingress) -> Owner:
    return Owner("Ingress", ing.namespace, ing.name, ing.origin, ing)


def report(ctx: BuildContext, owner: Owner, severity: Severity, code: str, message: str, *,
           annotation: str | None = None, value: str | None = None, suggestion: str | None = None,
           status: str | None = None, security: bool = False, details: dict[str, str] | None = None) -> None:
    """A finding about `owner` (an Ingress's go through BuildContext.finding, the others alike)."""
    if owner.ingress is not None:
        ctx.finding(severity, code, message, ing=owner.ingress, annotation=annotation, value=value,
                    suggestion=suggestion, status=status, security=security, details=details)
        return
    ctx.findings.append(Finding(severity, code, message, origin=owner.origin, subject=owner.subject,
                                annotation=annotation, value=value, suggestion=suggestion, status=status,
                                security=security, details=tuple(sorted((details or {}).items()))))


@dataclass
class Router:
    """One Traefik router (one alternative of its rule) the translation emits or reports."""

    owner: Owner
    host: str | None
    kind: PathKind
    path: str
    rule: str
    priority: int
    backends: tuple[ir.ServiceBackend, ...]
    #: entry points it is attached to (after dropping unknown names)
    entrypoints: tuple[str, ...]
    tls: bool
    where: str = ""
    #: its middlewares in order, chains expanded
    actions: list[Middleware] = field(default_factory=list)
    headers: tuple[tuple[str, str], ...] = ()
    method: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    #: IngressRoute tls.secretName (Ingress certificates come from spec.tls)
    tls_secret: str | None = None
    #: RequestMirror targets (a TraefikService of kind mirroring)
    mirrors: tuple[ir.Mirror, ...] = ()
    #: strictPrefixMatching (T-B2): the prefix `path` matches element-wise, as Gateway API's does
    strict: bool = False

    @property
    def key(self) -> str:
        return self.owner.key

    @property
    def extra(self) -> int:
        """How many non-path conditions it has (Gateway API ranks more specific matches first)."""
        return len(self.headers) + len(self.query) + (1 if self.method else 0)


def rule_string(host: str | None, kind: PathKind | None, path: str, *, strict: bool = False,
                host_regexp: bool = False) -> str:
    """The rule Traefik's Ingress provider writes (buildRule, v3 syntax). `strict`:
    strictPrefixMatching's `(Path("p") || PathPrefix("p/"))` for a prefix other than `/`;
    `host_regexp`: a wildcard host as Traefik v3.0-v3.6 wrote it (kubernetes.go buildHostRule at
    v3.6.24: `HostRegexp("^[a-zA-Z0-9-]+\\.example\\.com$")`, traefik-semantics.md T-B2)."""
    parts = []
    if host and host_regexp and host.startswith("*."):
        regex = "^[a-zA-Z0-9-]+" + host[1:].replace(".", "\\.") + "$"
        parts.append(f"HostRegexp({go_quote(regex)})")
    elif host:
        parts.append(f"Host({go_quote(host)})")
    if kind == "prefix" and strict and path != "/":
        p = path[:-1] if path.endswith("/") else path
        parts.append(f"(Path({go_quote(p)}) || PathPrefix({go_quote(p + '/')}))")
    elif kind is not None:
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
    """Does every request that `a` matches match `b` too? Hosts checked by the caller."""
    if not (set(b.headers) <= set(a.headers) and set(b.query) <= set(a.query) and b.method in (None, a.method)):
        return False
    if b.kind == "prefix" and b.strict:
        # element-wise: the path itself and what lies below it
        return a.kind in ("prefix", "exact") and (b.path == "/" or a.path == b.path
                                                   or a.path.startswith(b.path.rstrip("/") + "/"))
    if b.kind == "prefix":
        return a.kind in ("prefix", "exact") and a.path.startswith(b.path)
    if b.kind == "exact":
        return a.kind == "exact" and a.path == b.path
    return False


def overlap(a: Router, b: Router) -> bool:
    """Can one request match both (path-wise; a method on each must agree)?"""
    if a.method and b.method and a.method != b.method:
        return False
    if a.kind == "regex" or b.kind == "regex":
        return True
    if a.kind == "exact" and b.kind == "exact":
        return a.path == b.path
    if a.kind == "exact":
        return a.path.startswith(b.path)
    if b.kind == "exact":
        return b.path.startswith(a.path)
    return a.path.startswith(b.path) or b.path.startswith(a.path)


def gateway_prefers(a: Router, b: Router) -> bool:
    """Would Gateway API's precedence pick `a` over `b` for a request both match (same host)?
    Exact before prefix, then the longer prefix, then a method, more headers, more queries."""
    if a.kind != b.kind:
        return a.kind == "exact"
    if a.kind == "prefix" and len(a.path.rstrip("/")) != len(b.path.rstrip("/")):
        return len(a.path.rstrip("/")) > len(b.path.rstrip("/"))
    if bool(a.method) != bool(b.method):
        return bool(a.method)
    if len(a.headers) != len(b.headers):
        return len(a.headers) > len(b.headers)
    return len(a.query) > len(b.query)
