"""GKE Gateway (networking.gke.io/v1): GCPBackendPolicy, HealthCheckPolicy, GCPGatewayPolicy,
GCPSessionAffinityPolicy / GCPSessionAffinityFilter and GCPTrafficDistributionPolicy.

GKE's policies configure Google Cloud load-balancer resources: a GCPBackendPolicy targets a
Service (its backend service), a GCPGatewayPolicy a Gateway (its forwarding rules and target
proxy), a HealthCheckPolicy a Service. Of what they set, two decide whether a request passes and
are decided by Google Cloud, not by the configuration: Cloud Armor (`securityPolicy`, the rules
live in the GCP project) and Identity-Aware Proxy (`iap.enabled`: a request without a Google
session is sent to sign-in). Both are unmodelled on the answers through the Service. Timeouts,
session affinity (it keeps the backend set), connection draining, logging, capacity, health
checks, SSL policies, global access and traffic distribution do not change what one simulated
request gets: the answers say so. A field this model does not know is unmodelled.
"""

from __future__ import annotations

from typing import Any

from ing2gw.simulate.gateway_policies import Context
from ing2gw.simulate.gateway_policies.base import Effects, EffectsBuilder, Scope, attaches, levels_for, mapping
from ing2gw.simulate.gateway_policies.objects import PolicyObject
from ing2gw.simulate.gateway_policies.steps import Unmodelled

GROUP = "networking.gke.io"
BACKEND_NEUTRAL = {"timeoutSec": "a slower backend gets a timeout; latency is not modelled",
                   "sessionAffinity": "sticky sessions keep requests on one endpoint of the same Service",
                   "connectionDraining": "endpoint removal", "logging": "logging",
                   "maxRatePerEndpoint": "capacity", "backendPreference": "multi-cluster preference"}
GATEWAY_NEUTRAL = {"sslPolicy": "TLS versions and ciphers", "allowGlobalAccess": "which clients can reach an internal "
                   "load balancer's address", "region": "where the load balancer runs"}


class GkeGateway:
    """The GKE Gateway model (see the module docstring)."""

    name = "gke-gateway"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def reads(self, policy: PolicyObject) -> bool:
        return policy.group == GROUP and policy.kind in ("GCPBackendPolicy", "HealthCheckPolicy", "GCPGatewayPolicy",
                                                         "GCPSessionAffinityPolicy", "GCPTrafficDistributionPolicy")

    def listener_effects(self, scope: Scope) -> Effects:
        return Effects()

    def _on_backends(self, kind: str, scope: Scope) -> list[PolicyObject]:
        return [p for p in self.store.of(GROUP, kind)
                if any(_targets_service(p, ns, name) for ns, name, _ in scope.backends)]

    def effects(self, scope: Scope) -> Effects:
        b = EffectsBuilder()
        for p in self._on_backends("GCPBackendPolicy", scope):
            b.apply(p)
            default = mapping(p.spec.get("default"))
            for key in sorted(default):
                v: Any = default[key]
                if key == "securityPolicy":
                    b.step(Unmodelled(f"{p.label()}: Cloud Armor security policy {v} decides whether the request "
                                      "passes (its rules are in the GCP project; not modelled, modelled as allowed)"), p)
                elif key == "iap":
                    if mapping(v).get("enabled") is True:
                        b.step(Unmodelled(f"{p.label()}: Identity-Aware Proxy: a request without a Google session is "
                                          "sent to sign-in (not modelled; modelled as signed in)"), p)
                elif key in BACKEND_NEUTRAL:
                    b.notes.append(f"{p.label()}: {key} does not change the answer ({BACKEND_NEUTRAL[key]})")
                else:
                    b.unmodelled.append(f"{p.label()}: default.{key} is not modelled")
        for kind, why in (("HealthCheckPolicy", "health checks choose healthy endpoints; endpoint health is not "
                                                "modelled"),
                          ("GCPSessionAffinityPolicy", "sticky sessions keep requests on one endpoint"),
                          ("GCPTrafficDistributionPolicy", "traffic distribution between zones and clusters")):
            for p in self._on_backends(kind, scope):
                b.apply(p)
                b.notes.append(f"{p.label()}: {why}")
        gns, gname = scope.gateway
        for p in self.store.of(GROUP, "GCPGatewayPolicy"):
            if attaches(self.store, p, "Gateway", gns, gname, None):
                b.apply(p)
                for key in sorted(mapping(p.spec.get("default"))):
                    if key in GATEWAY_NEUTRAL:
                        b.notes.append(f"{p.label()}: {key} does not change the answer ({GATEWAY_NEUTRAL[key]})")
                    else:
                        b.unmodelled.append(f"{p.label()}: default.{key} is not modelled")
        for lv in levels_for(self.store, scope, listener_levels=False, gateway_level=False):
            for p in lv.policies():
                if (p.group, p.kind) == (GROUP, "GCPSessionAffinityPolicy"):
                    b.apply(p)
                    b.notes.append(f"{p.label()}: sticky sessions keep requests on one endpoint")
        return b.build()

    def extension(self, group: str, kind: str, name: str, scope: Scope) -> Effects | None:
        if group != GROUP or kind != "GCPSessionAffinityFilter":
            return None
        f = self.store.get(GROUP, kind, scope.route_ns, name)
        if f is None:
            return Effects(unmodelled=(f"GCPSessionAffinityFilter {scope.route_ns}/{name} does not exist (what GKE "
                                       "does then is not modelled)",))
        return Effects(notes=(f"{f.label()}: sticky sessions keep requests on one endpoint",), applied=(f.label(),))


def _targets_service(p: PolicyObject, ns: str, name: str) -> bool:
    """GKE's targetRef may name another namespace; it then applies to that Service."""
    raw = mapping(p.spec.get("targetRef"))
    if raw:
        target_ns = str(raw.get("namespace") or p.namespace)
        return raw.get("kind") in ("Service", "ServiceImport") and raw.get("name") == name and target_ns == ns
    return any(r.kind == "Service" and r.name == name and p.namespace == ns for r in p.target_refs)
