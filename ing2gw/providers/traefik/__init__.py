"""Traefik (Kubernetes Ingress provider): its routers, turned into neutral IR.

Traefik builds one router per Ingress path with a rule string (`Host("h") && PathPrefix("/p")`)
and sends each request to the matching router of highest priority, the rule's length unless
`router.priority` says otherwise, across hosts, host-less rules and namespaces
(traefik-semantics.md T-B, T-F). Gateway API picks the listener by hostname and then the most
specific match. `views` reconciles the two: per host it keeps the routers Traefik can choose,
and reports where the precedence or the match semantics still differ.

Modules: `annotations` (router.*), `routers` (rules and priorities), `middlewares` (Middleware
CRDs to filters and intents), `views` (hosts, shadowing, listeners, routes).
"""

from __future__ import annotations

from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.detect import detect
from ing2gw.providers.traefik.build import build_routers
from ing2gw.providers.traefik.crd import crd_routers, traefik_objects
from ing2gw.providers.traefik.static import static_of
from ing2gw.providers.traefik.tcp import tcp_routes
from ing2gw.providers.traefik.transport import transports_and_options
from ing2gw.providers.traefik.views import emit_views

DEFAULT_CLASS = "traefik"


def crd_class(ctx: BuildContext) -> str:
    """The class whose Gateway serves IngressRoutes: `traefik` (the chart's), or the first Traefik
    class of the input's Ingresses when `traefik` is not among them."""
    classes = sorted({v.class_name for v in (detect(i, ctx.inputs, ctx.options) for i in ctx.inputs.ingresses)
                      if v.translated and v.controller == "traefik"})
    return DEFAULT_CLASS if DEFAULT_CLASS in classes or not classes else classes[0]


class TraefikProvider:
    """Builds IR for the Ingresses of one Traefik IngressClass."""

    name = "traefik"

    def build(self, ctx: BuildContext, class_name: str, ingresses: list[Ingress]) -> None:
        # Ingresses Traefik's provider options skip never get here (detection, static.skipped_by)
        st = static_of(ctx.options)
        routers = build_routers(ctx, sorted(ingresses, key=lambda i: i.key))
        if traefik_objects(ctx.inputs.other) and class_name == crd_class(ctx) and st.crd_enabled:
            routers += crd_routers(ctx)
            # TCP/UDP routes: TLSRoutes where they fit, findings otherwise (tcp.py)
            tcp_routes(ctx, ctx.gateway_for(class_name))
            transports_and_options(ctx)
        hosts = {(r.host or "").strip().lower() for i in ingresses for r in i.spec.rules}
        emit_views(ctx, class_name, routers, sorted(h for h in hosts if h and not host_problem(h)))

