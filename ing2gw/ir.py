"""The neutral intermediate representation between controller semantics and Gateway API.

Providers (one per source controller) read Ingress objects and annotations and write this IR;
`emit` reads it and builds Gateway API objects. Neither side knows the other. Every item
carries the origin of the Ingress (and annotation) it came from.

Identity, not names: listeners are identified by (gateway, port, protocol, hostname) and routes
by their source; `emit` allocates the Kubernetes names, splits objects over CRD limits and
turns leftover intents into findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ing2gw.findings import Finding
from ing2gw.origin import Origin

PathType = Literal["Exact", "PathPrefix", "RegularExpression"]
Protocol = Literal["HTTP", "HTTPS", "TLS"]


@dataclass(frozen=True, slots=True)
class Source:
    """The Ingress (and optionally the annotation) an IR item comes from."""

    namespace: str
    name: str
    origin: Origin
    annotation: str | None = None
    #: the source object's kind; other kinds than Ingress (Traefik's IngressRoute) are named
    #: with it in `key` (and so in the output's source annotation)
    kind: str = "Ingress"

    @property
    def key(self) -> str:
        if self.kind != "Ingress":
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class PathMatch:
    """A path condition of a rule: its Gateway API type and value."""

    type: PathType
    value: str


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """A request header condition of a rule."""

    name: str
    value: str
    type: Literal["Exact", "RegularExpression"] = "Exact"


@dataclass(frozen=True, slots=True)
class QueryMatch:
    """A query parameter condition of a rule."""

    name: str
    value: str
    type: Literal["Exact", "RegularExpression"] = "Exact"


@dataclass(frozen=True, slots=True)
class Match:
    """The conditions of one rule match: path, headers, query parameters, method."""

    path: PathMatch | None = None
    headers: tuple[HeaderMatch, ...] = ()
    query: tuple[QueryMatch, ...] = ()
    method: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceBackend:
    """A Service port (resolved to a number) with a weight, in the route's namespace."""

    namespace: str
    name: str
    port: int
    weight: int | None = None
    #: backend-level request/response header changes (rare; canary-specific headers)
    request_headers_set: tuple[tuple[str, str], ...] = ()
    #: the Service is of type ExternalName with this DNS name (lower case, no root dot): a target
    #: that carries the `external-backend` intent names its own backend object instead
    external_name: str | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    """A RequestRedirect. None fields keep the request's value (Gateway API defaults)."""

    status: int
    scheme: str | None = None
    hostname: str | None = None
    port: int | None = None
    full_path: str | None = None
    prefix_path: str | None = None


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A URLRewrite: hostname and/or path (ReplaceFullPath or ReplacePrefixMatch), or a regex
    path rewrite (RE2 pattern, substitution with \\1 for groups) that only a target's own filter
    can express (`emit.targets.REGEX_REWRITE`; providers set it only when the target carries
    the `regex-rewrite` intent)."""

    hostname: str | None = None
    full_path: str | None = None
    prefix_path: str | None = None
    regex: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class HeaderChanges:
    """Header modifications: names set, added and removed."""

    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.set or self.add or self.remove)


@dataclass(frozen=True, slots=True)
class Mirror:
    """A mirrored copy of the requests to another backend, optionally a percentage."""

    backend: ServiceBackend
    percent: int | None = None


@dataclass(frozen=True, slots=True)
class Cors:
    """A CORS policy as the HTTPRoute CORS filter expresses it."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool | None = None
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class Timeouts:
    """HTTPRoute rule timeouts: the whole request, and each backend request."""

    request: str | None = None
    backend_request: str | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """Behaviour that plain Gateway API cannot carry and that a target implementation may
    express as a policy (rate limits, auth, body size, ...). An emitter that handles an intent
    marks it consumed; `emit` turns every intent left over into a finding, so nothing is lost
    without a word (STYLE.md, "leftovers are reported by construction")."""

    kind: str
    source: Source
    value: str
    security: bool = False
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """One HTTPRoute rule: matches plus exactly one action (forward or redirect)."""

    matches: tuple[Match, ...]
    source: Source
    backends: tuple[ServiceBackend, ...] = ()
    redirect: Redirect | None = None
    rewrite: Rewrite | None = None
    request_headers: HeaderChanges = HeaderChanges()
    response_headers: HeaderChanges = HeaderChanges()
    mirrors: tuple[Mirror, ...] = ()
    cors: Cors | None = None
    timeouts: Timeouts | None = None
    intents: tuple[Intent, ...] = ()
    #: why the rule exists, for reviewers (e.g. "nginx auto-redirect /p -> /p/")
    comment: str = ""
    #: answer with this status without a backend: only a target's own filter can (a provider
    #: sets it only when the target carries the `direct-response` intent; emit.targets.DIRECT_RESPONSE)
    direct_status: int | None = None


@dataclass(frozen=True, slots=True)
class ListenerKey:
    """A listener's identity on its Gateway: protocol, port and hostname (None = any host)."""

    gateway: str
    protocol: Protocol
    port: int
    hostname: str | None


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A Secret by namespace and name (referenced, never copied)."""

    namespace: str
    name: str


@dataclass
class Listener:
    """One Gateway listener the routes need: key, certificates, TLS mode, allowed namespaces."""

    key: ListenerKey
    certificates: list[SecretRef] = field(default_factory=list)
    tls_mode: Literal["Terminate", "Passthrough"] | None = None
    allowed_namespaces: set[str] = field(default_factory=set)
    #: route kinds allowed, when not the protocol's default (e.g. TLSRoute on Passthrough)
    kinds: tuple[str, ...] = ()
    #: cert-manager annotations that issue this listener's certificate (None: not managed)
    cert_manager: tuple[tuple[str, str], ...] | None = None
    #: the application namespace that alone serves this listener's host: with `--listeners
    #: listenerset` the listener goes to that namespace's ListenerSet (None: the platform's
    #: Gateway keeps it; always None with `--listeners gateway`)
    owner: str | None = None


@dataclass
class Gateway:
    """A platform-owned Gateway; `key` is the identity routes refer to."""

    key: str
    name: str
    namespace: str
    class_name: str
    ingress_classes: list[str] = field(default_factory=list)
    listeners: dict[ListenerKey, Listener] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    intents: list[Intent] = field(default_factory=list)

    def listener(self, protocol: Protocol, port: int, hostname: str | None) -> Listener:
        k = ListenerKey(self.key, protocol, port, hostname)
        if k not in self.listeners:
            self.listeners[k] = Listener(k)
        return self.listeners[k]


@dataclass
class Route:
    """An app-owned route: HTTPRoute, GRPCRoute or TLSRoute, in its source Ingress's namespace.

    `name_hint` is the readable part of the name; `emit` makes names unique. `hostnames` and
    `parents` (listener keys) apply to every rule, as in Gateway API.
    """

    kind: Literal["HTTPRoute", "GRPCRoute", "TLSRoute"]
    namespace: str
    name_hint: str
    source: Source
    hostnames: tuple[str, ...]
    parents: tuple[ListenerKey, ...]
    rules: list[Rule] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    #: readable parts added to the name when one Ingress yields several routes (host, "http")
    qualifiers: tuple[str, ...] = ()
    #: behaviour only an implementation policy can carry (consumed by emit/targets)
    intents: tuple[Intent, ...] = ()
    #: TLSRoute only: where the TLS stream goes
    tls_backends: tuple[ServiceBackend, ...] = ()


@dataclass(frozen=True, slots=True)
class Grant:
    """A ReferenceGrant: objects of `from_kind` in `from_namespace` may refer to `to_kind`
    `to_name` in `namespace`."""

    namespace: str
    from_group: str
    from_kind: str
    from_namespace: str
    to_group: str
    to_kind: str
    to_name: str | None


@dataclass(frozen=True, slots=True)
class BackendTLS:
    """A BackendTLSPolicy for a Service port the controller reached over TLS."""

    namespace: str
    service: str
    port: int | None
    hostname: str
    ca_configmap: str | None
    well_known: bool
    source: Source


@dataclass
class IR:
    """The whole translation, before names and limits are applied."""

    gateways: dict[str, Gateway] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    grants: set[Grant] = field(default_factory=set)
    backend_tls: list[BackendTLS] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Ingresses merged into other Ingresses' routes (canaries): they have no routes of their own
    merged: set[str] = field(default_factory=set)
