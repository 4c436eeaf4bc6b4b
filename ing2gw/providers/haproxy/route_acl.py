"""route-acl -> HTTPRoute matches, where a standard match says exactly what the ACL says.

A Service's `route-acl: <ACL>` gives its Ingress paths a `use_backend <backend> if <host> <path>
{ <ACL> }` rule ahead of the maps (haproxy-semantics.md H-H1). The ACL is one anonymous HAProxy
ACL: a fetch, options, then patterns, any of which matches (HAProxy configuration manual 7.1).
Two forms have a Gateway API match of the same meaning:

* `hdr(NAME) PATTERN...` / `req.hdr(NAME)` / `req.fhdr(NAME)` with the default `-m str` (or an
  explicit one), case-sensitive: a header match `NAME: PATTERN` (Exact) per pattern;
* `method PATTERN...`: a method match per pattern.

Anything else (`-m found`, `-i`, `-m beg|reg|...`, `rand()`, `cookie()`, `src`, `url_param()`,
...) is reported with the reason. Written apart from `simulate.haproxy.acl`, the model the
translation is checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ing2gw import ir

_FETCH = re.compile(r"(hdr|req\.hdr|req\.fhdr|method)(?:\(([^)]*)\))?\Z")
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+\Z")
#: methods a Gateway API method match takes
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
_VALUE = re.compile(r"[\x21-\x7e]+\Z")


@dataclass(frozen=True)
class AclMatch:
    """One alternative of a converted ACL: a header match or a method."""

    header: ir.HeaderMatch | None = None
    method: str | None = None


def convert(acl: str) -> tuple[tuple[AclMatch, ...], str]:
    """(the alternatives, "") when the ACL has an exact Gateway API match, else ((), why not)."""
    words = acl.split()
    if not words:
        return (), "an empty ACL"
    if any(c in acl for c in "\"'\\{}#"):
        return (), "quoted or escaped patterns are not converted"
    m = _FETCH.match(words[0])
    if m is None:
        fetch = words[0].split("(")[0]
        return (), f"the fetch {fetch} has no Gateway API match: only hdr(NAME) and method with exact values do"
    fetch, arg = m.group(1), m.group(2)
    rest = words[1:]
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt == "--":
            break
        if opt == "-m" and rest and rest[0] == "str":
            rest.pop(0)
            continue
        return (), f"the ACL option {opt}{' ' + rest[0] if opt == '-m' and rest else ''} has no exact Gateway API match " \
                   "(a header or a method is matched by its exact value)"
    if not rest:
        return (), "an ACL without patterns (a presence test) has no Gateway API match"
    if fetch == "method":
        if arg is not None:
            return (), "method takes no argument"
        if not all(p in _METHODS for p in rest):
            return (), f"method {' '.join(rest)}: only {', '.join(_METHODS)} are Gateway API methods"
        return tuple(AclMatch(method=p) for p in dict.fromkeys(rest)), ""
    if not arg or "," in arg or not _TOKEN.match(arg):
        return (), f"{words[0]}: only a header name (no occurrence argument) is converted"
    if not all(_VALUE.match(p) for p in rest):
        return (), "a pattern with characters a header value match cannot hold"
    return tuple(AclMatch(header=ir.HeaderMatch(arg, p)) for p in dict.fromkeys(rest)), ""
