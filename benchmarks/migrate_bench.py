"""Benchmark `ing2gw migrate` on a generated GitOps repository, next to plain conversion.

    .venv/bin/python benchmarks/migrate_bench.py [--files 2000] [--ingresses 10000] [--keep DIR]

The repository is deterministic: app folders of five files each (a kustomization, two Ingress
files, Services, a Deployment), commented like hand-written manifests; a few Ingresses have
TLS (so ReferenceGrants are written), some annotations. Timed, on the same repository:

* plan     — `plan_migration` (what `migrate --dry-run` does, before printing the diff)
* diff     — rendering the plan as a unified diff
* apply    — writing the plan into a copy of the repository (atomic, fsynced writes)
* rerun    — planning again over the migrated copy (must find nothing to change)
* load + translate — `ing2gw convert`'s path for the same files: load every manifest, one translate()
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from ing2gw.batch.plan import plan_migration
from ing2gw.batch.write import apply_changes, unified_diff
from ing2gw.load import load
from ing2gw.translate import translate

ANNOTATIONS = [
    {},
    {"nginx.ingress.kubernetes.io/ssl-redirect": '"false"'},
    {"nginx.ingress.kubernetes.io/proxy-read-timeout": '"120"'},
    {"nginx.ingress.kubernetes.io/rewrite-target": "/"},
]


def _ingress(app: int, i: int, tls: bool) -> str:
    name = f"svc{i}"
    ann = ANNOTATIONS[(app + i) % len(ANNOTATIONS)]
    lines = [f"# Ingress {i} of app {app}", "apiVersion: networking.k8s.io/v1", "kind: Ingress", "metadata:",
             f"  name: web{i}", f"  namespace: app{app}"]
    if ann:
        lines.append("  annotations:")
        lines += [f"    {k}: {v}  # tuned by the app team" for k, v in ann.items()]
    lines += ["spec:", "  ingressClassName: nginx"]
    host = f"web{i}.app{app}.example.com"
    if tls:
        lines += ["  tls:", f"  - hosts: [{host}]", f"    secretName: web{i}-tls"]
    lines += ["  rules:", f"  - host: {host}", "    http:", "      paths:",
              "      - path: /", "        pathType: Prefix", "        backend:", "          service:",
              f"            name: {name}", "            port:", "              number: 80",
              "      - path: /api", "        pathType: Prefix", "        backend:", "          service:",
              f"            name: {name}", "            port:", "              name: http"]
    return "\n".join(lines) + "\n"


def generate(root: Path, files: int = 2000, ingresses: int = 10000) -> None:
    """Write the repository: `files` files (five per app folder) holding `ingresses` Ingresses."""
    apps = max(1, files // 5)
    per_app = ingresses // apps
    extra = ingresses - per_app * apps
    n = 0
    for a in range(apps):
        d = root / "apps" / f"app{a}"
        d.mkdir(parents=True, exist_ok=True)
        count = per_app + (1 if a < extra else 0)
        half = (count + 1) // 2
        groups = [range(0, half), range(half, count)]
        for g, (fname, idx) in enumerate(zip(("ingress-public.yaml", "ingress-internal.yaml"), groups)):
            docs = [f"# {fname}: Ingresses of app {a}, maintained by team {a % 37}\n"]
            docs += [_ingress(a, i, tls=(i % 5 == 0)) for i in idx]
            (d / fname).write_text("---\n".join(docs))
            n += len(idx)
        svcs = []
        for i in range(count):
            svcs.append(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\n  namespace: app{a}\nspec:\n"
                        f"  selector: {{app: svc{i}}}\n  ports:\n  - name: http  # used by the Ingress\n"
                        "    port: 80\n    targetPort: 8080\n")
        (d / "services.yaml").write_text("# Services\n" + "---\n".join(svcs))
        (d / "deployment.yaml").write_text(
            f"# the app itself\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{a}\n"
            f"  namespace: app{a}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app{a}}}\n"
            f"  template:\n    metadata:\n      labels: {{app: app{a}}}\n    spec:\n      containers:\n"
            f"      - name: app\n        image: example/app{a}:1.0.0\n")
        (d / "kustomization.yaml").write_text(
            "# app kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
            "- deployment.yaml\n- services.yaml\n- ingress-public.yaml   # public hosts\n- ingress-internal.yaml\n")
    assert n == ingresses, (n, ingresses)


def _timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    c = time.process_time()
    v = fn()
    return v, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--ingresses", type=int, default=10000)
    ap.add_argument("--keep", default=None, help="generate into this folder and keep it")
    args = ap.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ing2gw-bench-"))
    repo = base / "repo"
    try:
        if repo.exists():
            shutil.rmtree(repo)
        _, gen_s, _ = _timed(lambda: generate(repo, args.files, args.ingresses))
        nfiles = sum(len(f) for _, _, f in os.walk(repo))
        size = sum(p.stat().st_size for p in repo.rglob("*") if p.is_file())
        rows = []
        plan, s, c = _timed(lambda: plan_migration(repo))
        rows.append(("plan (migrate --dry-run)", s, c))
        diff, s, c = _timed(lambda: unified_diff(plan.changes))
        rows.append(("render the diff", s, c))
        copy = base / "copy"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(repo, copy)
        _, s, c = _timed(lambda: apply_changes(copy, plan.changes))
        rows.append((f"apply ({len(plan.changes)} files, atomic + fsync)", s, c))
        again, s, c = _timed(lambda: plan_migration(copy))
        rows.append(("rerun over the migrated copy", s, c))
        assert again.empty, f"second run is not empty: {[ch.path for ch in again.changes][:5]}"
        manifests, s1, c1 = _timed(lambda: load([str(repo)], recursive=True))
        result, s2, c2 = _timed(lambda: translate(manifests))
        rows.append(("load (convert -f REPO -R)", s1, c1))
        rows.append(("translate() of the same Ingresses", s2, c2))
        plan_s = rows[0][1]
        print(f"repository: {nfiles} files, {size / 1e6:.1f} MB, {args.ingresses} Ingresses "
              f"(generated in {gen_s:.1f} s); plan: {len(plan.changes)} changes, diff {len(diff) / 1e6:.1f} MB, "
              f"{len(result.objects())} Gateway API objects")
        print(f"{'step':<44} {'wall s':>8} {'cpu s':>8}")
        for name, s, c in rows:
            print(f"{name:<44} {s:>8.2f} {c:>8.2f}")
        conv = s1 + s2
        print(f"{'migrate (plan + apply) vs convert (load + translate)':<44} "
              f"{plan_s + rows[2][1]:>8.2f} {conv:>8.2f}   ratio {(plan_s + rows[2][1]) / conv:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
