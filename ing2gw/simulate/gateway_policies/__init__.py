"""Implementation policies for the Gateway API router: what each Gateway API implementation's own
resources (policies attached by targetRef(s), filters referenced by ExtensionRef) do to a request.

Which implementation runs a Gateway comes from its GatewayClass's `controllerName`
(`CONTROLLERS`). Without the GatewayClass in the input, the implementation whose API groups the
input uses is assumed (said on every answer); with several, nothing is assumed and the answers say
so. One module per implementation, registered in `TARGETS` (`module:Class`), turns the policies
that apply at a `Scope` into `Effects` (see `base`); the router runs them.

Nothing is dropped silently: a policy of another implementation attached to a Gateway or route
is reported as not read by this one (a note), a policy of an unknown API group, or a kind or a
field an implementation module does not read, is reported in `unmodelled`.
"""

from __future__ import annotations

import importlib
from typing import Callable, Protocol, Sequence

from ing2gw.errors import Problem
from ing2gw.load import Manifest
from ing2gw.simulate.gateway_objects import GrantSpec, Inventory
from ing2gw.simulate.gateway_policies.base import NO_EFFECTS, Effects, EffectsBuilder, Scope, attaches, levels_for
from ing2gw.simulate.gateway_policies.objects import GATEWAY_API_GROUPS, PolicyObject, Store, read_store
from ing2gw.simulate.request import ClusterContext

#: implementation name -> "module:Class" of its model (a `Target`)
TARGETS: dict[str, str] = {
    "envoy-gateway": "ing2gw.simulate.gateway_policies.envoy_gateway:EnvoyGateway",
    "kgateway": "ing2gw.simulate.gateway_policies.kgateway:Kgateway",
    "istio": "ing2gw.simulate.gateway_policies.istio:Istio",
    "nginx-gateway-fabric": "ing2gw.simulate.gateway_policies.nginx_gateway_fabric:NginxGatewayFabric",
    "traefik": "ing2gw.simulate.gateway_policies.traefik:Traefik",
    "gke-gateway": "ing2gw.simulate.gateway_policies.gke:GkeGateway",
    "aws-load-balancer-controller": "ing2gw.simulate.gateway_policies.aws:AwsLoadBalancerController",
}

#: GatewayClass controllerName -> implementation (the controllers' documented defaults)
CONTROLLERS: dict[str, str] = {
    "gateway.envoyproxy.io/gatewayclass-controller": "envoy-gateway",
    "kgateway.dev/kgateway": "kgateway",
    "istio.io/gateway-controller": "istio",
    "istio.io/unmanaged-gateway": "istio",
    "gateway.nginx.org/nginx-gateway-controller": "nginx-gateway-fabric",
    "traefik.io/gateway-controller": "traefik",
    "networking.gke.io/gateway": "gke-gateway",
    "gateway.k8s.aws/alb": "aws-load-balancer-controller",
    "gateway.k8s.aws/nlb": "aws-load-balancer-controller",
}

#: API group -> the implementation that reads it
GROUPS: dict[str, str] = {
    "gateway.envoyproxy.io": "envoy-gateway",
    "gateway.kgateway.dev": "kgateway",
    "security.istio.io": "istio",
    "networking.istio.io": "istio",
    "telemetry.istio.io": "istio",
    "extensions.istio.io": "istio",
    "gateway.nginx.org": "nginx-gateway-fabric",
    "traefik.io": "traefik",
    "traefik.containo.us": "traefik",
    "networking.gke.io": "gke-gateway",
    "gateway.k8s.aws": "aws-load-balancer-controller",
}


class Target(Protocol):
    """An implementation's model."""

    name: str

    def effects(self, scope: Scope) -> Effects:
        """What the policies attached at `scope` do, in the order the implementation runs them."""

    def listener_effects(self, scope: Scope) -> Effects:
        """What happens on the listener before a route is chosen (`scope.route` is empty):
        health checks, requests refused by the HTTP connection manager, header changes that
        route matching sees."""

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        """What a rule's ExtensionRef filter to (group, kind, name) in the route's namespace does;
        None when this implementation does not know the kind."""

    def reads(self, policy: PolicyObject) -> bool:
        """Whether the model reads this policy kind (else an attached one is unmodelled)."""


class Context:
    """What a target reads besides its own objects: the Store, the cluster facts and the
    ReferenceGrants of the input."""

    def __init__(self, store: Store, cluster: ClusterContext, grants: Sequence[GrantSpec]) -> None:
        self.store = store
        self.cluster = cluster
        self.grants = list(grants)

    def granted(self, from_group: str, from_kind: str, from_ns: str, to_kind: str, to_ns: str, to_name: str,
                to_group: str = "") -> bool:
        """Does a ReferenceGrant in `to_ns` let (from_group, from_kind) in `from_ns` refer to it?"""
        if from_ns == to_ns:
            return True
        return any(g.namespace == to_ns and g.permits(from_group, from_kind, from_ns, to_group, to_kind, to_name)
                   for g in self.grants)

    def secret(self, namespace: str, name: str) -> tuple[bool, dict[str, str | None] | None]:
        """(exists, data): data None when the Secret is assumed to exist but is not in the input."""
        data = self.store.secrets.get((namespace, name))
        if data is not None:
            return True, data
        if self.cluster.secret(namespace, name) is not None:
            return True, None
        return False, None


class PolicyIndex:
    """The implementation objects of an input and the models that read them."""

    def __init__(self, manifests: Sequence[Manifest], inventory: Inventory, cluster: ClusterContext) -> None:
        store, problems = read_store(manifests)
        self.problems: list[Problem] = problems
        self.store = store
        self.context = Context(store, cluster, inventory.grants)
        self._targets: dict[str, Target] = {}
        self._family = sorted({GROUPS[g] for g in store.groups() if g in GROUPS})
        #: policies that attach somewhere (for the foreign/unknown checks)
        self._policies = [p for p in store.policies()]
        # nothing to do unless the input holds implementation objects or names a known
        # implementation (whose defaults apply to every request)
        self.empty = not store.objects and not any(CONTROLLERS.get(c) for c, _ in store.classes.values())

    def target(self, name: str) -> Target:
        t = self._targets.get(name)
        if t is None:
            module, _, cls = TARGETS[name].partition(":")
            factory: Callable[[Context], Target] = getattr(importlib.import_module(module), cls)
            t = self._targets[name] = factory(self.context)
        return t

    def implementation(self, class_name: str) -> tuple[str | None, list[str], list[str]]:
        """(implementation, notes, unmodelled) for a Gateway of this GatewayClass."""
        known = self.store.classes.get(class_name)
        if known is not None:
            controller = known[0]
            impl = CONTROLLERS.get(controller)
            if impl is None:
                unmod = []
                if self._family:
                    unmod.append(f"GatewayClass {class_name} has controllerName {controller}, which ing2gw does not "
                                 f"know; whether it reads the {', '.join(self._family)} objects of the input is "
                                 "not known (not applied)")
                return None, [], unmod
            return impl, [], []
        if len(self._family) == 1:
            impl = self._family[0]
            return impl, [f"GatewayClass {class_name} is not in the input: assumed to be {impl} (the input holds "
                          f"its objects)"], []
        if len(self._family) > 1:
            return None, [], [f"GatewayClass {class_name} is not in the input and the input holds objects of "
                              f"{', '.join(self._family)}: which of them runs the Gateway is not known (none applied)"]
        return None, [], []

    def listener_effects(self, scope: Scope) -> Effects:
        """What the Gateway's implementation does on a listener before choosing a route."""
        impl, _, _ = self.implementation(scope.gateway_class)
        if impl is None:
            return NO_EFFECTS
        return self.target(impl).listener_effects(scope)

    def effects(self, scope: Scope) -> Effects:
        """Everything implementation objects do at `scope` (the rule's ExtensionRef filters too)."""
        impl, notes, unmodelled = self.implementation(scope.gateway_class)
        b = EffectsBuilder()
        b.notes.extend(notes)
        b.unmodelled.extend(unmodelled)
        target = self.target(impl) if impl is not None else None
        eff = NO_EFFECTS
        if target is not None:
            eff = target.effects(scope)
        for group, kind, name in scope.filters:
            ext = target.extension(group, kind, name, scope) if target is not None else None
            if ext is None:
                owner = GROUPS.get(group)
                why = (f"an object of {owner}, which does not run this Gateway" if owner and owner != impl
                       else "not modelled for this implementation" if impl else "implementation-specific")
                b.unmodelled.append(f"rule {scope.rule_name or scope.rule_index}: ExtensionRef filter {group}/{kind} "
                                    f"{name}: {why} (not applied)")
            else:
                eff = eff + ext
        self._others(scope, impl, target, b)
        return b.build() + eff

    def _others(self, scope: Scope, impl: str | None, target: Target | None, b: EffectsBuilder) -> None:
        """Policies attached at `scope` that the Gateway's implementation does not read."""
        if not self._policies:
            return
        hits: dict[int, PolicyObject] = {}
        for lv in levels_for(self.store, scope):
            for p in lv.policies():
                hits.setdefault(id(p), p)
        for ns, name, _ in scope.backends:
            def on_service(q: PolicyObject, ns: str = ns, name: str = name) -> bool:
                return attaches(self.store, q, "Service", ns, name, None)
            for p in self.store.attached("Service", ns, name, None, on_service):
                hits.setdefault(id(p), p)
        for p in sorted(hits.values(), key=lambda q: (q.group, q.kind, q.namespace, q.name)):
            owner = GROUPS.get(p.group)
            if owner is not None and owner == impl and target is not None and target.reads(p):
                continue
            if owner is not None and owner == impl:
                b.unmodelled.append(f"{p.label()} ({p.group}) attaches here; this kind is not modelled")
            elif owner is not None and impl is not None:
                b.notes.append(f"{p.label()} ({p.group}) attaches here but is read by {owner}, not by {impl} "
                               "(the Gateway's implementation): no effect")
            elif owner is not None:
                continue  # the implementation is unknown: said once by implementation()
            elif p.group in GATEWAY_API_GROUPS:
                b.unmodelled.append(f"{p.label()} ({p.group}) attaches here; this Gateway API policy is not modelled")
            else:
                b.unmodelled.append(f"{p.label()} ({p.group}) attaches here; its API group is not known to ing2gw "
                                    "(not modelled)")


__all__ = ["CONTROLLERS", "GROUPS", "TARGETS", "Context", "PolicyIndex", "Target"]
