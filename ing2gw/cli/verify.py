"""`ing2gw verify`: check a Gateway API translation (made or edited by hand) against its Ingresses."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ing2gw.cli.convert import build_options, translation_options
from ing2gw.cli.simulate import _context
from ing2gw.cli.verify_render import render_text
from ing2gw.findings import EXIT_FINDINGS, EXIT_OK
from ing2gw.load import load
from ing2gw.translate import translate
from ing2gw.verification import verify_translation


@click.command()
@click.option("-f", "--filename", "files", multiple=True, required=True, metavar="PATH",
              help="The Ingress side: Ingresses, Services, IngressClasses, the controller ConfigMap.")
@click.option("--gateway", "gateway_files", multiple=True, required=True, metavar="PATH",
              help="The Gateway API side: Gateways and routes (repeatable; directories too).")
@click.option("-R", "--recursive", is_flag=True, help="Descend into sub-directories.")
@click.option("--context", "context_file", metavar="FILE",
              help="Cluster facts (see `ing2gw simulate --help`). Default: every Service exists with endpoints.")
@click.option("-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@translation_options
def verify(files: tuple[str, ...], gateway_files: tuple[str, ...], recursive: bool, context_file: str | None,
           output: str, **kw: Any) -> int:
    """Send the same probe requests through the old controller and the Gateway API objects, and
    name every difference.

    Each difference is tied to the findings of translating the Ingresses that predicted it; a
    difference no finding explains is UNEXPLAINED (exit 1): a bug in the translation, or in the
    hand edits.

    \b
    Example:
      ing2gw verify -f k8s/ingress/ --gateway out/ -R
      ing2gw verify -f ingress.yaml --gateway routes.yaml -o json

    \b
    JSON: {"probes", "equivalent", "explained", "unexplained", "unverified",
           "differences": [{"request", "old", "new", "differences", "explained_by"}]}
    """
    options = build_options(kw)
    manifests = load(files, recursive=recursive)
    gateway_side = load(gateway_files, recursive=recursive)
    result = translate(manifests, options)
    ctx = _context(context_file)
    v = verify_translation(result, manifests, options, new_objects=[m.obj for m in gateway_side], context=ctx)
    if output == "json":
        sys.stdout.write(json.dumps(v.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(v))
    return EXIT_FINDINGS if v.unexplained else EXIT_OK
