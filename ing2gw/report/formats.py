"""The report formats and how a file name chooses one (cheap to import: `convert` declares
`--report-format` from it without loading the report)."""

from __future__ import annotations

from pathlib import Path

from ing2gw.errors import UsageError

FORMATS = ("text", "markdown", "html", "json")

#: file extension -> report format
EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".json": "json",
              ".txt": "text"}


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
