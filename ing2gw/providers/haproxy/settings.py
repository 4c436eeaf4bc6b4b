"""What the HAProxy controller reads besides the Ingress: its ConfigMap, Service annotations,
annotation names without their prefix, and the Helm chart's defaults ing2gw assumes.

Facts: ../shared/reference/haproxy-semantics.md (H-A2 annotation names and value lookup, H-D1
default service, H-F1 default certificate). The Helm chart (haproxytech/helm-charts
kubernetes-ingress 1.52) runs the controller with --configmap=haproxy-controller/haproxy-
kubernetes-ingress and a generated default certificate, which is what this provider assumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ing2gw import ir
from ing2gw.model.ingress import Ingress
from ing2gw.model.inputs import Inputs, configmap_data
from ing2gw.origin import Origin
from ing2gw.providers.haproxy.flags import ControllerFlags

#: prefixes the controller strips (the first that matches); a key without one is used as is (H-A2)
PREFIXES = ("haproxy.org/", "ingress.kubernetes.io/", "haproxy.com/")
#: the controller's built-in defaults (pkg/annotations/common/main.go DefaultValues)
DEFAULTS: dict[str, str] = {"ssl-redirect-code": "302", "ssl-redirect-port": "8443", "request-redirect-code": "302",
                            "auth-realm": "Protected Content"}


@dataclass(frozen=True)
class Value:
    """An annotation value and where it was read (the full key as written, for findings)."""

    value: str
    key: str
    source: str  # "ingress", "service" or "configmap"


def clean(raw: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Annotation name without prefix -> (value, key as written). With two keys cleaning to one
    name the controller's choice is undefined (a Go map); the first in input order is kept."""
    out: dict[str, tuple[str, str]] = {}
    for key, value in raw.items():
        name = key
        for prefix in PREFIXES:
            if key.startswith(prefix):
                name = key[len(prefix):]
                break
        out.setdefault(name, (value, key))
    return out


@dataclass
class Settings:
    """The controller's flags, its ConfigMap (when in the input) and cleaned annotations per object."""

    flags: ControllerFlags = field(default_factory=ControllerFlags)
    configmap: dict[str, tuple[str, str]] = field(default_factory=dict)
    configmap_origin: Origin | None = None
    services: dict[tuple[str, str], dict[str, tuple[str, str]]] = field(default_factory=dict)
    #: some Ingress of the class rewrites paths: route-acl rules see rewritten paths (H-H1), so the
    #: requests they take cannot be bounded by their own path
    rewrites: bool = False

    @classmethod
    def read(cls, inputs: Inputs, flags: ControllerFlags | None = None) -> "Settings":
        out = cls(flags=flags or ControllerFlags())
        for m in inputs.configmaps:
            if out.flags.configmap is not None and (m.namespace or "default", m.name) == out.flags.configmap:
                out.configmap = {k: (v, k) for k, v in configmap_data(m).items()}
                out.configmap_origin = m.origin
        for key, svc in inputs.services.items():
            out.services[key] = clean(svc.metadata.annotations)
        return out

    @property
    def default_cert(self) -> ir.SecretRef | None:
        """The default certificate (H-F1): the ConfigMap's ssl-certificate over
        --default-ssl-certificate; None when neither is set."""
        c = self.configmap.get("ssl-certificate")
        if c is not None and c[0].strip():
            ns, sep, name = c[0].strip().partition("/")
            return ir.SecretRef(ns, name) if sep and ns and name else self.flags.default_cert
        return self.flags.default_cert

    def frontend(self, ing: Ingress, name: str) -> Value | None:
        """A frontend (per-Ingress) annotation: Ingress, then ConfigMap (H-A2)."""
        v = clean(ing.annotations).get(name)
        if v is not None:
            return Value(v[0], v[1], "ingress")
        c = self.configmap.get(name)
        if c is not None:
            return Value(c[0], c[1], "configmap")
        return None

    def backend(self, ing: Ingress, service: str, name: str) -> Value | None:
        """A backend annotation: Service, then Ingress, then ConfigMap (H-A2, H-E4)."""
        s = self.services.get((ing.namespace, service), {}).get(name)
        if s is not None:
            return Value(s[0], s[1], "service")
        return self.frontend(ing, name)

    def service(self, namespace: str, service: str, name: str) -> Value | None:
        """An annotation read from the Service only (route-acl)."""
        s = self.services.get((namespace, service), {}).get(name)
        return Value(s[0], s[1], "service") if s is not None else None
