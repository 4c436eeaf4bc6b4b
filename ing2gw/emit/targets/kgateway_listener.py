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
    _listener_tls(places, objects, consumed, findings)
    return out, consumed, findings


#: kgateway's listener tls.options keys (pkg/apiclient: MinTLSVersion, MaxTLSVersion, CipherSuites;
#: versions "1.2", suites comma-separated IANA names)
MIN_KEY, MAX_KEY, SUITES_KEY = "kgateway.dev/min-tls-version", "kgateway.dev/max-tls-version", "kgateway.dev/cipher-suites"


def _listener_tls(places: list[tuple[ir.Gateway, list[dict[str, Any]]]], objects: list[dict[str, Any]],
                  consumed: set[ir.Intent], findings: list[Finding]) -> None:
    """The ConfigMap's ssl-protocols / ssl-ciphers (`listener-tls` on the Gateway) as the tls.options
    of every terminating HTTPS listener of the Gateway objects it became. Not written when some of
    the Gateway's hosts are served by ListenerSets (their listeners' options are not written) or
    when its classes disagree (TARGET-083)."""
    from ing2gw.emit.targets.carry import carries
    from ing2gw.emit.targets.listener_tls import (dropped_finding, envoy_tls, gateway_settings, not_carried,
                                                  written_finding)

    for g, objs in places:
        mine, hosts, params = gateway_settings(g)
        if not mine:
            continue
        gateways = sorted((o for o in objs if o.get("kind") == "Gateway"), key=lambda o: str(o["metadata"]["name"]))
        names = {o["metadata"]["name"] for o in gateways}
        sets = [o for o in objects if o.get("kind") == "ListenerSet"
                and (o.get("spec", {}).get("parentRef") or {}).get("name") in names]
        why = ("the Gateway serves IngressClasses with different TLS settings" if params is None
               else "some hosts' listeners are in ListenerSets, whose options ing2gw does not write" if sets else "")
        if why or params is None:
            findings += [not_carried("kgateway", i, hosts, why) for i in mine]
            consumed.update(mine)
            continue
        if not gateways or not carries("kgateway", "listener-tls", params):
            continue  # reported by emit (not consumed)
        tls = envoy_tls(params)
        options = {}
        if "minVersion" in tls:
            options[MIN_KEY], options[MAX_KEY] = tls["minVersion"], tls["maxVersion"]
        if params.get("iana"):
            options[SUITES_KEY] = params["iana"]
        written_on = []
        for gw in gateways:
            for li in gw["spec"].get("listeners", []):
                if li.get("protocol") == "HTTPS" and (li.get("tls") or {}).get("mode", "Terminate") == "Terminate":
                    li["tls"].setdefault("options", {}).update(options)
                    written_on.append(f"{gw['metadata']['name']}/{li['name']}")
        consumed.update(mine)
        first = min(mine, key=lambda i: i.source.key)
        where = f"kgateway: the tls.options of the HTTPS listeners {', '.join(written_on) or '(none)'}"
        findings.append(written_finding(first, where, tls, hosts))
        dropped = dropped_finding(first, where, hosts)
        if dropped is not None:
            findings.append(dropped)
