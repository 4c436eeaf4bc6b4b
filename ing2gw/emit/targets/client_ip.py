"""The `client-ip` intent across targets: how the Gateway must derive the client address.

A controller-wide setting (ingress-nginx's realip module, from its ConfigMap) arrives as an
intent on the IR Gateway of that controller's class (`ir.Gateway.intents`, parameters `source`,
`header`, `trusted`, `recursive`, `class`; `providers/ingress_nginx/globals.client_ip_params`).
A target's gateway emitter (`emit.targets.GATEWAY_EMITTERS`) writes it; what no emitter
consumed is reported here, naming what the user must configure by hand on that target.
"""

from __future__ import annotations

from typing import Any, Iterator

from ing2gw import ir
from ing2gw.findings import Finding, Severity

#: what to configure by hand where ing2gw writes nothing, by target (the table rows' facts)
HAND: dict[str, str] = {
    "traefik": ("set the entry point's static configuration: entryPoints.<name>.forwardedHeaders.trustedIPs "
                "(the trusted ranges) for X-Forwarded-For, or entryPoints.<name>.proxyProtocol.trustedIPs for the "
                "PROXY protocol, and an ipStrategy (excludedIPs: the trusted ranges) on each IPAllowList Middleware; "
                "static configuration is not a Kubernetes object, so ing2gw cannot write it"),
    "istio": ("set numTrustedProxies (or gatewayTopology.proxyProtocol) in the proxy.istio.io/config annotation of "
              "the Gateway: Istio counts trusted hops from the right of X-Forwarded-For, where nginx skips every "
              "trusted address (real_ip_recursive), so only a fixed number of proxies in front is reproduced"),
    "kgateway": ("set xffNumTrustedHops on an HTTPListenerPolicy of the Gateway: kgateway counts trusted hops from "
                 "the right of X-Forwarded-For, where nginx skips every trusted address (real_ip_recursive)"),
    "nginx-gateway-fabric": ("set rewriteClientIP (mode, setIPRecursively, trustedAddresses) in the NginxProxy the "
                             "GatewayClass or Gateway references"),
    "gke": ("nothing on the Gateway: the Google load balancer is the edge and Cloud Armor sees the address that "
            "connects to it; a proxy or CDN in front of it must be allowed itself (or Cloud Armor rules written on "
            "origin.user_ip by hand)"),
    "aws": ("nothing on the Gateway: the load balancer is the edge and its source-ip conditions and security groups "
            "see the address that connects to it; a proxy or CDN in front of it must be allowed itself"),
    "envoy-gateway": ("write a ClientTrafficPolicy on the Gateway with clientIPDetection (xForwardedFor.trustedCIDRs, "
                      "or customHeader) or proxyProtocol"),
}

#: targets whose load balancer is the client-facing edge (no proxy of the user's in front of it)
EDGE_TARGETS = frozenset({"gke", "aws"})


def params_of(intent: ir.Intent) -> dict[str, str]:
    """The intent's parameters without the class they came from."""
    return {k: v for k, v in intent.params if k != "class"}


def agreed(g: ir.Gateway) -> tuple[list[ir.Intent], dict[str, str] | None, Finding | None]:
    """The Gateway's client-ip intents and the one derivation they agree on, or the error finding
    (ING2GW-TARGET-054) when its classes derive the address differently: one listener setting
    cannot serve two derivations, and ing2gw does not pick one."""
    mine = [i for i in g.intents if i.kind == "client-ip"]
    if not mine:
        return [], None, None
    shapes = {tuple(sorted(params_of(i).items())) for i in mine}
    classes = {dict(i.params).get("class", "") for i in mine}
    without = sorted(set(g.ingress_classes) - classes)
    if len(shapes) == 1 and not without:
        return mine, dict(next(iter(shapes))), None
    first = min(mine, key=lambda i: i.source.key)
    why = (f"IngressClass(es) {', '.join(without)} use the connection's address" if without
           else f"{len(shapes)} different settings")
    return mine, None, Finding(
        Severity.ERROR, "ING2GW-TARGET-054",
        f"Gateway {g.namespace}/{g.name} serves IngressClasses that derive the client address differently ({why}); "
        "a Gateway has one client-IP setting for all its listeners, so none is written",
        origin=first.source.origin, subject=f"Gateway {g.namespace}/{g.name}", security=True,
        suggestion="give each IngressClass its own Gateway (leave out --single-gateway), or align the controllers' "
                   "ConfigMaps", details=(("classes", ",".join(sorted(g.ingress_classes))),))


def carried(target: str, places: list[tuple[ir.Gateway, list[dict[str, Any]]]],
            findings: list[Finding]) -> Iterator[tuple[ir.Gateway, list[ir.Intent], dict[str, str], list[dict[str, Any]]]]:
    """(IR Gateway, its client-ip intents, the parameters they agree on, the Gateway objects it
    became sorted by name) for each Gateway whose setting `target` carries; the error of a Gateway
    whose classes disagree goes to `findings`."""
    from ing2gw.emit.targets.carry import carries

    for g, objs in places:
        intents, params, problem = agreed(g)
        if problem is not None:
            findings.append(problem)
            continue
        if params is None or not carries(target, "client-ip", params):
            continue
        gateways = sorted((o for o in objs if o.get("kind") == "Gateway"), key=lambda o: str(o["metadata"]["name"]))
        if gateways:
            yield g, intents, params, gateways


def policy_metadata(g: ir.Gateway, name: str, intents: list[ir.Intent]) -> dict[str, Any]:
    """The metadata of the one object a target writes for a Gateway's client-ip setting."""
    return {"name": name, "namespace": g.namespace, "annotations": {"ing2gw.io/source-configmap": intents[0].source.name}}


def written(intents: list[ir.Intent], message: str, suggestion: str) -> Finding:
    """ING2GW-TARGET-055: the target's object derives the client address as ingress-nginx did."""
    first = min(intents, key=lambda i: i.source.key)
    return Finding(Severity.INFO, "ING2GW-TARGET-055", message, origin=first.source.origin,
                   subject=f"ConfigMap {first.source.name}", value=first.value, security=True, suggestion=suggestion)


def not_carried(target: str, intent: ir.Intent, g: ir.Gateway, objs: list[dict[str, Any]]) -> Finding:
    """ING2GW-TARGET-053 (or -056 on a target whose load balancer is the edge): the Gateway takes
    the client address from the connection while nginx took it from `header` or the PROXY
    protocol. Its prediction covers the probes that carry the forwarded header."""
    from ing2gw.emit.targets.carry import verdict

    p = params_of(intent)
    names = ", ".join(f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in objs if o.get("kind") == "Gateway")
    v = verdict(target, "client-ip", p)
    how = "the PROXY protocol header" if p.get("source") == "proxy-protocol" else f"{p.get('header')} (recursively)"
    edge = target in EDGE_TARGETS
    code = "ING2GW-TARGET-056" if edge else "ING2GW-TARGET-053"
    msg = (f"{target}: ingress-nginx took the client address from {how} when the peer is in {p.get('trusted') or '-'}; "
           f"Gateway {names or g.name} " + ("is the edge: its checks see the address that connects to the load balancer"
                                            if edge else "uses the connection's address")
           + (f" ({v.why_not})" if v.why_not and not v.why_not.startswith("ing2gw does not write") else ""))
    return Finding(Severity.WARNING, code, msg, origin=intent.source.origin,
                   subject=f"ConfigMap {intent.source.name}", value=intent.value, security=True,
                   suggestion=HAND.get(target, "configure the Gateway's client-IP detection by hand"),
                   details=(("class", dict(intent.params).get("class", "")), ("headers", p.get("header", ""))))
