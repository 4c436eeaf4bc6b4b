"""Read the Traefik side of the input: Ingresses, Services (with their annotations), Secrets,
IngressClasses and Traefik's CRDs in both API groups.

Ingresses and IngressClasses come from the shared reader (`simulate/ingress_objects`). The CRDs
are read from `traefik.io/v1alpha1` and the older `traefik.containo.us/v1alpha1` (the group
Traefik v2 used; v3 reads only traefik.io): IngressRoute, Middleware, TraefikService,
ServersTransport, TLSOption, TLSStore, IngressRouteTCP, IngressRouteUDP, MiddlewareTCP.

What the Kubernetes API server would refuse (the CRD schema: an IngressRoute without routes, a
route without match, a port that is neither a number nor a name) is collected as a `Problem` and
raised once as `InputError`. Everything a CRD schema allows is kept, even when Traefik will
refuse it later: that refusal is behaviour, modelled by the providers.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ing2gw.errors import InputError, Problem
from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.ingress_objects import Ingress, IngressClass, read_ingress_inputs

TRAEFIK_GROUPS = ("traefik.io", "traefik.containo.us")
LEGACY_GROUP = "traefik.containo.us"
CRD_KINDS = ("IngressRoute", "Middleware", "TraefikService", "ServersTransport", "TLSOption", "TLSStore",
             "IngressRouteTCP", "IngressRouteUDP", "MiddlewareTCP", "ServersTransportTCP")


@dataclass(frozen=True)
class Ref:
    """A reference by name and optional namespace ("" = the referring object's)."""

    name: str
    namespace: str = ""


@dataclass(frozen=True)
class LBSpec:
    """A route service, a TraefikService child or a mirror (LoadBalancerSpec)."""

    name: str
    namespace: str = ""
    kind: str = ""
    port: int | str | None = None
    scheme: str = ""
    pass_host_header: bool | None = None
    servers_transport: str = ""
    weight: int | None = None
    percent: int = 0
    middlewares: tuple[Ref, ...] = ()
    sticky: bool = False
    native_lb: bool | None = None
    node_port_lb: bool = False
    strategy: str = ""
    health_check: bool = False


@dataclass(frozen=True)
class IRRoute:
    match: str
    kind: str
    priority: int
    syntax: str
    services: tuple[LBSpec, ...]
    middlewares: tuple[Ref, ...]
    index: int


@dataclass(frozen=True)
class IRTLS:
    secret_name: str = ""
    options: Ref | None = None
    store: Ref | None = None
    cert_resolver: str = ""
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngressRoute:
    namespace: str
    name: str
    group: str
    origin: Origin
    class_name: str
    entry_points: tuple[str, ...]
    routes: tuple[IRRoute, ...]
    tls: IRTLS | None
    parent_refs: tuple[Ref, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class CRDObject:
    """A Middleware, TraefikService, ServersTransport, TLSOption or TLSStore: its spec as written."""

    kind: str
    namespace: str
    name: str
    group: str
    origin: Origin
    spec: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class TCPRoute:
    """An IngressRouteTCP route (for telling which connections TCP routing takes)."""

    namespace: str
    name: str
    origin: Origin
    entry_points: tuple[str, ...]
    match: str
    syntax: str
    tls: bool
    passthrough: bool


@dataclass(frozen=True)
class ServiceObj:
    namespace: str
    name: str
    type: str
    ports: tuple[tuple[str, int], ...]
    external_name: str | None
    cluster_ip: str | None
    annotations: Mapping[str, str]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SecretObj:
    namespace: str
    name: str
    type: str
    data: Mapping[str, bytes]


@dataclass
class TraefikInputs:
    ingresses: list[Ingress] = field(default_factory=list)
    classes: dict[str, IngressClass] = field(default_factory=dict)
    services: dict[str, ServiceObj] = field(default_factory=dict)
    secrets: dict[str, SecretObj] = field(default_factory=dict)
    ingress_routes: list[IngressRoute] = field(default_factory=list)
    crds: dict[str, dict[str, CRDObject]] = field(default_factory=dict)
    tcp_routes: list[TCPRoute] = field(default_factory=list)
    udp_routes: list[str] = field(default_factory=list)
    legacy_group: list[str] = field(default_factory=list)
    #: metadata.labels by (kind, namespace, name), for the providers' labelSelector
    labels: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    def crd(self, kind: str) -> dict[str, CRDObject]:
        return self.crds.setdefault(kind, {})


class Reader:
    """Collects problems for one object, prefixed with its identity."""

    def __init__(self, origin: Origin, what: str) -> None:
        self.origin = origin
        self.what = what
        self.problems: list[Problem] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.origin.file, self.origin.line, f"{self.what}: {where}: {message}"))


def _meta(m: Manifest) -> tuple[str, str, dict[str, Any]]:
    md = m.obj.get("metadata")
    md = md if isinstance(md, dict) else {}
    return str(md.get("namespace") or "default"), str(md.get("name") or ""), md


def _str(r: Reader, value: Any, where: str, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        r.bad(where, "must be a string")
        return default
    return str(value).lower() if isinstance(value, bool) else str(value)


def _port(r: Reader, value: Any, where: str) -> int | str | None:
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        r.bad(where, f"{value!r} is neither a port number nor a port name")
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _bool(r: Reader, value: Any, where: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    r.bad(where, f"{value!r} must be true or false")
    return None


def _refs(r: Reader, raw: Any, where: str) -> tuple[Ref, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.bad(where, "must be a list of {name, namespace}")
        return ()
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item.get("name"):
            r.bad(f"{where}[{i}]", "needs a name")
            continue
        out.append(Ref(item["name"], str(item.get("namespace") or "")))
    return tuple(out)


def read_lb(r: Reader, raw: Any, where: str) -> LBSpec | None:
    """A LoadBalancerSpec (+ weight / percent)."""
    if not isinstance(raw, dict):
        r.bad(where, "must be a mapping with name and port")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        r.bad(f"{where}.name", "missing")
        return None
    weight = raw.get("weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int)):
        r.bad(f"{where}.weight", f"{weight!r} is not an integer")
        weight = None
    percent = raw.get("percent") or 0
    if isinstance(percent, bool) or not isinstance(percent, int):
        r.bad(f"{where}.percent", f"{percent!r} is not an integer")
        percent = 0
    sticky = raw.get("sticky")
    return LBSpec(
        name=name, namespace=_str(r, raw.get("namespace"), f"{where}.namespace"),
        kind=_str(r, raw.get("kind"), f"{where}.kind"),
        port=_port(r, raw.get("port"), f"{where}.port"),
        scheme=_str(r, raw.get("scheme"), f"{where}.scheme"),
        pass_host_header=_bool(r, raw.get("passHostHeader"), f"{where}.passHostHeader"),
        servers_transport=_str(r, raw.get("serversTransport"), f"{where}.serversTransport"),
        weight=weight, percent=percent,
        middlewares=_refs(r, raw.get("middlewares"), f"{where}.middlewares"),
        sticky=isinstance(sticky, dict) and sticky.get("cookie") is not None,
        native_lb=_bool(r, raw.get("nativeLB"), f"{where}.nativeLB"),
        node_port_lb=bool(raw.get("nodePortLB")),
        strategy=_str(r, raw.get("strategy"), f"{where}.strategy"),
        health_check=raw.get("healthCheck") is not None,
    )


def _class_name(spec: Mapping[str, Any], md: Mapping[str, Any]) -> str:
    """crd getIngressClassName: spec.ingressClassName, else the deprecated annotation."""
    if spec.get("ingressClassName") is not None:
        return str(spec.get("ingressClassName"))
    anns = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
    return str((anns or {}).get("kubernetes.io/ingress.class") or "")


def _ingress_route(m: Manifest) -> tuple[IngressRoute | None, list[Problem]]:
    ns, name, md = _meta(m)
    r = Reader(m.origin, f"IngressRoute {ns}/{name or '?'}")
    if not name:
        r.bad("metadata.name", "missing")
    spec = m.obj.get("spec")
    if not isinstance(spec, dict):
        r.bad("spec", "missing")
        return None, r.problems
    routes_raw = spec.get("routes")
    if not isinstance(routes_raw, list):
        r.bad("spec.routes", "missing; an IngressRoute needs a list of routes")
        routes_raw = []
    routes = []
    for i, rr in enumerate(routes_raw):
        where = f"spec.routes[{i}]"
        if not isinstance(rr, dict):
            r.bad(where, "must be a mapping with match")
            continue
        match = rr.get("match")
        if not isinstance(match, str):
            r.bad(f"{where}.match", "missing; write the rule, e.g. Host(`shop.example.com`)")
            continue
        prio = rr.get("priority") or 0
        if isinstance(prio, bool) or not isinstance(prio, int):
            r.bad(f"{where}.priority", f"{prio!r} is not an integer")
            prio = 0
        services_raw = rr.get("services") or []
        if not isinstance(services_raw, list):
            r.bad(f"{where}.services", "must be a list")
            services_raw = []
        services = [read_lb(r, s, f"{where}.services[{j}]") for j, s in enumerate(services_raw)]
        routes.append(IRRoute(match=match, kind=_str(r, rr.get("kind"), f"{where}.kind"), priority=prio,
                              syntax=_str(r, rr.get("syntax"), f"{where}.syntax"),
                              services=tuple(s for s in services if s is not None),
                              middlewares=_refs(r, rr.get("middlewares"), f"{where}.middlewares"), index=i))
    tls = None
    if spec.get("tls") is not None:
        t = spec["tls"]
        if not isinstance(t, dict):
            r.bad("spec.tls", "must be a mapping")
            t = {}
        opts = t.get("options")
        store = t.get("store")
        doms: list[str] = []
        for d in t.get("domains") or []:
            if isinstance(d, dict):
                doms += [str(d.get("main") or "")] + [str(x) for x in d.get("sans") or []]
        tls = IRTLS(secret_name=_str(r, t.get("secretName"), "spec.tls.secretName"),
                    options=Ref(str(opts.get("name") or ""), str(opts.get("namespace") or ""))
                    if isinstance(opts, dict) else None,
                    store=Ref(str(store.get("name") or ""), str(store.get("namespace") or ""))
                    if isinstance(store, dict) else None,
                    cert_resolver=_str(r, t.get("certResolver"), "spec.tls.certResolver"),
                    domains=tuple(x for x in doms if x))
    eps = spec.get("entryPoints") or []
    if not isinstance(eps, list):
        r.bad("spec.entryPoints", "must be a list of entry point names")
        eps = []
    if r.problems:
        return None, r.problems
    return IngressRoute(namespace=ns, name=name, group=m.group.split("/")[0], origin=m.origin,
                        class_name=_class_name(spec, md), entry_points=tuple(str(e) for e in eps),
                        routes=tuple(routes), tls=tls,
                        parent_refs=_refs(r, spec.get("parentRefs"), "spec.parentRefs")), []


#: field types the Middleware CRD schema enforces, for the fields the simulator reads
_MIDDLEWARE_FIELDS: dict[str, dict[str, type]] = {
    "addPrefix": {"prefix": str},
    "stripPrefix": {"prefixes": list, "forceSlash": bool},
    "stripPrefixRegex": {"regex": list},
    "replacePath": {"path": str},
    "replacePathRegex": {"regex": str, "replacement": str},
    "redirectScheme": {"scheme": str, "port": str, "permanent": bool, "forcePermanentRedirect": bool},
    "redirectRegex": {"regex": str, "replacement": str, "permanent": bool, "statusCode": int},
    "headers": {"customRequestHeaders": dict, "customResponseHeaders": dict, "accessControlAllowOriginList": list,
                "accessControlAllowOriginListRegex": list, "accessControlAllowHeaders": list,
                "accessControlAllowMethods": list, "accessControlExposeHeaders": list, "accessControlMaxAge": int,
                "accessControlAllowCredentials": bool, "addVaryHeader": bool, "allowedHosts": list,
                "hostsProxyHeaders": list, "sslProxyHeaders": dict, "stsSeconds": int, "stsIncludeSubdomains": bool,
                "stsPreload": bool, "forceSTSHeader": bool, "frameDeny": bool, "customFrameOptionsValue": str,
                "contentTypeNosniff": bool, "browserXssFilter": bool, "customBrowserXSSValue": str,
                "contentSecurityPolicy": str, "referrerPolicy": str, "permissionsPolicy": str, "isDevelopment": bool},
    "ipAllowList": {"sourceRange": list, "rejectStatusCode": int, "ipStrategy": dict},
    "ipWhiteList": {"sourceRange": list, "ipStrategy": dict},
    "basicAuth": {"secret": str, "realm": str, "removeHeader": bool, "headerField": str},
    "digestAuth": {"secret": str, "realm": str, "removeHeader": bool, "headerField": str},
    "forwardAuth": {"address": str},
    "chain": {"middlewares": list},
    "errors": {"status": list, "service": dict},
    "encodedCharacters": {},
}


_WHAT: dict[type, str] = {list: "a list", dict: "a mapping", str: "a string", int: "an integer",
                          bool: "true or false"}


def _check_middleware(r: Reader, spec: dict[str, Any]) -> None:
    """What the Middleware CRD's OpenAPI schema would refuse in the fields read here."""
    for kind, fields in _MIDDLEWARE_FIELDS.items():
        if kind not in spec or spec[kind] is None:
            continue
        body = spec[kind]
        if not isinstance(body, dict):
            r.bad(f"spec.{kind}", "must be a mapping")
            continue
        for name, want in fields.items():
            value = body.get(name)
            if value is None:
                continue
            if want is int and isinstance(value, bool):
                r.bad(f"spec.{kind}.{name}", f"{value!r} is not an integer")
            elif want is str and isinstance(value, (int, float)) and not isinstance(value, bool):
                continue  # a number written unquoted; the schema's string accepts it as text
            elif not isinstance(value, want):
                r.bad(f"spec.{kind}.{name}", f"must be {_WHAT.get(want, want.__name__)}")


def _crd(m: Manifest) -> tuple[CRDObject | None, list[Problem]]:
    ns, name, _ = _meta(m)
    r = Reader(m.origin, f"{m.kind} {ns}/{name or '?'}")
    if not name:
        r.bad("metadata.name", "missing")
    spec = m.obj.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        r.bad("spec", "must be a mapping")
        spec = {}
    if m.kind == "Middleware":
        _check_middleware(r, spec)
    if r.problems:
        return None, r.problems
    return CRDObject(m.kind, ns, name, m.group, m.origin, spec), []


def _tcp(m: Manifest) -> tuple[list[TCPRoute], list[Problem]]:
    ns, name, _ = _meta(m)
    r = Reader(m.origin, f"IngressRouteTCP {ns}/{name or '?'}")
    raw = m.obj.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    tls = spec.get("tls")
    out = []
    for i, rr in enumerate(spec.get("routes") or []):
        if not isinstance(rr, dict) or not isinstance(rr.get("match"), str):
            r.bad(f"spec.routes[{i}].match", "missing")
            continue
        out.append(TCPRoute(ns, name, m.origin, tuple(str(e) for e in spec.get("entryPoints") or []),
                            rr["match"], str(rr.get("syntax") or ""), tls is not None,
                            bool(isinstance(tls, dict) and tls.get("passthrough"))))
    return out, r.problems


def _service(m: Manifest) -> ServiceObj | None:
    ns, name, md = _meta(m)
    raw = m.obj.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ports = []
    for p in spec.get("ports") or []:
        if isinstance(p, dict) and isinstance(p.get("port"), int) and not isinstance(p.get("port"), bool):
            ports.append((str(p.get("name") or ""), int(p["port"])))
    anns = md.get("annotations") if isinstance(md.get("annotations"), dict) else {}
    ext = spec.get("externalName")
    cip = spec.get("clusterIP")
    return ServiceObj(ns, name, str(spec.get("type") or "ClusterIP"), tuple(ports),
                      ext if isinstance(ext, str) else None, cip if isinstance(cip, str) else None,
                      {str(k): ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                       for k, v in (anns or {}).items()})


def _secret(m: Manifest) -> tuple[SecretObj | None, list[Problem]]:
    ns, name, _ = _meta(m)
    r = Reader(m.origin, f"Secret {ns}/{name or '?'}")
    data: dict[str, bytes] = {}
    raw = m.obj.get("data") or {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            try:
                data[str(k)] = base64.b64decode(str(v or ""), validate=True)
            except (binascii.Error, ValueError):
                r.bad(f"data.{k}", "is not base64")
    for k, v in (m.obj.get("stringData") or {}).items():
        data[str(k)] = str(v).encode()
    if r.problems:
        return None, r.problems
    return SecretObj(ns, name, str(m.obj.get("type") or "Opaque"), data), []


def read_traefik_inputs(manifests: Iterable[Manifest]) -> TraefikInputs:
    """Every object the Traefik router reads (InputError listing every problem)."""
    manifests = list(manifests)
    base = read_ingress_inputs(manifests)
    out = TraefikInputs(ingresses=base.ingresses, classes=dict(base.classes))
    problems: list[Problem] = []
    for m in manifests:
        kind = m.kind
        group = m.group
        md = m.obj.get("metadata")
        if kind in ("Ingress", "IngressRoute") and isinstance(md, dict) and isinstance(md.get("labels"), dict):
            out.labels[(kind, m.namespace or "default", m.name)] = {str(k): str(v) for k, v in md["labels"].items()}
        if kind == "Service" and m.api_version == "v1":
            svc = _service(m)
            if svc is not None:
                out.services[svc.key] = svc
        elif kind == "Secret" and m.api_version == "v1":
            sec, probs = _secret(m)
            problems += probs
            if sec is not None:
                out.secrets[f"{sec.namespace}/{sec.name}"] = sec
        elif group in TRAEFIK_GROUPS and kind in CRD_KINDS:
            if group == LEGACY_GROUP:
                out.legacy_group.append(f"{kind} {m.namespace or 'default'}/{m.name}")
            if kind == "IngressRoute":
                ir, probs = _ingress_route(m)
                problems += probs
                if ir is not None:
                    out.ingress_routes.append(ir)
            elif kind == "IngressRouteTCP":
                tcp, probs = _tcp(m)
                problems += probs
                out.tcp_routes += tcp
            elif kind == "IngressRouteUDP":
                out.udp_routes.append(f"{m.namespace or 'default'}/{m.name}")
            else:
                obj, probs = _crd(m)
                problems += probs
                if obj is not None:
                    out.crd(kind)[obj.key] = obj
    if problems:
        raise InputError(problems)
    return out
