"""What every converting command prints and exits with, without building the report: the
findings list with its summary line, and the findings the exit code comes from.

Kept apart from `report.model` and `report.renderers` (pydantic, jinja2) so that a run without
`--report` or `--out-dir` does not import them; rich is imported only for a coloured table.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Sequence

from ing2gw.findings import Finding, Severity, counts

if TYPE_CHECKING:
    from ing2gw.translate import Result
    from ing2gw.verify import VerifyResult

#: the error finding for differences of the equivalence check that no finding explains
UNEXPLAINED_CODE = "ING2GW-VERIFY-003"

#: rich styles of severities and annotation statuses (terminal)
RICH_STYLES = {"error": "bold red", "warning": "yellow", "info": "blue", "converted": "green", "partial": "yellow",
               "policy": "magenta", "unsupported": "red", "ignored": "dim", "unknown": "red", "invalid": "bold red"}


def unexplained_findings(verify: VerifyResult | None) -> list[Finding]:
    """An error finding when the equivalence check found differences no finding explains, so
    that the one exit-code function (`findings.exit_code`) also covers the check."""
    if verify is None or not verify.unexplained:
        return []
    first = next((r for r in verify.differences if not r.explained_by and not r.unverified), None)
    example = f"; e.g. {first.request.describe()}" if first is not None else ""
    return [Finding(Severity.ERROR, UNEXPLAINED_CODE,
                    f"{verify.unexplained} probe(s) are answered differently by the old controller and by the "
                    f"Gateway API objects, and no finding explains why{example}", subject="equivalence check",
                    suggestion="read the equivalence section of the report; fix the translation or the hand edits")]


def exit_findings(result: Result, verify: VerifyResult | None = None) -> list[Finding]:
    """The findings the exit code is computed from (`findings.exit_code`): the translation's,
    plus an error when the equivalence check found an unexplained difference."""
    return [*result.findings, *unexplained_findings(verify)]


def ansi(renderables: Sequence[Any], width: int | None) -> str:
    """Rich renderables as a string with ANSI colours (rendered, never written anywhere)."""
    from rich.color import ColorSystem
    from rich.console import Console

    con = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=width or 120,
                  highlight=False)
    out = []
    for r in renderables:
        for seg in con.render(r):
            out.append(seg.style.render(seg.text, color_system=ColorSystem.STANDARD)
                       if seg.style and not seg.control else seg.text)
    return "".join(out)


def render_findings(findings: Sequence[Finding], *, verbose: bool = False, color: bool = False,
                    width: int | None = None) -> str:
    """The findings list `convert` prints on stderr: one line each (info only when verbose),
    or a rich table with colour; then the one-line summary `ing2gw: N error(s), ...`."""
    shown = [f for f in findings if verbose or f.severity.value != "info"]
    c = counts(findings)
    summary = (f"ing2gw: {c['error']} error(s), {c['warning']} warning(s), {c['info']} info"
               + ("" if verbose else " (-v to list info)"))
    if not color:
        lines = []
        for f in shown:
            lines.append(f.one_line())
            if f.suggestion and verbose:
                lines.append(f"    -> {f.suggestion}")
        return "\n".join([*lines, summary]) + "\n"
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    if shown:
        table = Table(show_lines=False)
        for col in ("severity", "code", "where", "subject", "message"):
            table.add_column(col, overflow="fold")
        for f in shown:
            msg = f"[{f.annotation}] {f.message}" if f.annotation else f.message
            if f.suggestion and verbose:
                msg += f"\n-> {f.suggestion}"
            table.add_row(Text(f.severity.value, style=RICH_STYLES[f.severity.value]), f.code,
                          str(f.origin) if f.origin else "", f.subject, msg)
        parts.append(table)
    parts.append(Text(summary, style="bold red" if c["error"] else ("yellow" if c["warning"] else "green")))
    return ansi(parts, width)
