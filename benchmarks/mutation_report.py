"""How many broken translations the equivalence check catches (issue 17): every mutant of every
golden case and of N random ingress-nginx configurations, with and without annotations.

A mutant (tests/mutants.py) is one small change to a correct translation. For each, the script
asks the Gateway API model whether any answer changes (visible), and `verify` whether it reports
the change as unexplained (caught). Visible mutants whose changed answers the ingress-nginx
model does not know (a snippet, a configuration nginx rejects, custom headers) cannot be
compared and are counted apart. Prints a table per operator and the totals; exits 1 when a
comparable visible mutant is missed.

    python benchmarks/mutation_report.py --random 100            # goldens + 100 + 100 configurations
    python benchmarks/mutation_report.py --random 20 --no-golden --seed 500
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from golden_harness import discover, manifests, parse_flags  # noqa: E402
from ing2gw.cli.convert import build_options  # noqa: E402
from ing2gw.load import load_text  # noqa: E402
from ing2gw.translate import translate  # noqa: E402
from mutants import check_mutant, mutants  # noqa: E402

import nginx_configs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--random", type=int, default=50, help="random configurations of each kind (default 50)")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--no-golden", action="store_true", help="leave the golden cases out")
    a = ap.parse_args(argv)
    start = time.perf_counter()
    stats: Counter[tuple[str, str, str]] = Counter()
    missed: list[str] = []
    sets: list[tuple[str, str, list[Any], Any]] = []
    if not a.no_golden:
        sets += [("golden", c.id, manifests(c), build_options(parse_flags(c.flags()))) for c in discover()]
    for kind in ("annotated", "plain"):
        for seed in range(a.seed, a.seed + a.random):
            text = nginx_configs.generate(random.Random(seed), annotations=kind == "annotated")
            sets.append((kind, f"seed {seed}", load_text(text, f"{kind}-{seed}.yaml"), build_options(parse_flags([]))))
    for kind, name, ms, options in sets:
        result = translate(ms, options)
        for m in mutants(result.objects()):
            o = check_mutant(result, ms, options, m)
            state = "invisible" if not o.visible else "caught" if o.caught else \
                "incomparable" if o.incomparable else "missed"
            stats[(kind, m.operator, state)] += 1
            if state == "missed":
                missed.append(f"{kind} {name}: {m.describe()} (visible on {o.visible[:2]})")
    kinds = sorted({k for k, _, _ in stats})
    print(f"{'set':10} {'operator':24} {'visible':>8} {'caught':>8} {'incomp.':>8} {'invisible':>10}")
    for kind in kinds:
        for op in sorted({o for k, o, _ in stats if k == kind}):
            c = {s: stats[(kind, op, s)] for s in ("caught", "missed", "incomparable", "invisible")}
            vis = c["caught"] + c["missed"] + c["incomparable"]
            print(f"{kind:10} {op:24} {vis:8} {c['caught']:8} {c['incomparable']:8} {c['invisible']:10}")
    print()
    for kind in kinds:
        c = {s: sum(n for (k, _, st), n in stats.items() if k == kind and st == s)
             for s in ("caught", "missed", "incomparable", "invisible")}
        comparable = c["caught"] + c["missed"]
        share = c["caught"] / comparable if comparable else 1.0
        print(f"{kind}: {comparable} comparable visible mutants, {c['caught']} caught ({share:.1%}); "
              f"{c['incomparable']} not comparable; {c['invisible']} shown invisible")
    print(f"{time.perf_counter() - start:.0f} s")
    for line in missed[:40]:
        print("MISSED", line)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
