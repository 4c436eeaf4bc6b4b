"""Render a `Report`: terminal text (plain, or rich tables with colour), Markdown and HTML (jinja2
templates in `ing2gw/templates/`), and JSON (validated by `ing2gw/data/report.schema.json`).

Every renderer is a pure function of the report: same report, same bytes. The HTML page is
self-contained (inline styles, no scripts, no external fonts or images) so that it can be
attached to a pull request or opened offline.
"""

from __future__ import annotations

import functools
import html
from importlib import resources
from typing import Any, Iterable, Iterator, Sequence

import jinja2

from ing2gw import markdown
from ing2gw.errors import UsageError
from ing2gw.report.formats import FORMATS
from ing2gw.report.model import (SEVERITIES, STATUSES, AnnotationRow, Change, FindingRow, IngressEntry, Report,
                                 short_key)
from ing2gw.report.summary import RICH_STYLES, ansi, render_findings

__all__ = ["COLOURS", "FORMATS", "render", "render_findings", "render_json_bytes", "to_json_data"]

#: colours of the chart segments and status badges (HTML) and of rich styles (terminal)
COLOURS = {
    "error": "#c62828", "warning": "#ef6c00", "info": "#1565c0",
    "converted": "#2e7d32", "partial": "#f9a825", "policy": "#6a1b9a", "unsupported": "#c62828",
    "ignored": "#78909c", "unknown": "#8d6e63", "invalid": "#ad1457",
    "equivalent": "#2e7d32", "explained": "#f9a825", "unexplained": "#c62828", "unverified": "#78909c",
}
_RICH = RICH_STYLES


# -- values shared by the templates ------------------------------------------------------------


def fmt_value(v: Any, limit: int = 300) -> str:
    """A value of the lost-in-translation view on one line."""
    if v is None:
        text = "—"
    elif isinstance(v, bool):
        text = "yes" if v else "no"
    elif isinstance(v, dict):
        parts = []
        for k, x in v.items():
            if k == "paths" and isinstance(x, dict):
                parts.append(f"paths: {', '.join(x) if x else 'none'}")
            else:
                parts.append(f"{k}: {fmt_value(x, limit)}")
        text = "; ".join(parts) if parts else "(nothing)"
    else:
        text = str(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_cell(v: Any) -> str:
    """Text safe inside Markdown (table cells, headings, list items): `markdown.text`."""
    return markdown.text(v)


def md_code(v: Any) -> str:
    """Inline code that no backtick inside can close: `markdown.code`."""
    return markdown.code(v)


def notes(row: AnnotationRow) -> list[FindingRow]:
    """The findings of an annotation that say more than its status (handler-specific losses)."""
    return [f for f in row.findings if f.status is None or f.status == "invalid"]


def annotation_notes(entry: Any) -> list[tuple[str, FindingRow]]:
    """(annotation key, finding) for every note of every annotation of an Ingress entry."""
    return [(a.key, f) for a in entry.annotations for f in notes(a)]


def group_title(g: Any) -> str:
    """The heading of a group of differing probes."""
    if g.cause == "unexplained":
        return "UNEXPLAINED: no finding predicts these (a translator bug or a missing finding)"
    if g.cause == "unverified":
        return "unverified: a simulator does not model what these depend on"
    return "explained by " + ", ".join(f"{c} ({t})" for c, t in zip(g.codes, g.titles))


def counts_line(d: dict[str, int], order: Iterable[str]) -> str:
    return ", ".join(f"{d.get(k, 0)} {k}" for k in order)


def objects_line(d: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in d.items()) or "none"


def chart(report: Report) -> list[dict[str, Any]]:
    """Stacked bars of the totals: findings by severity, annotations by status, probes by outcome."""
    t = report.totals
    bars = [("Findings", [(s, t.findings.get(s, 0)) for s in SEVERITIES]),
            ("Annotations", [(s, t.annotations.get(s, 0)) for s in STATUSES])]
    e = report.equivalence
    if e is not None:
        bars.append(("Probes", [("equivalent", e.equivalent), ("explained", e.explained),
                                ("unexplained", e.unexplained), ("unverified", e.unverified)]))
    out = []
    for label, segs in bars:
        total = sum(n for _, n in segs)
        out.append({"label": label, "total": total, "segments": [
            {"name": name, "count": n, "pct": round(100 * n / total, 2) if total else 0, "colour": COLOURS[name]}
            for name, n in segs if n]})
    return out


def lost_summary(changes: Sequence[Change], compared: bool = True) -> str:
    if not compared:
        return "not compared"
    if not changes:
        return "nothing"
    c = {k: sum(1 for x in changes if x.kind == k) for k in ("removed", "changed", "added")}
    return ", ".join(f"{n} {k}" for k, n in c.items() if n)


def source_label(entry: Any) -> str:
    """`ns/name` for an Ingress, `Kind ns/name` for a source of another kind (an IngressRoute)."""
    return (f"{entry.kind} " if entry.kind != "Ingress" else "") + f"{entry.namespace}/{entry.name}"


def objects_text(entry_objects: Sequence[Any]) -> str:
    return "; ".join(f"{o.kind} {o.namespace + '/' if o.namespace else ''}{o.name}" + (f" ({o.note})" if o.note else "")
                     for o in entry_objects) or "nothing"


# -- jinja2 ------------------------------------------------------------------------------------


def _load_template(name: str) -> str:
    return resources.files("ing2gw").joinpath("templates", name).read_text(encoding="utf-8")


def _html_text(value: Any) -> str:
    """Every value an HTML template prints, escaped (jinja2's `finalize`): one fast call per
    value instead of autoescape's Markup objects, which dominate the time for a large report."""
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    return html.escape(str(value))


@functools.cache
def _env(for_html: bool) -> jinja2.Environment:
    # HTML: every printed value is escaped by finalize (the templates hold all the tags);
    # Markdown: table cells are escaped by the `cell` and `code` filters
    env = jinja2.Environment(loader=jinja2.FunctionLoader(_load_template), autoescape=False,
                             finalize=_html_text if for_html else None, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(short=short_key, val=fmt_value, cell=md_cell, code=md_code, anchor=markdown.anchor)
    env.globals.update(notes=notes, annotation_notes=annotation_notes, group_title=group_title,
                       counts_line=counts_line, objects_line=objects_line, lost_summary=lost_summary, source_label=source_label,
                       objects_text=objects_text, SEVERITIES=SEVERITIES, STATUSES=STATUSES, COLOURS=COLOURS)
    return env


def _template(name: str, report: Report) -> str:
    return _env(name.endswith(".html.j2")).get_template(name).render(r=report, chart=chart(report))


def render_chunks(report: Report, fmt: str) -> Iterator[str]:
    """`render(report, fmt)` in pieces whose concatenation is that text: Markdown and HTML as
    the template produces them (jinja2's `generate`, the same text `render` joins), so a file
    writer never holds the whole report as one string (~18 MB of Markdown at 10,000 Ingresses,
    twice while it is joined)."""
    if fmt in ("markdown", "html"):
        name = "report.md.j2" if fmt == "markdown" else "report.html.j2"
        yield from _env(fmt == "html").get_template(name).generate(r=report, chart=chart(report))
    else:
        yield render(report, fmt)


# -- text --------------------------------------------------------------------------------------


def _plain(report: Report) -> str:
    t = report.totals
    out = [report.title, "=" * len(report.title),
           f"Ingresses: {t.ingresses} ({t.translated} translated)",
           f"Findings: {counts_line(t.findings, SEVERITIES)}",
           f"Annotations: {counts_line(t.annotations, STATUSES)}",
           f"Security-relevant losses: {t.security_losses} not accepted, {t.accepted_losses} accepted",
           f"Emitted objects: {objects_line(t.objects)}",
           f"Lost in translation: {counts_line(t.lost, ('removed', 'changed', 'added'))}"]
    e = report.equivalence
    if e is not None:
        out.append(f"Equivalence: {e.probes} probes, {e.equivalent} equivalent, {e.explained} explained, "
                   f"{e.unexplained} unexplained, {e.unverified} unverified")
    for ing in report.ingresses:
        out += ["", f"{ing.kind} {ing.namespace}/{ing.name}  [{ing.severity or 'ok'}]",
                f"  source: {ing.file}:{ing.line}; {ing.controller}, class {ing.ingress_class} ({ing.class_source})",
                f"  became: {objects_text(ing.objects)}"]
        for a in ing.annotations:
            out.append(f"  {a.status:<11} {short_key(a.key)}={a.value or ''}" + ("  [security]" if a.security else "")
                       + ("  [accepted]" if a.accepted else ""))
            for place in a.became:
                out.append(f"      -> {place}")
            if a.lossy and a.status not in ("converted", "ignored"):
                out.append(f"      lossy: {a.lossy}")
            for f in notes(a):
                out.append(f"      {f.severity}: {f.code}: {f.message}")
            if a.suggestion and a.status not in ("converted", "ignored"):
                out.append(f"      do: {a.suggestion}")
        for f in ing.findings:
            out.append(f"  {f.severity}: {f.code}: {f.message}" + (f" -> {f.suggestion}" if f.suggestion else ""))
        if ing.lost.changes:
            out.append("  lost in translation:")
            for c in ing.lost.changes:
                out.append(f"    {c.kind:<8} {c.path}: {fmt_value(c.ingress)} => {fmt_value(c.gateway)}")
    if report.other_findings:
        out += ["", "Findings not tied to one Ingress:"]
        for f in report.other_findings:
            where = f"{f.file}:{f.line}: " if f.file and f.line else (f"{f.file}: " if f.file else "")
            out.append(f"  {where}{f.severity}: {f.code}: {f.subject + ': ' if f.subject else ''}{f.message}")
    if e is not None and e.groups:
        out += ["", "Equivalence differences:"]
        for g in e.groups:
            out.append(f"  {g.count:>5}  {group_title(g)}")
            for x in g.examples:
                out += [f"         {x.request}", f"             old: {x.old}", f"             new: {x.new}"]
    return "\n".join(out) + "\n"


def _rich(report: Report, width: int | None) -> str:
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    t = report.totals
    parts.append(Text(report.title, style="bold"))
    summary = Table(show_header=False, box=None, pad_edge=False)
    summary.add_column(style="bold")
    summary.add_column()
    sev = Text()
    for s in SEVERITIES:
        sev.append(f"{t.findings.get(s, 0)} {s}  ", style=_RICH[s] if t.findings.get(s) else "dim")
    summary.add_row("Ingresses", f"{t.ingresses} ({t.translated} translated)")
    summary.add_row("Findings", sev)
    summary.add_row("Annotations", counts_line(t.annotations, STATUSES))
    summary.add_row("Security losses", f"{t.security_losses} not accepted, {t.accepted_losses} accepted")
    summary.add_row("Objects", objects_line(t.objects))
    e = report.equivalence
    if e is not None:
        summary.add_row("Equivalence", Text(f"{e.probes} probes, {e.equivalent} equivalent, {e.explained} explained, "
                                            f"{e.unexplained} unexplained",
                                            style="bold red" if e.unexplained else "green"))
    parts.append(summary)
    table = Table(title="Ingresses", show_lines=False)
    for col in ("Ingress", "source", "worst", "annotations", "lost in translation"):
        table.add_column(col, overflow="fold")
    for ing in report.ingresses:
        table.add_row(source_label(ing), f"{ing.file}:{ing.line}",
                      Text(ing.severity or "ok", style=_RICH.get(ing.severity or "", "green")),
                      ", ".join(f"{short_key(a.key)} ({a.status})" for a in ing.annotations) or "—",
                      lost_summary(ing.lost.changes, ing.lost.compared))
    parts.append(table)
    rows = [(ing, a) for ing in report.ingresses for a in ing.annotations if a.status not in ("converted", "ignored")]
    if rows:
        at = Table(title="Annotations that were not fully converted")
        for col in ("Ingress", "annotation", "status", "why lossy / what to do"):
            at.add_column(col, overflow="fold")
        for ing, a in rows:
            at.add_row(f"{ing.namespace}/{ing.name}", short_key(a.key) + (" [security]" if a.security else ""),
                       Text(a.status, style=_RICH.get(a.status, "")),
                       " ".join(x for x in (a.lossy, a.suggestion and f"-> {a.suggestion}") if x))
        parts.append(at)
    return ansi(parts, width)


# -- entry point -------------------------------------------------------------------------------


def to_json_data(report: Report) -> dict[str, Any]:
    """The JSON document: `$schema` then the report's fields in declaration order."""
    data: dict[str, Any] = report.model_dump(mode="json", by_alias=True)
    return data


def render_json_bytes(report: Report) -> bytes:
    """The JSON report as UTF-8 bytes, straight from pydantic-core: a file writer needs no str in
    between (at 10,000 Ingresses that str and its encoding were 75 MB of peak memory). Indented
    for people up to a few hundred Ingresses; compact beyond (a third smaller, and rendering
    10,000 Ingresses indented costs ~200 MB of peak memory)."""
    indent = 2 if len(report.ingresses) <= 500 else None
    return report.__pydantic_serializer__.to_json(report, indent=indent, by_alias=True) + b"\n"


def render_json_chunks(report: Report) -> Iterator[bytes]:
    """`render_json_bytes(report)` in pieces: in the compact form (past 500 Ingresses), the report
    without its Ingresses, then each Ingress's entry serialized on its own, spliced in where the
    empty list was. pydantic-core builds the whole document in a growing buffer and copies it
    into the bytes object (and the newline copied it once more): ~40 MB of JSON at 10,000
    Ingresses held two to three times, at what was the run's peak."""
    if len(report.ingresses) <= 500:
        yield render_json_bytes(report)
        return
    shell = report.__pydantic_serializer__.to_json(report.model_copy(update={"ingresses": []}), by_alias=True)
    # compact JSON escapes every quote inside a string: the key and its empty list appear once,
    # unless the layout is not the one expected, and then the document is rendered whole
    at = shell.find(_EMPTY_INGRESSES)
    if at < 0 or shell.find(_EMPTY_INGRESSES, at + 1) >= 0 or not all(
            type(e) is IngressEntry for e in report.ingresses):
        yield render_json_bytes(report)
        return
    cut = at + len(_EMPTY_INGRESSES) - 1
    yield shell[:cut]
    entry = IngressEntry.__pydantic_serializer__
    for n, e in enumerate(report.ingresses):
        yield entry.to_json(e, by_alias=True) if n == 0 else b"," + entry.to_json(e, by_alias=True)
    yield shell[cut:]
    yield b"\n"


_EMPTY_INGRESSES = b'"ingresses":[]'


def render(report: Report, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """The report as text, markdown, html or json (a string ending in a newline)."""
    if fmt == "json":
        return render_json_bytes(report).decode("utf-8")
    if fmt == "markdown":
        return _template("report.md.j2", report)
    if fmt == "html":
        return _template("report.html.j2", report)
    if fmt == "text":
        return _rich(report, width) if color else _plain(report)
    raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
