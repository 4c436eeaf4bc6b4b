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

The "Implementation targets" block (markers `support-table:target-matrix`) is rendered from
`mappings/targets/<t>.yaml`: each target's GatewayClass and Gateway API facts, and the target x
intent support matrix (full / partial / none). `render_target_markdown(t)` renders one target's
whole table for `ing2gw mappings --target T -o markdown`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ing2gw import mappings
from ing2gw.mapping_schema import GATEWAY_API_FEATURES, SUPPORT_LEVELS

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


# -- Implementation targets ---------------------------------------------------------------------

#: Targets in README order (the order issue 22 lists them); targets with a table but missing here
#: follow in name order, so a new table is never left out of the matrix.
TARGETS = ("envoy-gateway", "kgateway", "istio", "nginx-gateway-fabric", "traefik", "gke", "aws", "cilium")

TARGET_MATRIX = "target-matrix"

_FEATURE_CELL = {"supported": "yes", "partial": "partial", "unsupported": "no"}


def target_order() -> list[str]:
    """Every target with a table: the README order first, then any other in name order."""
    known = mappings.target_names()
    return [t for t in TARGETS if t in known] + sorted(t for t in known if t not in TARGETS)


def render_target_matrix() -> str:
    """The README's implementation-target block: one table of the targets (GatewayClass, version,
    Gateway API report), one of the Gateway API features they implement, and the target x intent
    matrix with the number of full / partial / none rows per target. Deterministic."""
    targets = target_order()
    tables = {t: mappings.table(f"targets/{t}") for t in targets}
    rows = {t: mappings.target_rows(t) for t in targets}
    intents = mappings.intents()
    lines = [("Generated from `mappings/targets/*.yaml` by `python -m ing2gw.support_table`; do not edit by hand. "
              "`ing2gw mappings --target T` prints a target's whole table (resources, field paths, attachment, "
              "what is lost, docs)."), "",
             "| target | version | GatewayClass `controllerName` | default class | Gateway API (conformance report) |",
             "|---|---|---|---|---|"]
    for t in targets:
        d = tables[t]
        api = d["gatewayAPI"]
        lines.append(f"| `{t}` ({_cell(d['title'])}) | {_cell(d['version'])} | `{_cell(d['controllerName'])}` "
                     f"| `{_cell(d['gatewayClassName'])}` | [{_cell(api['version'])} {_cell(api['channel'])}]({api['report']}) |")
    lines += ["", "| Gateway API feature | " + " | ".join(f"`{t}`" for t in targets) + " |",
              "|---|" + "---|" * len(targets)]
    for feature, meaning in GATEWAY_API_FEATURES.items():
        cells = [_FEATURE_CELL[str(tables[t]["gatewayAPI"]["features"][feature]["support"])] for t in targets]
        lines.append(f"| {_cell(meaning)} | " + " | ".join(cells) + " |")
    lines += ["", "| intent | security | " + " | ".join(f"`{t}`" for t in targets) + " |",
              "|---|---|" + "---|" * len(targets)]
    for name in sorted(intents):
        cells = [str(rows[t][name]["supported"]) for t in targets]
        lines.append(f"| `{name}` | {'yes' if intents[name].security else 'no'} | " + " | ".join(cells) + " |")
    counts = []
    for t in targets:
        n = {level: sum(1 for r in rows[t].values() if r["supported"] == level) for level in SUPPORT_LEVELS}
        counts.append(f"`{t}` " + "/".join(str(n[level]) for level in SUPPORT_LEVELS))
    lines += ["", f"{len(intents)} intents; full/partial/none per target: " + ", ".join(counts) + "."]
    return "\n".join(lines) + "\n"


def render_target_markdown(target: str) -> str:
    """One target's table as Markdown: its GatewayClass and Gateway API facts, then one row per
    intent (support, resources with field paths and attachment, how, what is lost, security, docs)."""
    d = mappings.table(f"targets/{target}")
    api = d["gatewayAPI"]
    lines = [f"### {_cell(d['title'])} (`{target}`, {_cell(d['version'])})", "",
             (f"Generated from `mappings/targets/{target}.yaml`. GatewayClass `controllerName`: "
              f"`{d['controllerName']}`; default class `{d['gatewayClassName']}` "
              f"({_cell(d['gatewayClassConvention'])}). Docs: {d['docs']}"), "",
             f"Gateway API {api['version']} ({api['channel']} channel), [conformance report]({api['report']}):", ""]
    for feature, value in api["features"].items():
        note = f": {_cell(value['note'])}" if value.get("note") else ""
        lines.append(f"* {feature}: {value['support']}{note}")
    for note in d.get("notes") or []:
        lines.append(f"* {_cell(note)}")
    lines += ["", "| intent | support | resources | how | what is lost | security |", "|---|---|---|---|---|---|"]
    for r in d["intents"]:
        res = "; ".join(f"{_cell(x['kind'])} `{_cell(x['apiVersion'])}` "
                        f"({', '.join(_cell(f) for f in x['fields'])}; attach: {', '.join(x['attach'])})"
                        + (" experimental" if x.get("channel") else "") for x in r.get("resources") or [])
        how = _cell(r.get("how")) + (f" (requires {_cell(r['requires'])})" if r.get("requires") else "")
        lines.append(f"| [`{r['intent']}`]({r['docs']}) | {r['supported']}{' (generated)' if r.get('generated') else ''} "
                     f"| {res} | {how} | {_cell(r.get('lost'))} | {'yes' if r['security'] else 'no'} |")
    return "\n".join(lines) + "\n"


def update_target_matrix(path: str | Path = README) -> bool:
    """Rewrite the implementation-target block of the file at `path` (between its
    `support-table:target-matrix` markers; a file without them is left alone); True when the file
    changed."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    start, end = start_marker(TARGET_MATRIX), end_marker(TARGET_MATRIX)
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    if i < 0 or j < 0:
        return False
    new = text[:i] + f"{start}\n{render_target_matrix()}{end}" + text[j + len(end):]
    if new == text:
        return False
    p.write_text(new, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> bool:
    """Rewrite the blocks in each given file (default: the repository's README.md): every controller
    whose markers the file has and the implementation-target matrix when its markers are there; a
    file with no markers at all gets the ingress-nginx block appended. True if any file changed."""
    paths = list(argv) if argv else [str(README)]
    changed = False
    for p in paths:
        text = Path(p).read_text(encoding="utf-8")
        has_matrix = start_marker(TARGET_MATRIX) in text
        present = [c for c in CONTROLLERS if start_marker(c) in text] or ([] if has_matrix else ["ingress-nginx"])
        for controller in present:
            changed = update_readme(p, controller) or changed
        changed = update_target_matrix(p) or changed
    return changed


if __name__ == "__main__":  # pragma: no cover - exercised through the test's subprocess check
    import sys

    main(sys.argv[1:])
