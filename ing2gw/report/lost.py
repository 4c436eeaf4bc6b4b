"""The "lost in translation" view: what an Ingress expressed against what its emitted objects express.

Both sides are reduced to one small vocabulary, so that deepdiff can compare them and a reviewer
reads the delta instead of a list of keys::

    {"hosts": {"shop.example.com": {
        "tls": True,                                 # served over HTTPS
        "http": "redirect to https (308)",           # what plain HTTP gets: "served", a redirect, "not served"
        "passthrough": "shop/tcp:443",               # only for ssl-passthrough / TLSRoute
        "paths": {"prefix /api": {"backend": "shop/api:8000", "rewrite": "/$2", ...}}}}}

A path key is `<prefix|exact|regex> <path>` plus header (`[X-Canary: always]`, `[H ~ regex]`),
query (`?k=v`) and method conditions. A path value holds `backend` (with traffic shares when
split), `redirect`, `rewrite`, `upstream_host` and `cors` — the intents of the annotations the
table knows for redirects, rewrites and canaries. Host-less rules are under the host `*`. The
report adds `annotations` (key -> value) for annotations whose meaning no path shows, so that a
dropped allow-list or snippet is in the delta too.

The source side is the controller's own reading, from the provider that knows it (`SourceView`,
named by the controller's registry entry as `report_view`; ingress-nginx's is
`providers/ingress_nginx/report_view.py`): this module re-derives no controller's rules. A
controller without one gets no source side, and the report says the view was not compared. The
Gateway side reads the emitted routes whose `ing2gw.io/source-ingress` is the source (`ns/name`
for an Ingress, `Kind/ns/name` for another kind, e.g. an IngressRoute; for a canary Ingress, the
rules that send traffic to its Services). nginx's automatic `/p` -> `/p/` 301 is left out: the
equivalence check proves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Protocol

from deepdiff import DeepDiff

from ing2gw.emit.gateway import SOURCE_ANNOTATION
from ing2gw.model.ingress import Ingress

_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute")


ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    """One difference: `kind` removed (lost: only the Ingress side has it), added (only the
    Gateway side has it: often ingress-nginx behaviour the translation made explicit) or
    changed; `path` as `host › path key › field`."""

    kind: ChangeKind
    path: str
    ingress: Any
    gateway: Any


class SourceView(Protocol):
    """A controller's reading of its Ingresses for this view (built once per report by the
    `report_view` of its registry entry: `build(inputs, class_of, prefix_of)`)."""

    def expressed(self, ing: Ingress) -> dict[str, Any]:
        """What the Ingress asks of the controller, in this module's vocabulary."""
        ...

    def canary_services(self, ing: Ingress) -> set[str] | None:
        """The Services of an Ingress whose traffic lives in other sources' rules (a canary), or None."""
        ...


@dataclass
class Context:
    """What both sides need, computed once per report."""

    objects: list[dict[str, Any]]
    #: (parent kind, namespace, name, listener name) -> protocol, for Gateways and ListenerSets
    listeners: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    routes_by_source: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    objects_by_source: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: HTTPRoutes/GRPCRoutes (position in `objects`, object) by backend Service "ns/name" and by
    #: hostname ("*" for none): how a canary, which has no routes of its own, finds the rules it
    #: lives in without scanning every object once per canary
    routes_by_service: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    routes_by_hostname: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)

    def routes_to_services(self, services: set[str]) -> list[dict[str, Any]]:
        """HTTPRoutes and GRPCRoutes with a backendRef to one of `services`, in output order."""
        return _in_order(self.routes_by_service, services)

    def routes_on_hosts(self, hosts: set[str]) -> list[dict[str, Any]]:
        """HTTPRoutes and GRPCRoutes for one of `hosts` ("*": no hostnames), in output order."""
        return _in_order(self.routes_by_hostname, hosts)

    @classmethod
    def build(cls, objects: list[dict[str, Any]]) -> "Context":
        ctx = cls(objects)
        for i, o in enumerate(objects):
            md = o.get("metadata") or {}
            if o.get("kind") in ("HTTPRoute", "GRPCRoute"):
                spec = o.get("spec") or {}
                for svc in {f"{r.get('namespace') or md.get('namespace')}/{r.get('name')}"
                            for rule in spec.get("rules") or [] for r in rule.get("backendRefs") or []}:
                    ctx.routes_by_service.setdefault(svc, []).append((i, o))
                for h in set(spec.get("hostnames") or ["*"]):
                    ctx.routes_by_hostname.setdefault(h, []).append((i, o))
            if o.get("kind") in ("Gateway", "ListenerSet"):
                for lst in (o.get("spec") or {}).get("listeners") or []:
                    ctx.listeners[(str(o["kind"]), md.get("namespace", ""), md.get("name", ""), lst.get("name", ""))] = \
                        str(lst.get("protocol", ""))
                continue
            src = (md.get("annotations") or {}).get(SOURCE_ANNOTATION)
            if src:
                ctx.objects_by_source.setdefault(src, []).append(o)
                if o.get("kind") in _ROUTE_KINDS:
                    ctx.routes_by_source.setdefault(src, []).append(o)
        return ctx


def _share(pct: float) -> str:
    return f"{round(pct, 2):g}%"


# -- the Gateway API side ----------------------------------------------------------------------


def _ref(route_ns: str, ref: Mapping[str, Any]) -> str:
    return f"{ref.get('namespace') or route_ns}/{ref.get('name')}:{ref.get('port')}"


def _backends(route_ns: str, refs: list[dict[str, Any]], only: set[str] | None = None) -> str:
    if not refs:
        return "none (500)"
    weights = [int(r.get("weight", 1)) for r in refs]
    total = sum(weights)
    parts = []
    for r, w in zip(refs, weights):
        name = _ref(route_ns, r)
        if only is not None and name.rsplit(":", 1)[0] not in only:
            continue
        parts.append(name if (len(refs) == 1 or w == total) else f"{name} {_share(100 * w / total if total else 0)}")
    return ", ".join(parts)


def _match_key(m: Mapping[str, Any], grpc: bool) -> str:
    if grpc:
        method = m.get("method") or {}
        svc, meth = method.get("service"), method.get("method")
        key = f"exact /{svc}/{meth}" if svc and meth else (f"prefix /{svc}/" if svc else "prefix /")
    else:
        path = m.get("path") or {"type": "PathPrefix", "value": "/"}
        kind = {"PathPrefix": "prefix", "Exact": "exact", "RegularExpression": "regex"}.get(str(path.get("type")),
                                                                                            "prefix")
        value = str(path.get("value", "/"))
        if kind == "regex" and value.startswith("(?i)^") and value.endswith(".*"):
            value = value[len("(?i)^"):-2]  # nginx's `~* ^<path>` as ing2gw writes it
        key = f"{kind} {value}"
    for h in m.get("headers") or []:
        sep = " ~ " if h.get("type") == "RegularExpression" else ": "
        key += f" [{h.get('name')}{sep}{h.get('value')}]"
    for q in m.get("queryParams") or []:
        key += f" ?{q.get('name')}{'~' if q.get('type') == 'RegularExpression' else '='}{q.get('value')}"
    if m.get("method") and not grpc:
        key += f" {m['method']}"
    return key


def _redirect(rr: Mapping[str, Any]) -> str:
    status = rr.get("statusCode", 302)
    path = rr.get("path") or {}
    if path.get("type") == "ReplaceFullPath":
        p = str(path.get("replaceFullPath"))
    elif path.get("type") == "ReplacePrefixMatch":
        p = f"(prefix -> {path.get('replacePrefixMatch')})"
    else:
        p = "(same path)"
    if not (rr.get("scheme") or rr.get("hostname") or rr.get("port")):
        return f"{status} {p}"
    port = f":{rr['port']}" if rr.get("port") else ""
    return f"{status} {rr.get('scheme') or '(same scheme)'}://{rr.get('hostname') or '(same host)'}{port}{p}"


def _is_https_redirect(rr: Mapping[str, Any]) -> bool:
    return rr.get("scheme") == "https" and not (set(rr) - {"scheme", "statusCode"})


def _is_slash_redirect(rule: Mapping[str, Any]) -> bool:
    """nginx's automatic 301 from /p to /p/ (D2), made explicit by the translation."""
    matches = rule.get("matches") or []
    if len(matches) != 1 or rule.get("backendRefs"):
        return False
    path = matches[0].get("path") or {}
    for f in rule.get("filters") or []:
        rr = f.get("requestRedirect")
        if rr and set(rr) == {"path", "statusCode"} and rr["statusCode"] == 301 and path.get("type") == "Exact" \
                and (rr["path"] or {}).get("replaceFullPath") == f"{path.get('value')}/":
            return True
    return False


def _cors_object(ref: Mapping[str, Any]) -> bool:
    """An ExtensionRef to the object a target writes for a CORS policy (emit.targets.CORS_MIDDLEWARE)."""
    from ing2gw.emit.targets import CORS_MIDDLEWARE

    return (str(ref.get("name", "")).startswith("cors-")
            and (ref.get("group"), ref.get("kind")) in set(CORS_MIDDLEWARE.values()))


def _rule_value(route_ns: str, rule: Mapping[str, Any], only: set[str] | None) -> dict[str, Any]:
    value: dict[str, Any] = {}
    redirect = None
    for f in rule.get("filters") or []:
        t = f.get("type")
        if t == "RequestRedirect":
            redirect = f.get("requestRedirect") or {}
        elif t == "URLRewrite":
            rw = f.get("urlRewrite") or {}
            path = rw.get("path") or {}
            if path:
                value["rewrite"] = f"{path.get('type')} {path.get('replaceFullPath', path.get('replacePrefixMatch'))}"
            if rw.get("hostname"):
                value["upstream_host"] = rw["hostname"]
        elif t == "CORS" or (t == "ExtensionRef" and _cors_object(f.get("extensionRef") or {})):
            value["cors"] = "enabled"
    if only is not None:  # a canary's share of the primary's rules: the rest is the primary's
        return {"backend": _backends(route_ns, list(rule.get("backendRefs") or []), only)}
    if redirect is not None:
        return {"redirect": _redirect(redirect), **{k: v for k, v in value.items() if k != "rewrite"}}
    return {"backend": _backends(route_ns, list(rule.get("backendRefs") or []), only), **value}


def _in_order(index: dict[str, list[tuple[int, dict[str, Any]]]], keys: set[str]) -> list[dict[str, Any]]:
    found = {i: o for k in keys for i, o in index.get(k, ())}
    return [found[i] for i in sorted(found)]


def emitted(key: str, ctx: Context, canary: tuple[set[str], set[str]] | None = None) -> dict[str, Any]:
    """What the routes emitted for the source `key` ask of the Gateway, in the common vocabulary.
    `canary`: (its Services, its hosts) for a source whose traffic lives in other sources' rules."""
    routes = ctx.routes_by_source.get(key, [])
    only: set[str] | None = None
    if not routes and canary is not None:
        # a canary has no routes of its own: it lives in the rules that send traffic to its Services
        only, own_hosts = canary
        routes = ctx.routes_on_hosts(own_hosts)
    hosts: dict[str, Any] = {}
    https_paths: dict[str, dict[str, Any]] = {}
    http_paths: dict[str, dict[str, Any]] = {}
    http_state: dict[str, str] = {}
    for o in routes:
        md, spec = o.get("metadata") or {}, o.get("spec") or {}
        ns = md.get("namespace", "")
        protocols = {ctx.listeners.get((ref.get("kind") or "Gateway", ref.get("namespace") or ns, ref.get("name", ""),
                                        ref.get("sectionName", "")),
                                       "HTTP") for ref in spec.get("parentRefs") or []}
        hostnames = spec.get("hostnames") or ["*"]
        if o.get("kind") == "TLSRoute":
            refs = [r for rule in spec.get("rules") or [] for r in rule.get("backendRefs") or []]
            for host in hostnames:
                hosts.setdefault(host, {"tls": False, "http": "not served", "paths": {}})["passthrough"] = \
                    _backends(ns, refs)
            continue
        # what each rule says, once per route (a route can carry up to 16 hostnames)
        rules = []
        grpc = o.get("kind") == "GRPCRoute"
        for rule in spec.get("rules") or []:
            if _is_slash_redirect(rule):
                continue
            refs = list(rule.get("backendRefs") or [])
            if only is not None and not any(_ref(ns, r).rsplit(":", 1)[0] in only for r in refs):
                continue
            codes = [f["requestRedirect"].get("statusCode", 302) for f in rule.get("filters") or []
                     if f.get("type") == "RequestRedirect" and _is_https_redirect(f.get("requestRedirect") or {})]
            rules.append((codes[0] if codes else None, _rule_value(ns, rule, only),
                          [_match_key(m, grpc) for m in rule.get("matches") or [{}]]))
        for host in hostnames:
            h = hosts.setdefault(host, {"tls": False, "http": "not served", "paths": {}})
            if "HTTPS" in protocols:
                h["tls"] = True
            for https_code, value, keys in rules:
                if "HTTP" in protocols:
                    if https_code is not None:
                        http_state[host] = f"redirect to https ({https_code})"
                    elif http_state.get(host) is None:
                        http_state[host] = "served"
                for key in keys:
                    if "HTTPS" in protocols:
                        https_paths.setdefault(host, {}).setdefault(key, value)
                    if "HTTP" in protocols and https_code is None:
                        http_paths.setdefault(host, {}).setdefault(key, value)
    for host, h in hosts.items():
        h["http"] = http_state.get(host, "not served")
        h["paths"] = https_paths.get(host) or http_paths.get(host) or {}
        if only is not None:  # a canary: TLS and the HTTP redirect are the primary's
            del h["tls"], h["http"]
    return {"hosts": hosts}


# -- the delta ---------------------------------------------------------------------------------


def flatten(side: Mapping[str, Any], whole: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`host › key` -> value (a path's value stays a dict of fields), `annotations › key` -> value;
    hosts in `whole` (those the other side lacks) stay one entry."""
    out: dict[str, Any] = {}
    for host, h in (side.get("hosts") or {}).items():
        if host in whole:
            out[host] = h
            continue
        for k, v in h.items():
            if k == "paths":
                for pk, pv in v.items():
                    out[f"{host} › {pk}"] = pv
            else:
                out[f"{host} › {k}"] = v
    for k, v in (side.get("annotations") or {}).items():
        out[f"annotations › {k}"] = v
    return out


_KINDS: dict[str, ChangeKind] = {"dictionary_item_added": "added", "dictionary_item_removed": "removed",
                                 "values_changed": "changed", "type_changes": "changed"}


def diff_many(sides: Mapping[str, tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, list[Change]]:
    """The delta of every Ingress (key -> (Ingress side, Gateway side)), from one deepdiff run.

    Both sides are flattened to `host › path key` entries and the entries that are equal are
    dropped first: deepdiff's cost grows with every node it visits, and a report of 1,000
    Ingresses must render in well under a second.
    """
    left: dict[tuple[str, str], Any] = {}
    right: dict[tuple[str, str], Any] = {}
    for key, (a, b) in sides.items():
        if a == b:
            continue
        ha, hb = set(a.get("hosts") or {}), set(b.get("hosts") or {})
        fa, fb = flatten(a, frozenset(ha - hb)), flatten(b, frozenset(hb - ha))
        for k in fa.keys() | fb.keys():
            va, vb = fa.get(k, _MISSING), fb.get(k, _MISSING)
            if va == vb:
                continue
            if va is not _MISSING:
                left[(key, k)] = va
            if vb is not _MISSING:
                right[(key, k)] = vb
    out: dict[str, list[Change]] = {key: [] for key in sides}
    if not left and not right:
        return out
    # threshold_to_diff_deeper=0: always descend, so one changed field of a path shows as that field
    tree = DeepDiff(left, right, view="tree", threshold_to_diff_deeper=0)
    for dd_kind, items in tree.items():
        kind = _KINDS.get(dd_kind, "changed")
        for item in items:
            path = item.path(output_format="list")
            (key, where), fields = path[0], [str(p) for p in path[1:]]
            out[key].append(Change(kind, " › ".join([where, *fields]), None if kind == "added" else item.t1,
                                   None if kind == "removed" else item.t2))
    for changes in out.values():
        changes.sort(key=lambda c: (c.path, c.kind))
    return out


_MISSING = object()


def diff(ingress_side: dict[str, Any], gateway_side: dict[str, Any]) -> list[Change]:
    """The semantic delta between the two descriptions of one Ingress, sorted by path."""
    return diff_many({"": (ingress_side, gateway_side)})[""]
