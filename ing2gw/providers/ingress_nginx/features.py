"""What one ingress-nginx location does, as IR rules: forwarding plus annotation features.

`location_rules` is the single place where a location's annotations become redirects, filters
and extra rules, so the HTTP and HTTPS sides and every host derive from one answer. Regex hosts
(`nginx_regex`) call it too, with their own matches and rewrite.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import service_name_problem
from ing2gw.model.inputs import configmap_data
from ing2gw.equivalence.prediction import paths_detail
from ing2gw.providers.ingress import gateway_path_problem, host_problem

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx.state import BuildState, Loc

_PRECISE_HOST = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_CORS_ORIGIN = re.compile(r"(^\*$)|(^(http(s)?)://(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)")
_GW_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
GATEWAY_REDIRECT_CODES = (301, 302, 303, 307, 308)

# ingress-nginx CORS defaults (annotations/cors/main.go)
CORS_DEFAULT_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
CORS_DEFAULT_HEADERS = ("DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,"
                        "Range,Authorization")


#: regex.regex_for("/"), the root location of a regex host (not imported: regex.py imports this module)
_REGEX_ROOT = "(?i)^/.*"


def _root_keeps_auth(b: "BuildState", loc: "Loc", matches: tuple[ir.Match, ...], regex_catch_all: bool) -> bool:
    """Whether the host's default root location (owned by the host's first Ingress, whose
    annotations it takes) authenticates, and the target both carries that Ingress's basic auth
    and can answer 404 without a backend (or, for the targets of ROOT_WITHOUT_BACKEND, runs its
    authentication before a rule without backends). For a plain `/` prefix; on a regex host, for
    the catch-all `(?i)^/.*` only when the target tries it after every other rule of the host
    (REGEX_BY_LENGTH) and the caller found no PathPrefix rule on the host (`regex_catch_all`):
    elsewhere the precedence of a catch-all regex between routes is implementation-specific."""
    from ing2gw.emit.targets.carry import REGEX_BY_LENGTH, ROOT_WITHOUT_BACKEND, carries
    from ing2gw.providers.ingress_nginx.intents import intent_params

    target = b.ctx.options.target
    if loc.owner is None or not target or not (carries(target, "direct-response") or target in ROOT_WITHOUT_BACKEND):
        return False
    paths = [m.path for m in matches]
    if paths != [ir.PathMatch("PathPrefix", "/")] and not (
            regex_catch_all and target in REGEX_BY_LENGTH
            and paths == [ir.PathMatch("RegularExpression", _REGEX_ROOT)]):
        return False
    prefix = b.ctx.options.annotations_prefix.rstrip("/")
    params = intent_params(loc.owner.annotations, prefix, loc.owner.namespace, "basic-auth")
    return params is not None and carries(target, "basic-auth", params)


def location_rules(b: "BuildState", loc: "Loc", src: ir.Source, matches: tuple[ir.Match, ...],
                   rewrite: ir.Rewrite | None = None, rewrite_headers: ir.HeaderChanges | None = None,
                   regex_catch_all: bool = False) -> list[ir.Rule]:
    """The rules (HTTPS side) for one location; an empty list when nothing must be emitted.
    `regex_catch_all`: on a regex host, no rule of the host is a PathPrefix (see
    `_root_keeps_auth`)."""
    a = loc.ann
    # read first: its findings concern the location's redirects and 404s too
    cors = _cors(b, loc) if a is not None and loc.owner is not None else None
    red = a.redirect if a is not None else None
    if red is not None and loc.owner is not None:
        # E3/F4: `return` runs before proxying, so it applies even without a backend
        return [ir.Rule(matches, src, redirect=url_redirect(b, loc, red.code, red.url),
                        comment=f"{'temporal' if red.code in (302, 307) else 'permanent'}-redirect (F4)")]
    if loc.is_root and loc.backend is None and not loc.unresolved:
        if _root_keeps_auth(b, loc, matches, regex_catch_all):
            # the host's unmatched paths reach this root location, which has the first Ingress's
            # basic auth: 401 without credentials, the default backend's 404 with them. The same
            # route (and so the same SecurityPolicy) answers them: a 404 without a backend. The
            # location's CORS headers (added `always`) go on both answers, as nginx's do
            return [ir.Rule(matches, src, direct_status=404, cors=cors,
                            comment="the host's unmatched paths: ingress-nginx's root location, authenticated as "
                                    "the first Ingress, answers 404 (404 without a backend)")]
        return []  # the controller's 404 default backend: no rule gives the same 404
    backends = (loc.backend,) if loc.backend is not None else ()
    up = b.upstreams.get(loc.upstream)
    if up is not None and up.deleted and loc.owner is not None:
        # B6: a canary deleted this location's upstream; nginx answers 503, a rule without backends 500
        backends = ()
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-074",
                      f"{loc.where}: upstream {loc.upstream} was deleted by a canary Ingress whose path matches no "
                      "non-canary location, so ingress-nginx answers 503 here; the rule has no backends (500)",
                      ing=loc.owner, details={"paths": paths_detail(path_specs(matches))},
                      suggestion="fix the canary Ingress's paths, or give it its own Service")
    req = rewrite_headers or ir.HeaderChanges()
    resp = ir.HeaderChanges()
    timeouts = None
    mirrors: tuple[ir.Mirror, ...] = ()
    if a is not None and loc.owner is not None:
        _fallback(b, loc)
        rewrite = _upstream_vhost(b, loc, rewrite)
        req = _connection_header(b, loc, req)
        resp = _custom_headers(b, loc)
        timeouts = _timeouts(b, loc)
        mirrors = _mirrors(b, loc)
    rule = ir.Rule(matches, src, backends=backends, rewrite=rewrite, request_headers=req, response_headers=resp,
                   cors=cors, timeouts=timeouts, mirrors=mirrors,
                   comment="" if loc.backend is not None else "backend could not be resolved: answers 500")
    from ing2gw.providers.ingress_nginx.canary import apply_canary

    return apply_canary(b, loc, rule)


def path_specs(matches: tuple[ir.Match, ...]) -> list[tuple[str, str]]:
    """The requests a rule's matches take, as `paths` detail entries of a finding."""
    out = []
    for m in matches:
        if m.path is None:
            out.append(("prefix", "/"))
        elif m.path.type == "Exact":
            out.append(("exact", m.path.value))
        elif m.path.type == "PathPrefix":
            out.append(("segment", m.path.value))
        else:
            out.append(("regex", m.path.value))
    return out


def _once(b: "BuildState", loc: "Loc", key: str) -> bool:
    """True the first time (Ingress, key) is seen: per-Ingress findings, not per location."""
    assert loc.owner is not None
    k = (loc.owner.key, key)
    if k in b.reported:
        return False
    b.reported.add(k)
    return True


def url_redirect(b: "BuildState", loc: "Loc", code: int, url: str) -> ir.Redirect:
    """A RequestRedirect for ingress-nginx's literal redirect URL (F4)."""
    assert loc.owner is not None
    ann = f"{b.ctx.options.annotations_prefix}/{'temporal' if code in (302, 307) else 'permanent'}-redirect"
    status = code
    if code not in GATEWAY_REDIRECT_CODES:
        status = 301 if code in (300, 304, 305, 306, 308) and code != 307 else 302
        if _once(b, loc, f"code{code}"):
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-070",
                          f"redirect status {code} is not one Gateway API can send (301, 302, 303, 307, 308); "
                          f"{status} is used", ing=loc.owner, annotation=ann, value=str(code),
                          details={"change": f"{code}>{status}"})
    parts = urlsplit(url)
    if _once(b, loc, "redirect-query"):
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-040",
                      "ingress-nginx answers with exactly this URL and drops the request's query string; a "
                      "Gateway API RequestRedirect keeps the request's query string", ing=loc.owner,
                      annotation=ann, value=url)
    if parts.query and _once(b, loc, "redirect-url-query"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-041",
                      f"the redirect URL carries a query string ({parts.query!r}), which RequestRedirect cannot set; "
                      "it is left out", ing=loc.owner, annotation=ann, value=url)
    scheme, host, port, path, lost = redirect_parts(url)
    if lost and _once(b, loc, "redirect-url-parts"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-041",
                      f"the redirect URL's {' and '.join(lost)} cannot be a RequestRedirect field (Gateway API "
                      "allows DNS host names, ports 1-65535 and clean paths); the redirect keeps the request's instead",
                      ing=loc.owner, annotation=ann, value=url)
    if scheme is None:
        relative = loc.ann.relative_redirects if loc.ann is not None else None
        if relative is None:
            relative = dict(b.glob.data).get("relative-redirects", "").strip().lower() == "true"
        if relative and _once(b, loc, "relative-redirect"):
            # nginx absolute_redirect off: the client resolves the Location against the URL it used,
            # port of the Host header included; RequestRedirect writes an absolute URL with the
            # listener's port
            b.ctx.finding(Severity.INFO, "ING2GW-NGINX-072",
                          f"ingress-nginx answers with the relative Location {path}; the Gateway writes an absolute "
                          "URL, which differs only for clients that put another port in the Host header",
                          ing=loc.owner, annotation=f"{b.ctx.options.annotations_prefix}/relative-redirects",
                          value="true")
    return ir.Redirect(status, scheme=scheme, hostname=host, port=port, full_path=path)


def redirect_parts(url: str) -> tuple[str | None, str | None, int | None, str, list[str]]:
    """(scheme, hostname, port, path, the parts Gateway API cannot hold) of a literal redirect
    URL; a part that cannot be a RequestRedirect field is left to the request's own value."""
    lost: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed IPv6 literal
        return None, None, None, "/", ["URL"]
    try:
        port = parts.port
    except ValueError:
        port, lost = None, ["port"]
    path = parts.path or "/"
    if gateway_path_problem(path):
        path, lost = "/", lost + ["path"]
    if not parts.scheme:
        return None, None, None, path, lost
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower() or None
    if host is not None and (host_problem(host) or host.startswith("*")):
        host, lost = None, lost + ["host"]
    if scheme not in ("http", "https"):
        scheme, lost = "http", lost + ["scheme"]
    default = {"http": 80, "https": 443}.get(scheme)
    return scheme, host, port if port is not None and port != default else None, path, lost


def _fallback(b: "BuildState", loc: "Loc") -> None:
    """default-backend / custom-http-errors: nginx's fallback for failing backends (B7, F6, F7)."""
    assert loc.ann is not None and loc.owner is not None
    service, errors = loc.ann.default_backend, loc.ann.custom_http_errors
    if not (service or errors) or not _once(b, loc, "fallback"):
        return
    what = f"Service {loc.owner.namespace}/{service}" if service else "the controller's default backend"
    b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-071",
                  f"requests whose Service has no ready endpoints{' or answers ' + errors if errors else ''} are "
                  f"answered by {what} in ingress-nginx; the Gateway answers them with its own 5xx", ing=loc.owner,
                  annotation=f"{b.ctx.options.annotations_prefix}/{'default-backend' if service else 'custom-http-errors'}",
                  value=service or errors, suggestion="make sure the Services have ready endpoints before switching")


def _upstream_vhost(b: "BuildState", loc: "Loc", rewrite: ir.Rewrite | None) -> ir.Rewrite | None:
    assert loc.ann is not None and loc.owner is not None
    vhost = loc.ann.upstream_vhost
    if not vhost:
        return rewrite
    if len(vhost) <= 253 and _PRECISE_HOST.match(vhost.lower()):
        base = rewrite or ir.Rewrite()
        return ir.Rewrite(hostname=vhost.lower(), full_path=base.full_path, prefix_path=base.prefix_path,
                          regex=base.regex)
    if _once(b, loc, "vhost"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-042",
                      f"upstream-vhost {vhost!r} is not a plain hostname (ports and nginx variables cannot be "
                      "expressed): the backend receives the client's Host header instead", ing=loc.owner,
                      annotation=f"{b.ctx.options.annotations_prefix}/upstream-vhost", value=vhost)
    return rewrite


def _connection_header(b: "BuildState", loc: "Loc", req: ir.HeaderChanges) -> ir.HeaderChanges:
    assert loc.ann is not None and loc.owner is not None
    value = loc.ann.connection_proxy_header
    if not value:
        return req
    if len(value) > 4096:  # Gateway API header values: 1-4096 characters
        if _once(b, loc, "connection-header-length"):
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-063",
                          f"connection-proxy-header is {len(value)} characters long; Gateway API header values hold at "
                          "most 4096, so the route does not set Connection", ing=loc.owner,
                          annotation=f"{b.ctx.options.annotations_prefix}/connection-proxy-header", value=value[:200])
        return req
    return ir.HeaderChanges(set=req.set + (("Connection", value),), add=req.add, remove=req.remove)


def _custom_headers(b: "BuildState", loc: "Loc") -> ir.HeaderChanges:
    assert loc.ann is not None and loc.owner is not None
    ref = loc.ann.custom_headers
    if not ref:
        return ir.HeaderChanges()
    ns, _, name = ref.rpartition("/")
    ns = ns or loc.owner.namespace
    if not _cross_namespace_allowed(b, loc, ns, "custom-headers", ref,
                                    f"read ConfigMap {ns}/{name} into the response headers of {loc.owner.key}"):
        return ir.HeaderChanges()
    for m in b.ctx.inputs.configmaps:
        if m.name == name and (m.namespace or b.ctx.options.default_namespace) == ns:
            data = configmap_data(m)
            good = tuple(sorted((k, v) for k, v in data.items() if _HEADER_NAME.match(k) and v))
            return ir.HeaderChanges(set=good[:16])
    if _once(b, loc, "custom-headers"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-043",
                      f"custom-headers names ConfigMap {ns}/{name}, which is not in the input: its response "
                      "headers are not carried over", ing=loc.owner,
                      annotation=f"{b.ctx.options.annotations_prefix}/custom-headers", value=ref,
                      suggestion="pass the ConfigMap with -f")
    return ir.HeaderChanges()


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


#: cors/main.go: what ingress-nginx accepts (validated with spaces removed; a value that fails
#: gives the default) and which single origins it keeps
_NGINX_ORIGINS = re.compile(r"((((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?\Z")
_NGINX_ORIGIN = re.compile(r"([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?\Z")
_NGINX_HEADERS = re.compile(r"[A-Za-z0-9-_, ]*\Z")
_NGINX_METHODS = re.compile(r"([A-Za-z]+,?\s?)+\Z")
_NGINX_EXPOSE = re.compile(r"(([A-Za-z0-9\-\_]+|\*),?\s?)+\Z")


def _valid(value: str | None, rx: "re.Pattern[str]") -> str | None:
    if value is None or not rx.match(value.replace(" ", "")):
        return None
    return value


def _cors(b: "BuildState", loc: "Loc") -> ir.Cors | None:
    """enable-cors as ingress-nginx reads it (cors/main.go Parse), as a CORS filter.

    What the filter cannot do is reported with the requests it changes: nginx adds
    Access-Control-Allow-Methods/-Headers/-Max-Age to every response (the filter to preflights
    only, NGINX-076) and answers every OPTIONS request itself (NGINX-045); with the origin `*`
    it adds its headers even to requests without an Origin and sends
    Access-Control-Allow-Credentials with `*` (NGINX-077); origins the filter cannot hold are
    left out (NGINX-044)."""
    assert loc.ann is not None and loc.owner is not None
    if not loc.ann.enable_cors:
        return None
    v = loc.ann.cors
    prefix = b.ctx.options.annotations_prefix
    raw = _valid(v.allow_origin, _NGINX_ORIGINS)
    origins: list[str] = []
    if raw is None:
        origins = ["*"]
    else:
        for o in (x.strip() for x in raw.split(",")):
            if o == "*":
                origins = ["*"]
                break
            if o and _NGINX_ORIGIN.match(o):
                origins.append(o)
    good = [o for o in origins if _CORS_ORIGIN.match(o)]
    lost = [o for o in origins if o not in good]
    if lost and _once(b, loc, "cors-origin"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-044",
                      f"CORS origins Gateway API cannot express are left out: {', '.join(lost)}", ing=loc.owner,
                      annotation=f"{prefix}/cors-allow-origin", value=v.allow_origin,
                      details={"headers": ",".join(f"Origin={o}" for o in lost)})
    wild = [o for o in good if "*." in o]
    if wild and _once(b, loc, "cors-wildcard"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-078",
                      f"CORS origins {', '.join(wild)}: '*.' matches one label in ingress-nginx and any number of "
                      "labels in Gateway API, so origins two or more labels deeper now get CORS headers",
                      ing=loc.owner, annotation=f"{prefix}/cors-allow-origin", value=v.allow_origin,
                      details={"headers": ",".join(f"Origin={o.replace('*.', 'a.b.')}" for o in wild)})
    methods_raw = _valid(v.allow_methods, _NGINX_METHODS)
    if methods_raw is None or not _NGINX_METHODS.match(methods_raw):
        methods_raw = CORS_DEFAULT_METHODS
    methods = [m for m in dict.fromkeys(m.upper() for m in _split(methods_raw)) if m in _GW_METHODS]
    headers_raw = _valid(v.allow_headers, _NGINX_HEADERS)
    if headers_raw is None:
        headers_raw = CORS_DEFAULT_HEADERS
    headers = [h for h in dict.fromkeys(_split(headers_raw)) if _HEADER_NAME.match(h)]
    expose_raw = _valid(v.expose_headers, _NGINX_EXPOSE) or ""
    expose = [h for h in dict.fromkeys(_split(expose_raw)) if _HEADER_NAME.match(h)]
    cred, max_age = v.allow_credentials, v.max_age
    if _once(b, loc, "cors"):
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-045",
                      "CORS: ingress-nginx answers every OPTIONS request with a matching Origin itself (204); the "
                      "Gateway API CORS filter answers preflights (OPTIONS with Access-Control-Request-Method) and "
                      "forwards other OPTIONS requests", ing=loc.owner, annotation=f"{prefix}/enable-cors", value="true")
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-079",
                      "CORS: ingress-nginx also adds the CORS headers to the answers it makes itself (the "
                      "HTTP->HTTPS redirect, a redirect annotation, its 404); the Gateway's own redirects and 404s "
                      "do not carry them", ing=loc.owner, annotation=f"{prefix}/enable-cors", value="true")
        b.ctx.finding(Severity.INFO, "ING2GW-NGINX-076",
                      "CORS: ingress-nginx adds Access-Control-Allow-Methods, -Allow-Headers and -Max-Age to every "
                      "response for an allowed Origin; the CORS filter sends them on preflight answers only",
                      ing=loc.owner, annotation=f"{prefix}/enable-cors", value="true")
    if origins == ["*"]:
        if _once(b, loc, "cors-any"):
            b.ctx.finding(Severity.INFO, "ING2GW-NGINX-077",
                          "CORS for every origin: ingress-nginx adds its Access-Control-* headers to every response, "
                          "requests without an Origin header included, and sends Access-Control-Allow-Credentials "
                          "with Access-Control-Allow-Origin '*' (which browsers refuse for credentialed requests). "
                          "The CORS filter answers requests that carry an Origin, with '*' and without credentials: "
                          "allowing credentials with '*' would make the Gateway echo any Origin with credentials",
                          ing=loc.owner, annotation=f"{prefix}/cors-allow-origin", value=v.allow_origin or "*")
        cred = False
    return ir.Cors(allow_origins=tuple(good[:64]), allow_methods=tuple(methods[:9]), allow_headers=tuple(headers[:64]),
                   expose_headers=tuple(expose[:64]), allow_credentials=cred,
                   max_age=max_age if max_age >= 1 else None)


def _timeouts(b: "BuildState", loc: "Loc") -> ir.Timeouts | None:
    assert loc.ann is not None and loc.owner is not None
    read, send = loc.ann.timeouts.read, loc.ann.timeouts.send
    if read is None and send is None:
        return None
    seconds = max(x for x in (read, send) if x is not None)
    if _once(b, loc, "timeouts"):
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-046",
                      f"proxy-read/send-timeout limit the time between two reads or writes; Gateway API's "
                      f"backendRequest timeout ({seconds}s) limits the whole backend request, so long downloads, "
                      "streams and long polls may now be cut", ing=loc.owner,
                      annotation=f"{b.ctx.options.annotations_prefix}/proxy-read-timeout", value=str(seconds),
                      suggestion="raise or drop the timeout for streaming endpoints")
    duration = gateway_duration(seconds)
    if duration is None:
        if _once(b, loc, "timeouts-too-long"):
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-046",
                          f"a timeout of {seconds}s is longer than a Gateway API Duration can say (99999h): no "
                          "backendRequest timeout is set", ing=loc.owner,
                          annotation=f"{b.ctx.options.annotations_prefix}/proxy-read-timeout", value=str(seconds))
        return None
    return ir.Timeouts(backend_request=duration)


def gateway_duration(seconds: int) -> str | None:
    """Seconds as a Gateway API Duration (at most five digits per unit: `100000s` is `27h46m40s`),
    or None when even hours overflow."""
    if seconds <= 99999:
        return f"{seconds}s"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h > 99999:
        return None
    return f"{h}h" + (f"{m}m" if m else "") + (f"{s}s" if s else "")


_SVC_HOST = re.compile(r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\Z")


def _mirrors(b: "BuildState", loc: "Loc") -> tuple[ir.Mirror, ...]:
    assert loc.ann is not None and loc.owner is not None
    target = loc.ann.mirror.target
    if not target:
        return ()
    try:
        parts = urlsplit(target.replace("$request_uri", ""))
        port_value = parts.port
    except ValueError:  # an invalid port or IPv6 literal
        parts, port_value = urlsplit(""), None
    host = (parts.hostname or "").lower()
    svc = _SVC_HOST.match(host)
    name, ns = (svc.group(1), svc.group(3)) if svc else (host, loc.owner.namespace) if "." not in host else (None, None)
    if name is not None and service_name_problem(name):
        name = None  # no host (`on`, `/mirror`, a value without a scheme) or no Service name
    if name is None or ns is None:
        if _once(b, loc, "mirror"):
            b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-047",
                          f"mirror-target {target!r} is not a Service of the cluster (<svc>.<ns>.svc); Gateway API "
                          "mirrors only to Services, so requests are no longer mirrored", ing=loc.owner,
                          annotation=f"{b.ctx.options.annotations_prefix}/mirror-target", value=target)
        return ()
    port = port_value or (443 if parts.scheme == "https" else 80)
    if ns != loc.owner.namespace:
        if not _cross_namespace_allowed(b, loc, ns, "mirror-target", target,
                                        f"write a ReferenceGrant in namespace {ns} letting every HTTPRoute of "
                                        f"{loc.owner.namespace} use Service {ns}/{name}"):
            return ()
        b.ctx.out.grants.add(ir.Grant(ns, "gateway.networking.k8s.io", "HTTPRoute", loc.owner.namespace, "", "Service", name))
    return (ir.Mirror(ir.ServiceBackend(ns, name, port)),)


def _cross_namespace_allowed(b: "BuildState", loc: "Loc", ns: str, key: str, value: str, what: str) -> bool:
    """Whether an annotation may reach into namespace `ns`: only its own Ingress's, unless the
    platform team allowed it (--allow-cross-namespace). Reported once per Ingress and key."""
    assert loc.owner is not None
    if ns == loc.owner.namespace:
        return True
    allowed = b.ctx.options.allow_cross_namespace
    if _once(b, loc, f"cross-namespace-{key}"):
        if allowed:
            b.ctx.finding(Severity.INFO, "ING2GW-SEC-007", f"--allow-cross-namespace: {key} reaches into namespace "
                          f"{ns}: {what}", ing=loc.owner, annotation=f"{b.ctx.options.annotations_prefix}/{key}",
                          value=value)
        else:
            b.ctx.finding(Severity.ERROR, "ING2GW-SEC-006",
                          f"{key} reaches into namespace {ns} (the Ingress is in {loc.owner.namespace}): ing2gw does not "
                          f"{what} on an Ingress's say-so, so the annotation is not carried over", ing=loc.owner,
                          annotation=f"{b.ctx.options.annotations_prefix}/{key}", value=value,
                          suggestion=f"use an object of namespace {loc.owner.namespace}, or, if the platform team "
                                     "agrees, run with --allow-cross-namespace (config: allowCrossNamespace: true)")
    return allowed


def describe(value: Any) -> str:
    return str(value)
