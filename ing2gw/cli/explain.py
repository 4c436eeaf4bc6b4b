"""`ing2gw explain CODE` and `ing2gw mappings [CONTROLLER]`: the reference, from the data files."""

from __future__ import annotations

import difflib
import json
import os
import sys
import textwrap
from typing import Any

import click

from ing2gw import mappings as tables
from ing2gw.errors import UsageError
from ing2gw.findings import EXIT_OK, codes
from ing2gw.mapping_schema import SUPPORT_LEVELS
from ing2gw.report.model import code_docs
from ing2gw.serialize import to_yaml
from ing2gw.support_table import STATUSES, render_markdown, render_target_markdown


def color_allowed(no_color: bool, stream: Any) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set (https://no-color.org)."""
    return not no_color and "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def _controllers() -> list[str]:
    d = tables.mappings_dir()
    return sorted(p.name[:-5] for p in d.iterdir()
                  if p.name.endswith(".yaml") and p.name not in ("controllers.yaml", "intents.yaml"))


def _annotation_rows(term: str) -> list[tuple[str, dict[str, Any]]]:
    """(controller, row) for an annotation key, short (`rewrite-target`) or with its prefix."""
    out = []
    for ctl in _controllers():
        data = tables.table(ctl)
        prefix = str(data.get("prefix") or "")
        short = term[len(prefix) + 1:] if prefix and term.startswith(prefix + "/") else term
        out += [(ctl, r) for r in data.get("annotations") or [] if r.get("key") == short]
    return out


@click.command()
@click.argument("code")
def explain(code: str) -> int:
    """Print the long explanation of a finding CODE and where to read more.

    CODE is case-insensitive (`ing2gw explain ing2gw-core-006`, or just `core-006`). An
    annotation key (`rewrite-target`, `nginx.ingress.kubernetes.io/rewrite-target`) prints its
    row of the mapping table instead.

    \b
    Examples:
      ing2gw explain ING2GW-CORE-006
      ing2gw explain whitelist-source-range

    \b
    Exit codes: 0 found; 2 unknown code.
    """
    known = codes()
    wanted = code.strip().upper()
    if wanted not in known and f"ING2GW-{wanted}" in known:
        wanted = f"ING2GW-{wanted}"
    info = known.get(wanted)
    if info is not None:
        click.echo(f"{info.code}: {info.title}")
        click.echo(f"severity: {info.severity}")
        click.echo("")
        for para in info.explanation.split("\n\n"):
            click.echo(textwrap.fill(" ".join(para.split()), width=96))
            click.echo("")
        click.echo(f"docs: {code_docs(info.code)}")
        return EXIT_OK
    rows = _annotation_rows(code.strip())
    if rows:
        for ctl, r in rows:
            security = " (security-relevant)" if r.get("security") else ""
            click.echo(f"{ctl} annotation {r['key']}: {r['status']}{security}")
            click.echo(f"becomes: {r.get('becomes') or 'nothing'}")
            if r.get("intent"):
                click.echo(f"intent: {r['intent']} (ing2gw mappings --target T says how target T carries it)")
            if r.get("lossy"):
                click.echo(textwrap.fill(f"lossy: {' '.join(str(r['lossy']).split())}", width=96,
                                         subsequent_indent="  "))
            for target, policy in sorted((r.get("targets") or {}).items()):
                click.echo(f"with --target {target}: {policy}")
            if r.get("docs"):
                click.echo(f"docs: {r['docs']}")
        return EXIT_OK
    close = difflib.get_close_matches(wanted, list(known), n=3, cutoff=0.6)
    hint = f" — did you mean {' or '.join(close)}?" if close else \
        " — `ing2gw explain` takes a code such as ING2GW-CORE-006 (every finding and report shows its code)"
    raise UsageError(f"unknown finding code {code!r}{hint}")


@click.command()
@click.argument("controller", required=False)
@click.option("-o", "--output", type=click.Choice(["text", "markdown", "json", "yaml"]), default="text",
              show_default=True, help="text (a table on a terminal), markdown (as in the README), json or yaml.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), metavar="STATUS",
              help="Only rows with this status (repeatable): " + ", ".join(STATUSES) + ".")
@click.option("--target", metavar="TARGET",
              help="Print the table of a Gateway API implementation instead (mappings/targets/TARGET.yaml, "
                   "e.g. envoy-gateway): how TARGET carries each intent.")
@click.option("--no-color", is_flag=True, help="No colours, even on a terminal.")
def mappings_cmd(controller: str | None, output: str, statuses: tuple[str, ...], target: str | None,
                 no_color: bool) -> int:
    """Print the annotation mapping table of CONTROLLER (default: ingress-nginx), or with
    --target the table of a Gateway API implementation.

    One row per annotation the controller documents: what it becomes in Gateway API, its
    status (converted, partial, policy, unsupported, ignored), why it is lossy, and whether it
    is security-relevant. The table is `mappings/<controller>.yaml`.

    With --target: the implementation's GatewayClass controllerName, the Gateway API features it
    implements, and for every intent (client-allow-list, basic-auth, rate-limit, ...) whether it
    carries it (full, partial, none), with which resources and field paths, and what is lost.

    \b
    Examples:
      ing2gw mappings
      ing2gw mappings ingress-nginx --status unsupported -o json
      ing2gw mappings --target envoy-gateway -o markdown
    """
    if target is not None:
        if controller is not None or statuses:
            raise UsageError("--target prints an implementation's table: give it without a CONTROLLER or --status")
        return _target_table(target, output, no_color)
    controller = controller or "ingress-nginx"
    known = _controllers()
    if controller not in known:
        close = difflib.get_close_matches(controller, known, n=1)
        hint = f" — did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"
        if controller in tables.target_names():
            hint = f" — {controller} is an implementation target: ing2gw mappings --target {controller}"
        raise UsageError(f"no mapping table for controller {controller!r}{hint}")
    data = tables.table(controller)
    rows = sorted((r for r in data.get("annotations") or [] if not statuses or r.get("status") in statuses),
                  key=lambda r: str(r["key"]))
    plain = [{"key": r["key"], "status": r["status"], "becomes": r.get("becomes"), "lossy": r.get("lossy"),
              "security": bool(r.get("security")), "docs": r.get("docs"),
              **({"targets": dict(sorted(r["targets"].items()))} if r.get("targets") else {})} for r in rows]
    if output == "json":
        sys.stdout.write(json.dumps({"controller": controller, "prefix": data.get("prefix"), "annotations": plain},
                                    indent=2) + "\n")
    elif output == "yaml":
        sys.stdout.write(to_yaml({"controller": controller, "prefix": data.get("prefix"), "annotations": plain}))
    elif output == "markdown":
        text = render_markdown(controller)
        if statuses:  # keep the header and the rows asked for
            lines = text.splitlines()
            keep = {f"| `{r['key']}` |" for r in rows}
            text = "\n".join(ln for ln in lines if not ln.startswith("| `") or any(ln.startswith(k) for k in keep))
            text = text.rsplit("\n\n", 1)[0] + "\n"  # the per-status count line describes the whole table
        sys.stdout.write(text)
    elif color_allowed(no_color, sys.stdout):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{controller} annotations (prefix {data.get('prefix')})", show_lines=False)
        for col in ("key", "status", "security", "becomes", "why lossy"):
            table.add_column(col, overflow="fold")
        style = {"converted": "green", "partial": "yellow", "policy": "magenta", "unsupported": "red",
                 "ignored": "dim"}
        for r in plain:
            table.add_row(str(r["key"]), f"[{style.get(str(r['status']), '')}]{r['status']}[/]",
                          "yes" if r["security"] else "", str(r["becomes"] or ""), str(r["lossy"] or ""))
        Console().print(table)
    else:
        width = max((len(str(r["key"])) for r in plain), default=3)
        for r in plain:
            sec = "security" if r["security"] else ""
            click.echo(f"{str(r['key']):<{width}}  {str(r['status']):<11}  {sec:<8}  {r['becomes'] or ''}")
        click.echo(f"{len(plain)} annotations")
    return EXIT_OK


def _target_table(target: str, output: str, no_color: bool) -> int:
    """`ing2gw mappings --target TARGET`: the target table in the chosen format."""
    known = tables.target_names()
    if target not in known:
        close = difflib.get_close_matches(target, known, n=1)
        hint = f" — did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"
        raise UsageError(f"no target table for {target!r}{hint}")
    data = tables.table(f"targets/{target}")
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif output == "yaml":
        sys.stdout.write(to_yaml(data))
    elif output == "markdown":
        sys.stdout.write(render_target_markdown(target))
    elif color_allowed(no_color, sys.stdout):
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{data['title']} {data['version']} (controllerName {data['controllerName']})")
        for col in ("intent", "support", "security", "resources", "what is lost"):
            table.add_column(col, overflow="fold")
        style = {"full": "green", "partial": "yellow", "none": "red"}
        for r in data["intents"]:
            table.add_row(str(r["intent"]), f"[{style[str(r['supported'])]}]{r['supported']}[/]",
                          "yes" if r["security"] else "", _kinds(r), str(r.get("lost") or ""))
        Console().print(table)
    else:
        click.echo(f"{target}: {data['title']} {data['version']}, controllerName {data['controllerName']}, "
                   f"class {data['gatewayClassName']}")
        width = max(len(str(r["intent"])) for r in data["intents"])
        for r in data["intents"]:
            sec = "security" if r["security"] else ""
            click.echo(f"{r['intent']!s:<{width}}  {r['supported']!s:<7}  {sec:<8}  {_kinds(r)}".rstrip())
        counts = {level: sum(1 for r in data["intents"] if r["supported"] == level) for level in SUPPORT_LEVELS}
        click.echo(f"{len(data['intents'])} intents: " + ", ".join(f"{n} {level}" for level, n in counts.items()))
    return EXIT_OK


def _kinds(row: dict[str, Any]) -> str:
    return ", ".join(f"{r['kind']} ({r['apiVersion']})" for r in row.get("resources") or [])


mappings_cmd.name = "mappings"
#: registered in ing2gw/cli/__init__.py as ing2gw.cli.explain:mappings
mappings = mappings_cmd
