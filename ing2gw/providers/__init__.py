"""Source-controller providers: controller semantics -> IR. Registered in providers/registry.py."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ing2gw.providers.registry import REGISTRY

if TYPE_CHECKING:  # the registry is read by the CLI: importing the package stays light
    from ing2gw.providers.base import Provider

#: controller id -> "module:class" (derived from the registry, which is the one list)
PROVIDERS: dict[str, str] = {c: e.provider for c, e in REGISTRY.items()}


def provider_for(controller: str) -> Provider | None:
    """A new provider for a controller id, or None when ing2gw does not translate it."""
    spec = PROVIDERS.get(controller)
    if spec is None:
        return None
    module, _, cls = spec.partition(":")
    provider: Provider = getattr(importlib.import_module(module), cls)()
    return provider
