"""How exactly ing2gw's translations route, measured (issue 17): N random annotated ingress-nginx
configurations (benchmarks/nginx_configs.py), each translated and checked by the equivalence
check with strict explanations.

Prints the share of probes that are equivalent, explained (a finding predicted that very
difference: something Gateway API cannot express, or an input ing2gw lacks), unexplained and
unverified; the share of configurations with no difference at all, with only explained
differences, with an unverified one and with an unexplained one; and which findings explain
how many probes. `--plain` measures configurations without annotations instead.

    python benchmarks/equivalence_report.py --configs 500
    python benchmarks/equivalence_report.py --configs 200 --plain --markdown
    python benchmarks/equivalence_report.py --configs 500 --default-certificate
    python benchmarks/equivalence_report.py --configs 200 --policies --target envoy-gateway

`--policies` adds basic and external authentication, rate limits and body-size limits to the
same configurations (drawn apart, so a seed gives the same Ingresses otherwise); `--target T`
converts for implementation T, whose policies then carry what they can.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from ing2gw.load import load_text  # noqa: E402
from ing2gw.options import Options  # noqa: E402
from ing2gw.translate import translate  # noqa: E402
from ing2gw.equivalence.verification import verify_translation  # noqa: E402

import nginx_configs  # noqa: E402


def measure(configs: int, seed: int = 0, annotations: bool = True,
            flags: tuple[str, ...] = (), target: str | None = None, policies: bool = False) -> dict[str, object]:
    """Run the check on `configs` random configurations; the counts the report prints."""
    probes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    for s in range(seed, seed + configs):
        text = nginx_configs.generate(random.Random(s), annotations=annotations,
                                      policy_rng=random.Random(10 ** 9 + s) if policies else None)
        ms = load_text(text, f"random-{s}.yaml")
        options = Options(nginx_flags=flags, target=target)
        v = verify_translation(translate(ms, options), ms, options)
        probes.update(equivalent=v.equivalent, explained=v.explained, unexplained=v.unexplained,
                      unverified=v.unverified)
        if v.unexplained:
            kinds["unexplained"] += 1
        elif v.unverified:
            kinds["unverified"] += 1
        elif v.explained:
            kinds["explained only"] += 1
        else:
            kinds["no difference"] += 1
        for cause, n in v.cause_counts.items():
            if cause[0] not in ("UNEXPLAINED", "UNVERIFIED"):
                for c in cause:
                    codes[c] += n
    return {"configs": configs, "probes": probes, "kinds": kinds, "codes": codes}


def render(m: dict[str, object], markdown: bool = False) -> str:
    probes: Counter[str] = m["probes"]  # type: ignore[assignment]
    kinds: Counter[str] = m["kinds"]  # type: ignore[assignment]
    codes: Counter[str] = m["codes"]  # type: ignore[assignment]
    n = m["configs"]
    assert isinstance(n, int)
    total = sum(probes.values()) or 1
    lines = []
    if markdown:
        lines += ["| probes | share |", "|---|---|"]
        lines += [f"| {k} | {probes[k] / total:.1%} ({probes[k]}) |"
                  for k in ("equivalent", "explained", "unexplained", "unverified")]
        lines += ["", "| configurations | share |", "|---|---|"]
        lines += [f"| {k} | {kinds[k] / n:.1%} ({kinds[k]}) |"
                  for k in ("no difference", "explained only", "unverified", "unexplained")]
    else:
        lines.append(f"{n} configurations, {total} probes")
        lines += [f"  probes {k:14} {probes[k] / total:7.1%}  ({probes[k]})"
                  for k in ("equivalent", "explained", "unexplained", "unverified")]
        lines += [f"  configurations {k:14} {kinds[k] / n:7.1%}  ({kinds[k]})"
                  for k in ("no difference", "explained only", "unverified", "unexplained")]
        exact = kinds["no difference"] + kinds["explained only"]
        lines.append(f"  configurations that route like ingress-nginx apart from predicted differences: "
                     f"{exact / n:.1%}")
        lines.append("  explained probes by finding code:")
        lines += [f"    {c} {k}" for k, c in codes.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plain", action="store_true", help="configurations without annotations")
    ap.add_argument("--markdown", action="store_true", help="the two tables as Markdown")
    ap.add_argument("--default-certificate", action="store_true",
                    help="convert with --nginx-flag=--default-ssl-certificate=ingress-nginx/default-cert: HTTPS for "
                         "hosts without TLS and unknown hosts is then expressible")
    ap.add_argument("--target", help="convert for this implementation (ing2gw mappings --target lists them)")
    ap.add_argument("--policies", action="store_true",
                    help="add basic/external auth, rate and body-size limits to the configurations")
    a = ap.parse_args(argv)
    start = time.perf_counter()
    flags = ("--default-ssl-certificate=ingress-nginx/default-cert",) if a.default_certificate else ()
    m = measure(a.configs, a.seed, annotations=not a.plain, flags=flags, target=a.target, policies=a.policies)
    print(render(m, a.markdown))
    print(f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
