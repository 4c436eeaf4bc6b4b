"""Traefik's static (install) configuration, as far as it changes where requests go.

The document is Traefik's own static-configuration YAML (`entryPoints`, `providers`, `core`,
`serversTransport`, `certificatesResolvers`, ...) given to the simulator in the `traefik`
section of the cluster context (`ing2gw simulate --context FILE`), plus three keys of the
simulator:

* `traefikVersion`: "3.7" (default, the release the model follows), an older 3.x ("3.6" and
  earlier write a wildcard Ingress host as HostRegexp, traefik-semantics.md T-B2), or "2.11"
  (approximately: v2 rule syntax by default and the traefik.containo.us API group read; the
  rest as v3.7). Without it, an input holding traefik.containo.us objects is modelled as v2.11
  (Traefik v3 ignores that group), and the answers say so;
* `ingressClasses`: IngressClasses that exist in the cluster but are not in the input, as
  name -> controller (default `{traefik: traefik.io/ingress-controller}`, the Helm chart's);
* `entryPoints.<name>.address` is the port clients connect to: write the Service port (80,
  443), not the container port the chart uses (8000, 8443).

Defaults are the Helm chart's (traefik-semantics.md T-C1): entry points `web` (:80) and
`websecure` (:443, `http.tls`), providers kubernetesCRD and kubernetesIngress with
`allowEmptyServices: true`. The document is a delta over them, except `entryPoints`, which
replaces the whole set when given. A provider is disabled with `providers.<name>: false`.

Keys Traefik does not know are an error (Traefik refuses to start on them); keys that can change
answers but are not modelled go to `StaticConfig.unmodelled`, reported on every answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ing2gw.errors import InputError, Problem

SOURCE = "<context: traefik>"
MAX_INT = 2**63 - 1
#: the priority Traefik gives an entry point redirection router (RedirectEntryPoint.SetDefaults)
REDIRECT_PRIORITY = MAX_INT - 1
DEFAULT_CONTROLLER = "traefik.io/ingress-controller"
#: providers.precedence default (pkg/config/static/static_config.go providerNames)
DEFAULT_PRECEDENCE = ("kubernetesgateway", "kubernetescrd", "kubernetes", "kubernetesingressnginx", "swarm",
                      "docker", "file", "redis", "knative", "consul", "consulcatalog", "nomad", "etcd", "ecs",
                      "http", "zookeeper", "rest")

#: top-level keys that never change where a request goes
_NEUTRAL_TOP = {"global", "log", "accesslog", "tracing", "metrics", "ping", "tcpserverstransport", "spiffe", "ocsp",
                "api"}
#: top-level keys whose effect on answers is not modelled
_UNMODELLED_TOP = {
    "hostresolver": "hostResolver (CNAME flattening): Host matchers also compare the flattened name",
    "experimental": "experimental features (plugins, ...)",
}
_PROVIDERS_UNMODELLED = {
    "file": "routers and middlewares of the file provider (references to @file are not resolved)",
    "docker": "routers of the Docker provider", "swarm": "routers of the Swarm provider",
    "kubernetesgateway": "routes of the Kubernetes Gateway provider",
    "kubernetesingressnginx": "Ingresses of the kubernetesIngressNGINX provider",
    "consul": "routers of the Consul provider", "consulcatalog": "routers of the Consul Catalog provider",
    "etcd": "routers of the etcd provider", "redis": "routers of the Redis provider",
    "zookeeper": "routers of the ZooKeeper provider", "http": "routers of the HTTP provider",
    "rest": "routers of the REST provider", "nomad": "routers of the Nomad provider",
    "ecs": "routers of the ECS provider", "knative": "routes of the Knative provider",
}
_ENCODED = {  # EncodedCharacters field -> the escapes it denies when false (config/dynamic Map)
    "allowencodedslash": ("%2F", "%2f"), "allowencodedbackslash": ("%5C", "%5c"),
    "allowencodednullcharacter": ("%00",), "allowencodedsemicolon": ("%3B", "%3b"),
    "allowencodedpercent": ("%25",), "allowencodedquestionmark": ("%3F", "%3f"), "allowencodedhash": ("%23",),
}


@dataclass(frozen=True)
class TLSDefaults:
    """entryPoints.<ep>.http.tls or a router's tls: options name, cert resolver, domains."""

    options: str = ""
    cert_resolver: str = ""
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Redirection:
    to: str
    scheme: str
    permanent: bool
    priority: int
    port: str


@dataclass(frozen=True)
class EntryPoint:
    name: str
    port: int | None
    protocol: str = "tcp"
    as_default: bool = False
    tls: TLSDefaults | None = None
    middlewares: tuple[str, ...] = ()
    redirection: Redirection | None = None
    denied_encoded: frozenset[str] = frozenset()
    sanitize_path: bool = True
    encode_query_semicolons: bool = False
    underscore_headers: str = "keep"
    forwarded_insecure: bool = False
    forwarded_trusted: tuple[str, ...] = ()
    allow_acme_bypass: bool = False
    proxy_protocol: bool = False
    has_model: bool = False


@dataclass(frozen=True)
class IngressOptions:
    """providers.kubernetesIngress."""

    enabled: bool = True
    ingress_class: str = ""
    namespaces: tuple[str, ...] = ()
    label_selector: str = ""
    allow_empty_services: bool = True
    allow_external_name_services: bool = False
    cross_provider_namespaces: tuple[str, ...] | None = None
    disable_ingress_class_lookup: bool = False
    disable_cluster_scope_resources: bool = False
    native_lb_by_default: bool = False
    strict_prefix_matching: bool = False


@dataclass(frozen=True)
class CRDOptions:
    """providers.kubernetesCRD."""

    enabled: bool = True
    ingress_class: str = ""
    namespaces: tuple[str, ...] = ()
    label_selector: str = ""
    allow_cross_namespace: bool = False
    allow_external_name_services: bool = False
    allow_empty_services: bool = True
    cross_provider_namespaces: tuple[str, ...] | None = None
    native_lb_by_default: bool = False
    disable_cluster_scope_resources: bool = False


@dataclass(frozen=True)
class StaticConfig:
    entry_points: dict[str, EntryPoint]
    ingress: IngressOptions = IngressOptions()
    crd: CRDOptions = CRDOptions()
    default_rule_syntax: str = ""
    version: tuple[int, int] = (3, 7)
    version_given: bool = False
    ingress_classes: dict[str, str] = field(default_factory=lambda: {"traefik": DEFAULT_CONTROLLER})
    insecure_skip_verify: bool = False
    precedence: tuple[str, ...] = DEFAULT_PRECEDENCE
    acme_http_entry_points: tuple[tuple[str, bool], ...] = ()
    #: providers configured here that the simulator does not read (references to them are unknown)
    foreign_providers: tuple[str, ...] = ()
    unmodelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def default_entry_points(self) -> tuple[str, ...]:
        """Entry points of a router that names none (cmd/traefik getDefaultsEntrypoints): the
        `asDefault` ones, else every TCP entry point but `traefik`."""
        marked = [n for n, ep in self.entry_points.items() if ep.as_default and ep.protocol == "tcp"]
        if marked:
            return tuple(sorted(marked))
        return tuple(sorted(n for n, ep in self.entry_points.items() if ep.protocol == "tcp" and n != "traefik"))

    def by_port(self) -> dict[int, EntryPoint]:
        return {ep.port: ep for ep in sorted(self.entry_points.values(), key=lambda e: e.name)
                if ep.port is not None and ep.protocol == "tcp"}


CHART_ENTRY_POINTS: dict[str, Any] = {
    "web": {"address": ":80"},
    "websecure": {"address": ":443", "http": {"tls": {}}},
}


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.unmodelled: list[str] = []
        self.notes: list[str] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(Problem(SOURCE, 0, f"{where}: {message}"))

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.bad(where, "must be a mapping")
            return {}
        return {str(k): v for k, v in value.items()}

    def boolean(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.bad(where, f"{value!r} is not true or false")
        return False

    def strings(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return tuple(str(v) for v in value)
        self.bad(where, "must be a list of strings")
        return ()

    def integer(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.bad(where, f"{value!r} is not an integer")
            return 0
        try:
            return int(value)
        except ValueError:
            self.bad(where, f"{value!r} is not an integer")
            return 0


def _lower_keys(r: _Reader, d: dict[str, Any], where: str, known: set[str]) -> dict[str, Any]:
    """Traefik's configuration keys are case-insensitive; unknown ones are an error."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        lk = k.lower()
        if lk not in known:
            r.bad(f"{where}.{k}", f"unknown key; known: {', '.join(sorted(known))}")
            continue
        out[lk] = v
    return out


def _address_port(r: _Reader, name: str, address: Any) -> tuple[int | None, str]:
    if not isinstance(address, str) or not address:
        r.bad(f"entryPoints.{name}.address", "missing; write e.g. \":80\"")
        return None, "tcp"
    addr, _, proto = address.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in ("tcp", "udp"):
        r.bad(f"entryPoints.{name}.address", f"invalid protocol {proto!r}")
    m = re.search(r":(\d+)$", addr)
    if not m:
        r.bad(f"entryPoints.{name}.address", f"{address!r} has no port; write e.g. \":80\"")
        return None, proto
    return int(m.group(1)), proto


_EP_KEYS = {"address", "asdefault", "http", "http2", "http3", "transport", "proxyprotocol", "forwardedheaders",
            "udp", "observability", "allowacmebypass", "reuseport"}
_HTTP_KEYS = {"redirections", "middlewares", "tls", "encodedcharacters", "encodequerysemicolons", "sanitizepath",
              "maxheaderbytes", "underscoreheadersstrategy"}


def _entry_point(r: _Reader, name: str, raw: Any) -> EntryPoint:
    d = _lower_keys(r, r.mapping(raw, f"entryPoints.{name}"), f"entryPoints.{name}", _EP_KEYS)
    port, proto = _address_port(r, name, d.get("address"))
    http = _lower_keys(r, r.mapping(d.get("http"), f"entryPoints.{name}.http"), f"entryPoints.{name}.http",
                       _HTTP_KEYS)
    tls: TLSDefaults | None = None
    if "tls" in http:
        t = _lower_keys(r, r.mapping(http["tls"], f"entryPoints.{name}.http.tls"), f"entryPoints.{name}.http.tls",
                        {"options", "certresolver", "domains"})
        doms: list[str] = []
        for i, dom in enumerate(t.get("domains") or []):
            dd = r.mapping(dom, f"entryPoints.{name}.http.tls.domains[{i}]")
            doms += [str(dd.get("main") or "")] + list(r.strings(dd.get("sans"), "sans"))
        tls = TLSDefaults(str(t.get("options") or ""), str(t.get("certresolver") or ""), tuple(x for x in doms if x))
    denied: set[str] = set()
    if "encodedcharacters" in http:
        ec = _lower_keys(r, r.mapping(http["encodedcharacters"], "encodedCharacters"),
                         f"entryPoints.{name}.http.encodedCharacters", set(_ENCODED))
        for key, escapes in _ENCODED.items():
            if key in ec and not r.boolean(ec[key], f"entryPoints.{name}.http.encodedCharacters.{key}"):
                denied.update(escapes)
    fh = _lower_keys(r, r.mapping(d.get("forwardedheaders"), "forwardedHeaders"),
                     f"entryPoints.{name}.forwardedHeaders",
                     {"insecure", "trustedips", "connection", "notappendxforwardedfor", "addxforwardedschemeheaders"})
    strategy = str(http.get("underscoreheadersstrategy") or "keep").lower()
    if strategy not in ("keep", "delete", "reject"):
        r.bad(f"entryPoints.{name}.http.underscoreHeadersStrategy", f"invalid value {strategy!r}")
    return EntryPoint(
        name=name, port=port, protocol=proto,
        as_default=r.boolean(d["asdefault"], f"entryPoints.{name}.asDefault") if "asdefault" in d else False,
        tls=tls,
        middlewares=r.strings(http.get("middlewares"), f"entryPoints.{name}.http.middlewares"),
        denied_encoded=frozenset(denied),
        sanitize_path=r.boolean(http["sanitizepath"], "sanitizePath") if "sanitizepath" in http else True,
        encode_query_semicolons=(r.boolean(http["encodequerysemicolons"], "encodeQuerySemicolons")
                                 if "encodequerysemicolons" in http else False),
        underscore_headers=strategy,
        forwarded_insecure=r.boolean(fh["insecure"], "forwardedHeaders.insecure") if "insecure" in fh else False,
        forwarded_trusted=r.strings(fh.get("trustedips"), "forwardedHeaders.trustedIPs"),
        allow_acme_bypass=(r.boolean(d["allowacmebypass"], "allowACMEByPass") if "allowacmebypass" in d else False),
        proxy_protocol=d.get("proxyprotocol") is not None,
        has_model=bool(http.get("middlewares")) or tls is not None or "encodedcharacters" in http,
    )


def _redirections(r: _Reader, raw_eps: dict[str, Any], eps: dict[str, EntryPoint]) -> dict[str, EntryPoint]:
    """entryPoints.<ep>.http.redirections.entryPoint (pkg/provider/traefik/internal.go redirection)."""
    out = dict(eps)
    for name, raw in raw_eps.items():
        d = {k.lower(): v for k, v in r.mapping(raw, name).items()}
        http = {k.lower(): v for k, v in r.mapping(d.get("http"), name).items()}
        red = {k.lower(): v for k, v in r.mapping(http.get("redirections"), name).items()}
        if not red:
            continue
        unknown = set(red) - {"entrypoint"}
        if unknown:
            r.bad(f"entryPoints.{name}.http.redirections", f"unknown key(s) {', '.join(sorted(unknown))}")
        e = _lower_keys(r, r.mapping(red.get("entrypoint"), "entryPoint"),
                        f"entryPoints.{name}.http.redirections.entryPoint", {"to", "scheme", "permanent", "priority"})
        to = str(e.get("to") or "")
        if not to:
            r.notes.append(f"entry point {name}: redirection without 'to' is ignored (as Traefik does)")
            continue
        m = re.fullmatch(r":(\d+)", to)
        if m:
            port = m.group(1)
        elif to in eps and eps[to].port is not None:
            port = str(eps[to].port)
        else:
            r.bad(f"entryPoints.{name}.http.redirections.entryPoint.to",
                  f"'to' names a non-existing entry point {to!r}")
            continue
        priority = r.integer(e["priority"], "priority") if "priority" in e else REDIRECT_PRIORITY
        red_obj = Redirection(to=to, scheme=str(e.get("scheme") or "https"),
                              permanent=r.boolean(e["permanent"], "permanent") if "permanent" in e else True,
                              priority=priority, port=port)
        ep = eps[name]
        out[name] = EntryPoint(**{**ep.__dict__, "redirection": red_obj})
    return out


_INGRESS_KEYS = {"endpoint", "token", "certauthfilepath", "namespaces", "labelselector", "ingressclass",
                 "ingressendpoint", "reportnodeinternalips", "throttleduration", "allowemptyservices",
                 "allowexternalnameservices", "crossprovidernamespaces", "disableingressclasslookup",
                 "disableclusterscoperesources", "nativelbbydefault", "strictprefixmatching"}
_CRD_KEYS = {"endpoint", "token", "certauthfilepath", "namespaces", "allowcrossnamespace",
             "allowexternalnameservices", "crossprovidernamespaces", "labelselector", "ingressclass",
             "throttleduration", "allowemptyservices", "nativelbbydefault", "disableclusterscoperesources"}


def _ingress_options(r: _Reader, raw: Any) -> IngressOptions:
    if raw is False:
        return IngressOptions(enabled=False)
    d = _lower_keys(r, r.mapping(raw, "providers.kubernetesIngress"), "providers.kubernetesIngress", _INGRESS_KEYS)
    base = IngressOptions()

    def flag(key: str, default: bool) -> bool:
        return r.boolean(d[key], f"providers.kubernetesIngress.{key}") if key in d else default

    return IngressOptions(
        enabled=True,
        ingress_class=str(d.get("ingressclass") or ""),
        namespaces=r.strings(d.get("namespaces"), "providers.kubernetesIngress.namespaces"),
        label_selector=str(d.get("labelselector") or ""),
        allow_empty_services=flag("allowemptyservices", base.allow_empty_services),
        allow_external_name_services=flag("allowexternalnameservices", False),
        cross_provider_namespaces=(r.strings(d["crossprovidernamespaces"], "crossProviderNamespaces")
                                   if "crossprovidernamespaces" in d and d["crossprovidernamespaces"] is not None
                                   else None),
        disable_ingress_class_lookup=flag("disableingressclasslookup", False),
        disable_cluster_scope_resources=flag("disableclusterscoperesources", False),
        native_lb_by_default=flag("nativelbbydefault", False),
        strict_prefix_matching=flag("strictprefixmatching", False),
    )


def _crd_options(r: _Reader, raw: Any) -> CRDOptions:
    if raw is False:
        return CRDOptions(enabled=False)
    d = _lower_keys(r, r.mapping(raw, "providers.kubernetesCRD"), "providers.kubernetesCRD", _CRD_KEYS)

    def flag(key: str, default: bool) -> bool:
        return r.boolean(d[key], f"providers.kubernetesCRD.{key}") if key in d else default

    return CRDOptions(
        enabled=True,
        ingress_class=str(d.get("ingressclass") or ""),
        namespaces=r.strings(d.get("namespaces"), "providers.kubernetesCRD.namespaces"),
        label_selector=str(d.get("labelselector") or ""),
        allow_cross_namespace=flag("allowcrossnamespace", False),
        allow_external_name_services=flag("allowexternalnameservices", False),
        allow_empty_services=flag("allowemptyservices", True),
        cross_provider_namespaces=(r.strings(d["crossprovidernamespaces"], "crossProviderNamespaces")
                                   if "crossprovidernamespaces" in d and d["crossprovidernamespaces"] is not None
                                   else None),
        native_lb_by_default=flag("nativelbbydefault", False),
        disable_cluster_scope_resources=flag("disableclusterscoperesources", False),
    )


def _version(r: _Reader, raw: Any) -> tuple[int, int]:
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", str(raw).strip()) if raw is not None else None
    if not m:
        r.bad("traefikVersion", f"{raw!r} is not a version such as \"3.7\"")
        return (3, 7)
    major, minor = int(m.group(1)), int(m.group(2))
    if major not in (2, 3):
        r.bad("traefikVersion", f"{raw!r}: the simulator models Traefik v3 (and v2.10-v2.11 approximately)")
    return major, minor


_TOP = {"entrypoints", "providers", "core", "serverstransport", "certificatesresolvers", "traefikversion",
        "ingressclasses"} | _NEUTRAL_TOP | set(_UNMODELLED_TOP)


def parse_static(doc: Mapping[str, Any] | None) -> StaticConfig:
    """The static configuration from the context's `traefik` document (InputError listing every
    problem)."""
    r = _Reader()
    top = _lower_keys(r, r.mapping(doc, "traefik"), "traefik", _TOP)
    for key, why in _UNMODELLED_TOP.items():
        if top.get(key) is not None:
            r.unmodelled.append(why)
    raw_eps = r.mapping(top["entrypoints"], "entryPoints") if "entrypoints" in top else dict(CHART_ENTRY_POINTS)
    eps = {name: _entry_point(r, name, raw) for name, raw in raw_eps.items()}
    eps = _redirections(r, raw_eps, eps)
    for ep in eps.values():
        if ep.proxy_protocol:
            r.unmodelled.append(f"entry point {ep.name}: PROXY protocol (the client address comes from the "
                                "PROXY header)")
    providers = {k.lower(): v for k, v in r.mapping(top.get("providers"), "providers").items()}
    precedence: tuple[str, ...] = DEFAULT_PRECEDENCE
    foreign: list[str] = []
    for key, value in providers.items():
        if key in _PROVIDERS_UNMODELLED and value is not False:
            r.unmodelled.append(_PROVIDERS_UNMODELLED[key])
            foreign.append(key)
        elif key == "precedence":
            precedence = tuple(p.lower() for p in r.strings(value, "providers.precedence"))
        elif key not in ("kubernetesingress", "kubernetescrd", "providersthrottleduration", "plugin")\
                and key not in _PROVIDERS_UNMODELLED:
            r.bad(f"providers.{key}", "unknown provider")
    core = _lower_keys(r, r.mapping(top.get("core"), "core"), "core", {"defaultrulesyntax"})
    syntax = str(core.get("defaultrulesyntax") or "")
    if syntax not in ("", "v2", "v3"):
        r.bad("core.defaultRuleSyntax", f"{syntax!r} must be v2 or v3")
    st = {k.lower(): v for k, v in r.mapping(top.get("serverstransport"), "serversTransport").items()}
    insecure = r.boolean(st["insecureskipverify"], "serversTransport.insecureSkipVerify") \
        if "insecureskipverify" in st else False
    acme: list[tuple[str, bool]] = []
    for rname, res in r.mapping(top.get("certificatesresolvers"), "certificatesResolvers").items():
        rd = {k.lower(): v for k, v in r.mapping(res, rname).items()}
        ad = {k.lower(): v for k, v in r.mapping(rd.get("acme"), rname).items()}
        hc = {k.lower(): v for k, v in r.mapping(ad.get("httpchallenge"), rname).items()}
        ep_name = str(hc.get("entrypoint") or "")
        if ep_name and ep_name in eps:
            acme.append((ep_name, eps[ep_name].allow_acme_bypass))
    classes = {"traefik": DEFAULT_CONTROLLER}
    if "ingressclasses" in top:
        classes = {str(k): str(v) for k, v in r.mapping(top["ingressclasses"], "ingressClasses").items()}
    version = _version(r, top["traefikversion"]) if top.get("traefikversion") is not None else (3, 7)
    ingress = _ingress_options(r, providers["kubernetesingress"]) if "kubernetesingress" in providers \
        else IngressOptions()
    crd = _crd_options(r, providers["kubernetescrd"]) if "kubernetescrd" in providers else CRDOptions()
    if r.problems:
        raise InputError(r.problems)
    return StaticConfig(
        entry_points=eps,
        ingress=ingress,
        crd=crd,
        default_rule_syntax=syntax,
        version=version,
        version_given=top.get("traefikversion") is not None,
        ingress_classes=classes,
        insecure_skip_verify=insecure,
        precedence=precedence,
        acme_http_entry_points=tuple(dict.fromkeys(acme)),
        foreign_providers=tuple(foreign),
        unmodelled=tuple(dict.fromkeys(r.unmodelled)),
        notes=tuple(r.notes),
    )


def precedence_rank(static: StaticConfig, provider: str) -> int:
    """mux providerPriority: the index in the reversed precedence list (-1 when absent);
    a higher rank wins between routers of equal priority."""
    rev = list(reversed(static.precedence))
    return rev.index(provider) if provider in rev else -1

