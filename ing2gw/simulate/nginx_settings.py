"""ingress-nginx controller flags and ConfigMap keys, as the router needs them.

`ClusterContext.nginx_flags` and `.nginx_configmap` are read once into `NginxSettings`. Every
flag or key is in exactly one of three groups: modelled (read below), routing-neutral (cannot
change where a request goes or what the client gets back), or known to matter but not
modelled — those, and anything unknown, are listed in `NginxSettings.unmodelled` and reported
on every answer, so an answer never silently ignores a setting.

Defaults are those of controller v1.15.1 (nginx-semantics.md, "Conventions and defaults").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from ing2gw.model.tls_suites import NGINX_DEFAULT_CIPHERS, NGINX_DEFAULT_PROTOCOLS
from ing2gw.errors import InputError, Problem
from ing2gw.simulate.nginx_access import RealIP
from ing2gw.simulate.request import ACCESS_UNMODELLED

_SOURCE = "<context: nginx>"

#: Controller flags that cannot change routing (logging, metrics, leader election, ...).
NEUTRAL_FLAGS = frozenset("""
    configmap tcp-services-configmap udp-services-configmap publish-service publish-status-address
    election-id election-ttl update-status update-status-on-shutdown v logtostderr alsologtostderr
    healthz-port healthz-host profiling profiler-port metrics-per-host metrics-per-undefined-host
    enable-metrics exclude-socket-metrics report-node-internal-ip-address sync-period sync-rate-limit
    kubeconfig apiserver-host shutdown-grace-period post-shutdown-grace-period status-port stream-port
    default-server-port validating-webhook validating-webhook-certificate validating-webhook-key
    maxmind-license-key maxmind-edition-ids maxmind-mirror maxmind-retries-count
    maxmind-retries-timeout dynamic-configuration-retries enable-ssl-chain-completion time-buckets
    length-buckets size-buckets internal-logger-address chroot disable-full-test
    enable-topology-aware-routing ssl-passthrough-proxy-port deep-inspect monitor-max-batch-size
    disable-sync-events enable-aggregate-api-metrics bucket-factor max-buckets
    """.split())

#: Controller flags the router reads (name -> default).
MODELLED_FLAGS: dict[str, str] = {
    "ingress-class": "nginx",
    "controller-class": "k8s.io/ingress-nginx",
    "watch-ingress-without-class": "false",
    "ingress-class-by-name": "false",
    "disable-catch-all": "false",
    "default-backend-service": "",
    "default-ssl-certificate": "",
    "annotations-prefix": "nginx.ingress.kubernetes.io",
    "watch-namespace": "",
    "health-check-path": "/healthz",
    "enable-ssl-passthrough": "false",
    "enable-annotation-validation": "true",
    "https-port": "443",
    "http-port": "80",
}

#: ConfigMap keys the router reads (name -> default).
MODELLED_KEYS: dict[str, str] = {
    "ssl-redirect": "true",
    "force-ssl-redirect": "false",
    "http-redirect-code": "308",
    "hsts": "true",
    "hsts-max-age": "31536000",
    "hsts-include-subdomains": "true",
    "hsts-preload": "false",
    "use-forwarded-headers": "false",
    "compute-full-forwarded-for": "false",
    "preserve-trailing-slash": "false",
    "use-port-in-redirects": "false",
    "relative-redirects": "false",
    "no-tls-redirect-locations": "/.well-known/acme-challenge",
    "annotations-risk-level": "High",
    "allow-snippet-annotations": "false",
    "annotation-value-word-blocklist": "",
    "enable-underscores-in-headers": "false",
    "ignore-invalid-headers": "true",
    "proxy-add-original-uri-header": "false",
    # access lists and body size (nginx_access)
    "whitelist-source-range": "",
    "denylist-source-range": "",
    "enable-real-ip": "false",
    "forwarded-for-header": "X-Forwarded-For",
    "proxy-real-ip-cidr": "0.0.0.0/0",
    "proxy-body-size": "1m",
}

#: ConfigMap keys that change what a request gets but are not modelled.
UNMODELLED_KEYS = frozenset("""
    custom-http-errors global-auth-url global-auth-method global-auth-signin global-auth-snippet
    global-auth-response-headers global-auth-request-redirect global-auth-cache-key
    global-auth-always-set-cookie block-cidrs block-user-agents block-referers server-snippet
    location-snippet http-snippet main-snippet stream-snippet add-headers proxy-set-headers
    enable-modsecurity enable-owasp-modsecurity-crs modsecurity-snippet use-proxy-protocol
    ssl-reject-handshake global-rate-limit-memcached-host
    """.split())

#: ConfigMap keys that decide who may reach what on every location (default allow- and
#: deny-lists, blocked clients, global authentication, the firewall, global rate limits, raw
#: configuration): set to a value that takes effect, they make every answer depend on the client
#: or on configuration the router does not model, so no answer is a proof of equivalence
#: (`request.ACCESS_UNMODELLED`). Values as configmap.go reads them: lists and text non-empty,
#: booleans true.
ACCESS_KEYS: dict[str, str] = {
    "whitelist-source-range": "list", "denylist-source-range": "list", "block-cidrs": "list",
    "block-user-agents": "list", "block-referers": "list", "global-auth-url": "text",
    "enable-modsecurity": "bool", "enable-owasp-modsecurity-crs": "bool", "modsecurity-snippet": "text",
    "global-rate-limit-memcached-host": "text", "http-snippet": "text", "server-snippet": "text",
    "location-snippet": "text",
}


def _access_in_effect(key: str, value: str) -> bool:
    kind = ACCESS_KEYS.get(key)
    if kind == "list":
        return any(p.strip() for p in value.split(","))
    if kind == "bool":
        return parse_bool(value.strip()) is True
    return kind is not None and bool(value.strip())


#: ConfigMap key prefixes that are routing-neutral (timeouts, buffers, logging, TLS ciphers, ...).
NEUTRAL_KEY_PREFIXES = (
    "proxy-connect", "proxy-send", "proxy-read", "proxy-buffer", "proxy-body-size", "proxy-http-version",
    "proxy-next-upstream", "proxy-request-buffering", "proxy-max-temp", "proxy-stream", "proxy-headers-hash",
    "proxy-cookie", "proxy-protocol-header-timeout", "proxy-busy", "client-", "keep-alive", "upstream-",
    "log-", "access-log", "error-log", "disable-access-log", "skip-access-log", "enable-access-log",
    "ssl-ciphers", "ssl-protocols", "ssl-ecdh", "ssl-dh", "ssl-session", "ssl-buffer", "ssl-early",
    "ssl-certificate", "ssl-prefer", "ssl-engine", "worker-", "max-worker", "http2-", "use-http2",
    "otel", "opentelemetry", "enable-opentelemetry", "opentracing", "jaeger", "zipkin", "datadog",
    "gzip", "use-gzip", "brotli", "enable-brotli", "server-name-hash", "variables-hash", "map-hash",
    "large-client-header", "reuse-port", "load-balance", "server-tokens", "hide-headers",
    "limit-rate", "limit-conn-zone", "limit-req-status", "limit-conn-status", "retry-non-idempotent",
    "bind-address", "syslog", "enable-syslog", "lua-shared-dicts", "plugins", "nginx-status",
    "default-type", "use-geoip", "geoip", "enable-vts", "resolver", "stream-", "debug-connections",
    "enable-multi-accept", "strict-validate-path-type", "enable-ocsp", "http-access-log",
    "allow-backend-server-header", "generate-request-id", "ssl-session-ticket", "worker-shutdown",
)


@dataclass(frozen=True)
class NginxSettings:
    """Controller flags and ConfigMap values that the router models."""

    ingress_class: str = "nginx"
    controller_class: str = "k8s.io/ingress-nginx"
    watch_without_class: bool = False
    ingress_class_by_name: bool = False
    disable_catch_all: bool = False
    default_backend_service: str | None = None
    default_ssl_certificate: str | None = None
    annotations_prefix: str = "nginx.ingress.kubernetes.io"
    watch_namespaces: tuple[str, ...] = ()
    health_check_path: str = "/healthz"
    enable_ssl_passthrough: bool = False
    enable_annotation_validation: bool = True
    https_port: int = 443
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    http_redirect_code: int = 308
    hsts: bool = True
    hsts_value: str = "max-age=31536000; includeSubDomains"
    use_forwarded_headers: bool = False
    compute_full_forwarded_for: bool = False
    preserve_trailing_slash: bool = False
    use_port_in_redirects: bool = False
    relative_redirects: bool = False
    no_tls_redirect_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    annotations_risk_level: str = "High"
    allow_snippet_annotations: bool = False
    word_blocklist: tuple[str, ...] = ()
    drop_underscore_headers: bool = True
    add_original_uri_header: bool = False
    #: ConfigMap whitelist-source-range / denylist-source-range / proxy-body-size (nginx_access)
    allowlist_default: str = ""
    denylist_default: str = ""
    proxy_body_size: str = "1m"
    #: ConfigMap ssl-protocols / ssl-ciphers: the http-level ssl_protocols and ssl_ciphers of every
    #: server (an Ingress's ssl-ciphers annotation replaces the ciphers for its host)
    ssl_protocols: str = NGINX_DEFAULT_PROTOCOLS
    ssl_ciphers: str = NGINX_DEFAULT_CIPHERS
    #: how nginx derives the client address ($remote_addr)
    real_ip: RealIP = RealIP()
    #: flags and keys set to values that matter but are not modelled (reported on every answer)
    unmodelled: tuple[str, ...] = ()


def parse_bool(text: str) -> bool | None:
    """Go's strconv.ParseBool (what ingress-nginx uses for flags, keys and annotations)."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _flag_values(flags: Sequence[str]) -> tuple[dict[str, str], list[Problem]]:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    i = 0
    while i < len(flags):
        item = flags[i].strip()
        i += 1
        if not item.startswith("-"):
            problems.append(Problem(_SOURCE, 0, f"flag {item!r} does not start with '--'"))
            continue
        name, sep, value = item.lstrip("-").partition("=")
        if not sep:
            if i < len(flags) and not flags[i].startswith("-") and MODELLED_FLAGS.get(name) not in ("true", "false"):
                value = flags[i]
                i += 1
            else:
                value = "true"
        values[name] = value
    return values, problems


def _bool(values: Mapping[str, str], key: str, default: str, problems: list[Problem], what: str) -> bool:
    raw = values.get(key, default)
    b = parse_bool(raw.strip())
    if b is None:
        problems.append(Problem(_SOURCE, 0, f"{what} {key}={raw!r} is not a boolean (true/false)"))
        return parse_bool(default) or False
    return b


def _int(values: Mapping[str, str], key: str, default: str, problems: list[Problem], what: str) -> int:
    raw = values.get(key, default).strip()
    try:
        return int(raw)
    except ValueError:
        problems.append(Problem(_SOURCE, 0, f"{what} {key}={raw!r} is not a number"))
        return int(default)


def _key_is_neutral(key: str) -> bool:
    return key.startswith(NEUTRAL_KEY_PREFIXES)


def parse_settings(flags: Sequence[str], configmap: Mapping[str, str]) -> NginxSettings:
    """Read controller flags and ConfigMap values. Raises InputError for values the controller
    would refuse to start with (a flag or key that is not a boolean/number where one is needed)."""
    fv, problems = _flag_values(flags)
    unmodelled: list[str] = []
    for name in sorted(fv):
        if name not in MODELLED_FLAGS and name not in NEUTRAL_FLAGS:
            unmodelled.append(f"controller flag --{name}={fv[name]} (not modelled)")
    cm = {str(k): str(v) for k, v in configmap.items()}
    for key in sorted(cm):
        if key in MODELLED_KEYS:
            continue
        if _access_in_effect(key, cm[key]):
            unmodelled.append(f"{ACCESS_UNMODELLED}ConfigMap {key}={cm[key]!r} decides who may reach what")
        elif key in UNMODELLED_KEYS or not _key_is_neutral(key):
            unmodelled.append(f"ConfigMap {key}={cm[key]!r} (not modelled)")
    f = "flag"
    c = "ConfigMap key"
    watch = tuple(n.strip() for n in fv.get("watch-namespace", "").split(",") if n.strip())
    risk = cm.get("annotations-risk-level", "High").strip()
    if risk not in ("Low", "Medium", "High", "Critical"):
        problems.append(Problem(_SOURCE, 0, f"ConfigMap annotations-risk-level={risk!r}: use Low, Medium, High "
                                            "or Critical"))
        risk = "High"
    code = _int(cm, "http-redirect-code", "308", problems, c)
    if code not in (301, 302, 307, 308):
        # ingress-nginx logs a warning and keeps 308 for any other value
        unmodelled.append(f"ConfigMap http-redirect-code={code} is not 301/302/307/308; assumed 308")
        code = 308
    max_age = cm.get("hsts-max-age", "31536000").strip()
    hsts_value = f"max-age={max_age}"
    if _bool(cm, "hsts-include-subdomains", "true", problems, c):
        hsts_value += "; includeSubDomains"
    if _bool(cm, "hsts-preload", "false", problems, c):
        hsts_value += "; preload"
    dbs = fv.get("default-backend-service", "").strip() or None
    if dbs is not None and dbs.count("/") != 1:
        problems.append(Problem(_SOURCE, 0, f"flag --default-backend-service={dbs!r} must be namespace/name"))
        dbs = None
    dsc = fv.get("default-ssl-certificate", "").strip() or None
    if dsc is not None and dsc.count("/") != 1:
        problems.append(Problem(_SOURCE, 0, f"flag --default-ssl-certificate={dsc!r} must be namespace/name"))
        dsc = None
    settings = NginxSettings(
        ingress_class=fv.get("ingress-class", "nginx"),
        controller_class=fv.get("controller-class", "k8s.io/ingress-nginx"),
        watch_without_class=_bool(fv, "watch-ingress-without-class", "false", problems, f),
        ingress_class_by_name=_bool(fv, "ingress-class-by-name", "false", problems, f),
        disable_catch_all=_bool(fv, "disable-catch-all", "false", problems, f),
        default_backend_service=dbs,
        default_ssl_certificate=dsc,
        annotations_prefix=fv.get("annotations-prefix", "nginx.ingress.kubernetes.io").rstrip("/"),
        watch_namespaces=watch,
        health_check_path=fv.get("health-check-path", "/healthz"),
        enable_ssl_passthrough=_bool(fv, "enable-ssl-passthrough", "false", problems, f),
        enable_annotation_validation=_bool(fv, "enable-annotation-validation", "true", problems, f),
        https_port=_int(fv, "https-port", "443", problems, f),
        ssl_redirect=_bool(cm, "ssl-redirect", "true", problems, c),
        force_ssl_redirect=_bool(cm, "force-ssl-redirect", "false", problems, c),
        http_redirect_code=code,
        hsts=_bool(cm, "hsts", "true", problems, c),
        hsts_value=hsts_value,
        use_forwarded_headers=_bool(cm, "use-forwarded-headers", "false", problems, c),
        compute_full_forwarded_for=_bool(cm, "compute-full-forwarded-for", "false", problems, c),
        preserve_trailing_slash=_bool(cm, "preserve-trailing-slash", "false", problems, c),
        use_port_in_redirects=_bool(cm, "use-port-in-redirects", "false", problems, c),
        relative_redirects=_bool(cm, "relative-redirects", "false", problems, c),
        no_tls_redirect_locations=tuple(p.strip() for p in cm.get(
            "no-tls-redirect-locations", "/.well-known/acme-challenge").split(",") if p.strip()),
        annotations_risk_level=risk,
        allow_snippet_annotations=_bool(cm, "allow-snippet-annotations", "false", problems, c),
        word_blocklist=tuple(w.strip() for w in cm.get("annotation-value-word-blocklist", "").split(",")
                             if w.strip()),
        drop_underscore_headers=(not _bool(cm, "enable-underscores-in-headers", "false", problems, c)
                                 and _bool(cm, "ignore-invalid-headers", "true", problems, c)),
        add_original_uri_header=_bool(cm, "proxy-add-original-uri-header", "false", problems, c),
        allowlist_default=cm.get("whitelist-source-range", ""),
        denylist_default=cm.get("denylist-source-range", ""),
        proxy_body_size=cm.get("proxy-body-size", "1m"),
        ssl_protocols=cm.get("ssl-protocols", "").strip() or NGINX_DEFAULT_PROTOCOLS,
        ssl_ciphers=cm.get("ssl-ciphers", "").strip() or NGINX_DEFAULT_CIPHERS,
        real_ip=RealIP.from_configmap(cm, _bool(cm, "use-forwarded-headers", "false", [], c)),
        unmodelled=tuple(unmodelled),
    )
    if problems:
        raise InputError(problems)
    return settings
