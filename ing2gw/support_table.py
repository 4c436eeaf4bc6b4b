"""The README's "Supported annotations" table, generated from `mappings/<controller>.yaml`.

The table is data-first like everything else: the mapping rows are the single source, the README
block between the `support-table` markers is rendered from them, and `tests/test_mappings_nginx.py`
fails when the two drift. Rewrite the block with::

    python -m ing2gw.support_table            # the repository's README.md
    python -m ing2gw.support_table PATH...    # other files with the same markers
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ing2gw import mappings

#: Statuses in the order the table counts them (the same order as the mapping files' header).
STATUSES = ("converted", "partial", "policy", "unsupported", "ignored")

README = Path(__file__).resolve().parent.parent / "README.md"


def start_marker(controller: str = "ingress-nginx") -> str:
    """The line that opens the generated block for `controller`."""
    return f"<!-- support-table:{controller}:start -->"


def end_marker(controller: str = "ingress-nginx") -> str:
    """The line that closes the generated block for `controller`."""
    return f"<!-- support-table:{controller}:end -->"


def _cell(value: Any) -> str:
    text = "" if value is None else " ".join(str(value).split())
    for raw, safe in (("\\", "\\\\"), ("|", "\\|"), ("*", "\\*"), ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(raw, safe)
    return text


def render_markdown(controller: str = "ingress-nginx") -> str:
    """The Markdown support table of `controller` (key, status, becomes, why lossy, security)
    followed by one line counting the rows per status. Deterministic: rows sorted by key."""
    data = mappings.table(controller)
    prefix = data.get("prefix") or ""
    rows = sorted(data["annotations"], key=lambda r: str(r["key"]))
    counts = {s: 0 for s in STATUSES}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines = [
        f"Generated from `mappings/{controller}.yaml` by `python -m ing2gw.support_table`; do not edit by hand."
        + (f" Keys are under `{prefix}/`." if prefix else ""),
        "",
        "| key | status | becomes | why lossy | security |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| `{_cell(r['key'])}` | {_cell(r['status'])} | {_cell(r.get('becomes'))} "
                     f"| {_cell(r.get('lossy'))} | {'yes' if r.get('security') else 'no'} |")
    lines.append("")
    lines.append(f"{len(rows)} annotations: "
                 + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".")
    return "\n".join(lines) + "\n"


def render_section(controller: str = "ingress-nginx") -> str:
    """The whole README block: start marker, table, end marker."""
    return f"{start_marker(controller)}\n{render_markdown(controller)}{end_marker(controller)}\n"


def readme_block(text: str, controller: str = "ingress-nginx") -> str | None:
    """The text between the markers of `controller` in `text` (None when the markers are absent)."""
    start, end = start_marker(controller), end_marker(controller)
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    if i < 0 or j < 0:
        return None
    return text[i + len(start):j].lstrip("\n")


def update_readme(path: str | Path = README, controller: str = "ingress-nginx") -> bool:
    """Rewrite the generated block of `controller` in the file at `path`; True when the file changed.

    Only the text between the two marker lines is replaced. A file without the markers gets a
    `## Supported annotations` section with the block appended at its end.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    start, end = start_marker(controller), end_marker(controller)
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    if i >= 0 and j >= 0:
        new = text[:i] + render_section(controller).rstrip("\n") + text[j + len(end):]
    else:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        new = f"{text}{sep}## Supported annotations\n\n{render_section(controller)}"
    if new == text:
        return False
    p.write_text(new, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> bool:
    """Rewrite the block in each given file (default: the repository's README.md); True if any changed."""
    paths = list(argv) if argv else [str(README)]
    changed = [update_readme(p) for p in paths]
    return any(changed)


if __name__ == "__main__":  # pragma: no cover - exercised through the test's subprocess check
    import sys

    main(sys.argv[1:])
