"""The README's "Supported annotations" tables, generated from `mappings/<controller>.yaml`.

The tables are data-first like everything else: the mapping rows are the single source, the
README block between a controller's `support-table` markers is rendered from them, and the
`tests/test_mappings_<controller>.py` tests fail when the two drift. Rewrite the blocks with::

    python -m ing2gw.support_table            # the repository's README.md
    python -m ing2gw.support_table PATH...    # other files with the same markers

A table with only `annotations` (ingress-nginx) renders as one Markdown table. A table with more
sections (Traefik: Middlewares, CRD fields, static options; HAProxy: controller flags) renders one
table per section, the larger ones folded in `<details>`, with the `intent` column and, for
HAProxy, where each key is read from in precedence order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ing2gw import mappings

#: Statuses in the order the table counts them (the same order as the mapping files' header).
STATUSES = ("converted", "partial", "policy", "unsupported", "ignored")

#: Controllers with a generated block in the README, in README order.
CONTROLLERS = ("ingress-nginx", "traefik", "haproxy")

#: Section titles, in the order they are rendered; sections not listed here are not rendered.
SECTIONS = {
    "annotations": "Annotations",
    "middlewares": "Middleware types and fields",
    "crd_fields": "CRD fields",
    "static": "Static configuration",
    "flags": "Controller flags",
}

#: Sections shown unfolded; the others are folded in <details> to keep the README readable.
_OPEN_SECTIONS = frozenset({"annotations"})

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
    """The Markdown support tables of `controller`: per section, one row per key (key, status,
    becomes, why lossy, security, and for the tables with intents the intent and, for HAProxy,
    where the key is read from), then one line counting the rows per status. Deterministic:
    rows sorted by key."""
    data = mappings.table(controller)
    prefix = data.get("prefix") or ""
    present = [name for name in SECTIONS if data.get(name)]
    if present == ["annotations"]:
        return _single_table(controller, data, prefix)
    prefixes = [str(p) for p in data.get("prefixes") or ([prefix] if prefix else [])]
    under = " or ".join(", ".join(f"`{p}/`" for p in prefixes).rsplit(", ", 1))
    lines = [f"Generated from `mappings/{controller}.yaml` by `python -m ing2gw.support_table`; do not edit by hand."
             + (f" Annotation keys are under {under}." if prefixes else ""), ""]
    for name in present:
        rows = sorted(data[name], key=lambda r: str(r["key"]))
        table = _section_table(rows, with_sources=any("sources" in r for r in rows))
        count = _count_line(rows, "rows")
        if name in _OPEN_SECTIONS:
            lines += [f"**{SECTIONS[name]}**", "", *table, "", count, ""]
        else:
            lines += [f"<details><summary>{SECTIONS[name]}: {count}</summary>", "", *table, "", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _single_table(controller: str, data: dict[str, Any], prefix: str) -> str:
    """The one-table layout of an annotations-only mapping table (ingress-nginx)."""
    rows = sorted(data["annotations"], key=lambda r: str(r["key"]))
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
    lines.append(_count_line(rows, "annotations"))
    return "\n".join(lines) + "\n"


def _section_table(rows: list[dict[str, Any]], *, with_sources: bool) -> list[str]:
    head = "| key | status | becomes | why lossy | security | intent |" + (" read from (first wins) |" if with_sources else "")
    out = [head, "|---|---|---|---|---|---|" + ("---|" if with_sources else "")]
    for r in rows:
        line = (f"| `{_cell(r['key'])}` | {_cell(r['status'])} | {_cell(r.get('becomes'))} "
                f"| {_cell(r.get('lossy'))} | {'yes' if r.get('security') else 'no'} | {_cell(r.get('intent'))} |")
        if with_sources:
            line += f" {_cell(', '.join(r.get('sources') or []))} |"
        out.append(line)
    return out


def _count_line(rows: list[dict[str, Any]], noun: str) -> str:
    counts = {s: 0 for s in STATUSES}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return f"{len(rows)} {noun}: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + "."


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
    """Rewrite the blocks in each given file (default: the repository's README.md): every controller
    whose markers the file has, or the ingress-nginx block appended when it has none. True if any
    file changed."""
    paths = list(argv) if argv else [str(README)]
    changed = False
    for p in paths:
        text = Path(p).read_text(encoding="utf-8")
        present = [c for c in CONTROLLERS if start_marker(c) in text] or ["ingress-nginx"]
        for controller in present:
            changed = update_readme(p, controller) or changed
    return changed


if __name__ == "__main__":  # pragma: no cover - exercised through the test's subprocess check
    import sys

    main(sys.argv[1:])
