"""ingress-nginx annotations: read every key through `mappings/ingress-nginx.yaml`.

Every annotation under the controller's prefix gets a row in the table. The row's status says
what happens to it; a Python handler exists only where a row cannot say it, and handlers are
listed in one explicit dict (`HANDLERS`). Every key on every Ingress produces exactly one
finding whose `status` is the row's status (converted, partial, policy, unsupported, ignored) or
`unknown` for keys with no row, so the report accounts for all of them by construction.

Values are parsed once, here, into the typed fields of `NginxAnnotations` (the other modules of
the package read those fields, never the raw strings), with the shared parsers of
`providers/values.py` as ingress-nginx parses them (`internal/ingress/annotations/parser`): bools
with Go's strconv.ParseBool, ints with strconv.Atoi. A value the controller would reject makes
it drop the whole Ingress in some parsers (A3: redirect, ...) and fall back to the default in
others; both are reported in one place (`_Parse.bad_value`) with the Ingress (its file:line) and
the full key.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, TypeVar

from ing2gw import mappings
from ing2gw.emit.targets.carry import carries, verdict
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress
from ing2gw.origin import Origin
from ing2gw.providers.base import BuildContext
from ing2gw.providers.values import (GO_BOOL, HEADER_NAME, BadValue, go_bool, go_int, parse_count, parse_int,
                                     parse_list, parse_regex)

@dataclass(frozen=True)
class NginxGlobals:
    """Controller-wide defaults from the ingress-nginx ConfigMap (or the built-in defaults)."""

    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    http_redirect_code: int = 308
    no_tls_redirect_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    hsts: bool = True
    hsts_max_age: str = "31536000"
    hsts_include_subdomains: bool = True
    hsts_preload: bool = False
    use_forwarded_headers: bool = False
    annotations_risk_level: str = "High"
    source: Origin | None = None
    data: tuple[tuple[str, str], ...] = ()
    #: namespace/name of the ConfigMap ("" without one)
    name: str = ""

    @classmethod
    def from_configmap(cls, data: dict[str, str], source: Origin | None, name: str = "") -> "NginxGlobals":
        def b(key: str, default: bool) -> bool:
            v = go_bool(data.get(key, ""))
            return default if v is None else v

        code = go_int(data.get("http-redirect-code", "")) or 308
        locs = tuple(x.strip() for x in data.get("no-tls-redirect-locations", "/.well-known/acme-challenge").split(",")
                     if x.strip())
        return cls(ssl_redirect=b("ssl-redirect", True), force_ssl_redirect=b("force-ssl-redirect", False),
                   http_redirect_code=code if code in (301, 302, 307, 308) else 308,
                   no_tls_redirect_locations=locs, hsts=b("hsts", True),
                   hsts_max_age=data.get("hsts-max-age", "31536000"),
                   hsts_include_subdomains=b("hsts-include-subdomains", True), hsts_preload=b("hsts-preload", False),
                   use_forwarded_headers=b("use-forwarded-headers", False),
                   annotations_risk_level=data.get("annotations-risk-level", "High").strip() or "High", source=source,
                   data=tuple(sorted(data.items())), name=name)


@dataclass(frozen=True)
class CanaryConfig:
    """A canary Ingress's selection: by header, header value or pattern, cookie, or weight."""

    by_header: str | None = None
    by_header_value: str | None = None
    by_header_pattern: str | None = None
    by_cookie: str | None = None
    weight: int = 0
    weight_total: int = 100


@dataclass(frozen=True)
class UrlRedirect:
    """permanent-redirect / temporal-redirect after F4's precedence: the status and the URL."""

    code: int
    url: str


@dataclass(frozen=True)
class CorsAnnotations:
    """The cors-* keys. The lists stay as written (None: not set) because ingress-nginx validates
    them as a whole against its patterns and falls back to the default (features._cors); the
    scalars are parsed (cors/main.go: a bad value gives the default)."""

    allow_origin: str | None = None
    allow_methods: str | None = None
    allow_headers: str | None = None
    expose_headers: str | None = None
    allow_credentials: bool = True
    max_age: int = 1728000


@dataclass(frozen=True)
class ProxyTimeouts:
    """proxy-*-timeout in seconds (None: not set)."""

    connect: int | None = None
    read: int | None = None
    send: int | None = None


@dataclass(frozen=True)
class Mirror:
    """mirror-target and mirror-host as written (None: not set)."""

    target: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class ProxySsl:
    """The proxy-ssl-* keys as written (None: not set); `verify` and `server_name` are on/off."""

    verify: str | None = None
    secret: str | None = None
    name: str | None = None
    server_name: str | None = None
    ciphers: str | None = None
    protocols: str | None = None
    verify_depth: str | None = None

    @property
    def verifies(self) -> bool:
        """proxy-ssl-verify is on (case and blanks ignored, as the template compares it)."""
        return (self.verify or "off").strip().lower() == "on"

    def keys(self) -> frozenset[str]:
        """The annotation keys (short form) that are set."""
        return frozenset(f"proxy-ssl-{f.replace('_', '-')}" for f, v in vars(self).items() if v is not None)


@dataclass(frozen=True)
class NginxAnnotations:
    """The parsed annotations of one Ingress: every key a handler reads, as a typed value (None
    or the default: not set). Bad values were reported while parsing (`parse_annotations`)."""

    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    preserve_trailing_slash: bool = False
    use_regex: bool = False
    rewrite_target: str | None = None
    canary: CanaryConfig | None = None
    redirect: UrlRedirect | None = None
    app_root: str | None = None
    from_to_www_redirect: bool = False
    x_forwarded_prefix: str | None = None
    upstream_vhost: str | None = None
    connection_proxy_header: str | None = None
    #: custom-headers: a ConfigMap reference, `name` or `namespace/name`
    custom_headers: str | None = None
    #: backend-protocol as written (None: not set; the default is HTTP)
    backend_protocol: str | None = None
    ssl_passthrough: bool = False
    enable_cors: bool = False
    cors: CorsAnnotations = CorsAnnotations()
    timeouts: ProxyTimeouts = ProxyTimeouts()
    mirror: Mirror = Mirror()
    default_backend: str | None = None
    custom_http_errors: str | None = None
    service_upstream: bool = False
    #: server-alias's names, lower case, in order (None: not set or empty)
    server_alias: tuple[str, ...] | None = None
    #: relative-redirects (None: not set; the ConfigMap's relative-redirects applies)
    relative_redirects: bool | None = None
    proxy_ssl: ProxySsl = ProxySsl()

    def without_redirects(self) -> "NginxAnnotations":
        """B3: a catch-all Ingress's redirect and rewrite annotations are ignored."""
        return replace(self, rewrite_target=None, redirect=None, app_root=None)


@dataclass(frozen=True)
class Row:
    """One row of mappings/ingress-nginx.yaml."""

    key: str
    type: str
    default: str | None
    status: str
    becomes: str
    lossy: str | None
    security: bool
    routing: bool
    handler: str | None
    docs: str
    targets: tuple[tuple[str, str], ...] = ()
    #: annotations-risk-level of the key, when the table records it (Critical: snippets)
    risk: str | None = None
    #: what the setting is for (mappings/intents.yaml): the key into the target tables
    intent: str | None = None


@functools.cache
def rows() -> dict[str, Row]:
    """The ingress-nginx table, by short key."""
    data = mappings.table("ingress-nginx")
    out: dict[str, Row] = {}
    for r in data["annotations"]:
        out[r["key"]] = Row(key=r["key"], type=r.get("type", "string"), default=_s(r.get("default")),
                            status=r["status"], becomes=r.get("becomes") or "", lossy=r.get("lossy"),
                            security=bool(r.get("security")), routing=bool(r.get("routing")),
                            handler=r.get("handler"), docs=r.get("docs") or "",
                            targets=tuple(sorted((r.get("targets") or {}).items())), risk=r.get("risk"),
                            intent=r.get("intent"))
    return out


def _s(v: Any) -> str | None:
    return None if v is None else str(v).lower() if isinstance(v, bool) else str(v)


@dataclass
class _Parse:
    """The state while reading one Ingress's annotations: the typed result so far (`ann`) and the
    parts that are combined at the end (redirects, canary)."""

    ctx: BuildContext
    ing: Ingress
    glob: NginxGlobals
    prefix: str
    ann: NginxAnnotations = field(default_factory=NginxAnnotations)
    canary_enabled: bool = False
    #: permanent-/temporal-redirect URL and code, combined by F4's precedence (_combine_redirects)
    urls: dict[str, str] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    drop: bool = False

    def full(self, key: str) -> str:
        return f"{self.prefix}/{key}"

    def value(self, key: str) -> str | None:
        return self.ing.annotations.get(self.full(key))

    def bad_value(self, row: Row, value: str, expected: str, *, drops: bool = False) -> None:
        """The one place a bad value is reported: the full key, the Ingress (its file:line) and
        what ingress-nginx does with it (falls back to the default, or drops the Ingress)."""
        consequence = ("ingress-nginx rejects the Ingress as a whole (A3), so none of its routes are translated"
                       if drops else f"ingress-nginx ignores it and uses the default ({row.default})")
        self.ctx.finding(Severity.ERROR, "ING2GW-NGINX-002", f"invalid value {value!r}: {expected}; {consequence}",
                         ing=self.ing, annotation=self.full(row.key), value=value, status="invalid",
                         suggestion="fix the annotation value")
        if drops:
            self.drop = True

    def parsed(self, row: Row, value: str, parse: Callable[[str], _T], expected: str | None = None) -> _T | None:
        """`parse(value)`, or None after reporting the bad value (`expected` overrides the parser's words)."""
        try:
            return parse(value)
        except BadValue as exc:
            self.bad_value(row, value, expected or exc.expected)
            return None


_T = TypeVar("_T")
Handler = Callable[[_Parse, Row, str], None]
#: a field of NginxAnnotations, set from its parsed value
Setter = Callable[[NginxAnnotations, _T], NginxAnnotations]


def _bool(setter: "Setter[bool]") -> Handler:
    def handle(p: _Parse, row: Row, value: str) -> None:
        v = p.parsed(row, value, GO_BOOL.parse)
        if v is not None:
            p.ann = setter(p.ann, v)
    return handle


def _text(setter: "Setter[str]") -> Handler:
    """A value used as written (what it may hold is checked where it is used, with its location)."""
    def handle(p: _Parse, row: Row, value: str) -> None:
        p.ann = setter(p.ann, value)
    return handle


def _canary(p: _Parse, row: Row, value: str) -> None:
    v = p.parsed(row, value, GO_BOOL.parse)
    if v is not None:
        p.canary_enabled = v


# F4: redirect URLs may only hold these characters; anything else (e.g. `$request_uri`) makes the
# redirect parser fail, and ingress-nginx drops the whole Ingress (A3).
_REDIRECT_URL_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/:,?&=")


def _redirect_url(kind: str) -> Handler:
    def handle(p: _Parse, row: Row, value: str) -> None:
        bad = sorted({c for c in value if c not in _REDIRECT_URL_OK})
        if bad:
            p.bad_value(row, value, f"characters {' '.join(map(repr, bad))} are not allowed in a redirect URL "
                                    "(only A-Z a-z 0-9 - . _ ~ / : , ? & =)", drops=True)
            return
        if kind == "temporal" and not value.startswith(("http://", "https://")):
            p.bad_value(row, value, "temporal-redirect must be an absolute http(s):// URL", drops=True)
            return
        p.urls[kind] = value
    return handle


#: parser.RegexPathWithCapture, the validator of app-root (annotations/rewrite/main.go)
_APP_ROOT_OK = re.compile(r"/?[-._~a-zA-Z0-9/:$]*\Z")


def _app_root(p: _Parse, row: Row, value: str) -> None:
    """app-root: ingress-nginx keeps it only when it passes the annotation validator and
    url.ParseRequestURI gives a path that is not an absolute URL; otherwise it is ignored."""
    if not _APP_ROOT_OK.match(value) or not value.startswith("/"):
        p.bad_value(row, value, "app-root must be a path starting with '/' (letters, digits, - . _ ~ / : only)")
        return
    p.ann = replace(p.ann, app_root=value)


def _redirect_code(kind: str) -> Handler:
    def handle(p: _Parse, row: Row, value: str) -> None:
        v = p.parsed(row, value, parse_int, "expected an HTTP status code")
        if v is not None:
            p.codes[kind] = v
    return handle


def _cors(p: _Parse, row: Row, value: str) -> None:
    """cors/main.go: a bad credentials or max-age value gives the default (no finding: the
    controller says nothing either, and the CORS filter is written with the default)."""
    c = p.ann.cors
    if row.key == "cors-allow-credentials":
        c = replace(c, allow_credentials=GO_BOOL.maybe(value) is not False)
    elif row.key == "cors-max-age":
        age = go_int(value)
        c = replace(c, max_age=CorsAnnotations.max_age if age is None else age)
    elif row.key == "cors-allow-origin":
        c = replace(c, allow_origin=value)
    elif row.key == "cors-allow-methods":
        c = replace(c, allow_methods=value)
    elif row.key == "cors-allow-headers":
        c = replace(c, allow_headers=value)
    elif row.key == "cors-expose-headers":
        c = replace(c, expose_headers=value)
    p.ann = replace(p.ann, cors=c)


def _timeout(p: _Parse, row: Row, value: str) -> None:
    v = p.parsed(row, value, parse_count, "expected a number of seconds")
    if v is None:
        return
    t = p.ann.timeouts
    t = replace(t, connect=v) if row.key == "proxy-connect-timeout" else \
        replace(t, read=v) if row.key == "proxy-read-timeout" else replace(t, send=v)
    p.ann = replace(p.ann, timeouts=t)


def _mirror(p: _Parse, row: Row, value: str) -> None:
    m = p.ann.mirror
    p.ann = replace(p.ann, mirror=replace(m, target=value) if row.key == "mirror-target" else replace(m, host=value))


def _proxy_ssl(p: _Parse, row: Row, value: str) -> None:
    field_name = row.key.removeprefix("proxy-ssl-").replace("-", "_")
    fields: dict[str, str] = {field_name: value}  # every ProxySsl field is a `str | None`
    p.ann = replace(p.ann, proxy_ssl=replace(p.ann.proxy_ssl, **fields))


def _server_alias(p: _Parse, row: Row, value: str) -> None:
    if value:
        p.ann = replace(p.ann, server_alias=tuple(x.lower() for x in parse_list(value)))


def _source_range(p: _Parse, row: Row, value: str) -> None:
    """Access lists are read as the controller reads them (nginx_source_ranges): an invalid value
    does not fall back to a default, it denies the location (503 for every request)."""
    from ing2gw.providers.ingress_nginx.source_ranges import ALLOW_ALIAS, ALLOW_KEY, parse_annotation_value

    if row.key == ALLOW_ALIAS and (value == "" or p.value(ALLOW_KEY) not in (None, "")):
        return  # not read: an empty alias counts as absent, and allowlist-source-range wins
    parsed = parse_annotation_value(value)
    if parsed.denied is None:
        return
    target = p.ctx.options.target
    if carries(target, row.intent):
        ours = f"the translation denies them too ({target} policy without allow rules, " + \
            ("503)" if target == "aws" else "403)")
        code = "ING2GW-NGINX-082"
    else:
        ours = "the translation's rules for them keep no backend, so the Gateway answers 500"
        code = "ING2GW-NGINX-081"
    p.ctx.finding(Severity.ERROR, code,
                  f"invalid value {value!r}: {parsed.denied}; ingress-nginx denies every request to this Ingress's "
                  f"paths (503, \"location denied\"); {ours}", ing=p.ing, annotation=p.full(row.key), value=value,
                  status="invalid",
                  suggestion="fix the value: a comma-separated list of addresses or CIDRs (203.0.113.7, 10.0.0.0/8)")


def _canary_option(p: _Parse, row: Row, value: str) -> None:
    """Canary options are combined in _canary_config; here their values are checked (F5: a bad
    number makes ingress-nginx fall back to the default, a bad pattern sends the header's
    requests to the primary)."""
    if row.key in ("canary-weight", "canary-weight-total"):
        p.parsed(row, value, parse_count, "expected a whole number of at least 0")
    elif row.key == "canary-by-header-pattern":
        try:
            parse_regex(value)
        except BadValue as exc:
            p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-002",
                          f"{exc.expected}: ingress-nginx sends requests carrying the header to "
                          "the primary", ing=p.ing, annotation=p.full(row.key), value=value, status="invalid")


#: handler name (as written in the table's `handler` column) -> function. Explicit, no magic.
HANDLERS: dict[str, Handler] = {
    "ssl_redirect": _bool(lambda a, v: replace(a, ssl_redirect=v)),
    "force_ssl_redirect": _bool(lambda a, v: replace(a, force_ssl_redirect=v)),
    "preserve_trailing_slash": _bool(lambda a, v: replace(a, preserve_trailing_slash=v)),
    "use_regex": _bool(lambda a, v: replace(a, use_regex=v)),
    "rewrite_target": _text(lambda a, v: replace(a, rewrite_target=v)),
    "canary": _canary,
    "canary_option": _canary_option,
    "permanent_redirect": _redirect_url("permanent"),
    "permanent_redirect_code": _redirect_code("permanent"),
    "temporal_redirect": _redirect_url("temporal"),
    "temporal_redirect_code": _redirect_code("temporal"),
    "app_root": _app_root,
    "from_to_www_redirect": _bool(lambda a, v: replace(a, from_to_www_redirect=v)),
    "x_forwarded_prefix": _text(lambda a, v: replace(a, x_forwarded_prefix=v)),
    "upstream_vhost": _text(lambda a, v: replace(a, upstream_vhost=v)),
    "connection_proxy_header": _text(lambda a, v: replace(a, connection_proxy_header=v)),
    "custom_headers": _text(lambda a, v: replace(a, custom_headers=v)),
    "backend_protocol": _text(lambda a, v: replace(a, backend_protocol=v)),
    "ssl_passthrough": _bool(lambda a, v: replace(a, ssl_passthrough=v)),
    "enable_cors": _bool(lambda a, v: replace(a, enable_cors=v)),
    "cors": _cors,
    "timeout": _timeout,
    "mirror": _mirror,
    "default_backend": _text(lambda a, v: replace(a, default_backend=v)),
    "custom_http_errors": _text(lambda a, v: replace(a, custom_http_errors=v)),
    "service_upstream": _bool(lambda a, v: replace(a, service_upstream=v)),
    "server_alias": _server_alias,
    "relative_redirects": _bool(lambda a, v: replace(a, relative_redirects=v)),
    "proxy_ssl": _proxy_ssl,
    "source_range": _source_range,
}


def parse_annotations(ctx: BuildContext, ing: Ingress, glob: NginxGlobals) -> NginxAnnotations | None:
    """Read every ingress-nginx annotation of `ing`; None when ingress-nginx drops the Ingress."""
    prefix = ctx.options.annotations_prefix.rstrip("/")
    p = _Parse(ctx, ing, glob, prefix)
    p.ann = NginxAnnotations(ssl_redirect=glob.ssl_redirect, force_ssl_redirect=glob.force_ssl_redirect)
    table = rows()
    values: list[tuple[str, str]] = []
    for full_key, value in sorted(ing.annotations.items()):
        if not full_key.startswith(prefix + "/"):
            continue
        key = full_key[len(prefix) + 1:]
        values.append((key, value))
        row = table.get(key)
        if row is None:
            _unknown(p, key, value)
            continue
        if row.handler:
            handler = HANDLERS.get(row.handler)
            if handler is None:
                raise RuntimeError(f"mappings/ingress-nginx.yaml names handler {row.handler!r} for {key}, "
                                   "which is not in HANDLERS")
            handler(p, row, value)
    overrides = _status_overrides(p)
    for key, value in values:
        row = table.get(key)
        if row is not None:
            _report(p, overrides.get(key, row), value)
    _risk_level(p, values)
    if p.drop:
        return None
    _combine_redirects(p)
    if p.canary_enabled:
        p.ann = replace(p.ann, canary=_canary_config(p))
    return p.ann


_RISK_RANK = {"Low": 0, "Medium": 1, "High": 2, "Critical": 3}


def _risk_level(p: _Parse, values: list[tuple[str, str]]) -> None:
    """A3: since v1.12 an annotation above the ConfigMap's annotations-risk-level (default High)
    makes ingress-nginx reject the whole Ingress; snippets are Critical."""
    level = p.glob.annotations_risk_level
    allowed = _RISK_RANK.get(level, 2)
    table = rows()
    for key, value in values:
        row = table.get(key)
        if row is None or row.risk is None or _RISK_RANK.get(row.risk, 0) <= allowed:
            continue
        p.ctx.finding(Severity.ERROR, "ING2GW-NGINX-003",
                      f"ingress-nginx rejects this whole Ingress: {p.full(key)} is a {row.risk}-risk annotation, above "
                      f"annotations-risk-level={level}{' (the default)' if p.glob.source is None else ''}; the live "
                      "controller serves none of its routes, so none are emitted", ing=p.ing,
                      annotation=p.full(key), value=value, status="invalid", security=True,
                      suggestion="if your controller allows it (ConfigMap annotations-risk-level: Critical and "
                                 "allow-snippet-annotations: true), pass that ConfigMap with -f; otherwise delete "
                                 "the annotation or the Ingress")
        p.drop = True
        return


def _status_overrides(p: _Parse) -> dict[str, Row]:
    """Rows whose outcome depends on the other keys of the same Ingress.

    proxy-ssl-*: with backend-protocol HTTPS/GRPCS and proxy-ssl-verify on, the translation
    emits a BackendTLSPolicy that verifies at least as strictly as nginx did, so the keys it
    uses are converted, not security losses.

    whitelist-source-range is not read when allowlist-source-range is set, nor when it is empty
    (nginx_source_ranges).
    """
    out: dict[str, Row] = {}
    table = rows()
    alias = p.value("whitelist-source-range")
    if alias is not None and "whitelist-source-range" in table:
        if p.value("allowlist-source-range") not in (None, ""):
            out["whitelist-source-range"] = replace(table["whitelist-source-range"], status="ignored", security=False,
                                                    lossy="allowlist-source-range is set: ingress-nginx reads that one")
        elif alias == "":
            out["whitelist-source-range"] = replace(
                table["whitelist-source-range"], status="ignored", security=False,
                lossy="an empty value counts as no annotation (the ConfigMap's whitelist-source-range applies, if any)")
    ssl = p.ann.proxy_ssl
    proto = (p.ann.backend_protocol or "").upper()
    if proto in ("HTTPS", "GRPCS") and ssl.verifies:
        for key, becomes in (("proxy-ssl-verify", "BackendTLSPolicy validation (always verifies)"),
                             ("proxy-ssl-secret", "BackendTLSPolicy caCertificateRefs (the CA as a ConfigMap)"),
                             ("proxy-ssl-name", "BackendTLSPolicy validation.hostname (also sent as SNI)"),
                             ("proxy-ssl-server-name", "BackendTLSPolicy always sends SNI")):
            if key in ssl.keys() and key in table:
                out[key] = replace(table[key], status="converted", becomes=becomes, security=False)
    elif proto in ("HTTPS", "GRPCS"):
        # TLS without verification: the target's own policy when it carries it (intents.py, backend-tls)
        from ing2gw.emit.targets.carry import verdict
        from ing2gw.providers.ingress_nginx.intents import intent_params

        params = intent_params(p.ing.annotations, p.prefix, p.ing.namespace, "backend-tls")
        if params is not None and verdict(p.ctx.options.target, "backend-tls", params).carried:
            for key in ("backend-protocol", "proxy-ssl-verify"):
                if key in table and (key == "backend-protocol" or key in ssl.keys()):
                    out[key] = replace(table[key], status="policy", intent="backend-tls")
    return out


def _combine_redirects(p: _Parse) -> None:
    """F4: temporal-redirect is checked first; codes outside the allowed ranges fall back."""
    t, perm = p.urls.get("temporal"), p.urls.get("permanent")
    tcode, pcode = p.codes.get("temporal"), p.codes.get("permanent")
    if t:
        p.ann = replace(p.ann, redirect=UrlRedirect(tcode if tcode is not None and 300 <= tcode <= 307 else 302, t))
    elif perm:
        p.ann = replace(p.ann, redirect=UrlRedirect(pcode if pcode is not None and 300 <= pcode <= 308 else 301, perm))



def _canary_config(p: _Parse) -> CanaryConfig:
    weight = go_int(p.value("canary-weight") or "0")
    total = go_int(p.value("canary-weight-total") or "100")
    header = p.value("canary-by-header")
    if header is not None and not HEADER_NAME.match(header):
        # no request can carry such a header, so ingress-nginx never routes by it
        p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-002",
                      f"invalid value {header!r}: not an HTTP header name; no request carries it, so ingress-nginx "
                      "never sends a request to the canary by header (the cookie and the weight still apply)",
                      ing=p.ing, annotation=p.full("canary-by-header"), value=header, status="invalid",
                      suggestion="fix the header name")
        header = None
    value = p.value("canary-by-header-value")
    if header is not None and value is not None and (len(value.encode()) > 4096 or any(c in value for c in "\r\n\0")):
        p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-002",
                      "canary-by-header-value cannot be a Gateway API header match (at most 4096 bytes, no line "
                      "breaks): requests are not sent to the canary by header", ing=p.ing,
                      annotation=p.full("canary-by-header-value"), value=value[:200], status="invalid")
        header = None
    pattern = p.value("canary-by-header-pattern")
    if header is not None and pattern is not None and len(pattern.encode()) > 4000:
        p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-002",
                      "canary-by-header-pattern is too long for a Gateway API header match (4096 bytes): requests are "
                      "not sent to the canary by header", ing=p.ing, annotation=p.full("canary-by-header-pattern"),
                      value=pattern[:200], status="invalid")
        header = None
    cookie = p.value("canary-by-cookie")
    if cookie is not None and not HEADER_NAME.match(cookie):
        p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-002",
                      f"invalid value {cookie[:200]!r}: not a cookie name; no request carries it, so ingress-nginx "
                      "never sends a request to the canary by cookie", ing=p.ing, annotation=p.full("canary-by-cookie"),
                      value=cookie[:200], status="invalid", suggestion="fix the cookie name")
        cookie = None
    return CanaryConfig(by_header=header, by_header_value=value,
                        by_header_pattern=pattern, by_cookie=cookie,
                        weight=weight if weight is not None else 0, weight_total=total if total is not None else 100)


#: the client address lists ingress-nginx enforces per location (403 for refused clients)
ACCESS_LISTS = frozenset({"whitelist-source-range", "allowlist-source-range", "denylist-source-range"})


def _unknown(p: _Parse, key: str, value: str) -> None:
    close = difflib.get_close_matches(key, list(rows()), n=1)
    hint = f"did you mean {p.full(close[0])}?" if close else "check the spelling against the ingress-nginx docs"
    p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-001",
                  f"unknown annotation {p.full(key)}: ingress-nginx ignores keys it does not know", ing=p.ing,
                  annotation=p.full(key), value=value, status="unknown", suggestion=hint)


def _no_resource(target: str, intent: str | None) -> str:
    """': <why>' from the target's table (mappings/targets/<t>.yaml): that it has no resource
    for the intent at all, or which resource a user would write by hand and what it loses."""
    from ing2gw import mappings

    try:
        trow = mappings.target_rows(target).get(intent or "")
    except FileNotFoundError:
        return ""
    if trow is None:
        return ""
    if trow.get("supported") == "none" and trow.get("lost"):
        return f": {target} has none: {trow['lost']}"
    kinds = ", ".join(dict.fromkeys(str(r["kind"]) for r in trow.get("resources") or []))
    if kinds and trow.get("lost"):
        return f": write {kinds} by hand, which loses this: {trow['lost']}"
    return ""


def _report(p: _Parse, row: Row, value: str) -> None:
    """One finding per annotation, by the row's status (reported by construction)."""
    full = p.full(row.key)
    status = row.status
    target = p.ctx.options.target
    if status == "policy" and target:
        from ing2gw.providers.ingress_nginx.intents import CONSUMED, consumed_keys, intent_params

        params = intent_params(p.ing.annotations, p.prefix, p.ing.namespace, row.intent) \
            if row.intent in CONSUMED else {}
        v = verdict(target, row.intent, params or {})
        if v.carried and params is not None and (row.intent not in CONSUMED
                                                 or row.key in consumed_keys(target, row.intent)):
            becomes = f"becomes {dict(row.targets).get(target, 'a policy')} for {target}"
            if row.intent == "body-size-limit" and params.get("bytes") == "0":
                becomes = f"converted: 0 is no limit, which {target} has without a policy (none is written)"
            elif row.intent == "retry" and ("off" in params.get("conditions", "").split() or params.get("tries") == "1"):
                becomes = f"converted: no retry, which {target} does without a policy (none is written)"
            p.ctx.finding(Severity.INFO, "ING2GW-NGINX-010", becomes,
                          ing=p.ing, annotation=full, value=value, status="policy")
            return
        if v.carried and params is not None:
            # the intent's policy is written, this key's part of it is not
            p.ctx.finding(Severity.WARNING, "ING2GW-NGINX-012",
                          f"partly converted: the {target} policy for {row.intent} is written, but not this key: "
                          f"{row.lossy or row.becomes}", ing=p.ing, annotation=full, value=value, status="partial",
                          suggestion=f"check by hand; see {row.docs}" if row.docs else None)
            return
        if v.becomes and params is not None:  # the target's emitter exists, these parameters are out of its reach
            row = replace(row, lossy=f"{row.lossy or row.becomes} (ing2gw cannot write {target}'s {v.becomes} for it: "
                                     f"{v.why_not})")
        else:
            row = replace(row, lossy=f"{row.lossy or row.becomes} (ing2gw does not generate {target}'s policy for it"
                                     + (f": write {dict(row.targets)[target]} by hand" if target in dict(row.targets)
                                        else _no_resource(target, row.intent)) + ")")
    if status == "partial" and target and row.intent:
        # a partly converted setting whose missing part the target's policy writes (the connect
        # timeout HTTPRoute timeouts cannot say)
        from ing2gw.providers.ingress_nginx.intents import CONSUMED, intent_params

        params = intent_params(p.ing.annotations, p.prefix, p.ing.namespace, row.intent) \
            if row.key in CONSUMED.get(row.intent or "", ()) else None
        if params is not None and verdict(target, row.intent, params).carried:
            p.ctx.finding(Severity.INFO, "ING2GW-NGINX-010",
                          f"becomes the {target} policy ing2gw writes for {row.intent} (what Gateway API cannot say; "
                          f"see `ing2gw mappings --target {target}`)", ing=p.ing,
                          annotation=full, value=value, status="policy")
            return
    if status == "converted":
        p.ctx.finding(Severity.INFO, "ING2GW-NGINX-010", f"converted: {row.becomes}", ing=p.ing,
                      annotation=full, value=value, status=status)
    elif status == "ignored":
        p.ctx.finding(Severity.INFO, "ING2GW-NGINX-011", f"ignored: {row.lossy or row.becomes}", ing=p.ing,
                      annotation=full, value=value, status=status)
    elif status == "partial":
        lossy = row.lossy or ""
        if row.key == "rewrite-target" and target and carries(target, "regex-rewrite"):
            # the rewrites URLRewrite cannot express become the target's regex filter (regex.py)
            lossy += f" (for {target} they become its regex rewrite filter where the target allows: ING2GW-TARGET-010)"
        elif row.handler == "timeout" and target and carries(target, "timeout"):
            # the rule's timeout moves to the target's own policy where it can (emit/targets/gke.py)
            lossy += (f" (for {target} the rule's timeout becomes its backend policy where every route of the Service "
                      "agrees: ING2GW-TARGET-045, else ING2GW-TARGET-046)")
        p.ctx.finding(Severity.ERROR if row.security else Severity.WARNING, "ING2GW-NGINX-012",
                      f"partly converted: {row.becomes}; {lossy}".rstrip("; "), ing=p.ing,
                      annotation=full, value=value, status=status, security=row.security,
                      suggestion=f"check by hand; see {row.docs}" if row.docs else None)
    else:  # unsupported, or a policy without a target that has one
        what = ("not converted: it needs an implementation policy" + ("" if p.ctx.options.target else
                " (choose a --target whose policies ing2gw generates, e.g. envoy-gateway)")) \
            if status == "policy" else "not converted"
        # a lost client address list has a code of its own: it predicts exactly the requests it
        # refused (the equivalence check sends probes from inside and outside each range)
        code = "ING2GW-NGINX-080" if row.key in ACCESS_LISTS else "ING2GW-NGINX-013"
        if row.key == "auth-type" and value.strip().lower() == "basic" and p.value("auth-secret"):
            code = "ING2GW-TARGET-005"  # predicts the 401s of the old side that now reach the backend
        elif row.key == "auth-url" and value.strip():
            code = "ING2GW-TARGET-067"  # predicts the auth service's refusals that now reach the backend
        elif row.key == "auth-tls-secret" and value.strip():
            code = "ING2GW-TARGET-069"  # predicts nginx's refusals of clients without a certificate
        elif row.key == "proxy-body-size":
            code = "ING2GW-TARGET-068"  # predicts the 413s of the old side that now reach the backend
        elif row.key == "ssl-ciphers" and value.strip():
            code = "ING2GW-NGINX-084"  # predicts the handshakes one side refuses for the offered suite
        p.ctx.finding(Severity.ERROR if row.security else Severity.WARNING, code,
                      f"{what}: {row.lossy or row.becomes}", ing=p.ing, annotation=full, value=value,
                      status=status, security=row.security,
                      suggestion=(f"re-create it with your Gateway implementation's policy, or accept the loss with "
                                  f"--allow-weakened {row.key}") if row.security else
                      (f"see {row.docs}" if row.docs else None))
