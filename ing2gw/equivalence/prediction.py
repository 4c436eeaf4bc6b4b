"""What a finding predicts about the equivalence check: which compared fields may differ, where.

A finding code that can explain a difference declares, next to its code in
`ing2gw/data/codes-*.yaml`, one or more predictions:

```yaml
ING2GW-CORE-016:
  ...
  predicts:
  - fields: [redirect.location]      # the compared fields it may change
    change: {redirect.location: trailing-slash}   # and how (optional)
    where: [hosts]                   # the finding's details that say which requests
    when: {scheme: http}             # fixed request and answer conditions (optional)
```

Nothing here names a controller or an annotation: a prediction speaks of the fields the check
compares (`simulate.compare`), of requests (host, path, scheme, headers, cookies) and of
answers, so findings of any provider declare theirs the same way. A finding explains a
difference only when, for every field that differs on that request, a prediction of an
applicable finding names the field; a finding without predictions explains nothing
(`verify.explain`).

Vocabulary (checked when the tables load, so a typo cannot ship):

* `fields`: `status`; `backend` (who receives the request, weights included); `weights` (the same
  backends with other shares); `redirect` (with `redirect.status`, `redirect.location`);
  `upstream_path`; `upstream_host`; `upstream_tls` (tls or plain towards the backend);
  `upstream_headers` and `response_headers` (all, or one
  header: `response_headers.strict-transport-security`). A name covers itself and every field
  below it (`redirect` covers `redirect.location`).
* `where`, each a key of the finding's details that the request must match (all of them; any
  of the listed values):
  `ingress` (no detail: the finding's subject Ingress decided the request on either side),
  `ingresses` (comma-separated `namespace/name`: one of them decided the request on either side;
  for findings whose subject is not an Ingress, such as a ConfigMap setting),
  `hosts` (comma-separated host names; `*.d` matches one label under d, as Ingress does; `*`
  matches a host that no Ingress rule of the checked class names),
  `wildcard` (comma-separated `*.d`: hosts two or more labels under d),
  `paths` (one per line, `exact:/p`, `prefix:/p` (string prefix), `iprefix:/p` (string prefix
  in any letter case), `segment:/p` (the path or
  below it, as a Prefix path type matches), `case-variant:/p` (the request path starts with /p
  ignoring case, but not as written), `regex:PATTERN` (a full match), `tie:PATTERN` (the
  request fully matches two or more of the `tie` patterns)),
  `services` (comma-separated `namespace/name`: either answer sends traffic to one of them),
  `headers` (comma-separated header names the request carries, or `Name=value` for that
  value), `cookies` (cookie names), `methods`, `suites` (comma-separated cipher suites, OpenSSL
  names: the request offers only one of them, simulate/tls_probes.py).
* `when`: `scheme` (http, https), `method`, `host` (`trailing-dot`, `missing`: no Host header, or `empty`: none or an empty one), `without-header` (a header
  the request does not carry), `old` and `new` (the
  answer: `no-response`, `redirect`, `proxied`, `not-found` (a 404 of the proxy itself),
  `server-error` (a 5xx: no backend, or one without endpoints), `refused` (a 401 or 403 the proxy
  gives itself: an address list or an authentication refused the client), `too-large` (a 413 the
  proxy gives itself: the declared body is above its limit), `no-client-cert` (the proxy refused
  a client that presented no certificate: nginx's 400 or its auth-tls-error-page redirect, a
  failed TLS handshake), `auth-denied` (the proxy answered for an external auth service that
  refused or failed, the check's modelled one: `simulate/oracle.py`), `tls-refused` (a TLS handshake
  refused for the only version or cipher suite the client offered: `simulate/tls_probes.py`)).
* `change`, per field: `trailing-slash` (the two values differ only by one trailing `/` of the
  path), `query` (only in the query string), `port` (only in the port of the URL), or a list of
  these; `removed` (the old answer has the field, the new one not) or `added`; `OLD>NEW`
  (exactly these two values, e.g. `503>500`; OLD may be `*`, any value; NEW may be
  `request:NAME`, the value of the request's header NAME); or `details` (the pairs the finding's `change` detail lists,
  comma-separated `OLD>NEW`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

FIELDS = frozenset({"status", "backend", "weights", "redirect", "redirect.status", "redirect.location",
                    "upstream_path", "upstream_host", "upstream_headers", "response_headers", "upstream_tls"})
HEADER_FIELDS = ("upstream_headers.", "response_headers.")
WHERE = frozenset({"ingress", "ingresses", "hosts", "wildcard", "paths", "services", "headers", "cookies", "methods",
                   "suites"})
WHEN = frozenset({"scheme", "method", "host", "old", "new", "without-header"})
ANSWER_KINDS = frozenset({"no-response", "redirect", "proxied", "not-found", "server-error", "refused", "too-large",
                          "no-client-cert", "auth-denied", "tls-refused"})
CHANGES = frozenset({"trailing-slash", "query", "port", "removed", "added"})
PATH_KINDS = frozenset({"exact", "prefix", "iprefix", "segment", "case-variant", "regex", "tie"})
_VALUE_PAIR = re.compile(r"[^>]*>[^>]*\Z")


@dataclass(frozen=True, slots=True)
class Prediction:
    """One prediction of a finding code: the fields it may change, where, and how."""

    fields: tuple[str, ...]
    where: tuple[str, ...] = ()
    when: tuple[tuple[str, str], ...] = ()
    change: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def describe(self) -> str:
        """One sentence for `ing2gw explain`: which fields may differ, how, for which requests."""
        fields = []
        how = dict(self.change)
        for f in self.fields:
            c = how.get(f)
            fields.append(f + (f" ({' and '.join(_CHANGE_WORDS.get(x, x) for x in c)})" if c else ""))
        parts = [", ".join(fields), "may differ for requests"]
        parts += [_WHERE_WORDS[w] for w in self.where]
        for k, v in self.when:
            parts.append(_when_words(k, v))
        return " ".join(parts)


_WHERE_WORDS = {
    "ingress": "that the finding's Ingress answers (on either side)",
    "ingresses": "that one of the Ingresses the finding names answers (on either side)",
    "hosts": "to the finding's hosts",
    "wildcard": "to names two or more labels under the finding's wildcard that no rule names",
    "paths": "to the finding's paths",
    "services": "whose traffic reaches the finding's Services",
    "headers": "carrying the finding's headers",
    "cookies": "carrying the finding's cookies",
    "methods": "with the finding's methods",
    "suites": "offering only one of the finding's TLS cipher suites",
}
_CHANGE_WORDS = {
    "trailing-slash": "only by a trailing slash", "query": "only in the query string", "port": "only in the port",
    "removed": "the Gateway's answer lacks it", "added": "only the Gateway's answer has it",
    "details": "as the finding's change detail says",
}
_ANSWER_WORDS = {"no-response": "no answer", "redirect": "a redirect", "proxied": "a proxied request",
                 "not-found": "its own 404", "server-error": "a 5xx", "refused": "its own 401 or 403",
                 "too-large": "its own 413", "no-client-cert": "its refusal of a client without a certificate",
                 "auth-denied": "its answer for a refusing or failing auth service",
                 "tls-refused": "a TLS handshake refused for the version or cipher suite the client offered"}


def _when_words(key: str, value: str) -> str:
    if key == "scheme":
        return f"over {value}"
    if key == "method":
        return f"with method {value}"
    if key == "host":
        return {"missing": "without a Host header", "empty": "without a Host header or with an empty one"}.get(
            value, "whose Host header ends with a dot")
    if key == "without-header":
        return f"without the {value} header"
    side = "ingress-nginx" if key == "old" else "the Gateway"
    return f"when {side} gives {_ANSWER_WORDS.get(value, value)}"


def covers(field: str, name: str) -> bool:
    """Does the predicted field `name` cover the compared field `field`?"""
    if name == "backend":
        return field in ("backend", "backends")
    if name == "weights":
        return False  # decided by the caller, which sees both share tables (`covers_weights`)
    return field == name or field.startswith(name + ".")


def _field_ok(name: str) -> bool:
    return name in FIELDS or (name.startswith(HEADER_FIELDS) and len(name.split(".", 1)[1]) > 0)


def parse(code: str, raw: Any) -> tuple[Prediction, ...]:
    """The `predicts:` list of a code's row, validated (ValueError names the code and the problem)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"{code}: predicts must be a list")
    out = []
    for i, p in enumerate(raw):
        where = f"{code}: predicts[{i}]"
        if not isinstance(p, Mapping) or set(p) - {"fields", "where", "when", "change"}:
            raise ValueError(f"{where}: keys are fields, where, when, change")
        fields = tuple(p.get("fields") or ())
        if not fields or not all(isinstance(f, str) and _field_ok(f) for f in fields):
            raise ValueError(f"{where}: fields must name compared fields ({', '.join(sorted(FIELDS))}, "
                             "or one header: response_headers.NAME)")
        scope = tuple(p.get("where") or ())
        if not all(w in WHERE for w in scope):
            raise ValueError(f"{where}: where must be among {', '.join(sorted(WHERE))}")
        when = dict(p.get("when") or {})
        for k, v in when.items():
            if k not in WHEN:
                raise ValueError(f"{where}: when must be among {', '.join(sorted(WHEN))}")
            if k in ("old", "new") and v not in ANSWER_KINDS:
                raise ValueError(f"{where}: when.{k} must be one of {', '.join(sorted(ANSWER_KINDS))}")
            if k == "scheme" and v not in ("http", "https"):
                raise ValueError(f"{where}: when.scheme must be http or https")
            if k == "host" and v not in ("trailing-dot", "missing", "empty"):
                raise ValueError(f"{where}: when.host can only be trailing-dot, missing or empty")
        change: list[tuple[str, tuple[str, ...]]] = []
        for f, c in (p.get("change") or {}).items():
            values = tuple(c) if isinstance(c, list) else (str(c),)
            if f not in fields:
                raise ValueError(f"{where}: change.{f} names a field not in fields")
            if not all(v in CHANGES or v == "details" or _VALUE_PAIR.match(v) for v in values):
                raise ValueError(f"{where}: change.{f} must be {', '.join(sorted(CHANGES))}, OLD>NEW or details")
            change.append((f, values))
        out.append(Prediction(fields, scope, tuple(sorted((str(k), str(v)) for k, v in when.items())),
                              tuple(change)))
    return tuple(out)


# -- the `where` values a finding carries in its details -------------------------------------


def paths_detail(specs: list[tuple[str, str]]) -> str:
    """The `paths` detail: one `kind:value` per line (paths and regexes may hold commas)."""
    for kind, _ in specs:
        if kind not in PATH_KINDS:
            raise ValueError(f"unknown path kind {kind!r}")
    return "\n".join(dict.fromkeys(f"{k}:{v}" for k, v in specs))


def path_matches(spec: str, path: str) -> bool:
    """Does the request path match one `kind:value` of a `paths` detail?"""
    kind, _, value = spec.partition(":")
    if kind == "exact":
        return path == value
    if kind == "prefix":
        return path.startswith(value)
    if kind == "iprefix":
        return path.lower().startswith(value.lower())
    if kind == "segment":
        base = value.rstrip("/")
        return value == "/" or path == base or path.startswith(base + "/")
    if kind == "case-variant":
        return path.lower().startswith(value.lower()) and not path.startswith(value)
    if kind in ("regex", "tie"):
        try:
            return re.fullmatch(value, path) is not None
        except re.error:
            return False
    return False


def paths_match(specs: frozenset[str] | set[str] | list[str], path: str) -> bool:
    """Does the request path match a `paths` detail: one of its specs, or two of its `tie` specs?"""
    ties = 0
    for spec in specs:
        if spec.startswith("tie:"):
            ties += path_matches(spec, path)
            if ties >= 2:
                return True
        elif path_matches(spec, path):
            return True
    return False


def host_matches(host: str, pattern: str) -> bool:
    """Ingress host matching: exact, or `*.d` for exactly one label under d."""
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and len(host) > len(suffix) and "." not in host[: -len(suffix)]
    return host == pattern


def below_wildcard(host: str, wildcard: str) -> bool:
    """`host` is two or more labels under the wildcard's domain (`a.b.d` for `*.d`)."""
    d = wildcard[2:] if wildcard.startswith("*.") else wildcard
    return host.endswith("." + d) and host[: -len(d) - 1].count(".") >= 1


def same_but(old: str | None, new: str | None, aspects: tuple[str, ...]) -> bool:
    """Do two URLs (or paths) differ only in the given aspects (trailing-slash, query, port)?"""
    if old is None or new is None:
        return False
    return _strip(old, aspects) == _strip(new, aspects)


def _strip(url: str, aspects: tuple[str, ...]) -> str:
    base, _, query = url.partition("?")
    if "query" in aspects:
        query = ""
    scheme, sep, rest = base.partition("://")
    if not sep:
        scheme, rest = "", base
    authority, slash, path = rest.partition("/")
    path = slash + path
    if "port" in aspects and ":" in authority and not authority.endswith("]"):
        authority = authority.rsplit(":", 1)[0]
    if not path:
        path = "/"
    if "trailing-slash" in aspects and path.endswith("/") and len(path) > 1:
        path = path[:-1]
    return f"{scheme}{sep}{authority.lower()}{path}?{query}"
