"""MIGRATION.md: a migration plan described for a pull request (jinja2 template
`ing2gw/templates/MIGRATION.md.j2`). Deterministic: same plan, same text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2

from ing2gw.batch import Plan
from ing2gw.findings import Severity, counts
from ing2gw.verify import VerifyResult

MAX_FINDINGS = 60
MAX_DIFFERENCES = 20


@dataclass(frozen=True)
class Stats:
    files_scanned: int
    found: int
    translated: int
    removed: int
    created: int
    modified: int
    deleted: int
    errors: int
    warnings: int
    infos: int
    gateways: int
    platform_dir: str
    remove_ingress: bool
    equivalence: str


@functools.cache
def _template() -> jinja2.Template:
    text = (resources.files("ing2gw") / "templates" / "MIGRATION.md.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["tt"] = lambda v: f"`{v}`"
    return env.from_string(text)


def stats(plan: Plan, verify: VerifyResult | None = None) -> Stats:
    c = counts(plan.findings)
    if verify is None:
        eq = "not run (`--verify`)"
    else:
        eq = (f"{verify.probes} probes: {verify.equivalent} equivalent, {verify.explained} explained, "
              f"{verify.unexplained} unexplained")
    return Stats(
        files_scanned=plan.files_scanned, found=len(plan.ingresses),
        translated=sum(1 for r in plan.ingresses if r.translated), removed=sum(1 for r in plan.ingresses if r.removed),
        created=sum(1 for ch in plan.changes if ch.action == "create"),
        modified=sum(1 for ch in plan.changes if ch.action == "modify"),
        deleted=sum(1 for ch in plan.changes if ch.action == "delete"),
        errors=c["error"], warnings=c["warning"], infos=c["info"],
        gateways=len([o for o in (plan.result.platform if plan.result else []) if o.get("kind") == "Gateway"]),
        platform_dir=plan.options.platform_dir, remove_ingress=plan.options.remove_ingress, equivalence=eq)


def render_migration(plan: Plan, verify: VerifyResult | None = None, *, command: str = "ing2gw migrate") -> str:
    """The text of MIGRATION.md for `plan` (and the equivalence check, when it ran)."""
    # these have their own sections
    skip = {"ING2GW-BATCH-001", "ING2GW-BATCH-002", "ING2GW-BATCH-003", "ING2GW-BATCH-008"}
    checks = [f for f in plan.findings if f.severity is not Severity.INFO and f.code not in skip]
    checks.sort(key=lambda f: (-f.severity.rank, f.sort_key()))
    differences: list[dict[str, Any]] = []
    if verify is not None:
        recs = sorted(verify.differences, key=lambda r: (bool(r.explained_by), r.request.describe()))
        for r in recs[:MAX_DIFFERENCES]:
            d = r.to_dict()
            differences.append({"request": d["request"], "old": _brief(d["old"]), "new": _brief(d["new"]),
                                "explained_by": d["explained_by"]})
    return _template().render(
        s=stats(plan, verify), command=command, namespaces=plan.namespaces, changes=plan.changes,
        overlays=plan.overlays, charts=plan.charts, gitops=plan.gitops,
        kept=[r for r in plan.ingresses if r.kept_because],
        checks=checks[:MAX_FINDINGS], more_checks=max(0, len(checks) - MAX_FINDINGS),
        verify=verify, differences=differences,
        more_differences=max(0, len(verify.differences) - MAX_DIFFERENCES) if verify else 0)


def _brief(a: dict[str, Any]) -> str:
    if a.get("redirect"):
        r = a["redirect"]
        return f"{r.get('status')} → {r.get('location')}"
    b = a.get("backend")
    if b:
        return f"{a.get('status')} {b.get('namespace')}/{b.get('name')}:{b.get('port')}"
    if not a.get("status"):
        return f"no response ({a.get('generated_by') or 'connection fails'})"
    return str(a.get("status"))
