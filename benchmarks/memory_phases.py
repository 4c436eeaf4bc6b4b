"""Resident memory of `ing2gw convert` step by step: where the bytes are held, and where they peak.

Runs the command line in this process with the steps of `cli/convert.py` wrapped: after each,
it prints the resident set size (`/proc/self/statm`) and the peak since the previous step
(`VmHWM` of `/proc/self/status`, reset through `/proc/self/clear_refs` after every step, Linux
4.0 and later), and with --tracemalloc the bytes Python has allocated (tracing slows the run
~3x and adds its own bytes to the RSS: read the RSS columns from a run without it).

    python benchmarks/memory_phases.py [--tracemalloc] -- -f CORPUS -R --out-dir OUT --verify

The arguments after `--` are `ing2gw convert`'s. A step that is not in this build is left out
(builds before issue 23's round four rendered the reports with `render` and wrote the tree with
`write_tree`; since, each report is a `TreeWriter.write` line and the tree's files end at
`TreeWriter.finish`).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

#: (module, function): the steps of `convert`, in the order they run
STEPS = (
    ("ing2gw.cli.inputs", "read_input"),
    ("ing2gw.translate", "translate"),
    ("ing2gw.equivalence.verification", "verify_translation"),
    ("ing2gw.cli.verify_render", "render_text"),
    ("ing2gw.report", "build_report"),
    ("ing2gw.report", "render"),
    ("ing2gw.report", "render_json_bytes"),
    ("ing2gw.outdir", "plan_tree"),
    ("ing2gw.outdir", "write_tree"),
    ("ing2gw.outdir", "open_tree"),
    ("ing2gw.outdir", "TreeWriter.write"),
    ("ing2gw.outdir", "TreeWriter.finish"),
)

_PAGE = 4096


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE / 1e6


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return 0.0


def _reset_hwm() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # not Linux, or not allowed: the peak column is then the run's peak so far
        pass


class Recorder:
    """Prints one line per finished step."""

    def __init__(self, traced: bool) -> None:
        self.traced = traced
        self.start = time.perf_counter()
        self.overall = 0.0
        print(f"{'after':<34} {'RSS MB':>8} {'peak MB':>8}" + (f" {'traced MB':>10}" if traced else "")
              + f" {'s':>7}", flush=True)

    def mark(self, label: str) -> None:
        peak = _hwm_mb()
        self.overall = max(self.overall, peak)
        traced = f" {tracemalloc.get_traced_memory()[0] / 1e6:>10.1f}" if self.traced else ""
        print(f"{label:<34} {_rss_mb():>8.1f} {peak:>8.1f}{traced} {time.perf_counter() - self.start:>7.1f}",
              flush=True)
        _reset_hwm()


def _wrap(rec: Recorder, module: str, name: str) -> None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return
    owner: Any = mod
    cls, _, attr = name.rpartition(".")
    if cls:
        owner = getattr(mod, cls, None)
    fn = getattr(owner, attr, None)
    if fn is None:
        return

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        label = name
        if name == "render" and len(args) > 1:
            label = f"render {args[1]}"
        elif name == "TreeWriter.write":
            # the reports and the check's result, one line each; the tree's files in one line
            # (at `finish`)
            if str(args[1]).startswith(("apps/", "platform/")):
                return out
            label = f"write {args[1]}"
        rec.mark(label)
        return out

    setattr(owner, attr, wrapped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracemalloc", action="store_true", help="also print the bytes Python allocated")
    parser.add_argument("convert_args", nargs=argparse.REMAINDER)
    ns = parser.parse_args(argv)
    args = [a for a in ns.convert_args if a != "--"] if ns.convert_args[:1] == ["--"] else ns.convert_args
    if ns.tracemalloc:
        tracemalloc.start()
    from ing2gw.cli import main as cli_main

    rec = Recorder(ns.tracemalloc)
    rec.mark("imports")
    for module, name in STEPS:
        _wrap(rec, module, name)
    code: Callable[[list[str]], int] = cli_main
    rc = code(["convert", *args])
    rec.mark("end")
    print(f"{'peak of the run':<34} {'':>8} {rec.overall:>8.1f}   exit {rc}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
