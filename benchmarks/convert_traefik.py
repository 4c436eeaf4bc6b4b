"""Benchmark the Traefik translation: convert N routers' worth of Ingresses and IngressRoutes.

    .venv/bin/python benchmarks/convert_traefik.py [--routers 1000 5000] [--seed 1] [--verify]

The input is the one of benchmarks/simulate_traefik.py (about 60% of the routers from Traefik
Ingresses with router.* annotations, 40% from IngressRoutes with Header/Query/Method/`||`/`!`
matches, middleware chains and weighted TraefikServices, over 250 hosts), plus the Helm chart's
static configuration or, with --static, an entry point redirection web -> websecure. Prints, per
size, the translation time (the fastest of --rounds), objects written, findings, and with
--verify the equivalence check's time and result.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from pathlib import Path
from typing import Any

from ing2gw.options import Options
from ing2gw.translate import translate

HERE = Path(__file__).resolve().parent
REDIRECT: dict[str, Any] = {"entryPoints": {
    "web": {"address": ":80", "http": {"redirections": {"entryPoint": {"to": "websecure"}}}},
    "websecure": {"address": ":443", "http": {"tls": {}}}}}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("simulate_traefik_bench", HERE / "simulate_traefik.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--routers", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="translations per size; the fastest is shown")
    ap.add_argument("--static", action="store_true", help="with an entry point redirection (--traefik-static)")
    ap.add_argument("--verify", action="store_true", help="also run the equivalence check once per size")
    args = ap.parse_args()
    gen = _generator()
    options = Options(traefik_static=REDIRECT if args.static else None)
    for n in args.routers:
        manifests, _, _ = gen._config(n, random.Random(args.seed))
        n_ing = sum(1 for m in manifests if m.kind == "Ingress")
        n_ir = sum(1 for m in manifests if m.kind == "IngressRoute")
        best = float("inf")
        result = None
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            result = translate(manifests, options)
            best = min(best, time.perf_counter() - t0)
        assert result is not None
        objects = result.objects()
        routes = sum(1 for o in objects if o["kind"] == "HTTPRoute")
        print(f"{n} routers ({n_ing} Ingresses, {n_ir} IngressRoutes): convert {best:.2f} s "
              f"({n / best:,.0f} routers/s; fastest of {args.rounds}); {len(objects)} objects ({routes} HTTPRoutes), "
              f"{len(result.findings)} findings")
        if args.verify:
            from ing2gw.equivalence.verification import verify_translation

            t0 = time.perf_counter()
            v = verify_translation(result, manifests, options)
            took = time.perf_counter() - t0
            print(f"  verify {took:.2f} s: {v.probes} probes, {v.equivalent} equivalent, {v.explained} explained, "
                  f"{v.unexplained} unexplained, {v.unverified} unverified")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
