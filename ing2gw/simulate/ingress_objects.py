"""Read the Ingress side of the input into small typed values for the ingress-side routers.

Works on the raw dicts of `Manifest.obj`: Ingress (networking.k8s.io/v1, and the legacy
networking.k8s.io/v1beta1 and extensions/v1beta1 with `serviceName`/`servicePort` and
`spec.backend`), Service and IngressClass. Other kinds are ignored.

What the Kubernetes API server would refuse (a path without a backend, an unknown pathType, a
relative path, an upper-case host, an annotation value that is not a string, ...) is collected
as a `Problem` naming the file, line and field, and raised once as `InputError`: such an object
cannot exist in a cluster, so there is nothing to simulate. Controller-specific meaning (class
filter, annotations) is left to each router.

Shared by the ingress-nginx router and the plain-spec router; nothing here knows a controller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Iterable, Mapping

from ing2gw.errors import InputError, Problem
from ing2gw.load import Manifest, field_line_at
from ing2gw.origin import Origin

INGRESS_API_VERSIONS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1")
INGRESS_CLASS_API_VERSIONS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
#: The annotation older clients use instead of spec.ingressClassName.
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_IPV4 = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")
#: apiserver `validateHTTPIngressPath`: forbidden in Exact and Prefix paths.
_BAD_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_BAD_PATH_SUFFIXES = ("/..", "/.")
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:\d{2})?$")


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class ServiceBackend:
    """`backend.service` (or legacy serviceName/servicePort). `port` is a number or a port name."""

    name: str
    port: int | str


@dataclass(frozen=True, slots=True)
class Backend:
    """Exactly one of `service` and `resource` (a description "apiGroup/Kind/name")."""

    service: ServiceBackend | None = None
    resource: str | None = None


@dataclass(frozen=True, slots=True)
class IngressPath:
    """One `http.paths[]` entry. `path` is as written ("" allowed for ImplementationSpecific);
    `path_type` is "ImplementationSpecific" when the field is absent (`path_type_given` False)."""

    path: str
    path_type: str
    backend: Backend
    path_type_given: bool = True
    where: str = ""


@dataclass(frozen=True, slots=True)
class IngressRule:
    """One `spec.rules[]` entry: `host` is "" for a rule without host; `paths` is None without
    an `http` section."""

    host: str
    paths: tuple[IngressPath, ...] | None


@dataclass(frozen=True, slots=True)
class IngressTLS:
    hosts: tuple[str, ...]
    secret_name: str


@dataclass(frozen=True, eq=False)
class Ingress:
    """An Ingress as the API server would store it (defaults applied, fields validated)."""

    namespace: str
    name: str
    origin: Origin
    api_version: str
    created: datetime | None
    annotations: Mapping[str, str]
    class_name: str | None
    default_backend: Backend | None
    rules: tuple[IngressRule, ...]
    tls: tuple[IngressTLS, ...]

    @cached_property
    def key(self) -> str:
        """"namespace/name" (kept: routers ask for it on every request)."""
        return f"{self.namespace}/{self.name}"

    def hosts(self) -> list[str]:
        """Rule hosts in order, without duplicates ("" for rules without host)."""
        seen: dict[str, None] = {}
        for r in self.rules:
            seen.setdefault(r.host, None)
        return list(seen)


@dataclass(frozen=True, slots=True)
class ServicePort:
    name: str
    port: int
    target_port: int | str | None


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    type: str
    ports: tuple[ServicePort, ...]
    external_name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def find_port(self, port: int | str) -> ServicePort | None:
        """The Service port a backend's port refers to: by number, by name, or (as
        ingress-nginx also accepts) by targetPort."""
        text = str(port)
        for p in self.ports:
            if str(p.port) == text or p.name == text or (p.target_port is not None and str(p.target_port) == text):
                return p
        return None


@dataclass(frozen=True, slots=True)
class IngressClass:
    name: str
    controller: str
    is_default: bool
    created: datetime | None


@dataclass
class IngressInputs:
    """Everything the ingress-side routers read from the manifests."""

    ingresses: list[Ingress] = field(default_factory=list)
    services: dict[str, Service] = field(default_factory=dict)
    classes: dict[str, IngressClass] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Reading


class _Reader:
    """Collects problems for one manifest, prefixed with the object's identity."""

    def __init__(self, m: Manifest, what: str) -> None:
        self.m = m
        self.what = what
        self.problems: list[Problem] = []

    def bad(self, where: str, message: str) -> None:
        loc = f"{where}: " if where else ""
        # the line of the field itself, not of the object: the file is read again, on errors only
        self.problems.append(Problem(self.m.origin.file, field_line_at(self.m.origin, where), f"{self.what}: {loc}{message}"))


def read_ingress_inputs(manifests: Iterable[Manifest]) -> IngressInputs:
    """Read Ingresses, Services and IngressClasses. Raises InputError listing every problem."""
    out = IngressInputs()
    problems: list[Problem] = []
    for m in manifests:
        kind, av = m.kind, m.api_version
        if kind == "Ingress":
            if av not in INGRESS_API_VERSIONS:
                problems.append(Problem(m.origin.file, m.origin.line,
                                        f"Ingress {m.namespace or 'default'}/{m.name}: unsupported apiVersion {av!r}; "
                                        f"use {INGRESS_API_VERSIONS[0]}"))
                continue
            ing, probs = _read_ingress(m)
            problems.extend(probs)
            if ing is not None:
                out.ingresses.append(ing)
        elif kind == "Service" and av == "v1":
            svc, probs = _read_service(m)
            problems.extend(probs)
            if svc is not None:
                out.services[svc.key] = svc
        elif kind == "IngressClass" and av in INGRESS_CLASS_API_VERSIONS:
            ic, probs = _read_ingress_class(m)
            problems.extend(probs)
            if ic is not None:
                out.classes[ic.name] = ic
    if problems:
        raise InputError(problems)
    return out


def _metadata(r: _Reader) -> tuple[str, str, dict[str, Any]]:
    md = r.m.obj.get("metadata")
    if not isinstance(md, dict):
        r.bad("metadata", "missing; an object needs metadata.name")
        return "default", "", {}
    name = md.get("name")
    if not isinstance(name, str) or not name:
        r.bad("metadata.name", "missing; every object needs a name")
        name = ""
    ns = md.get("namespace")
    if ns is None:
        ns = "default"
    elif not isinstance(ns, str) or not _NAMESPACE.match(ns):
        r.bad("metadata.namespace", f"{ns!r} is not a valid namespace name")
        ns = str(ns)
    return ns, name, md


def parse_timestamp(value: Any) -> datetime | None:
    """metadata.creationTimestamp (RFC 3339) as an aware datetime; None when absent.

    Raises ValueError for a value the API server would refuse.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an RFC 3339 time")
    m = _TIMESTAMP.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not an RFC 3339 time such as 2026-01-01T00:00:00Z")
    text = value.strip().replace("z", "Z").replace("t", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif m.group(8) is None:
        text += "+00:00"
    return datetime.fromisoformat(text.replace(" ", "T"))


def _annotations(r: _Reader, md: dict[str, Any]) -> dict[str, str]:
    raw = md.get("annotations")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        r.bad("metadata.annotations", "must be a mapping of strings")
        return {}
    out: dict[str, str] = {}
    for k, v in raw.items():
        if v is None:
            v = ""
        if not isinstance(v, str):
            shown = str(v).lower() if isinstance(v, bool) else str(v)
            r.bad(f"metadata.annotations[{k}]", f"the value {shown} is not a string; quote it: \"{shown}\"")
            continue
        out[str(k)] = v
    return out


def _valid_host(host: str) -> str | None:
    """Why `host` is not a valid Ingress rule host, or None (apiserver rules)."""
    if host.startswith("*."):
        rest = host[2:]
    else:
        rest = host
    if len(host) > 253 or not _DNS_SUBDOMAIN.match(rest):
        return "must be a lower-case DNS name, optionally starting with '*.'"
    if _IPV4.match(host):
        return "must be a DNS name, not an IP address"
    return None


def _read_backend(r: _Reader, raw: Any, where: str, legacy: bool) -> Backend | None:
    if not isinstance(raw, dict):
        r.bad(where, "no backend; give backend.service.name and backend.service.port "
                     "(serviceName/servicePort for v1beta1)")
        return None
    resource = raw.get("resource")
    res_text = None
    if resource is not None:
        if not isinstance(resource, dict) or not resource.get("kind") or not resource.get("name"):
            r.bad(f"{where}.resource", "needs kind and name")
            return None
        res_text = f"{resource.get('apiGroup') or ''}/{resource['kind']}/{resource['name']}"
    if legacy and ("serviceName" in raw or "servicePort" in raw):
        name, port = raw.get("serviceName"), raw.get("servicePort")
        if res_text is not None:
            r.bad(where, "give either serviceName/servicePort or resource, not both")
            return None
        if not isinstance(name, str) or not name:
            r.bad(f"{where}.serviceName", "missing")
            return None
        if isinstance(port, bool) or not isinstance(port, (int, str)) or port == "":
            r.bad(f"{where}.servicePort", "missing; give a port number or name")
            return None
        if isinstance(port, str) and port.isascii() and port.isdigit():
            port = int(port)
        return Backend(service=ServiceBackend(name, port))
    svc = raw.get("service")
    if svc is None:
        if res_text is None:
            r.bad(where, "no backend; give backend.service.name and backend.service.port")
            return None
        return Backend(resource=res_text)
    if res_text is not None:
        r.bad(where, "give either service or resource, not both")
        return None
    if not isinstance(svc, dict) or not isinstance(svc.get("name"), str) or not svc.get("name"):
        r.bad(f"{where}.service.name", "missing")
        return None
    port_raw = svc.get("port")
    if not isinstance(port_raw, dict):
        r.bad(f"{where}.service.port", "missing; give port.number or port.name")
        return None
    number, pname = port_raw.get("number"), port_raw.get("name")
    if number is not None and pname is not None:
        r.bad(f"{where}.service.port", "give either number or name, not both")
        return None
    if number is not None:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
            r.bad(f"{where}.service.port.number", f"{number!r} is not a port number (1-65535)")
            return None
        return Backend(service=ServiceBackend(svc["name"], number))
    if isinstance(pname, str) and pname:
        return Backend(service=ServiceBackend(svc["name"], pname))
    r.bad(f"{where}.service.port", "missing; give port.number or port.name")
    return None


def _read_path(r: _Reader, raw: Any, where: str, legacy: bool) -> IngressPath | None:
    if not isinstance(raw, dict):
        r.bad(where, "must be a mapping with path, pathType and backend")
        return None
    path = raw.get("path")
    if path is None:
        path = ""
    if not isinstance(path, str):
        r.bad(f"{where}.path", f"{path!r} is not a string")
        return None
    pt = raw.get("pathType")
    given = pt is not None
    if pt is None:
        pt = "ImplementationSpecific"  # v1beta1 defaulting; ingress-nginx treats it the same way (A2)
    if pt not in PATH_TYPES:
        r.bad(f"{where}.pathType", f"unknown pathType {pt!r}; use Exact, Prefix or ImplementationSpecific")
        return None
    if pt in ("Exact", "Prefix"):
        if not path.startswith("/"):
            r.bad(f"{where}.path", f"{path!r} must be an absolute path starting with '/'")
            return None
        for seq in _BAD_PATH_SEQUENCES:
            if seq in path:
                r.bad(f"{where}.path", f"{path!r} must not contain {seq!r} (pathType {pt})")
                return None
        for suf in _BAD_PATH_SUFFIXES:
            if path.endswith(suf):
                r.bad(f"{where}.path", f"{path!r} must not end with {suf!r} (pathType {pt})")
                return None
    elif path and not path.startswith("/"):
        r.bad(f"{where}.path", f"{path!r} must be an absolute path starting with '/'")
        return None
    backend = _read_backend(r, raw.get("backend"), f"{where}.backend", legacy)
    if backend is None:
        return None
    return IngressPath(path=path, path_type=pt, backend=backend, path_type_given=given, where=where)


def _read_ingress(m: Manifest) -> tuple[Ingress | None, list[Problem]]:
    ns0 = m.namespace or "default"
    r = _Reader(m, f"Ingress {ns0}/{m.name or '?'}")
    ns, name, md = _metadata(r)
    legacy = m.api_version != "networking.k8s.io/v1"
    try:
        created = parse_timestamp(md.get("creationTimestamp"))
    except ValueError as exc:
        r.bad("metadata.creationTimestamp", str(exc))
        created = None
    annotations = _annotations(r, md)
    spec = m.obj.get("spec")
    if not isinstance(spec, dict):
        r.bad("spec", "missing; an Ingress needs spec.rules or spec.defaultBackend")
        return None, r.problems
    cls = spec.get("ingressClassName")
    if cls is not None and (not isinstance(cls, str) or not cls):
        r.bad("spec.ingressClassName", f"{cls!r} is not a class name")
        cls = None
    default_backend = None
    db_key = "backend" if legacy and "backend" in spec else "defaultBackend"
    if spec.get(db_key) is not None:
        default_backend = _read_backend(r, spec[db_key], f"spec.{db_key}", legacy)
    rules: list[IngressRule] = []
    raw_rules = spec.get("rules") or []
    if not isinstance(raw_rules, list):
        r.bad("spec.rules", "must be a list")
        raw_rules = []
    for i, rr in enumerate(raw_rules):
        where = f"spec.rules[{i}]"
        if not isinstance(rr, dict):
            r.bad(where, "must be a mapping")
            continue
        host = rr.get("host") or ""
        if not isinstance(host, str):
            r.bad(f"{where}.host", f"{host!r} is not a host name")
            continue
        if host:
            why = _valid_host(host)
            if why:
                r.bad(f"{where}.host", f"{host!r} {why}")
                continue
        http = rr.get("http")
        if http is None:
            rules.append(IngressRule(host, None))
            continue
        raw_paths = http.get("paths") if isinstance(http, dict) else None
        if not isinstance(raw_paths, list) or not raw_paths:
            r.bad(f"{where}.http.paths", "must list at least one path")
            continue
        paths = [_read_path(r, p, f"{where}.http.paths[{j}]", legacy) for j, p in enumerate(raw_paths)]
        rules.append(IngressRule(host, tuple(p for p in paths if p is not None)))
    if not raw_rules and spec.get(db_key) is None:
        r.bad("spec", "needs rules or a defaultBackend")
    tls: list[IngressTLS] = []
    raw_tls = spec.get("tls") or []
    if not isinstance(raw_tls, list):
        r.bad("spec.tls", "must be a list")
        raw_tls = []
    for i, t in enumerate(raw_tls):
        if not isinstance(t, dict):
            r.bad(f"spec.tls[{i}]", "must be a mapping with hosts and secretName")
            continue
        hosts = t.get("hosts") or []
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            r.bad(f"spec.tls[{i}].hosts", "must be a list of host names")
            continue
        secret = t.get("secretName") or ""
        if not isinstance(secret, str):
            r.bad(f"spec.tls[{i}].secretName", "must be a Secret name")
            continue
        tls.append(IngressTLS(tuple(hosts), secret))
    if r.problems:
        return None, r.problems
    return Ingress(namespace=ns, name=name, origin=m.origin, api_version=m.api_version, created=created,
                   annotations=annotations, class_name=cls, default_backend=default_backend,
                   rules=tuple(rules), tls=tuple(tls)), []


def _read_service(m: Manifest) -> tuple[Service | None, list[Problem]]:
    r = _Reader(m, f"Service {m.namespace or 'default'}/{m.name or '?'}")
    ns, name, _ = _metadata(r)
    spec = m.obj.get("spec") or {}
    if not isinstance(spec, dict):
        r.bad("spec", "must be a mapping")
        return None, r.problems
    ports: list[ServicePort] = []
    raw_ports = spec.get("ports") or []
    if not isinstance(raw_ports, list):
        r.bad("spec.ports", "must be a list")
        return None, r.problems
    for i, p in enumerate(raw_ports):
        if not isinstance(p, dict) or isinstance(p.get("port"), bool) or not isinstance(p.get("port"), int):
            r.bad(f"spec.ports[{i}].port", "missing or not a number")
            continue
        tp = p.get("targetPort")
        ports.append(ServicePort(str(p.get("name") or ""), int(p["port"]),
                                 tp if isinstance(tp, (int, str)) and not isinstance(tp, bool) else None))
    if r.problems:
        return None, r.problems
    ext = spec.get("externalName")
    return Service(ns, name, str(spec.get("type") or "ClusterIP"), tuple(ports),
                   ext if isinstance(ext, str) else None), []


def _read_ingress_class(m: Manifest) -> tuple[IngressClass | None, list[Problem]]:
    r = _Reader(m, f"IngressClass {m.name or '?'}")
    _, name, md = _metadata(r)
    spec = m.obj.get("spec") or {}
    controller = spec.get("controller") if isinstance(spec, dict) else None
    if not isinstance(controller, str) or not controller:
        r.bad("spec.controller", "missing; name the controller, e.g. k8s.io/ingress-nginx")
    anns = _annotations(r, md)
    try:
        created = parse_timestamp(md.get("creationTimestamp"))
    except ValueError as exc:
        r.bad("metadata.creationTimestamp", str(exc))
        created = None
    if r.problems:
        return None, r.problems
    return IngressClass(name, str(controller), anns.get(DEFAULT_CLASS_ANNOTATION, "").lower() == "true", created), []
