"""How ingress-nginx talks to backends: backend-protocol, proxy-ssl-*, ssl-passthrough (F9, G).

* HTTPS/GRPCS: TLS to the backend. ingress-nginx does not verify the backend's certificate
  unless proxy-ssl-verify is on; Gateway API reaches a backend over TLS only through a
  BackendTLSPolicy, which always verifies. With proxy-ssl-verify on we emit the policy (CA from
  proxy-ssl-secret, else the system CAs; hostname from proxy-ssl-name, else the Service's DNS
  name). Without verification, the `backend-tls` intent (intents.py) reaches a --target whose
  own policy speaks TLS without verifying (emit/targets/backend_tls.py); otherwise an error: the
  new configuration would speak plain HTTP to a TLS port, and the suggestion names what the
  target would need by hand (UNCARRIED).
* GRPC/GRPCS: a GRPCRoute when every path is `/` or a gRPC service prefix; otherwise the
  HTTPRoute stays and the Service port needs appProtocol kubernetes.io/h2c.
* ssl-passthrough: a TLS listener in Passthrough mode and a TLSRoute to the root location's
  backend (ingress-nginx passes the stream to the `/` location's upstream).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress, subdomain_problem
from ing2gw.providers.ingress import host_problem

#: target -> what TLS without verification takes there when ing2gw does not write it (the docs
#: of each are in the target's mapping row `backend-tls`)
UNCARRIED: dict[str, str] = {
    "envoy-gateway": "Envoy Gateway skips verification only in a Backend object (gateway.envoyproxy.io/v1alpha1, "
                     "tls.insecureSkipVerify) that the route names instead of the Service; the Backend API is off "
                     "unless EnvoyGateway enables it, and its endpoints are a host name or IPs, so Envoy would reach "
                     "the Service's cluster address instead of balancing over its Pods itself",
    "traefik": "Traefik skips verification in a ServersTransport (insecureSkipVerify) named by a TraefikService "
               "(weighted services with scheme https) that the route names instead of the Service",
    "gke": "GKE speaks TLS to a backend without verifying it when the Service port's appProtocol is HTTPS (or the "
           "Service's cloud.google.com/app-protocols annotation names the port HTTPS; HTTP2 for gRPC) and no "
           "BackendTLSPolicy targets it: set it on the Service, which ing2gw does not own",
    "nginx-gateway-fabric": "NGINX Gateway Fabric originates TLS to a backend only with a BackendTLSPolicy, which "
                            "verifies: give the backend a certificate it can check",
}

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx.state import BuildState, Loc, Server

_GRPC_SERVICE = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/?$")
_GRPC_METHOD = re.compile(r"^/([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/([A-Za-z_][A-Za-z0-9_]*)$")


def protocol(b: "BuildState", ing: Ingress) -> str:
    a = b.anns.get(ing.key)
    raw = a.backend_protocol if a is not None else None
    return (raw or "HTTP").strip().upper()


def check_backends(b: "BuildState", server: "Server") -> None:
    """BackendTLSPolicies and findings for every location's backend protocol."""
    prefix = b.ctx.options.annotations_prefix
    for loc in server.locs:
        if loc.owner is None or loc.backend is None or loc.ann is None:
            continue
        proto = protocol(b, loc.owner)
        if proto in ("HTTP", "GRPC"):
            continue
        if proto in ("AUTO_HTTP", "FCGI"):
            if (loc.owner.key, "proto") not in b.reported:
                b.reported.add((loc.owner.key, "proto"))
                b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-056",
                              f"backend-protocol {proto} has no Gateway API equivalent; the Gateway speaks HTTP to "
                              "the backend", ing=loc.owner, annotation=f"{prefix}/backend-protocol", value=proto)
            continue
        _backend_tls(b, loc, proto)


def _backend_tls(b: "BuildState", loc: "Loc", proto: str) -> None:
    assert loc.owner is not None and loc.backend is not None and loc.ann is not None
    prefix = b.ctx.options.annotations_prefix
    key = (loc.backend.namespace, loc.backend.name, loc.backend.port)
    if key in b.tls_backends:
        return
    b.tls_backends.add(key)
    ssl = loc.ann.proxy_ssl
    verify = ssl.verifies
    if not verify:
        from ing2gw.emit.targets.carry import verdict
        from ing2gw.providers.ingress_nginx.intents import intent_params

        target = b.ctx.options.target
        params = intent_params(loc.owner.annotations, prefix, loc.owner.namespace, "backend-tls") or {}
        v = verdict(target, "backend-tls", params)
        if v.carried:
            return  # the target's emitter writes the policy or says why not (every user of the Service must agree)
        suggestion = ("set proxy-ssl-verify: \"on\" with proxy-ssl-secret (CA) and proxy-ssl-name, or write a "
                      "BackendTLSPolicy by hand")
        if target and v.becomes:
            suggestion += f"; {target}: ing2gw cannot write its {v.becomes} for this: {v.why_not}"
        elif target in UNCARRIED:
            suggestion += f"; {target}: {UNCARRIED[target]}"
        b.ctx.finding(Severity.ERROR, "ING2GW-NGINX-052",
                      f"backend-protocol {proto}: ingress-nginx speaks TLS to Service {loc.backend.namespace}/"
                      f"{loc.backend.name}:{loc.backend.port} without verifying its certificate; Gateway API needs a "
                      "BackendTLSPolicy (which always verifies) to use TLS at all, so without one the Gateway would "
                      "speak plain HTTP to a TLS port", ing=loc.owner, annotation=f"{prefix}/backend-protocol",
                      value=proto, security=True,
                      suggestion=suggestion)
        return
    secret = ssl.secret
    ca = None
    if secret:
        ca = secret.rpartition("/")[2]
    hostname = (ssl.name or f"{loc.backend.name}.{loc.backend.namespace}.svc").lower()
    bad = []
    if host_problem(hostname) or hostname.startswith("*"):
        bad.append(f"proxy-ssl-name {hostname!r}")
    if ca is not None and subdomain_problem(ca):
        bad.append(f"proxy-ssl-secret {secret!r}")
    if bad:
        b.ctx.finding(Severity.ERROR, "ING2GW-NGINX-062",
                      f"{' and '.join(bad)} cannot be a BackendTLSPolicy field (a DNS host name, an object name): no "
                      f"BackendTLSPolicy is written for Service {loc.backend.namespace}/{loc.backend.name}", ing=loc.owner,
                      annotation=f"{prefix}/proxy-ssl-name" if "proxy-ssl-name" in bad[0] else f"{prefix}/proxy-ssl-secret",
                      value=hostname if "proxy-ssl-name" in bad[0] else secret, security=True,
                      suggestion="fix the annotation, or write the BackendTLSPolicy by hand")
        return
    b.ctx.out.backend_tls.append(ir.BackendTLS(loc.backend.namespace, loc.backend.name, loc.backend.port, hostname,
                                               ca, ca is None, ir.Source(loc.owner.namespace, loc.owner.name,
                                                                         loc.owner.origin)))
    b.ctx.finding(Severity.INFO, "ING2GW-NGINX-053",
                  f"BackendTLSPolicy for Service {loc.backend.namespace}/{loc.backend.name}: hostname {hostname}, CA "
                  + (f"from ConfigMap {ca} (create it from Secret {secret}'s ca.crt)" if ca else "the system roots"),
                  ing=loc.owner, annotation=f"{prefix}/proxy-ssl-verify", value="on")


def grpc_rules(b: "BuildState", ing: Ingress, rules: list[ir.Rule]) -> list[ir.Rule] | None:
    """The rules of a gRPC Ingress as GRPCRoute rules (service/method in header-free matches),
    or None when a path cannot be a gRPC match. Redirect rules never go to a GRPCRoute."""
    out = []
    for r in rules:
        if r.redirect is not None or r.rewrite is not None or r.cors is not None:
            return None
        matches = []
        for m in r.matches:
            if m.path is None or (m.path.type == "PathPrefix" and m.path.value == "/"):
                matches.append(ir.Match(headers=m.headers))
                continue
            sm = _GRPC_SERVICE.match(m.path.value) if m.path.type == "PathPrefix" else None
            mm = _GRPC_METHOD.match(m.path.value) if m.path.type == "Exact" else None
            if sm:
                matches.append(ir.Match(ir.PathMatch("Exact", f"/{sm.group(1)}/"), headers=m.headers))
            elif mm:
                matches.append(ir.Match(ir.PathMatch("Exact", f"/{mm.group(1)}/{mm.group(2)}"), headers=m.headers))
            else:
                return None
        out.append(replace(r, matches=tuple(matches)))
    return out


def passthrough_backend(b: "BuildState", server: "Server") -> tuple[Ingress, ir.ServiceBackend | None] | None:
    """The Ingress asking for ssl-passthrough on this server and the root location's backend."""
    for loc in server.locs:
        if loc.ann is not None and loc.ann.ssl_passthrough and loc.owner is not None:
            return loc.owner, server.root.backend
    return None
