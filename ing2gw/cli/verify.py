"""`ing2gw verify`: check a Gateway API translation (made or edited by hand) against its Ingresses."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click

from ing2gw.cli.convert import build_options, report_options, report_target, translation_options
from ing2gw.cli.color import color_allowed
from ing2gw.cli.simulate import _context
from ing2gw.cli.verify_render import render_text
from ing2gw.emit.gateway import Output
from ing2gw.findings import exit_code
from ing2gw.cli.inputs import read_input
from ing2gw.errors import InputError, Problem
from ing2gw.findings import sort_findings
from ing2gw.load import Manifest, load_all, no_objects
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation


@click.command()
@click.option("-f", "--filename", "files", multiple=True, required=True, metavar="PATH",
              help="The Ingress side: Ingresses, Services, IngressClasses, the controller ConfigMap.")
@click.option("--gateway", "gateway_files", multiple=True, required=True, metavar="PATH",
              help="The Gateway API side: Gateways and routes (repeatable; directories too).")
@click.option("-R", "--recursive", is_flag=True, help="Descend into sub-directories.")
@click.option("--context", "context_file", metavar="FILE",
              help="Cluster facts (see `ing2gw simulate --help`). Default: every Service exists with endpoints.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@report_options
@translation_options
def verify(files: tuple[str, ...], gateway_files: tuple[str, ...], recursive: bool, context_file: str | None,
           output: str, report_file: str | None, report_format: str | None, no_color: bool, **kw: Any) -> int:
    """Send the same probe requests through the old controller and the Gateway API objects, and
    name every difference.

    Each difference is tied to the findings of translating the Ingresses that predicted it; a
    difference no finding explains is UNEXPLAINED (exit 1): a bug in the translation, or in the
    hand edits. When the Gateway side holds an implementation's policies (from `convert
    --target`), the Ingresses are translated for that target, so the policies are held to what it
    predicts; give --target when policies of several implementations are there.

    \b
    Example:
      ing2gw verify -f k8s/ingress/ --gateway out/ -R
      ing2gw verify -f ingress.yaml --gateway routes.yaml -o json
      ing2gw verify -f k8s/ingress/ --gateway out/ -R --report review.md

    \b
    JSON: {"probes", "equivalent", "explained", "unexplained", "unverified",
           "differences": [{"request", "old", "new", "differences", "explained_by"}]}
    """
    from ing2gw.report import build_report, unexplained_findings, write_report

    report_fmt, _ = report_target(report_file, report_format, None)
    options = build_options(kw)
    # the Ingress side is read as `convert` reads it: Helm charts, values files and other files
    # that are not manifests are skipped with an info finding, --skip-invalid (config key) too
    manifests, input_findings = read_input(files, recursive, options)
    gateway_side = _gateway_side(gateway_files, recursive)
    if options.target is None:
        # policies of an implementation on the Gateway side: the Ingresses are translated for that
        # target, so its findings (not "cannot be expressed" ones, which would excuse any change
        # of what the policies do) are the predictions the check holds the policies to
        found = _targets_of(gateway_side)
        if len(found) > 1:
            raise InputError([Problem(m.origin.file, m.origin.line,
                                      f"{m.kind} {m.namespace or 'default'}/{m.name} is a policy of {t}, and the "
                                      f"Gateway side holds policies of {', '.join(sorted(found))}: say which target "
                                      "the translation is for with --target") for t, m in sorted(found.items())])
        if found:
            (target, m), = found.items()
            options = dataclasses.replace(options, target=target)
            click.echo(f"ing2gw: the Gateway side holds {target} policies ({m.kind} {m.namespace or 'default'}/"
                       f"{m.name}): verifying as --target {target}", err=True)
    result = translate(manifests, options)
    if input_findings:
        result = dataclasses.replace(result, findings=sort_findings([*input_findings, *result.findings]))
    ctx = _context(context_file)
    v = verify_translation(result, manifests, options, new_objects=[m.obj for m in gateway_side], context=ctx)
    if output == "json":
        sys.stdout.write(json.dumps(v.to_dict(), indent=2) + "\n")
    else:
        text = render_text(v)
        if color_allowed(no_color, sys.stdout):
            head, _, rest = text.partition("\n")
            text = click.style(head, fg="red" if v.unexplained else "green", bold=True) + "\n" + \
                rest.replace("UNEXPLAINED:", click.style("UNEXPLAINED:", fg="red", bold=True))
        sys.stdout.write(text)
    if report_file:
        # the report describes the Gateway API side that was checked, not ing2gw's own translation
        checked = dataclasses.replace(result, output=_output([m for m in gateway_side]))
        write_report(report_file, build_report(checked, v, title=f"ing2gw verify: {' '.join(files)}"), report_fmt)
        click.echo(f"wrote the report to {report_file}", err=True)
    return exit_code(unexplained_findings(v))


def _gateway_side(paths: tuple[str, ...], recursive: bool) -> list[Manifest]:
    """The Gateway API objects to check. Files that are not manifests (an out-dir's report.md,
    a kustomization) are passed over; a broken manifest stops the run with every problem listed."""
    loaded = load_all(paths, recursive=recursive)
    if loaded.problems:
        raise InputError(list(loaded.problems))
    if not loaded.manifests:
        raise InputError([no_objects(paths)])
    return loaded.manifests


def _targets_of(objects: list[Manifest]) -> dict[str, Manifest]:
    """The implementation targets whose resources (by API group and kind, from the target
    tables) are among `objects`: target -> the first such object."""
    from ing2gw import mappings

    kinds: dict[tuple[str, str], set[str]] = {}
    for t in mappings.target_names():
        for row in mappings.target_rows(t).values():
            for r in row.get("resources") or []:
                group = str(r.get("apiVersion", "")).split("/")[0]
                if group and not group.endswith("gateway.networking.k8s.io") and "." in group:
                    kinds.setdefault((group, str(r.get("kind"))), set()).add(t)
    found: dict[str, Manifest] = {}
    for m in objects:
        for t in sorted(kinds.get((m.group, m.kind), ())):
            found.setdefault(t, m)
    return found


def _output(objects: list[Manifest]) -> Output:
    """Gateway API objects split by owner, as the translation's output is."""
    out = Output()
    for m in objects:
        if m.kind in ("Gateway", "GatewayClass"):
            out.platform.append(m.obj)
        elif m.obj.get("apiVersion", "").startswith("gateway.networking"):
            out.apps.setdefault(m.namespace or "default", []).append(m.obj)
    return out
