"""`ing2gw simulate`: ask a router where requests go."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import IO, Sequence

import click

from ing2gw.errors import InputError, Problem, UsageError
from ing2gw.load import Manifest, load
from ing2gw.simulate import build_router, ingress_controllers
from ing2gw.simulate.request import Answer, ClusterContext, Request, RequestError, parse_header


def _context(path: str | None) -> ClusterContext:
    if not path:
        return ClusterContext()
    from ing2gw.load import decode, parse_documents

    try:
        with open(path, "rb") as fh:
            text = decode(fh.read(), path)
    except OSError as exc:
        raise InputError([Problem(path, 0, f"cannot read context file: {exc.strerror}")]) from None
    # the manifests' reader: the same limits on aliases and nesting as every other input
    docs, problems = parse_documents(text, path)
    if problems:
        raise InputError(problems)
    if len(docs) > 1:
        raise InputError([Problem(path, docs[1][1], "a context file holds one YAML document")])
    data = docs[0][2] if docs else {}
    if not isinstance(data, dict):
        raise InputError([Problem(path, 0, "a context file must be a mapping")])
    return ClusterContext.from_dict(data, path)


def _text(answer: Answer, request: Request) -> str:
    d = answer.to_dict()
    lines = [f"{request.describe()}", f"  status: {answer.status}"]
    if answer.redirect:
        lines.append(f"  redirect: {answer.redirect.status} -> {answer.redirect.location}")
    if answer.backend:
        lines.append(f"  backend: {answer.backend}")
    if len(answer.backends) > 1:
        for s in answer.backends:
            who = str(s.backend) if s.backend else f"error {s.status}"
            lines.append(f"    {s.weight:6.1%}  {who}")
    if answer.upstream_path is not None:
        lines.append(f"  upstream: Host {answer.upstream_host}  path {answer.upstream_path}")
    if answer.generated_by:
        lines.append(f"  answered by the proxy: {answer.generated_by}")
    if d["decided_by"]:
        lines.append("  decided by: " + ", ".join(f"{k} {v}" for k, v in d["decided_by"].items()))
    for n in answer.notes:
        lines.append(f"  note: {n}")
    for u in answer.unmodelled:
        lines.append(f"  NOT MODELLED: {u}")
    return "\n".join(lines)


def _apply_classes(classes: Sequence[str], modelled: str, manifests: list[Manifest],
                   context: ClusterContext) -> tuple[list[Manifest], ClusterContext]:
    """--class for the old side: the model serves the classes given to it, and never sees the
    Ingresses of classes given to another controller (as `verify` groups them)."""
    from ing2gw.providers.detect import LEGACY_CLASS_ANNOTATION, parse_class_options

    pairs = parse_class_options(classes)
    served = [name for name, ctl in pairs if ctl == modelled]
    others = {name for name, ctl in pairs if ctl != modelled}
    if modelled == "ingress-nginx" and served:
        if len(served) > 1:
            raise UsageError(f"the ingress-nginx model serves one class, as the controller's --ingress-class does; "
                             f"simulate {', '.join(served)} one at a time")
        # by name: the class is ingress-nginx's whatever its IngressClass object's controller
        flags = (*context.nginx_flags, f"--ingress-class={served[0]}", "--ingress-class-by-name=true")
        context = dataclasses.replace(context, nginx_flags=flags)

    def class_of(m: Manifest) -> str | None:
        meta = m.obj.get("metadata") or {}
        spec = m.obj.get("spec") or {}
        name = spec.get("ingressClassName") if isinstance(spec, dict) else None
        legacy = (meta.get("annotations") or {}).get(LEGACY_CLASS_ANNOTATION) if isinstance(meta, dict) else None
        return str(name or legacy) if (name or legacy) else None

    kept = [m for m in manifests if m.kind != "Ingress" or class_of(m) not in others]
    return kept, context


@click.command()
@click.option("--side", type=click.Choice(["ingress", "gateway"]), required=True,
              help="Which configuration to route with: the Ingress objects and their controller "
                   "(old side) or the Gateway API objects (new side).")
@click.option("--controller", default=None, metavar="NAME",
              help=f"Ingress controller to model with --side ingress: {', '.join(ingress_controllers())} "
                   "(default ingress-nginx). 'generic' follows only the Kubernetes Ingress spec.")
@click.option("--class", "classes", multiple=True, metavar="CLASS=CONTROLLER",
              help="With --side ingress: the controller that serves Ingresses of CLASS (repeatable), as in "
                   "`ing2gw convert --class`. A class of the modelled controller is served whatever its "
                   "IngressClass object says (ingress-nginx: as its --ingress-class, one class per run); "
                   "Ingresses of a class given to another controller are left out.")
@click.option("-f", "--filename", "files", multiple=True, required=True, metavar="PATH",
              help="Manifest file or directory (repeatable); '-' reads stdin.")
@click.option("-R", "--recursive", is_flag=True, help="Descend into sub-directories of -f directories.")
@click.option("--request", "request_text", metavar="'METHOD URL'",
              help="One request, e.g. 'GET https://shop.example.com/cart?x=1'; append "
                   "' | @client=203.0.113.7' to give the client address (allow-lists decide on it).")
@click.option("-H", "--header", "headers", multiple=True, metavar="'Name: value'",
              help="A request header for --request (repeatable). 'Host: x' overrides the Host header.")
@click.option("--requests", "requests_file", metavar="FILE",
              help="Many requests, one per line: 'METHOD URL | Name: value | ... | @client=ADDRESS' or a "
                   'JSON object {"method", "url", "headers", "client"}; the client address is optional '
                   "(unknown: answers that depend on it say so). '-' reads stdin. One JSON answer per line, "
                   "in order.")
@click.option("--context", "context_file", metavar="FILE",
              help="Cluster facts the manifests cannot carry (YAML): services: assume|input, "
                   "defaultEndpoints: N, endpoints: {ns/name: N}, secrets: assume|input|{ns/name: "
                   "{dnsNames: [..], invalid: bool}}, nginx: {flags: [..], configmap: {..}}, traefik: {Traefik's "
                   "static configuration}, haproxy: {flags: [the controller's arguments]}. Default: every "
                   "referenced Service exists with 1 ready endpoint and every referenced TLS Secret "
                   "exists and is valid.")
@click.option("--gateway", "gateway", metavar="NAMESPACE/NAME",
              help="With --side gateway: the Gateway the requests are sent to (default: the Gateway "
                   "listening on the request's port; the first by namespace/name when several do).")
@click.option("-o", "--output", type=click.Choice(["json", "text"]), default="json", show_default=True)
def simulate(side: str, controller: str | None, classes: tuple[str, ...], files: tuple[str, ...], recursive: bool,
             request_text: str | None, headers: tuple[str, ...], requests_file: str | None,
             context_file: str | None, gateway: str | None, output: str) -> int:
    """Route requests through a model of the old controller or of Gateway API.

    \b
    Examples:
      ing2gw simulate --side ingress -f ingress.yaml --request 'GET http://shop.example.com/cart'
      ing2gw simulate --side gateway -f out/ -R --request 'GET https://shop.example.com/' -o text
      ing2gw simulate --side gateway -f routes.yaml --requests probes.txt

    The JSON answer has status, backend {namespace, name, port} or null, backends (with weights
    when traffic splits), redirect {location, status} or null, upstream_path, upstream_host,
    upstream_headers, response_headers, generated_by, decided_by and unmodelled (behaviours
    the answer depends on that are not modelled: such an answer proves nothing).
    """
    if bool(request_text) == bool(requests_file):
        raise UsageError("give exactly one of --request 'METHOD URL' or --requests FILE")
    if requests_file == "-" and "-" in files:
        raise UsageError("stdin can feed either -f - or --requests -, not both")
    if side == "gateway" and controller not in (None, "gateway-api"):
        raise UsageError("--controller applies to --side ingress only")
    if gateway and side != "gateway":
        raise UsageError("--gateway applies to --side gateway only")
    if classes and side != "ingress":
        raise UsageError("--class applies to --side ingress only")
    manifests = load(files, recursive=recursive)
    context = _context(context_file)
    if classes:
        manifests, context = _apply_classes(classes, controller or "ingress-nginx", manifests, context)
    router = build_router(side, controller, manifests, context)
    if gateway:
        router.select_gateway(gateway)  # type: ignore[attr-defined]
    out = sys.stdout
    if request_text:
        try:
            req = Request.parse_line(request_text)
            if headers:
                req = Request.from_url(req.method, req.url(), list(req.headers) + [parse_header(h) for h in headers],
                                       client_ip=req.client_ip)
        except RequestError as exc:
            raise UsageError(f"--request: {exc}") from None
        answer = router.route(req)
        out.write((json.dumps(answer.to_dict(), indent=2) if output == "json" else _text(answer, req)) + "\n")
        return 0
    assert requests_file is not None
    stream: IO[str]
    stream = sys.stdin if requests_file == "-" else open(requests_file, encoding="utf-8")
    problems = []
    parsed = []
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                parsed.append(Request.parse_line(line))
            except RequestError as exc:
                problems.append(Problem(requests_file if requests_file != "-" else "<stdin>", n, str(exc)))
    if problems:
        raise InputError(problems)
    for req in parsed:
        answer = router.route(req)
        if output == "json":
            out.write(json.dumps(answer.to_dict(), separators=(",", ":")) + "\n")
        else:
            out.write(_text(answer, req) + "\n")
    return 0
