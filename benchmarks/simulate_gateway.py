"""Benchmark the Gateway API router: 1,000 HTTPRoutes, then decisions per second.

    .venv/bin/python benchmarks/simulate_gateway.py [--routes 1000] [--requests 50000] [--seed 1]

The configuration has one Gateway (HTTP on 80, HTTPS on 443 with exact and wildcard listeners),
routes spread over 250 hostnames (exact, wildcard and none), and rules with Exact, PathPrefix
and RegularExpression paths, header, query and method matches, and filters (redirects, rewrites,
header modifiers, weighted backends). Requests mix hits and misses. Prints build time and
decisions per second (the target on a 2-core machine is at least 20,000/s).

`--policies` makes the Gateway an Envoy Gateway one and gives every other route a
SecurityPolicy (client CIDR authorization) and the Gateway a BackendTrafficPolicy (request
buffer), and the requests client addresses: the cost of implementation policies.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from typing import Any

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request

GW = "gateway.networking.k8s.io/v1"


def _config(n_routes: int, rng: random.Random) -> tuple[list[Manifest], list[str], list[tuple[str, str]]]:
    hosts = [f"app{i}.example.com" for i in range(200)] + [f"svc{i}.internal.org" for i in range(50)]
    listeners: list[dict[str, Any]] = [
        {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
        {"name": "https-wild", "port": 443, "protocol": "HTTPS", "hostname": "*.example.com",
         "tls": {"certificateRefs": [{"name": "wild"}]}, "allowedRoutes": {"namespaces": {"from": "All"}}},
    ]
    for i in range(10):
        listeners.append({"name": f"https-{i}", "port": 443, "protocol": "HTTPS", "hostname": hosts[i],
                          "tls": {"certificateRefs": [{"name": f"c{i}"}]}, "allowedRoutes": {"namespaces": {"from": "All"}}})
    objs: list[dict[str, Any]] = [{"apiVersion": GW, "kind": "Gateway", "metadata": {"name": "gw", "namespace": "infra"},
                                   "spec": {"gatewayClassName": "bench", "listeners": listeners}}]
    paths: list[tuple[str, str]] = []   # (host, path) pairs some rule serves
    segs = ["api", "v1", "v2", "users", "orders", "cart", "static", "admin", "search", "items"]
    for r in range(n_routes):
        ns = f"team{r % 20}"
        host_pick = rng.random()
        hostnames = ([rng.choice(hosts)] if host_pick < 0.8 else
                     ["*.example.com"] if host_pick < 0.9 else [])
        rules = []
        for k in range(rng.randint(2, 4)):
            path = "/" + "/".join(rng.sample(segs, rng.randint(1, 3))) + f"/r{r}"
            paths.append((hostnames[0].replace("*", "any") if hostnames else rng.choice(hosts), path))
            kind = rng.random()
            match: dict[str, Any]
            if kind < 0.3:
                match = {"path": {"type": "Exact", "value": path}}
            elif kind < 0.9:
                match = {"path": {"type": "PathPrefix", "value": path}}
            else:
                match = {"path": {"type": "RegularExpression", "value": path + "/[0-9]+"}}
            if rng.random() < 0.3:
                match["headers"] = [{"name": "x-version", "value": rng.choice(["1", "2"])}]
            if rng.random() < 0.2:
                match["queryParams"] = [{"name": "debug", "value": "1"}]
            if rng.random() < 0.2:
                match["method"] = rng.choice(["GET", "POST"])
            rule: dict[str, Any] = {"matches": [match]}
            f = rng.random()
            if f < 0.1:
                rule["filters"] = [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]
            else:
                rule["backendRefs"] = [{"name": f"svc-{r}-{k}", "port": 8080, "weight": 90},
                                       {"name": f"svc-{r}-{k}-canary", "port": 8080, "weight": 10}]
                if f < 0.3 and match["path"]["type"] == "PathPrefix":
                    rule["filters"] = [{"type": "URLRewrite", "urlRewrite": {
                        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
                elif f < 0.5:
                    rule["filters"] = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {
                        "set": [{"name": "x-route", "value": str(r)}], "remove": ["cookie"]}}]
            rules.append(rule)
        spec: dict[str, Any] = {"parentRefs": [{"name": "gw", "namespace": "infra"}], "rules": rules}
        if hostnames:
            spec["hostnames"] = hostnames
        objs.append({"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": f"route-{r}", "namespace": ns},
                     "spec": spec})
    return [Manifest(o, Origin("bench.yaml", i + 1)) for i, o in enumerate(objs)], hosts, paths


def _policies(n_routes: int) -> list[Manifest]:
    """An Envoy Gateway GatewayClass, a SecurityPolicy on every other route, a
    BackendTrafficPolicy on the Gateway."""
    eg = "gateway.envoyproxy.io/v1alpha1"
    objs: list[dict[str, Any]] = [
        {"apiVersion": GW, "kind": "GatewayClass", "metadata": {"name": "bench"},
         "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}},
        {"apiVersion": eg, "kind": "BackendTrafficPolicy", "metadata": {"name": "gw", "namespace": "infra"},
         "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}],
                  "requestBuffer": {"limit": "1Mi"}}}]
    for r in range(0, n_routes, 2):
        objs.append({"apiVersion": eg, "kind": "SecurityPolicy",
                     "metadata": {"name": f"route-{r}", "namespace": f"team{r % 20}"},
                     "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                              "name": f"route-{r}"}],
                              "authorization": {"defaultAction": "Deny", "rules": [
                                  {"action": "Allow", "principal": {"clientCIDRs": ["10.0.0.0/8"]}}]}}})
    return [Manifest(o, Origin("policies.yaml", i + 1)) for i, o in enumerate(objs)]


def _requests(n: int, hosts: list[str], paths: list[tuple[str, str]], rng: random.Random) -> list[Request]:
    out = []
    for _ in range(n):
        scheme = "https" if rng.random() < 0.3 else "http"
        host, path = rng.choice(paths)
        if rng.random() < 0.1:
            host = rng.choice(hosts) if rng.random() < 0.5 else f"unknown{rng.randint(0, 9)}.example.com"
        roll = rng.random()
        if roll < 0.3:
            path += f"/{rng.randint(1, 999)}"
        elif roll < 0.4:
            path = path[:-1]               # a near miss
        if rng.random() < 0.2:
            path += "?debug=1"
        headers: list[tuple[str, str]] = [("User-Agent", "bench"), ("Cookie", "a=b")]
        if rng.random() < 0.5:
            headers.append(("X-Version", rng.choice(["1", "2"])))
        out.append(Request.from_url(rng.choice(["GET", "GET", "POST"]), f"{scheme}://{host}{path}", headers))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--routes", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policies", action="store_true", help="Envoy Gateway policies and client addresses")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    manifests, hosts, paths = _config(args.routes, rng)
    if args.policies:
        manifests += _policies(args.routes)
    t0 = time.perf_counter()
    router = GatewayRouter(manifests)
    build = time.perf_counter() - t0
    requests = _requests(args.requests, hosts, paths, rng)
    if args.policies:
        requests = [replace(r, client_ip=rng.choice(["10.1.2.3", "192.0.2.9"])) for r in requests]
    statuses: dict[int, int] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for r in requests:
        a = router.route(r)
        statuses[a.status] = statuses.get(a.status, 0) + 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"routes: {args.routes}  objects: {len(manifests)}  build: {build * 1000:.0f} ms")
    print(f"requests: {len(requests)}  statuses: {dict(sorted(statuses.items()))}")
    # CPU time is the fair figure when other processes share the cores; wall time is shown too
    print(f"decisions per second: {len(requests) / cpu:,.0f} per CPU second "
          f"({cpu / len(requests) * 1e6:.1f} µs each); wall clock {len(requests) / elapsed:,.0f}/s")


if __name__ == "__main__":
    main()
