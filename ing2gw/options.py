"""Options of a translation, shared by every entry point (CLI, batch, KRM). A leaf module."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_GATEWAY_NAMESPACE = "gateway-system"
DEFAULT_CONTROLLER = "ingress-nginx"
DEFAULT_NGINX_PREFIX = "nginx.ingress.kubernetes.io"
#: where hostnames and certificates go: the platform's Gateway, or a ListenerSet per app namespace
LISTENER_MODES = ("gateway", "listenerset")


@dataclass(frozen=True)
class Options:
    """How to translate.

    * controller: the controller of Ingresses with nothing that says which controller serves
      them (no ingressClassName, no legacy annotation, no default IngressClass, no
      controller-specific annotation); see providers/detect.py.
    * classes: (class name, controller id) pairs the user gave (--class CLASS=CONTROLLER): they
      decide the controller of a class over its IngressClass object and ing2gw's table of names.
    * gateway_namespace / gateway_name / gateway_class: where the platform Gateway(s) go, their
      name (default: the IngressClass name) and gatewayClassName (default: the target's class,
      else the IngressClass name).
    * single_gateway: one Gateway for every IngressClass (never the default: internal and
      public classes must not share a Gateway).
    * target: the Gateway API implementation the output is for (enables its GatewayClass and
      policies); None = portable Gateway API only.
    * emit_gateway_class: also write a GatewayClass (needs a target, or gateway_class +
      gateway_controller_name).
    * default_namespace: namespace of objects without one (kubectl's current namespace).
    * annotations_prefix: ingress-nginx's --annotations-prefix.
    * allow_weakened: annotation keys (short or full) whose loss the user accepts explicitly.
    * ingress_class: ingress-nginx's --ingress-class (the legacy annotation value it serves).
    * nginx_configmap: "namespace/name" of the ingress-nginx ConfigMap in the input, if any.
    * nginx_flags: ingress-nginx controller flags that change routing.
    * haproxy_flags: the HAProxy controller's arguments as in its Deployment; empty = the Helm
      chart's (providers/haproxy/flags.py).
    * listeners: "gateway" (every listener on the platform's Gateway, split over several
      Gateways past 64 listeners) or "listenerset" (the Gateway admits ListenerSets; each
      application namespace owns one with the hostnames and certificates only it serves).
    * skip_invalid: leave invalid input objects out of the translation, each problem an error
      finding (ING2GW-LOAD-005), instead of refusing the whole input.
    * allow_cross_namespace: let annotations reach into other namespaces (a ReferenceGrant there
      for a mirror-target Service, a custom-headers ConfigMap read from there); off, each such
      annotation is an error and is not carried over.
    * traefik_static: Traefik's static configuration (the document of its YAML/TOML file:
      entryPoints, providers.kubernetesIngress/kubernetesCRD, core), None for the Helm chart's;
      see providers/traefik/static.py.
    * traefik_version: the Traefik release ("3.6", "3.7"), where routing differs between them.
    """

    controller: str = DEFAULT_CONTROLLER
    classes: tuple[tuple[str, str], ...] = ()
    gateway_namespace: str = DEFAULT_GATEWAY_NAMESPACE
    gateway_name: str | None = None
    gateway_class: str | None = None
    gateway_controller_name: str | None = None
    single_gateway: bool = False
    target: str | None = None
    emit_gateway_class: bool = False
    default_namespace: str = "default"
    annotations_prefix: str = DEFAULT_NGINX_PREFIX
    allow_weakened: frozenset[str] = field(default_factory=frozenset)
    ingress_class: str = "nginx"
    watch_ingress_without_class: bool = False
    nginx_configmap: str | None = None
    #: ingress-nginx controller flags that change routing (--disable-catch-all,
    #: --default-backend-service=ns/name, ...), as given to the controller
    nginx_flags: tuple[str, ...] = ()
    #: the HAProxy controller's arguments (--ingress.class=haproxy, ...); empty: the Helm chart's
    haproxy_flags: tuple[str, ...] = ()
    listeners: str = "gateway"
    skip_invalid: bool = False
    allow_cross_namespace: bool = False
    #: not hashed (a mapping); compared by value
    traefik_static: dict[str, Any] | None = field(default=None, hash=False)
    traefik_version: str | None = None

    def nginx_flag(self, name: str) -> str | None:
        """The value of a controller flag (`"true"` for a bare flag), or None when absent."""
        for f in self.nginx_flags:
            key, _, value = f.lstrip("-").partition("=")
            if key == name:
                return value or "true"
        return None


# Names the options become in the output, checked before anything is built (an invalid value
# would otherwise surface as an object the strict models refuse). The patterns are Kubernetes'
# (DNS-1123 subdomain and label, DNS-1035 label) and Gateway API's GatewayController.
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_SERVICE = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_CONTROLLER = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+\Z")
#: room a Gateway name needs for the suffixes ing2gw adds (`-<class>`, `-2`)
_GATEWAY_NAME_MAX = 253 - 64 - 4


def _ns_name(value: str, what: str, service: bool = False) -> str | None:
    ns, slash, name = value.partition("/")
    if not slash or not _LABEL.match(ns) or len(ns) > 63 or not name \
            or not (_SERVICE.match(name) and len(name) <= 63 if service else _SUBDOMAIN.match(name) and len(name) <= 253):
        return (f"{what} {value!r} must be namespace/name (a namespace and a "
                f"{'Service name' if service else 'name'} in lower case, e.g. ingress-nginx/default-backend)")
    return None


def problems(options: Options) -> list[str]:
    """Why the options cannot work (one line each, naming the option), or nothing."""
    out = []
    for value, what in ((options.gateway_namespace, "--gateway-namespace"), (options.default_namespace, "--namespace")):
        if not (_LABEL.match(value) and len(value) <= 63):
            out.append(f"{what} {value!r} is not a namespace name: at most 63 lower-case letters, digits and '-'")
    if options.gateway_name is not None and not (_SUBDOMAIN.match(options.gateway_name)
                                                 and len(options.gateway_name) <= _GATEWAY_NAME_MAX):
        out.append(f"--gateway-name {options.gateway_name!r} is not a Kubernetes name: at most {_GATEWAY_NAME_MAX} "
                   "lower-case letters, digits, '-' and '.'")
    if options.gateway_class is not None and not (_SUBDOMAIN.match(options.gateway_class)
                                                  and len(options.gateway_class) <= 253):
        out.append(f"--gateway-class {options.gateway_class!r} is not a Kubernetes name: lower-case letters, digits, "
                   "'-' and '.'")
    if options.gateway_controller_name is not None and not (_CONTROLLER.match(options.gateway_controller_name)
                                                            and len(options.gateway_controller_name) <= 253):
        out.append(f"--gateway-controller-name {options.gateway_controller_name!r} must be a domain-prefixed path, "
                   "e.g. example.net/gateway-controller")
    if not (_SUBDOMAIN.match(options.annotations_prefix.rstrip("/")) and len(options.annotations_prefix) <= 253):
        out.append(f"--annotations-prefix {options.annotations_prefix!r} is not an annotation prefix (a DNS name such "
                   "as nginx.ingress.kubernetes.io)")
    if options.traefik_version is not None and not re.fullmatch(r"v?3\.\d+(\.\d+)?", options.traefik_version.strip()):
        out.append(f"--traefik-version {options.traefik_version!r} is not a Traefik v3 release such as 3.6 or 3.7")
    if options.traefik_static is not None and not isinstance(options.traefik_static, dict):
        out.append("--traefik-static must be Traefik's static configuration (a mapping: entryPoints, providers, ...)")
    if options.nginx_configmap is not None:
        out += [p for p in [_ns_name(options.nginx_configmap, "--nginx-configmap")] if p]
    for flag in options.nginx_flags:
        name, _, value = flag.lstrip("-").partition("=")
        if name in ("default-backend-service", "default-ssl-certificate"):
            problem = _ns_name(value, f"--nginx-flag=--{name}=", service=name == "default-backend-service")
            if problem:
                out.append(problem)
    return out
