"""Benchmark the Traefik router: 1,000 routers, then decisions per second.

    .venv/bin/python benchmarks/simulate_traefik.py [--routers 1000] [--requests 50000] [--seed 1]

About 60% of the routers come from Ingresses (1-3 paths each, Prefix, Exact and
ImplementationSpecific paths, some with router.middlewares, router.tls, router.priority or
router.pathmatcher annotations) and 40% from IngressRoutes (Host and PathPrefix rules, some with
Header, Query, Method, `||` and `!`, explicit priorities, middleware chains of stripPrefix,
headers and redirectScheme, and weighted TraefikServices), spread over 250 hosts (exact and
wildcard) and host-less rules. Requests mix hits, misses, unknown hosts, http and https, with
headers and queries some rules match on. Prints build time and decisions per second (wall
clock, and per second of CPU time, steadier on a busy machine; the fastest of --rounds runs over
the same requests, the first of which also fills the per-target caches); the target is 20,000/s.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.request import ClusterContext, Request
from ing2gw.simulate.traefik import TraefikRouter

A = "traefik.ingress.kubernetes.io/"


def _middlewares(namespaces: list[str]) -> list[dict[str, Any]]:
    objs = []
    for ns in namespaces:
        for name, spec in (("strip", {"stripPrefix": {"prefixes": ["/api", "/v1"]}}),
                           ("hdrs", {"headers": {"customRequestHeaders": {"X-Env": "prod"},
                                                 "customResponseHeaders": {"X-Frame-Options": "DENY"}}}),
                           ("https", {"redirectScheme": {"scheme": "https", "permanent": True}}),
                           ("chain", {"chain": {"middlewares": [{"name": "strip"}, {"name": "hdrs"}]}})):
            objs.append({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
                         "metadata": {"name": name, "namespace": ns}, "spec": spec})
        objs.append({"apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService",
                     "metadata": {"name": "split", "namespace": ns},
                     "spec": {"weighted": {"services": [{"name": "svc1", "port": 80, "weight": 3},
                                                        {"name": "svc2", "port": 80, "weight": 1}]}}})
    return objs


def _config(n: int, rng: random.Random) -> tuple[list[Manifest], list[str], list[tuple[str, str]]]:
    hosts = [f"app{i}.example.com" for i in range(220)] + [f"*.w{i}.example.org" for i in range(30)]
    segs = ["api", "v1", "v2", "users", "orders", "cart", "static", "admin", "search", "items"]
    namespaces = [f"team{i}" for i in range(20)]
    objs: list[dict[str, Any]] = _middlewares(namespaces)
    served: list[tuple[str, str]] = []
    routers = 0
    i = 0
    while routers < n:
        i += 1
        ns = namespaces[i % len(namespaces)]
        host = rng.choice(hosts) if rng.random() < 0.95 else ""
        if rng.random() < 0.6:
            anns: dict[str, str] = {}
            pick = rng.random()
            if pick < 0.1:
                anns[A + "router.middlewares"] = f"{ns}-chain@kubernetescrd"
            elif pick < 0.15:
                anns[A + "router.tls"] = "true"
            elif pick < 0.18:
                anns[A + "router.priority"] = str(rng.randint(1, 200))
            elif pick < 0.2:
                anns[A + "router.pathmatcher"] = "Path"
            paths = []
            seen: set[str] = set()
            for _ in range(rng.randint(1, 3)):
                path = "/" + "/".join(rng.sample(segs, rng.randint(1, 3))) + f"/i{i}"
                if path in seen:  # the same path twice in one Ingress is one router
                    continue
                seen.add(path)
                paths.append({"path": path, "pathType": rng.choice(["Prefix", "Prefix", "Exact", "ImplementationSpecific"]),
                              "backend": {"service": {"name": f"svc{rng.randint(0, 400)}", "port": {"number": 80}}}})
                served.append((host.replace("*", "x") or "unknown.example.net", path))
            rule: dict[str, Any] = {"http": {"paths": paths}}
            if host:
                rule["host"] = host
            spec: dict[str, Any] = {"ingressClassName": "traefik", "rules": [rule]}
            if host and rng.random() < 0.2:
                spec["tls"] = [{"hosts": [host], "secretName": f"cert-{i}"}]
            objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                         "metadata": {"name": f"ing{i}", "namespace": ns, "annotations": anns}, "spec": spec})
            routers += len(paths)
            continue
        routes = []
        seen_r: set[str] = set()
        for _ in range(rng.randint(1, 3)):
            path = "/" + "/".join(rng.sample(segs, rng.randint(1, 2))) + f"/r{i}"
            if path in seen_r:  # the same match twice is one router
                continue
            seen_r.add(path)
            parts = [f"Host(`{host}`)"] if host else []
            parts.append(f"PathPrefix(`{path}`)")
            extra = rng.random()
            if extra < 0.1:
                parts.append("(Header(`X-Canary`, `1`) || Query(`canary`, `true`))")
            elif extra < 0.15:
                parts.append("!Method(`DELETE`)")
            route: dict[str, Any] = {"match": " && ".join(parts), "kind": "Rule",
                                     "services": [{"name": f"svc{rng.randint(0, 400)}", "port": 80}]}
            if rng.random() < 0.1:
                route["services"] = [{"name": "split", "kind": "TraefikService"}]
            if rng.random() < 0.2:
                route["middlewares"] = [{"name": rng.choice(["strip", "hdrs", "chain", "https"])}]
            if rng.random() < 0.05:
                route["priority"] = rng.randint(1, 100)
            routes.append(route)
            served.append((host.replace("*", "x") or "unknown.example.net", path))
        ir: dict[str, Any] = {"routes": routes}
        if rng.random() < 0.2:
            ir["tls"] = {"secretName": f"cert-ir{i}"}
        objs.append({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
                     "metadata": {"name": f"ir{i}", "namespace": ns}, "spec": ir})
        routers += len(routes)
    manifests = [Manifest(o, Origin("bench.yaml", k + 1, k)) for k, o in enumerate(objs)]
    return manifests, [h.replace("*", "x") for h in hosts], served


def _requests(n: int, hosts: list[str], served: list[tuple[str, str]], rng: random.Random) -> list[Request]:
    out = []
    for _ in range(n):
        scheme = "https" if rng.random() < 0.3 else "http"
        if rng.random() < 0.7:
            host, path = rng.choice(served)
            target = path + rng.choice(["", "/", "/x", "/1/2", "?q=1", "?canary=true"])
        else:
            host = rng.choice(hosts + ["unknown.example.net", "10.0.0.1"])
            target = rng.choice(["/", "/api/v1", "/static/app.js", "//a/../b", "/%61pi/x"])
        headers = (("X-Canary", "1"),) if rng.random() < 0.1 else ()
        out.append(Request(scheme=scheme, host=host, port=443 if scheme == "https" else 80, target=target,
                           headers=headers, sni=host if scheme == "https" else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--routers", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="runs over the requests; the fastest is shown")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    manifests, hosts, served = _config(args.routers, rng)
    t0 = time.perf_counter()
    router = TraefikRouter(manifests, ClusterContext())
    build = time.perf_counter() - t0
    reqs = _requests(args.requests, hosts, served, rng)
    statuses: dict[int, int] = {}
    elapsed = cpu = float("inf")
    for _ in range(args.rounds):
        statuses = {}
        t0, c0 = time.perf_counter(), time.process_time()
        for r in reqs:
            a = router.route(r)
            statuses[a.status] = statuses.get(a.status, 0) + 1
        elapsed, cpu = min(elapsed, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    usable = sum(1 for st in router.states.values() if st.usable)
    n_ing = sum(1 for m in manifests if m.kind == "Ingress")
    n_ir = sum(1 for m in manifests if m.kind == "IngressRoute")
    print(f"{len(router.states)} routers ({usable} usable) from {n_ing} Ingresses and {n_ir} IngressRoutes; "
          f"build {build * 1000:.0f} ms")
    print(f"{len(reqs)} requests in {elapsed:.2f} s (fastest of {args.rounds}): {len(reqs) / elapsed:,.0f} "
          f"decisions/s ({len(reqs) / cpu:,.0f}/s of CPU time)")
    print("statuses:", dict(sorted(statuses.items())))


if __name__ == "__main__":
    main()
