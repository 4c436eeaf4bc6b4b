"""Traefik's rule language (v3 syntax), parsed into ORs of ANDs of matchers the translation can
express: `Host`, `PathPrefix`, `Path`, `Header`/`Headers`, `Method`, `Query`, `&&`, `||`,
parentheses. Negation and the regex or client-address matchers are reported, never guessed.

Facts: traefik-semantics.md "Parser" (matcher names in any of Name/lower/UPPER/Title case,
values in backticks or double quotes) and Traefik docs
`reference/routing-configuration/http/routing/rules-and-priority.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOKEN = re.compile(r"\s*(?:(?P<op>&&|\|\||!|\(|\)|,)|(?P<name>[A-Za-z]+)|(?P<str>`[^`]*`|\"(?:[^\"\\\\]|\\\\.)*\"))")
#: matcher name (lower case) -> canonical name
_KNOWN = {n.lower(): n for n in ("Host", "HostRegexp", "Path", "PathPrefix", "PathRegexp", "Header", "Headers",
                                 "HeaderRegexp", "HeadersRegexp", "Method", "Query", "QueryRegexp", "ClientIP",
                                 "HostSNI")}
#: matchers Gateway API has no portable field for
UNSUPPORTED = {"HostRegexp", "PathRegexp", "HeaderRegexp", "HeadersRegexp", "QueryRegexp", "ClientIP", "HostSNI"}


class RuleError(ValueError):
    """A rule Traefik refuses (the router is not built) or ing2gw cannot express."""

    def __init__(self, message: str, *, traefik_refuses: bool) -> None:
        super().__init__(message)
        self.traefik_refuses = traefik_refuses


@dataclass(frozen=True)
class Atom:
    name: str
    args: tuple[str, ...]


#: one alternative: matchers that must all hold
Conjunction = tuple[Atom, ...]


def unquote(tok: str) -> str:
    """A matcher argument's text: backticks taken as they are, double quotes with escapes."""
    if tok.startswith("`"):
        return tok[1:-1]
    return re.sub(r"\\(.)", r"\1", tok[1:-1])


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise RuleError(f"cannot parse the rule at {text[pos:pos + 20]!r}", traefik_refuses=True)
            kind = m.lastgroup or ""
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise RuleError(f"expected {value or 'more'} in the rule", traefik_refuses=True)
        self.i += 1
        return tok

    def expr(self) -> list[Conjunction]:
        out = self.term()
        while self.peek() == ("op", "||"):
            self.take()
            out = out + self.term()
        return out

    def term(self) -> list[Conjunction]:
        out = self.factor()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.factor()
            out = [a + b for a in out for b in right]
        return out

    def factor(self) -> list[Conjunction]:
        tok = self.peek()
        if tok == ("op", "!"):
            raise RuleError("negation (!) has no Gateway API counterpart", traefik_refuses=False)
        if tok == ("op", "("):
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        kind, name = self.take()
        canonical = _KNOWN.get(name.lower())
        if kind != "name" or canonical is None or name not in (canonical, canonical.lower(), canonical.upper(),
                                                               canonical.title()):
            raise RuleError(f"unknown matcher {name!r}", traefik_refuses=True)
        self.take("(")
        args: list[str] = []
        while self.peek() != ("op", ")"):
            k, v = self.take()
            if k != "str":
                raise RuleError(f"{canonical}: arguments must be quoted strings", traefik_refuses=True)
            args.append(unquote(v))
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        if canonical in UNSUPPORTED:
            raise RuleError(f"{canonical} has no portable Gateway API counterpart", traefik_refuses=False)
        return [(Atom(canonical, tuple(args)),)]


def parse_rule(text: str) -> list[Conjunction]:
    """The alternatives of a rule (RuleError when it does not parse or cannot be expressed)."""
    p = _Parser(text)
    if not p.toks:
        raise RuleError("empty rule", traefik_refuses=True)
    out = p.expr()
    if p.peek() is not None:
        raise RuleError(f"unexpected {p.peek()[1]!r} in the rule", traefik_refuses=True)  # type: ignore[index]
    return out
