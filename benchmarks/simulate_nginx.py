"""Benchmark the ingress-nginx router: 1,000 Ingresses, then decisions per second.

    .venv/bin/python benchmarks/simulate_nginx.py [--ingresses 1000] [--requests 50000] [--seed 1]

The configuration spreads 1,000 Ingresses (1-4 paths each) over 250 hosts (exact and wildcard)
and host-less rules, with Prefix, Exact and ImplementationSpecific paths; some hosts are
regex-enforced (use-regex / rewrite-target), some have TLS (ssl-redirect), some Services are
canaried by header or weight, some Ingresses carry redirect, app-root or upstream-vhost
annotations. Requests mix hits, misses, unknown hosts, http and https. Prints build time and
decisions per second (wall clock, and per second of CPU time, steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate.nginx import NginxRouter
from ing2gw.simulate.request import ClusterContext, Request

P = "nginx.ingress.kubernetes.io/"


def _config(n: int, rng: random.Random) -> tuple[list[Manifest], list[str], list[tuple[str, str]]]:
    hosts = [f"app{i}.example.com" for i in range(220)] + [f"*.w{i}.example.org" for i in range(30)]
    segs = ["api", "v1", "v2", "users", "orders", "cart", "static", "admin", "search", "items"]
    objs: list[dict[str, Any]] = []
    served: list[tuple[str, str]] = []
    for i in range(n):
        ns = f"team{i % 20}"
        host = rng.choice(hosts) if rng.random() < 0.95 else ""
        anns: dict[str, str] = {}
        pick = rng.random()
        if pick < 0.05:
            anns[P + "use-regex"] = "true"
        elif pick < 0.08:
            anns[P + "rewrite-target"] = "/$1"
        elif pick < 0.10:
            anns[P + "permanent-redirect"] = "https://moved.example.com/x"
        elif pick < 0.12:
            anns[P + "upstream-vhost"] = "inner.local"
        elif pick < 0.13:
            anns[P + "app-root"] = "/home"
        paths = []
        for k in range(rng.randint(1, 4)):
            path = "/" + "/".join(rng.sample(segs, rng.randint(1, 3))) + f"/i{i}"
            if P + "rewrite-target" in anns:
                path += "/(.*)"
            pt = rng.choice(["Prefix", "Prefix", "Exact", "ImplementationSpecific"])
            svc = f"svc{rng.randint(0, 400)}"
            paths.append({"path": path, "pathType": pt,
                          "backend": {"service": {"name": svc, "port": {"number": 80}}}})
            served.append((host.replace("*", "x") or "unknown.example.net", path.replace("/(.*)", "/z")))
        rule: dict[str, Any] = {"http": {"paths": paths}}
        if host:
            rule["host"] = host
        spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": [rule]}
        if host and rng.random() < 0.2:
            spec["tls"] = [{"hosts": [host], "secretName": f"cert-{i}"}]
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": {"name": f"ing{i}", "namespace": ns, "annotations": anns,
                                  "creationTimestamp": f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"},
                     "spec": spec})
        if rng.random() < 0.05 and host:
            canary = {P + "canary": "true"}
            canary.update({P + "canary-by-header": "X-Canary"} if rng.random() < 0.5 else {P + "canary-weight": "20"})
            objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                         "metadata": {"name": f"ing{i}-canary", "namespace": ns, "annotations": canary,
                                      "creationTimestamp": "2026-01-02T00:00:00Z"},
                         "spec": {"ingressClassName": "nginx", "rules": [
                             {"host": host, "http": {"paths": [dict(paths[0], backend={"service": {
                                 "name": f"canary{i}", "port": {"number": 80}}})]}}]}})
    manifests = [Manifest(o, Origin("bench.yaml", k + 1, k)) for k, o in enumerate(objs)]
    return manifests, [h.replace("*", "x") for h in hosts], served


def _requests(n: int, hosts: list[str], served: list[tuple[str, str]], rng: random.Random) -> list[Request]:
    out = []
    for _ in range(n):
        scheme = "https" if rng.random() < 0.3 else "http"
        if rng.random() < 0.7:
            host, path = rng.choice(served)
            tail = rng.choice(["", "/", "/x", "/1/2", "?q=1"])
            target = path + tail
        else:
            host = rng.choice(hosts + ["unknown.example.net", "10.0.0.1"])
            target = rng.choice(["/", "/api/v1", "/static/app.js", "//a/../b", "/%61pi/x"])
        headers = (("X-Canary", "always"),) if rng.random() < 0.1 else ()
        out.append(Request(scheme=scheme, host=host, port=443 if scheme == "https" else 80, target=target,
                           headers=headers, sni=host if scheme == "https" else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ingresses", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    manifests, hosts, served = _config(args.ingresses, rng)
    t0 = time.perf_counter()
    router = NginxRouter(manifests, ClusterContext())
    build = time.perf_counter() - t0
    reqs = _requests(args.requests, hosts, served, rng)
    statuses: dict[int, int] = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for r in reqs:
        a = router.route(r)
        statuses[a.status] = statuses.get(a.status, 0) + 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_ing = sum(1 for m in manifests if m.kind == "Ingress")
    print(f"{n_ing} Ingresses, {len(router.config.servers)} servers, "
          f"{len(router.config.upstreams)} upstreams; build {build * 1000:.0f} ms")
    print(f"{len(reqs)} requests in {elapsed:.2f} s: {len(reqs) / elapsed:,.0f} decisions/s "
          f"({len(reqs) / cpu:,.0f}/s of CPU time)")
    print("statuses:", dict(sorted(statuses.items())))
    if router.config_errors:
        print(f"config errors: {len(router.config_errors)} (e.g. {router.config_errors[0]})")


if __name__ == "__main__":
    main()
