"""Backend references for the Gateway API router (`reference/gateway-api.md` §3.7, §3.11).

Resolved once per rule when the router is built: each backendRef becomes a weighted share that
is either proxied, or answered by the gateway with 500 (invalid reference: unknown kind,
missing Service, cross-namespace without a ReferenceGrant) or 503 (a Service without ready
endpoints, "SHOULD return a 503"). Weights are fractions of the rule's total; a weight of 0
gets nothing; a rule whose weights are all 0, or that has no backendRefs, answers 500.
Which Services exist and how many endpoints they have comes from `ClusterContext`.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipaddress
from typing import Any, Callable, Mapping

from ing2gw.simulate.gateway_attach import Condition
from ing2gw.simulate.gateway_objects import GW_GROUP, BackendRefSpec, GrantSpec, Inventory, RuleSpec, ServiceSpec
from ing2gw.simulate.request import BackendRef, ClusterContext

#: (group, kind, namespace, name) -> the spec of an implementation object of the input, or None
ObjectLookup = Callable[[str, str, str, str], "Mapping[str, Any] | None"]

#: Backend kinds the spec names but this model does not resolve (their answers say so).
UNMODELLED_KINDS = {
    ("multicluster.x-k8s.io", "ServiceImport"): "ServiceImport (multi-cluster)",
    # implementations' own backend kinds: valid for that implementation only, resolved by it
    ("gateway.envoyproxy.io", "Backend"): "Envoy Gateway Backend (needs extensionApis.enableBackend)",
    ("gateway.kgateway.dev", "Backend"): "kgateway Backend",
    ("traefik.io", "TraefikService"): "TraefikService (weighted or mirrored Traefik services)",
    ("networking.istio.io", "Hostname"): "Istio Hostname backend (a ServiceEntry host)",
}


@dataclass(frozen=True, slots=True)
class ShareInfo:
    """One backendRef of a rule, resolved."""

    spec: BackendRefSpec
    backend: BackendRef | None        # None when the reference is invalid
    fraction: float
    status: int | None                # None: proxied; 500 invalid; 503 no ready endpoints
    reason: str | None                # InvalidKind / BackendNotFound / RefNotPermitted / NoEndpoints
    message: str
    unmodelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: the Host header the implementation sends to this backend instead of the client's
    host: str | None = None


@dataclass(frozen=True, slots=True)
class RuleAction:
    """What a rule does with the traffic it matches, independent of the request."""

    shares: tuple[ShareInfo, ...]
    error: tuple[int, str, str] | None            # (status, generated_by, why) when nothing is forwarded
    mirrors: tuple[tuple[BackendRef, float], ...]  # (backend, fraction mirrored)
    unmodelled: tuple[str, ...]
    notes: tuple[str, ...]
    resolved: Condition                           # the rule's contribution to ResolvedRefs


@dataclass(frozen=True, slots=True)
class Resolved:
    backend: BackendRef | None
    status: int | None
    reason: str | None
    message: str
    unmodelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    host: str | None = None


#: implementation -> (group, kind) of its own backend object for hosts outside the cluster, read
#: by `_own_backend` (the others stay in UNMODELLED_KINDS)
OWN_BACKENDS = {
    "envoy-gateway": ("gateway.envoyproxy.io", "Backend"),
    "kgateway": ("gateway.kgateway.dev", "Backend"),
}


def _hostname_problem(host: str) -> str | None:
    """Why Envoy Gateway refuses an FQDN endpoint's hostname (internal/gatewayapi/backend.go,
    validateHostname: a DNS subdomain of two labels or more, never an IP address), or None."""
    name = host.rstrip(".")
    try:
        ipaddress.ip_address(name)
        return f"hostname {host} is an IP address"
    except ValueError:
        pass
    if name.count(".") < 1:
        return f"hostname {host} should be a domain with at least two segments"
    return None


class BackendResolver:
    """Resolves backendRefs against the input's Services, ReferenceGrants and the cluster facts.

    `implementation`: the Gateway API implementation that runs every Gateway of the input (None
    when unknown or several): what an ExternalName Service and the implementation's own backend
    objects (`lookup`) become depends on it."""

    def __init__(self, inv: Inventory, context: ClusterContext, implementation: str | None = None,
                 lookup: ObjectLookup | None = None) -> None:
        self.inv = inv
        self.context = context
        self.implementation = implementation
        self.lookup = lookup
        self.grants: dict[str, list[GrantSpec]] = {}
        # (grant namespace, from group, from kind, from namespace, to group, to kind) -> the
        # names a grant allows (None: every name); a grant permits a reference when one of its
        # `from` entries and one of its `to` entries match (GrantSpec.permits)
        self._permitted: dict[tuple[str, str, str, str, str, str], set[str | None]] = {}
        for g in inv.grants:
            self.grants.setdefault(g.namespace, []).append(g)
            for fg, fk, fns in g.froms:
                for tg, tk, tn in g.tos:
                    self._permitted.setdefault((g.namespace, fg, fk, fns, tg, tk), set()).add(tn)

    def granted(self, from_kind: str, from_ns: str, to_group: str, to_kind: str, to_ns: str, to_name: str) -> bool:
        """Is a reference from (kind, namespace) to an object in another namespace permitted?"""
        names = self._permitted.get((to_ns, GW_GROUP, from_kind, from_ns, to_group, to_kind))
        return names is not None and (None in names or to_name in names)

    def resolve(self, route_kind: str, route_ns: str, ref: BackendRefSpec) -> Resolved:
        """Resolve one backendRef of a route in `route_ns`."""
        ns = ref.namespace or route_ns
        label = f"{ref.kind} {ns}/{ref.name}"
        if self.implementation in OWN_BACKENDS and (ref.group, ref.kind) == OWN_BACKENDS[self.implementation]:
            return self._own_backend(route_kind, route_ns, ns, ref)
        if (ref.group, ref.kind) in UNMODELLED_KINDS:
            what = UNMODELLED_KINDS[(ref.group, ref.kind)]
            return Resolved(BackendRef(ns, ref.name, ref.port), None, None, "",
                            (f"backend {label}: {what} is not modelled",))
        if not (ref.group == "" and ref.kind == "Service"):
            return Resolved(None, 500, "InvalidKind", f"backendRef kind {ref.group or 'core'}/{ref.kind} is not supported")
        if ns != route_ns and not self.granted(route_kind, route_ns, "", "Service", ns, ref.name):
            return Resolved(None, 500, "RefNotPermitted",
                            f"{route_kind} in {route_ns} may not use Service {ns}/{ref.name}: no ReferenceGrant "
                            f"in {ns} allows it")
        svc = self.inv.services.get((ns, ref.name))
        if not self.context.service_exists(ns, ref.name, svc is not None):
            return Resolved(None, 500, "BackendNotFound", f"Service {ns}/{ref.name} does not exist")
        unmodelled: list[str] = []
        notes: list[str] = []
        if svc is not None and svc.type == "ExternalName":
            return self._external_name(svc, ref)
        if svc is not None:
            ports = {p for _, p, _ in svc.ports}
            if svc.ports and ref.port not in ports:
                return Resolved(None, 500, "BackendNotFound",
                                f"Service {ns}/{ref.name} has no port {ref.port} (ports: {', '.join(map(str, sorted(ports)))})")
            proto = next((a for _, p, a in svc.ports if p == ref.port and a), None)
            if proto:
                notes.append(f"backend {ns}/{ref.name}:{ref.port} appProtocol {proto}")
        policies = self.inv.backend_tls.get((ns, ref.name))
        if policies:
            unmodelled.append(f"BackendTLSPolicy {', '.join(sorted(policies))} makes the gateway use TLS to Service "
                              f"{ns}/{ref.name}; certificate validation (5xx when it fails) is not modelled")
        backend = BackendRef(ns, ref.name, ref.port)
        endpoints = self.context.ready_endpoints(ns, ref.name, svc is not None)
        if endpoints == 0:
            return Resolved(backend, 503, "NoEndpoints", f"Service {ns}/{ref.name} has no ready endpoints",
                            tuple(unmodelled), tuple(notes))
        return Resolved(backend, None, None, "", tuple(unmodelled), tuple(notes))

    def _external_name(self, svc: ServiceSpec, ref: BackendRefSpec) -> Resolved:
        """An ExternalName Service as the Gateway's implementation treats it (each from its own
        source; the Gateway API spec leaves it implementation-specific)."""
        label = f"Service {svc.namespace}/{svc.name}"
        impl = self.implementation
        backend = BackendRef(svc.namespace, svc.name, ref.port, svc.external_name)
        ports = {p for _, p, _ in svc.ports}
        if impl == "envoy-gateway":
            # v1.9 validateBackendRefService: ResolvedRefs False, UnsupportedValue (a Backend instead)
            return Resolved(None, 500, "UnsupportedValue", f"{label} is of type ExternalName, which Envoy Gateway "
                                                           "refuses as a backend")
        if impl == "traefik":
            # v3.7 kubernetes/gateway getBackendAddresses: "type ExternalName is not supported"
            return Resolved(None, 500, "BackendNotFound", f"{label} is of type ExternalName, which Traefik's "
                                                          "Gateway API provider does not support")
        if impl == "kgateway":
            # kgateway builds endpoints from EndpointSlices, which an ExternalName Service has none of
            # (its e2e suite xds_starvation: such a route answers 503)
            return Resolved(BackendRef(svc.namespace, svc.name, ref.port), 503, "NoEndpoints",
                            f"{label} is of type ExternalName: kgateway finds no endpoints for it")
        if impl == "nginx-gateway-fabric":
            # v2.3+: proxy_pass to the external name on the Service port the backendRef names
            # (getServicePort: it must be listed), Host set to the external name
            # (config/servers.go createBaseProxySetHeaders); needs a dnsResolver in the NginxProxy
            if ref.port not in ports:
                return Resolved(None, 500, "BackendNotFound", f"{label} has no port {ref.port}")
            return Resolved(backend, None, None, "", (), (f"{label} is ExternalName {svc.external_name}: NGINX "
                                                          "resolves it with the NginxProxy's dnsResolver",),
                            host=svc.external_name)
        if impl == "istio" and ref.port in ports:
            # Istio turns an ExternalName Service's ports into DNS clusters of the external name
            return Resolved(backend, None, None, "", (), (f"{label} is ExternalName {svc.external_name}: Istio "
                                                          "resolves it by DNS",))
        return Resolved(backend, None, None, "", (f"backend {label} is ExternalName: support is "
                                                  "implementation-specific",))

    def _own_backend(self, route_kind: str, route_ns: str, ns: str, ref: BackendRefSpec) -> Resolved:
        """An Envoy Gateway or kgateway Backend object: the one host and port it names."""
        label = f"{ref.kind} {ns}/{ref.name}"
        if ns != route_ns and not self.granted(route_kind, route_ns, ref.group, ref.kind, ns, ref.name):
            return Resolved(None, 500, "RefNotPermitted", f"{route_kind} in {route_ns} may not use {label}: no "
                                                          f"ReferenceGrant in {ns} allows it")
        spec = self.lookup(ref.group, ref.kind, ns, ref.name) if self.lookup is not None else None
        if spec is None:
            return Resolved(None, 500, "BackendNotFound", f"{label} does not exist")
        hosts: list[tuple[str, Any]] = []
        if ref.group == "gateway.envoyproxy.io":
            if spec.get("type", "Endpoints") != "Endpoints" or spec.get("tls") or spec.get("appProtocols"):
                return Resolved(BackendRef(ns, ref.name, ref.port), None, None, "",
                                (f"backend {label}: only plain Endpoints backends are modelled",))
            for ep in spec.get("endpoints") or []:
                fqdn, ip = ep.get("fqdn"), ep.get("ip")
                if isinstance(fqdn, dict):
                    why = _hostname_problem(str(fqdn.get("hostname") or ""))
                    if why is not None:
                        # the Backend is not accepted (internal/gatewayapi/backend.go validateBackend)
                        return Resolved(None, 500, "InvalidBackendRef", f"{label}: {why}")
                    hosts.append((str(fqdn.get("hostname")), fqdn.get("port")))
                elif isinstance(ip, dict):
                    hosts.append((str(ip.get("address")), ip.get("port")))
                else:
                    return Resolved(BackendRef(ns, ref.name, ref.port), None, None, "",
                                    (f"backend {label}: a Unix socket endpoint is not modelled",))
        else:
            static = spec.get("static") if spec.get("type") == "Static" else None
            if not isinstance(static, dict) or static.get("appProtocol"):
                return Resolved(BackendRef(ns, ref.name, ref.port), None, None, "",
                                (f"backend {label}: only Static backends without appProtocol are modelled",))
            hosts = [(str(h.get("host")), h.get("port")) for h in static.get("hosts") or [] if isinstance(h, dict)]
        if len(hosts) != 1:
            return Resolved(BackendRef(ns, ref.name, ref.port), None, None, "",
                            (f"backend {label}: {len(hosts)} endpoints (load balancing among them) is not modelled",))
        (host, port), = hosts
        # the endpoint's port is the one connected to; the backendRef's is not used for a Backend
        return Resolved(BackendRef(ns, ref.name, port, host.lower().rstrip(".")), None, None, "", (),
                        (f"backend {label} is {host}:{port} outside the cluster (DNS resolved by Envoy)",))

    def rule_action(self, route_kind: str, route_ns: str, rule: RuleSpec, forwards_nothing_ok: bool) -> RuleAction:
        """Resolve a rule's backendRefs and mirrors. `forwards_nothing_ok`: the rule answers by
        itself (a RequestRedirect), so having no backendRefs is not an error."""
        unmodelled: list[str] = []
        notes: list[str] = []
        first_failure: Condition | None = None
        shares: list[ShareInfo] = []
        total = sum(b.weight for b in rule.backend_refs)
        for b in rule.backend_refs:
            res = self.resolve(route_kind, route_ns, b)
            if res.reason and res.reason != "NoEndpoints" and first_failure is None:
                first_failure = Condition("ResolvedRefs", "False", res.reason, res.message)
            fraction = b.weight / total if total else 0.0
            shares.append(ShareInfo(b, res.backend, fraction, res.status, res.reason, res.message,
                                    res.unmodelled, res.notes, res.host))
        mirrors: list[tuple[BackendRef, float]] = []
        for f in rule.filters:
            if f.mirror is None:
                continue
            res = self.resolve(route_kind, route_ns, f.mirror.backend)
            if res.backend is None or res.reason in ("InvalidKind", "RefNotPermitted", "BackendNotFound"):
                if first_failure is None and res.reason:
                    first_failure = Condition("ResolvedRefs", "False", res.reason, res.message)
                notes.append(f"RequestMirror to {f.mirror.backend.name} is dropped: {res.message}")
                continue
            unmodelled.extend(res.unmodelled)
            mirrors.append((res.backend, f.mirror.fraction))
        error: tuple[int, str, str] | None = None
        if not rule.backend_refs:
            if not forwards_nothing_ok:
                error = (500, "no-backends", "the rule has no backendRefs and no filter that answers")
        elif total == 0:
            error = (500, "all-weights-zero", "every backendRef of the rule has weight 0")
            if len(rule.backend_refs) == 1:
                unmodelled.append("a single backendRef with weight 0: the API reference says it gets no traffic "
                                  "(modelled: 500), the traffic-splitting guide says it gets all of it")
        resolved = first_failure or Condition("ResolvedRefs", "True", "ResolvedRefs")
        return RuleAction(tuple(shares), error, tuple(mirrors), tuple(unmodelled), tuple(notes), resolved)
