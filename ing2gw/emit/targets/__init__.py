"""Implementation-specific policies for IR intents, one module per target, registered below.

An emitter returns the policy objects it built and the intents it consumed; `emit` reports
every intent no emitter consumed, so nothing is dropped without a word.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ing2gw import ir
from ing2gw.findings import Finding

#: a target's emitter: (routes with their allocated names) -> (policy objects, consumed intents,
#: findings about what the user must check in the policies written)
Emitter = Callable[..., tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]]

@dataclass(frozen=True)
class Variant:
    """One of the rules a forwarding rule becomes (`Emitted.variants`): the rule's matches with
    `filter` (an ExtensionRef, or None for none) appended; with `keep` the rule's own filters,
    backends and timeouts too, else nothing else (the filter answers)."""

    filter: dict[str, Any] | None
    keep: bool


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
    #: (namespace, route name) -> the rules each of that route's forwarding rules becomes, in
    #: order (rules that redirect stay as they are); the emitter checks the route still fits
    variants: dict[tuple[str, str], list[Variant]] = field(default_factory=dict)
    #: (namespace, route name) of routes whose rules' timeouts the target's policies carry: the
    #: HTTPRoute `timeouts` (which such a target does not implement) are left out of them
    carried_timeouts: set[tuple[str, str]] = field(default_factory=set)


#: a target's listener emitter: (routes with their names, listener key -> (kind, namespace, name,
#: sectionName) of the Gateway listener) -> (objects by namespace, consumed intents, findings);
#: for policies that attach to a listener rather than a route (client certificates)
ListenerEmitter = Callable[[list[tuple[ir.Route, str]], dict[ir.ListenerKey, tuple[str, str, str, str]]],
                           tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]]

#: target name -> "module:function" of its listener emitter
LISTENER_EMITTERS: dict[str, str] = {
    "envoy-gateway": "ing2gw.emit.targets.envoy_gateway:emit_listener_policies",
}

#: a target's gateway emitter: (each Gateway with controller-wide intents, with the Gateway
#: objects it became; every object written so far, which it may complete) -> (new objects for the
#: platform, consumed intents, findings); for settings of every listener (client-IP detection)
GatewayEmitter = Callable[[list[tuple[ir.Gateway, list[dict[str, Any]]]], list[dict[str, Any]]],
                          tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]]

#: target name -> "module:function" of its gateway emitter
GATEWAY_EMITTERS: dict[str, str] = {
    "envoy-gateway": "ing2gw.emit.targets.envoy_gateway_listener:emit_gateway_policies",
    "nginx-gateway-fabric": "ing2gw.emit.targets.ngf_proxy:emit_gateway_policies",
    "kgateway": "ing2gw.emit.targets.kgateway_listener:emit_gateway_policies",
}

#: target name -> "module:function"
EMITTERS: dict[str, str] = {
    "envoy-gateway": "ing2gw.emit.targets.envoy_gateway:emit_policies",
    "kgateway": "ing2gw.emit.targets.kgateway:emit_policies",
    "istio": "ing2gw.emit.targets.istio:emit_policies",
    "nginx-gateway-fabric": "ing2gw.emit.targets.nginx_gateway_fabric:emit_policies",
    "traefik": "ing2gw.emit.targets.traefik:emit_policies",
    "aws": "ing2gw.emit.targets.aws:emit_policies",
    "gke": "ing2gw.emit.targets.gke:emit_policies",
}

#: targets whose emitter also takes `parents` (ListenerKey -> the listener owner's kind,
#: namespace, name and section): their policies attach to Gateways, not to routes
WITH_PARENTS: frozenset[str] = frozenset({"istio"})


#: target -> (group, kind) of the filter an ExtensionRef names for a regex path rewrite
#: (ir.Rewrite.regex); the target's emitter writes the filter objects, named by `regex_filter_name`
REGEX_REWRITE: dict[str, tuple[str, str]] = {
    "envoy-gateway": ("gateway.envoyproxy.io", "HTTPRouteFilter"),
    "traefik": ("traefik.io", "Middleware"),
    # a TrafficPolicy named by an ExtensionRef filter applies to that rule only, above every
    # attached TrafficPolicy (kgateway docs about/policy-merging "ExtensionRef")
    "kgateway": ("gateway.kgateway.dev", "TrafficPolicy"),
}


#: target -> (group, kind) of the filter an ExtensionRef names for a direct response
#: (ir.Rule.direct_status); the target's emitter writes the filter objects (`direct_filter_name`)
DIRECT_RESPONSE: dict[str, tuple[str, str]] = {
    "envoy-gateway": ("gateway.envoyproxy.io", "HTTPRouteFilter"),
    "aws": ("gateway.k8s.aws", "ListenerRuleConfiguration"),
    "kgateway": ("gateway.kgateway.dev", "DirectResponse"),
}


#: target -> (group, kind) of its own backend object for a host outside the cluster, named by a
#: backendRef instead of an ExternalName Service (ir.ServiceBackend.external_name) when the target
#: carries `external-backend`; the target's emitter writes the objects (external_backends.py)
EXTERNAL_BACKEND: dict[str, tuple[str, str]] = {
    "envoy-gateway": ("gateway.envoyproxy.io", "Backend"),
    "kgateway": ("gateway.kgateway.dev", "Backend"),
}


#: target -> (group, kind) of the object an ExtensionRef names for a rule's CORS policy
#: (ir.Rule.cors) where the target refuses the standard CORS filter; the target's emitter writes
#: the objects, named by `cors_filter_name`
CORS_MIDDLEWARE: dict[str, tuple[str, str]] = {
    "traefik": ("traefik.io", "Middleware"),
}


def cors_filter_name(cors: ir.Cors) -> str:
    """The name of the object for one CORS policy: the same policy, the same object."""
    import hashlib

    digest = hashlib.sha256(repr(cors).encode()).hexdigest()[:12]
    return f"cors-{digest}"


def direct_filter_name(status: int) -> str:
    """The name of the filter object that answers `status` without a backend."""
    return f"direct-response-{status}"


def regex_filter_name(pattern: str, substitution: str) -> str:
    """The name of the filter object for one regex rewrite: the same rewrite, the same object."""
    import hashlib

    digest = hashlib.sha256(f"{pattern}\0{substitution}".encode()).hexdigest()[:12]
    return f"regex-rewrite-{digest}"


def direct_statuses(routes: list[ir.Route]) -> list[tuple[str, int, str]]:
    """(namespace, status, filter name) of every status some rule of the routes answers without a
    backend (ir.Rule.direct_status), once per namespace, sorted: each target's emitter writes one
    object for each, named by `direct_filter_name`."""
    return sorted({(route.namespace, rule.direct_status, direct_filter_name(rule.direct_status))
                   for route in routes for rule in route.rules if rule.direct_status is not None},
                  key=lambda t: (t[0], t[2]))


def regex_rewrites(routes: list[ir.Route]) -> Iterator[tuple[ir.Route, ir.Rule, str, str, str]]:
    """(route, rule, pattern, substitution, filter name) of every rule with a regex path rewrite
    (ir.Rewrite.regex), in order: what each target's emitter writes its own object for."""
    for route in routes:
        for rule in route.rules:
            if rule.rewrite is not None and rule.rewrite.regex is not None:
                pattern, substitution = rule.rewrite.regex
                yield route, rule, pattern, substitution, regex_filter_name(pattern, substitution)


def _emitter(spec: str | None) -> Any:
    """The function a `module:function` registry entry names (imported only when asked for)."""
    if spec is None:
        return None
    module, _, fn = spec.partition(":")
    return getattr(importlib.import_module(module), fn)


def listener_emitter_for(target: str | None) -> ListenerEmitter | None:
    """The listener emitter of `target`, if it has one."""
    emitter: ListenerEmitter | None = _emitter(LISTENER_EMITTERS.get(target or ""))
    return emitter


def gateway_emitter_for(target: str | None) -> GatewayEmitter | None:
    """The gateway emitter of `target`, if it has one."""
    emitter: GatewayEmitter | None = _emitter(GATEWAY_EMITTERS.get(target or ""))
    return emitter


def emitter_for(target: str | None) -> Emitter | None:
    spec = EMITTERS.get(target or "")
    if spec is None:
        return None
    module, _, fn = spec.partition(":")
    emitter: Emitter = getattr(importlib.import_module(module), fn)
    return emitter
