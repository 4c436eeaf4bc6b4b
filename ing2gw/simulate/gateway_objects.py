"""Typed values for the Gateway API router: what it reads from Gateways, ListenerSets, routes,
ReferenceGrants, Services and Namespaces (see `gateway_read` for how they are read and checked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GW_GROUP = "gateway.networking.k8s.io"
#: Gateway API kinds the router reads (ListenerSet's pre-1.5 experimental name is accepted too).
GATEWAY_KINDS = frozenset({"Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "TLSRoute",
                           "TCPRoute", "UDPRoute", "ReferenceGrant", "ListenerSet", "XListenerSet",
                           "BackendTLSPolicy"})
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")
HTTP_METHODS = frozenset("GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH".split())
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_DURATION_PART = re.compile(r"([0-9]{1,5})(h|ms|m|s)")


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class Selector:
    """A Kubernetes label selector (matchLabels and matchExpressions, ANDed)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """True when `labels` satisfy every requirement (an empty selector selects everything)."""
        for k, v in self.match_labels:
            if labels.get(k) != v:
                return False
        for key, op, values in self.expressions:
            present = key in labels
            if op == "In" and not (present and labels[key] in values):
                return False
            if op == "NotIn" and present and labels[key] in values:
                return False
            if op == "Exists" and not present:
                return False
            if op == "DoesNotExist" and present:
                return False
        return True


@dataclass(frozen=True, slots=True)
class ListenerSpec:
    """One listener, from a Gateway or from a ListenerSet."""

    owner_kind: str            # "Gateway" or "ListenerSet"
    owner_ns: str
    owner_name: str
    name: str
    port: int
    protocol: str
    hostname: str | None
    tls_mode: str | None       # "Terminate" / "Passthrough" / None (no tls block)
    cert_refs: tuple[tuple[str, str, str, str], ...]   # (group, kind, namespace, name)
    allowed_from: str          # Same / All / Selector / None
    allowed_selector: Selector | None
    allowed_kinds: tuple[tuple[str, str], ...] | None  # (group, kind); None = by protocol
    index: int                 # position in its owner's listener list


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    namespace: str
    name: str
    class_name: str
    listeners: tuple[ListenerSpec, ...]
    allowed_listeners_from: str            # None / Same / All / Selector
    allowed_listeners_selector: Selector | None
    origin: Any
    unmodelled: tuple[str, ...] = ()       # Gateway-wide settings that are not modelled
    #: spec.tls.frontend: (port, mode) per port override, port None for the default; mode ""
    #: when the entry validates nothing (simulate.gateway_frontend)
    frontend: tuple[tuple[int | None, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ListenerSetSpec:
    namespace: str
    name: str
    age: tuple[int, float]
    parent_ns: str
    parent_name: str
    listeners: tuple[ListenerSpec, ...]
    origin: Any
    parent_group: str = GW_GROUP
    parent_kind: str = "Gateway"


@dataclass(frozen=True, slots=True)
class ValueMatch:
    """A header or query-parameter match. `name` is lower-case for headers."""

    name: str
    type: str                  # Exact / RegularExpression
    value: str
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class PathMatch:
    type: str                  # Exact / PathPrefix / RegularExpression
    value: str
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class HTTPMatch:
    path: PathMatch
    headers: tuple[ValueMatch, ...]
    queries: tuple[ValueMatch, ...]
    method: str | None


@dataclass(frozen=True, slots=True)
class GRPCMatch:
    """A GRPCRoute match: service/method (Exact or RegularExpression) and headers."""

    type: str
    service: str | None
    method: str | None
    service_re: re.Pattern[str] | None
    method_re: re.Pattern[str] | None
    headers: tuple[ValueMatch, ...]


@dataclass(frozen=True, slots=True)
class HeaderOps:
    """An HTTPHeaderFilter: set, add and remove (names as written)."""

    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()

    def names_in_conflict(self) -> list[str]:
        """Header names used by more than one action (the spec calls such a filter invalid)."""
        seen: dict[str, int] = {}
        for n in [n for n, _ in self.set] + [n for n, _ in self.add] + list(self.remove):
            seen[n.lower()] = seen.get(n.lower(), 0) + 1
        return sorted(n for n, c in seen.items() if c > 1)


@dataclass(frozen=True, slots=True)
class PathModifier:
    type: str                  # ReplaceFullPath / ReplacePrefixMatch
    value: str


@dataclass(frozen=True, slots=True)
class RedirectSpec:
    scheme: str | None
    hostname: str | None
    port: int | None
    path: PathModifier | None
    status: int


@dataclass(frozen=True, slots=True)
class RewriteSpec:
    hostname: str | None
    path: PathModifier | None


@dataclass(frozen=True, slots=True)
class CorsSpec:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int
    allow_credentials: bool


@dataclass(frozen=True, slots=True)
class BackendRefSpec:
    group: str
    kind: str
    namespace: str | None      # None = the route's namespace
    name: str
    port: int | None
    weight: int
    filters: tuple["FilterSpec", ...] = ()


@dataclass(frozen=True, slots=True)
class MirrorSpec:
    backend: BackendRefSpec
    fraction: float            # 0..1 of requests mirrored


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """One route filter; exactly one of the typed fields is set (except for ExtensionRef and
    ExternalAuth, which keep `detail` only: they are not modelled)."""

    type: str
    header_ops: HeaderOps | None = None
    redirect: RedirectSpec | None = None
    rewrite: RewriteSpec | None = None
    mirror: MirrorSpec | None = None
    cors: CorsSpec | None = None
    detail: str = ""
    #: ExtensionRef: (group, kind, name) of the referenced object (resolved per implementation)
    ext: tuple[str, str, str] | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    index: int
    name: str | None
    http_matches: tuple[HTTPMatch, ...]
    grpc_matches: tuple[GRPCMatch, ...]
    filters: tuple[FilterSpec, ...]
    backend_refs: tuple[BackendRefSpec, ...]
    timeouts: tuple[tuple[str, str], ...]   # ("request", "500ms"), ("backendRequest", ...)
    unmodelled: tuple[str, ...]              # rule features that change answers but are not modelled
    retry: tuple[int, tuple[int, ...]] | None = None   # (attempts, status codes), Experimental

    def label(self) -> str:
        """How answers name this rule: its index, and its name when it has one."""
        return f"{self.index} ({self.name})" if self.name else str(self.index)


@dataclass(frozen=True, slots=True)
class ParentRefSpec:
    group: str
    kind: str
    namespace: str
    name: str
    section_name: str | None
    port: int | None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    kind: str
    namespace: str
    name: str
    age: tuple[int, float]     # (0, epoch) with a creationTimestamp, (1, 0) without: newest
    hostnames: tuple[str, ...]
    parent_refs: tuple[ParentRefSpec, ...]
    rules: tuple[RuleSpec, ...]
    origin: Any

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def label(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class GrantSpec:
    namespace: str
    froms: tuple[tuple[str, str, str], ...]      # (group, kind, namespace)
    tos: tuple[tuple[str, str, str | None], ...]  # (group, kind, name or None = all)

    def permits(self, from_group: str, from_kind: str, from_ns: str, to_group: str, to_kind: str,
                to_name: str) -> bool:
        """True when this grant lets (from_*) refer to the object (to_*) in its namespace."""
        if not any(g == from_group and k == from_kind and n == from_ns for g, k, n in self.froms):
            return False
        return any(g == to_group and k == to_kind and (n is None or n == to_name) for g, k, n in self.tos)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    namespace: str
    name: str
    ports: tuple[tuple[str | None, int, str | None], ...]   # (name, port, appProtocol)
    type: str
    external_name: str | None = None                         # type ExternalName: spec.externalName


@dataclass
class Inventory:
    """Everything the Gateway API router reads from the input, validated."""

    gateways: list[GatewaySpec] = field(default_factory=list)
    gateway_classes: set[str] = field(default_factory=set)
    listener_sets: list[ListenerSetSpec] = field(default_factory=list)
    routes: list[RouteSpec] = field(default_factory=list)
    other_routes: list[tuple[str, str, str]] = field(default_factory=list)   # TCPRoute/UDPRoute
    #: (namespace, Service name) -> BackendTLSPolicy names that target it (TLS to the backend)
    backend_tls: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    grants: list[GrantSpec] = field(default_factory=list)
    services: dict[tuple[str, str], ServiceSpec] = field(default_factory=dict)
    secrets: dict[tuple[str, str], bool] = field(default_factory=dict)      # -> valid
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)     # -> labels


# ---------------------------------------------------------------------------------------------
# Helpers


def age_key(timestamp: Any) -> tuple[int, float]:
    """Sort key for "oldest first": objects without a creationTimestamp come last (they would
    be created now, after every object that has one)."""
    if isinstance(timestamp, str) and timestamp:
        try:
            return (0, datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return (1, 0.0)
    if isinstance(timestamp, datetime):
        return (0, timestamp.timestamp())
    return (1, 0.0)


def duration_ms(text: str) -> int:
    """A Gateway API Duration ("1h30m", "500ms") in milliseconds."""
    unit = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
    return sum(int(n) * unit[u] for n, u in _DURATION_PART.findall(text))
