"""The strict input models (pydantic): the definition of what ing2gw accepts of an Ingress,
IngressClass, Service and Namespace, and the source of its located error messages.

They are off the hot path: `model/ingress.py` reads well-formed objects into plain classes
itself and hands an object to these models only when it is not sure (a field missing, of
another type, or failing a check), so that every error is the one these models give, at the
same line. tests/test_model_ingress.py checks that both agree on every input of the test data.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, field_validator, model_validator
from pydantic.alias_generators import to_camel

from ing2gw.model.ingress import (
    ANNOTATIONS_MAX_BYTES,
    IS_DEFAULT_CLASS,
    _IANA_SVC_NAME,
    _QUALIFIED_NAME,
    _qualified_name_problem,
    _yaml_str,
    label_problem,
    service_name_problem,
    subdomain_problem,
)
from ing2gw.origin import GENERATED, Origin


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
