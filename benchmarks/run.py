"""The performance benchmark: convert and convert --verify against the YAML floor.

For each N (default 1,000, 10,000 and 20,000 Ingresses) it generates the corpus
(benchmarks/corpus.py), then measures in fresh processes:

* floor: parse every file with PyYAML's C loader and write all documents back with its C
  dumper (the least any YAML-to-YAML tool must spend on the same bytes);
* convert: `ing2gw convert -f CORPUS -R --out-dir OUT` (wall time, peak RSS);
* verify: the same with `--verify` (wall time, peak RSS, probes per second of the check);

and prints one table with each time as a ratio to the floor. Each measurement runs --repeat
times (default 2) and the fastest counts. Targets (issue 11, on a 2-core
machine): convert <= 2.5x floor and --verify <= 5x floor at 10,000; peak memory < 1 GiB at
10,000; 20,000 takes <= 2.2x the time of 10,000.

First it prints the start-up figures (benchmarks/startup.py, issue 23): `convert` of one
Ingress against `python -c 'import yaml'`, and the Kustomize plugin and the KRM function on a
one-Ingress kustomization against the plain `kubectl kustomize` (targets <= 3x); with
--instructions also the instructions each Python process executes (valgrind), which the
machine's load does not change. `--sizes ""` measures the start-up only.

    python benchmarks/run.py [--sizes 1000,10000,20000] [--repeat 2] [--instructions] [--markdown docs/performance.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate  # noqa: E402
from startup import LAST_ROWS as STARTUP_ROWS  # noqa: E402
from startup import report as startup_report  # noqa: E402

_FLOOR = r"""
import glob, sys, time, yaml, resource
files = sorted(glob.glob(sys.argv[1] + "/**/*.yaml", recursive=True))
t = time.perf_counter()
docs = []
for f in files:
    with open(f, encoding="utf-8") as fh:
        docs.extend(d for d in yaml.load_all(fh.read(), Loader=yaml.CSafeLoader) if d is not None)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(yaml.dump_all(docs, Dumper=yaml.CSafeDumper))
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_RUN = r"""
import json, resource, sys, time
from ing2gw.cli import main
t = time.perf_counter()
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "seconds": time.perf_counter() - t,
                  "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), file=sys.__stdout__)
"""


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def _family_pss_kb(pid: int) -> int:
    """The proportional set sizes of `pid` and its child processes, summed (shared pages once)."""
    kids: list[str] = []
    for f in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += f.read_text().split()
        except OSError:
            pass
    return _pss_kb(pid) + sum(_pss_kb(int(k)) for k in kids)


#: how often the PSS of the measured process and its children is read: smaps_rollup walks every
#: page table of a ~1 GB process under its memory lock, on the same two cores the check's two
#: processes use (two consecutive --verify runs at 10,000: 50.7 s sampling every 50 ms, 41.9 s
#: every 0.5 s; the machine's own drift is as large, so indicative only); the check's peak lasts
#: seconds, so 0.5 s still finds it
SAMPLE_SECONDS = 0.5


def _run(code: str, *args: str) -> str:
    """Run `code` in a fresh interpreter; its last stdout line. When that is a JSON object with
    `rss_kb`, the figure becomes the largest of the process's own peak RSS and the sum of its and
    its children's PSS sampled every SAMPLE_SECONDS: the check forks a second process on two cores, whose
    private pages a single process's peak would leave out."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak = 0
    sampled = Path(f"/proc/{proc.pid}/smaps_rollup").exists()
    while sampled and proc.poll() is None:
        peak = max(peak, _family_pss_kb(proc.pid))
        time.sleep(SAMPLE_SECONDS)
    out, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"benchmark step failed:\n{err[-2000:]}")
    last = out.strip().splitlines()[-1]
    if last.startswith("{") and '"rss_kb"' in last:
        found = json.loads(last)
        found["rss_kb"] = max(found["rss_kb"], peak)
        last = json.dumps(found)
    return last


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest run's time with the largest peak memory of all runs."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["rss_kb"] = max(r["rss_kb"] for r in runs)
    return best


def measure(n: int, work: Path, repeat: int = 1) -> dict[str, float]:
    corpus = work / f"corpus-{n}"
    generate(n, max(10, n // 50), max(10, n // 10), corpus)
    floor_s = min(float(_run(_FLOOR, str(corpus), str(work / "floor.yaml")).split()[0]) for _ in range(repeat))
    conv = _best([json.loads(_run(_RUN, "convert", "-f", str(corpus), "-R", "--out-dir", str(work / f"out-{n}"),
                                  "--force", "--fail-on", "never")) for _ in range(repeat)])
    ver_dir = work / f"outv-{n}"
    ver = _best([json.loads(_run(_RUN, "convert", "-f", str(corpus), "-R", "--out-dir", str(ver_dir), "--force",
                                 "--fail-on", "never", "--verify", "--verify-output", "json"))
                 for _ in range(repeat)])
    vj = json.loads((ver_dir / "verify.json").read_text())
    check_seconds = ver["seconds"] - conv["seconds"]
    return {"n": n, "floor_s": floor_s, "convert_s": conv["seconds"], "convert_mb": conv["rss_kb"] / 1024,
            "verify_s": ver["seconds"], "verify_mb": ver["rss_kb"] / 1024, "probes": vj["probes"],
            "unexplained": vj["unexplained"], "probes_per_s": vj["probes"] / check_seconds if check_seconds > 0 else 0.0}


def table(rows: list[dict[str, float]]) -> str:
    head = ("| Ingresses | floor (PyYAML C) | convert | ×floor | peak MB | convert --verify | ×floor | peak MB | "
            "probes | probes/s | unexplained |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(f"| {int(r['n']):,} | {r['floor_s']:.1f} s | {r['convert_s']:.1f} s | {r['convert_s'] / r['floor_s']:.2f} | "
                     f"{r['convert_mb']:.0f} | {r['verify_s']:.1f} s | {r['verify_s'] / r['floor_s']:.2f} | "
                     f"{r['verify_mb']:.0f} | {int(r['probes']):,} | {r['probes_per_s']:,.0f} | {int(r['unexplained'])} |")
    by_n = {int(r["n"]): r for r in rows}
    if 10000 in by_n and 20000 in by_n:
        lines.append("")
        lines.append(f"20,000 / 10,000: convert {by_n[20000]['convert_s'] / by_n[10000]['convert_s']:.2f}×, "
                     f"--verify {by_n[20000]['verify_s'] / by_n[10000]['verify_s']:.2f}× (target ≤ 2.05×)")
    return "\n".join(lines)


def issue_table(rows: list[dict[str, float]]) -> str:
    """Issue 23's table of targets, every figure from this run (— where this run did not measure
    it: a size left out, kubectl or kpt missing)."""
    by_n = {int(r["n"]): r for r in rows}
    ten, twenty = by_n.get(10000), by_n.get(20000)
    startup = {w.figure: (w, c) for w, c in STARTUP_ROWS}

    def ratio(figure: str) -> str:
        found = startup.get(figure)
        if found is None:
            return "—"
        w, c = found
        return f"{w.seconds / w.floor:.2f}× wall, {c.seconds / c.floor:.2f}× CPU"

    def startup_met(figure: str) -> str:
        found = startup.get(figure)
        if found is None:
            return "—"
        w, c = found
        return met(max(w.seconds / w.floor, c.seconds / c.floor), 3.0)

    def over_kpt() -> str:
        """The KRM function against kpt running `cat` as the function: what ing2gw adds to kpt."""
        fn, cat = startup.get(krm), startup.get(KPT_CAT)
        if fn is None or cat is None:
            return "—"
        return f"{fn[0].seconds / cat[0].seconds:.2f}× wall, {fn[1].seconds / cat[1].seconds:.2f}× CPU"

    def kpt_alone() -> str:
        cat = startup.get(KPT_CAT)
        return "—" if cat is None else f"{cat[0].seconds / cat[0].floor:.2f}×"

    def met(value: float | None, limit: float, below: bool = False) -> str:
        if value is None:
            return "—"
        return "met" if (value < limit if below else value <= limit) else "**not met**"

    conv = ten["convert_s"] / ten["floor_s"] if ten else None
    ver = ten["verify_s"] / ten["floor_s"] if ten else None
    mb = ten["verify_mb"] if ten else None
    scale = max(twenty["convert_s"] / ten["convert_s"], twenty["verify_s"] / ten["verify_s"]) if ten and twenty else None
    plugin = "Kustomize plugin (`kubectl kustomize --enable-alpha-plugins`)"
    krm = "KRM function (`kpt fn eval --exec`)"
    lines = ["| figure (issue 23) | this run | target | |", "|---|---|---|---|",
             f"| `convert` of one Ingress vs `python -c 'import yaml'` | {ratio('`convert` of one Ingress')} | ≤ 3× | "
             f"{startup_met('`convert` of one Ingress')} |",
             f"| `convert` of 10,000 Ingresses vs the floor | {f'{conv:.2f}×' if conv else '—'} | ≤ 2.0× | {met(conv, 2.0)} |",
             f"| `convert --verify` of 10,000 vs the floor | {f'{ver:.2f}×' if ver else '—'} | ≤ 3.0× | {met(ver, 3.0)} |",
             f"| peak memory of `convert --verify` at 10,000 | {f'{mb:,.0f} MB' if mb else '—'} | < 600 MB | "
             f"{met(mb, 600, below=True)} |",
             f"| 20,000 / 10,000 wall time, the larger of both modes | {f'{scale:.2f}×' if scale else '—'} | ≤ 2.05× | "
             f"{met(scale, 2.05)} |",
             f"| Kustomize plugin vs plain `kubectl kustomize` | {ratio(plugin)} | ≤ 3× | {startup_met(plugin)} |",
             f"| KRM function vs plain `kubectl kustomize` | {ratio(krm)} | ≤ 3× | {startup_met(krm)} (kpt alone, "
             f"with `cat` as the function: {kpt_alone()}) |",
             f"| for reference: KRM function vs kpt with `cat` as the function | {over_kpt()} | — | |"]
    return "\n".join(lines)


#: the start-up row of kpt running `cat` (kpt's own cost, benchmarks/startup.py)
KPT_CAT = "for reference: kpt with `cat` as the function"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), Python "
            f"{platform.python_version()}, load average {load:.2f} at start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,20000")
    ap.add_argument("--markdown", type=Path, help="also write the table into this Markdown file")
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs of each measurement; the fastest counts (a shared machine's noise only "
                         "ever adds time). Default 2.")
    ap.add_argument("--instructions", action="store_true",
                    help="also count the instructions of the start-up processes (valgrind, about a minute)")
    a = ap.parse_args()
    rows = []
    info = machine() + f", best of {a.repeat} run{'s' if a.repeat > 1 else ''}"
    startup = startup_report(a.repeat, a.instructions)
    print("measured the start-up figures", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ing2gw-bench-") as tmp:
        for n in (int(x) for x in a.sizes.split(",") if x.strip()):
            t = time.perf_counter()
            rows.append(measure(n, Path(tmp), a.repeat))
            print(f"measured {n:,} Ingresses in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    print(info)
    print(startup)
    if rows:
        print(table(rows))
    summary = issue_table(rows)
    print(summary)
    if a.markdown:
        write_markdown(a.markdown, f"Measured on: {info}\n\n{startup}\n", STARTUP_BEGIN, STARTUP_END)
        if rows:
            write_markdown(a.markdown, f"Measured on: {info}\n\n{table(rows)}\n")
        write_markdown(a.markdown, f"Measured on: {info}\n\n{summary}\n", SUMMARY_BEGIN, SUMMARY_END)


BEGIN, END = "<!-- benchmarks/run.py: begin -->", "<!-- benchmarks/run.py: end -->"
SUMMARY_BEGIN, SUMMARY_END = "<!-- benchmarks/run.py issue 23: begin -->", "<!-- benchmarks/run.py issue 23: end -->"
STARTUP_BEGIN, STARTUP_END = "<!-- benchmarks/run.py start-up: begin -->", "<!-- benchmarks/run.py start-up: end -->"


def write_markdown(path: Path, block: str, begin: str = BEGIN, end: str = END) -> None:
    """Put the table between the `begin`/`end` markers of `path`, keeping the prose around
    them (appended at the end when the file has no such markers yet; the whole file when it
    does not exist)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = f"{head}{begin}\n{block}{end}{rest.split(end, 1)[1]}"
    elif text:
        text = f"{text.rstrip()}\n\n{begin}\n{block}{end}\n"
    else:
        text = f"{begin}\n{block}{end}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
