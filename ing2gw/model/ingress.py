"""Input models: Ingress (networking.k8s.io/v1), IngressClass, Service, Namespace.

Tolerant of unknown fields (manifests carry status, managedFields, newer fields...), strict
about what the Ingress API itself requires, so that a manifest the API server would reject is
reported with its file and line instead of being half-translated. Legacy Ingress versions
(extensions/v1beta1, networking.k8s.io/v1beta1) are normalised to v1 with a finding.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from ing2gw.errors import Problem
from ing2gw.findings import Finding, Severity
from ing2gw.load import Manifest, field_line
from ing2gw.origin import GENERATED, Origin

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


def _check(problem: str | None) -> None:
    if problem is not None:
        raise ValueError(problem)


class _In(BaseModel):
    """Base of input models: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, alias_generator=to_camel)


class ObjectMeta(_In):
    name: str
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    creation_timestamp: str | None = None
    uid: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        _check(subdomain_problem(v))
        return v

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str | None) -> str | None:
        if v:  # an empty namespace is the default one
            _check(label_problem(v))
        return v

    @field_validator("labels", mode="after")
    @classmethod
    def _label_syntax(cls, m: dict[str, str]) -> dict[str, str]:
        for k, v in m.items():
            _check(_qualified_name_problem(k))
            if v and not (len(v) <= 63 and _QUALIFIED_NAME.match(v)):
                raise ValueError(f"label {k}: {v!r} is not a valid label value (at most 63 characters of "
                                 "[-A-Za-z0-9_.], alphanumeric at both ends)")
        return m

    @field_validator("annotations", mode="after")
    @classmethod
    def _annotation_syntax(cls, m: dict[str, str]) -> dict[str, str]:
        for k in m:
            _check(_qualified_name_problem(k))
        size = sum(len(k.encode()) + len(v.encode()) for k, v in m.items())
        if size > ANNOTATIONS_MAX_BYTES:
            raise ValueError(f"the annotations take {size} bytes; the API server accepts at most {ANNOTATIONS_MAX_BYTES}")
        return m

    @field_validator("labels", "annotations", mode="before")
    @classmethod
    def _strings(cls, m: Any) -> Any:
        # Kubernetes stores labels/annotations as strings; an unquoted `true` or `80` in YAML
        # is rejected by the API server. Say so precisely instead of a type error.
        if m is None:
            return {}
        if not isinstance(m, dict):
            raise ValueError("must be a mapping of strings")
        for k, v in m.items():
            if not isinstance(v, str):
                raise ValueError(f"the value of {k!r} is {_yaml_str(v)} ({type(v).__name__}); "
                                 f"values must be strings: quote it, e.g. \"{_yaml_str(v)}\"")
        return m

    @field_validator("creation_timestamp", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> Any:
        return v if v is None or isinstance(v, str) else str(v)


def _yaml_str(v: Any) -> str:
    return "true" if v is True else "false" if v is False else "" if v is None else str(v)


class ServiceBackendPort(_In):
    name: str | None = None
    # strict: YAML `true` is not port 1
    number: StrictInt | None = Field(default=None, ge=1, le=65535)

    @field_validator("name")
    @classmethod
    def _port_name(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) <= 15 and _IANA_SVC_NAME.match(v) and "--" not in v
                                  and any(c.isalpha() for c in v)):
            raise ValueError(f"{v!r} is not a valid port name: at most 15 lower-case letters, digits and '-', with a "
                             "letter (IANA service name)")
        return v

    @model_validator(mode="after")
    def _one(self) -> "ServiceBackendPort":
        if (self.name is None) == (self.number is None):
            raise ValueError("service port needs exactly one of name or number")
        return self

    @property
    def value(self) -> int | str:
        return self.number if self.number is not None else str(self.name)


class IngressServiceBackend(_In):
    name: str = Field(min_length=1)
    port: ServiceBackendPort

    @field_validator("name")
    @classmethod
    def _service_name(cls, v: str) -> str:
        _check(service_name_problem(v))
        return v


class TypedLocalObjectReference(_In):
    api_group: str | None = None
    kind: str
    name: str


class IngressBackend(_In):
    service: IngressServiceBackend | None = None
    resource: TypedLocalObjectReference | None = None

    @model_validator(mode="after")
    def _one(self) -> "IngressBackend":
        if (self.service is None) == (self.resource is None):
            raise ValueError("backend needs exactly one of service or resource")
        return self


class HTTPIngressPath(_In):
    path: str | None = None
    path_type: Literal["Exact", "Prefix", "ImplementationSpecific"]
    backend: IngressBackend


class HTTPIngressRuleValue(_In):
    paths: list[HTTPIngressPath] = Field(min_length=1)


class IngressRule(_In):
    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressTLS(_In):
    hosts: list[str] = Field(default_factory=list)
    secret_name: str | None = None

    @field_validator("secret_name")
    @classmethod
    def _secret_name(cls, v: str | None) -> str | None:
        if v:
            _check(subdomain_problem(v))
        return v


class IngressSpec(_In):
    ingress_class_name: str | None = None

    @field_validator("ingress_class_name")
    @classmethod
    def _class_name(cls, v: str | None) -> str | None:
        if v:
            _check(subdomain_problem(v))
        return v

    default_backend: IngressBackend | None = None
    tls: list[IngressTLS] = Field(default_factory=list)
    rules: list[IngressRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> "IngressSpec":
        if not self.rules and self.default_backend is None:
            raise ValueError("either spec.defaultBackend or spec.rules must be specified")
        return self


class Ingress(_In):
    """A networking.k8s.io/v1 Ingress (legacy versions are normalised before parsing)."""

    api_version: str = "networking.k8s.io/v1"
    kind: Literal["Ingress"] = "Ingress"
    metadata: ObjectMeta
    spec: IngressSpec
    _origin: Origin = PrivateAttr(default=GENERATED)

    @property
    def origin(self) -> Origin:
        return self._origin

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


class IngressClassParameters(_In):
    api_group: str | None = None
    kind: str
    name: str
    namespace: str | None = None
    scope: str | None = None


class IngressClassSpec(_In):
    controller: str | None = None
    parameters: IngressClassParameters | None = None


IS_DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"


class IngressClass(_In):
    api_version: str = "networking.k8s.io/v1"
    kind: Literal["IngressClass"] = "IngressClass"
    metadata: ObjectMeta
    spec: IngressClassSpec = Field(default_factory=IngressClassSpec)
    _origin: Origin = PrivateAttr(default=GENERATED)

    @property
    def origin(self) -> Origin:
        return self._origin

    @property
    def is_default(self) -> bool:
        return self.metadata.annotations.get(IS_DEFAULT_CLASS, "").lower() == "true"


class ServicePort(_In):
    name: str | None = None
    port: StrictInt = Field(ge=1, le=65535)
    target_port: int | str | None = None
    protocol: str | None = None
    app_protocol: str | None = None


class ServiceSpec(_In):
    type: str | None = None
    ports: list[ServicePort] = Field(default_factory=list)
    external_name: str | None = None
    cluster_ip: str | None = Field(default=None, alias="clusterIP")


class Service(_In):
    api_version: str = "v1"
    kind: Literal["Service"] = "Service"
    metadata: ObjectMeta
    spec: ServiceSpec = Field(default_factory=ServiceSpec)
    _origin: Origin = PrivateAttr(default=GENERATED)

    @field_validator("metadata")
    @classmethod
    def _service_name(cls, m: ObjectMeta) -> ObjectMeta:
        _check(service_name_problem(m.name))
        return m

    @property
    def origin(self) -> Origin:
        return self._origin

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


class Namespace(_In):
    api_version: str = "v1"
    kind: Literal["Namespace"] = "Namespace"
    metadata: ObjectMeta
    _origin: Origin = PrivateAttr(default=GENERATED)

    @field_validator("metadata")
    @classmethod
    def _namespace_name(cls, m: ObjectMeta) -> ObjectMeta:
        _check(label_problem(m.name))
        return m

    @property
    def origin(self) -> Origin:
        return self._origin


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


def parse(cls: type[_In], m: Manifest) -> _In:
    """Parse a manifest into `cls`, raising ParseError with located problems."""
    try:
        obj = cls.model_validate(m.obj)
    except ValidationError as exc:
        raise ParseError(_problems(exc, m, m.kind)) from None
    obj._origin = m.origin  # type: ignore[attr-defined]
    return obj


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
