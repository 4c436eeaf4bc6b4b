"""kgateway: the Gateway's controller-wide settings in one ListenerPolicy.

A ListenerPolicy (gateway.kgateway.dev/v1alpha1) targets Gateways only and sets their
listeners' Envoy settings (`default`, or per port); ing2gw writes one per Gateway,
`<gateway>-listeners`, built from its controller-wide intents.

client-ip: `default.httpSettings.xffTrustedCIDRs` (with `useRemoteAddress: false`, which the CRD
requires with it) configures Envoy's XFF original-IP detection with trusted CIDRs (the CRD's
field documentation names XffConfig.xff_trusted_cidrs): the connection's address unless the peer
is trusted, then the rightmost X-Forwarded-For entry outside the ranges, the leftmost when all are
trusted, as nginx's `real_ip_recursive on` with `set_real_ip_from` (see envoy_gateway_listener).
The PROXY protocol: `default.proxyProtocol` makes the PROXY header's address the connection's
(kgateway docs `about/policies/listenerpolicy`), as nginx when the load balancer is trusted.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets.client_ip import carried, policy_metadata, written
from ing2gw.findings import Finding

API_VERSION = "gateway.kgateway.dev/v1alpha1"


def listener_defaults(params: dict[str, str]) -> dict[str, Any]:
    """ListenerPolicy.spec.default for a Gateway's client-ip parameters."""
    if params.get("source") == "proxy-protocol":
        return {"proxyProtocol": {}}
    trusted = [c for c in params.get("trusted", "").split(",") if c]
    return {"httpSettings": {"useRemoteAddress": False, "xffTrustedCIDRs": trusted}}


def emit_gateway_policies(places: list[tuple[ir.Gateway, list[dict[str, Any]]]],
                          objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """One ListenerPolicy per IR Gateway, targeting each Gateway object it became."""
    out: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    findings: list[Finding] = []
    for g, intents, params, gateways in carried("kgateway", places, findings):
        names = [o["metadata"]["name"] for o in gateways]
        name = f"{names[0]}-listeners"
        default = listener_defaults(params)
        out.append({"apiVersion": API_VERSION, "kind": "ListenerPolicy",
                    "metadata": policy_metadata(g, name, intents),
                    "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": n}
                                            for n in names], "default": default}})
        consumed.update(intents)
        how = ("proxyProtocol: the PROXY header's address is the client's" if "proxyProtocol" in default
               else f"httpSettings.xffTrustedCIDRs {params.get('trusted')} (useRemoteAddress false): the rightmost "
                    "X-Forwarded-For entry outside the ranges when the peer is inside them (as nginx's "
                    "real_ip_recursive)")
        findings.append(written(
            intents, f"kgateway: ListenerPolicy {g.namespace}/{name} on Gateway(s) {', '.join(names)} derives the "
                     f"client address as ingress-nginx did: {how}",
            "make sure only the load balancer can reach the Gateway's pods from the trusted ranges"
            if "httpSettings" in default
            else "make sure the load balancer in front sends the PROXY protocol to the Gateway's Service"))
    return out, consumed, findings
