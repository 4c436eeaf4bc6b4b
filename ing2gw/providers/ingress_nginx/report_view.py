"""ingress-nginx's reading of an Ingress for the report's "lost in translation" view
(`report/lost.py`): what the Ingress asks of ingress-nginx, in the report's small vocabulary
(hosts, TLS, what plain HTTP gets, paths with their backend, redirect, rewrite, upstream host,
CORS, canary decisions). The registry names it (`report_view`); the report compares it with what
the emitted objects express and knows nothing of nginx itself.

It follows ingress-nginx's reading of the Ingress: ImplementationSpecific is a prefix, every path
of a host with use-regex or rewrite-target on any Ingress is a regex, a host with a certificate
(or any host of an Ingress with a tls section) is served over HTTPS and redirects HTTP to HTTPS
unless ssl-redirect is false. nginx's automatic `/p` -> `/p/` 301 is left out of both sides: the
equivalence check proves it. Values are read with the Go parsers of `providers/values.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

from ing2gw.model.ingress import Ingress, IngressBackend
from ing2gw.model.inputs import Inputs, configmap_data
from ing2gw.providers.values import go_bool, go_int

NGINX_CONFIGMAPS = ("ingress-nginx-controller", "nginx-configuration")


def _bool(v: str | None, default: bool = False) -> bool:
    b = go_bool(v) if v is not None else None
    return default if b is None else b


def _int(v: str | None, default: int) -> int:
    n = go_int(v) if v is not None else None
    return default if n is None else n


def _share(pct: float) -> str:
    return f"{round(pct, 2):g}%"


@dataclass
class IngressSide:
    """What the Ingress side needs, computed once per report (`build`)."""

    inputs: Inputs
    class_of: dict[str, str]
    prefix_of: dict[str, str]
    tls_hosts: dict[str, set[str]] = field(default_factory=dict)
    regex_hosts: dict[str, set[str]] = field(default_factory=dict)
    ssl_redirect_default: bool = True
    redirect_code: int = 308

    @classmethod
    def build(cls, inputs: Inputs, class_of: dict[str, str], prefix_of: dict[str, str]) -> "IngressSide":
        """The reading of every Ingress in `class_of` (Ingress key -> class; `prefix_of`: its annotation prefix)."""
        ctx = cls(inputs, class_of, prefix_of)
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

    def canary_services(self, ing: Ingress) -> set[str] | None:
        """A canary Ingress has no routes of its own: the Services whose share of the primary's
        rules are its traffic. None for any other Ingress."""
        if not _bool(ing.annotations.get(f"{self.prefix_of.get(ing.key, '')}/canary")):
            return None
        out = set()
        for rule in ing.spec.rules:
            for p in rule.http.paths if rule.http else []:
                if p.backend.service is not None:
                    out.add(f"{ing.namespace}/{p.backend.service.name}")
        return out

    def expressed(self, ing: Ingress) -> dict[str, Any]:
        """What the Ingress asks of ingress-nginx, in the common vocabulary."""
        return expressed(ing, self)


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


def expressed(ing: Ingress, ctx: IngressSide) -> dict[str, Any]:
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


def _canary_paths(paths: dict[str, Any], key: str, value: dict[str, Any], a: Callable[[str], str | None],
                  weight: int, total: int) -> None:
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
