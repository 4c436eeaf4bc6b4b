"""Frontend annotations -> the rules the controller adds for one Ingress (or for the ConfigMap).

The handlers run in the controller's order (`pkg/annotations/annotations.go` Frontend), each
reading its value from the Ingress, then the ConfigMap, then the built-in default
(`pkg/annotations/common/main.go` GetValue: the first source that *has* the key wins, even with
an empty value). An annotation the controller cannot parse is dropped with an error in its log,
and so are the rules it would have added, while the rules added before the error stay: such
messages are collected in `skipped` (haproxy-semantics.md H-G*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from ing2gw.simulate.haproxy.net import Network, go_network, pattern_networks
from ing2gw.simulate.haproxy.rules import (BasicAuth, Capture, Deny, PathRewrite, RateLimit, Redirect, ReturnStatus,
                                          Rule, SetHeader, SetSrc, SetVar, Track)
from ing2gw.simulate.haproxy.ruleid import fnv128a

#: built-in defaults of annotation values (`pkg/annotations/common/main.go` DefaultValues)
DEFAULT_VALUES: dict[str, str] = {
    "auth-realm": "Protected Content", "check": "true", "cors-allow-origin": "*", "cors-allow-methods": "*",
    "cors-allow-headers": "*", "cors-max-age": "5s", "cookie-indirect": "true", "cookie-nocache": "true",
    "cookie-type": "insert", "forwarded-for": "true", "load-balance": "roundrobin", "request-capture-len": "128",
    "ssl-redirect-code": "302", "request-redirect-code": "302", "ssl-redirect-port": "8443",
    "ssl-passthrough": "false", "server-ssl": "false", "scale-server-slots": "42", "client-crt-optional": "false",
    "tls-alpn": "h2,http/1.1", "quic-alt-svc-max-age": "60",
}
#: HTTP methods cors-allow-methods accepts (`pkg/annotations/ingress/resSetCORS.go`)
CORS_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
#: where the controller writes its map files (<config dir>/maps)
MAPS_DIR = "/etc/haproxy/maps"
_GO_INT = re.compile(r"[+-]?[0-9]+\Z")


def get_value(name: str, sources: Sequence[Mapping[str, str]], defaults: Mapping[str, str] = DEFAULT_VALUES) -> str:
    """The value of annotation `name`: the first source that has the key, else the default."""
    for src in sources:
        if name in src:
            return src[name]
    return defaults.get(name, "")


def go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64) / Atoi: None on a syntax error."""
    return int(text) if _GO_INT.match(text) else None


def go_bool(text: str) -> bool | None:
    """utils.GetBoolValue: strconv.ParseBool plus enabled/on and disabled/off; None on an error."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    low = text.lower()
    if low in ("enabled", "on"):
        return True
    if low in ("disabled", "off"):
        return False
    return None


def go_time_ms(text: str) -> int | None:
    """utils.ParseTime: ms, s, m, h, d suffixes, else milliseconds; None on an error."""
    for suffix, factor in (("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)):
        if text.endswith(suffix):
            n = go_int(text[:-len(suffix)])
            return None if n is None else n * factor
    return go_int(text)


def go_size(text: str) -> int | None:
    """utils.ParseSize: k, m, g suffixes (powers of 1024); None on an error."""
    for suffix, factor in (("k", 1024), ("m", 1024 ** 2), ("g", 1024 ** 3)):
        if text.endswith(suffix):
            n = go_int(text[:-1])
            return None if n is None else n * factor
    return go_int(text)


def ensure_quoted(text: str) -> str:
    """common.EnsureQuoted: add a double quote at either end that lacks one."""
    if text in ('"', ""):
        return '""'
    if not text.startswith('"'):
        text = '"' + text
    if not text.endswith('"'):
        text += '"'
    return text


#: what `secret_lookup` answers for a Secret the input does not carry (credentials unknown)
UNKNOWN_SECRET = object()


@dataclass
class AnnotationContext:
    """What the handlers share across the Ingresses of one configuration."""

    #: map files of inline allow/deny lists, by name (shared: identical lists share one file)
    acl_maps: dict[str, list[str]] = field(default_factory=dict)
    #: pattern files of --configmap-patternfiles (name -> lines), None when not in the input
    pattern_files: Mapping[str, list[str]] | None = None
    #: (namespace, name) -> Secret data, None when missing, UNKNOWN_SECRET when not in the input
    secret_lookup: Callable[[str, str], object] = lambda ns, name: None
    #: configuration errors HAProxy would refuse (the controller keeps its previous config)
    config_errors: list[str] = field(default_factory=list)
    #: what the answers depend on but is not modelled
    unmodelled: list[str] = field(default_factory=list)

    def pattern(self, path: str) -> tuple[Network, ...] | None:
        """Networks of a `patterns/<name>` file; None when the file's content is unknown."""
        if self.pattern_files is None:
            return None
        name = path[len("patterns/"):]
        lines = self.pattern_files.get(name)
        if lines is None:
            self.config_errors.append(f"pattern file {path!r} does not exist (HAProxy cannot load 'src -f {path}')")
            return ()
        nets, bad = pattern_networks(lines)
        if bad:
            self.config_errors.append(f"pattern file {path!r}: {bad[0]!r} is not an address or network")
        return nets


@dataclass
class Processed:
    """The rules of one Ingress (or of the ConfigMap) in the order the controller adds them."""

    rules: list[Rule] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class _Handlers:
    """One run of the Frontend handlers over one value source list (one Ingress)."""

    def __init__(self, sources: Sequence[Mapping[str, str]], namespace: str | None, name: str | None,
                 tls_enabled: bool, ctx: AnnotationContext, who: str) -> None:
        self.sources = sources
        self.namespace = namespace
        self.name = name
        self.tls_enabled = tls_enabled
        self.ctx = ctx
        self.who = who
        self.out = Processed()
        # the rule a handler family fills in later (pointers in the controller)
        self.ssl: Redirect | None = None
        self.host_redirect: Redirect | None = None
        self.limit: RateLimit | None = None
        self.track: Track | None = None
        self.auth: BasicAuth | None = None
        self.captures: list[Capture] = []
        self.cors_acl = ""
        self.cors_origins: tuple[str, ...] | None = None

    def value(self, name: str) -> str:
        return get_value(name, self.sources)

    def add(self, rule: Rule) -> None:
        self.out.rules.append(rule)

    def error(self, annotation: str, message: str) -> None:
        self.out.skipped.append(f"{self.who}: annotation {annotation}: {message}")

    # -- access control (accessControl.go) --------------------------------------------------

    def access(self, name: str, deprecated: str, allow: bool) -> None:
        value = self.value(name) or self.value(deprecated)
        if not value:
            return
        if value.startswith("patterns/"):
            self.add(Deny(src_map=value, allow=allow, networks=self.ctx.pattern(value), listed=value))
            return
        map_name = ("allowlist-" if allow else "denylist-") + fnv128a(value.encode("utf-8"))
        rows = self.ctx.acl_maps.get(map_name)
        if not rows:
            rows = self.ctx.acl_maps.setdefault(map_name, [])
            for address in value.split(","):
                address = address.strip()
                if go_network(address) is None:
                    # the rows before the bad one stay in the (shared) map file
                    self.error(name, f"incorrect address '{address}' in {name} annotation")
                    return
                rows.append(address)
        nets = tuple(n for n in (go_network(a) for a in rows) if n is not None)
        self.add(Deny(src_map=f"{MAPS_DIR}/{map_name}.map", allow=allow, networks=nets, listed=value))

    # -- simple rules ---------------------------------------------------------------------

    def src_ip_header(self) -> None:
        value = self.value("src-ip-header")
        if value:
            self.add(SetSrc(header=value))

    def set_host(self) -> None:
        value = self.value("set-host")
        if value:
            self.add(SetHeader(name="Host", fmt=value))

    def path_rewrite(self) -> None:
        value = self.value("path-rewrite").strip()
        if not value:
            return
        for line in value.split("\n"):
            parts = line.split()
            if len(parts) == 1:
                self.add(PathRewrite(match="(.*)", fmt=parts[0]))
            elif len(parts) == 2:
                self.add(PathRewrite(match=parts[0], fmt=parts[1]))
            else:
                self.error("path-rewrite", f"incorrect value '{value}', path-rewrite takes 1 or 2 params")
                return

    def set_headers(self, name: str, response: bool) -> None:
        value = self.value(name)
        if not value:
            return
        for param in value.split("\n"):
            if not param:
                continue
            space = param.find(" ")
            if space == -1:
                self.error(name, f"incorrect value '{param}' in request-set-header annotation")
                return
            self.add(SetHeader(name=param[:space], fmt=ensure_quoted(param[space + 1:]), response=response))

    # -- redirects (httpsRedirect.go, hostRedirect.go) ----------------------------------------

    def ssl_redirect(self, name: str) -> None:
        value = self.value(name)
        if not value:
            if name == "ssl-redirect" and self.tls_enabled:
                self.ssl = Redirect(ssl_redirect=True)
                self.add(self.ssl)
            return
        if name == "ssl-redirect":
            # an unparsable value disables the redirect without an error (the parse error is
            # dropped: `if err != nil { return errBool }` tests the wrong variable)
            if go_bool(value):
                self.ssl = Redirect(ssl_redirect=True)
                self.add(self.ssl)
            return
        if self.ssl is None:
            return
        number = go_int(value)
        if number is None:
            self.error(name, f"invalid value {value!r}")
            return
        if name == "ssl-redirect-port":
            self.ssl.port = number
        else:
            self.ssl.code = number

    def request_redirect(self, name: str) -> None:
        value = self.value(name)
        if not value:
            return
        if name == "request-redirect":
            redirect = Redirect(host=value)
            if value.startswith("https://"):
                redirect.ssl_request, redirect.host = True, value[len("https://"):]
            elif value.startswith("http://"):
                redirect.host = value[len("http://"):]
            self.host_redirect = redirect
            self.add(redirect)
            return
        if self.host_redirect is None:
            return
        code = go_int(value)
        if code is None:
            self.error(name, f"invalid value {value!r}")
            return
        self.host_redirect.code = code

    # -- rate limiting (reqRateLimit.go) --------------------------------------------------------

    def rate_limit(self, name: str) -> None:
        value = self.value(name)
        if not value:
            return
        if name == "rate-limit-requests":
            number = go_int(value)
            self.limit = RateLimit(limit=number or 0)
            self.track = Track(key="src")
            self.add(self.limit)
            self.add(self.track)
            if number is None:
                self.error(name, f"invalid value {value!r}: the limit is 0 (no rate limiting)")
            return
        if self.limit is None or self.track is None:
            self.error(name, f"{name} requires rate-limit-requests to be set")
            return
        if name == "rate-limit-period":
            ms = go_time_ms(value)
            # the table is named even when the value does not parse (period 0)
            self.track.period_ms = ms or 0
            self.track.table = self.limit.table = f"RateLimit-{ms or 0}"
            if ms is None:
                self.error(name, f"invalid value {value!r}")
        elif name == "rate-limit-size":
            self.track.size = go_size(value)
            if self.track.size is None:
                self.error(name, f"invalid value {value!r}")
        elif name == "rate-limit-status-code":
            code = go_int(value)
            self.limit.status = code or 0
            if code is None:
                self.error(name, f"invalid value {value!r}")
        elif name == "rate-limit-whitelist":
            ips: list[str] = []
            maps: list[str] = []
            for entry in value.split(","):
                entry = entry.strip()
                if not entry:
                    continue
                if entry.startswith("patterns/"):
                    maps.append(entry)
                elif go_network(entry) is None:
                    self.error(name, f"incorrect address '{entry}' in {name} annotation")
                    return
                else:
                    ips.append(entry)
            self.limit.whitelist_ips = ips
            self.limit.whitelist_maps = maps
            nets: list[Network] = [n for n in (go_network(ip) for ip in ips) if n is not None]
            unknown: list[str] = []
            for path in maps:
                pattern = self.ctx.pattern(path)
                if pattern is None:
                    unknown.append(path)
                else:
                    nets.extend(pattern)
            self.limit.whitelist = tuple(nets)
            self.limit.whitelist_unknown = tuple(unknown)

    # -- basic auth (basicAuth.go) ---------------------------------------------------------------

    def basic_auth(self, name: str) -> None:
        value = self.value(name)
        if not value:
            return
        if name == "auth-type":
            if value != "basic-auth":
                self.error(name, f"incorrect auth-type value '{value}'. Only 'basic-auth' value is currently supported")
                return
            group = f"{self.namespace}-{self.name}" if self.name is not None else "Global"
            self.auth = BasicAuth(group=group, realm="Protected-Content", credentials=None)
            self.add(self.auth)
            return
        if self.auth is None:
            return
        if name == "auth-realm":
            self.auth.realm = value.replace(" ", "-")
            return
        parts = value.split("/")
        ns, secret = ("", parts[0]) if len(parts) == 1 else (parts[0], parts[1]) if len(parts) == 2 else ("", "")
        if not secret or (len(parts) == 2 and not ns):
            self.error(name, "invalid format")
            return
        if not ns:
            if self.namespace is None:
                # HandleCfgMapAnnotations passes no Ingress: the controller dereferences nil
                self.ctx.config_errors.append("ConfigMap auth-secret without a namespace: the controller "
                                              "crashes (nil Ingress) and never applies this configuration")
                return
            ns = self.namespace
        data = self.ctx.secret_lookup(ns, secret)
        if data is not None:
            self.auth.secret = f"{ns}/{secret}"
        if data is UNKNOWN_SECRET:
            self.auth.known = False
            self.auth.credentials = {}
            # the answer to a request with credentials says so (HAProxyRouter._auth): a request
            # without any, or with the check's valid ones, is decided all the same
            return
        if data is None:
            return  # missing Secret: empty user list, every request is refused
        assert isinstance(data, Mapping)
        creds: dict[str, bytes] = {}
        for user, pwd in data.items():
            if pwd:
                creds[user] = pwd[:-1] if pwd.endswith(b"\n") else pwd
        self.auth.credentials = creds

    # -- request capture (logging only) ----------------------------------------------------------

    def capture(self, name: str) -> None:
        value = self.value(name)
        if not value:
            return
        if name == "request-capture":
            for sample in value.split("\n"):
                if sample:
                    cap = Capture(expression=sample)
                    self.captures.append(cap)
                    self.add(cap)
            return
        if not self.captures:
            return
        length = go_int(value)
        if length is None:
            self.error(name, f"invalid value {value!r}")
            return
        for cap in self.captures:
            cap.length = length

    # -- CORS (resSetCORS.go) ----------------------------------------------------------------------

    def cors(self, name: str) -> None:
        value = self.value(name)
        if not value:
            return
        if name == "cors-enable":
            enabled = go_bool(value)
            if enabled is None:
                self.error(name, f"invalid value {value!r}")
            if not enabled:
                return
            self.add(SetVar(name="cors_origin", scope="txn", expression="req.hdr(origin)"))
            self.cors_acl = "{ var(txn.cors_origin) -m found }"
            self.cors_origins = ()
            return
        if not self.cors_acl:
            return
        if name == "cors-allow-origin":
            origin = "*"
            if value != "*":
                self.cors_acl = f"{{ var(txn.cors_origin) -m reg {value} }}"
                self.cors_origins = tuple(value.split())
                origin = "%[var(txn.cors_origin)]"
            self._cors_header("Access-Control-Allow-Origin", origin)
        elif name == "cors-allow-methods":
            if value != "*":
                methods = [m.upper() for m in "".join(value.split()).split(",")]
                bad = [m for m in methods if m not in CORS_METHODS]
                if bad:
                    self.error(name, f"unsupported HTTP method '{bad[0]}' in cors-allow-methods configuration")
                    return
                value = ensure_quoted(", ".join(methods))
            self._cors_header("Access-Control-Allow-Methods", value)
        elif name == "cors-allow-headers":
            self._cors_header("Access-Control-Allow-Headers", ensure_quoted("".join(value.split())))
        elif name == "cors-max-age":
            ms = go_time_ms(value)
            if ms is None:
                self.error(name, f"invalid value {value!r}")
                return
            age = ms // 1000 if ms >= 0 else -(-ms // 1000)  # Go integer division truncates toward zero
            if age < -1:
                self.error(name, f"invalid cors-max-age value {age}")
                return
            self._cors_header("Access-Control-Max-Age", f'"{age}"')
        elif name == "cors-allow-credentials":
            if value == "true":
                self._cors_header("Access-Control-Allow-Credentials", '"true"')
        elif name == "cors-respond-to-options":
            if value == "true":
                self.add(ReturnStatus(status=204))

    def _cors_header(self, header: str, fmt: str) -> None:
        self.add(SetHeader(name=header, fmt=fmt, after_response=True, cond_test=self.cors_acl, cond="if",
                           cors_origins=self.cors_origins))

    def run(self) -> Processed:
        self.access("deny-list", "blacklist", allow=False)
        self.access("allow-list", "whitelist", allow=True)
        self.src_ip_header()
        self.set_host()
        self.path_rewrite()
        self.set_headers("request-set-header", response=False)
        self.set_headers("response-set-header", response=True)
        for n in ("ssl-redirect", "ssl-redirect-port", "ssl-redirect-code"):
            self.ssl_redirect(n)
        for n in ("request-redirect", "request-redirect-code"):
            self.request_redirect(n)
        for n in ("rate-limit-requests", "rate-limit-period", "rate-limit-size", "rate-limit-status-code",
                  "rate-limit-whitelist"):
            self.rate_limit(n)
        for n in ("auth-type", "auth-realm", "auth-secret"):
            self.basic_auth(n)
        for n in ("request-capture", "request-capture-len"):
            self.capture(n)
        for n in ("cors-enable", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-max-age",
                  "cors-allow-credentials", "cors-respond-to-options"):
            self.cors(n)
        for rule in self.out.rules:
            rule.freeze()
        return self.out


def frontend_rules(sources: Sequence[Mapping[str, str]], ctx: AnnotationContext, *, namespace: str | None = None,
                   name: str | None = None, tls_enabled: bool = False) -> Processed:
    """The rules for an Ingress (`namespace`/`name`, values from `sources` = [Ingress annotations,
    ConfigMap]) or for the ConfigMap alone (no name, `sources` = [ConfigMap])."""
    who = f"Ingress {namespace}/{name}" if name is not None else "ConfigMap"
    return _Handlers(sources, namespace, name, tls_enabled, ctx, who).run()
