"""Matching for the Gateway API router: hostnames, listener choice and rule precedence tables.

Hostnames (`reference/gateway-api.md` §3.1): a leading `*.` matches ONE OR MORE labels and never
the apex; the port of the Host header is ignored; names compare lower-case. A listener and a
route hostname intersect to the narrower of the two, and that intersection is the hostname the
route serves on that listener (hostnames.md: "Traffic ... MUST be able to be accepted for the
intersected hostname"), so it is also the hostname used for precedence.

Precedence on one listener (§3.4), in order: hostname specificity (characters of a matching
exact hostname, then of a matching hostname), Exact path, longest PathPrefix, method present,
most header matches, most query matches, oldest route, `{namespace}/{name}`, rule order.
Each `HttpTable` holds the candidates of one hostname, pre-sorted: an exact-path dict, a
prefix dict keyed by the prefix without its trailing `/` (a request path is looked up by each
of its element prefixes, longest first) and a list of RegularExpression candidates, ranked after
PathPrefix (their precedence is implementation-specific: when a regex competes with another
matching rule, the answer says so in `unmodelled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Iterator, TypeVar

from ing2gw.simulate.gateway_objects import GRPCMatch, HTTPMatch, RouteSpec, RuleSpec, ValueMatch

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Hostnames


def request_hostname(host: str | None) -> str:
    """The hostname part of a Host header or SNI, lower-case, without its port ('' if none)."""
    if not host:
        return ""
    h = host.strip()
    if h.startswith("["):  # IPv6 literal, maybe with a port
        end = h.find("]")
        return h[: end + 1].lower() if end != -1 else h.lower()
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.lower()


def is_ip(host: str) -> bool:
    """True for an IPv4 or bracketed/bare IPv6 literal (clients send no SNI for those)."""
    if host.startswith("[") or host.count(":") > 1:
        return True
    parts = host.split(".")
    return len(parts) == 4 and all(p.isascii() and p.isdigit() for p in parts)


def hostname_matches(pattern: str | None, host: str) -> bool:
    """Does a Gateway API hostname (None = any) match a request hostname?"""
    if pattern is None:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


def _within(narrow: str, wide: str) -> bool:
    """Is every name matched by `narrow` also matched by `wide` (both patterns)?"""
    if narrow == wide:
        return True
    if wide.startswith("*."):
        return narrow.endswith(wide[1:]) and len(narrow) > len(wide) - 1
    return False


def intersect_hostnames(listener: str | None, route: tuple[str, ...]) -> list[str | None]:
    """The hostnames a route serves on a listener (None = any hostname); [] when none intersect."""
    if not route:
        return [listener]
    if listener is None:
        return list(dict.fromkeys(route))
    out: list[str | None] = []
    for h in route:
        if _within(h, listener):
            out.append(h)
        elif _within(listener, h):
            out.append(listener)
    return list(dict.fromkeys(out))


def hostname_rank(pattern: str | None) -> tuple[int, int]:
    """Sort key (larger = more specific): exact > wildcard (longer suffix first) > none."""
    if pattern is None:
        return (0, 0)
    if pattern.startswith("*."):
        return (1, len(pattern))
    return (2, len(pattern))


#: entries a per-host memo keeps before it starts over (bounds memory for endless request streams)
_MEMO_LIMIT = 1 << 14


class HostIndex(Generic[T]):
    """Values keyed by hostname pattern, looked up most specific first.

    `matching(host)` remembers its answer per host (cleared by every change): the equivalence
    check sends hundreds of requests per hostname."""

    __slots__ = ("exact", "wildcards", "any", "_memo")

    def __init__(self) -> None:
        self.exact: dict[str, T] = {}
        self.wildcards: list[tuple[str, str, T]] = []   # (suffix ".x.y", pattern, value)
        self.any: T | None = None
        self._memo: dict[str, tuple[tuple[str | None, T], ...]] = {}

    def get_or_add(self, pattern: str | None, factory: type[T]) -> T:
        self._memo.clear()
        if pattern is None:
            if self.any is None:
                self.any = factory()
            return self.any
        if pattern.startswith("*."):
            for _, p, v in self.wildcards:
                if p == pattern:
                    return v
            value = factory()
            self.wildcards.append((pattern[1:], pattern, value))
            # longer suffix = more dots right of the '*' = more specific
            self.wildcards.sort(key=lambda w: (-len(w[0]), w[1]))
            return value
        if pattern not in self.exact:
            self.exact[pattern] = factory()
        return self.exact[pattern]

    def set(self, pattern: str | None, value: T) -> None:
        self._memo.clear()
        if pattern is None:
            self.any = value
        elif pattern.startswith("*."):
            self.wildcards.append((pattern[1:], pattern, value))
            self.wildcards.sort(key=lambda w: (-len(w[0]), w[1]))
        else:
            self.exact[pattern] = value

    def lookup(self, host: str) -> Iterator[tuple[str | None, T]]:
        """(pattern, value) for every pattern matching `host`, most specific first."""
        return iter(self.matching(host))

    def matching(self, host: str) -> tuple[tuple[str | None, T], ...]:
        """Like `lookup`, as a tuple remembered per host."""
        found = self._memo.get(host)
        if found is None:
            out: list[tuple[str | None, T]] = []
            v = self.exact.get(host)
            if v is not None:
                out.append((host, v))
            for suffix, pattern, value in self.wildcards:
                if host.endswith(suffix) and len(host) > len(suffix):
                    out.append((pattern, value))
            if self.any is not None:
                out.append((None, self.any))
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[host] = tuple(out)
        return found

    def best(self, host: str) -> T | None:
        """The value of the most specific pattern matching `host`, or None."""
        v = self.exact.get(host)
        if v is not None:
            return v
        for suffix, _, value in self.wildcards:
            if host.endswith(suffix) and len(host) > len(suffix):
                return value
        return self.any

    def __bool__(self) -> bool:
        return bool(self.exact or self.wildcards or self.any is not None)

    def values(self) -> Iterator[T]:
        yield from self.exact.values()
        for _, _, v in self.wildcards:
            yield v
        if self.any is not None:
            yield self.any


# ---------------------------------------------------------------------------------------------
# Requests as the matcher sees them


@dataclass(slots=True)
class RequestView:
    """The parts of a request that matching reads, normalised once per request."""

    method: str
    path: str
    headers: dict[str, str]           # lower-case name -> value (repeats joined with ",")
    repeated: frozenset[str]          # header names sent more than once
    raw_query: str | None             # the query string as sent
    grpc: tuple[str, str] | None      # (service, method) for a gRPC request
    query_params: dict[str, str] | None = None

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, name -> first value, as sent (parsed on first use: few rules
        match on them)."""
        if self.query_params is None:
            self.query_params = {}
            for part in (self.raw_query or "").split("&"):
                if part:
                    k, _, v = part.partition("=")
                    self.query_params.setdefault(k, v)
        return self.query_params


def _value_ok(m: ValueMatch, actual: str | None) -> bool:
    if actual is None:
        return False
    if m.regex is not None:
        return m.regex.fullmatch(actual) is not None
    return actual == m.value


# ---------------------------------------------------------------------------------------------
# HTTPRoute candidates


class HttpCandidate:
    """One (route, rule, match) on one hostname of one listener, with its precedence."""

    __slots__ = ("route", "rule", "match_index", "match", "method", "headers", "queries", "prec",
                 "order", "path_regex", "literal", "plan", "matched_prefix", "plain")

    def __init__(self, route: RouteSpec, rule: RuleSpec, match_index: int, match: HTTPMatch, plan: Any = None) -> None:
        self.route = route
        self.plan = plan      # the router's per-rule answer plan (opaque here)
        # the prefix ReplacePrefixMatch replaces: the match's own PathPrefix value
        self.matched_prefix = match.path.value if match.path.type == "PathPrefix" else None
        self.rule = rule
        self.match_index = match_index
        self.match = match
        self.method = match.method
        self.headers = match.headers
        self.queries = match.queries
        # no method, header or query condition: the path alone decides (most rules)
        self.plain = self.method is None and not self.headers and not self.queries
        self.path_regex = match.path.regex
        # a RegularExpression path can only match paths starting with its literal prefix: a
        # cheap test before the regex engine runs
        self.literal = regex_literal_prefix(match.path.value) if self.path_regex is not None else ""
        # method present, header count, query count: larger wins (negated to sort ascending)
        self.prec = (0 if self.method else 1, -len(self.headers), -len(self.queries))
        self.order = (self.prec, route.age, route.key, rule.index, match_index)

    def rest_matches(self, rv: RequestView) -> bool:
        """Method, headers and query parameters (the path is checked by the table)."""
        if self.method is not None and self.method != rv.method:
            return False
        for h in self.headers:
            if not _value_ok(h, rv.headers.get(h.name)):
                return False
        for q in self.queries:
            if not _value_ok(q, rv.query.get(q.name)):
                return False
        return True

    def same_rule(self, other: "HttpCandidate") -> bool:
        return self.route is other.route and self.rule is other.rule

    def path_matches(self, path: str) -> bool:
        """For RegularExpression candidates: a full match of the path."""
        return (path.startswith(self.literal) and self.path_regex is not None
                and self.path_regex.fullmatch(path) is not None)


_REGEX_META = frozenset(".^$*+?{}[]\\|()")


def regex_literal_prefix(pattern: str) -> str:
    """The characters every full match of `pattern` starts with ('' when unsure)."""
    if "|" in pattern:
        return ""  # an alternation may be at the top level: no common prefix is known
    out: list[str] = []
    i = 1 if pattern.startswith("^") else 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            lit, step = pattern[i + 1], 2      # an escaped punctuation character is literal
        elif ch in _REGEX_META:
            break
        else:
            lit, step = ch, 1
        if pattern[i + step:i + step + 1] in ("*", "?", "{"):
            break                              # optional or repeated: stop before it
        out.append(lit)
        i += step
    return "".join(out)


def prefix_key(value: str) -> str:
    """A PathPrefix value as a table key: its trailing '/' ignored ('/' itself becomes '')."""
    return value.rstrip("/")


def request_prefix_keys(path: str) -> list[str]:
    """Every prefix key that matches `path`, longest first (element-wise matching)."""
    keys = []
    if not path.endswith("/"):
        keys.append(path)
    i = path.rfind("/")
    while i >= 0:
        keys.append(path[:i])
        i = path.rfind("/", 0, i)
    return keys


@dataclass(slots=True)
class Found(Generic[T]):
    """The winning candidate of a table and what makes the choice uncertain."""

    winner: T
    unmodelled: list[str]


class HttpTable:
    """The HTTPRoute candidates of one hostname on one listener."""

    __slots__ = ("exact", "prefix", "regex", "regex_by_segments", "regex_general", "count")

    def __init__(self) -> None:
        self.exact: dict[str, list[HttpCandidate]] = {}
        self.prefix: dict[str, list[HttpCandidate]] = {}
        self.regex: list[HttpCandidate] = []
        # regex candidates by the whole path segments their literal prefix fixes ('/a/b/c' and
        # '/a/b/' -> '/a/b'): only the element prefixes of a request path can hold its candidates;
        # the others (literal '/x' or '') may match any path
        self.regex_by_segments: dict[str, list[HttpCandidate]] = {}
        self.regex_general: list[HttpCandidate] = []
        self.count = 0

    def add(self, c: HttpCandidate) -> None:
        t, v = c.match.path.type, c.match.path.value
        if t == "Exact":
            self.exact.setdefault(v, []).append(c)
        elif t == "PathPrefix":
            self.prefix.setdefault(prefix_key(v), []).append(c)
        else:
            self.regex.append(c)
        self.count += 1

    def freeze(self) -> None:
        """Sort every bucket by precedence (call once, after the last add)."""
        for bucket in list(self.exact.values()) + list(self.prefix.values()):
            bucket.sort(key=lambda c: c.order)
        # regex candidates: longer pattern first, then the usual criteria (implementation-specific)
        self.regex.sort(key=lambda c: (-len(c.match.path.value), c.order))
        for c in self.regex:
            i = c.literal.rfind("/") if c.literal.startswith("/") else -1
            if i > 0:
                self.regex_by_segments.setdefault(c.literal[:i], []).append(c)
            else:
                self.regex_general.append(c)

    def _regex_matches(self, rv: RequestView) -> list[HttpCandidate]:
        """Regex candidates matching the request, in precedence order."""
        path = rv.path
        pool = [c for c in self.regex_general if c.path_matches(path)]
        buckets = 1 if pool else 0
        by_segments = self.regex_by_segments
        if by_segments:
            end = path.find("/", 1)
            while end > 0:
                bucket = by_segments.get(path[:end])
                if bucket is not None:
                    found = [c for c in bucket if c.path_matches(path)]
                    if found:
                        pool += found
                        buckets += 1
                end = path.find("/", end + 1)
        if buckets > 1:
            # each bucket is in precedence order (a sublist of `regex`); their union is sorted again
            pool.sort(key=lambda c: (-len(c.match.path.value), c.order))
        return [c for c in pool if c.rest_matches(rv)]

    def find(self, rv: RequestView, passed: frozenset[int] = frozenset()) -> Found[HttpCandidate] | None:
        """The highest-precedence candidate matching `rv`, or None; candidates of the rules in
        `passed` (by id of their RuleSpec: rules whose implementation-specific conditions the
        request did not meet) are left out."""
        if passed:
            return self._find_after(rv, passed)
        winner: HttpCandidate | None = None
        bucket: list[HttpCandidate] | None = None
        at = 0
        path = rv.path
        b = self.exact.get(path)
        if b is not None:
            for i, c in enumerate(b):
                if c.plain or c.rest_matches(rv):
                    winner, bucket, at = c, b, i
                    break
        prefix = self.prefix
        if winner is None and prefix:
            # the element prefixes of the path, longest first (request_prefix_keys, lazily)
            end = len(path)
            b = prefix.get(path) if not path.endswith("/") else None
            while True:
                if b is not None:
                    for i, c in enumerate(b):
                        if c.plain or c.rest_matches(rv):
                            winner, bucket, at = c, b, i
                            break
                    if winner is not None:
                        break
                end = path.rfind("/", 0, end)
                if end < 0:
                    break
                b = prefix.get(path[:end])
        notes: list[str] = []
        regex_hits = self._regex_matches(rv) if self.regex else ()
        if winner is None:
            if not regex_hits:
                return None
            winner = regex_hits[0]
        if regex_hits:
            for c in regex_hits:
                if c is winner or c.same_rule(winner):
                    continue
                notes.append(f"{c.route.label()} rule {c.rule.label()} (RegularExpression "
                             f"{c.match.path.value!r}) also matches; the precedence of RegularExpression "
                             "path matches is implementation-specific (modelled: Exact, then PathPrefix, "
                             "then RegularExpression)")
                break
        if bucket is not None and winner.route.age[0] == 1:
            tie = _creation_tie(bucket, at, winner, rv)
            if tie:
                notes.append(tie)
        return Found(winner, notes)


    def _find_after(self, rv: RequestView, passed: frozenset[int]) -> Found[HttpCandidate] | None:
        """`find` without the candidates of the `passed` rules (the rare path: kept apart so the
        usual lookup stays as it is)."""
        path = rv.path

        def ok(c: HttpCandidate) -> bool:
            return id(c.rule) not in passed and (c.plain or c.rest_matches(rv))

        for c in self.exact.get(path, ()):
            if ok(c):
                return Found(c, [])
        for key in request_prefix_keys(path):
            for c in self.prefix.get(key, ()):
                if ok(c):
                    return Found(c, [])
        for c in self._regex_matches(rv) if self.regex else ():
            if id(c.rule) not in passed:
                return Found(c, [])
        return None


def _creation_tie(bucket: list[HttpCandidate], at: int, winner: HttpCandidate, rv: RequestView) -> str | None:
    """A note when the winner beat another route only by name because neither has a
    creationTimestamp: in a cluster the route created first wins."""
    if winner.route.age[0] != 1:
        return None
    for c in bucket[at + 1:]:
        if c.prec != winner.prec:
            break
        if c.route is not winner.route and c.route.age[0] == 1 and c.rest_matches(rv):
            return (f"{winner.route.label()} and {c.route.label()} match with equal precedence and neither has "
                    "a creationTimestamp: modelled by namespace/name, but the route created first wins")
    return None


# ---------------------------------------------------------------------------------------------
# GRPCRoute candidates


class GrpcCandidate:
    """One (GRPCRoute, rule, match) on one hostname of one listener."""

    __slots__ = ("route", "rule", "match_index", "match", "order", "plan")

    def __init__(self, route: RouteSpec, rule: RuleSpec, match_index: int, match: GRPCMatch, plan: Any = None) -> None:
        self.route = route
        self.plan = plan
        self.rule = rule
        self.match_index = match_index
        self.match = match
        # characters of the matching service, then of the method, then header count
        self.order = ((-len(match.service or ""), -len(match.method or ""), -len(match.headers)),
                      route.age, route.key, rule.index, match_index)

    def matches(self, rv: RequestView) -> bool:
        if rv.grpc is None:
            return False
        service, method = rv.grpc
        m = self.match
        if m.type == "RegularExpression":
            if m.service_re is not None and not m.service_re.fullmatch(service):
                return False
            if m.method_re is not None and not m.method_re.fullmatch(method):
                return False
        else:
            if m.service and m.service != service:
                return False
            if m.method and m.method != method:
                return False
        for h in m.headers:
            if not _value_ok(h, rv.headers.get(h.name)):
                return False
        return True


class GrpcTable:
    """The GRPCRoute candidates of one hostname on one listener (scanned in precedence order)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[GrpcCandidate] = []

    def add(self, c: GrpcCandidate) -> None:
        self.items.append(c)

    def freeze(self) -> None:
        self.items.sort(key=lambda c: c.order)

    def find(self, rv: RequestView) -> Found[GrpcCandidate] | None:
        for c in self.items:
            if c.matches(rv):
                return Found(c, [])
        return None


class TlsTable:
    """The TLSRoutes of one SNI hostname on one listener, oldest first."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[RouteSpec] = []

    def add(self, route: RouteSpec) -> None:
        if route not in self.items:
            self.items.append(route)

    def freeze(self) -> None:
        self.items.sort(key=lambda r: (r.age, r.key))
