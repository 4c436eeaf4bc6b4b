"""The controller's host and path maps, rebuilt as (host, match) -> the row that wins.

HAProxy looks a request up in path-exact, then path-prefix-exact, then the longest key of
path-prefix (H-B2, H-C4); a host is looked up exactly, then with its first label removed (one-
label wildcards), else the host-less rows (H-C3). Gateway API's listener hostnames and match
precedence (Exact, then the longest PathPrefix) say the same for Exact and Prefix paths, so each
row becomes a rule: Exact p -> Exact p; Prefix p -> PathPrefix p without its trailing '/';
ImplementationSpecific (a string prefix, H-B3) -> PathPrefix with a finding. Rows of the same host
and match from several Ingresses are sorted, and the first row wins (H-B6): the backend name
`<namespace>_svc_<service>_<port>` that sorts first, then a row without rule ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import HTTPIngressPath, Ingress, IngressBackend
from ing2gw.equivalence.prediction import paths_detail
from ing2gw.providers.base import BuildContext, gateway_path_problem
from ing2gw.providers.haproxy.route_acl import AclMatch, convert as convert_acl
from ing2gw.providers.haproxy.settings import Settings


@dataclass
class Row:
    """One map row of an Ingress path: host ('' = host-less), the Gateway API match, backend."""

    host: str
    type: Literal["Exact", "PathPrefix"]
    value: str
    ing: Ingress
    backend: ir.ServiceBackend
    #: HAProxy's backend name (`<ns>_svc_<service>_<port name or number>`, H-E2)
    backend_name: str
    where: str
    string_prefix: bool = False
    #: a converted route-acl (H-H1): the rule matches the path and one of these; empty: a map row
    acl: tuple[AclMatch, ...] = ()
    #: the route-acl text as written (for findings)
    acl_text: str = ""
    acl_key: str = ""


def resolve(ctx: BuildContext, ing: Ingress, b: IngressBackend, where: str) -> tuple[ir.ServiceBackend, str] | None:
    """The Service port of a backend and HAProxy's backend name, or None when the controller
    skips the path (H-E1: no Service, or no such port; the request falls to other rows)."""
    ref = b.service
    if ref is None:
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-014",
                    f"{where}: a resource backend is skipped by the controller, and by ing2gw", ing=ing)
        return None
    svc = ctx.inputs.service(ing.namespace, ref.name)
    port = ref.port
    if svc is None:
        if port.number is not None:
            return ir.ServiceBackend(ing.namespace, ref.name, port.number), f"{ing.namespace}_svc_{ref.name}_{port.number}"
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-014",
                    f"{where}: named port {port.name!r} of Service {ing.namespace}/{ref.name} cannot be resolved: the "
                    "Service is not in the input; the path is not translated", ing=ing,
                    suggestion="pass the Service manifest too (-f service.yaml)")
        return None
    sp = svc.port_by_number(port.number) if port.number is not None else svc.port_by_name(str(port.name))
    if sp is None:
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-014",
                    f"{where}: Service {ing.namespace}/{ref.name} has no port {port.value}: the controller skips the "
                    "path (its requests fall to a shorter path of the host or the default backend), and so does ing2gw",
                    ing=ing, suggestion="fix the port in the Ingress")
        return None
    return ir.ServiceBackend(ing.namespace, ref.name, sp.port), f"{ing.namespace}_svc_{ref.name}_{sp.name or sp.port}"


def rows_of(ctx: BuildContext, settings: Settings, ing: Ingress) -> list[Row]:
    """The map rows of one Ingress (H-A3, H-B3), with findings for the paths that get none."""
    out: list[Row] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    for ri, rule in enumerate(ing.spec.rules):
        if rule.http is None:
            continue
        host = (rule.host or "").strip().lower()
        for pi, p in enumerate(rule.http.paths):
            where = f"spec.rules[{ri}].http.paths[{pi}]"
            row = _row(ctx, settings, ing, host, p, where, seen)
            if row is not None:
                out.append(row)
    return out


def _row(ctx: BuildContext, settings: Settings, ing: Ingress, host: str, p: HTTPIngressPath, where: str,
         seen: set[tuple[str, str, str, str, str]]) -> Row | None:
    path = p.path or ""
    svc = p.backend.service
    key = (host, p.path_type, path, svc.name if svc else "", str(svc.port.value) if svc else "")
    if key in seen:  # H-A3: pathType-path-service-port keys collapse
        return None
    seen.add(key)
    if not host and not path:
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-014",
                    f"{where}: neither host nor path: the controller skips it, and so does ing2gw", ing=ing)
        return None
    if svc is not None and settings.service(ing.namespace, svc.name, "route-acl") is not None:
        acl = settings.service(ing.namespace, svc.name, "route-acl")
        assert acl is not None
        alternatives, why = convert_acl(acl.value)
        path_value = path if p.path_type == "Exact" else (path.rstrip("/") or "/")
        if not why:
            why = _acl_path_problem(host, path_value, p.path_type, settings)
        if not why:
            resolved = resolve(ctx, ing, p.backend, where)
            if resolved is None:
                return None
            rtype_acl: Literal["Exact", "PathPrefix"] = "Exact" if p.path_type == "Exact" else "PathPrefix"
            return Row(host, rtype_acl, path_value, ing, resolved[0], resolved[1], where, acl=alternatives,
                       acl_text=acl.value, acl_key=acl.key)
        acl_lost(ctx, settings, ing, where, host, path, p.path_type, svc.name, acl.key, acl.value, why)
        return None
    if p.path_type == "Exact":
        rtype: Literal["Exact", "PathPrefix"] = "Exact"
        value = path
    else:
        rtype = "PathPrefix"
        value = path[:-1] if path.endswith("/") and path != "/" else path
        value = value or "/"
    problem = gateway_path_problem(value) if value else "is empty"
    if problem is not None:
        ctx.finding(Severity.ERROR, "ING2GW-HAPROXY-018",
                    f"{where}: path {path!r} {problem}; HAProxy matches it as plain text; the rule is not in the output",
                    ing=ing, suggestion="change the path",
                    details={"hosts": host or "*", "paths": paths_detail([("prefix", value or "/")])})
        return None
    standalone = settings.backend(ing, svc.name, "standalone-backend") if svc is not None else None
    if standalone is not None and standalone.value.strip().lower() == "true" and "." in ing.name:
        ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-022",
                    f"{where}: standalone-backend on an Ingress whose name has a dot: HAProxy's routing rule cuts the "
                    f"backend name at the dot ({ing.namespace}_{ing.name.split('.')[0]}), finds no such backend and "
                    "answers from its default backend; the path is not in the output", ing=ing,
                    annotation=standalone.key, value=standalone.value, suggestion="rename the Ingress without a dot",
                    details={"hosts": host or "*", "paths": paths_detail(
                        [("exact" if p.path_type == "Exact" else "segment", value)])})
        return None
    resolved = resolve(ctx, ing, p.backend, where)
    if resolved is None:
        return None
    backend, name = resolved
    return Row(host, rtype, value, ing, backend, name, where,
               string_prefix=p.path_type == "ImplementationSpecific" and value != "/")


def _acl_path_problem(host: str, path: str, path_type: str, settings: Settings) -> str:
    """Why the rule's host or path condition has no exact Gateway API form, or ""."""
    if not host or host.startswith("*"):
        return "its host condition is a plain suffix match for a wildcard (any depth) and none for no host"
    if settings.rewrites:
        return "an Ingress of the class rewrites paths, and route-acl rules see the rewritten path"
    if path_type != "Exact" and path != "/" and re.search(r"[.+*?()\[\]{}|^$\\]", path):
        return "its path condition is an unescaped regular expression (a '.' in the path matches any character)"
    if not path or gateway_path_problem(path) is not None:
        return "its path has no Gateway API form"
    return ""


def acl_lost(ctx: BuildContext, settings: Settings, ing: Ingress, where: str, host: str, path: str, path_type: str,
             service: str, key: str, value: str, why: str) -> None:
    """The finding for a route-acl rule that is not converted (its path is not in the output)."""
    ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-030" if settings.rewrites else "ING2GW-HAPROXY-019",
                f"{where}: Service {ing.namespace}/{service} has route-acl {value!r}: its paths are routed by that ACL "
                f"instead of the maps; not converted because {why}; the path is not in the output",
                ing=ing, annotation=key, value=value,
                suggestion="express the condition as an HTTPRoute match (headers, query, weights) by hand",
                details={"hosts": host or "*"} if settings.rewrites else {"hosts": host or "*", "paths": paths_detail(
                    [("exact", path) if path_type == "Exact" else ("segment", path.rstrip("/") or "/")])})


def check_acl_rows(ctx: BuildContext, settings: Settings, acl_rows: list[Row], rows: list[Row],
                   has_rules: dict[str, bool]) -> list[Row]:
    """The converted route-acl rows whose Gateway API rules route exactly as HAProxy does; a
    finding (and no rule) for the others. HAProxy tries every route-acl rule before the maps
    (H-C7), Gateway API the longest path first: exact only when no map row of the host is more
    specific inside the ACL's path. The Ingress's annotations do not apply to requests a
    route-acl rule routes unless a map row of the same request carries them (H-H1): exact only
    when no map row of the host has annotations. Several route-acl rules of a host run in an
    undefined order (H-H2): exact only with one ACL per host."""
    out: list[Row] = []
    for r in acl_rows:
        same_host = [o for o in rows if o.host == r.host]
        why = ""
        if len({(o.acl_text, o.backend_name) for o in acl_rows if o.host == r.host}) > 1:
            why = "the host has several route-acl rules, which HAProxy tries in an undefined order"
        elif any(has_rules[o.ing.key] for o in same_host):
            why = "a map row of the host carries annotations that would apply to the requests the ACL routes"
        elif any(_inside(o, r) for o in same_host):
            why = "a longer path of the host wins in Gateway API where HAProxy tries the ACL first"
        elif not same_host and any(not o.host for o in rows):
            why = "the host has no map row, so HAProxy sends its other requests to the host-less rules"
        if why:
            acl_lost(ctx, settings, r.ing, r.where, r.host, r.value, r.type, r.backend.name, r.acl_key, r.acl_text, why)
            continue
        ctx.finding(Severity.INFO, "ING2GW-HAPROXY-036",
                    f"{r.where}: route-acl {r.acl_text!r} of Service {r.ing.namespace}/{r.backend.name} becomes the "
                    "rule's " + ("method" if r.acl[0].method else "header") + " match"
                    + ("" if r.acl[0].method else " (HAProxy's hdr() also splits a header at commas and matches any "
                       "part; Gateway API matches the whole value)"), ing=r.ing, annotation=r.acl_key,
                    value=r.acl_text)
        out.append(r)
    return out


def _inside(o: Row, r: Row) -> bool:
    """Whether map row `o` is more specific than the ACL row `r` on some request of `r`'s path."""
    if r.type == "Exact":
        return False
    base = r.value.rstrip("/")
    under = o.value == r.value or o.value.startswith(base + "/")
    return under and (o.type == "Exact" or len(o.value) > len(r.value))


def winners(ctx: BuildContext, rows: list[Row], has_rules: dict[str, bool]) -> list[Row]:
    """The row HAProxy uses for each host and match (H-B6), losers reported.

    A Prefix and an ImplementationSpecific path with the same value share the path-prefix-exact
    key (the request of exactly that path: the row sorting first) but not the path-prefix key:
    the Prefix row's `p/` is longer, so it takes `p/...`; the string prefix alone takes `pX`
    (ING2GW-HAPROXY-010). Both become rules: PathPrefix p for the Prefix row, and Exact p for the
    row that wins the shared key when that is the other one."""
    def order(r: Row) -> tuple[str, bool, str]:
        # the row line sorts by value `<backend>[.<ids>]`: the backend name, then no ids first
        return (r.backend_name, has_rules[r.ing.key], r.ing.key)

    won = _winners(ctx, rows, order)
    out: list[Row] = []
    by_key = {(r.host, r.type, r.value, r.string_prefix): r for r in won}
    for r in won:
        if not r.string_prefix:
            out.append(r)
            continue
        twin = by_key.get((r.host, "PathPrefix", r.value, False))
        if twin is None:
            out.append(r)
            continue
        if twin.ing is not r.ing and twin.backend_name == r.backend_name and order(twin)[1] and order(r)[1]:
            ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-009",
                        f"{r.where} (ImplementationSpecific {r.value}) and {twin.ing.key}'s Prefix {r.value} share "
                        f"HAProxy's row for exactly {r.value} on {r.host or 'any host'}, with the same backend and "
                        f"annotations on both: the rule ids decide; ing2gw keeps {twin.ing.key}'s", ing=r.ing,
                        details={"hosts": r.host or "*", "paths": paths_detail([("exact", r.value)])})
        elif min((twin, r), key=order) is r and (r.host, "Exact", r.value, False) not in by_key:
            out.append(Row(r.host, "Exact", r.value, r.ing, r.backend, r.backend_name, r.where))
    return sorted(out, key=lambda r: (r.host, r.type != "Exact", -len(r.value), r.value))


def _winners(ctx: BuildContext, rows: list[Row], order: Callable[[Row], tuple[str, bool, str]]) -> list[Row]:
    groups: dict[tuple[str, str, str, bool], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.host, r.type, r.value, r.string_prefix), []).append(r)
    out = []
    for (host, rtype, value, _), group in groups.items():
        ordered = sorted(group, key=order)
        win = ordered[0]
        out.append(win)
        for lose in ordered[1:]:
            if lose.ing is win.ing:
                continue
            same = lose.backend_name == win.backend_name
            if same and order(lose)[1] and order(win)[1]:
                ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-009",
                            f"{lose.where} ({rtype} {value} on {host or 'any host'}) and {win.ing.key} both route to "
                            f"{win.backend_name} with annotations: HAProxy keeps the row whose rule ids sort first; "
                            f"ing2gw keeps {win.ing.key}'s", ing=lose.ing,
                            details={"hosts": host or "*", "paths": paths_detail(
                                [("exact" if rtype == "Exact" else "segment", value)])})
            elif not same or order(lose)[1]:
                ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-008",
                            f"{lose.where} ({rtype} {value} on {host or 'any host'}) is not used: {win.ing.key}'s row "
                            f"({win.backend_name}) sorts first in HAProxy's map and wins; only it is emitted",
                            ing=lose.ing, suggestion="remove the losing path, or check which one you meant to keep")
    return out
