"""The state the ingress-nginx modules share while building one IngressClass: nginx servers and
locations (`Server`, `Loc`) and what the provider has found so far (`BuildState`).

A leaf of the package: the provider (`provider._Builder`, which fills the state) and the modules it
calls (paths, regex, features, canary, backend, servers) import this module, never each other's
builder, so the package has no import cycle (tests/test_layers.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ing2gw import ir
from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext
from ing2gw.providers.ingress import rule_hosts
from ing2gw.providers.ingress_nginx.annotations import NginxAnnotations, NginxGlobals

CATCH_ALL = "_"


class _DefaultCert:
    """The controller's default (self-signed) certificate: TLS without a usable Secret."""

    def __repr__(self) -> str:
        return "DEFAULT_CERT"


DEFAULT_CERT = _DefaultCert()


@dataclass
class Loc:
    """An nginx location before prefix expansion (B5)."""

    path: str
    type: Literal["Exact", "Prefix"]
    owner: Ingress | None
    ann: NginxAnnotations | None
    backend: ir.ServiceBackend | None  # None: controller default backend (404) or unresolved
    is_root: bool = False
    unresolved: bool = False  # backend could not be resolved (error already reported)
    where: str = ""
    #: ingress-nginx's upstream `namespace-service-port` (port as written); '' for its default backend
    upstream: str = ""


@dataclass
class Server:
    """One nginx server block: its host, the Ingress that created it, its locations and certificate."""

    host: str
    first: Ingress | None
    locs: list[Loc] = field(default_factory=list)
    cert: ir.SecretRef | _DefaultCert | None = None
    cert_owner: Ingress | None = None
    #: the host this server is a server-alias of (its copy): not a server of its own in nginx
    alias_of: str | None = None

    @property
    def root(self) -> Loc:
        return self.locs[0]


def _where_host(host: str) -> str:
    """A server's host as a finding's `hosts` detail: the catch-all server answers every host
    that no rule names (`*` in predictions)."""
    return "*" if host == CATCH_ALL else host


def hosts_quiet(ing: Ingress) -> list[str]:
    """Rule hosts of an Ingress in order, '' as the catch-all server's '_', invalid ones skipped
    (reported once by the provider)."""
    return rule_hosts(ing, CATCH_ALL)


class BuildState:
    """What the modules of the package read and fill while one IngressClass is built."""

    def __init__(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress],
                 anns: dict[str, NginxAnnotations], glob: NginxGlobals) -> None:
        self.ctx = ctx
        self.class_name = class_name
        self.ings = ingresses
        self.anns = anns
        self.glob = glob
        self.gw = ctx.gateway_for(class_name)
        self.servers: dict[str, Server] = {}
        #: Ingress key -> (Ingress, hosts) whose HTTPS redirect loses a trailing slash (CORE-016)
        self.slash_hosts: dict[str, tuple[Ingress, list[str]]] = {}
        #: hosts served over HTTPS by ingress-nginx with its default certificate only (CORE-015)
        self.no_tls_hosts: list[str] = []
        #: primary upstream name -> its canary (canary)
        self.canary_of: dict[str, Any] = {}
        #: upstream name -> who created it, canary policy, alternatives (canary, B1)
        self.upstreams: dict[str, Any] = {}
        #: (Ingress key, topic) pairs already reported, for once-per-Ingress findings
        self.reported: set[tuple[str, str]] = set()
        #: hosts with an HTTPS listener
        self.https_hosts: list[str] = []
        #: Service ports already given a BackendTLSPolicy (or reported)
        self.tls_backends: set[tuple[str, str, int]] = set()
        #: (len(servers) when built, ".suffix" -> wildcard server name): the wildcard servers by
        #: the suffix they match, so a host's captor is found by its own labels (paths)
        self.wildcards: tuple[int, dict[str, str]] = (-1, {})

    def _hosts_quiet(self, ing: Ingress) -> list[str]:
        return hosts_quiet(ing)
