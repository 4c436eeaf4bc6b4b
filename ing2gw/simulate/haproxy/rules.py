"""The frontend rules the controller writes for annotations (haproxy-semantics.md G, H-C6).

Each class holds the fields of the controller's rule (they decide the rule id, `ruleid.py`)
plus what the router needs to evaluate it (parsed networks, credentials, regexes). Rules are
built mutable because the controller fills some fields after adding the rule to its list (the
ssl-redirect port and code, the rate-limit table); `freeze` computes the id once processing of
an Ingress is over, as the controller does when it adds the list to the frontends.

Evaluation order is by type, then by insertion (`pkg/haproxy/rules/types.go`): the routing
variables are REQ_SET_VAR rules written first, so every annotation sees the original host and
path, and path-rewrite or set-host never re-route (H-C6).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Mapping, Union

from ing2gw.simulate.haproxy.ruleid import GoStruct, rule_id

# rule types, in evaluation order (pkg/haproxy/rules/types.go)
REQ_SET_VAR = 3
REQ_SET_SRC = 4
REQ_DENY = 5
REQ_TRACK = 6
REQ_AUTH = 7
REQ_RATELIMIT = 8
REQ_CAPTURE = 9
REQ_REDIRECT = 10
REQ_FORWARDED_PROTO = 11
REQ_SET_HEADER = 12
REQ_PATH_REWRITE = 14
REQ_RETURN_STATUS = 15
RES_SET_HEADER = 16

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


@dataclass(eq=False)
class _Rule:
    """Common part: the id, set by `freeze`."""

    id: str = field(default="", init=False)

    rule_type = 0
    kind = ""

    def struct(self) -> GoStruct:  # pragma: no cover - every rule overrides it
        raise NotImplementedError

    def freeze(self) -> None:
        """Compute the rule id from the fields as they are now."""
        self.id = rule_id(self.struct(), self.rule_type)


@dataclass(eq=False)
class SetVar(_Rule):
    """`http-request set-var(<scope>.<name>) <expression>`: only CORS stores the Origin."""

    name: str = ""
    scope: str = "txn"
    expression: str = ""
    cond_test: str = ""
    rule_type = REQ_SET_VAR
    kind = "set-var"

    def struct(self) -> GoStruct:
        return GoStruct(("Name", self.name), ("Scope", self.scope), ("Expression", self.expression),
                        ("CondTest", self.cond_test))


@dataclass(eq=False)
class SetSrc(_Rule):
    """src-ip-header: `http-request set-src hdr(<name>)`."""

    header: str = ""
    rule_type = REQ_SET_SRC
    kind = "set-src"

    def struct(self) -> GoStruct:
        return GoStruct(("HeaderName", self.header))


@dataclass(eq=False)
class Deny(_Rule):
    """allow-list / deny-list: `http-request deny deny_status 403 if [!]{ src -f <file> }`.

    `networks` is the content of the file, None when it is a pattern file the input does not
    carry (the answer then depends on something not modelled).
    """

    src_map: str = ""
    allow: bool = False
    networks: tuple[Network, ...] | None = None
    listed: str = ""
    rule_type = REQ_DENY

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "allow-list" if self.allow else "deny-list"

    def struct(self) -> GoStruct:
        return GoStruct(("SrcIPsMap", self.src_map), ("AllowList", self.allow))


@dataclass(eq=False)
class Track(_Rule):
    """rate limiting, first half: `http-request track-sc0 src table <table>`."""

    table: str = ""
    period_ms: int | None = None
    size: int | None = None
    key: str = "src"
    rule_type = REQ_TRACK
    kind = "track"

    def struct(self) -> GoStruct:
        return GoStruct(("TableName", self.table), ("TablePeriod", self.period_ms), ("TableSize", self.size),
                        ("TrackKey", self.key))


@dataclass(eq=False)
class BasicAuth(_Rule):
    """auth-type basic-auth: `http-request auth realm <realm> if !{ http_auth_group(<group>) ... }`.

    `credentials` maps users to crypt(3) hashes; None when the Secret is unknown to the input
    (then credentials cannot be checked), empty when the Secret is missing (every request 401).
    """

    credentials: Mapping[str, bytes] | None = None
    group: str = ""
    realm: str = ""
    known: bool = True
    #: `namespace/name` of the credentials Secret, unless it is missing: the check's valid
    #: credentials name it (simulate.oracle)
    secret: str | None = None
    rule_type = REQ_AUTH
    kind = "basic-auth"

    def struct(self) -> GoStruct:
        return GoStruct(("Credentials", dict(self.credentials) if self.credentials is not None else None),
                        ("AuthGroup", self.group), ("AuthRealm", self.realm))


@dataclass(eq=False)
class RateLimit(_Rule):
    """rate limiting, second half: `http-request deny deny_status <code> if { sc0_http_req_rate(<table>)
    gt <limit> } [!{ src <ips> }] [!{ src -f <file> }]` (not written when the limit is 0)."""

    table: str = ""
    limit: int = 0
    status: int = 0
    whitelist_ips: list[str] | None = None
    whitelist_maps: list[str] | None = None
    whitelist: tuple[Network, ...] = ()
    whitelist_unknown: tuple[str, ...] = ()
    rule_type = REQ_RATELIMIT
    kind = "rate-limit"

    def struct(self) -> GoStruct:
        return GoStruct(("TableName", self.table), ("ReqsLimit", self.limit), ("DenyStatusCode", self.status),
                        ("WhitelistIPs", self.whitelist_ips), ("WhitelistMaps", self.whitelist_maps))


@dataclass(eq=False)
class Capture(_Rule):
    """request-capture: logging only."""

    expression: str = ""
    length: int = 0
    rule_type = REQ_CAPTURE
    kind = "capture"

    def struct(self) -> GoStruct:
        return GoStruct(("Expression", self.expression), ("CaptureLen", self.length))


@dataclass(eq=False)
class Redirect(_Rule):
    """ssl-redirect (`ssl_redirect`, http frontend only) and request-redirect (both frontends)."""

    host: str = ""
    code: int = 0
    port: int = 0
    ssl_request: bool = False
    ssl_redirect: bool = False
    rule_type = REQ_REDIRECT

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "ssl-redirect" if self.ssl_redirect else "request-redirect"

    def struct(self) -> GoStruct:
        return GoStruct(("Host", self.host), ("RedirectCode", self.code), ("RedirectPort", self.port),
                        ("SSLRequest", self.ssl_request), ("SSLRedirect", self.ssl_redirect))


@dataclass(eq=False)
class SetHeader(_Rule):
    """set-host, request-set-header, response-set-header and the CORS headers.

    `response`: an `http-response` rule (backend answers only); `after_response`: an
    `http-after-response` rule (every answer, HAProxy's own included). `cors_origins` is the
    CORS condition: None without one, () for `{ var(txn.cors_origin) -m found }`, else the
    `-m reg` patterns.
    """

    name: str = ""
    fmt: str = ""
    cond_test: str = ""
    cond: str = ""
    response: bool = False
    after_response: bool = False
    cors_origins: tuple[str, ...] | None = None

    @property
    def rule_type(self) -> int:  # type: ignore[override]
        return RES_SET_HEADER if self.response else REQ_SET_HEADER

    @property
    def kind(self) -> str:  # type: ignore[override]
        if self.after_response:
            return "cors-header"
        return "response-set-header" if self.response else "set-header"

    def struct(self) -> GoStruct:
        return GoStruct(("HdrName", self.name), ("HdrFormat", self.fmt), ("CondTest", self.cond_test),
                        ("Cond", self.cond), ("Type", 0), ("Response", self.response),
                        ("AfterResponse", self.after_response), ("ForwardedProto", False))


@dataclass(eq=False)
class PathRewrite(_Rule):
    """path-rewrite: `http-request replace-path <match> <fmt>`."""

    match: str = ""
    fmt: str = ""
    rule_type = REQ_PATH_REWRITE
    kind = "path-rewrite"

    def struct(self) -> GoStruct:
        return GoStruct(("PathMatch", self.match), ("PathFmt", self.fmt))


@dataclass(eq=False)
class ReturnStatus(_Rule):
    """cors-respond-to-options: `http-request return status 204 if <guard> METH_OPTIONS`."""

    status: int = 204
    rule_type = REQ_RETURN_STATUS
    kind = "cors-respond-to-options"

    def struct(self) -> GoStruct:
        return GoStruct(("StatusCode", self.status))


Rule = Union[SetVar, SetSrc, Deny, Track, BasicAuth, RateLimit, Capture, Redirect, SetHeader, PathRewrite,
             ReturnStatus]
