"""Options of a translation, shared by every entry point (CLI, batch, KRM). A leaf module."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_GATEWAY_NAMESPACE = "gateway-system"
DEFAULT_CONTROLLER = "ingress-nginx"
DEFAULT_NGINX_PREFIX = "nginx.ingress.kubernetes.io"


@dataclass(frozen=True)
class Options:
    """How to translate.

    * controller: the controller of Ingresses whose class says nothing (no ingressClassName, no
      legacy annotation, no default IngressClass).
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
    * allow_cross_namespace: let annotations reach into other namespaces (a ReferenceGrant there
      for a mirror-target Service, a custom-headers ConfigMap read from there); off, each such
      annotation is an error and is not carried over.
    """

    controller: str = DEFAULT_CONTROLLER
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
    allow_cross_namespace: bool = False

    def nginx_flag(self, name: str) -> str | None:
        """The value of a controller flag (`"true"` for a bare flag), or None when absent."""
        for f in self.nginx_flags:
            key, _, value = f.lstrip("-").partition("=")
            if key == name:
                return value or "true"
        return None
