"""Traefik router rules: parser and matchers (pkg/rules, pkg/muxer/http).

A rule is a Go expression (Traefik parses it with go/parser through vulcand/predicate): calls
of matchers with string literals ("..." with Go escapes, or `raw`), combined with `&&`, `||`,
`!` and parentheses, `||` binding loosest. Matcher names are accepted as written in the docs,
in lower case, in upper case and in title case (`PathPrefix`, `pathprefix`, `PATHPREFIX`,
`Pathprefix`). `!` is pushed down to the matchers (De Morgan), as Traefik does.

Two syntaxes exist (core.defaultRuleSyntax, a router's `ruleSyntax`/`syntax`):

* v3 (default): Host, HostRegexp, Path, PathPrefix, PathRegexp, Header, HeaderRegexp, Method,
  Query, QueryRegexp, ClientIP, each with a fixed number of arguments;
* v2 (deprecated, the only one of Traefik v2): Host/HostHeader, HostRegexp (gorilla/mux
  templates), Path, PathPrefix (templates), Method, Headers, HeadersRegexp, Query, ClientIP, with
  any number of arguments (OR-ed).

What a matcher sees (`MatchInput`): the canonical host (Host header, port stripped, trimmed,
lower case), the routing path (the escaped path with every %XX decoded except reserved
characters, pkg/muxer/http/mux.go), the method, the request headers by canonical name, the
decoded query and the client address. The rule text and `len(rule)` (the default priority) are
kept by the caller.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Union

from ing2gw.simulate.traefik.goregex import GoRegexError, compile_go
from ing2gw.simulate.traefik.gourl import parse_query


class RuleError(ValueError):
    """A rule Traefik refuses to parse or build (the router is not created)."""


class Undecided(Exception):
    """Raised inside a matcher that needs a fact the request does not carry (client address)."""


# --------------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True, slots=True)
class Call:
    """One matcher call; `negated` after pushing `!` down."""

    name: str
    args: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Or:
    left: "Node"
    right: "Node"


Node = Union[Call, And, Or]

V3_MATCHERS: dict[str, tuple[int, ...]] = {
    "ClientIP": (1,), "Method": (1,), "Host": (1,), "HostRegexp": (1,), "Path": (1,), "PathRegexp": (1,),
    "PathPrefix": (1,), "Header": (2,), "HeaderRegexp": (2,), "Query": (1, 2), "QueryRegexp": (1, 2),
}
V2_MATCHERS: tuple[str, ...] = ("Host", "HostHeader", "HostRegexp", "ClientIP", "Path", "PathPrefix", "Method",
                                "Headers", "HeadersRegexp", "Query")


def _variants(names: Iterable[str]) -> dict[str, str]:
    """rules.NewParser: each name, lower, upper and title case (of the lower-cased name)."""
    out: dict[str, str] = {}
    for n in names:
        for v in (n, n.lower(), n.upper(), n.lower().capitalize()):
            out[v] = n
    return out


_NAMES = {"v3": _variants(V3_MATCHERS), "v2": _variants(V2_MATCHERS)}


def invert(node: Node) -> Node:
    """rules `invert`: De Morgan down to the matchers."""
    if isinstance(node, And):
        return Or(invert(node.left), invert(node.right))
    if isinstance(node, Or):
        return And(invert(node.left), invert(node.right))
    return Call(node.name, node.args, not node.negated)


# --------------------------------------------------------------------------------------------
# Tokens (the part of Go's scanner a rule can use)

_IDENT = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*|\.[0-9][0-9A-Za-z_]*")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # ident, string, char, number, op, eof
    text: str
    pos: int
    value: str = ""


def _unquote(lit: str, pos: int) -> str:
    """strconv.Unquote of a double-quoted Go string literal."""
    body = lit[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise RuleError(f"invalid escape in string literal at offset {pos}")
        e = body[i + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2:i + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise RuleError(f"invalid escape \\{e} in string literal at offset {pos}")
            value = int(digits, 16)
            if e == "x":
                out.append(bytes([value]).decode("utf-8", "surrogateescape"))
            else:
                if value > 0x10FFFF or 0xD800 <= value < 0xE000:
                    raise RuleError(f"invalid Unicode escape in string literal at offset {pos}")
                out.append(chr(value))
            i += 2 + width
        elif e in "01234567":
            digits = body[i + 1:i + 4]
            if len(digits) != 3 or not all(d in "01234567" for d in digits) or int(digits, 8) > 255:
                raise RuleError(f"invalid octal escape in string literal at offset {pos}")
            out.append(bytes([int(digits, 8)]).decode("utf-8", "surrogateescape"))
            i += 4
        else:
            raise RuleError(f"unknown escape sequence \\{e} in string literal at offset {pos}")
    # a Go string holds bytes: \x escapes may build multi-byte UTF-8 sequences
    joined = "".join(out)
    try:
        return joined.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    except UnicodeError:  # pragma: no cover - surrogateescape round-trips
        return joined


def _tokens(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "\n":
            # Go's automatic semicolon: a newline after an operand ends the expression
            if toks and (toks[-1].kind in ("ident", "string", "char", "number") or toks[-1].text == ")"):
                rest = src[i:].strip()
                if rest:
                    raise RuleError(f"expected end of rule, found {rest.split()[0]!r} after a line break "
                                    f"(offset {i}); break lines after && or ||")
            i += 1
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                raise RuleError(f"comment not terminated (offset {i})")
            i = end + 2
            continue
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                if src[j] == "\n":
                    raise RuleError(f"string literal not terminated (offset {i})")
                j += 2 if src[j] == "\\" else 1
            if j >= n:
                raise RuleError(f"string literal not terminated (offset {i})")
            lit = src[i:j + 1]
            toks.append(_Tok("string", lit, i, _unquote(lit, i)))
            i = j + 1
            continue
        if c == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise RuleError(f"raw string literal not terminated (offset {i})")
            toks.append(_Tok("string", src[i:j + 1], i, src[i + 1:j].replace("\r", "")))
            i = j + 1
            continue
        if c == "'":
            j = src.find("'", i + 1)
            toks.append(_Tok("char", src[i:j + 1 if j > 0 else n], i))
            i = j + 1 if j > 0 else n
            continue
        if src.startswith(("&&", "||", "==", "<=", ">="), i):
            toks.append(_Tok("op", src[i:i + 2], i))
            i += 2
            continue
        if c in "(),!":
            if c == "!" and src.startswith("!=", i):
                toks.append(_Tok("op", "!=", i))
                i += 2
                continue
            toks.append(_Tok("op", c, i))
            i += 1
            continue
        m = _IDENT.match(src, i)
        if m:
            toks.append(_Tok("ident", m.group(0), i))
            i = m.end()
            continue
        m = _NUMBER.match(src, i)
        if m:
            toks.append(_Tok("number", m.group(0), i))
            i = m.end()
            continue
        toks.append(_Tok("op", c, i))
        i += 1
    toks.append(_Tok("eof", "", n))
    return toks


class _Parser:
    def __init__(self, src: str, syntax: str) -> None:
        self.toks = _tokens(src)
        self.i = 0
        self.names = _NAMES["v2" if syntax == "v2" else "v3"]
        self.syntax = "v2" if syntax == "v2" else "v3"

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        t = self.take()
        if t.text != text or t.kind != "op":
            found = t.text or "end of rule"
            raise RuleError(f"expected {text!r}, found {found!r} (offset {t.pos})")

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise RuleError("empty rule")
        node = self.expr()
        t = self.peek()
        if t.kind != "eof":
            if t.kind == "op" and t.text in ("==", "!=", "<", ">", "<=", ">=", "&", "|", "+", "-", "=", "."):
                raise RuleError(f"operator {t.text!r} is not supported (offset {t.pos}); use && || !")
            raise RuleError(f"expected end of rule, found {t.text!r} (offset {t.pos})")
        return node

    def expr(self) -> Node:
        left = self.conj()
        while self.peek().text == "||" and self.peek().kind == "op":
            self.take()
            left = Or(left, self.conj())
        return left

    def conj(self) -> Node:
        left = self.unary()
        while self.peek().text == "&&" and self.peek().kind == "op":
            self.take()
            left = And(left, self.unary())
        return left

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "op" and t.text == "!":
            self.take()
            return invert(self.unary())
        return self.primary()

    def primary(self) -> Node:
        t = self.take()
        if t.kind == "op" and t.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if t.kind == "ident":
            if not (self.peek().kind == "op" and self.peek().text == "("):
                raise RuleError(f"{t.text!r} is not a matcher call (offset {t.pos}); write {t.text}(`value`)")
            self.take()
            args: list[str] = []
            while not (self.peek().kind == "op" and self.peek().text == ")"):
                a = self.take()
                if a.kind == "string":
                    args.append(a.value)
                elif a.kind in ("number", "char"):
                    raise RuleError(f"argument {a.text} of {t.text} must be a string in quotes or backticks "
                                    f"(offset {a.pos})")
                elif a.kind == "eof":
                    raise RuleError(f"missing ')' after the arguments of {t.text} (offset {a.pos})")
                else:
                    raise RuleError(f"expected a string argument of {t.text}, found {a.text!r} (offset {a.pos})")
                if self.peek().kind == "op" and self.peek().text == ",":
                    self.take()
                elif not (self.peek().kind == "op" and self.peek().text == ")"):
                    b = self.peek()
                    raise RuleError(f"expected ',' or ')' in the arguments of {t.text}, found "
                                    f"{b.text or 'end of rule'!r} (offset {b.pos})")
            self.take()
            canonical = self.names.get(t.text)
            if canonical is None:
                known = ", ".join(V3_MATCHERS if self.syntax == "v3" else V2_MATCHERS)
                hint = ""
                if self.syntax == "v3" and t.text.lower() in ("headers", "headersregexp", "hostheader"):
                    hint = " (a v2 matcher: v3 has Header/HeaderRegexp/Host)"
                raise RuleError(f"unsupported matcher {t.text!r} in {self.syntax} syntax{hint}; known: {known}")
            if not args:
                raise RuleError(f"no args for matcher {canonical}")
            if any(a == "" for a in args):
                raise RuleError(f"empty args for matcher {canonical}, {list(args)}")
            if self.syntax == "v3":
                arity = V3_MATCHERS[canonical]
                if len(args) not in arity:
                    raise RuleError(f"unexpected number of parameters for {canonical}; got {len(args)}, "
                                    f"expected one of {list(arity)}")
            return Call(canonical, tuple(args))
        if t.kind == "eof":
            raise RuleError("unexpected end of rule")
        if t.kind == "string":
            raise RuleError(f"a string {t.text} must be the argument of a matcher (offset {t.pos})")
        raise RuleError(f"unexpected {t.text!r} (offset {t.pos})")


def parse(rule: str, syntax: str = "v3") -> Node:
    """The syntax tree of `rule` (RuleError when Traefik would refuse it)."""
    return _Parser(rule, syntax).parse()


# --------------------------------------------------------------------------------------------
# What matchers look at


@lru_cache(maxsize=8192)
def canonical_header_key(name: str) -> str:
    """net/textproto CanonicalMIMEHeaderKey (a name with a byte outside a token is left as is)."""
    if not name or any(not (c.isascii() and (c.isalnum() or c in "!#$%&'*+-.^_`|~")) for c in name):
        return name
    out = []
    upper = True
    for c in name:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


@dataclass(slots=True)
class MatchInput:
    """One request as the muxer sees it."""

    host: str
    raw_host: str
    path: str
    method: str
    headers: dict[str, list[str]]
    raw_query: str
    client_ip: str | None
    undecided: list[str] = field(default_factory=list)
    _query: dict[str, list[str]] | None = None

    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = parse_query(self.raw_query)
        return self._query


Matcher = Callable[[MatchInput], bool]


def _ip_checker(values: Iterable[str], what: str) -> Callable[[str], bool]:
    """pkg/ip Checker: IPs and CIDRs (RuleError for a value that is neither)."""
    nets = []
    for v in values:
        v = v.strip()
        try:
            nets.append(ipaddress.ip_network(v, strict=False) if "/" in v else
                        ipaddress.ip_network(ipaddress.ip_address(v)))
        except ValueError:
            raise RuleError(f"{what}: {v!r} is neither an IP address nor a CIDR") from None

    def contains(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr.strip().split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in n for n in nets)

    return contains


def domain_match(domain: str, expr: str) -> bool:
    """pkg/muxer DomainMatchHostExpression: `*.x` replaces exactly the first label."""
    if expr.startswith("*"):
        labels = domain.split(".")
        labels[0] = "*"
        return ".".join(labels).lower() == expr.lower()
    return domain.lower() == expr.lower()


def _host_v3(expr: str) -> Matcher:
    if expr == "*":
        return lambda r: True
    if not expr.isascii():
        raise RuleError(f"invalid value {expr!r} for Host matcher, non-ASCII characters are not allowed")
    e = expr.lower()
    e_nodot = e[:-1] if e.endswith(".") else None
    wild = e.startswith("*")

    def match(r: MatchInput) -> bool:
        h = r.host
        if not h:
            return False
        if not wild:
            if h == e or (e_nodot is not None and h == e_nodot) or (h.endswith(".") and h[:-1] == e):
                return True
            return False
        if domain_match(h, e) or (e_nodot is not None and domain_match(h, e_nodot)):
            return True
        return h.endswith(".") and domain_match(h[:-1], e)

    return match


def _client_ip(values: Iterable[str], label: str) -> Matcher:
    contains = _ip_checker(values, label)

    def match(r: MatchInput) -> bool:
        if r.client_ip is None:
            r.undecided.append(f"{label}: the client address is not given")
            raise Undecided(label)
        return contains(r.client_ip)

    return match


def _regex(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return compile_go(pattern)
    except GoRegexError as exc:
        if exc.kind == "unsupported":
            raise RuleError(f"{what}: {exc} (the simulator cannot evaluate this Go regexp)") from None
        raise RuleError(f"{what}: {exc}") from None


def _v3(call: Call) -> Matcher:
    name, a = call.name, call.args
    if name == "Host":
        return _host_v3(a[0])
    if name == "HostRegexp":
        if not a[0].isascii():
            raise RuleError(f"invalid value {a[0]!r} for HostRegexp matcher, non-ASCII characters are not allowed")
        rx = _regex(a[0], "compiling HostRegexp matcher")
        return lambda r: rx.search(r.host) is not None
    if name in ("Path", "PathPrefix"):
        p = a[0]
        if not p.startswith("/"):
            raise RuleError(f"path {p!r} does not start with a '/'")
        if name == "Path":
            return lambda r: r.path == p
        return lambda r: r.path.startswith(p)
    if name == "PathRegexp":
        rx = _regex(a[0], "compiling PathRegexp matcher")
        return lambda r: rx.search(r.path) is not None
    if name == "Method":
        m = a[0].upper()
        return lambda r: r.method == m
    if name == "Header":
        key, value = canonical_header_key(a[0]), a[1]
        return lambda r: value in r.headers.get(key, ())
    if name == "HeaderRegexp":
        key = canonical_header_key(a[0])
        rx = _regex(a[1], "compiling HeaderRegexp matcher")
        return lambda r: any(rx.search(v) for v in r.headers.get(key, ()))
    if name == "Query" or (name == "QueryRegexp" and len(a) == 1):
        key, value = a[0], (a[1] if len(a) == 2 else "")
        return lambda r: value in r.query().get(key, ())
    if name == "QueryRegexp":
        key = a[0]
        rx = _regex(a[1], "compiling QueryRegexp matcher")
        return lambda r: any(rx.search(v) for v in r.query().get(key, ()))
    if name == "ClientIP":
        return _client_ip(a, f"ClientIP({a[0]})")
    raise RuleError(f"unsupported matcher {name}")  # pragma: no cover - parse() rejects it


# gorilla/mux templates (v2 syntax), as Traefik's fork compiles them


def _template(tpl: str, default: str, prefix: bool, query: bool = False) -> re.Pattern[str]:
    """mux newRouteRegexp: literal parts quoted, {name} / {name:pattern} as groups."""
    idxs: list[int] = []
    level = start = 0
    for i, c in enumerate(tpl):
        if c == "{":
            level += 1
            if level == 1:
                start = i
        elif c == "}":
            level -= 1
            if level == 0:
                idxs += [start, i + 1]
            elif level < 0:
                raise RuleError(f"mux: unbalanced braces in {tpl!r}")
    if level != 0:
        raise RuleError(f"mux: unbalanced braces in {tpl!r}")
    out = ["^"]
    end = 0
    for k in range(0, len(idxs), 2):
        raw = tpl[end:idxs[k]]
        end = idxs[k + 1]
        name, sep, patt = tpl[idxs[k] + 1:end - 1].partition(":")
        patt = patt if sep else default
        if not name or not patt:
            raise RuleError(f"mux: missing name or pattern in {tpl[idxs[k]:end]!r}")
        try:
            out.append(re.escape(raw) + "(?:" + compile_go(patt).pattern + ")")
        except GoRegexError as exc:
            raise RuleError(f"mux: {exc}") from None
    raw = tpl[end:]
    out.append(re.escape(raw))
    if query and tpl.partition("=")[2] == "":
        out.append(".*")
    if not prefix:
        out.append("\\Z")
    try:
        return re.compile("".join(out), re.ASCII)
    except re.error as exc:
        raise RuleError(f"mux: {exc.msg} in {tpl!r}") from None


def _v2(call: Call) -> Matcher:
    name, a = call.name, call.args
    if name in ("Host", "HostHeader"):
        for h in a:
            if not h.isascii():
                raise RuleError(f'invalid value {h!r} for "Host" matcher, non-ASCII characters are not allowed')
        hosts = [h.lower() for h in a]

        def host(r: MatchInput) -> bool:
            h = r.host
            if not h:
                return False
            for e in hosts:
                if h == e or (e.endswith(".") and h == e[:-1]) or (h.endswith(".") and h[:-1] == e):
                    return True
            return False

        return host
    if name == "HostRegexp":
        rxs = []
        for h in a:
            if not h.isascii():
                raise RuleError(f"invalid value {h!r} for HostRegexp matcher, non-ASCII characters are not allowed")
            rxs.append(_template(h, "[^.]+", prefix=False))

        def host_rx(r: MatchInput) -> bool:
            h = r.raw_host.split(":", 1)[0].lower()
            return any(rx.match(h) for rx in rxs)

        return host_rx
    if name in ("Path", "PathPrefix"):
        rxs = []
        for p in a:
            if not p.startswith("/"):
                raise RuleError(f"mux: path must start with a slash, got {p!r}")
            rxs.append(_template(p, "[^/]+", prefix=name == "PathPrefix"))
        return lambda r: any(rx.match(r.path) for rx in rxs)
    if name == "Method":
        methods = [m.upper() for m in a]
        return lambda r: r.method in methods
    if name in ("Headers", "HeadersRegexp"):
        if len(a) % 2:
            raise RuleError(f"mux: number of parameters must be multiple of 2, got {list(a)}")
        pairs: dict[str, str] = {}
        for k in range(0, len(a), 2):
            pairs[canonical_header_key(a[k])] = a[k + 1]
        if name == "Headers":
            def headers(r: MatchInput) -> bool:
                for k, v in pairs.items():
                    values = r.headers.get(k)
                    if values is None or (v != "" and v not in values):
                        return False
                return True
            return headers
        rx_pairs = [(k, _regex(v, "mux HeadersRegexp")) for k, v in pairs.items()]
        return lambda r: all(k in r.headers and any(rx.search(v) for v in r.headers[k]) for k, rx in rx_pairs)
    if name == "Query":
        flat: list[str] = []
        for q in a:
            flat.extend(q.split("=", 1))
        if len(flat) % 2:
            raise RuleError(f"mux: number of parameters must be multiple of 2, got {flat}")
        templates = [(flat[k], _template(f"{flat[k]}={flat[k + 1]}", ".*", prefix=False, query=True))
                     for k in range(0, len(flat), 2)]

        def query(r: MatchInput) -> bool:
            q = r.query()
            for key, rx in templates:
                vals = q.get(key)
                if not vals or not rx.match(f"{key}={vals[0]}"):
                    return False
            return True

        return query
    if name == "ClientIP":
        return _client_ip(a, f"ClientIP({', '.join(a)})")
    raise RuleError(f"unsupported matcher {name}")  # pragma: no cover - parse() rejects it


def compile_node(node: Node, syntax: str = "v3") -> Matcher:
    """A function deciding whether a request matches `node` (RuleError if a matcher cannot be
    built: bad regexp, path without '/', bad IP). A matcher that needs a fact the request does
    not carry raises Undecided."""
    if isinstance(node, And):
        left, right = compile_node(node.left, syntax), compile_node(node.right, syntax)
        return lambda r: left(r) and right(r)
    if isinstance(node, Or):
        left, right = compile_node(node.left, syntax), compile_node(node.right, syntax)
        return lambda r: left(r) or right(r)
    base = _v2(node) if syntax == "v2" else _v3(node)
    if node.negated:
        return lambda r: not base(r)
    return base


# --------------------------------------------------------------------------------------------
# Facts about a rule the router uses for indexing and TLS


def _host_key(h: str) -> str:
    return h.lower().rstrip(".")


def required_hosts(node: Node, syntax: str = "v3") -> frozenset[str] | None:
    """Host keys (lower case, trailing dots removed; `*.x` for a wildcard) one of which the
    request's host must have for `node` to match, or None when any host might match. Only a
    necessary condition: the matcher still decides."""
    if isinstance(node, And):
        left, right = required_hosts(node.left, syntax), required_hosts(node.right, syntax)
        if left is None:
            return right
        if right is None:
            return left
        return left if len(left) <= len(right) else right
    if isinstance(node, Or):
        left, right = required_hosts(node.left, syntax), required_hosts(node.right, syntax)
        return None if left is None or right is None else left | right
    if node.negated:
        return None
    if node.name == "Host" and syntax != "v2":
        if node.args[0] == "*":
            return None
        return frozenset({_host_key(node.args[0])})
    if node.name in ("Host", "HostHeader") and syntax == "v2":
        return frozenset(_host_key(h) for h in node.args)
    return None


def required_prefix(node: Node, syntax: str = "v3") -> str | None:
    """A string the routing path must start with for `node` to match (None: any path may)."""
    if isinstance(node, And):
        left, right = required_prefix(node.left, syntax), required_prefix(node.right, syntax)
        if left is None:
            return right
        if right is None:
            return left
        return left if len(left) >= len(right) else right
    if isinstance(node, Or):
        left, right = required_prefix(node.left, syntax), required_prefix(node.right, syntax)
        if left is None or right is None:
            return None
        n = 0
        while n < min(len(left), len(right)) and left[n] == right[n]:
            n += 1
        return left[:n]
    if node.negated or syntax == "v2" or node.name not in ("Path", "PathPrefix") or len(node.args) != 1:
        return None
    return node.args[0]


def request_host_keys(host: str) -> tuple[str, ...]:
    """The index keys a request host can meet: itself and its one-label wildcard."""
    k = _host_key(host)
    if not k:
        return ()
    first, dot, rest = k.partition(".")
    return (k, "*." + rest) if dot else (k, "*")


def domains(node: Node) -> list[str]:
    """ParseDomains: the lower-cased arguments of every Host matcher of the rule."""
    if isinstance(node, (And, Or)):
        return domains(node.left) + domains(node.right)
    if node.name == "Host":
        return [a.lower() for a in node.args]
    return []


def render(node: Node) -> str:
    """The rule written back (for messages; negations shown on the matchers)."""
    if isinstance(node, And):
        return f"({render(node.left)} && {render(node.right)})"
    if isinstance(node, Or):
        return f"({render(node.left)} || {render(node.right)})"
    args = ", ".join("`" + a + "`" for a in node.args)
    return f"{'!' if node.negated else ''}{node.name}({args})"
