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

The Ingress side follows ingress-nginx's reading of the Ingress: ImplementationSpecific is a
prefix, every path of a host with use-regex or rewrite-target on any Ingress is a regex, a host
with a certificate (or any host of an Ingress with a tls section) is served over HTTPS and
redirects HTTP to HTTPS unless ssl-redirect is false. The Gateway side reads the
emitted routes whose `ing2gw.io/source-ingress` is the Ingress (for a canary Ingress, the rules
that send traffic to its Services). nginx's automatic `/p` -> `/p/` 301 is left out of both
sides: the equivalence check proves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping
from urllib.parse import urlsplit

from deepdiff import DeepDiff

from ing2gw.emit.gateway import SOURCE_ANNOTATION
from ing2gw.model.ingress import Ingress, IngressBackend
from ing2gw.model.inputs import Inputs, configmap_data

NGINX_CONFIGMAPS = ("ingress-nginx-controller", "nginx-configuration")
_TRUE = frozenset(["1", "t", "T", "TRUE", "true", "True"])
_FALSE = frozenset(["0", "f", "F", "FALSE", "false", "False"])
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


@dataclass
class Context:
    """What both sides need, computed once per report."""

    inputs: Inputs
    objects: list[dict[str, Any]]
    class_of: dict[str, str]
    prefix_of: dict[str, str]
    #: (parent kind, namespace, name, listener name) -> protocol, for Gateways and ListenerSets
    listeners: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    routes_by_source: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    objects_by_source: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tls_hosts: dict[str, set[str]] = field(default_factory=dict)
    regex_hosts: dict[str, set[str]] = field(default_factory=dict)
    ssl_redirect_default: bool = True
    redirect_code: int = 308
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
    def build(cls, inputs: Inputs, objects: list[dict[str, Any]], class_of: dict[str, str],
              prefix_of: dict[str, str]) -> "Context":
        ctx = cls(inputs, objects, class_of, prefix_of)
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
        for ing in inputs.ingresses:
            if ing.key not in class_of:
                continue
            cls_name = class_of[ing.key]
            for t in ing.spec.tls:
                ctx.tls_hosts.setdefault(cls_name, set()).update(t.hosts)
            anns = ing.annotations
            p = prefix_of.get(ing.key, "")
            if _bool(anns.get(f"{p}/use-regex")) or anns.get(f"{p}/rewrite-target"):
                ctx.regex_hosts.setdefault(cls_name, set()).update(r.host or "*" for r in ing.spec.rules)
        for m in inputs.configmaps:
            if m.name in NGINX_CONFIGMAPS:
                data = configmap_data(m)
                ctx.ssl_redirect_default = _bool(data.get("ssl-redirect"), True)
                code = data.get("http-redirect-code", "308")
                ctx.redirect_code = int(code) if code in ("301", "302", "307", "308") else 308
                break
        return ctx

    def has_cert(self, class_name: str, host: str) -> bool:
        hosts = self.tls_hosts.get(class_name, set())
        if host in hosts:
            return True
        return "." in host and not host.startswith("*.") and "*." + host.split(".", 1)[1] in hosts


def _bool(v: str | None, default: bool = False) -> bool:
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return default


# -- the Ingress side --------------------------------------------------------------------------


def _port(inputs: Inputs, namespace: str, b: IngressBackend) -> str | None:
    if b.service is None:
        return None
    port = b.service.port
    if port.number is not None:
        return f"{namespace}/{b.service.name}:{port.number}"
    svc = inputs.service(namespace, b.service.name)
    sp = svc.port_by_name(str(port.name)) if svc is not None else None
    return f"{namespace}/{b.service.name}:{sp.port if sp is not None else port.name}"


def _backend_text(inputs: Inputs, namespace: str, b: IngressBackend) -> str:
    if b.resource is not None:
        return f"resource {b.resource.kind}/{b.resource.name}"
    return _port(inputs, namespace, b) or "none"


def _url_redirect(code: int, url: str) -> str:
    try:
        u = urlsplit(url)
    except ValueError:
        return f"{code} {url}"
    if not u.scheme:
        return f"{code} {url}"
    port = f":{u.port}" if u.port else ""
    query = f"?{u.query}" if u.query else ""
    return f"{code} {u.scheme}://{u.hostname}{port}{u.path or '/'}{query}"


def _int(v: str | None, default: int) -> int:
    try:
        return int(v) if v is not None else default
    except ValueError:
        return default


def _share(pct: float) -> str:
    return f"{round(pct, 2):g}%"


def expressed(ing: Ingress, ctx: Context) -> dict[str, Any]:
    """What the Ingress asks of ingress-nginx, in the common vocabulary."""
    p = ctx.prefix_of.get(ing.key, "")
    anns = ing.annotations

    def a(key: str) -> str | None:
        return anns.get(f"{p}/{key}")

    class_name = ctx.class_of.get(ing.key, "")
    intents: dict[str, Any] = {}
    temporal, permanent = a("temporal-redirect"), a("permanent-redirect")
    if temporal:
        code = _int(a("temporal-redirect-code"), 302)
        intents["redirect"] = _url_redirect(code if 300 <= code <= 307 else 302, temporal)
    elif permanent:
        code = _int(a("permanent-redirect-code"), 301)
        intents["redirect"] = _url_redirect(code if 300 <= code <= 308 else 301, permanent)
    target = a("rewrite-target")
    if target:
        # nginx's rewrite replaces the whole path; only capture groups make it depend on the request
        intents["rewrite"] = target if "$" in target else f"ReplaceFullPath {target}"
    if a("upstream-vhost"):
        intents["upstream_host"] = a("upstream-vhost")
    if _bool(a("enable-cors")):
        intents["cors"] = "enabled"
    canary = _bool(a("canary"))
    weight, total = _int(a("canary-weight"), 0), _int(a("canary-weight-total"), 100) or 100
    ssl_redirect = _bool(a("ssl-redirect"), ctx.ssl_redirect_default)
    force = _bool(a("force-ssl-redirect"))

    hosts: dict[str, Any] = {}

    any_tls = bool(ing.spec.tls)

    def host_entry(host: str) -> dict[str, Any]:
        if host not in hosts:
            # every host of an Ingress with a tls section gets a certificate (the default one when
            # no secret names it), and so HTTPS and the redirect to it
            tls = host != "*" and (any_tls or ctx.has_cert(class_name, host))
            redirect = force or (tls and ssl_redirect)
            hosts[host] = {"tls": tls, "http": f"redirect to https ({ctx.redirect_code})" if redirect else "served",
                           "paths": {}}
        h: dict[str, Any] = hosts[host]
        return h

    def add_path(host: str, key: str, backend: str) -> None:
        entry = host_entry(host)
        value: dict[str, Any] = {}
        if canary:  # nginx ignores a canary's other annotations: it uses the primary's locations
            value["backend"] = backend
        elif "redirect" in intents:
            value["redirect"] = intents["redirect"]
        else:
            value["backend"] = backend
            value.update({k: v for k, v in intents.items() if k != "redirect"})
        if canary:
            _canary_paths(entry["paths"], key, value, a, weight, total)
        else:
            entry["paths"][key] = value

    for rule in ing.spec.rules:
        host = rule.host or "*"
        host_entry(host)
        regex = host in ctx.regex_hosts.get(class_name, set())
        for path in rule.http.paths if rule.http else []:
            value = path.path or "/"
            kind = "regex" if regex else ("exact" if path.path_type == "Exact" else "prefix")
            add_path(host, f"{kind} {value}", _backend_text(ctx.inputs, ing.namespace, path.backend))
    default = ing.spec.default_backend
    if default is not None:
        target = _backend_text(ctx.inputs, ing.namespace, default)
        for host in list(hosts) or ["*"]:
            root = f"{'regex' if host in ctx.regex_hosts.get(class_name, set()) else 'prefix'} /"
            if root not in host_entry(host)["paths"]:
                add_path(host, root, target)
    app_root = a("app-root")
    if app_root:
        for host in hosts:
            hosts[host]["paths"]["exact /"] = {"redirect": f"302 {app_root}"}
    if canary:  # TLS and the HTTP redirect of a canary's traffic are the primary's
        for h in hosts.values():
            h.pop("tls", None)
            h.pop("http", None)
    for alias in (x.strip() for x in (a("server-alias") or "").split(",")):
        if alias and hosts and alias not in hosts:
            first = hosts[next(iter(hosts))]
            hosts[alias] = {**first, "tls": ctx.has_cert(class_name, alias)}
    if _bool(a("ssl-passthrough")):
        for h in hosts.values():
            backends = [v.get("backend") for v in h["paths"].values() if v.get("backend")]
            if backends:
                h["passthrough"] = backends[0]
    return {"hosts": hosts}


def _canary_paths(paths: dict[str, Any], key: str, value: dict[str, Any], a: Any, weight: int, total: int) -> None:
    """A canary Ingress: its Service gets the header/cookie decisions and a share of the rest."""
    backend = value.get("backend", "")
    header = a("canary-by-header")
    if header:
        if a("canary-by-header-value"):
            paths[f"{key} [{header}: {a('canary-by-header-value')}]"] = {**value}
        elif a("canary-by-header-pattern"):
            paths[f"{key} [{header} ~ {a('canary-by-header-pattern')}]"] = {**value}
        else:
            paths[f"{key} [{header}: always]"] = {**value}
    cookie = a("canary-by-cookie")
    if cookie:
        paths[f"{key} [cookie {cookie}=always]"] = {**value}
    if weight > 0:
        paths[key] = {**value, "backend": f"{backend} {_share(100 * min(weight, total) / total)}"}


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
        elif t == "CORS":
            value["cors"] = "enabled"
    if only is not None:  # a canary's share of the primary's rules: the rest is the primary's
        return {"backend": _backends(route_ns, list(rule.get("backendRefs") or []), only)}
    if redirect is not None:
        return {"redirect": _redirect(redirect), **{k: v for k, v in value.items() if k != "rewrite"}}
    return {"backend": _backends(route_ns, list(rule.get("backendRefs") or []), only), **value}


def _canary_services(ing: Ingress) -> set[str]:
    out = set()
    for rule in ing.spec.rules:
        for p in rule.http.paths if rule.http else []:
            if p.backend.service is not None:
                out.add(f"{ing.namespace}/{p.backend.service.name}")
    return out


def _in_order(index: dict[str, list[tuple[int, dict[str, Any]]]], keys: set[str]) -> list[dict[str, Any]]:
    found = {i: o for k in keys for i, o in index.get(k, ())}
    return [found[i] for i in sorted(found)]


def emitted(ing: Ingress, ctx: Context) -> dict[str, Any]:
    """What the routes emitted for the Ingress ask of the Gateway, in the common vocabulary."""
    routes = ctx.routes_by_source.get(ing.key, [])
    only: set[str] | None = None
    p = ctx.prefix_of.get(ing.key, "")
    if not routes and _bool(ing.annotations.get(f"{p}/canary")):
        # a canary has no routes of its own: it lives in the rules that send traffic to its Services
        only = _canary_services(ing)
        own_hosts = {r.host or "*" for r in ing.spec.rules}
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
