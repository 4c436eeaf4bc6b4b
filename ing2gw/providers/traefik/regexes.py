"""When a Traefik regex Middleware (stripPrefixRegex, replacePathRegex, redirectRegex) is in fact a
fixed change that Gateway API's URLRewrite or RequestRedirect can say exactly.

Traefik compiles these regexes with Go's RE2 syntax (pkg/middlewares/stripprefixregex,
replacepathregex, redirect at v3.7). We only recognise a small set of shapes whose meaning does
not depend on the dialect: literal text (with `\\` escapes of punctuation), `^` anchors, and the
capture groups `(.*)` / `(/.*)`. Anything else is left to the caller, which reports it (or hands
it to a target that carries the `regex-rewrite` / `regex-redirect` intent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: characters that are special in RE2 outside a class
_META = set("\\.+*?()|[]{}^$")
#: a replacement's capture reference: $1, ${1}, $name, ${name} (Go's Regexp.Expand)
_REF = re.compile(r"\$(\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)")


def literal(pattern: str) -> str | None:
    """The text a regex matches when it is plain literal text (escapes allowed), else None."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
                return None  # \d, \b, \Q ...: a class or an assertion
            out.append(pattern[i + 1])
            i += 2
            continue
        if c in _META:
            return None
        out.append(c)
        i += 1
    return "".join(out)


def anchored_literal(pattern: str) -> tuple[str, bool] | None:
    """(the literal, whether it is anchored with ^) for `^lit` or `lit`, else None."""
    anchored = pattern.startswith("^")
    lit = literal(pattern[1:] if anchored else pattern)
    return None if lit is None else (lit, anchored)


def _refs(replacement: str) -> list[str]:
    return [m.group(1).strip("{}") for m in _REF.finditer(replacement)]


def prefix_rewrite(regex: str, replacement: str) -> tuple[str, str] | None:
    """(L, R) when `regex` is `^L(.*)` (or `^L(.*)$`) and `replacement` is `R$1` (or `R${1}`) with
    literal L and R: every path starting with L gets R instead of L, any other path is unchanged."""
    for tail in ("(.*)$", "(.*)"):
        if regex.startswith("^") and regex.endswith(tail):
            lit = literal(regex[1:-len(tail)])
            break
    else:
        return None
    if lit is None:
        return None
    for ref in ("${1}", "$1"):
        if replacement.endswith(ref):
            head = replacement[:-len(ref)]
            if "$" not in head:
                return lit, head
    return None


@dataclass(frozen=True)
class RedirectShape:
    """A redirectRegex that is a fixed redirect: the request schemes it applies to, the host it
    needs (None: any host, kept), and the target's scheme, host (None: the request's) and port."""

    schemes: tuple[str, ...]
    host: str | None
    scheme: str
    hostname: str | None
    port: int | None
    #: a path prefix it replaces (`/old(.*)` -> `/new$1`): (from, to); None: the path is kept
    prefix: tuple[str, str] | None = None


_SCHEMES = {"http": ("http",), "https": ("https",), "https?": ("http", "https"), "(?:https?)": ("http", "https"),
            "(?:http|https)": ("http", "https"), "(?:https|http)": ("http", "https")}
#: host captures that take any Host header (the redirect keeps it)
_ANY_HOST = ("([^/]+)", "([^/:]+)", "(.+?)", "(.*?)")
#: path captures that take the whole rest of the URL (path and query)
_ANY_PATH = ("(.*)", "(/.*)")
_TARGET = re.compile(r"(https?)://(\$\{1\}|\$1(?![A-Za-z0-9_])|[^/:$]*)(?::(\d+))?(.*)\Z")


def redirect_shape(regex: str, replacement: str) -> RedirectShape | None:
    """The fixed redirect `regex` / `replacement` amount to, or None.

    Accepted: `^SCHEME://HOST(/?)PATH$?` where SCHEME is `http`, `https` or `https?` (or one
    non-capturing group of them), HOST a literal host or one of the any-host captures, PATH one
    of the rest captures (with a literal `/` before it: `/(.*)`) or `/old(.*)` (a literal prefix),
    and a replacement `SCHEME2://HOST2[:PORT]` followed by the same `/` (or `/new` for a prefix)
    and the path's capture. A scheme group that captures is refused (it would shift the capture
    numbers)."""
    if not regex.startswith("^"):
        return None
    body = regex[1:].removesuffix("$")
    scheme_part, sep, rest = body.partition("://")
    schemes = _SCHEMES.get(scheme_part)
    if not sep or schemes is None:
        return None
    host: str | None
    groups = 0
    for any_host in _ANY_HOST:
        if rest.startswith(any_host):
            host, rest, groups = None, rest[len(any_host):], 1
            break
    else:
        cut = min([rest.find(x) for x in ("/", "(") if rest.find(x) >= 0] or [len(rest)])
        host = literal(rest[:cut])
        if not host or ":" in host:
            return None
        rest = rest[cut:]
    old_prefix = literal(rest[:-len("(.*)")]) if rest.startswith("/") and rest.endswith("(.*)") else None
    if rest == "/(.*)":
        lead = "/"
    elif rest == "(/.*)" or (rest == "(.*)" and host is None):
        # after a literal host, `(.*)` would also take `example.com.evil` and `:8080`
        lead = ""
    elif old_prefix and old_prefix != "/" and not old_prefix.endswith("/"):
        lead = old_prefix  # `/old(.*)`: the rest of the path (and query) after /old
    else:
        return None
    path_ref = groups + 1
    m = _TARGET.match(replacement)
    if m is None:
        return None
    t_scheme, t_host, t_port, t_rest = m.groups()
    prefix: tuple[str, str] | None = None
    ref = next((r for r in (f"${path_ref}", f"${{{path_ref}}}") if t_rest.endswith(r)), None)
    if ref is None:
        return None
    new_lead = t_rest[:-len(ref)]
    if lead not in ("/", "") and new_lead != lead:
        new_prefix = literal(re.escape(new_lead))
        if not new_lead.startswith("/") or new_lead.endswith("/") or "$" in new_lead or new_prefix != new_lead:
            return None
        prefix = (lead, new_lead)
    elif new_lead != lead:
        return None
    if "$" in t_host:
        if host is not None or t_host.strip("${}") != "1":
            return None
        hostname = None
    else:
        if not t_host or literal(t_host.replace(".", "\\.")) != t_host:
            return None
        hostname = t_host
    port = int(t_port) if t_port else None
    if port is not None and (not 0 < port < 65536 or port == {"http": 80, "https": 443}[t_scheme]):
        return None  # Traefik writes the default port into Location; Gateway API leaves it out
    if hostname is None and host is None and port is not None:
        return None  # the request's Host may carry a port of its own: the target is not fixed
    return RedirectShape(schemes, host, t_scheme, hostname, port, prefix)


def python_pattern(regex: str) -> str | None:
    """The regex as a Python pattern for a finding's `paths` detail (`regex:` is a full match, so
    an unanchored search becomes `.*(?:...).*`), or None when Python reads it otherwise."""
    if re.search(r"\\[pPQEzCx]|\[\[:|\(\?[a-zA-Z]*[sU]|\(\?<", regex):
        return None  # classes, quoting, flags and (?<name>) whose Python meaning differs
    try:
        re.compile(regex)
    except re.error:
        return None
    return f".*(?:{regex}).*"


def _expand(m: re.Match[str], replacement: str) -> str:
    """Go's Regexp.Expand of `replacement` for match `m` ($1, ${1}, $name, ${name}, $$)."""
    out: list[str] = []
    i = 0
    while i < len(replacement):
        c = replacement[i]
        if c != "$" or i + 1 >= len(replacement):
            out.append(c)
            i += 1
            continue
        if replacement[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        ref = _REF.match(replacement, i)
        if ref is None:
            out.append(c)
            i += 1
            continue
        name = ref.group(1).strip("{}")
        value: str | None = None
        if name.isdigit():
            n = int(name)
            value = m.group(n) if n <= (m.re.groups or 0) else None
        elif name in m.re.groupindex:
            value = m.group(name)
        out.append(value or "")
        i = ref.end()
    return "".join(out)


def full_replace(regex: str, replacement: str, path: str) -> tuple[str, bool] | None:
    """(the new path, whether the regex matched) for a path known in advance, or None when the
    regex is not anchored (Go replaces every match; we only reproduce the single anchored one) or
    Python may read it differently."""
    if not regex.startswith("^") or python_pattern(regex) is None:
        return None
    m = re.search(regex, path)
    if m is None:
        return path, False
    return path[:m.start()] + _expand(m, replacement) + path[m.end():], True


def clean_path(path: str) -> bool:
    """Would Traefik keep this path as it is (it answers 400 when cleaning changes it)?"""
    if not path.startswith("/") or "%" in path or "?" in path or "#" in path:
        return False
    parts = path.split("/")[1:]
    return not any(x in (".", "..") for x in parts) and "" not in parts[:-1]
