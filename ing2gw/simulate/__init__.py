"""Independent routers that answer "where does this request go?".

One router per source controller (the old side) and one for Gateway API (the new side), plus
probe generation and the equivalence check. This package imports only `load`, `model` and the
leaf modules (`origin`, `errors`): it shares no code with `providers`, `ir` or `emit`, so a
translation bug and a simulator bug cannot be the same bug (tests/test_layers.py checks this).

Routers are registered here, explicitly, by (side, controller).
"""

from __future__ import annotations

import importlib
from typing import Protocol, Sequence

from ing2gw.errors import UsageError
from ing2gw.load import Manifest
from ing2gw.simulate.request import Answer, ClusterContext, Request


class Router(Protocol):
    """A configuration indexed once, answering many requests."""

    def route(self, request: Request) -> Answer: ...


#: (side, controller) -> "module:class". The class is built as cls(manifests, context).
ROUTERS: dict[tuple[str, str], str] = {
    ("gateway", "gateway-api"): "ing2gw.simulate.gateway:GatewayRouter",
    ("ingress", "ingress-nginx"): "ing2gw.simulate.nginx:NginxRouter",
    ("ingress", "generic"): "ing2gw.simulate.generic:GenericRouter",
    ("ingress", "haproxy"): "ing2gw.simulate.haproxy:HAProxyRouter",
    ("ingress", "traefik"): "ing2gw.simulate.traefik:TraefikRouter",
}


def ingress_controllers() -> list[str]:
    return sorted(c for side, c in ROUTERS if side == "ingress")


def build_router(side: str, controller: str | None, manifests: Sequence[Manifest],
                 context: ClusterContext | None = None) -> Router:
    """Index `manifests` for one side. Raises InputError for objects that cannot be used."""
    if side == "gateway":
        controller = "gateway-api"
    elif controller is None:
        controller = "ingress-nginx"
    key = (side, controller)
    if key not in ROUTERS:
        known = ", ".join(ingress_controllers())
        raise UsageError(f"no {side}-side simulator for controller {controller!r}; known: {known}")
    module, _, cls_name = ROUTERS[key].partition(":")
    cls = getattr(importlib.import_module(module), cls_name)
    router: Router = cls(list(manifests), context or ClusterContext())
    return router
