"""Random small ingress-nginx configurations, for the equivalence benchmark and the property and
mutation tests (tests/test_verify_strict.py, tests/test_mutations.py).

A configuration is 1-4 Ingresses of the `nginx` class (sometimes a canary beside one of them)
over a few shared hosts, with host-less rules, defaultBackends, TLS sections (with and without a
Secret) and Services (numbered and named ports, an ExternalName now and then). With
`annotations=True` each Ingress draws from the ingress-nginx annotations that change routing:
use-regex and rewrite-target in their common capture forms, ssl-redirect/force-ssl-redirect,
preserve-trailing-slash, app-root (valid or not), permanent/temporal redirects with codes,
upstream-vhost, x-forwarded-prefix, from-to-www-redirect, server-alias, CORS, timeouts, an
allow-list, affinity, and canaries by weight, header (value, pattern) and cookie.

`generate(rng, annotations)` takes any object with `random()`, `randint(a, b)` and
`choice(seq)`: a `random.Random(seed)` for the benchmark, `hypothesis.strategies.randoms()` in
the tests (so that hypothesis shrinks the draws). Same draws, same text.

    python benchmarks/nginx_configs.py --seed 7            # print one configuration
"""

from __future__ import annotations

import argparse
import random
from typing import Any, Protocol, Sequence

P = "nginx.ingress.kubernetes.io/"
HOSTS = ["shop.example.com", "api.example.com", "www.example.com", "*.apps.example.com", "example.com"]
NAMESPACES = ["team-a", "team-b"]
SERVICES = ["svc-a", "svc-b", "svc-c"]
TIMES = ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-02T00:00:00Z", None]
PLAIN_PATHS = ["/", "/api", "/api/", "/v1", "/static", "/docs/", "/a/b", "/app"]
#: (path, rewrite-target) pairs in the forms people write
REWRITES = [("/api(/|$)(.*)", "/$2"), ("/api/(.*)", "/$1"), ("/api(/|$)(.*)", "/v1/$2"), ("/v2", "/$2"),
            ("/foo/(.*)", "/bar/$1"), ("/old", "/new"), ("/api/?(.*)", "/$1"), ("/(.*)", "/app/$1"),
            ("/svc/(.+)", "/$1"), ("/x(/|$)(.*)", "/"), ("/api", "/")]


class Rng(Protocol):
    def random(self) -> float: ...

    def randint(self, a: int, b: int) -> int: ...

    def choice(self, seq: Sequence[Any]) -> Any: ...


def _yes(rng: Rng, p: float) -> bool:
    return rng.random() < p


def _annotations(rng: Rng, paths: list[tuple[str, str]]) -> dict[str, str]:
    """Annotations for one (non-canary) Ingress; may replace `paths` with regex/rewrite paths."""
    a: dict[str, str] = {}
    if _yes(rng, 0.25):
        path, target = rng.choice(REWRITES)
        paths[0] = (path, "ImplementationSpecific")
        a[P + "rewrite-target"] = target
        if _yes(rng, 0.6) or "(" in path:
            a[P + "use-regex"] = "true"
    elif _yes(rng, 0.1):
        a[P + "use-regex"] = "true"
        paths[0] = (rng.choice(["/api/[0-9]+", "/v[12]/.*", "/img/.+\\.png"]), "ImplementationSpecific")
    if _yes(rng, 0.15):
        a[P + "ssl-redirect"] = "false"
    if _yes(rng, 0.1):
        a[P + "force-ssl-redirect"] = "true"
    if _yes(rng, 0.1):
        a[P + "preserve-trailing-slash"] = "true"
    if _yes(rng, 0.08):
        a[P + "app-root"] = rng.choice(["/app", "/app/", "app", "/home?x=1"])
    r = rng.random()
    if r < 0.06:
        a[P + "permanent-redirect"] = rng.choice(["https://new.example.com/moved", "https://new.example.com",
                                                  "/relative", "https://new.example.com/p?from=old"])
        if _yes(rng, 0.4):
            a[P + "permanent-redirect-code"] = rng.choice(["308", "302", "399", "abc"])
    elif r < 0.09:
        a[P + "temporal-redirect"] = rng.choice(["https://tmp.example.com/", "http://tmp.example.com/t"])
        if _yes(rng, 0.4):
            a[P + "temporal-redirect-code"] = rng.choice(["307", "301", "308"])
    if _yes(rng, 0.08):
        a[P + "upstream-vhost"] = rng.choice(["internal.example", "internal.example:8080"])
    if _yes(rng, 0.08):
        a[P + "x-forwarded-prefix"] = "/pre"
    if _yes(rng, 0.06):
        a[P + "from-to-www-redirect"] = "true"
    if _yes(rng, 0.05):
        a[P + "server-alias"] = rng.choice(["alias.example.com", "alias.example.com, other.example.org"])
    if _yes(rng, 0.08):
        a[P + "enable-cors"] = "true"
    if _yes(rng, 0.1):
        a[P + "proxy-read-timeout"] = "120"
    if _yes(rng, 0.06):
        a[P + "whitelist-source-range"] = "10.0.0.0/8"
    if _yes(rng, 0.05):
        a[P + "affinity"] = "cookie"
    return a


def _canary_annotations(rng: Rng) -> dict[str, str]:
    a = {P + "canary": "true"}
    kind = rng.randint(0, 5)
    if kind == 0:
        a[P + "canary-weight"] = rng.choice(["0", "20", "50", "100"])
    elif kind == 1:
        a[P + "canary-by-header"] = "X-Canary"
    elif kind == 2:
        a[P + "canary-by-header"] = "X-Canary"
        a[P + "canary-by-header-value"] = "yes"
    elif kind == 3:
        a[P + "canary-by-header"] = "X-Canary"
        a[P + "canary-by-header-pattern"] = rng.choice(["^b.*", "yes|si"])
    elif kind == 4:
        a[P + "canary-by-cookie"] = "canary"
    else:
        a[P + "canary-by-header"] = "X-Canary"
        a[P + "canary-by-cookie"] = "canary"
        a[P + "canary-weight"] = "30"
        if _yes(rng, 0.5):
            a[P + "canary-weight-total"] = rng.choice(["50", "200"])
    return a


def _backend(svc: str, named: bool) -> str:
    port = "{name: http}" if named else "{number: 80}"
    return f"{{service: {{name: {svc}, port: {port}}}}}"


def _ingress(name: str, ns: str, ts: str | None, anns: dict[str, str], rules: list[tuple[str, list[tuple[str, str, str, bool]]]],
             default: tuple[str, bool] | None, tls: list[tuple[list[str], str | None]]) -> str:
    doc = f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
    if ts:
        doc += f"  creationTimestamp: '{ts}'\n"
    if anns:
        doc += "  annotations:\n" + "".join(f"    {k}: {v!r}\n".replace("'", '"') for k, v in sorted(anns.items()))
    doc += "spec:\n  ingressClassName: nginx\n"
    if default:
        doc += f"  defaultBackend: {_backend(*default)}\n"
    if tls:
        doc += "  tls:\n"
        for hosts, secret in tls:
            doc += "  - hosts: [" + ", ".join(f"'{h}'" for h in hosts) + "]\n"
            if secret:
                doc += f"    secretName: {secret}\n"
    if rules:
        doc += "  rules:\n"
        for host, paths in rules:
            doc += f"  - host: '{host}'\n    http:\n" if host else "  - http:\n"
            doc += "      paths:\n"
            for path, ptype, svc, named in paths:
                doc += f"      - path: '{path}'\n        pathType: {ptype}\n        backend: {_backend(svc, named)}\n"
    return doc


def _services(rng: Rng, used: set[tuple[str, str]]) -> list[str]:
    out = []
    for ns, svc in sorted(used):
        if _yes(rng, 0.15):
            continue  # not in the input: numbered ports still work, named ones cannot be resolved
        if _yes(rng, 0.05):
            out.append(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n"
                       "  type: ExternalName\n  externalName: backend.example.net\n  ports:\n  - name: http\n"
                       "    port: 80\n")
            continue
        out.append(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n"
                   "  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n")
    return out


#: (annotation, values) of the settings only an implementation policy carries (issue 22): drawn
#: from their own generator so the rest of a configuration stays the one of the same seed
POLICIES: list[tuple[dict[str, str], float]] = [
    ({"auth-type": "basic", "auth-secret": "users"}, 0.12),
    ({"auth-type": "basic", "auth-secret": "users", "auth-realm": "Staff"}, 0.04),
    ({"auth-type": "basic", "auth-secret": "other/users"}, 0.03),
    ({"auth-url": "http://auth.{ns}.svc.cluster.local:8080/verify"}, 0.08),
    ({"auth-url": "https://auth.example.net/check"}, 0.03),
    ({"limit-rps": "10"}, 0.08),
    ({"limit-rpm": "300", "limit-burst-multiplier": "2"}, 0.04),
    ({"proxy-body-size": "8m"}, 0.08),
    ({"proxy-body-size": "0"}, 0.03),
]


def _policy_annotations(rng: Rng, ns: str) -> dict[str, str]:
    a: dict[str, str] = {}
    for values, p in POLICIES:
        if _yes(rng, p) and not any(P + k in a for k in values):
            a.update({P + k: v.format(ns=ns) for k, v in values.items()})
    return a


def generate(rng: Rng, annotations: bool = True, policy_rng: Rng | None = None) -> str:
    """One configuration as a multi-document YAML string; with `policy_rng`, Ingresses also get
    the policy settings of `POLICIES` (basic and external auth, rate and body-size limits)."""
    docs: list[str] = []
    used: set[tuple[str, str]] = set()
    n = rng.randint(1, 4)
    made: list[tuple[str, str, list[tuple[str, list[tuple[str, str, str, bool]]]]]] = []
    for i in range(n):
        ns = rng.choice(NAMESPACES)
        rules: list[tuple[str, list[tuple[str, str, str, bool]]]] = []
        for _ in range(rng.randint(0, 2)):
            host = rng.choice(HOSTS + [""])
            raw: list[tuple[str, str]] = [(rng.choice(PLAIN_PATHS), rng.choice(["Prefix", "Prefix", "Exact",
                                                                               "ImplementationSpecific"]))
                                          for _ in range(rng.randint(1, 3))]
            paths = [(p, t, rng.choice(SERVICES), _yes(rng, 0.2)) for p, t in raw]
            rules.append((host, paths))
        anns: dict[str, str] = {}
        if annotations and rules:
            flat = [(p, t) for _, ps in rules for p, t, _, _ in ps]
            anns = _annotations(rng, flat)
            k = 0
            for ri, (host, ps) in enumerate(rules):
                rules[ri] = (host, [(flat[k + j][0], flat[k + j][1], s, nd) for j, (_, _, s, nd) in enumerate(ps)])
                k += len(ps)
            if policy_rng is not None and not any(k.endswith("/canary") for k in anns):
                anns.update(_policy_annotations(policy_rng, ns))
        default = (rng.choice(SERVICES + ["svc-default"]), False) if (_yes(rng, 0.3) or not rules) else None
        hosts = [h for h, _ in rules if h]
        tls: list[tuple[list[str], str | None]] = []
        if hosts and _yes(rng, 0.5):
            tls.append(([h for h in hosts if _yes(rng, 0.8)] or hosts[:1], f"tls-{i}" if _yes(rng, 0.85) else None))
        for _, ps in rules:
            used.update((ns, s) for _, _, s, _ in ps)
        if default:
            used.add((ns, default[0]))
        docs.append(_ingress(f"ing-{i}", ns, rng.choice(TIMES), anns, rules, default, tls))
        made.append((f"ing-{i}", ns, rules))
    if annotations and _yes(rng, 0.35):
        _, ns, rules = rng.choice(made)
        if rules and rules[0][1]:
            host, ps = rules[0]
            path, ptype, svc, _ = ps[0]
            canary_svc = svc + "-canary" if _yes(rng, 0.8) else svc
            if "(" in path or "[" in path:
                path, ptype = "/", "Prefix"
            used.add((ns, canary_svc))
            docs.append(_ingress("canary", ns, "2024-01-03T00:00:00Z", _canary_annotations(rng),
                                 [(host, [(path, ptype, canary_svc, False)])], None, []))
    docs += _services(rng, used)
    return "---\n".join(docs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--plain", action="store_true", help="without annotations")
    a = ap.parse_args()
    print(generate(random.Random(a.seed), annotations=not a.plain))


if __name__ == "__main__":
    main()
