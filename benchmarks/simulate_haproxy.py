"""Benchmark the HAProxy router: 1,000 Ingress paths, then decisions per second.

    .venv/bin/python benchmarks/simulate_haproxy.py [--paths 1000] [--requests 50000] [--seed 1]

The configuration spreads Ingresses of 1-4 paths (1,000 paths in all) over 250 hosts (exact and
one-label wildcards) and host-less rules, with Prefix, Exact and ImplementationSpecific paths;
some Ingresses have TLS (automatic ssl-redirect), request-set-header, path-rewrite, CORS,
allow-lists, rate limits, basic auth or request-redirect, some Services a route-acl canary
(cookie, header or rand()), and a ConfigMap sets a global response header. Requests mix hits,
misses, unknown hosts, http and https, with Origin, cookies and credentials now and then.
Prints build time and decisions per second (wall clock, and per second of CPU time, steadier
on a busy machine). The target (issue 21) is 20,000 decisions/s.
"""

from __future__ import annotations

import argparse
import base64
import random
import time
from typing import Any

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.haproxy import HAProxyRouter
from ing2gw.simulate.request import ClusterContext, Request

P = "haproxy.org/"
#: crypt(3) MD5 hash of "password" (HAProxy checks it per request, as the model does)
MD5_HASH = "$1$oGq7nTAf$rS1vV2Gu8dEGKhTvRKRoC/"


def _config(n_paths: int, rng: random.Random) -> tuple[list[Manifest], list[str], list[tuple[str, str]]]:
    hosts = [f"app{i}.example.com" for i in range(220)] + [f"*.w{i}.example.org" for i in range(30)]
    segs = ["api", "v1", "v2", "users", "orders", "cart", "static", "admin", "search", "items"]
    objs: list[dict[str, Any]] = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "haproxy"},
         "spec": {"controller": "haproxy.org/ingress-controller/haproxy"}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "haproxy-kubernetes-ingress", "namespace": "haproxy-controller"},
         "data": {"response-set-header": "X-Served-By haproxy"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "users", "namespace": "team0"},
         "type": "Opaque", "data": {"admin": base64.b64encode(MD5_HASH.encode()).decode()}},
    ]
    services: set[str] = set()
    served: list[tuple[str, str]] = []
    total, i = 0, 0
    while total < n_paths:
        ns = f"team{i % 20}"
        host = rng.choice(hosts) if rng.random() < 0.95 else ""
        anns: dict[str, str] = {}
        pick = rng.random()
        if pick < 0.05:
            anns[P + "request-set-header"] = "X-Team " + ns
        elif pick < 0.08:
            anns[P + "path-rewrite"] = "/api/(.*) /\\1"
        elif pick < 0.11:
            anns.update({P + "cors-enable": "true", P + "cors-allow-origin": "https://.*\\.example\\.com"})
        elif pick < 0.13:
            anns[P + "allow-list"] = "10.0.0.0/8, 192.168.0.0/16"
        elif pick < 0.15:
            anns.update({P + "rate-limit-requests": "100", P + "rate-limit-period": "1s"})
        elif pick < 0.16:
            anns.update({P + "auth-type": "basic-auth", P + "auth-secret": "team0/users"})
        elif pick < 0.17:
            anns[P + "request-redirect"] = "moved.example.com"
        paths = []
        for _ in range(min(rng.randint(1, 4), n_paths - total)):
            path = "/" + "/".join(rng.sample(segs, rng.randint(1, 3))) + f"/i{i}"
            pt = rng.choice(["Prefix", "Prefix", "Exact", "ImplementationSpecific"])
            svc = f"svc{rng.randint(0, 400)}"
            services.add(f"{ns}/{svc}")
            paths.append({"path": path, "pathType": pt, "backend": {"service": {"name": svc, "port": {"number": 80}}}})
            served.append((host.replace("*", "x") or "unknown.example.net", path))
            total += 1
        rule: dict[str, Any] = {"http": {"paths": paths}}
        if host:
            rule["host"] = host
        spec: dict[str, Any] = {"ingressClassName": "haproxy", "rules": [rule]}
        if host and rng.random() < 0.2:
            spec["tls"] = [{"hosts": [host], "secretName": f"cert-{i}"}]
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": {"name": f"ing{i}", "namespace": ns, "annotations": anns}, "spec": spec})
        i += 1
    for key in sorted(services):
        ns, name = key.split("/")
        anns = {}
        roll = rng.random()
        if roll < 0.02:
            anns[P + "route-acl"] = "cookie(canary) -m found"
        elif roll < 0.04:
            anns[P + "route-acl"] = "hdr(x-canary) -m str always"
        elif roll < 0.05:
            anns[P + "route-acl"] = "rand(100) lt 20"
        objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns,
                                                                           "annotations": anns},
                     "spec": {"ports": [{"name": "http", "port": 80}]}})
    manifests = [Manifest(o, Origin("bench.yaml", k + 1, k)) for k, o in enumerate(objs)]
    return manifests, [h.replace("*", "x") for h in hosts], served


def _requests(n: int, hosts: list[str], served: list[tuple[str, str]], rng: random.Random) -> list[Request]:
    out = []
    for _ in range(n):
        scheme = "https" if rng.random() < 0.3 else "http"
        if rng.random() < 0.7:
            host, path = rng.choice(served)
            target = path + rng.choice(["", "/", "/x", "/1/2", "?q=1", "x"])
        else:
            host = rng.choice(hosts + ["unknown.example.net", "a.b.w1.example.org"])
            target = rng.choice(["/", "/api/v1", "/static/app.js", "//a/../b", "/%61pi/x", "/healthz"])
        headers: list[tuple[str, str]] = []
        roll = rng.random()
        if roll < 0.1:
            headers.append(("Origin", "https://www.example.com"))
        elif roll < 0.15:
            headers.append(("Cookie", "canary=1"))
        elif roll < 0.2:
            headers.append(("X-Canary", "always"))
        elif roll < 0.22:
            headers.append(("Authorization", "Basic " + base64.b64encode(b"admin:password").decode()))
        out.append(Request(scheme=scheme, host=host if rng.random() > 0.05 else host.upper() + ":8080",
                           port=443 if scheme == "https" else 80, target=target, headers=tuple(headers),
                           sni=host if scheme == "https" else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    manifests, hosts, served = _config(args.paths, rng)
    t0 = time.perf_counter()
    router = HAProxyRouter(manifests, ClusterContext())
    build = time.perf_counter() - t0
    reqs = _requests(args.requests, hosts, served, rng)
    clients = [rng.choice(["10.1.2.3", "203.0.113.7"]) for _ in reqs]
    statuses: dict[int, int] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for r, ip in zip(reqs, clients):
        a = router.route(r, client_ip=ip, prior_requests=0)
        statuses[a.status] = statuses.get(a.status, 0) + 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    cfg = router.config
    n_ing = sum(1 for m in manifests if m.kind == "Ingress")
    rows = sum(len(cfg.maps[name].rows) for name in ("path-exact", "path-prefix-exact", "path-prefix"))
    print(f"{len(served)} paths in {n_ing} Ingresses: {rows} path-map rows, {len(cfg.backends)} backends, "
          f"{len(cfg.custom_routes)} route-acl rules; build {build * 1000:.0f} ms")
    print(f"{len(reqs)} requests in {elapsed:.2f} s: {len(reqs) / elapsed:,.0f} decisions/s "
          f"({len(reqs) / cpu:,.0f}/s of CPU time)")
    print("statuses:", dict(sorted(statuses.items())))
    if router.config_errors:
        print(f"config errors: {len(router.config_errors)} (e.g. {router.config_errors[0]})")


if __name__ == "__main__":
    main()
