"""Traefik's dynamic configuration, as the providers generate it (before the routers are built).

Names follow Traefik: a provider names its routers, services and middlewares, and the
aggregator qualifies them with `@<provider>` (`testing-web-80@kubernetes`,
`testing-auth@kubernetescrd`). A reference without `@` is qualified with the provider of the
object that makes it (pkg/server/provider GetQualifiedName).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Union

from ing2gw.origin import Origin

PROVIDER_INGRESS = "kubernetes"
PROVIDER_CRD = "kubernetescrd"
PROVIDER_INTERNAL = "internal"
MIN_INT32 = -2**31


def normalize(name: str) -> str:
    """pkg/provider Normalize: runs of characters that are neither letters nor digits become
    one '-', with none at either end."""
    fields: list[str] = []
    cur: list[str] = []
    for c in name:
        if c.isalpha() or unicodedata.category(c).startswith("N"):
            cur.append(c)
        elif cur:
            fields.append("".join(cur))
            cur = []
    if cur:
        fields.append("".join(cur))
    return "-".join(fields)


def qualify(name: str, provider: str) -> str:
    """GetQualifiedName: `name@provider` unless the name already names a provider."""
    return name if "@" in name else f"{name}@{provider}"


@dataclass(frozen=True)
class RouterTLS:
    options: str = ""
    cert_resolver: str = ""
    domains: tuple[str, ...] = ()


@dataclass
class Router:
    """A router as a provider writes it."""

    name: str
    provider: str
    rule: str
    priority: int = 0
    syntax: str = ""
    entry_points: tuple[str, ...] = ()
    middlewares: tuple[str, ...] = ()
    service: str = ""
    tls: RouterTLS | None = None
    source_kind: str = ""
    source: str = ""
    origin: Origin | None = None
    #: routers the same name could have been instead (Traefik lists objects in map order)
    alternatives: list["Router"] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)

    def effective_priority(self) -> int:
        """A priority of 0 means the rule's length in bytes (pkg/muxer/http GetRulePriority)."""
        return self.priority if self.priority != 0 else len(self.rule.encode("utf-8"))


@dataclass
class LoadBalancer:
    """A Kubernetes Service port as a Traefik load balancer of servers."""

    namespace: str
    service: str
    port: int | str
    port_name: str
    servers: int
    scheme: str
    pass_host_header: bool = True
    servers_transport: str = ""
    external_name: str | None = None
    sticky: bool = False
    native_lb: bool = False
    strategy: str = ""
    assumed: bool = False


@dataclass
class Weighted:
    """A weighted round robin (also a route with several services) or highest-random-weight."""

    children: list[tuple[str, int]]
    sticky: bool = False
    hrw: bool = False


@dataclass
class Mirroring:
    main: str
    mirrors: list[tuple[str, int]]


@dataclass
class Failover:
    main: str
    fallback: str


ServiceBody = Union[LoadBalancer, Weighted, Mirroring, Failover]


@dataclass
class Service:
    name: str
    provider: str
    body: ServiceBody
    middlewares: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)


@dataclass
class Middleware:
    """A Middleware object: its type (`kinds` lists every type set, more than one is an error
    at build time) and its spec as written; `error` when the provider could not create it."""

    name: str
    provider: str
    kinds: tuple[str, ...]
    spec: dict[str, Any]
    namespace: str
    origin: Origin | None = None
    # what the provider resolved for it (users of basicAuth, chain members, error page service)
    resolved: dict[str, Any] = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return qualify(self.name, self.provider)

    @property
    def kind(self) -> str:
        return self.kinds[0] if self.kinds else ""


@dataclass
class ServersTransport:
    name: str
    insecure_skip_verify: bool = False
    server_name: str = ""
    root_cas: bool = False


@dataclass
class TLSOption:
    name: str
    client_auth: str = ""
    sni_strict: bool = False


@dataclass(frozen=True)
class Certificate:
    """A certificate in the store: the Secret it came from and the names it covers."""

    secret: str
    sans: tuple[str, ...]
    assumed: bool = False


@dataclass
class DynamicConfig:
    routers: dict[str, Router] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    middlewares: dict[str, Middleware] = field(default_factory=dict)
    transports: dict[str, ServersTransport] = field(default_factory=dict)
    tls_options: dict[str, TLSOption] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)
    default_certificate: str = "traefik-default-cert"
    #: objects a provider did not load (key "Kind ns/name" -> why)
    ignored: dict[str, str] = field(default_factory=dict)
    #: what a provider skipped inside objects it loaded (a path, a route), with why
    skipped: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
