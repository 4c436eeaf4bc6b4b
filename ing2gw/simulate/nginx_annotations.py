"""ingress-nginx annotations: which ones the router models, which cannot change routing, and how
their values are read and validated.

Every documented annotation (v1.15.1) is in exactly one of `MODELLED`, `ROUTING_NEUTRAL` and
`UNMODELLED` (a test checks this against the shared catalogue). Unmodelled annotations are
reported in `Answer.unmodelled` for every request the annotated Ingress can affect, so an answer
never hides a behaviour the simulator does not know.

Value validation follows nginx-semantics.md A3: a failed annotation *validation* in some parsers
drops the whole Ingress (the redirect parser, annotations above `annotations-risk-level`), other
parsers log a warning and use their defaults (rewrite, canary, ...).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from dataclasses import dataclass, replace

from ing2gw.simulate.ingress_objects import Ingress
from ing2gw.simulate.nginx_access import NGINX_DEFAULT_BODY, NO_LISTS, AccessLists, body_limit, parse_access_lists
from ing2gw.simulate.nginx_settings import NginxSettings, parse_bool

#: Annotations whose routing effect the router implements (suffixes after the prefix).
MODELLED = frozenset("""
    rewrite-target use-regex app-root ssl-redirect force-ssl-redirect preserve-trailing-slash
    permanent-redirect permanent-redirect-code temporal-redirect temporal-redirect-code
    from-to-www-redirect relative-redirects use-port-in-redirects canary canary-by-header
    canary-by-header-value canary-by-header-pattern canary-by-cookie canary-weight canary-weight-total
    upstream-vhost x-forwarded-prefix custom-http-errors disable-proxy-intercept-errors default-backend
    service-upstream server-alias affinity
    whitelist-source-range allowlist-source-range denylist-source-range proxy-body-size
    enable-cors cors-allow-origin cors-allow-methods cors-allow-headers cors-expose-headers
    cors-allow-credentials cors-max-age
    """.split())

#: the keys of basic authentication whose effect is modelled for requests without credentials
BASIC_AUTH_KEYS = frozenset({"auth-type", "auth-secret", "auth-secret-type", "auth-realm"})

#: Annotations that cannot change where a request goes, its status, its Location, or the
#: request line and Host the backend sees — with the reason.
ROUTING_NEUTRAL: dict[str, str] = {
    **{k: "timeouts and retries between nginx and the backend" for k in (
        "proxy-connect-timeout", "proxy-send-timeout", "proxy-read-timeout", "proxy-next-upstream",
        "proxy-next-upstream-timeout", "proxy-next-upstream-tries")},
    **{k: "buffering (the body limit is proxy-body-size)" for k in (
        "client-body-buffer-size", "proxy-request-buffering", "proxy-buffering",
        "proxy-buffers-number", "proxy-buffer-size", "proxy-busy-buffers-size", "proxy-max-temp-file-size")},
    **{k: "how the backend is contacted, not which backend" for k in (
        "proxy-http-version", "connection-proxy-header", "backend-protocol", "proxy-ssl-secret",
        "proxy-ssl-verify", "proxy-ssl-verify-depth", "proxy-ssl-ciphers", "proxy-ssl-name",
        "proxy-ssl-protocols", "proxy-ssl-server-name", "fastcgi-index", "fastcgi-params-configmap")},
    **{k: "rewrites headers of upstream responses, which are not simulated" for k in (
        "proxy-cookie-domain", "proxy-cookie-path", "proxy-redirect-from", "proxy-redirect-to")},
    **{k: "chooses an endpoint inside the same Service" for k in (
        "load-balance", "upstream-hash-by", "upstream-hash-by-subset", "upstream-hash-by-subset-size",
        "affinity-mode", "affinity-canary-behavior", "session-cookie-name", "session-cookie-path",
        "session-cookie-domain", "session-cookie-samesite", "session-cookie-conditional-samesite-none",
        "session-cookie-secure", "session-cookie-expires", "session-cookie-max-age",
        "session-cookie-change-on-failure")},
    **{k: "logging and tracing" for k in (
        "enable-access-log", "enable-rewrite-log", "enable-opentelemetry", "opentelemetry-trust-incoming-span",
        "opentelemetry-operation-name", "enable-opentracing", "opentracing-trust-incoming-span",
        "enable-influxdb")},
    **{k: "bandwidth and TLS parameters" for k in (
        "limit-rate", "limit-rate-after", "ssl-ciphers", "ssl-prefer-server-ciphers", "http2-push-preload")},
    **{k: "copies the request elsewhere; the client's answer is unchanged" for k in (
        "mirror-target", "mirror-host", "mirror-request-body")},
    **{k: "removed from the controller; ignored" for k in (
        "global-rate-limit", "global-rate-limit-window", "global-rate-limit-key",
        "global-rate-limit-ignored-cidrs", "secure-backends", "secure-verify-ca-secret", "grpc-backend")},
}

#: Annotations that change what a request gets but are not modelled, with what they do.
UNMODELLED: dict[str, str] = {
    **{k: "authentication can refuse (401/403) or redirect the request" for k in (
        "auth-type", "auth-secret", "auth-secret-type", "auth-realm", "auth-url", "auth-method",
        "auth-signin", "auth-signin-redirect-param", "auth-response-headers", "auth-proxy-set-headers",
        "auth-request-redirect", "auth-cache-key", "auth-cache-duration", "auth-always-set-cookie",
        "auth-snippet", "enable-global-auth", "auth-keepalive", "auth-keepalive-share-vars",
        "auth-keepalive-requests", "auth-keepalive-timeout")},
    **{k: "client-certificate checks can refuse the request (400/403)" for k in (
        "auth-tls-secret", "auth-tls-verify-client", "auth-tls-verify-depth", "auth-tls-error-page",
        "auth-tls-pass-certificate-to-upstream", "auth-tls-match-cn")},
    "satisfy": "decides whether authentication or the address list must pass (authentication is not modelled)",
    **{k: "rate limits can refuse requests (503)" for k in (
        "limit-rps", "limit-rpm", "limit-burst-multiplier", "limit-connections", "limit-allowlist",
        "limit-whitelist")},
    **{k: "raw nginx configuration can do anything" for k in (
        "server-snippet", "configuration-snippet", "stream-snippet", "modsecurity-snippet")},
    **{k: "the WAF can refuse requests" for k in (
        "enable-modsecurity", "enable-owasp-core-rules", "modsecurity-transaction-id")},
    "custom-headers": "adds response headers",
    "ssl-passthrough": "TLS is passed through to the backend; HTTP routing does not apply",
}

#: Annotations that act on the whole server (host) rather than on the Ingress's locations.
SERVER_SCOPE = frozenset({"server-snippet", "auth-tls-secret", "auth-tls-verify-client", "auth-tls-verify-depth",
                          "auth-tls-error-page", "auth-tls-pass-certificate-to-upstream", "auth-tls-match-cn",
                          "ssl-passthrough"})
#: Annotations of risk "Critical": above the default `annotations-risk-level` (High) (A3).
CRITICAL = frozenset({"server-snippet", "configuration-snippet", "auth-snippet", "stream-snippet",
                      "modsecurity-snippet"})
SNIPPETS = CRITICAL
_CANARY_KEEPS = frozenset({"load-balance", "upstream-hash-by", "upstream-hash-by-subset",
                           "upstream-hash-by-subset-size", "affinity", "affinity-mode", "affinity-canary-behavior"})
#: parser.URLIsValidRegex: redirect URLs may only use these characters (A3, F4).
_REDIRECT_URL = re.compile(r"^[A-Za-z0-9\-._~/:,?&=]+$")
#: rewrite-target validation (F1).
_REWRITE_TARGET = re.compile(r"^/?[A-Za-z0-9\-._~:/$]*$")
#: app-root validation (parser.RegexPathWithCapture, the same character set).
_APP_ROOT = _REWRITE_TARGET
_SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_ALIAS = re.compile(r"^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*$")


@dataclass(frozen=True, slots=True)
class Canary:
    """The traffic-shaping policy of a canary Ingress (F5)."""

    header: str = ""
    header_value: str = ""
    header_pattern: str = ""
    cookie: str = ""
    weight: int = 0
    weight_total: int = 100


#: annotations/cors/main.go: defaults and the validators (parser.ValidateRegex, spaces removed)
CORS_DEFAULT_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
CORS_DEFAULT_HEADERS = ("DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,"
                        "Range,Authorization")
CORS_DEFAULT_MAX_AGE = 1728000
_CORS_ORIGINS_VALID = re.compile(r"^((((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?$")
_CORS_ORIGIN = re.compile(r"^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$")
_CORS_HEADERS = re.compile(r"^[A-Za-z0-9-_, ]*$")
_CORS_METHODS = re.compile(r"^([A-Za-z]+,?\s?)+$")
_CORS_EXPOSE = re.compile(r"^(([A-Za-z0-9\-\_]+|\*),?\s?)+$")


@dataclass(frozen=True, slots=True)
class Cors:
    """A location's CORS settings as the `CORS` template uses them (cors/main.go Parse)."""

    origins: tuple[str, ...]
    methods: str
    headers: str
    credentials: bool
    expose: str
    max_age: int

    def origin_regex(self) -> "re.Pattern[str] | None":
        """`if ($http_origin ~* ((o1)|(o2))$ )` (buildCorsOriginRegex): each origin quoted, its first
        `*` one label; case-insensitive, anchored at the end only. None for `*` (every request)."""
        if self.origins == ("*",):
            return None
        parts = [f"({re.escape(o).replace(chr(92) + '*', '[A-Za-z0-9-]+', 1)})" for o in self.origins]
        return re.compile("(" + "|".join(parts) + ")$", re.IGNORECASE)


def parse_cors(raw: dict[str, str], validate: bool) -> Cors | None:
    """The CORS settings of an Ingress, None when enable-cors is not true."""
    def value(key: str, valid: "re.Pattern[str] | None") -> str | None:
        v = raw.get(key)
        if v is None:
            return None
        if validate and valid is not None and not valid.match(v.replace(" ", "")):
            return None  # a validation error: GetStringAnnotation fails, the default applies
        return v

    if parse_bool(raw.get("enable-cors", "")) is not True:
        return None
    origins: list[str] = []
    unparsed = value("cors-allow-origin", _CORS_ORIGINS_VALID)
    if unparsed is None:
        origins = ["*"]
    else:
        for o in unparsed.split(","):
            o = o.strip()
            if not o:
                continue
            if o == "*":
                origins = ["*"]
                break
            if _CORS_ORIGIN.match(o):
                origins.append(o)
    headers = value("cors-allow-headers", _CORS_HEADERS)
    if headers is None or not _CORS_HEADERS.match(headers):
        headers = CORS_DEFAULT_HEADERS
    methods = value("cors-allow-methods", _CORS_METHODS)
    if methods is None or not _CORS_METHODS.match(methods):
        methods = CORS_DEFAULT_METHODS
    cred = parse_bool(raw.get("cors-allow-credentials", ""))
    expose = value("cors-expose-headers", _CORS_EXPOSE)
    if expose is None or not _CORS_EXPOSE.match(expose):
        expose = ""
    try:
        max_age = int(raw["cors-max-age"]) if "cors-max-age" in raw else CORS_DEFAULT_MAX_AGE
    except ValueError:
        max_age = CORS_DEFAULT_MAX_AGE
    return Cors(tuple(origins), methods, headers, True if cred is None else cred, expose, max_age)


@dataclass(frozen=True, slots=True)
class LocationAnns:
    """Location-level settings (`locationApplyAnnotations`). The zero value is what the catch-all
    server's root location carries (B2): no ssl-redirect, no rewrite."""

    owner: str = ""                    # "ns/name" of the Ingress these come from ("" = none)
    rewrite_target: str = ""
    use_regex: bool = False
    ssl_redirect: bool = False
    force_ssl_redirect: bool = False
    preserve_trailing_slash: bool = False
    app_root: str = ""
    use_port_in_redirects: bool = False
    redirect_url: str = ""
    redirect_code: int = 0
    from_to_www: bool = False
    relative_redirects: bool = False
    upstream_vhost: str = ""
    x_forwarded_prefix: str = ""
    custom_http_errors: tuple[int, ...] = ()
    intercept_upstream_errors: bool = True
    default_backend: str = ""          # Service name in the owner's namespace
    service_upstream: bool = False
    #: backend-protocol as the parser keeps it (annotations/backendprotocol: upper-cased, trimmed;
    #: a value outside HTTP, HTTPS, AUTO_HTTP, GRPC, GRPCS, FCGI, AJP is HTTP): HTTPS and GRPCS
    #: speak TLS to the upstream, AUTO_HTTP the client's scheme
    backend_protocol: str = "HTTP"
    #: allow/deny lists (or the denial of an invalid list) and client_max_body_size (nginx_access)
    access: AccessLists = NO_LISTS
    body_limit: int = NGINX_DEFAULT_BODY
    cors: Cors | None = None
    #: the realm of auth_basic when the location asks for Basic credentials (None: no basic auth
    #: modelled); only auth-type basic with an auth-file Secret is modelled
    basic_auth_realm: str | None = None
    #: the htpasswd Secret of that basic auth, `namespace/name` (the check's valid credentials
    #: name it: `simulate.oracle`)
    basic_auth_secret: str | None = None
    #: auth-url: an auth_request subrequest to the auth service decides (its answer is known only
    #: for the check's oracle probes, `simulate.oracle`); `auth_signin`: a 401 becomes a redirect
    #: to auth-signin (error_page 401), which is not modelled
    external_auth: bool = False
    auth_signin: bool = False
    unmodelled: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def without_redirect_and_rewrite(self) -> "LocationAnns":
        """For the catch-all Ingress (B3): its redirect and rewrite settings are not applied."""
        zero = LocationAnns()
        return replace(self, rewrite_target=zero.rewrite_target, use_regex=zero.use_regex,
                       ssl_redirect=zero.ssl_redirect, force_ssl_redirect=zero.force_ssl_redirect,
                       preserve_trailing_slash=zero.preserve_trailing_slash, app_root=zero.app_root,
                       redirect_url=zero.redirect_url, redirect_code=zero.redirect_code,
                       from_to_www=zero.from_to_www, relative_redirects=zero.relative_redirects)


@dataclass(frozen=True, slots=True)
class IngressAnns:
    """Everything the router takes from one Ingress's annotations."""

    location: LocationAnns
    canary: Canary | None = None       # set only when `canary: "true"`
    aliases: tuple[str, ...] = ()
    affinity: bool = False
    server_unmodelled: tuple[str, ...] = ()
    #: auth-tls-secret: the ssl_verify_client mode of the host's server (on, optional,
    #: optional_no_ca, off; "" without a CA Secret) and the auth-tls-error-page URL
    client_verify: str = ""
    client_error_page: str = ""
    #: ssl-ciphers: the ssl_ciphers of the host's server ("": the ConfigMap's)
    ssl_ciphers: str = ""


class Rejected(Exception):
    """The controller does not load this Ingress at all (A3)."""


def _rank(level: str) -> int:
    return {"Low": 0, "Medium": 1, "High": 2, "Critical": 3}[level]


_PROTOCOLS = frozenset({"HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI", "AJP"})


def _qualified(name: str, namespace: str) -> str:
    """`namespace/name` of a Secret an annotation names as `name` or `namespace/name`."""
    return name if "/" in name else f"{namespace}/{name}"


def _backend_protocol(value: str) -> str:
    proto = value.strip().upper()
    return proto if proto in _PROTOCOLS else "HTTP"


def parse_ingress_annotations(ing: Ingress, settings: NginxSettings) -> IngressAnns:
    """Read an Ingress's annotations the way ingress-nginx's parsers do.

    Raises Rejected when the controller would refuse the whole Ingress (A3).
    """
    prefix = settings.annotations_prefix + "/"
    raw: dict[str, str] = {}
    for k, v in ing.annotations.items():
        if k.startswith(prefix):
            # GetStringAnnotation trims every line; an empty value counts as absent
            value = "\n".join(line.strip() for line in v.split("\n")).strip()
            if value:
                raw[k[len(prefix):]] = value
    if settings.word_blocklist:
        for k, v in raw.items():
            for word in settings.word_blocklist:
                if word in v:
                    raise Rejected(f"annotation {prefix}{k} contains {word!r}, which annotation-value-word-blocklist "
                                   "forbids; the controller ignores the whole Ingress")
    notes: list[str] = []
    unmodelled: list[str] = []
    server_unmodelled: list[str] = []
    level = settings.annotations_risk_level
    for k in sorted(raw):
        if k in CRITICAL and _rank(level) < _rank("Critical"):
            # A3: Extract fails -> the Ingress never enters the store
            raise Rejected(f"annotation {prefix}{k} is risk Critical, above annotations-risk-level={level}; "
                           "the controller ignores the whole Ingress")
    if level in ("Low", "Medium") and raw:
        unmodelled.append(f"annotations-risk-level={level}: annotations above that risk drop the Ingress "
                          "(per-annotation risk not modelled)")
    validate = settings.enable_annotation_validation
    canary_on = parse_bool(raw.get("canary", "false")) is True

    def label(k: str) -> str:
        return f"{prefix}{k} ({ing.key})"

    # basic auth (annotations/auth): auth_basic with the Secret's `auth` file; the request
    # without Basic credentials gets 401 whatever the file holds, so that much is modelled
    basic = (not canary_on and raw.get("auth-type", "").lower() == "basic" and bool(raw.get("auth-secret"))
             and raw.get("auth-secret-type", "auth-file") == "auth-file")
    for k in sorted(raw):
        if k in MODELLED or k in ROUTING_NEUTRAL or (basic and k in BASIC_AUTH_KEYS):
            continue
        if canary_on and k not in _CANARY_KEEPS:
            continue  # F5.9: other annotations of a canary Ingress are ignored
        if k in SNIPPETS and not settings.allow_snippet_annotations:
            notes.append(f"{label(k)} ignored: allow-snippet-annotations is false")
            continue
        if k in UNMODELLED:
            bucket = server_unmodelled if k in SERVER_SCOPE else unmodelled
            if k == "ssl-passthrough" and not settings.enable_ssl_passthrough:
                notes.append(f"{label(k)} ignored: the controller runs without --enable-ssl-passthrough")
                continue
            bucket.append(f"{label(k)}: {UNMODELLED[k]}")
        else:
            notes.append(f"{label(k)} is not an ingress-nginx annotation; the controller ignores it")

    def get_bool(k: str, default: bool) -> bool:
        if k not in raw:
            return default
        b = parse_bool(raw[k])
        if b is None:
            if validate:
                notes.append(f"{label(k)}={raw[k]!r} is not a boolean; the default {str(default).lower()} applies")
                return default
            return default
        return b

    def get_int(k: str, default: int) -> int:
        if k not in raw:
            return default
        try:
            return int(raw[k])
        except ValueError:
            unmodelled.append(f"{label(k)}={raw[k]!r} is not a number; the controller may drop the setting "
                              "or the Ingress")
            return default

    # --- redirect parser (F4): validation errors drop the whole Ingress (A3)
    redirect_url, redirect_code = "", 0
    temporal, permanent = raw.get("temporal-redirect", ""), raw.get("permanent-redirect", "")
    for k, url in (("temporal-redirect", temporal), ("permanent-redirect", permanent)):
        if url and validate and not _REDIRECT_URL.match(url):
            raise Rejected(f"annotation {prefix}{k}={url!r} fails validation (only A-Za-z0-9-._~/:,?&= are "
                           "allowed); the controller ignores the whole Ingress")
    from_to_www = get_bool("from-to-www-redirect", False)
    if temporal:
        # temporal is checked first and wins over permanent; code 300-307 else 302
        code = get_int("temporal-redirect-code", 302)
        redirect_url, redirect_code = temporal, code if 300 <= code <= 307 else 302
        if not temporal.startswith(("http://", "https://")):
            unmodelled.append(f"{label('temporal-redirect')}={temporal!r} is not an http(s) URL; the redirect "
                              "parser rejects it")
            redirect_url, redirect_code = "", 0
    elif permanent:
        code = get_int("permanent-redirect-code", 301)
        redirect_url, redirect_code = permanent, code if 300 <= code <= 308 else 301
    relative = get_bool("relative-redirects", settings.relative_redirects)

    # --- rewrite parser (F1, G3): invalid values fall back to the defaults
    target = raw.get("rewrite-target", "")
    if target and validate and not _REWRITE_TARGET.match(target):
        notes.append(f"{label('rewrite-target')}={target!r} fails validation; no rewrite (controller default)")
        target = ""
    app_root = raw.get("app-root", "")
    if app_root:
        if validate and not _APP_ROOT.match(app_root):
            # parser.RegexPathWithCapture fails: GetStringAnnotation returns "" (rewrite/main.go)
            notes.append(f"{label('app-root')}={app_root!r} fails validation; ignored")
            app_root = ""
        elif not app_root.startswith("/") or "://" in app_root:
            notes.append(f"{label('app-root')}={app_root!r} is not an absolute path; ignored")
            app_root = ""
        else:
            app_root = app_root.split("?", 1)[0].split("#", 1)[0]

    # --- custom-http-errors (F7)
    errors: list[int] = []
    if "custom-http-errors" in raw:
        try:
            errors = [int(c) for c in raw["custom-http-errors"].split(",") if c.strip()]
        except ValueError:
            notes.append(f"{label('custom-http-errors')}={raw['custom-http-errors']!r} is not a list of codes; "
                         "ignored")
            errors = []
        if any(300 <= c < 400 for c in errors):
            unmodelled.append(f"{label('custom-http-errors')}: intercepting 3xx codes is not modelled")

    default_backend = raw.get("default-backend", "")
    if default_backend and not _SERVICE_NAME.match(default_backend):
        notes.append(f"{label('default-backend')}={default_backend!r} is not a Service name; ignored")
        default_backend = ""

    aliases: list[str] = []
    for a in raw.get("server-alias", "").split(","):
        a = a.strip().lower()
        if not a:
            continue
        if not _ALIAS.match(a):
            unmodelled.append(f"{label('server-alias')}: alias {a!r} is not a host name (nginx server_name "
                              "syntax not modelled)")
            continue
        if a.startswith("*."):
            server_unmodelled.append(f"{label('server-alias')}: wildcard alias {a!r} (nginx wildcard names match "
                                     "several labels) is not modelled")
            continue
        aliases.append(a)

    canary = None
    if canary_on:
        canary = Canary(header=raw.get("canary-by-header", ""), header_value=raw.get("canary-by-header-value", ""),
                        header_pattern=raw.get("canary-by-header-pattern", ""),
                        cookie=raw.get("canary-by-cookie", ""), weight=max(0, get_int("canary-weight", 0)),
                        weight_total=get_int("canary-weight-total", 100))

    # the access lists and the body size read the annotations as given (an empty value counts)
    cm_lists = {"whitelist-source-range": settings.allowlist_default,
                "denylist-source-range": settings.denylist_default}
    access, access_unmodelled = (NO_LISTS, []) if canary_on else parse_access_lists(
        ing.annotations, settings.annotations_prefix, cm_lists)
    unmodelled.extend(access_unmodelled)
    limit = body_limit(ing.annotations, settings.annotations_prefix, {"proxy-body-size": settings.proxy_body_size},
                       validate)

    loc = LocationAnns(
        owner=ing.key,
        rewrite_target=target,
        use_regex=get_bool("use-regex", False),
        ssl_redirect=get_bool("ssl-redirect", settings.ssl_redirect),
        force_ssl_redirect=get_bool("force-ssl-redirect", settings.force_ssl_redirect),
        preserve_trailing_slash=get_bool("preserve-trailing-slash", settings.preserve_trailing_slash),
        app_root=app_root,
        use_port_in_redirects=get_bool("use-port-in-redirects", settings.use_port_in_redirects),
        redirect_url=redirect_url,
        redirect_code=redirect_code,
        from_to_www=from_to_www,
        relative_redirects=relative,
        upstream_vhost=raw.get("upstream-vhost", ""),
        x_forwarded_prefix=raw.get("x-forwarded-prefix", ""),
        custom_http_errors=tuple(errors),
        intercept_upstream_errors=not get_bool("disable-proxy-intercept-errors", False),
        default_backend=default_backend,
        service_upstream=get_bool("service-upstream", False),
        backend_protocol=_backend_protocol(raw.get("backend-protocol", "")),
        access=access,
        body_limit=limit,
        cors=parse_cors(raw, validate),
        basic_auth_realm=raw.get("auth-realm", "") if basic else None,
        basic_auth_secret=_qualified(raw.get("auth-secret", ""), ing.namespace) if basic else None,
        external_auth=not canary_on and _auth_url_ok(raw.get("auth-url", "")),
        auth_signin=bool(raw.get("auth-signin", "").strip()),
        unmodelled=tuple(unmodelled),
        notes=tuple(notes),
    )
    return IngressAnns(location=loc, canary=canary, aliases=tuple(aliases),
                       affinity=bool(raw.get("affinity")), server_unmodelled=tuple(server_unmodelled),
                       client_verify=_client_verify(raw) if not canary_on else "",
                       client_error_page=raw.get("auth-tls-error-page", "").strip(),
                       ssl_ciphers=raw.get("ssl-ciphers", "").strip())


def _auth_url_ok(url: str) -> bool:
    """Whether ingress-nginx's authreq parser accepts auth-url (parser.StringToURL: a URL with a
    scheme and a host); an invalid one is ignored, with the annotation's other effects unknown."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _client_verify(raw: dict[str, str]) -> str:
    """ssl_verify_client of an Ingress with auth-tls-secret `namespace/name` (annotations/authtls:
    auth-tls-verify-client must be on, off, optional or optional_no_ca, else `on`); "" without
    a Secret."""
    secret = raw.get("auth-tls-secret", "").strip()
    ns, sep, name = secret.partition("/")
    if not sep or not ns or not name:
        return ""
    mode = raw.get("auth-tls-verify-client", "").strip()
    return mode if mode in ("on", "off", "optional", "optional_no_ca") else "on"

