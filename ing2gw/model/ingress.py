"""Input models: Ingress (networking.k8s.io/v1), IngressClass, Service, Namespace.

Tolerant of unknown fields (manifests carry status, managedFields, newer fields...), strict
about what the Ingress API itself requires, so that a manifest the API server would reject is
reported with its file and line instead of being half-translated. Legacy Ingress versions
(extensions/v1beta1, networking.k8s.io/v1beta1) are normalised to v1 with a finding.

The definition of what is accepted, and every error message, is the strict pydantic models'
(`model/ingress_strict.py`). Importing pydantic and building those models costs a one-Ingress
run more than the rest of its work (docs/performance.md), so the objects the translation reads
are the plain classes below, and `parse` fills them from a well-formed manifest itself: a
reader that accepts only what it can check exactly as the strict models do (exact types, the
same name checks) and declines everything else. A declined object goes through the strict
models: an error is theirs, word for word; an object they accept is copied into the plain
classes. tests/test_model_ingress.py checks that both ways give equal objects.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

from dataclasses import dataclass, field, fields

from ing2gw.errors import Problem
from ing2gw.findings import Finding, Severity
from ing2gw.load import Manifest, field_line
from ing2gw.origin import GENERATED, Origin

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

INGRESS_API_VERSIONS = ("networking.k8s.io/v1",)
LEGACY_INGRESS_API_VERSIONS = ("extensions/v1beta1", "networking.k8s.io/v1beta1")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")

_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_IANA_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
#: the API server's limit on all annotations of an object (keys and values, bytes)
ANNOTATIONS_MAX_BYTES = 256 * 1024

# What the API server checks of the names ing2gw copies into its output
# (k8s.io/apimachinery/pkg/util/validation, apimachinery/pkg/api/validation/objectmeta.go,
# pkg/apis/networking/validation): an object it would refuse is reported with its file and line
# instead of being half-translated into objects that are refused in turn.


def subdomain_problem(v: str) -> str | None:
    """Why `v` is not a DNS-1123 subdomain (object names), or None."""
    if len(v) > 253 or not _DNS1123_SUBDOMAIN.match(v):
        return (f"{v!r} is not a valid name: at most 253 lower-case letters, digits, '-' and '.', starting and "
                "ending with a letter or digit (RFC 1123)")
    return None


def label_problem(v: str) -> str | None:
    """Why `v` is not a DNS-1123 label (namespaces), or None."""
    if len(v) > 63 or not _DNS1123_LABEL.match(v):
        return (f"{v!r} is not a valid namespace: at most 63 lower-case letters, digits and '-', starting and "
                "ending with a letter or digit (RFC 1123)")
    return None


def service_name_problem(v: str) -> str | None:
    """Why `v` is not a DNS-1035 label (Service names), or None."""
    if len(v) > 63 or not _DNS1035_LABEL.match(v):
        return (f"{v!r} is not a valid Service name: at most 63 lower-case letters, digits and '-', starting "
                "with a letter and ending with a letter or digit (RFC 1035)")
    return None


def _qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if not (len(name) <= 63 and _QUALIFIED_NAME.match(name)):
        return (f"{key!r} is not a valid key: the name part must be 1-63 characters of [-A-Za-z0-9_.], "
                "alphanumeric at both ends")
    if slash and subdomain_problem(prefix):
        return f"{key!r} is not a valid key: the prefix must be a DNS subdomain (lower case, at most 253 characters)"
    return None


def _yaml_str(v: Any) -> str:
    return "true" if v is True else "false" if v is False else "" if v is None else str(v)


IS_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"

# ---------------------------------------------------------------------------------------------
# The objects the translation reads: plain, immutable, the strict models' fields and names


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectMeta:
    """The metadata ing2gw reads: name, namespace, labels, annotations, creation time and uid."""

    name: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    creation_timestamp: str | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceBackendPort:
    """A backend's Service port, by name or by number."""

    name: str | None = None
    number: int | None = None

    @property
    def value(self) -> int | str:
        return self.number if self.number is not None else str(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressServiceBackend:
    """A backend that is a Service: its name and port."""

    name: str
    port: ServiceBackendPort


@dataclass(frozen=True, slots=True, kw_only=True)
class TypedLocalObjectReference:
    """A resource backend (an object of another kind in the same namespace)."""

    api_group: str | None = None
    kind: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressBackend:
    """Where a path or the default backend sends traffic: a Service or a resource."""

    service: IngressServiceBackend | None = None
    resource: TypedLocalObjectReference | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HTTPIngressPath:
    """One path of an Ingress rule: the path, its type and its backend."""

    path: str | None = None
    path_type: str  # Exact, Prefix or ImplementationSpecific
    backend: IngressBackend


@dataclass(frozen=True, slots=True, kw_only=True)
class HTTPIngressRuleValue:
    """The HTTP paths of one Ingress rule."""

    paths: list[HTTPIngressPath]


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressRule:
    """One host (or every host, when None) and its paths."""

    host: str | None = None
    http: HTTPIngressRuleValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressTLS:
    """The hosts one TLS Secret serves."""

    hosts: list[str] = field(default_factory=list)
    secret_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressSpec:
    """An Ingress's class, default backend, TLS and rules."""

    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    tls: list[IngressTLS] = field(default_factory=list)
    rules: list[IngressRule] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ingress:
    """A networking.k8s.io/v1 Ingress (legacy versions are normalised before parsing)."""

    api_version: str = "networking.k8s.io/v1"
    kind: str = "Ingress"
    metadata: ObjectMeta
    spec: IngressSpec
    origin: Origin = GENERATED

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or "default"

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def key(self) -> str:
        """'namespace/name', the form ingress-nginx sorts ties on."""
        return f"{self.namespace}/{self.name}"

    @property
    def annotations(self) -> dict[str, str]:
        return self.metadata.annotations


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressClassParameters:
    """A reference to the controller-specific parameters of an IngressClass."""

    api_group: str | None = None
    kind: str
    name: str
    namespace: str | None = None
    scope: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressClassSpec:
    """The controller that serves an IngressClass and its parameters."""

    controller: str | None = None
    parameters: IngressClassParameters | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IngressClass:
    """An IngressClass object: which controller serves Ingresses of that class."""

    api_version: str = "networking.k8s.io/v1"
    kind: str = "IngressClass"
    metadata: ObjectMeta
    spec: IngressClassSpec = field(default_factory=IngressClassSpec)
    origin: Origin = GENERATED

    @property
    def is_default(self) -> bool:
        return self.metadata.annotations.get(IS_DEFAULT_CLASS, "").lower() == "true"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePort:
    """One port of a Service: name, port, target port, protocol, app protocol."""

    name: str | None = None
    port: int
    target_port: int | str | None = None
    protocol: str | None = None
    app_protocol: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSpec:
    """What ing2gw reads of a Service spec: type, ports, external name."""

    type: str | None = None
    ports: list[ServicePort] = field(default_factory=list)
    external_name: str | None = None
    cluster_ip: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """A Service object, read to resolve named ports and ExternalName backends."""

    api_version: str = "v1"
    kind: str = "Service"
    metadata: ObjectMeta
    spec: ServiceSpec = field(default_factory=ServiceSpec)
    origin: Origin = GENERATED

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or "default"

    def port_by_name(self, name: str) -> ServicePort | None:
        for p in self.spec.ports:
            if p.name == name:
                return p
        return None

    def port_by_number(self, number: int) -> ServicePort | None:
        for p in self.spec.ports:
            if p.port == number:
                return p
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Namespace:
    """A Namespace object of the input: its name and labels."""

    api_version: str = "v1"
    kind: str = "Namespace"
    metadata: ObjectMeta
    origin: Origin = GENERATED


InputObject = Ingress | IngressClass | Service | Namespace

# ---------------------------------------------------------------------------------------------
# The fast reader: well-formed objects only, exactly as the strict models read them


class _Unsure(Exception):
    """The fast reader declines an object: the strict models decide."""


#: field names the strict models also accept in snake case (populate_by_name); a manifest
#: written with one is left to them, so that which of two spellings wins is theirs to say
_SNAKE_KEYS = frozenset({"api_version", "creation_timestamp", "ingress_class_name", "default_backend", "secret_name",
                         "path_type", "api_group", "target_port", "app_protocol", "external_name", "cluster_ip"})
_PATH_TYPES = frozenset(PATH_TYPES)


def _obj(v: Any) -> dict[str, Any]:
    if type(v) is not dict or not _SNAKE_KEYS.isdisjoint(v):
        raise _Unsure
    return v


def _opt_str(d: dict[str, Any], key: str) -> str | None:
    v = d.get(key)
    if v is None or type(v) is str:
        return v
    raise _Unsure


def _req_str(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    if type(v) is not str:
        raise _Unsure
    return v


def _list(d: dict[str, Any], key: str) -> list[Any]:
    if key not in d:
        return []
    v = d[key]
    if type(v) is not list:  # null included: the strict models refuse it
        raise _Unsure
    return v


def _port_number(v: Any) -> int:
    if type(v) is not int or not 1 <= v <= 65535:
        raise _Unsure
    return v


def _labels(v: Any) -> dict[str, str]:
    if v is None:
        return {}
    if type(v) is not dict:
        raise _Unsure
    for k, s in v.items():
        if type(k) is not str or type(s) is not str or _qualified_name_problem(k) \
                or (s and not (len(s) <= 63 and _QUALIFIED_NAME.match(s))):
            raise _Unsure
    return v


def _annotations(v: Any) -> dict[str, str]:
    if v is None:
        return {}
    if type(v) is not dict:
        raise _Unsure
    size = 0
    for k, s in v.items():
        if type(k) is not str or type(s) is not str or _qualified_name_problem(k):
            raise _Unsure
        size += len(k.encode()) + len(s.encode())
    if size > ANNOTATIONS_MAX_BYTES:
        raise _Unsure
    return v


def _meta(v: Any) -> ObjectMeta:
    d = _obj(v)
    name = _req_str(d, "name")
    namespace = _opt_str(d, "namespace")
    if subdomain_problem(name) or (namespace and label_problem(namespace)):
        raise _Unsure
    return ObjectMeta(name=name, namespace=namespace, labels=_labels(d.get("labels")),
                      annotations=_annotations(d.get("annotations")),
                      creation_timestamp=_opt_str(d, "creationTimestamp"), uid=_opt_str(d, "uid"))


def _backend_port(v: Any) -> ServiceBackendPort:
    d = _obj(v)
    name = _opt_str(d, "name")
    number = d.get("number")
    if (name is None) == (number is None):
        raise _Unsure
    if number is not None:
        _port_number(number)
    elif name is None or not (len(name) <= 15 and _IANA_SVC_NAME.match(name) and "--" not in name
                              and any(c.isalpha() for c in name)):
        raise _Unsure
    return ServiceBackendPort(name=name, number=number)


def _backend(v: Any) -> IngressBackend:
    d = _obj(v)
    service, resource = d.get("service"), d.get("resource")
    if (service is None) == (resource is None):
        raise _Unsure
    if service is not None:
        s = _obj(service)
        name = _req_str(s, "name")
        if not name or service_name_problem(name):
            raise _Unsure
        return IngressBackend(service=IngressServiceBackend(name=name, port=_backend_port(s.get("port"))))
    r = _obj(resource)
    return IngressBackend(resource=TypedLocalObjectReference(api_group=_opt_str(r, "apiGroup"), kind=_req_str(r, "kind"),
                                                             name=_req_str(r, "name")))


def _path(v: Any) -> HTTPIngressPath:
    d = _obj(v)
    path_type = d.get("pathType")
    if type(path_type) is not str or path_type not in _PATH_TYPES:
        raise _Unsure
    return HTTPIngressPath(path=_opt_str(d, "path"), path_type=path_type, backend=_backend(d.get("backend")))


def _rule(v: Any) -> IngressRule:
    d = _obj(v)
    http = d.get("http")
    value = None
    if http is not None:
        paths = _list(_obj(http), "paths")
        if not paths:
            raise _Unsure
        value = HTTPIngressRuleValue(paths=[_path(p) for p in paths])
    return IngressRule(host=_opt_str(d, "host"), http=value)


def _tls(v: Any) -> IngressTLS:
    d = _obj(v)
    hosts = _list(d, "hosts")
    secret = _opt_str(d, "secretName")
    if any(type(h) is not str for h in hosts) or (secret and subdomain_problem(secret)):
        raise _Unsure
    return IngressTLS(hosts=list(hosts), secret_name=secret)


def _ingress_spec(v: Any) -> IngressSpec:
    d = _obj(v)
    class_name = _opt_str(d, "ingressClassName")
    if class_name and subdomain_problem(class_name):
        raise _Unsure
    default = d.get("defaultBackend")
    rules = [_rule(r) for r in _list(d, "rules")]
    if not rules and default is None:
        raise _Unsure
    return IngressSpec(ingress_class_name=class_name, default_backend=None if default is None else _backend(default),
                       tls=[_tls(t) for t in _list(d, "tls")], rules=rules)


def _top(d: dict[str, Any], kind: str) -> tuple[str | None, dict[str, Any]]:
    """apiVersion (None: the default) and the checked `kind` of a top-level object."""
    if d.get("kind", kind) != kind or ("apiVersion" in d and type(d["apiVersion"]) is not str):
        raise _Unsure
    return d.get("apiVersion"), d


def _fast_ingress(v: Any, origin: Origin) -> Ingress:
    api_version, d = _top(_obj(v), "Ingress")
    if "spec" not in d:
        raise _Unsure
    return Ingress(api_version=api_version or "networking.k8s.io/v1", metadata=_meta(d.get("metadata")),
                   spec=_ingress_spec(d["spec"]), origin=origin)


def _fast_ingress_class(v: Any, origin: Origin) -> IngressClass:
    api_version, d = _top(_obj(v), "IngressClass")
    spec = IngressClassSpec()
    if "spec" in d:
        s = _obj(d["spec"])
        params = s.get("parameters")
        if params is not None:
            p = _obj(params)
            params = IngressClassParameters(api_group=_opt_str(p, "apiGroup"), kind=_req_str(p, "kind"),
                                            name=_req_str(p, "name"), namespace=_opt_str(p, "namespace"),
                                            scope=_opt_str(p, "scope"))
        spec = IngressClassSpec(controller=_opt_str(s, "controller"), parameters=params)
    return IngressClass(api_version=api_version or "networking.k8s.io/v1", metadata=_meta(d.get("metadata")),
                        spec=spec, origin=origin)


def _service_port(v: Any) -> ServicePort:
    d = _obj(v)
    target = d.get("targetPort")
    if target is not None and type(target) is not int and type(target) is not str:
        raise _Unsure
    return ServicePort(name=_opt_str(d, "name"), port=_port_number(d.get("port")), target_port=target,
                       protocol=_opt_str(d, "protocol"), app_protocol=_opt_str(d, "appProtocol"))


def _fast_service(v: Any, origin: Origin) -> Service:
    api_version, d = _top(_obj(v), "Service")
    meta = _meta(d.get("metadata"))
    if service_name_problem(meta.name):
        raise _Unsure
    spec = ServiceSpec()
    if "spec" in d:
        s = _obj(d["spec"])
        spec = ServiceSpec(type=_opt_str(s, "type"), ports=[_service_port(p) for p in _list(s, "ports")],
                           external_name=_opt_str(s, "externalName"), cluster_ip=_opt_str(s, "clusterIP"))
    return Service(api_version=api_version or "v1", metadata=meta, spec=spec, origin=origin)


def _fast_namespace(v: Any, origin: Origin) -> Namespace:
    api_version, d = _top(_obj(v), "Namespace")
    meta = _meta(d.get("metadata"))
    if label_problem(meta.name):
        raise _Unsure
    return Namespace(api_version=api_version or "v1", metadata=meta, origin=origin)


_FAST: dict[type[InputObject], Callable[[Any, Origin], InputObject]] = {
    Ingress: _fast_ingress, IngressClass: _fast_ingress_class, Service: _fast_service, Namespace: _fast_namespace}


# ---------------------------------------------------------------------------------------------
# Parsing with clear, located errors


def _problems(exc: ValidationError, m: Manifest, what: str) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # pydantic puts model_validator errors at the model; drop internal union tags
        path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] in ("int_type", "int_parsing") and isinstance(err.get("input"), (bool, str, float)):
            msg = f"expected a whole number, not {_yaml_str(err.get('input'))!r}"
        elif err["type"] == "literal_error" and loc and loc[-1] == "pathType":
            msg = f"unknown pathType {err.get('input')!r}; use Exact, Prefix or ImplementationSpecific"
        line = field_line(m.origin, loc) or m.origin.line
        where = f"{path}: " if path else ""
        out.append(Problem(m.origin.file, line, f"{what} {m.namespace or 'default'}/{m.name or '?'}: {where}{msg}"))
    return out


def _from_strict(v: Any, origin: Origin) -> Any:
    """A value of the strict models as the plain classes' (same class and field names)."""
    from pydantic import BaseModel

    if isinstance(v, BaseModel):
        cls = globals()[type(v).__name__]
        kwargs = {f.name: _from_strict(getattr(v, f.name), origin) for f in fields(cls) if f.name != "origin"}
        if any(f.name == "origin" for f in fields(cls)):
            kwargs["origin"] = origin
        return cls(**kwargs)
    if isinstance(v, list):
        return [_from_strict(x, origin) for x in v]
    return v


def parse_strict(cls: type[InputObject], m: Manifest) -> InputObject:
    """Parse a manifest through the strict models alone (the definition; errors as ParseError)."""
    from pydantic import ValidationError

    from ing2gw.model import ingress_strict

    strict: type[BaseModel] = getattr(ingress_strict, cls.__name__)
    try:
        obj = strict.model_validate(m.obj)
    except ValidationError as exc:
        raise ParseError(_problems(exc, m, m.kind)) from None
    out = _from_strict(obj, m.origin)
    assert isinstance(out, cls)
    return out


def parse(cls: type[InputObject], m: Manifest) -> InputObject:
    """Parse a manifest into `cls`, raising ParseError with located problems."""
    try:
        return _FAST[cls](m.obj, m.origin)
    except _Unsure:
        return parse_strict(cls, m)


class ParseError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def _legacy_backend(b: Any) -> Any:
    if not isinstance(b, dict) or ("service" in b or "resource" in b):
        return b
    out: dict[str, Any] = {k: v for k, v in b.items() if k not in ("serviceName", "servicePort")}
    if "serviceName" in b or "servicePort" in b:
        port = b.get("servicePort")
        out["service"] = {"name": b.get("serviceName"),
                          "port": {"number": port} if isinstance(port, int) else
                          ({"number": int(port)} if isinstance(port, str) and port.isascii() and port.isdigit() else {"name": port})}
    return out


def normalise_legacy_ingress(obj: dict[str, Any]) -> dict[str, Any]:
    """Convert an extensions/v1beta1 or networking.k8s.io/v1beta1 Ingress dict to v1 (a spec
    that is not a mapping is left for the model to report)."""
    if not isinstance(obj.get("spec"), dict):
        return dict(obj, apiVersion="networking.k8s.io/v1")
    spec = dict(obj.get("spec") or {})
    if "backend" in spec and "defaultBackend" not in spec:
        spec["defaultBackend"] = spec.pop("backend")
    if "defaultBackend" in spec:
        spec["defaultBackend"] = _legacy_backend(spec["defaultBackend"])
    rules = []
    for r in spec.get("rules") or [] if isinstance(spec.get("rules"), list) else []:
        if isinstance(r, dict) and isinstance(r.get("http"), dict) and isinstance(r["http"].get("paths") or [], list):
            paths = []
            for p in r["http"].get("paths") or []:
                if isinstance(p, dict):
                    p = dict(p)
                    p.setdefault("pathType", "ImplementationSpecific")
                    p["backend"] = _legacy_backend(p.get("backend"))
                paths.append(p)
            r = dict(r, http=dict(r["http"], paths=paths))
        rules.append(r)
    if "rules" in spec and isinstance(spec["rules"], list):
        spec["rules"] = rules
    return dict(obj, apiVersion="networking.k8s.io/v1", spec=spec)


def _v1beta1_backend_fields(m: Manifest) -> list[Problem]:
    """A networking.k8s.io/v1 Ingress written with the v1beta1 backend fields (serviceName and
    servicePort): v1 does not read them, and the API server refuses the backend. One problem per
    backend, at the line of the field, with the v1 form to write instead."""
    spec = m.obj.get("spec")
    if not isinstance(spec, dict):
        return []
    backends: list[tuple[tuple[str | int, ...], Any]] = [(("spec", "defaultBackend"), spec.get("defaultBackend"))]
    rules = spec.get("rules")
    for i, r in enumerate(rules if isinstance(rules, list) else []):  # a non-list is reported by the model
        http = r.get("http") if isinstance(r, dict) else None
        paths = http.get("paths") if isinstance(http, dict) else None
        for j, p in enumerate(paths if isinstance(paths, list) else []):
            if isinstance(p, dict):
                backends.append((("spec", "rules", i, "http", "paths", j, "backend"), p.get("backend")))
    out = []
    for path, b in backends:
        if not isinstance(b, dict) or "service" in b or not ({"serviceName", "servicePort"} & set(b)):
            continue
        name, port = b.get("serviceName"), b.get("servicePort")
        number = port if isinstance(port, int) else (int(port) if isinstance(port, str) and port.isdigit() else None)
        port_v1 = f"{{number: {number}}}" if number is not None else f"{{name: {port if port is not None else 'PORT'}}}"
        where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path).replace(".[", "[")
        field = "serviceName" if "serviceName" in b else "servicePort"
        out.append(Problem(m.origin.file, field_line(m.origin, (*path, field)) or m.origin.line,
                           f"Ingress {m.namespace or 'default'}/{m.name or '?'}: {where}: serviceName/servicePort "
                           "are the fields of the removed v1beta1 Ingress, which networking.k8s.io/v1 does not read; "
                           f"write `service: {{name: {name if name is not None else 'NAME'}, port: {port_v1}}}` instead"))
    return out


def parse_ingress(m: Manifest) -> tuple[Ingress, list[Finding]]:
    """Parse an Ingress of any served or legacy version; raises ParseError."""
    findings: list[Finding] = []
    if m.api_version in LEGACY_INGRESS_API_VERSIONS:
        legacy = m.api_version
        m = Manifest(normalise_legacy_ingress(m.obj), m.origin)
        findings.append(Finding(Severity.INFO, "ING2GW-LOAD-001",
                                f"{legacy} Ingress read as networking.k8s.io/v1; update the manifest too",
                                origin=m.origin, subject=f"Ingress {m.namespace or 'default'}/{m.name}"))
    elif m.api_version not in INGRESS_API_VERSIONS:
        raise ParseError([Problem(m.origin.file, m.origin.line,
                                  f"Ingress {m.name}: unknown apiVersion {m.api_version!r}; "
                                  "expected networking.k8s.io/v1")])
    else:
        old_fields = _v1beta1_backend_fields(m)
        if old_fields:
            # every other problem of the Ingress too, without the "needs exactly one of service or
            # resource" that the old fields cause
            try:
                parse(Ingress, Manifest(normalise_legacy_ingress(m.obj), m.origin))
            except ParseError as exc:
                old_fields += exc.problems
            raise ParseError(old_fields)
    ing = parse(Ingress, m)
    assert isinstance(ing, Ingress)
    return ing, findings
