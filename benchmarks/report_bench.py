"""Benchmark the migration report: 1,000 Ingresses, build the report and render every format.

    .venv/bin/python benchmarks/report_bench.py [--ingresses 1000] [--seed 1] [--repeat 3]

The input spreads 1,000 Ingresses (1-4 paths each, some named ports) over 300 hosts, a third
with TLS; about half carry annotations: rewrite-target, use-regex, redirects, app-root,
upstream-vhost, CORS, timeouts, allow-lists, snippets, body size, buffering, unknown keys.
Translation is timed separately; the goal is report building plus rendering (text, Markdown,
HTML, JSON) under one second for 1,000 Ingresses. Prints the best of --repeat runs, wall clock
and CPU time (steadier on a busy machine).
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from ing2gw.load import Manifest
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.report import build_report, render
from ing2gw.translate import translate

P = "nginx.ingress.kubernetes.io/"
ANNOTATIONS: list[tuple[str, str]] = [
    ("rewrite-target", "/$2"), ("use-regex", "true"), ("permanent-redirect", "https://moved.example.com/x?y=1"),
    ("app-root", "/home"), ("upstream-vhost", "inner.local"), ("enable-cors", "true"),
    ("proxy-read-timeout", "120"), ("whitelist-source-range", "10.0.0.0/8"),
    ("configuration-snippet", "more_set_headers 'X: y';"), ("proxy-body-size", "8m"), ("proxy-buffering", "on"),
    ("ssl-redirect", "false"), ("proxy-connect-timeout", "5"), ("server-snippet", "deny all;"),
    ("ssl-redirekt", "false"), ("x-forwarded-prefix", "/api"),
]


def corpus(n: int, rng: random.Random) -> list[Manifest]:
    hosts = [f"app{i}.example.com" for i in range(300)]
    tls_hosts = set(hosts[::3])
    segs = ["api", "v1", "v2", "users", "orders", "cart", "static", "admin", "search", "items"]
    objs: list[dict[str, Any]] = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                   "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}]
    for i in range(n):
        ns, host = f"team{i % 25}", rng.choice(hosts)
        anns = {P + k: v for k, v in rng.sample(ANNOTATIONS, rng.randint(1, 4))} if rng.random() < 0.5 else {}
        if any(k.endswith(("rewrite-target", "use-regex")) for k in anns):
            anns.pop(P + "permanent-redirect", None)
        paths = []
        for k in range(rng.randint(1, 4)):
            port: dict[str, Any] = {"name": "http"} if rng.random() < 0.1 else {"number": 80 + k}
            paths.append({"path": "/" + "/".join(rng.sample(segs, rng.randint(1, 2))) + f"/i{i}",
                          "pathType": rng.choice(["Prefix", "Exact", "ImplementationSpecific"]),
                          "backend": {"service": {"name": f"svc{i % 97}", "port": port}}})
        spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": paths}}]}
        if host in tls_hosts:
            spec["tls"] = [{"hosts": [host], "secretName": f"tls-{host}"}]
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": {"name": f"ing{i}", "namespace": ns, "annotations": anns,
                                  "creationTimestamp": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"},
                     "spec": spec})
    for t in range(25):
        for s in range(97):
            objs.append({"apiVersion": "v1", "kind": "Service",
                         "metadata": {"name": f"svc{s}", "namespace": f"team{t}"},
                         "spec": {"ports": [{"name": "http", "port": 8080}]}})
    return [Manifest(o, Origin("bench.yaml", i + 1, i)) for i, o in enumerate(objs)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ingresses", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    manifests = corpus(a.ingresses, random.Random(a.seed))
    t0 = time.perf_counter()
    result = translate(manifests, Options())
    t_translate = time.perf_counter() - t0
    best: dict[str, float] = {}
    cpu = float("inf")
    first = 0.0
    sizes: dict[str, int] = {}
    for _ in range(a.repeat):
        c0 = time.process_time()
        t = time.perf_counter()
        report = build_report(result, title="benchmark")
        timings = {"build": time.perf_counter() - t}
        for fmt in ("text", "markdown", "html", "json"):
            t = time.perf_counter()
            sizes[fmt] = len(render(report, fmt))
            timings[fmt] = time.perf_counter() - t
        timings["total"] = sum(timings.values())
        cpu = min(cpu, time.process_time() - c0)
        first = first or timings["total"]
        best = {k: min(v, best.get(k, v)) for k, v in timings.items()}
    rows = sum(len(i.annotations) for i in report.ingresses)
    changes = sum(len(i.lost.changes) for i in report.ingresses)
    print(f"{a.ingresses} Ingresses, {rows} annotation rows, {changes} lost-in-translation entries, "
          f"{len(result.findings)} findings")
    print(f"translate (not part of the goal): {t_translate:.3f}s")
    for k in ("build", "text", "markdown", "html", "json"):
        size = f"  ({sizes[k] / 1e6:.1f} MB)" if k in sizes else ""
        print(f"  {k:<9} {best[k]:.3f}s{size}")
    verdict = "under" if best["total"] < 1 else "OVER"
    print(f"report build + all renderers: {best['total']:.3f}s wall, {cpu:.3f}s CPU ({verdict} the 1 s goal; "
          f"best of {a.repeat}; the first run, compiling the templates, took {first:.3f}s)")


if __name__ == "__main__":
    main()
