"""route-acl: the `use_backend <backend> if <host> <path> { <ACL> }` rules of a Service
annotation (haproxy-semantics.md H-H1, `pkg/route/route.go` AddCustomRoute).

The host and path conditions are the controller's; the ACL is the user's HAProxy expression.
The common forms are evaluated (the ones the controller's documentation and tests use and their
close relatives): `rand(N) lt|le|gt|ge|eq K`, `cookie(name)`/`req.cook(name)`, `hdr(name)`/
`req.hdr(name)`/`req.fhdr(name)`, `hdr_beg|end|sub|reg|dom(name)`, `hdr_cnt(name)`, `path`,
`path_beg|end|sub|reg|dir`, `url_param(name)`/`urlp(name)`, `method`, `src` and `query`, with
`-m found|str|beg|end|sub|reg|dom|dir|int|ip` and `-i`. Anything else raises `Unsupported`: the
router then marks the answer unmodelled instead of guessing.

An ACL matches when one of its patterns matches one of the fetched values (HAProxy iterates
over every occurrence of a header or cookie in an ACL). `rand(N)` draws a new number in
[0, N) per evaluation: with no drawn value given, the match is a probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

from ing2gw.simulate.haproxy.net import go_network, in_networks, parse_address
from ing2gw.simulate.haproxy.text import ascii_lower, compile_pcre, config_words
from ing2gw.simulate.request import Request

_FETCH = re.compile(r"([a-z_.]+)(?:\(([^)]*)\))?\Z")
_INT_OPS = ("lt", "le", "gt", "ge", "eq")
#: fetch -> default match method
_DEFAULT_MATCH = {
    "path": "str", "path_beg": "beg", "path_end": "end", "path_sub": "sub", "path_reg": "reg", "path_dir": "dir",
    "path_dom": "dom", "hdr": "str", "req.hdr": "str", "req.fhdr": "str", "hdr_beg": "beg", "hdr_end": "end",
    "hdr_sub": "sub", "hdr_reg": "reg", "hdr_dom": "dom", "hdr_dir": "dir", "cookie": "str", "req.cook": "str",
    "cook": "str", "url_param": "str", "urlp": "str", "method": "str", "src": "ip", "query": "str",
    "rand": "int", "hdr_cnt": "int", "req.hdr_cnt": "int", "cook_cnt": "int", "req.cook_cnt": "int",
}
_SUFFIX_MATCH = {"_beg": "beg", "_end": "end", "_sub": "sub", "_reg": "reg", "_dom": "dom", "_dir": "dir"}


class Unsupported(ValueError):
    """An ACL this model does not evaluate."""


@dataclass(frozen=True)
class Acl:
    """One parsed anonymous ACL."""

    text: str
    fetch: str
    arg: str
    method: str
    ignore_case: bool
    patterns: tuple[str, ...]

    def evaluate(self, request: Request, path: str, drawn: int | None) -> bool | Fraction:
        """Whether the ACL matches `request` (whose path, after rewrites, is `path`); a
        probability for `rand()` when no drawn value is given."""
        if self.fetch == "rand":
            return self._rand(drawn)
        values = self._values(request, path)
        if self.method == "found":
            return bool(values)
        if self.method == "int":
            return any(_int_match(_to_int(v), p) for v in values for p in self.patterns)
        if self.method == "ip":
            nets = [go_network(p) for p in self.patterns]
            for v in values:
                addr = parse_address(v)
                if addr is not None and in_networks(addr, [n for n in nets if n is not None]):
                    return True
            return False
        match = _MATCHERS[self.method]
        pats = [ascii_lower(p) for p in self.patterns] if self.ignore_case and self.method != "reg" else list(self.patterns)
        for v in values:
            sample = ascii_lower(v) if self.ignore_case and self.method != "reg" else v
            for p in pats:
                if match(sample, p, self.ignore_case):
                    return True
        return False

    def _rand(self, drawn: int | None) -> bool | Fraction:
        n = int(self.arg) if self.arg else 1 << 32
        if self.method != "int" or not self.patterns:
            raise Unsupported(f"{self.text!r}: rand() needs an integer comparison")
        if drawn is not None:
            return any(_int_match(drawn, p) for p in self.patterns)
        hits = sum(1 for x in range(n) if any(_int_match(x, p) for p in self.patterns)) if n <= 100_000 else None
        if hits is None:
            raise Unsupported(f"{self.text!r}: rand() range too large to count")
        return Fraction(hits, n)

    def _values(self, request: Request, path: str) -> list[str]:
        f, arg = self.fetch, self.arg
        if f.startswith("path"):
            return [path]
        if f in ("hdr", "req.hdr") or (f.startswith("hdr_") and f != "hdr_cnt"):
            return [v.strip() for v in _headers(request, arg) for v in v.split(",")]
        if f == "req.fhdr":
            return _headers(request, arg)
        if f in ("hdr_cnt", "req.hdr_cnt"):
            return [str(sum(len(v.split(",")) for v in _headers(request, arg)))]
        if f in ("cookie", "req.cook", "cook"):
            return _cookies(request, arg)
        if f in ("cook_cnt", "req.cook_cnt"):
            return [str(len(_cookies(request, arg)))]
        if f in ("url_param", "urlp"):
            return [v for k, v in request.query_params() if k == arg]
        if f == "method":
            return [request.method]
        if f == "query":
            q = request.query
            return [] if q is None else [q]
        raise Unsupported(f"{self.text!r}: fetch {f!r} is not modelled")


def _headers(request: Request, name: str) -> list[str]:
    if name.lower() == "host":
        return [] if request.host is None else [request.host]
    return request.header_values(name)


def _cookies(request: Request, name: str) -> list[str]:
    out = []
    for raw in request.header_values("cookie"):
        for part in raw.split(";"):
            k, sep, v = part.strip().partition("=")
            if sep and k.strip() == name:
                out.append(v.strip())
    return out


def _to_int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _int_match(value: int | None, pattern: str) -> bool:
    if value is None:
        return False
    if ":" in pattern:
        lo, _, hi = pattern.partition(":")
        return (not lo or value >= int(lo)) and (not hi or value <= int(hi))
    return value == int(pattern)


def _dom(sample: str, p: str, _: bool) -> bool:
    parts = re.split(r"[/.?]", sample)
    want = re.split(r"[/.?]", p.strip("/.?"))
    return any(parts[i:i + len(want)] == want for i in range(len(parts) - len(want) + 1))


def _dir(sample: str, p: str, _: bool) -> bool:
    parts = sample.split("/")
    want = p.strip("/").split("/")
    return any(parts[i:i + len(want)] == want for i in range(len(parts) - len(want) + 1))


def _reg(sample: str, p: str, icase: bool) -> bool:
    rx = compile_pcre(("(?i)" if icase else "") + p)
    return rx.search(sample) is not None


_MATCHERS: dict[str, Callable[[str, str, bool], bool]] = {
    "str": lambda s, p, _: s == p,
    "beg": lambda s, p, _: s.startswith(p),
    "end": lambda s, p, _: s.endswith(p),
    "sub": lambda s, p, _: p in s,
    "reg": _reg,
    "dom": _dom,
    "dir": _dir,
}


def parse_acl(text: str) -> Acl:
    """Parse a route-acl value. Raises Unsupported for forms not modelled."""
    try:
        words, env = config_words(text)
    except ValueError as exc:
        raise Unsupported(f"{text!r}: {exc}") from None
    if env or not words:
        raise Unsupported(f"{text!r}: empty or uses environment variables")
    if any(w in ("{", "}", "||", "or", "!") or w.startswith("!") for w in words):
        raise Unsupported(f"{text!r}: compound conditions are not modelled")
    m = _FETCH.match(words[0])
    if m is None:
        raise Unsupported(f"{text!r}: cannot read the fetch {words[0]!r}")
    fetch, arg = m.group(1), (m.group(2) or "").strip()
    if fetch not in _DEFAULT_MATCH:
        raise Unsupported(f"{text!r}: fetch {fetch!r} is not modelled")
    method = _DEFAULT_MATCH[fetch]
    ignore_case = False
    rest: list[str] = []
    i = 1
    while i < len(words):
        w = words[i]
        if w == "-m" and i + 1 < len(words):
            method = words[i + 1]
            i += 2
        elif w == "-i":
            ignore_case = True
            i += 1
        elif w == "--":
            rest.extend(words[i + 1:])
            break
        elif w.startswith("-") and not rest and not re.fullmatch(r"-?\d+(:\d*)?", w):
            raise Unsupported(f"{text!r}: flag {w!r} is not modelled")
        else:
            rest.append(w)
            i += 1
    if fetch.startswith("path") or fetch.startswith("hdr_") and fetch != "hdr_cnt":
        for suffix, how in _SUFFIX_MATCH.items():
            if fetch.endswith(suffix) and method == _DEFAULT_MATCH[fetch]:
                method = how
    if method == "int" and rest and rest[0] in _INT_OPS:
        op, value = rest[0], rest[1] if len(rest) > 1 else ""
        if not re.fullmatch(r"-?\d+", value):
            raise Unsupported(f"{text!r}: {op} needs an integer")
        n = int(value)
        rest = [{"lt": f":{n - 1}", "le": f":{n}", "gt": f"{n + 1}:", "ge": f"{n}:", "eq": f"{n}"}[op]]
    if method not in _MATCHERS and method not in ("found", "int", "ip"):
        raise Unsupported(f"{text!r}: match method {method!r} is not modelled")
    if method != "found" and not rest:
        raise Unsupported(f"{text!r}: no pattern")
    if method == "reg":
        for p in rest:
            try:
                compile_pcre(p)
            except re.error as exc:
                raise Unsupported(f"{text!r}: regex {p!r}: {exc}") from None
    return Acl(text, fetch, arg, method, ignore_case, tuple(rest))


def host_condition(host: str) -> Callable[[str | None], bool]:
    """The controller's host condition: `-m str <host>`, or `-m end <.suffix>` for `*.suffix`
    (any depth, unlike the host map), or no condition for a rule without host."""
    if not host:
        return lambda h: True
    if host.startswith("*"):
        suffix = host[1:]
        return lambda h: h is not None and h.endswith(suffix)
    return lambda h: h == host


def path_condition(path: str, path_type: str) -> Callable[[str], bool]:
    """The controller's path condition: `path <p>` for Exact, `path -m beg /` for `/`, else
    `path -m reg ^<p without trailing />($|/)` (the path is not escaped: `.` matches any
    character); no condition for an empty path."""
    if not path:
        return lambda p: True
    if path_type == "Exact":
        return lambda p: p == path
    if path == "/":
        return lambda p: p.startswith("/")
    rx = compile_pcre("^" + path.removesuffix("/") + "($|/)")
    return lambda p: rx.search(p) is not None


def condition_text(host: str, path: str, path_type: str, acl: str) -> str:
    """The rule's condition as the controller writes it (whitespace normalised)."""
    parts = []
    if host:
        parts.append(f"{{ var(txn.host) -m end {host[1:]} }}" if host.startswith("*")
                     else f"{{ var(txn.host) -m str {host} }}")
    if path:
        if path_type == "Exact":
            parts.append(f"{{ path {path} }}")
        elif path == "/":
            parts.append("{ path -m beg / }")
        else:
            parts.append(f"{{ path -m reg ^{path.removesuffix('/')}($|/) }}")
    parts.append(f"{{ {acl} }}")
    return " ".join(" ".join(parts).split())


def combine(matches: Sequence[bool | Fraction]) -> Fraction:
    """The chance that every one of `matches` holds (independent draws)."""
    out = Fraction(1)
    for m in matches:
        out *= m if isinstance(m, Fraction) else Fraction(int(m))
    return out
