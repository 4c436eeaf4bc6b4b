"""The migration report: what a platform engineer reads before merging a migration.

`build_report` turns a translation `Result` (and the equivalence check's `VerifyResult`) into
a `Report` value; `render` writes it as terminal text, Markdown, HTML or JSON; `write_report`
writes one atomically. The report layer never prints: `ing2gw/cli` decides where text goes.

    report = build_report(result, verified, title="shop")
    write_report("out/report.html", report)             # format from the extension
    text = render(report, "markdown")

Importing this package is cheap: the report model (pydantic) and the renderers (jinja2, rich)
are imported by the functions that use them, so that `convert` without `--report` never loads
them. The findings summary and the exit-code findings live in `report.summary`, the formats in
`report.formats`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ing2gw.report.formats import FORMATS, format_for_path
from ing2gw.report.summary import exit_findings, render_findings, unexplained_findings

if TYPE_CHECKING:
    from ing2gw.report.model import Report
    from ing2gw.translate import Result
    from ing2gw.equivalence.check import VerifyResult

__all__ = ["FORMATS", "build_report", "exit_findings", "format_for_path", "render", "render_findings",
           "render_chunks",
           "render_json_bytes", "render_json_chunks", "unexplained_findings", "write_report"]


def build_report(result: Result, verify: VerifyResult | None = None, *, title: str | None = None) -> Report:
    """The report of a translation and, when it ran, of its equivalence check."""
    from ing2gw.report.model import build

    return build(result, verify, title=title)


def render(report: Report, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """The report as text, markdown, html or json (a string ending in a newline)."""
    from ing2gw.report import renderers

    return renderers.render(report, fmt, color=color, width=width)


def render_json_bytes(report: Report) -> bytes:
    """The JSON report as UTF-8 bytes (see `report.renderers.render_json_bytes`)."""
    from ing2gw.report import renderers

    return renderers.render_json_bytes(report)


def render_chunks(report: Report, fmt: str) -> Iterator[str]:
    """`render(report, fmt)` in pieces, for a file written as it is rendered."""
    from ing2gw.report import renderers

    return renderers.render_chunks(report, fmt)


def render_json_chunks(report: Report) -> Iterator[bytes]:
    """`render_json_bytes(report)` in pieces, for a file written as it is rendered."""
    from ing2gw.report import renderers

    return renderers.render_json_chunks(report)


def write_report(path: str, report: Report, fmt: str | None = None) -> None:
    """Write the report to `path` atomically, in `fmt` or the format its extension names."""
    from ing2gw.fsutil import atomic_write

    atomic_write(Path(path), render(report, format_for_path(path, fmt)))
