"""The backend objects of targets that reach hosts outside the cluster with their own resource
instead of an ExternalName Service (emit.targets.EXTERNAL_BACKEND).

One object per ExternalName Service and port that a route of the input sends to, in the
Service's namespace, named by `carry.external_backend_name` (the same name the route's backendRef
uses, emit/gateway.py): one host and one port, the ExternalName's DNS name and the port
ingress-nginx connected to, so the upstream is the same. Nothing else is set: no TLS (ingress-nginx
spoke plain HTTP to it unless backend-protocol said otherwise, which stays its own finding), no
health checks.

* Envoy Gateway: `Backend` (gateway.envoyproxy.io/v1alpha1) with one `fqdn` endpoint
  (docs: https://gateway.envoyproxy.io/docs/tasks/traffic/backend/; accepted only with the
  Backend API enabled, ING2GW-TARGET-073).
* kgateway: `Backend` (gateway.kgateway.dev/v1alpha1) of type `Static` with one host
  (pkg/kgateway/extensions2/plugins/backend/static.go: a DNS name makes a DNS cluster).
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets import EXTERNAL_BACKEND
from ing2gw.emit.targets.carry import carries, external_backend_name


def _spec(target: str, host: str, port: int) -> dict[str, Any]:
    if target == "envoy-gateway":
        return {"endpoints": [{"fqdn": {"hostname": host, "port": port}}]}
    return {"type": "Static", "static": {"hosts": [{"host": host, "port": port}]}}


def backend_objects(routes: list[tuple[ir.Route, str]], target: str) -> list[dict[str, Any]]:
    """The Backend objects the routes' backendRefs name (sorted by namespace and name)."""
    group, kind = EXTERNAL_BACKEND[target]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for route, _ in routes:
        # every backendRef emit/gateway.py rewrites: the rules' (HTTP, gRPC) and a TLSRoute's
        uses = [(rule.source.key, b) for rule in route.rules for b in rule.backends]
        uses += [(route.source.key, b) for b in route.tls_backends]
        for source, b in uses:
            if b.external_name is None or b.namespace != route.namespace or not carries(
                    target, "external-backend", {"host": b.external_name, "port": str(b.port)}):
                continue
            name = external_backend_name(b.name, b.port)
            out.setdefault((b.namespace, name), {
                "apiVersion": f"{group}/v1alpha1", "kind": kind,
                "metadata": {"name": name, "namespace": b.namespace,
                             "annotations": {"ing2gw.io/source-ingress": source,
                                             "ing2gw.io/external-name-service": b.name}},
                "spec": _spec(target, b.external_name, b.port)})
    return [out[k] for k in sorted(out)]
