"""`ing2gw explain CODE` and `ing2gw mappings [CONTROLLER]`: the reference, from the data files."""

from __future__ import annotations

import difflib
import json
import re
import sys
import textwrap
from typing import Any, Mapping

import click

from ing2gw import mappings as tables
from ing2gw.cli.color import color_allowed
from ing2gw.errors import UsageError
from ing2gw.findings import EXIT_OK, codes
from ing2gw.mapping_schema import SUPPORT_LEVELS
from ing2gw.report.model import code_docs
from ing2gw.serialize import to_yaml
from ing2gw.support_table import STATUSES, render_markdown, render_target_markdown


def _controllers() -> list[str]:
    d = tables.mappings_dir()
    return sorted(p.name[:-5] for p in d.iterdir()
                  if p.name.endswith(".yaml") and p.name not in ("controllers.yaml", "intents.yaml"))


def _rows(data: Any) -> list[dict[str, Any]]:
    """The rows of any mapping table, as (key, status, becomes, ...) rows: annotation tables have
    them; common-annotations.yaml has (match, action, why) rows and ingress-nginx-configmap.yaml
    (key, status, does) rows, shown alike."""
    out = []
    for r in (data.get("annotations") or data.get("keys") or []) if isinstance(data, dict) else []:
        if not isinstance(r, dict):
            continue
        key = r.get("key", r.get("match"))
        if key is None:
            continue
        out.append({**r, "key": str(key), "status": str(r.get("status") or r.get("action") or ""),
                    "becomes": r.get("becomes") or r.get("does") or r.get("why"),
                    "security": r.get("security", "does" in r)})
    return out


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
@click.argument("code", required=False)
@click.option("--list", "list_codes", is_flag=True,
              help="List every finding code (severity, code, title); with CODE, only the codes of that area "
                   "(`--list core`).")
def explain(code: str | None, list_codes: bool) -> int:
    """Print the long explanation of a finding CODE and where to read more.

    CODE is case-insensitive (`ing2gw explain ing2gw-core-006`, or just `core-006`). An
    annotation key (`rewrite-target`, `nginx.ingress.kubernetes.io/rewrite-target`) prints its
    row of the mapping table instead. `--list` lists every code.

    \b
    Examples:
      ing2gw explain ING2GW-CORE-006
      ing2gw explain whitelist-source-range
      ing2gw explain --list
      ing2gw explain --list load

    \b
    Exit codes: 0 found; 2 unknown code.
    """
    known = codes()
    if list_codes:
        return _list(known, code)
    if code is None:
        raise UsageError("give a finding CODE (e.g. ING2GW-CORE-006) or an annotation key; `ing2gw explain --list` "
                         "lists every code")
    wanted = code.strip().upper()
    m = _CODE.match(wanted)
    if wanted not in known and m is not None and f"ING2GW-{m[1]}-{m[2].zfill(3)}" in known:
        wanted = f"ING2GW-{m[1]}-{m[2].zfill(3)}"  # core-006, CORE-6
    info = known.get(wanted)
    if info is not None:
        click.echo(f"{info.code}: {info.title}")
        click.echo(f"severity: {info.severity}")
        click.echo("")
        for para in info.explanation.split("\n\n"):
            click.echo(textwrap.fill(" ".join(para.split()), width=96))
            click.echo("")
        if info.predicts:
            click.echo("predicts, in the equivalence check:")
            for pred in info.predicts:
                click.echo(textwrap.fill(pred.describe(), width=96, initial_indent="  - ", subsequent_indent="    "))
        else:
            click.echo("predicts no difference in the equivalence check: findings of this code explain none")
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
    raise UsageError(f"unknown finding code {code!r}{_unknown_hint(wanted, known)} "
                     "(`ing2gw explain --list` lists every code)")


_CODE = re.compile(r"(?:ING2GW-)?([A-Z]+)-?(\d+)\Z")


def _areas(known: Mapping[str, Any]) -> list[str]:
    return sorted({c.split("-")[1] for c in known})


def _unknown_hint(wanted: str, known: Mapping[str, Any]) -> str:
    """Codes the user may have meant: a code of the same area whose number is one typo away
    (a digit changed, dropped, added or two swapped), or the same number in the area whose name
    is closest. Never a code of another area and number just because the strings look alike."""
    m = _CODE.match(wanted)
    if m is None:
        return " — `ing2gw explain` takes a code such as ING2GW-CORE-006 (every finding and report shows its code)"
    area, number = m.groups()
    areas = _areas(known)
    if area not in areas:
        close = difflib.get_close_matches(area, areas, n=1, cutoff=0.5)
        guess = f"ING2GW-{close[0]}-{int(number):03d}" if close else None
        if guess in known:
            return f" — did you mean {guess}?"
        return f" — there is no area {area} (areas: {', '.join(areas)})"
    numbers = sorted(c.rsplit("-", 1)[1] for c in known if c.split("-")[1] == area)
    # two digits swapped, or one dropped or doubled, is a typo; a changed digit names another
    # code just as well, so it counts only when a single code is one digit away
    close = [n for n in numbers if _typo(number, n) in ("swap", "length")]
    changed = [n for n in numbers if _typo(number.zfill(3), n) == "change"]
    close += changed if len(changed) == 1 else []
    if close:
        return f" — did you mean {' or '.join(f'ING2GW-{area}-{n}' for n in sorted(close)[:3])}?"
    return f" — ING2GW-{area} has codes {numbers[0]} to {numbers[-1]}, not {number}"


def _typo(a: str, b: str) -> str | None:
    """How `a` differs from `b` by one typo: "swap" (two neighbours), "length" (a character
    dropped or added), "change" (one replaced); None for no difference or more than one."""
    if a == b:
        return None
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return "change"
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return "swap"
        return None
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_))):
        return "length"
    return None


def _list(known: Mapping[str, Any], area: str | None) -> int:
    """`explain --list [AREA]`: one line per code, sorted."""
    wanted = area.strip().upper().removeprefix("ING2GW-").rstrip("-") if area else None
    if wanted is not None and wanted not in _areas(known):
        raise UsageError(f"no finding area {area!r}; areas: {', '.join(_areas(known))}")
    rows = [info for c, info in sorted(known.items()) if wanted is None or c.split("-")[1] == wanted]
    for info in rows:
        click.echo(f"{info.code}  {info.severity:<7}  {info.title}")
    return EXIT_OK


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
    rows = sorted((r for r in _rows(data) if not statuses or r.get("status") in statuses), key=lambda r: str(r["key"]))
    plain = [{"key": r["key"], "status": r["status"], "becomes": r.get("becomes"), "lossy": r.get("lossy"),
              "security": bool(r.get("security")), "docs": r.get("docs"),
              **({"targets": dict(sorted(r["targets"].items()))} if r.get("targets") else {})} for r in rows]
    if output == "json":
        sys.stdout.write(json.dumps({"controller": controller, "prefix": data.get("prefix"), "annotations": plain},
                                    indent=2) + "\n")
    elif output == "yaml":
        sys.stdout.write(to_yaml({"controller": controller, "prefix": data.get("prefix"), "annotations": plain}))
    elif output == "markdown" and not all("key" in r for r in data.get("annotations") or [{}]):
        from ing2gw import markdown

        lines = ["| key | status | becomes | security |", "|---|---|---|---|"]
        lines += [f"| {markdown.code(r['key'])} | {markdown.text(r['status'])} | {markdown.text(r['becomes'] or '')} | "
                  f"{'yes' if r['security'] else 'no'} |" for r in plain]
        sys.stdout.write("\n".join(lines) + "\n")
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
