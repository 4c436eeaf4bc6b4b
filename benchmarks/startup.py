"""Start-up benchmark: what every small run pays before it does any work.

Each figure is a ratio measured in the same run against its own floor, each command in a fresh
process, wall time, the fastest of --repeat runs (a shared machine's noise only ever adds time):

* **convert**: `ing2gw convert -f one-ingress.yaml` (an Ingress and its Service, YAML on
  stdout) against `python -c 'import yaml'` with the same interpreter — the least a Python
  YAML-to-YAML tool must spend to start;
* **Kustomize plugin** and **KRM function**: `kubectl kustomize` of a one-Ingress overlay whose
  `transformers` run ing2gw (the legacy exec plugin written by `ing2gw install-kustomize-plugin`,
  and the KRM function through `config.kubernetes.io/function: exec`), against the plain
  `kubectl kustomize` of the same tree without the transformer.

Targets (issue 23): each ≤ 3×. The Kustomize rows are skipped when kubectl is not installed.
Byte code is compiled first (`compileall`), as `pip install` does for an installed package:
an editable install run with PYTHONDONTWRITEBYTECODE=1 would otherwise recompile ing2gw's
sources on every start and measure the compiler.

    python benchmarks/startup.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

#: one Ingress and its Service, the smallest real input
ONE_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
"""

_CONFIG = """\
apiVersion: ing2gw.io/v1alpha1
kind: Ing2Gw
metadata:
  name: ing2gw
  annotations:
    config.kubernetes.io/local-config: "true"{function}
spec:
  gatewayNamespace: infra
"""

_FUNCTION = """
    config.kubernetes.io/function: |
      exec:
        path: {path}"""

TARGET = 3.0


def ing2gw_command() -> list[str]:
    """The `ing2gw` console script of this interpreter's environment (what users run), else
    `python -m ing2gw`."""
    script = Path(sys.executable).parent / "ing2gw"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ing2gw"]


def compile_bytecode() -> None:
    """Compile ing2gw's modules to byte code, as an installed package has them."""
    import ing2gw

    compileall.compile_dir(str(Path(ing2gw.__file__).parent), quiet=1)


def wall(cmd: Sequence[str], repeat: int, cwd: Path | None = None, env: dict[str, str] | None = None,
         stdin: str | None = None) -> float:
    """The fastest wall time of `repeat` runs of `cmd` (which must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(list(cmd), cwd=cwd, env=env, input=stdin, capture_output=True, text=True)
        took = time.perf_counter() - t
        if r.returncode != 0:
            raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
        best = min(best, took)
    return best


def kustomize_trees(root: Path) -> tuple[Path, Path, Path, Path]:
    """(plain overlay, plugin overlay, function overlay, plugin home) over one base."""
    base = root / "base"
    base.mkdir(parents=True)
    (base / "ingress.yaml").write_text(ONE_INGRESS)
    (base / "kustomization.yaml").write_text("resources:\n- ingress.yaml\n")
    home = root / "plugins"
    r = subprocess.run([*ing2gw_command(), "install-kustomize-plugin", "--plugin-home", str(home)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"install-kustomize-plugin failed:\n{r.stderr}")
    # the KRM function runs an executable without arguments: a wrapper that runs `ing2gw krm`
    fn = root / "ing2gw-krm"
    fn.write_text("#!/bin/sh\nexec " + " ".join(f"'{c}'" for c in ing2gw_command()) + " krm\n")
    fn.chmod(0o755)
    trees = []
    for name, config in (("plain", None), ("plugin", _CONFIG.format(function="")),
                         ("function", _CONFIG.format(function=_FUNCTION.format(path=fn)))):
        overlay = root / name
        overlay.mkdir()
        kustomization = "resources:\n- ../base\n"
        if config is not None:
            (overlay / "ing2gw.yaml").write_text(config)
            kustomization += "transformers:\n- ing2gw.yaml\n"
        (overlay / "kustomization.yaml").write_text(kustomization)
        trees.append(overlay)
    return trees[0], trees[1], trees[2], home


def measure(repeat: int) -> list[tuple[str, float, float]]:
    """(figure, seconds, floor seconds) rows."""
    compile_bytecode()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ing2gw-startup-") as tmp:
        work = Path(tmp)
        one = work / "one-ingress.yaml"
        one.write_text(ONE_INGRESS)
        convert = [*ing2gw_command(), "convert", "-f", str(one)]
        floor_cmd = [sys.executable, "-c", "import yaml"]
        wall(convert, 1)  # warm the page cache
        floor = wall(floor_cmd, repeat)
        rows.append(("convert one Ingress / python -c 'import yaml'", wall(convert, repeat), floor))
        rows.append(("ing2gw --version / python -c 'import yaml'", wall([*ing2gw_command(), "--version"], repeat),
                     floor))
        kubectl = shutil.which("kubectl")
        if kubectl is not None:
            plain, plugin, function, home = kustomize_trees(work)
            env = dict(os.environ, KUSTOMIZE_PLUGIN_HOME=str(home))
            build = [kubectl, "kustomize", "--enable-alpha-plugins"]
            wall([*build, str(plugin)], 1, env=env)
            base = wall([kubectl, "kustomize", str(plain)], repeat, env=env)
            rows.append(("Kustomize plugin / plain kubectl kustomize", wall([*build, str(plugin)], repeat, env=env),
                         base))
            rows.append(("KRM function / plain kubectl kustomize",
                         wall([*build, str(function)], repeat, env=env), base))
    return rows


def table(rows: list[tuple[str, float, float]]) -> str:
    lines = ["| start-up figure | ing2gw | floor | ratio | target |", "|---|---|---|---|---|"]
    for name, took, floor in rows:
        target = f"≤ {TARGET:.0f}×" if "--version" not in name else "—"
        lines.append(f"| {name} | {took:.2f} s | {floor:.2f} s | {took / floor:.2f}× | {target} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each command; the fastest counts. Default 2.")
    a = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = measure(a.repeat)
    print(f"load average {load:.2f} at start, best of {a.repeat}")
    print(table(rows))


if __name__ == "__main__":
    main()
