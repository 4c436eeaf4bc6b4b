"""`ing2gw convert`: Ingress manifests in, Gateway API objects out.

Imports at the top are only what declaring the options needs: the translation, the writers,
the report and the equivalence check are imported where they run, so `convert` of one Ingress
loads neither the report (jinja2, rich) nor the check (tests/test_cli_startup.py).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import click

from ing2gw.cli.runtime import freeze_kept, freeze_loaded, release_garbage, tune_for_batch
from ing2gw.errors import UsageError
from ing2gw.findings import FAIL_ON_CHOICES, Finding, exit_code, sort_findings
from ing2gw.options import DEFAULT_CONTROLLER, DEFAULT_GATEWAY_NAMESPACE, DEFAULT_NGINX_PREFIX, LISTENER_MODES, Options
from ing2gw.providers.registry import REGISTRY
from ing2gw.report import FORMATS

if TYPE_CHECKING:
    from ing2gw.outdir import TreeWriter
    from ing2gw.translate import Result


def translation_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options every converting command shares (convert, migrate, verify)."""
    opts = [
        click.option("--controller", default="ingress-nginx", show_default=True, metavar="NAME",
                     help="Controller of Ingresses with nothing that says which controller serves them (no "
                          "ingressClassName, no kubernetes.io/ingress.class annotation, no default IngressClass, "
                          "no controller-specific annotation)."),
        click.option("--class", "classes", multiple=True, metavar="CLASS=CONTROLLER",
                     help="Which controller serves Ingresses of CLASS (repeatable), e.g. --class "
                          "with-tls=ingress-nginx for a class without an IngressClass object in the input. It "
                          "overrides ing2gw's table of class names and the IngressClass object's spec.controller. "
                          "Controllers: ingress-nginx, traefik, f5-nginx, haproxy, aws-alb, gke, ... (an unknown "
                          "one is refused with the list)."),
        click.option("--gateway-namespace", default=DEFAULT_GATEWAY_NAMESPACE, show_default=True, metavar="NS",
                     help="Namespace of the platform-owned Gateway(s)."),
        click.option("--gateway-name", default=None, metavar="NAME",
                     help="Gateway name (default: the IngressClass name; with several classes, "
                          "NAME-<class>)."),
        click.option("--gateway-class", default=None, metavar="NAME",
                     help="gatewayClassName of the Gateway(s) (default: the --target's class, else the "
                          "IngressClass name)."),
        click.option("--single-gateway", is_flag=True,
                     help="Put every IngressClass on one Gateway. Off by default: internal and public "
                          "classes must not share a Gateway."),
        click.option("--listeners", type=click.Choice(LISTENER_MODES), default="gateway", show_default=True,
                     help="Where hostnames and certificates go: `gateway` puts every listener on the platform's "
                          "Gateway (past 64 listeners, i.e. 32 TLS hosts, it splits into several Gateways: several "
                          "addresses); `listenerset` gives each application namespace a ListenerSet with the hosts "
                          "and certificates only it serves, attached to one Gateway per class."),
        click.option("--target", default=None, metavar="IMPL",
                     help="Gateway API implementation the output is for (writes its GatewayClass and "
                          "policies). Default: portable Gateway API only."),
        click.option("--emit-gateway-class", is_flag=True, help="Also write a GatewayClass."),
        click.option("--gateway-controller-name", default=None, metavar="NAME",
                     help="controllerName for --emit-gateway-class without --target."),
        click.option("-n", "--namespace", "default_namespace", default="default", show_default=True,
                     metavar="NS", help="Namespace of input objects that have none."),
        click.option("--annotations-prefix", default=DEFAULT_NGINX_PREFIX, show_default=True, metavar="PREFIX",
                     help="ingress-nginx's --annotations-prefix, if your controller changed it."),
        click.option("--ingress-class", default="nginx", show_default=True, metavar="NAME",
                     help="ingress-nginx's --ingress-class (the legacy annotation value it serves)."),
        click.option("--nginx-configmap", default=None, metavar="NS/NAME",
                     help="The ingress-nginx ConfigMap in the input (default: one named "
                          "ingress-nginx-controller or nginx-configuration)."),
        click.option("--nginx-flag", "nginx_flags", multiple=True, metavar="FLAG",
                     help="An ingress-nginx controller flag that changes routing (repeatable), e.g. "
                          "--nginx-flag=--disable-catch-all or --nginx-flag=--default-backend-service=ns/svc."),
        click.option("--traefik-static", default=None, metavar="FILE",
                     help="Traefik's static configuration file (YAML, or TOML named *.toml): entry points and "
                          "their redirections become listeners and redirect routes, providers.kubernetesIngress/"
                          "kubernetesCRD options decide what was served. Default: the Helm chart's (web :80, "
                          "websecure :443 with TLS). Config key traefikStatic."),
        click.option("--traefik-version", default=None, metavar="VERSION",
                     help="The Traefik release, where routing differs (3.6 and earlier rank wildcard hosts by a "
                          "longer HostRegexp rule). Default: 3.7."),
        click.option("--haproxy-flag", "haproxy_flags", multiple=True, metavar="FLAG",
                     help="An argument of the HAProxy controller (repeatable), as in its Deployment, e.g. "
                          "--haproxy-flag=--ingress.class=haproxy --haproxy-flag=--empty-ingress-class. Given any, "
                          "they are its whole argument list; given none, ing2gw assumes the Helm chart's "
                          "(--ingress.class=haproxy, its ConfigMap and default certificate)."),
        click.option("--allow-cross-namespace", is_flag=True,
                     help="Let annotations reach into other namespaces: a ReferenceGrant there for a mirror-target "
                          "Service, a custom-headers ConfigMap read from there. Off, each such annotation is an "
                          "error (ING2GW-SEC-006) and is not carried over: a tenant's Ingress never decides it."),
        click.option("--allow-weakened", multiple=True, metavar="ANNOTATION",
                     help="Accept the loss of a security-relevant annotation or ingress-nginx ConfigMap key "
                          "(repeatable; short key such as 'whitelist-source-range' or 'global-auth-url', or the full "
                          "annotation key). Its finding becomes a warning."),
        click.option("--config", "config_file", default=None, metavar="FILE",
                     help="Read options from FILE, an ing2gw.io/v1alpha1 Ing2Gw object (the same file the KRM "
                          "function and the Kustomize plugin read), e.g. `spec: {allowWeakened: "
                          "[whitelist-source-range], gatewayNamespace: infra, failOn: warning}`. Options given "
                          "on the command line win; allowWeakened, nginxFlags, haproxyFlags and classes add to theirs."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


#: the translation options the command line and a --config file share (Options attributes): the
#: common ones, then each controller's option group (providers/registry.py) but the repeatable
#: ones, which add up (build_options)
_ADDITIVE = ("nginx_flags", "haproxy_flags")
_OPTION_PARAMS = ("controller", "gateway_namespace", "gateway_name", "gateway_class", "gateway_controller_name",
                  "single_gateway", "target", "emit_gateway_class", "default_namespace", "listeners",
                  "allow_cross_namespace") + tuple(
    f for e in REGISTRY.values() for f in e.option_group.fields if f not in _ADDITIVE)


def read_config_file(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """({Options attribute: value}, {fail_on/keep_ingress: value}) from a --config file."""
    from ing2gw.config import CONFIG_API_VERSION, CONFIG_KIND, config_values
    from ing2gw.krm import parse_plugin_config

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc.strerror or exc})") from exc
    config = parse_plugin_config(text, path)
    if (config.get("apiVersion"), config.get("kind")) != (CONFIG_API_VERSION, CONFIG_KIND):
        raise UsageError(f"--config {path}: expected apiVersion: {CONFIG_API_VERSION}, kind: {CONFIG_KIND} (options "
                         f"under spec), found {config.get('apiVersion') or '?'} {config.get('kind') or '?'}")
    try:
        values, adapter = config_values(config)
    except UsageError as exc:
        raise UsageError(f"--config {path}: {exc}") from exc
    if "keep_ingress" in adapter:
        raise UsageError(f"--config {path}: keepIngress is for `ing2gw krm` and the Kustomize plugin; convert never "
                         "edits Ingresses, and migrate keeps them unless --remove-ingress")
    return values, adapter


def _given(name: str) -> bool:
    """Whether the command line (or the environment) set option `name`, rather than its default."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    source = ctx.get_parameter_source(name)
    return source is not None and source not in (click.core.ParameterSource.DEFAULT,
                                                 click.core.ParameterSource.DEFAULT_MAP)


def _file_config(kw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The --config file's values, read once per command (build_options and build_fail_on)."""
    if "_config" not in kw:
        kw["_config"] = read_config_file(kw["config_file"]) if kw.get("config_file") else ({}, {})
    config: tuple[dict[str, Any], dict[str, Any]] = kw["_config"]
    return config


def build_options(kw: dict[str, Any]) -> Options:
    """The translation options: the command line, over a --config file, over the defaults.
    `--class` entries add to the file's `classes`; for the same class the command line wins."""
    from ing2gw.providers.detect import check_controller, parse_class_options

    from_file, _ = _file_config(kw)
    values: dict[str, Any] = {}
    for name in _OPTION_PARAMS:
        if name in kw and (_given(name) or name not in from_file):
            values[name] = kw[name]
        elif name in from_file:
            values[name] = from_file[name]
    problem = check_controller(values.get("controller", DEFAULT_CONTROLLER))
    if problem:
        raise UsageError(f"--controller: {problem}")
    if isinstance(values.get("traefik_static"), str):
        from ing2gw.providers.traefik.static import read_static_file

        values["traefik_static"] = read_static_file(values["traefik_static"], values.get("traefik_version"))
    classes = {**dict(from_file.get("classes", ())), **dict(parse_class_options(kw.get("classes") or ()))}
    # --skip-invalid is convert's; the config key applies wherever the file is read
    values["skip_invalid"] = bool(kw.get("skip_invalid")) or bool(from_file.get("skip_invalid", False))
    return Options(**values, classes=tuple(sorted(classes.items())),
                   allow_weakened=frozenset(kw["allow_weakened"]) | from_file.get("allow_weakened", frozenset()),
                   nginx_flags=tuple(from_file.get("nginx_flags", ())) + tuple(kw.get("nginx_flags") or ()),
                   haproxy_flags=tuple(from_file.get("haproxy_flags", ())) + tuple(kw.get("haproxy_flags") or ()))


def build_fail_on(kw: dict[str, Any], fail_on: str) -> str:
    """--fail-on, else the --config file's failOn, else the default."""
    return fail_on if _given("fail_on") else str(_file_config(kw)[1].get("fail_on", fail_on))


def print_findings(findings: Sequence[Finding], verbose: bool, color: bool = False, quiet: bool = False) -> None:
    """Findings on stderr, one line each (info only with -v; errors only with -q) or a table
    with colour, then a summary line `ing2gw: N error(s), ...`. Many findings get a count by
    code first and at most a few lines per code (all with -v): see `render_findings`."""
    from ing2gw.report import render_findings

    click.echo(render_findings(findings, verbose=verbose, color=color, quiet=quiet), err=True, nl=False)


def report_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--report, --report-format and --no-color (convert, verify)."""
    opts = [
        click.option("--report", "report_file", default=None, metavar="FILE",
                     help="Write the migration report to FILE: per Ingress and annotation what it became, what "
                          "was lost and why, the equivalence result and totals. The format comes from the "
                          "extension (.md, .html, .json, .txt). '-' is stdout (convert --out-dir; a table in "
                          "colour on a terminal)."),
        click.option("--report-format", type=click.Choice(FORMATS), default=None,
                     help="Format of --report FILE, whatever its extension."),
        click.option("--no-color", is_flag=True, help="No colours on the terminal (NO_COLOR does the same)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def report_target(report_file: str | None, report_format: str | None, out_dir: str | None,
                  stdout_free: bool = False) -> tuple[str, str | None]:
    """The --report format, and the file's path inside --out-dir (None when it is outside).
    `--report -` is stdout (text unless --report-format says), when stdout is free."""
    from ing2gw.report import format_for_path

    if report_file is None:
        if report_format is not None:
            raise UsageError("--report-format needs --report FILE")
        return "", None
    if report_file == "-":
        if not stdout_free:
            raise UsageError("--report - would share stdout with the command's output; name a file, or (convert) "
                             "add --out-dir")
        return report_format or "text", None
    fmt = format_for_path(report_file, report_format)
    if out_dir is not None:
        path, root = Path(report_file).resolve(), Path(out_dir).resolve()
        if path.is_relative_to(root):
            return fmt, str(path.relative_to(root))
    return fmt, None


@click.command()
@click.option("-f", "--filename", "files", multiple=True, required=True, metavar="PATH",
              help="Manifest file or directory (repeatable); '-' reads stdin. Services and IngressClasses "
                   "in the input are used to resolve named ports and classes.")
@click.option("-R", "--recursive", is_flag=True, help="Descend into sub-directories of -f directories.")
@click.option("--out-dir", default=None, metavar="DIR",
              help="Write DIR/platform/ and DIR/apps/<namespace>/ (each a kustomization) instead of stdout.")
@click.option("--force", is_flag=True, help="Write into an --out-dir that also holds files ing2gw did not write (they "
                                           "are kept: ing2gw only ever replaces its own files).")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="Format of the stdout stream (without --out-dir).")
@translation_options
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="error", show_default=True,
              help="Exit 1 when a finding has at least this severity.")
@click.option("--verify", "run_verify", is_flag=True,
              help="Also run the traffic-equivalence check on the output: probe requests through a model of "
                   "the old controller and of Gateway API, every difference named. A difference no finding "
                   "explains is an error (ING2GW-VERIFY-003).")
@click.option("--verify-output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Format of the --verify result (on stderr, or in --out-dir/verify.{txt,json}).")
@report_options
@click.option("--skip-invalid", is_flag=True,
              help="Translate what is valid and report each file or object that cannot be used (invalid YAML, a "
                   "Helm template, an object the API server would refuse, a duplicate) as an error finding: exit 1, "
                   "not 2. Without it such input stops the run, every problem listed at once. Config key "
                   "skipInvalid.")
@click.option("--progress/--no-progress", default=None,
              help="Show progress on stderr (default: when stderr is a terminal, and not with -q).")
@click.option("-q", "--quiet", is_flag=True,
              help="On stderr only error findings and the final lines: no progress, no summary by code, no "
                   "'wrote' lines, the --verify details only when a difference is unexplained.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also list info findings, suggestions, and every finding of a code (without -v, a long list "
                   "keeps the first 5 per code after a count by code).")
def convert(files: tuple[str, ...], recursive: bool, out_dir: str | None, force: bool, output: str,
            fail_on: str, verbose: bool, run_verify: bool, verify_output: str, report_file: str | None,
            report_format: str | None, no_color: bool, progress: bool | None, quiet: bool, **kw: Any) -> int:
    """Convert Ingress manifests to Gateway API objects.

    Reads Ingresses (networking.k8s.io/v1; legacy versions are normalised), IngressClasses,
    Services and the ingress-nginx ConfigMap; writes Gateways (platform-owned) and HTTPRoutes,
    ReferenceGrants, ... (app-owned). Every annotation that could not be carried over, or only
    partly, is reported on stderr. A lost security annotation (allow-list, auth, TLS
    verification, snippet) is an error unless accepted with --allow-weakened.

    \b
    Examples:
      ing2gw convert -f ingress.yaml
      ing2gw convert -f k8s/ -R --out-dir out --gateway-namespace infra
      kubectl get ingress,svc,ingressclass -A -o yaml | ing2gw convert -f - -o json
      ing2gw convert -f k8s/ -R --out-dir out --verify --report review.html

    With --out-dir, the report is also written as DIR/report.md and DIR/report.json.

    A directory tree may hold more than manifests: files without apiVersion and kind (Helm
    values, CI workflows) are skipped with an info finding; Helm charts and templates must be
    rendered first (`helm template RELEASE CHART | ing2gw convert -f -`). Invalid input stops
    the run with every problem listed, or with --skip-invalid is reported and left out.

    \b
    Exit codes: 0 success; 1 findings at or above --fail-on; 2 bad input or usage.
    """
    from ing2gw.cli.color import color_allowed
    from ing2gw.cli.inputs import no_ingress_message, read_input
    from ing2gw.cli.progress import counting_files, progress_bar, stage, want_progress
    from ing2gw.report import build_report, exit_findings, render, render_chunks, render_json_chunks, write_report
    from ing2gw.translate import translate

    report_fmt, report_in_tree = report_target(report_file, report_format, out_dir, stdout_free=out_dir is not None)
    options = build_options(kw)
    fail_on = build_fail_on(kw, fail_on)
    tune_for_batch()
    say: Callable[[str], None] = (lambda _: None) if quiet else (lambda s: click.echo(s, err=True))
    # progress on stderr until the results are printed (closed with the command, errors too)
    bars = ExitStack()
    click.get_current_context().call_on_close(bars.close)
    step = progress_bar(bars, color_allowed(no_color, sys.stderr), force=progress is True) \
        if want_progress(progress, quiet, sys.stderr) else None
    manifests, input_findings = read_input(files, recursive, options, on_file=counting_files(step))
    stage(step, "translate")
    freeze_loaded(len(manifests))
    result = translate(manifests, options)
    if input_findings:
        result = dataclasses.replace(result, findings=sort_findings([*input_findings, *result.findings]))
    freeze_kept()
    verified = None
    extra: dict[str, str | bytes] = {}
    if run_verify:
        from ing2gw.cli.verify_render import render_text
        from ing2gw.equivalence.verification import verify_translation

        stage(step, "verify")
        verified = verify_translation(result, manifests, options)
        rendered = (json.dumps(verified.to_dict(), indent=2) + "\n") if verify_output == "json" else render_text(verified)
        if out_dir:
            extra[f"verify.{'json' if verify_output == 'json' else 'txt'}"] = rendered
        elif not quiet or verified.unexplained:  # -q: the details only when something is unexplained
            bars.close()
            click.echo(rendered, err=True, nl=False)
    # the raw manifests are not needed any more (the translation keeps what it read): give their
    # memory to the report, which peaks while rendering (about 150 MB at 10,000 Ingresses).
    # They hold no cycles; the check's routers do.
    # Traefik's IngressRoutes are translated too (providers/traefik/crd.py)
    no_ingress = no_ingress_message(manifests) if not result.inputs.ingresses and not any(
        m.kind in ("IngressRoute", "IngressRouteTCP") for m in result.inputs.other) else None
    del manifests
    if run_verify:
        release_garbage()
    writer: TreeWriter | None = None
    planned: dict[str, Callable[[], str | bytes]] = {}
    renders: dict[str, str] = {}
    total = 0
    if out_dir:
        from ing2gw.outdir import open_tree, plan_files

        # which file each path gets, as `plan_tree(platform, apps, extra)` decided it: a later
        # entry wins (a --report inside the out-dir over report.md, report.json, verify.txt or a
        # tree file of the same path)
        planned.update(plan_files(result.platform, result.apps))
        for rel, text in extra.items():
            planned[rel] = partial(_text, text)
        renders.update({"report.md": "markdown", "report.json": "json-bytes"})
        if report_in_tree is not None:
            renders[report_in_tree] = report_fmt
        for rel in renders:
            planned[rel] = _rendered_with_the_report
        # every path is checked (write_tree's refusals) before the report is built or anything
        # is written; then each file is rendered and written one at a time: the tree and the
        # reports rendered in full were held together at the write, the run's peak
        total = len(planned)
        writer = open_tree(out_dir, planned, force=force)
        for rel in [r for r in extra if r not in renders]:
            writer.write(rel, planned.pop(rel)())
        extra.clear()
    report = build_report(result, verified, title=f"ing2gw convert: {' '.join(files)}") \
        if out_dir or report_file else None
    if out_dir:
        assert report is not None and writer is not None
        # each report is written as soon as it is rendered, and dropped before the next
        for rel, fmt in renders.items():
            writer.write(rel, render_json_chunks(report) if fmt == "json-bytes" else render_chunks(report, fmt))
            del planned[rel]
        if not report_file or report_in_tree is not None:
            # written: the report model (~9 MB per 1,000 Ingresses) need not stay for the tree
            report = None
        stage(step, "write")
        for rel in sorted(planned):
            writer.write(rel, planned.pop(rel)())
        warnings = writer.finish().warnings
        bars.close()
        for warning in warnings:
            click.echo(f"ing2gw: warning: {warning}", err=True)
        say(f"wrote {total} files to {out_dir}/ (platform/, apps/<namespace>/, report.md, report.json)")
    else:
        bars.close()
        from ing2gw.serialize import dump_json, dump_yaml_stream

        objs = result.objects()
        if no_ingress:
            click.echo(f"ing2gw: {no_ingress}", err=True)
        elif not objs:
            click.echo("ing2gw: no objects to write", err=True)
        elif output == "json":
            sys.stdout.write(dump_json(objs))
        else:
            sys.stdout.write(dump_yaml_stream(objs))
    if report_file == "-":
        assert report is not None
        sys.stdout.write(render(report, report_fmt, color=report_fmt == "text" and color_allowed(no_color, sys.stdout)))
    elif report_file and report_in_tree is None:
        assert report is not None
        write_report(report_file, report, report_fmt)
        say(f"wrote the report to {report_file}")
    if no_ingress and out_dir:
        click.echo(f"ing2gw: {no_ingress}", err=True)
    findings = exit_findings(result, verified)
    print_findings(findings, verbose, color_allowed(no_color, sys.stderr), quiet=quiet)
    if verified is not None:
        click.echo(f"ing2gw: equivalence: {verified.probes} probes, {verified.equivalent} equivalent, "
                   f"{verified.explained} explained, {verified.unexplained} unexplained"
                   + (f", {verified.unverified} unverified" if verified.unverified else ""), err=True)
    return exit_code(findings, fail_on)


def _text(text: str | bytes) -> str | bytes:
    """A file whose content is known already (the check's result)."""
    return text


def _rendered_with_the_report() -> str:
    """Stands for the reports in the tree's plan: they are rendered from the report model,
    which is built after the plan is checked."""
    raise AssertionError("the reports are written from the report model, not from the plan")


def run_translation(files: Sequence[str], recursive: bool, options: Options) -> Result:
    """Load and translate (shared with other commands)."""
    from ing2gw.load import load
    from ing2gw.translate import translate

    if not files:
        raise UsageError("no input: pass -f PATH")
    return translate(load(files, recursive=recursive), options)
