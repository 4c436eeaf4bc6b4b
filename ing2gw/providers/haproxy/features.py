"""An Ingress's HAProxy annotations -> what its rules carry (filters, redirects, intents), and a
finding for every annotation that is not carried over exactly.

Frontend annotations act only on the requests this Ingress's own map rows route (the rule ids
in the row, H-G1), so everything here becomes part of the Ingress's own route rules. Values come
from the Ingress, then the controller ConfigMap (H-A2). Facts: haproxy-semantics.md H-G3 (ssl-
redirect), H-G4 (request-redirect), H-G5 (path-rewrite, set-host, set-header), H-G6 (basic
auth), H-G9 (allow/deny lists); every other key is reported from mappings/haproxy.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ing2gw import ir, mappings
from ing2gw.findings import Finding, Severity
from ing2gw.model.ingress import Ingress
from ing2gw.providers.base import BuildContext, host_problem
from ing2gw.providers.carried import intent_verdict
from ing2gw.providers.haproxy.settings import DEFAULTS, PREFIXES, Settings, Value, clean
from ing2gw.providers.values import BadValue, haproxy_bool, parse_cidr_list, parse_digits, parse_list, parse_port

#: redirect codes a Gateway API RequestRedirect takes
REDIRECT_CODES = (301, 302, 303, 307, 308)
#: keys this module handles itself (the others are reported from the mapping table)
HANDLED = frozenset({"set-host", "path-rewrite", "request-set-header", "response-set-header", "ssl-redirect",
                     "ssl-redirect-port", "ssl-redirect-code", "request-redirect", "request-redirect-code",
                     "allow-list", "deny-list", "whitelist", "blacklist", "auth-type", "auth-secret", "auth-realm",
                     "standalone-backend", "timeout-server", "route-acl"})
_LITERAL_PATH = re.compile(r"/[-A-Za-z0-9/._~]*\Z")
#: the keys a CORS filter carries (cors-respond-to-options is reported on its own)
_CORS_KEYS = ("cors-enable", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-max-age",
              "cors-allow-credentials")
#: methods cors-allow-methods takes (resSetCORS.go)
_CORS_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
#: one literal origin inside an anchored alternation, its dots escaped: scheme://host[:port]
_ORIGIN = re.compile(r"(https?)://((?:[a-z0-9-]+\\\.)*[a-z0-9-]+)(:[0-9]+)?\Z")
#: an HTTP header name (RFC 9110 token), as the CORS filter's allowHeaders takes it
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_DURATION = re.compile(r"([0-9]+)(ms|s|m|h|d)?\Z")


def _cors_origins(value: str) -> tuple[str, ...] | None:
    """cors-allow-origin as an allowOrigins list, or None. `*` is every origin; otherwise HAProxy
    matches the value as an unanchored regular expression (`-m reg`), so only `^origin$` or
    `^(origin|origin)$` with literal origins (dots escaped) means exactly those origins."""
    if value == "*":
        return ("*",)
    m = re.fullmatch(r"\^\(?([^()]*?)\)?\$", value)
    if m is None or (value.startswith("^(") != value.endswith(")$")):
        return None
    out = []
    for alt in m.group(1).split("|"):
        o = _ORIGIN.match(alt)
        if o is None:
            return None
        out.append(f"{o.group(1)}://{o.group(2).replace(chr(92) + '.', '.')}{o.group(3) or ''}")
    return tuple(out)


def _go_seconds(text: str) -> int | None:
    """A duration as the controller's utils.ParseTime reads it (one integer with an ms, s, m, h or
    d suffix; without one, milliseconds), in whole seconds as resSetCORS.go truncates it; None
    when the controller refuses it (then it sends no max-age header)."""
    m = _DURATION.match(text)
    if m is None:
        return None
    factor = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "": 1}[m.group(2) or ""]
    return int(m.group(1)) * factor // 1000


@dataclass
class PathRewrite:
    """path-rewrite as Gateway API can say it: the whole path (`full`) or a prefix (`prefix` of
    the rule's PathPrefix `match` replaced with `to`)."""

    full: str | None = None
    match: str | None = None
    to: str | None = None


@dataclass
class Features:
    """What one Ingress's annotations add to each of its rules."""

    has_rules: bool = False
    set_host: str | None = None
    rewrite: PathRewrite | None = None
    request_set: list[tuple[str, str]] = field(default_factory=list)
    response_set: list[tuple[str, str]] = field(default_factory=list)
    ssl_redirect: ir.Redirect | None = None
    redirect: ir.Redirect | None = None
    intents: list[ir.Intent] = field(default_factory=list)
    cors: ir.Cors | None = None


def _unquote(text: str) -> str:
    """A set-header value as HAProxy sends it: the controller quotes it (EnsureQuoted) and
    HAProxy's parser removes one pair of double quotes."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


class _Reader:
    def __init__(self, ctx: BuildContext, settings: Settings, ing: Ingress) -> None:
        self.ctx = ctx
        self.s = settings
        self.ing = ing
        self.out = Features()
        self.table = {r["key"]: r for r in mappings.table("haproxy")["annotations"]}
        #: cors-* keys cors() reported (others() does not report them again); all of them once
        #: they became a CORS filter
        self.cors_done: set[str] = set()

    def get(self, name: str) -> Value | None:
        v = self.s.frontend(self.ing, name)
        return v if v is not None and v.value.strip() != "" else None

    def finding(self, severity: str, code: str, v: Value, message: str, *, security: bool = False,
                suggestion: str | None = None, details: dict[str, str] | None = None) -> None:
        where = {"ingress": "", "configmap": " (from the controller ConfigMap)"}.get(
            v.source, f" (on Service {v.source.split(':', 1)[-1]})")
        self.ctx.finding(severity, code, f"{v.key}{where}: {message}", ing=self.ing, annotation=v.key,
                         value=v.value, security=security, suggestion=suggestion, details=details)

    def converted(self, v: Value, what: str) -> None:
        self.out.has_rules = True
        self.finding(Severity.INFO, "ING2GW-HAPROXY-002", v, what)

    def lost(self, v: Value, why: str, *, security: bool = False) -> None:
        self.out.has_rules = True
        if v.key.rsplit("/", 1)[-1] == "src-ip-header" and v.value.strip():
            # its own code: only requests that carry the header are answered differently, which
            # the check's forwarded-address probes show (HAPROXY-004 predicts every request)
            self.finding(Severity.ERROR if security else Severity.WARNING, "ING2GW-TARGET-072", v, why,
                         security=security, details={"headers": v.value.strip()})
            return
        self.finding(Severity.ERROR if security else Severity.WARNING, "ING2GW-HAPROXY-004", v, why,
                     security=security)

    # -- H-G5 --------------------------------------------------------------------------------
    def headers(self) -> None:
        v = self.get("set-host")
        if v is not None:
            host = v.value.strip()
            if "%[" in host or host_problem(host.split(":")[0]) is not None:
                self.lost(v, "a log-format or non-hostname value has no static Gateway API equivalent")
            else:
                self.out.set_host = host
                self.converted(v, f"URLRewrite hostname {host}")
        for name, target in (("request-set-header", self.out.request_set), ("response-set-header", self.out.response_set)):
            v = self.get(name)
            if v is None:
                continue
            pairs: list[tuple[str, str]] = []
            for line in v.value.split("\n"):
                if not line:
                    continue
                hname, sep, value = line.partition(" ")
                if not sep or "%[" in value or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", hname):
                    pairs = []
                    break
                pairs.append((hname, _unquote(value)))
            if not pairs:
                self.lost(v, "a malformed line or a log-format value (%[...]) cannot be a static header value")
                continue
            if name == "request-set-header" and any(h.lower() == "host" for h, _ in pairs):
                host = next(val for h, val in pairs if h.lower() == "host")
                self.out.set_host = host  # set after set-host (both REQ_SET_HEADER, set-host first)
                pairs = [(h, val) for h, val in pairs if h.lower() != "host"]
            target.extend(pairs)
            if name == "response-set-header":
                self.ctx.finding(Severity.INFO, "ING2GW-HAPROXY-024",
                                 "HAProxy also sets these response headers on its own 503 (no server); the Gateway's "
                                 "own 5xx answers do not carry them", ing=self.ing, annotation=v.key, value=v.value)
            self.converted(v, ("RequestHeaderModifier" if name.startswith("request") else "ResponseHeaderModifier")
                           + " set " + ", ".join(h for h, _ in pairs))

    def path_rewrite(self, matches: set[tuple[str, str]]) -> None:
        v = self.get("path-rewrite")
        if v is None:
            return
        lines = [line.split() for line in v.value.strip().split("\n")]
        if len(lines) != 1 or len(lines[0]) not in (1, 2):
            self.out.has_rules = True
            self.finding(Severity.WARNING, "ING2GW-HAPROXY-028", v,
                         "several rewrite lines (or a malformed one) have no Gateway API equivalent")
            return
        parts = lines[0]
        if len(parts) == 1:
            if _LITERAL_PATH.match(parts[0]):
                self.out.rewrite = PathRewrite(full=parts[0])
                self.converted(v, f"URLRewrite ReplaceFullPath {parts[0]}")
                return
        else:
            # `^P(.*) Q\1` replaces the prefix P with Q: ReplacePrefixMatch when every rule of the
            # Ingress is PathPrefix P (an Exact rule P is ReplaceFullPath Q)
            m = re.fullmatch(r"\^(/[-A-Za-z0-9/._~]*)\(\.\*\)", parts[0])
            q = re.fullmatch(r"(/[-A-Za-z0-9/._~]*)\\1", parts[1])
            if m and q and not m.group(1).endswith("/") and not q.group(1).endswith("/") \
                    and all(value == m.group(1) for _, value in matches):
                self.out.rewrite = PathRewrite(match=m.group(1), to=q.group(1))
                self.converted(v, f"URLRewrite ReplacePrefixMatch {q.group(1)} on {m.group(1)}")
                return
        self.out.has_rules = True
        self.finding(Severity.WARNING, "ING2GW-HAPROXY-028", v,
                     "a regex rewrite other than replacing the rule's own prefix has no Gateway API equivalent "
                     "(some implementations have a regex rewrite)")

    # -- H-G3, H-G4 ----------------------------------------------------------------------------
    def _code(self, name: str, default: str) -> int:
        v = self.get(name)
        text = v.value.strip() if v is not None else default
        try:
            code = parse_digits(text)
        except BadValue:
            if v is not None:
                self.finding(Severity.WARNING, "ING2GW-HAPROXY-005", v,
                             "not a number: the controller drops the rule (no redirect)")
            return -1
        if code not in REDIRECT_CODES and v is not None:
            self.finding(Severity.WARNING, "ING2GW-HAPROXY-020", v,
                         f"{code} is not a RequestRedirect status; the redirect uses 302")
            return 302
        return code

    def redirects(self) -> None:
        v = self.get("ssl-redirect")
        if v is None:
            enabled = any(t.hosts for t in self.ing.spec.tls)  # tlsEnabled (H-G3)
        else:
            parsed = haproxy_bool(v.value.strip())
            if parsed is None:
                self.finding(Severity.WARNING, "ING2GW-HAPROXY-005", v,
                             "not a boolean: the controller silently disables the HTTPS redirect, and so does ing2gw")
            enabled = bool(parsed)
        if enabled:
            self.out.has_rules = True
            code = self._code("ssl-redirect-code", DEFAULTS["ssl-redirect-code"])
            pv = self.get("ssl-redirect-port")
            port_text = pv.value.strip() if pv is not None else DEFAULTS["ssl-redirect-port"]
            try:
                https_port: int | None = parse_port(port_text)
            except BadValue:
                https_port = None
            if code > 0 and https_port is not None:
                self.out.ssl_redirect = ir.Redirect(code, scheme="https", port=https_port)
                if https_port == 443:
                    self.ctx.finding(Severity.INFO, "ING2GW-HAPROXY-017",
                                     "HAProxy's HTTPS redirect Location carries :443; the Gateway's omits the default "
                                     "port (the same URL)", ing=self.ing)
            elif pv is not None:
                self.finding(Severity.WARNING, "ING2GW-HAPROXY-005", pv,
                             "not a port: the controller drops the HTTPS redirect, and so does ing2gw")
        v = self.get("request-redirect")
        if v is not None:
            self.out.has_rules = True
            value = v.value.strip()
            scheme = "https" if value.startswith("https://") else "http"
            hostport = value.split("://", 1)[1] if "://" in value else value
            host, _, port = hostport.partition(":")
            code = self._code("request-redirect-code", DEFAULTS["request-redirect-code"])
            if host_problem(host) is not None or (port and not port.isdigit()) or code < 0:
                self.lost(v, "only host or host:port (with an optional scheme) is a RequestRedirect")
            else:
                self.out.redirect = ir.Redirect(code, scheme=scheme, hostname=host,
                                                port=int(port) if port else None)
                self.converted(v, f"RequestRedirect to {scheme}://{hostport} ({code})")

    # -- H-G6, H-G9 ---------------------------------------------------------------------------
    def access(self) -> None:
        lists: list[tuple[Value, str, str, tuple[str, ...], ir.Intent]] = []
        exact = True  # every list of the Ingress became an intent the target may carry as it is
        for name, old, action in (("allow-list", "whitelist", "allow"), ("deny-list", "blacklist", "deny")):
            v = self.get(name) or self.get(old)
            if v is None:
                continue
            self.out.has_rules = True
            entries = parse_list(v.value)
            if any(e.startswith("patterns/") for e in entries):
                self.lost(v, "a pattern file (patterns/...) has no Gateway API equivalent", security=True)
                exact = False
                continue
            try:
                # CIDR form for policies (a bare address is its /32 or /128, as HAProxy matches it)
                cidrs = list(parse_cidr_list(v.value))
            except BadValue:
                # H-G9: one invalid entry drops the whole list: HAProxy filters nothing, nor does the Gateway
                self.finding(Severity.WARNING, "ING2GW-HAPROXY-005", v,
                             "an invalid entry makes the controller drop the whole list: no client is filtered, "
                             "and the routes filter none either", suggestion="fix the list")
                continue
            intent = ir.Intent("source-range", ir.Source(self.ing.namespace, self.ing.name, self.ing.origin, v.key),
                               ",".join(cidrs), security=True, params=(("action", action),))
            self.out.intents.append(intent)
            lists.append((v, name, action, entries, intent))
        target = self.ctx.options.target
        verdicts = [intent_verdict(target, i) for *_, i in lists]
        # The target's policy stands in for the lists only when it checks what HAProxy checked:
        # every list of the Ingress is carried (an emitter writes a route's lists together or not
        # at all), the client address is the TCP peer (src-ip-header makes HAProxy read a header,
        # H-G9), and the list is the Ingress's own (a ConfigMap list also filters every request no
        # Ingress rule routes, H-G1, which no route policy covers).
        carried = bool(lists) and exact and all(verdicts) and self.get("src-ip-header") is None \
            and all(v.source == "ingress" for v, *_ in lists)
        for (v, name, action, entries, _), verdict in zip(lists, verdicts):
            if carried:
                self.converted(v, f"{action} list {','.join(entries)} becomes {target}'s {verdict.becomes} on the "
                                  "Ingress's routes (the source-range intent)")
                continue
            self.finding(Severity.ERROR, "ING2GW-HAPROXY-006", v,
                         f"{action} list {','.join(entries)} has no Gateway API field: the routes serve every client "
                         "unless the target's policy carries the route's source-range intent", security=True,
                         suggestion=f"write your implementation's policy, or accept with --allow-weakened {name}")
        v = self.get("auth-type")
        if v is not None:
            self.out.has_rules = True
            self.finding(Severity.ERROR, "ING2GW-HAPROXY-007", v,
                         "basic authentication has no Gateway API field: the routes serve every client"
                         + _basic_auth_target(self.ctx.options.target), security=True,
                         suggestion="use your implementation's basic-auth policy, or accept with "
                                    "--allow-weakened auth-type")

    # -- H-G8 CORS (pkg/annotations/ingress/resSetCORS.go) ------------------------------------
    def cors(self) -> None:
        """cors-enable with the other cors-* keys -> the CORS filter, when each value has a filter
        form: allow-origin `*` or an anchored list of literal origins (HAProxy matches it as an
        unanchored regular expression against the Origin), methods and headers as lists, max-age
        as a Go duration. The differences the filter keeps are findings that predict them."""
        v = self.get("cors-enable")
        if v is None or not haproxy_bool(v.value.strip()):
            return
        origin = self.get("cors-allow-origin")
        origins = _cors_origins(origin.value.strip()) if origin is not None else ("*",)
        methods_v = self.get("cors-allow-methods")
        methods_text = "".join(methods_v.value.split()) if methods_v is not None else "*"
        methods = ("*",) if methods_text == "*" else tuple(m.upper() for m in methods_text.split(",") if m)
        headers_v = self.get("cors-allow-headers")
        headers_text = "".join(headers_v.value.split()) if headers_v is not None else "*"
        headers = tuple(h for h in headers_text.split(",") if h)
        age_v = self.get("cors-max-age")
        age = _go_seconds(age_v.value.strip() if age_v is not None else "5s")
        creds_v = self.get("cors-allow-credentials")
        bad: tuple[Value | None, str] | None = None
        if origins is None:
            bad = (origin, f"{origin.value.strip()!r} is matched as an unanchored regular expression against the "
                           "Origin; only * or ^(origin|origin...)$ of literal origins (dots escaped) is an allowOrigins "
                           "list, so no CORS filter is emitted" if origin else "")
        elif methods != ("*",) and not all(m in _CORS_METHODS for m in methods):
            bad = (methods_v, "names a method the controller refuses (it sends no allow-methods header); no CORS "
                              "filter is emitted")
        elif not all(_HEADER_NAME.match(h) for h in headers):
            bad = (headers_v, "names something that is not an HTTP header name, which the filter's allowHeaders cannot "
                              "hold; no CORS filter is emitted")
        elif age is None or age < 1:
            bad = (age_v, "is not a duration of at least one second (the filter's maxAge); no CORS filter is emitted")
        if bad is not None:
            where, why = bad
            self.out.has_rules = True
            self.finding(Severity.WARNING, "ING2GW-HAPROXY-026", where or v, f"CORS not converted: {why}")
            self.cors_done.add((where or v).key.split("/", 1)[-1])
            return
        assert origins is not None and age is not None
        self.out.has_rules = True
        self.cors_done.update(n for n in _CORS_KEYS)
        creds = creds_v is not None and creds_v.value == "true"
        self.out.cors = ir.Cors(allow_origins=origins, allow_methods=methods, allow_headers=headers,
                                allow_credentials=creds or None, max_age=age)
        self.converted(v, "HTTPRoute CORS filter (allowOrigins " + ", ".join(origins) + ")")
        self.ctx.finding(Severity.INFO, "ING2GW-HAPROXY-037",
                         "HAProxy put Access-Control-Allow-Methods, -Allow-Headers and -Max-Age on every answer to a "
                         "request with an allowed Origin (its own 401, 403, redirects and 503 too); the CORS filter "
                         "sends them on preflight answers only",
                         ing=self.ing, annotation=v.key, value=v.value, details={"headers": "Origin"})
        if creds and "*" in origins:
            self.ctx.finding(Severity.INFO, "ING2GW-HAPROXY-040",
                             "with cors-allow-credentials and cors-allow-origin *, HAProxy answered "
                             "Access-Control-Allow-Origin: * (which browsers refuse with credentials); the filter "
                             "echoes the request's Origin", ing=self.ing, annotation=v.key, value=v.value,
                             details={"headers": "Origin"})
        self.ctx.finding(Severity.WARNING, "ING2GW-HAPROXY-038",
                         "HAProxy passed CORS preflights (OPTIONS with an Origin) to the backend, unless "
                         "cors-respond-to-options; the Gateway's CORS filter answers them itself",
                         ing=self.ing, annotation=v.key, value=v.value, details={"headers": "Origin"})

    def others(self) -> None:
        """Every other key on the Ingress (prefixed, or bare and known) and the frontend keys of
        the ConfigMap, reported from mappings/haproxy.yaml."""
        seen: set[str] = set()
        for name, (value, key) in clean(self.ing.annotations).items():
            prefixed = key.startswith(PREFIXES)
            if name in HANDLED or (not prefixed and name not in self.table) or self._cors_key(name):
                continue
            seen.add(name)
            self._report(Value(value, key, "ingress"))
        for name, (value, key) in self.s.configmap.items():
            row = self.table.get(name)
            if name in HANDLED or name in seen or row is None or row["scope"] != "frontend" or self._cors_key(name):
                continue
            self._report(Value(value, key, "configmap"))

    def _cors_key(self, name: str) -> bool:
        """A cors-* key the CORS filter (or its finding) already covers."""
        return name in self.cors_done

    def _report(self, v: Value) -> None:
        name = v.key.split("/", 1)[1] if v.key.startswith(PREFIXES) else v.key
        row = self.table.get(name)
        if row is None:
            self.finding(Severity.INFO, "ING2GW-HAPROXY-003", v,
                         "not an annotation the controller knows: it ignores it, and so does ing2gw")
            return
        if row["scope"] == "frontend" and v.value.strip():
            self.out.has_rules = self.out.has_rules or row["key"] not in ("ingress.class",)
        if row["status"] == "ignored":
            self.finding(Severity.INFO, "ING2GW-HAPROXY-003", v, str(row.get("lossy") or "no routing effect"))
            return
        what = f"{row['status']}: {row.get('lossy') or row.get('becomes')}"
        if name == "cors-respond-to-options":
            self.out.has_rules = True
            self.finding(Severity.WARNING, "ING2GW-HAPROXY-029", v, what)
            return
        if name.startswith("cors-"):
            self.out.has_rules = True
            self.finding(Severity.WARNING, "ING2GW-HAPROXY-026", v, what)
            return
        if not row["routing"] and not row["security"]:
            self.finding(Severity.WARNING, "ING2GW-HAPROXY-027", v, what)
            return
        self.lost(v, f"{row['status']}: {row.get('lossy') or row.get('becomes')}", security=bool(row["security"]))


def read_features(ctx: BuildContext, settings: Settings, ing: Ingress, matches: set[tuple[str, str]]) -> Features:
    """The Ingress's frontend annotations as rule features (findings for what is lost).
    `matches`: the (type, value) of the Ingress's path matches (path-rewrite needs them)."""
    r = _Reader(ctx, settings, ing)
    r.access()
    r.headers()
    r.path_rewrite(matches)
    r.redirects()
    r.cors()
    r.others()
    return r.out


def report_services(ctx: BuildContext, settings: Settings, used: dict[tuple[str, str], Ingress]) -> None:
    """The annotations of the Services the served Ingresses route to (backend annotations, H-E4),
    each reported once, on the first Ingress (by namespace/name) that routes to the Service, from
    mappings/haproxy.yaml; route-acl is the maps' (H-H1). Keys with no prefix are the
    controller's too, but only those it documents are reported (a bare `app` is anyone's)."""
    for (ns, name), ing in sorted(used.items()):
        r = _Reader(ctx, settings, ing)
        for short, (value, key) in sorted(settings.services.get((ns, name), {}).items()):
            row = r.table.get(short)
            if short == "route-acl" or (not key.startswith(PREFIXES) and row is None):
                continue
            if row is not None and "service" not in row.get("sources", []):
                r.finding(Severity.INFO, "ING2GW-HAPROXY-003", Value(value, key, f"service:{ns}/{name}"),
                          "the controller does not read this annotation from a Service: no effect, nothing to convert")
                continue
            r._report(Value(value, key, f"service:{ns}/{name}"))


def report_configmap(ctx: BuildContext, settings: Settings) -> None:
    """The controller ConfigMap's global keys (and backend keys, the default of every backend),
    each reported once from mappings/haproxy.yaml: nothing of the ConfigMap is dropped without a
    word. Frontend keys are reported per Ingress (`others`); the keys the translation reads
    itself (ssl-certificate, default-backend-service) are not repeated here."""
    if settings.flags.configmap is None or settings.configmap_origin is None:
        return
    ns, name = settings.flags.configmap
    subject = f"ConfigMap {ns}/{name}"
    table = {r["key"]: r for r in mappings.table("haproxy")["annotations"]}
    done = {(f.code, f.annotation) for f in ctx.findings if f.subject == subject}
    for key, (value, _) in sorted(settings.configmap.items()):
        row = table.get(key)
        if row is None or row["scope"] not in ("global", "backend") or key in ("ssl-certificate",
                                                                               "default-backend-service"):
            continue
        lossy = str(row.get("lossy") or row.get("becomes") or "no routing effect")
        security = bool(row["security"])
        if row["status"] == "ignored" or not value.strip():
            code, severity, message = "ING2GW-HAPROXY-003", Severity.INFO, lossy
        elif not row["routing"] and not security:
            code, severity, message = "ING2GW-HAPROXY-027", Severity.WARNING, f"{row['status']}: {lossy}"
        else:
            code, severity, message = "ING2GW-HAPROXY-039", Severity.ERROR if security else Severity.WARNING, \
                f"{row['status']}: {lossy}"
            if key == "client-ca":
                # its own code: it predicts the check's probe without a client certificate
                code = "ING2GW-TARGET-071"
        if (code, key) in done:
            continue
        accepted = security and severity is Severity.ERROR and ctx.accepts_loss(key)
        ctx.findings.append(Finding(
            Severity.WARNING if accepted else severity, code, f"{key}: {message}", origin=settings.configmap_origin,
            subject=subject, annotation=key, value=value, security=security, accepted=accepted,
            suggestion=f"re-create it with your implementation's settings, or accept with --allow-weakened {key}"
            if security else None))


def _basic_auth_target(target: str | None) -> str:
    """Why the chosen target's policy does not stand in for HAProxy's basic auth either."""
    if not target:
        return ""
    from ing2gw.mappings import target_rows

    if target_rows(target)["basic-auth"].get("supported") == "none":
        return f" ({target} has no basic authentication)"
    # haproxytech's auth-secret: one key per user, its crypt(3) hash the value
    # (pkg/annotations/ingress/basicAuth.go); every target's basic auth reads one htpasswd file
    return (f" ({target} reads the users from one htpasswd file, and HAProxy's auth-secret holds one key per "
            "user with its crypt(3) hash: ing2gw cannot reference it; write an htpasswd Secret and the policy "
            "by hand)")
