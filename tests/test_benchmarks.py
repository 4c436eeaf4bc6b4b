"""The benchmark corpus, the table writers and the start-up setup (benchmarks/): deterministic,
realistic, convertible. Timings themselves are never asserted here (see docs/performance.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from ing2gw.cli import main

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_corpus_is_deterministic_and_realistic(tmp_path: Path) -> None:
    corpus = _module("corpus")
    corpus.generate(400, 8, 20, tmp_path / "a")
    corpus.generate(400, 8, 20, tmp_path / "b")
    a = _tree(tmp_path / "a")
    assert a == _tree(tmp_path / "b") and len(a) == 20
    text = b"".join(a.values()).decode()
    primaries = text.count("\nkind: Ingress\n") - text.count("kubernetes.io/canary: \"true\"")
    assert primaries == 400 and "\nkind: Service\n" in text
    for annotation in ("ssl-redirect", "proxy-body-size", "rewrite-target", "canary", "canary-weight",
                       "whitelist-source-range", "force-ssl-redirect", "affinity", "auth-url"):
        assert f"nginx.ingress.kubernetes.io/{annotation}" in text, annotation
    assert "tls:" in text and "pathType: Exact" in text and "pathType: ImplementationSpecific" in text


def test_corpus_converts_and_verifies_with_nothing_unexplained(tmp_path: Path) -> None:
    corpus = _module("corpus")
    corpus.generate(150, 5, 10, tmp_path / "corpus")
    out = tmp_path / "out"
    rc = main(["convert", "-f", str(tmp_path / "corpus"), "-R", "--out-dir", str(out), "--fail-on", "never",
               "--verify", "--verify-output", "json"])
    assert rc == 0
    result = json.loads((out / "verify.json").read_text())
    assert result["probes"] > 1000 and result["unexplained"] == 0


def test_markdown_table_is_replaced_between_markers(tmp_path: Path) -> None:
    run = _module("run")
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Title\n\nprose before\n\n{run.BEGIN}\nold table\n{run.END}\n\nprose after\n", encoding="utf-8")
    run.write_markdown(doc, "new table\n")
    assert doc.read_text() == f"# Title\n\nprose before\n\n{run.BEGIN}\nnew table\n{run.END}\n\nprose after\n"
    fresh = tmp_path / "new.md"
    run.write_markdown(fresh, "t\n")
    assert fresh.read_text() == f"{run.BEGIN}\nt\n{run.END}\n"
    # the start-up block has markers of its own: added after the prose, then replaced alone
    run.write_markdown(doc, "start-up 1\n", run.STARTUP_BEGIN, run.STARTUP_END)
    run.write_markdown(doc, "start-up 2\n", run.STARTUP_BEGIN, run.STARTUP_END)
    assert doc.read_text() == (f"# Title\n\nprose before\n\n{run.BEGIN}\nnew table\n{run.END}\n\nprose after\n\n"
                               f"{run.STARTUP_BEGIN}\nstart-up 2\n{run.STARTUP_END}\n")


def test_startup_benchmark_runs_what_it_claims(tmp_path: Path) -> None:
    # each command the start-up benchmark times must really convert (a transformer that kustomize
    # silently skips would measure nothing): run them once, untimed
    startup = _module("startup")
    s = startup.setup(tmp_path)
    for run in (s.convert, s.plugin_process, s.function_process):
        r = subprocess.run(run.argv, input=run.stdin, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "kind: HTTPRoute" in r.stdout, r.stderr
    if s.kubectl is not None:
        env = dict(os.environ, KUSTOMIZE_PLUGIN_HOME=str(s.home))
        plain = subprocess.run([s.kubectl, "kustomize", str(s.plain)], capture_output=True, text=True, env=env,
                               timeout=120)
        assert plain.returncode == 0 and "kind: Ingress" in plain.stdout and "HTTPRoute" not in plain.stdout
        built = subprocess.run([s.kubectl, "kustomize", "--enable-alpha-plugins", str(s.plugin)], capture_output=True,
                               text=True, env=env, timeout=120)
        assert built.returncode == 0 and "kind: HTTPRoute" in built.stdout, built.stderr
    if s.kpt is not None:
        fn = subprocess.run([s.kpt, "fn", "eval", str(s.package), "--exec", str(s.function), "-o", "stdout"],
                            capture_output=True, text=True, timeout=120)
        assert fn.returncode == 0 and "kind: HTTPRoute" in fn.stdout, fn.stderr


def test_startup_table_gives_ratios_and_targets() -> None:
    startup = _module("startup")
    rows = [startup.Row("convert", 0.6, 0.2, "python -c 'import yaml'", True),
            startup.Row("version", 0.25, 0.2, "python -c 'import yaml'", False)]
    text = startup.table(rows)
    assert "| convert | 0.60 s | 0.20 s (python -c 'import yaml') | 3.00× | ≤ 3× |" in text
    assert "| version | 0.25 s | 0.20 s (python -c 'import yaml') | 1.25× | — |" in text
    counted = startup.table([startup.Row("convert", 1_331_000_000, 187_000_000, "floor", False)], unit="instructions")
    assert "| convert | 1,331 M | 187 M (floor) | 7.12× | — |" in counted


def test_random_nginx_configurations_are_deterministic_and_varied() -> None:
    import random

    configs = _module("nginx_configs")
    a = [configs.generate(random.Random(s)) for s in range(40)]
    assert a == [configs.generate(random.Random(s)) for s in range(40)]
    text = "\n".join(a)
    for annotation in ("canary-by-header-pattern", "canary-by-cookie", "rewrite-target", "use-regex", "app-root",
                       "permanent-redirect", "from-to-www-redirect", "server-alias", "enable-cors"):
        assert f"nginx.ingress.kubernetes.io/{annotation}" in text, annotation
    plain = configs.generate(random.Random(1), annotations=False)
    assert "nginx.ingress.kubernetes.io/" not in plain and "kind: Ingress" in plain


def test_equivalence_report_counts_every_probe_and_configuration() -> None:
    report = _module("equivalence_report")
    m = report.measure(3, seed=5)
    assert sum(m["probes"].values()) > 0 and sum(m["kinds"].values()) == 3
    text = report.render(m)
    assert text.startswith("3 configurations") and "unexplained" in text
    assert "| probes | share |" in report.render(m, markdown=True)
