"""Which requests a Traefik rule may match, as the hosts and the path pattern of a finding's
details: for a route ing2gw cannot translate (negation, regex matchers), the finding then covers
the requests that route could have taken, not every request of its IngressRoute.

The scope over-approximates: a matcher we cannot bound (Header, Method, Query, ClientIP,
HostRegexp, a regex Python reads otherwise) takes every request. A negation is bounded only
when what it negates is known exactly and concerns the path alone (`!PathPrefix(/admin)`);
otherwise it too takes every request. Facts: Traefik's rule language (rule_parser.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ing2gw.providers.traefik import regexes
from ing2gw.providers.traefik.rule_parser import TOKEN, unquote

ANY_PATH = ".*"


@dataclass(frozen=True)
class Scope:
    """Requests to `hosts` (None: any host) whose path fully matches the Python regex `path`;
    `exact` when it is exactly the set the rule matches (not a superset)."""

    hosts: frozenset[str] | None
    path: str
    exact: bool


_TOP = Scope(None, ANY_PATH, False)


class _Scoper:
    def __init__(self, text: str) -> None:
        self.toks: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                if text[pos:].strip():
                    raise ValueError(text[pos:pos + 20])
                break
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise ValueError("end of rule")
        self.i += 1
        return tok

    def expr(self) -> Scope:
        out = self.term()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.term()
            hosts = None if out.hosts is None or right.hosts is None else out.hosts | right.hosts
            exact = out.exact and right.exact and out.hosts == right.hosts
            out = Scope(hosts, f"(?:{out.path})|(?:{right.path})", exact)
        return out

    def term(self) -> Scope:
        out = self.factor()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.factor()
            hosts = right.hosts if out.hosts is None else out.hosts if right.hosts is None else out.hosts & right.hosts
            out = Scope(hosts, f"(?=(?:{out.path})\\Z)(?:{right.path})", out.exact and right.exact)
        return out

    def factor(self) -> Scope:
        tok = self.take()
        if tok == ("op", "!"):
            inner = self.factor()
            if inner.exact and inner.hosts is None:
                return Scope(None, f"(?!(?:{inner.path})\\Z).*", True)
            return _TOP
        if tok == ("op", "("):
            inner = self.expr()
            self.take()
            return inner
        name = tok[1].lower()
        if self.take() != ("op", "("):
            raise ValueError("expected (")
        args: list[str] = []
        while self.peek() != ("op", ")"):
            k, v = self.take()
            if k == "str":
                args.append(unquote(v))
        self.take()
        if name == "host" and args:
            return Scope(frozenset(a.lower() for a in args), ANY_PATH, True)
        if name == "path" and args:
            return Scope(None, "|".join(re.escape(a) for a in args), True)
        if name == "pathprefix" and args:
            return Scope(None, "|".join(re.escape(a) + ".*" for a in args), True)
        if name == "pathregexp" and len(args) == 1:
            pattern = regexes.python_pattern(args[0])
            return _TOP if pattern is None else Scope(None, pattern, True)
        return _TOP


def rule_scope(text: str) -> Scope:
    """The requests rule `text` may match (every request when it cannot be read)."""
    try:
        p = _Scoper(text.strip())
        out = p.expr()
    except (ValueError, IndexError):
        return _TOP
    return out if p.peek() is None else _TOP
