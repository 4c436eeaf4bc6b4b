"""Findings: every loss of meaning, every doubt, every input problem the translation met.

A `Finding` is a frozen value. Codes are stable (`ING2GW-<AREA>-NNN`) and declared once, with
their long explanation, in `ing2gw/data/codes-<area>.yaml`; constructing a Finding with an
undeclared code fails, so a typo cannot ship. `exit_code` is the one place that turns findings
and `--fail-on` into a process exit status.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ing2gw.origin import Origin

if TYPE_CHECKING:
    from ing2gw.equivalence.prediction import Prediction


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self.value]


_RANK = {"error": 3, "warning": 2, "info": 1}

#: Exit codes (documented in the README).
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

FAIL_ON_CHOICES = ("error", "warning", "info", "never")


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What a finding code means, for `ing2gw explain` and the report."""

    code: str
    title: str
    severity: str
    explanation: str
    docs: str = ""
    #: what findings of this code predict in the equivalence check (none: they explain nothing)
    predicts: tuple[Prediction, ...] = ()


def _data_dir() -> Path:
    """The package's data folder: beside this module in a checkout, an editable install and a
    wheel alike (found without importing importlib.resources, which a small run pays for)."""
    return Path(__file__).resolve().parent / "data"


@functools.cache
def _codes_file(name: str) -> dict[str, CodeInfo]:
    """The codes declared in one data file (empty when there is no such file)."""
    from ing2gw.datafile import load_data
    # on first read of a codes file, not at import: `--version` and `--help` read none
    from ing2gw.equivalence.prediction import parse as parse_predictions

    entry = _data_dir() / name
    if not entry.is_file():
        return {}
    table = load_data(entry.read_text(encoding="utf-8"), f"ing2gw/data/{name}") or {}
    return {code: CodeInfo(code=code, title=row["title"], severity=row["severity"],
                           explanation=row["explanation"].strip(), docs=row.get("docs", ""),
                           predicts=parse_predictions(code, row.get("predicts")))
            for code, row in table.items()}


@functools.cache
def codes() -> dict[str, CodeInfo]:
    """Every declared finding code, loaded from the package's data files."""
    out: dict[str, CodeInfo] = {}
    for entry in sorted(_data_dir().iterdir(), key=lambda e: e.name):
        if not (entry.name.startswith("codes-") and entry.name.endswith(".yaml")):
            continue
        for code, info in _codes_file(entry.name).items():
            if code in out:
                raise ValueError(f"finding code {code} is declared twice ({entry.name})")
            out[code] = info
    return out


def code_info(code: str) -> CodeInfo | None:
    """What `code` means, or None when it is undeclared. A one-Ingress run constructs a handful
    of findings: reading the file their area names (`ING2GW-CORE-…` in codes-core.yaml) rather
    than every file saves most of the reading; any other code reads them all."""
    area = code.split("-")[1].lower() if code.count("-") >= 2 else ""
    info = _codes_file(f"codes-{area}.yaml").get(code) if area.isalpha() else None
    return info if info is not None else codes().get(code)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the user should know about a translation.

    `subject` names the object concerned ("Ingress shop/web"); `annotation`/`value` are set for
    annotation findings; `status` is the mapping status for annotation findings (converted,
    partial, policy, unsupported, ignored, unknown); `accepted` marks a loss the user accepted
    with --allow-weakened (then severity is at most warning).
    """

    severity: Severity
    code: str
    message: str
    origin: Origin | None = None
    subject: str = ""
    annotation: str | None = None
    value: str | None = None
    suggestion: str | None = None
    status: str | None = None
    security: bool = False
    accepted: bool = False
    details: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.severity, Severity):
            object.__setattr__(self, "severity", Severity(self.severity))
        if code_info(self.code) is None:
            raise ValueError(f"undeclared finding code {self.code!r}: add it to ing2gw/data/codes-*.yaml")

    def sort_key(self) -> tuple[Any, ...]:
        o = self.origin
        return (o.file if o else "", o.line if o else 0, o.item if o and o.item is not None else -1,
                self.subject, self.code, self.annotation or "", self.message)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"severity": self.severity.value, "code": self.code, "message": self.message}
        if self.subject:
            d["subject"] = self.subject
        if self.origin is not None:
            d["origin"] = self.origin.to_dict()
        for k in ("annotation", "value", "suggestion", "status"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        if self.security:
            d["security"] = True
        if self.accepted:
            d["accepted"] = True
        if self.details:
            d["details"] = dict(self.details)
        return d

    def one_line(self) -> str:
        where = f"{self.origin}: " if self.origin else ""
        subj = f"{self.subject}: " if self.subject else ""
        ann = f"[{self.annotation}] " if self.annotation else ""
        return f"{where}{self.severity.value}: {self.code}: {subj}{ann}{self.message}"


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in a stable order (origin, then code), duplicates removed."""
    seen: set[Finding] = set()
    out = []
    for f in sorted(findings, key=Finding.sort_key):
        if f not in seen:
            seen.add(f)
            out.append(f)
    return out


def exit_code(findings: Iterable[Finding], fail_on: str = "error") -> int:
    """0 when no finding is at or above `fail_on`, else 1. `never` always gives 0."""
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, not {fail_on!r}")
    if fail_on == "never":
        return EXIT_OK
    threshold = _RANK[fail_on]
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in findings) else EXIT_OK


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Number of findings per severity, every severity present."""
    c = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        c[f.severity.value] += 1
    return c
