"""The migration report: what a platform engineer reads before merging a migration.

`build_report` turns a translation `Result` (and the equivalence check's `VerifyResult`) into
a `Report` value; `render` writes it as terminal text, Markdown, HTML or JSON; `write_report`
writes one atomically. The report layer never prints: `ing2gw/cli` decides where text goes.

    report = build_report(result, verified, title="shop")
    write_report("out/report.html", report)             # format from the extension
    text = render(report, "markdown")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ing2gw.errors import UsageError
from ing2gw.findings import Finding
from ing2gw.report.model import SCHEMA_ID, SCHEMA_VERSION, Report, build, unexplained_findings
from ing2gw.report.render import FORMATS, render, render_findings, render_json_bytes

if TYPE_CHECKING:
    from ing2gw.translate import Result
    from ing2gw.verify import VerifyResult

__all__ = ["FORMATS", "SCHEMA_ID", "SCHEMA_VERSION", "Report", "build_report", "exit_findings", "format_for_path",
           "render", "render_findings", "render_json_bytes", "unexplained_findings", "write_report"]

#: file extension -> report format
EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".json": "json",
              ".txt": "text"}


def build_report(result: "Result", verify: "VerifyResult | None" = None, *, title: str | None = None) -> Report:
    """The report of a translation and, when it ran, of its equivalence check."""
    return build(result, verify, title=title)


def exit_findings(result: "Result", verify: "VerifyResult | None" = None) -> list[Finding]:
    """The findings the exit code is computed from (`findings.exit_code`): the translation's,
    plus an error when the equivalence check found an unexplained difference."""
    return [*result.findings, *unexplained_findings(verify)]


def format_for_path(path: str, override: str | None = None) -> str:
    """The report format for `path`: `override` when given, else from the file extension."""
    if override is not None:
        if override not in FORMATS:
            raise UsageError(f"unknown report format {override!r}; choose one of {', '.join(FORMATS)}")
        return override
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise UsageError(f"cannot tell the report format from {path!r}: use a .md, .html, .json or .txt file name, "
                         "or pass --report-format text|markdown|html|json")
    return EXTENSIONS[ext]


def write_report(path: str, report: Report, fmt: str | None = None) -> None:
    """Write the report to `path` atomically, in `fmt` or the format its extension names."""
    from ing2gw.outdir import atomic_write

    atomic_write(Path(path), render(report, format_for_path(path, fmt)))
