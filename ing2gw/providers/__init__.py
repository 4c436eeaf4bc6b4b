"""Source-controller providers: controller semantics -> IR. Registered explicitly below."""

from __future__ import annotations

import importlib

from ing2gw.providers.base import Provider

#: controller id -> "module:class"
PROVIDERS: dict[str, str] = {
    "ingress-nginx": "ing2gw.providers.ingress_nginx:IngressNginxProvider",
    "traefik": "ing2gw.providers.traefik:TraefikProvider",
}


def provider_for(controller: str) -> Provider | None:
    spec = PROVIDERS.get(controller)
    if spec is None:
        return None
    module, _, cls = spec.partition(":")
    provider: Provider = getattr(importlib.import_module(module), cls)()
    return provider
