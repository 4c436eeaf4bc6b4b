"""Deterministic benchmark corpus: N Ingresses across M namespaces and files.

Realistic shapes: hosts under a few domains, 1-4 paths per Ingress (Prefix mostly, some Exact
and ImplementationSpecific), TLS on ~80% of hosts, Services for named ports, and the common
ingress-nginx annotations in realistic proportions (ssl-redirect, proxy-body-size, rewrite,
timeouts, CORS, allow-lists; fewer force-ssl-redirect, cookie affinity, buffer sizes, snippets,
auth-url, app-root, permanent redirects), and canary Ingresses (by weight or header) beside ~3% of
the others. N counts the primary Ingresses; canaries come on top. Same arguments, same bytes.

    python benchmarks/corpus.py --ingresses 10000 --namespaces 200 --files 2000 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

DOMAINS = ["example.com", "shop.example.net", "internal.corp", "api.example.org", "apps.example.io"]
WORDS = ["api", "web", "shop", "cart", "auth", "static", "admin", "docs", "search", "media", "blog", "pay",
         "orders", "users", "catalog", "status", "metrics", "assets", "help", "news"]


def _ingress(i: int, ns: str, rng: random.Random, services: list[tuple[str, str]]) -> str:
    name = f"{rng.choice(WORDS)}-{i}"
    host = f"{rng.choice(WORDS)}-{i}.{rng.choice(DOMAINS)}"
    anns: dict[str, str] = {}
    r = rng.random()
    if r < 0.30:
        anns["nginx.ingress.kubernetes.io/proxy-body-size"] = rng.choice(["1m", "8m", "50m"])
    if rng.random() < 0.15:
        anns["nginx.ingress.kubernetes.io/ssl-redirect"] = "false"
    if rng.random() < 0.10:
        anns["nginx.ingress.kubernetes.io/proxy-read-timeout"] = str(rng.choice([30, 60, 300]))
    if rng.random() < 0.08:
        anns["nginx.ingress.kubernetes.io/enable-cors"] = "true"
    if rng.random() < 0.05:
        anns["nginx.ingress.kubernetes.io/whitelist-source-range"] = "10.0.0.0/8"
    rewrite = rng.random() < 0.10
    if rewrite:
        anns["nginx.ingress.kubernetes.io/rewrite-target"] = "/$2"
        anns["nginx.ingress.kubernetes.io/use-regex"] = "true"
    if rng.random() < 0.05:
        anns["cert-manager.io/cluster-issuer"] = "letsencrypt"
    # less common, still seen in most large clusters
    extra = rng.random()
    if extra < 0.05:
        anns["nginx.ingress.kubernetes.io/force-ssl-redirect"] = "true"
    elif extra < 0.08:
        anns["nginx.ingress.kubernetes.io/affinity"] = "cookie"
        anns["nginx.ingress.kubernetes.io/session-cookie-name"] = "route"
    elif extra < 0.13:
        anns["nginx.ingress.kubernetes.io/proxy-buffer-size"] = rng.choice(["8k", "16k"])
    elif extra < 0.15:
        anns["nginx.ingress.kubernetes.io/configuration-snippet"] = "more_set_headers 'X-Frame-Options: DENY';"
    elif extra < 0.17:
        anns["nginx.ingress.kubernetes.io/auth-url"] = "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth"
    elif extra < 0.18 and not rewrite:
        anns["nginx.ingress.kubernetes.io/app-root"] = "/app"
    elif extra < 0.19 and not rewrite:
        anns["nginx.ingress.kubernetes.io/permanent-redirect"] = f"https://{rng.choice(WORDS)}.example.com/moved"
    if rng.random() < 0.04:
        anns["nginx.ingress.kubernetes.io/proxy-connect-timeout"] = "5"
        anns["nginx.ingress.kubernetes.io/proxy-send-timeout"] = "60"
    paths = []
    for j in range(rng.randint(1, 4)):
        svc = f"svc-{i}-{j}"
        named = rng.random() < 0.3
        services.append((svc, "http" if named else ""))
        port = "name: http" if named else "number: 8080"
        if rewrite:
            p, t = f"/{rng.choice(WORDS)}{j}(/|$)(.*)", "ImplementationSpecific"
        else:
            t = rng.choices(["Prefix", "Exact", "ImplementationSpecific"], [0.8, 0.1, 0.1])[0]
            p = "/" if j == 0 and rng.random() < 0.5 else f"/{rng.choice(WORDS)}{j}"
        paths.append(f"      - path: {p}\n        pathType: {t}\n        backend:\n          service:\n"
                     f"            name: {svc}\n            port:\n              {port}\n")
    tls = rng.random() < 0.8
    out = [f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\n"]
    if anns:
        out.append("  annotations:\n" + "".join(f'    {k}: "{v}"\n' for k, v in sorted(anns.items())))
    out.append("spec:\n  ingressClassName: nginx\n")
    if tls:
        out.append(f"  tls:\n  - hosts:\n    - {host}\n    secretName: {name}-tls\n")
    out.append(f"  rules:\n  - host: {host}\n    http:\n      paths:\n" + "".join(paths))
    if not rewrite and rng.random() < 0.03:
        # a canary release of the first path: a second Ingress for the same host and path
        svc = f"svc-{i}-canary"
        services.append((svc, ""))
        first = paths[0].replace(f"name: svc-{i}-0\n", f"name: {svc}\n").replace("name: http\n", "number: 8080\n")
        how = (f'    nginx.ingress.kubernetes.io/canary-weight: "{rng.choice([5, 10, 25])}"\n' if rng.random() < 0.7
               else '    nginx.ingress.kubernetes.io/canary-by-header: "X-Canary"\n')
        out.append(f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}-canary\n"
                   f"  namespace: {ns}\n  annotations:\n    nginx.ingress.kubernetes.io/canary: \"true\"\n{how}"
                   f"spec:\n  ingressClassName: nginx\n  rules:\n  - host: {host}\n    http:\n      paths:\n{first}")
    return "".join(out)


def _service(name: str, ns: str, named: str) -> str:
    port = f"  - name: {named}\n    port: 8080\n" if named else "  - port: 8080\n"
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  ports:\n{port}"


def generate(n: int, namespaces: int, files: int, out: Path, seed: int = 42) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    per_file: list[list[str]] = [[] for _ in range(files)]
    for i in range(n):
        ns = f"team-{i % namespaces:04d}"
        services: list[tuple[str, str]] = []
        doc = _ingress(i, ns, rng, services)
        f = i % files
        per_file[f].append(doc)
        per_file[f].extend(_service(s, ns, named) for s, named in services)
    paths = []
    for f, docs in enumerate(per_file):
        p = out / f"ns-{f % namespaces:04d}" / f"ingress-{f:05d}.yaml"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("---\n".join(docs), encoding="utf-8")
        paths.append(p)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ingresses", type=int, default=1000)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    paths = generate(a.ingresses, a.namespaces, a.files, a.out)
    print(f"wrote {len(paths)} files with {a.ingresses} Ingresses to {a.out}")


if __name__ == "__main__":
    main()
