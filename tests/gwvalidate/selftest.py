"""Self-test files and the rule inventory.

A self-test file holds one object, lies in a folder named valid/ or invalid/, and starts with a
comment saying what it tests; `# expect-error: TEXT` / `# expect-warning: TEXT` name text that
some finding's "path: message" of that severity must contain. A valid file must give no error
and no unevaluated rule; an invalid one at least one error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .crds import Registry
from .rules import RuleBook, schema_nodes
from .validate import Report, Validator

_EXPECT = re.compile(r"^# expect-(error|warning): (.+)$", re.M)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one self-test file: problems is empty when the validator was right."""

    file: Path
    problems: tuple[str, ...]
    lines: tuple[str, ...]


def selftest_files(folder: Path) -> list[Path]:
    """Every *.yaml below folder whose parent folder is valid/ or invalid/."""
    return sorted(f for f in folder.rglob("*.yaml") if f.parent.name in ("valid", "invalid"))


def check_file(validator: Validator, path: Path) -> Verdict:
    """Validate one self-test file and compare with what it expects."""
    report = validator.validate_files([path], Report())
    text = path.read_text()
    recs = [r.finding for r in report.records]
    problems = list(report.input_errors)
    errors = [f for f in recs if f.severity == "error"]
    if path.parent.name == "invalid" and not errors:
        problems.append("expected a rejection, got none")
    if path.parent.name == "valid" and (errors or any(f.severity == "unevaluated" for f in recs)):
        problems.append("expected acceptance, got: " + "; ".join(f.line() for f in recs if f.severity != "warning"))
    for severity, want in _EXPECT.findall(text):
        if not any(f.severity == severity and want.strip() in f.line() for f in recs):
            problems.append(f"no {severity} containing {want.strip()!r}")
    if report.objects != 1 or not re.search(r"^# (?!expect-)\S", text, re.M):
        problems.append("a self-test file holds one object and a comment saying what it tests")
    return Verdict(path, tuple(problems), tuple(f"{f.severity}: {f.line()}" for f in recs))


@dataclass(frozen=True)
class RuleEntry:
    """One x-kubernetes-validations rule of one CRD version: where it is and whether it can run."""

    source: str
    kind: str
    version: str
    path: str
    rule: str
    transition: bool
    unsupported: str | None


def rule_inventory(registry: Registry) -> list[RuleEntry]:
    """Every rule of every served or unserved version of every loaded CRD (including allOf)."""
    book, out = RuleBook(), []
    for v in registry.versions():
        for path, node in schema_nodes(v.schema):
            for r in book.rules(node):
                out.append(RuleEntry(v.source.parent.name if v.source.name == "crds" else v.source.name,
                                     v.kind, v.version, path, r.rule, r.transition,
                                     r.program.unsupported or (r.message_program.unsupported
                                                               if r.message_program else None)))
    return out
