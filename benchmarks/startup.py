"""Start-up benchmark: what every small run pays before it does any work.

Each figure is a ratio to its own floor, measured in the same run: every command in a fresh
process, wall time, the command and its floor run alternately and the fastest of --repeat runs
of each counts (a shared machine's noise only ever adds time):

* **convert**: `ing2gw convert -f one-ingress.yaml` (an Ingress and its Service, YAML on
  stdout) against `python -c 'import yaml'` with the same interpreter — what starting a Python
  YAML tool costs at the least;
* **Kustomize plugin**: `kubectl kustomize --enable-alpha-plugins` of a one-Ingress overlay
  whose `transformers` run ing2gw (the legacy exec plugin written by `ing2gw
  install-kustomize-plugin`), against the plain `kubectl kustomize` of the same tree without
  the transformer;
* **KRM function**: `kpt fn eval PACKAGE --exec ing2gw-krm` of the same Ingress (kubectl's
  kustomize has no `--enable-exec`, so it cannot run an exec function), against the same plain
  `kubectl kustomize`; and, for reference, kpt with `cat` as the function (kpt's own cost).

Targets (issue 23): each ≤ 3×. The Kustomize rows need kubectl, the KRM row kpt.

A second table gives the same runs' CPU time (user + system of the command and every process it
starts, from the children's rusage): time spent waiting for a core on a busy machine does not
count, so it is the table to read when the load average is high.

`--instructions` adds a second table that does not depend on the machine's load: the
instructions each Python process executes (valgrind's callgrind; ~1 minute), against the
same floor. valgrind cannot run the Go binaries (kubectl, kpt), so the plugin and the
function are counted as the `ing2gw krm` process kustomize or kpt starts.

Byte code is compiled first (`compileall`), as `pip install` does for an installed package:
an editable install run with PYTHONDONTWRITEBYTECODE=1 would otherwise recompile ing2gw's
sources on every start and measure the compiler. How kustomize and kpt start the plugin (its
script, the interpreter's flags) is `ing2gw install-kustomize-plugin`'s; the figures include it.

    python benchmarks/startup.py [--repeat 2] [--instructions]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple, Sequence

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

CONFIG = """\
apiVersion: ing2gw.io/v1alpha1
kind: Ing2Gw
metadata:
  name: ing2gw
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  gatewayNamespace: infra
"""

TARGET = 3.0
YAML_FLOOR = "python -c 'import yaml'"
KUSTOMIZE_FLOOR = "plain kubectl kustomize"


class Row(NamedTuple):
    figure: str
    seconds: float  # or instructions
    floor: float
    floor_name: str
    target: bool  # whether the issue sets a target for this row


class Run(NamedTuple):
    argv: list[str]
    env: dict[str, str] | None = None
    stdin: str | None = None


def ing2gw_command() -> list[str]:
    """The `ing2gw` console script of this interpreter's environment (what users run), else
    `python -m ing2gw`."""
    script = Path(sys.executable).parent / "ing2gw"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ing2gw"]


def compile_bytecode() -> None:
    """Compile ing2gw's modules to byte code, as an installed package has them."""
    import ing2gw

    compileall.compile_dir(str(Path(ing2gw.__file__).parent), quiet=1)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(run: Run) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the command and every process it started)."""
    t, cpu = time.perf_counter(), _children_cpu()
    r = subprocess.run(run.argv, env=run.env, input=run.stdin, capture_output=True, text=True)
    took, used = time.perf_counter() - t, _children_cpu() - cpu
    if r.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(run.argv)}\n{r.stderr[-2000:]}")
    return took, used


#: CPU seconds of the last best_pair (target, floor): the machine's load stretches wall time
#: by waiting, CPU time much less, so the CPU table is the one to read on a busy machine
LAST_CPU: list[tuple[float, float]] = []


#: (wall row, CPU row) of the last report(), for run.py's summary of the issue's table
LAST_ROWS: list[tuple[Row, Row]] = []


def best_pair(target: Run, floor: Run, repeat: int) -> tuple[float, float]:
    """The fastest wall times of `target` and `floor`, run alternately `repeat` times each
    after one warm-up run of both (page cache); their least CPU times go to LAST_CPU."""
    _once(target), _once(floor)
    runs = [(_once(target), _once(floor)) for _ in range(repeat)]
    LAST_CPU.append((min(t[1] for t, _ in runs), min(f[1] for _, f in runs)))
    return min(t[0] for t, _ in runs), min(f[0] for _, f in runs)


def instructions(run: Run) -> int:
    """Instructions the process executes (valgrind callgrind, user space)."""
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                            f"--log-file={log.name}", *run.argv], env=run.env, input=run.stdin,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"benchmark step failed under valgrind: {' '.join(run.argv)}\n{r.stderr[-2000:]}")
        for line in Path(log.name).read_text().splitlines():
            if "I   refs:" in line:
                return int(line.split()[-1].replace(",", ""))
    raise SystemExit(f"valgrind printed no instruction count for {' '.join(run.argv)}")


class Setup(NamedTuple):
    convert: Run
    version: Run
    plugin_process: Run  # the process kustomize starts, fed what kustomize feeds it
    function_process: Run  # the process kpt starts, fed a ResourceList
    floor: Run
    kubectl: str | None
    kpt: str | None
    package: Path
    plain: Path
    plugin: Path
    home: Path
    function: Path


def setup(work: Path) -> Setup:
    """Inputs, the kustomize trees and the plugin install under `work`."""
    work.mkdir(parents=True, exist_ok=True)
    one = work / "one-ingress.yaml"
    one.write_text(ONE_INGRESS)
    config = work / "ing2gw.yaml"
    config.write_text(CONFIG)
    base = work / "base"
    base.mkdir()
    (base / "ingress.yaml").write_text(ONE_INGRESS)
    (base / "kustomization.yaml").write_text("resources:\n- ingress.yaml\n")
    # kpt hands every YAML file of a package to the function: no kustomization.yaml in it
    package = work / "package"
    package.mkdir()
    (package / "ingress.yaml").write_text(ONE_INGRESS)
    overlays = []
    for name, transformer in (("plain", False), ("plugin", True)):
        overlay = work / name
        overlay.mkdir()
        kustomization = "resources:\n- ../base\n"
        if transformer:
            (overlay / "ing2gw.yaml").write_text(CONFIG)
            kustomization += "transformers:\n- ing2gw.yaml\n"
        (overlay / "kustomization.yaml").write_text(kustomization)
        overlays.append(overlay)
    home = work / "plugins"
    r = subprocess.run([*ing2gw_command(), "install-kustomize-plugin", "--plugin-home", str(home)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"install-kustomize-plugin failed:\n{r.stderr}")
    # kpt runs an exec function as one command line; a wrapper keeps paths with spaces working
    function = work / "ing2gw-krm"
    function.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(c) for c in ing2gw_command()) + " krm\n")
    function.chmod(0o755)
    items = [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
              "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
                  {"path": "/", "pathType": "Prefix",
                   "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"ports": [{"name": "http", "port": 80}]}}]
    resource_list = json.dumps({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items})
    return Setup(convert=Run([*ing2gw_command(), "convert", "-f", str(one)]),
                 version=Run([*ing2gw_command(), "--version"]),
                 plugin_process=Run([*ing2gw_command(), "krm", "--kustomize-plugin", str(config)], stdin=ONE_INGRESS),
                 function_process=Run([*ing2gw_command(), "krm"], stdin=resource_list),
                 floor=Run([sys.executable, "-c", "import yaml"]),
                 kubectl=shutil.which("kubectl"), kpt=shutil.which("kpt"), package=package, plain=overlays[0],
                 plugin=overlays[1], home=home, function=function)


def measure(repeat: int, work: Path) -> list[Row]:
    """The wall-time rows."""
    s = setup(work)
    rows = []
    took, floor = best_pair(s.convert, s.floor, repeat)
    rows.append(Row("`convert` of one Ingress", took, floor, YAML_FLOOR, True))
    took, floor = best_pair(s.version, s.floor, repeat)
    rows.append(Row("`ing2gw --version`", took, floor, YAML_FLOOR, False))
    if s.kubectl is None:
        return rows
    env = dict(os.environ, KUSTOMIZE_PLUGIN_HOME=str(s.home))
    plain = Run([s.kubectl, "kustomize", str(s.plain)], env=env)
    took, floor = best_pair(Run([s.kubectl, "kustomize", "--enable-alpha-plugins", str(s.plugin)], env=env), plain,
                            repeat)
    rows.append(Row("Kustomize plugin (`kubectl kustomize --enable-alpha-plugins`)", took, floor, KUSTOMIZE_FLOOR,
                    True))
    if s.kpt is not None:
        function = Run([s.kpt, "fn", "eval", str(s.package), "--exec", str(s.function), "-o", "stdout"])
        took, floor = best_pair(function, plain, repeat)
        rows.append(Row("KRM function (`kpt fn eval --exec`)", took, floor, KUSTOMIZE_FLOOR, True))
        noop = work / "noop-fn"
        noop.write_text("#!/bin/sh\nexec cat\n")
        noop.chmod(0o755)
        took, floor = best_pair(Run([s.kpt, "fn", "eval", str(s.package), "--exec", str(noop), "-o", "stdout"]), plain,
                                repeat)
        rows.append(Row("for reference: kpt with `cat` as the function", took, floor, KUSTOMIZE_FLOOR, False))
    return rows


def measure_instructions(work: Path) -> list[Row]:
    """The instruction-count rows (each process once: the count does not vary)."""
    s = setup(work)
    floor = instructions(s.floor)
    return [Row(name, instructions(run), floor, YAML_FLOOR, False)
            for name, run in (("`convert` of one Ingress", s.convert), ("`ing2gw --version`", s.version),
                              ("the Kustomize plugin's process (`ing2gw krm --kustomize-plugin`)", s.plugin_process),
                              ("the KRM function's process (`ing2gw krm`)", s.function_process))]


def table(rows: Sequence[Row], unit: str = "s") -> str:
    lines = ["| start-up figure | ing2gw | floor | ratio | target |", "|---|---|---|---|---|"]
    for r in rows:
        if unit == "s":
            took, floor = f"{r.seconds:.2f} s", f"{r.floor:.2f} s ({r.floor_name})"
        else:
            took, floor = f"{r.seconds / 1e6:,.0f} M", f"{r.floor / 1e6:,.0f} M ({r.floor_name})"
        target = f"≤ {TARGET:.0f}×" if r.target else "—"
        lines.append(f"| {r.figure} | {took} | {floor} | {r.seconds / r.floor:.2f}× | {target} |")
    return "\n".join(lines)


def report(repeat: int, with_instructions: bool) -> str:
    """The start-up tables (Markdown), with the load average when they were measured."""
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="ing2gw-startup-") as tmp:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        LAST_CPU.clear()
        wall = measure(repeat, Path(tmp))
        cpu = [r._replace(seconds=c, floor=f) for r, (c, f) in zip(wall, LAST_CPU)]
        LAST_ROWS[:] = [(w, c) for w, c in zip(wall, cpu)]
        out = [f"Wall time, best of {repeat}, load average {load:.2f} at start:", "", table(wall), "",
               f"CPU time (user + system of every process of the command), least of {repeat}; waiting for a "
               "core does not count, so it moves less with the load than the wall time:", "", table(cpu)]
        if with_instructions and shutil.which("valgrind") is not None:
            out += ["", "Instructions executed (valgrind callgrind; independent of the machine's load):", "",
                    table(measure_instructions(Path(tmp) / "instructions"), unit="instructions")]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each command; the fastest counts. Default 2.")
    ap.add_argument("--instructions", action="store_true", help="also count instructions with valgrind")
    a = ap.parse_args()
    print(report(a.repeat, a.instructions))


if __name__ == "__main__":
    main()
