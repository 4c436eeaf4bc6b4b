"""Implementation-specific policies for IR intents, one module per target, registered below.

An emitter returns the policy objects it built and the intents it consumed; `emit` reports
every intent no emitter consumed, so nothing is dropped without a word.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ing2gw import ir
from ing2gw.findings import Finding

#: a target's emitter: (routes with their allocated names) -> (policy objects, consumed intents,
#: findings about what the user must check in the policies written)
Emitter = Callable[..., tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]]

@dataclass
class Emitted:
    """What an emitter that also adds filters to routes returns (the others return the tuple
    (objects, consumed, findings)): `filters` maps (namespace, route name) to the ExtensionRef
    filters appended to each of that route's forwarding rules (rules that redirect answer
    before them, as nginx's rewrite phase runs before its access phase)."""

    objects: list[dict[str, Any]]
    consumed: set[ir.Intent]
    findings: list[Finding]
    filters: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)


#: target name -> "module:function"
EMITTERS: dict[str, str] = {
    "envoy-gateway": "ing2gw.emit.targets.envoy_gateway:emit_policies",
    "kgateway": "ing2gw.emit.targets.kgateway:emit_policies",
    "istio": "ing2gw.emit.targets.istio:emit_policies",
    "nginx-gateway-fabric": "ing2gw.emit.targets.nginx_gateway_fabric:emit_policies",
    "traefik": "ing2gw.emit.targets.traefik:emit_policies",
}

#: targets whose emitter also takes `parents` (ListenerKey -> the listener owner's kind,
#: namespace, name and section): their policies attach to Gateways, not to routes
WITH_PARENTS: frozenset[str] = frozenset({"istio"})


def emitter_for(target: str | None) -> Emitter | None:
    spec = EMITTERS.get(target or "")
    if spec is None:
        return None
    module, _, fn = spec.partition(":")
    emitter: Emitter = getattr(importlib.import_module(module), fn)
    return emitter
