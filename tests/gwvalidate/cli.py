"""The command line: `python tests/gwvalidate [options] PATH...` (see the package docstring)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from .crds import Registry
from .selftest import check_file, rule_inventory, selftest_files
from .validate import DATA, STANDARD_CRDS, Validator, implementation_crd_folders
from .yamlio import InputError


def _registry(crds: list[str] | None, with_implementations: bool) -> Registry:
    folders = [Path(d) for d in crds] if crds else [STANDARD_CRDS]
    if with_implementations:
        folders += [d for d in implementation_crd_folders() if d not in folders]
    return Registry(folders)


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 valid, 1 errors or unevaluated rules, 2 usage or unreadable input."""
    ap = argparse.ArgumentParser(prog="gwvalidate", description="Validate Gateway API (and implementation) "
                                 "objects as an API server with these CRDs would: OpenAPI schema and CEL rules.")
    ap.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (*.yaml, *.yml, *.json)")
    ap.add_argument("--crds", action="append", metavar="DIR",
                    help=f"folder of CRDs, repeatable; later folders win (default: {STANDARD_CRDS})")
    ap.add_argument("--with-implementations", action="store_true",
                    help="also load every tests/data/gateway-api/implementations/*/crds folder")
    ap.add_argument("--json", action="store_true", help="print the findings and a summary as JSON")
    ap.add_argument("--selftest", action="store_true",
                    help="run the self-test files (tests/data/gateway-api/selftest, with the implementation CRDs)")
    ap.add_argument("--rules", action="store_true", help="list the CEL rules of the loaded CRDs and whether each runs")
    a = ap.parse_args(argv)
    if not (a.paths or a.selftest or a.rules):
        ap.error("no PATH given")
    try:
        registry = _registry(a.crds, a.with_implementations or a.selftest)
    except InputError as e:
        print(f"gwvalidate: {e}", file=sys.stderr)
        return 2
    if a.rules:
        return _rules(registry)
    if a.selftest:
        return _selftest(Validator(registry))
    missing = [p for p in a.paths if not Path(p).exists()]
    if missing:
        print(f"gwvalidate: {missing[0]}: no such file or folder", file=sys.stderr)
        return 2
    report = Validator(registry).validate_files([Path(p) for p in a.paths])
    if a.json:
        print(json.dumps({"findings": [r.as_dict() for r in report.records], "input_errors": report.input_errors,
                          "summary": {"objects": report.objects, "errors": report.count("error"),
                                      "warnings": report.count("warning"), "unevaluated": report.count("unevaluated"),
                                      "skipped": dict(sorted(report.skipped.items())),
                                      "seconds": round(report.seconds, 3)}}, indent=2))
    else:
        for r in report.records:
            if r.finding.severity != "note":
                print(r.line())
        for problem in report.input_errors:
            print(problem, file=sys.stderr)
        print(f"validated {report.objects} objects: {report.count('error')} errors, {report.count('warning')} "
              f"warnings, {report.count('unevaluated')} unevaluated rules ({report.seconds:.1f}s)")
    if report.input_errors:
        return 2
    return 0 if report.ok() else 1


def _rules(registry: Registry) -> int:
    entries = rule_inventory(registry)
    by_source = Counter(e.source for e in entries)
    for source in sorted(by_source):
        mine = [e for e in entries if e.source == source]
        transition = sum(e.transition for e in mine)
        bad = [e for e in mine if e.unsupported]
        print(f"{source}: {len(mine)} rules, {len(mine) - transition - len(bad)} evaluated on create, "
              f"{transition} transition rules (oldSelf: not applicable to create), {len(bad)} cannot be evaluated")
        for entry in bad:
            print(f"  UNEVALUATED {entry.kind}/{entry.version} {entry.path}: {entry.unsupported}: {entry.rule}")
    return 1 if any(e.unsupported for e in entries) else 0


def _selftest(validator: Validator) -> int:
    files = selftest_files(DATA / "selftest")
    bad = 0
    for f in files:
        v = check_file(validator, f)
        bad += bool(v.problems)
        print(("FAIL " if v.problems else "ok   ") + str(f.relative_to(DATA / "selftest")))
        for p in v.problems:
            print(f"     {p}")
    print(f"selftest: {len(files) - bad}/{len(files)} right")
    return 1 if bad or not files else 0
