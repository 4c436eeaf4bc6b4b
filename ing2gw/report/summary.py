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
    from ing2gw.equivalence.check import VerifyResult

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


#: past this many findings to list, a count by code comes first and each code keeps its first few
SUMMARY_ABOVE = 20
PER_CODE = 5


def render_findings(findings: Sequence[Finding], *, verbose: bool = False, color: bool = False,
                    width: int | None = None, quiet: bool = False) -> str:
    """The findings list `convert` and `migrate` print on stderr: one line each (info only when
    verbose, errors only when quiet), or a rich table with colour; then the one-line summary
    `ing2gw: N error(s), ...`.

    A whole repository gives thousands of findings, most of them the same few codes. When more
    than SUMMARY_ABOVE would be listed, a count per code and severity (all of them, with the
    code's title) comes first, and the list keeps the first PER_CODE findings of each code and
    severity (an error is never hidden behind warnings of its code), saying how many it left
    out; `verbose` lists every one. `quiet` leaves out the count.
    """
    from ing2gw.findings import codes

    listable = [f for f in findings if (f.severity.value == "error" if quiet else
                                        (verbose or f.severity.value != "info"))]
    c = counts(findings)
    summary = (f"ing2gw: {c['error']} error(s), {c['warning']} warning(s), {c['info']} info"
               + ("" if verbose else " (-v to list info)"))
    groups: dict[tuple[int, str], int] = {}
    for f in findings:
        groups[(-f.severity.rank, f.code)] = groups.get((-f.severity.rank, f.code), 0) + 1
    many = len(listable) > SUMMARY_ABOVE
    shown, left_out = listable, {}
    if many and not verbose:
        kept: dict[tuple[int, str], int] = {}
        shown = []
        for f in listable:
            key = (-f.severity.rank, f.code)
            kept[key] = kept.get(key, 0) + 1
            if kept[key] <= PER_CODE:
                shown.append(f)
        left_out = {key: n - PER_CODE for key, n in sorted(kept.items()) if n > PER_CODE}
    names = {f.severity.rank: f.severity.value for f in findings}
    rows = [(names[-rank], n, code, codes()[code].title)
            for (rank, code), n in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))] \
        if many and not quiet else []
    more = ("ing2gw: not listed: " + ", ".join(f"{n} more {names[-rank]} {code}" for (rank, code), n in left_out.items())
            + " (-v lists every finding)") if left_out else ""
    if not color:
        lines = []
        if rows:
            lines.append(f"ing2gw: {len(findings)} findings by code:")
            num = max(len(str(n)) for _, n, _, _ in rows)
            code_w = max(len(code) for _, _, code, _ in rows)
            lines += [f"  {sev:<7}  {n:>{num}}  {code:<{code_w}}  {title}" for sev, n, code, title in rows]
        for f in shown:
            lines.append(f.one_line())
            if f.suggestion and verbose:
                lines.append(f"    -> {f.suggestion}")
        if more:
            lines.append(more)
        return "\n".join([*lines, summary]) + "\n"
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    if rows:
        by = Table(title="findings by code", show_lines=False)
        for col in ("severity", "count", "code", "title"):
            by.add_column(col, overflow="fold", justify="right" if col == "count" else "left")
        for sev, n, code, title in rows:
            by.add_row(Text(sev, style=RICH_STYLES[sev]), str(n), code, title)
        parts.append(by)
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
    if more:
        parts.append(Text(more))
    parts.append(Text(summary, style="bold red" if c["error"] else ("yellow" if c["warning"] else "green")))
    return ansi(parts, width)
