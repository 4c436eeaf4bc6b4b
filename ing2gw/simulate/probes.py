"""Probe requests for the equivalence check, from the union of both configurations.

The probes are where the two sides are most likely to differ (the probe model):

* hosts: every host either side names, as written, in upper case, with a port; one and two
  labels under a wildcard; the names server-alias and from-to-www-redirect add; a host no rule
  names (for the host-less rules and default backends), and an unknown host;
* schemes: every host over HTTP and HTTPS (on a host with TLS, HTTP mostly answers the HTTPS
  redirect, so there each path and its trailing-slash twin are enough unless an Ingress of the
  host serves HTTP itself);
* paths: every path as written, with and without its trailing slash, a child, a sibling that
  shares a string prefix (`/api` vs `/apix`), a case variant and the parent; strings that match
  and nearly match each regex; each path with a query string; the host-less rules' paths on
  every host and every host's paths on an unnamed host (host isolation both ways);
* headers and cookies: a canary's header in every state (`always`, `never`, its value, a
  string its pattern matches, another value) and its cookie in every state (also after another
  cookie, and disagreeing with the header), on every path variant of every host whose paths
  reach the canaried Service (ingress-nginx canaries the Service everywhere); CORS Origins (an
  unrelated one, each allowed one, one and two labels under a wildcard origin); the methods,
  headers and query parameters Gateway API rules match on.

Paths are combined with the hosts they belong to (not with every host), so the count grows
with the configuration, not with its square. Deterministic and deduplicated.

Reads raw manifests only (never the translator's output model), so the same generator serves
`convert --verify` and `verify` on hand-written Gateway API objects.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from re import _constants as sre_constants  # type: ignore[attr-defined]  # sre_parse is deprecated in 3.11
from re import _parser as sre_parse  # type: ignore[attr-defined]
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence

from ing2gw.load import Manifest
from ing2gw.simulate.addresses import Network, boundary_addresses, go_cidr_or_ip, in_networks
from ing2gw.simulate.nginx_access import annotation_body_limit
from ing2gw.simulate.nginx_annotations import CRITICAL
from ing2gw.simulate.oracle import AUTH_PROBE_STATUSES, auth_header, valid_basic_header
from ing2gw.simulate.request import DEFAULT_PORTS, Request
from ing2gw.simulate.source_probes import EVERY_PEER, SourcePolicy, gateway_frontend_policies, source_policies

UNKNOWN_HOST = "unknown-host.ing2gw.invalid"
_CANARY_SUFFIXES = ("/canary-by-header", "/canary-by-header-value", "/canary-by-cookie")


@dataclass
class _HostPlan:
    paths: set[str] = field(default_factory=set)
    regexes: set[str] = field(default_factory=set)
    headers: set[tuple[str, str]] = field(default_factory=set)
    #: several headers sent together (a canary's header and cookie disagreeing)
    header_sets: set[tuple[tuple[str, str], ...]] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    queries: set[tuple[str, str]] = field(default_factory=set)
    cors: bool = False
    tls: bool = False
    #: some Ingress of the host serves plain HTTP even though the host has TLS (ssl-redirect off)
    http_served: bool = False


def _plan(plans: dict[str, _HostPlan], host: str) -> _HostPlan:
    """The plan of `host`, created on first use."""
    plan = plans.get(host)
    if plan is None:
        plan = plans[host] = _HostPlan()
    return plan


def _samples_for_regex(pattern: str) -> list[str]:
    """Strings that match the regex and strings that nearly do (first char changed, suffix)."""
    return list(_regex_samples(pattern))


@lru_cache(maxsize=4096)
def _regex_samples(pattern: str) -> tuple[str, ...]:
    """`_samples_for_regex`, once per pattern (many hosts share their regexes)."""
    p = pattern
    flags = ""
    m = re.match(r"^\(\?([a-zA-Z]+)\)", p)
    if m:
        flags, p = m.group(1), p[m.end():]
    try:
        parsed = sre_parse.parse(p)
    except (re.error, RecursionError, OverflowError):
        return ()
    try:
        s = _gen(parsed)
    except (RecursionError, ValueError):
        return ()
    if not s.startswith("/"):
        s = "/" + s
    out = [s, s + "x", s + "/x"]
    if len(s) > 1:
        out.append(s[:-1])
        out.append(s.upper())
    del flags
    return tuple(out)


def _gen(parsed: Any, depth: int = 0) -> str:
    if depth > 20:
        raise ValueError("too deep")
    out = []
    for op, av in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(av))
        elif op is sre_constants.NOT_LITERAL:
            out.append("a" if chr(av) != "a" else "b")
        elif op is sre_constants.ANY:
            out.append("a")
        elif op is sre_constants.IN:
            out.append(_in_sample(av))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            lo, hi, sub = av
            n = max(lo, 1) if hi != 0 else 0
            n = min(n, 3)
            out.append(_gen(sub, depth + 1) * n)
        elif op is sre_constants.SUBPATTERN:
            out.append(_gen(av[-1], depth + 1))
        elif op is sre_constants.BRANCH:
            # prefer a branch that produces text (e.g. `(/|$)` -> "/")
            branches = [_gen(b, depth + 1) for b in av[1]]
            out.append(next((b for b in branches if b), ""))
        elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            continue
        elif op is sre_constants.GROUPREF:
            continue
        else:
            continue
    return "".join(out)


def _in_sample(items: Any) -> str:
    for op, av in items:
        if op is sre_constants.LITERAL:
            return chr(av)
        if op is sre_constants.RANGE:
            return chr(av[0])
        if op is sre_constants.CATEGORY:
            return {sre_constants.CATEGORY_DIGIT: "1", sre_constants.CATEGORY_WORD: "a"}.get(av, "a")
        if op is sre_constants.NEGATE:
            continue
    return "a"


def path_variants(p: str, case: bool = True) -> list[str]:
    """The path, with/without trailing slash, child, sibling, case variant, parent."""
    out = [p]
    if p != "/":
        out.append(p[:-1] if p.endswith("/") else p + "/")
        base = p.rstrip("/")
        out.append(base + "/child")
        out.append(base + "x")
        if case and base.upper() != base:
            out.append(base.upper())
        parent = base.rsplit("/", 1)[0] or "/"
        out.append(parent)
    else:
        out.append("/probe-unmatched")
    return out


def http_targets(paths: Iterable[str]) -> list[str]:
    """The reduced HTTP probe set of a TLS host: each path and its trailing-slash twin."""
    out = []
    for p in paths:
        if p.startswith("/"):
            out += path_variants(p)[:2]
    return list(dict.fromkeys(out))


def host_variants(h: str) -> list[str]:
    """Host header variants: as written, upper case, with a port; labels under a wildcard."""
    if h.startswith("*."):
        d = h[2:]
        return [f"a.{d}", f"a.b.{d}", d, f"A.{d.upper()}"]
    return [h, h.upper(), f"{h}:8080"]


@dataclass
class _Canary:
    """What a canary Ingress's traffic policy looks at, and the paths it names."""

    namespace: str
    decisions: set[tuple[tuple[str, str], ...]]
    paths: set[tuple[str, str]]


def _canary_decisions(anns: dict[str, Any]) -> set[tuple[tuple[str, str], ...]]:
    """Header and Cookie values that reach every branch of a canary's decision (F5): `always`,
    `never`, the configured value, a string the pattern matches, something else; a cookie in
    each state, after another cookie; header and cookie disagreeing (the header decides)."""
    def a(suffix: str) -> str | None:
        return next((v for k, v in anns.items() if k.endswith("/" + suffix) and isinstance(v, str)), None)

    out: set[tuple[tuple[str, str], ...]] = set()
    header, cookie = a("canary-by-header"), a("canary-by-cookie")
    if header:
        values = ["always", "never", "other"]
        if a("canary-by-header-value"):
            values.append(str(a("canary-by-header-value")))
        pattern = a("canary-by-header-pattern")
        if pattern:
            values += [x for x in _pattern_samples(pattern)]
        out |= {((header, v),) for v in values}
    if cookie:
        out |= {(("Cookie", f"{cookie}={v}"),) for v in ("always", "never", "other")}
        out.add((("Cookie", f"probe=1; {cookie}=always"),))
    if header and cookie:
        out.add(((header, "never"), ("Cookie", f"{cookie}=always")))
        out.add(((header, "other"), ("Cookie", f"{cookie}=always")))
    return out


@lru_cache(maxsize=1024)
def _pattern_samples(pattern: str) -> tuple[str, ...]:
    """A header value the (unanchored) pattern matches, when one can be made."""
    try:
        parsed = sre_parse.parse(pattern)
        sample = _gen(parsed)
    except (re.error, RecursionError, ValueError, OverflowError):
        return ()
    return (sample,) if sample else ()


def _ingress_plans(m: Manifest, plans: dict[str, _HostPlan], canaries: list[_Canary],
                   served: dict[tuple[str, str], set[str]]) -> None:
    """Add one Ingress's hosts, paths and headers; remember its canary policy and, for every
    (namespace, Service), the hosts whose paths send traffic to it."""
    obj = m.obj
    spec = obj.get("spec") or {}
    anns = (obj.get("metadata") or {}).get("annotations") or {}
    ns = str((obj.get("metadata") or {}).get("namespace") or "default")
    headers: set[tuple[str, str]] = set()
    for k, v in anns.items():
        if isinstance(v, str) and k.endswith("/cors-enable") and v.lower() == "true":
            # HAProxy: cors-allow-origin is a regular expression; `^(o1|o2)$` names its origins
            headers.add(("Origin", "https://origin.example"))
            for k2, v2 in anns.items():
                if k2.endswith("/cors-allow-origin") and isinstance(v2, str) and v2.strip() != "*":
                    text = v2.strip().removeprefix("^").removesuffix("$").removeprefix("(").removesuffix(")")
                    headers |= {("Origin", o.replace("\\.", ".")) for o in text.split("|") if "://" in o}
        if isinstance(v, str) and k.endswith("/enable-cors") and v.lower() == "true":
            headers.add(("Origin", "https://origin.example"))
            # every allowed origin, and for `*.d` one and two labels below d
            for k2, v2 in anns.items():
                if k2.endswith("/cors-allow-origin") and isinstance(v2, str):
                    for o in (x.strip() for x in v2.split(",")):
                        if o and o != "*":
                            headers |= {("Origin", o.replace("*.", "a.")), ("Origin", o.replace("*.", "a.b."))}
    canary = any(k.endswith("/canary") and isinstance(v, str) and v.lower() == "true" for k, v in anns.items())
    decisions = _canary_decisions(anns) if canary else set()
    no_redirect = any(k.endswith("/ssl-redirect") and isinstance(v, str) and v.lower() == "false"
                      for k, v in anns.items())
    rules = spec.get("rules") or []
    hosts_seen = []
    named: set[tuple[str, str]] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        host = (rule.get("host") or "").strip().lower() or "*"
        plan = _plan(plans, host)
        hosts_seen.append(host)
        plan.headers |= headers
        plan.header_sets |= decisions
        plan.http_served |= no_redirect
        http = rule.get("http") or {}
        for p in http.get("paths") or [] if isinstance(http, dict) else []:
            if not isinstance(p, dict):
                continue
            path = p.get("path") or "/"
            if not isinstance(path, str):
                continue
            plan.paths.add(path)
            named.add((host, path))
            if any(c in path for c in "([{*+?|\\^$"):
                plan.regexes.add(path)
            svc = ((p.get("backend") or {}).get("service") or {}).get("name")
            if isinstance(svc, str):
                served.setdefault((ns, svc), set()).add(host)
        if any(h[0] == "Origin" for h in headers):
            plan.cors = True
    # names the annotations add to a server: its www twin (from-to-www-redirect) and aliases
    www = any(k.endswith("/from-to-www-redirect") and isinstance(v, str) and v.lower() == "true"
              for k, v in anns.items())
    aliases = [a.strip().lower() for k, v in anns.items() if k.endswith("/server-alias") and isinstance(v, str)
               for a in v.split(",") if a.strip()]
    for host in hosts_seen:
        if host == "*" or host.startswith("*."):
            continue
        twins = aliases + ([host[4:] if host.startswith("www.") else "www." + host] if www else [])
        for twin in twins:
            tp = _plan(plans, twin)
            tp.paths |= plans[host].paths
            tp.regexes |= plans[host].regexes
    default = spec.get("defaultBackend")
    if default and not rules:
        _plan(plans, "*").paths.add("/")
    if isinstance(default, dict) and isinstance((default.get("service") or {}).get("name"), str):
        served.setdefault((ns, default["service"]["name"]), set()).add("*")
    if canary and decisions:
        canaries.append(_Canary(ns, decisions, named | ({("*", "/")} if default else set())))
    tls_entries = [t for t in spec.get("tls") or [] if isinstance(t, dict)]
    for t in tls_entries:
        for h in t.get("hosts") or []:
            if isinstance(h, str):
                _plan(plans, h.lower()).tls = True
    if tls_entries:
        # ingress-nginx serves every host of an Ingress with a tls section over HTTPS (G2); the
        # catch-all server gets no certificate from an Ingress
        for h in hosts_seen:
            if h != "*":
                plans[h].tls = True


def _spread_canaries(old: Sequence[Manifest], plans: dict[str, _HostPlan], canaries: list[_Canary],
                     served: dict[tuple[str, str], set[str]]) -> None:
    """ingress-nginx canaries the primary *Service* on every host and path that proxies to it
    (canary-19): the canary's headers and cookies are probed on all those hosts."""
    if not canaries:
        return
    by_host_path: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for m in old:
        if m.kind != "Ingress":
            continue
        ns = m.namespace or "default"
        for rule in (m.obj.get("spec") or {}).get("rules") or []:
            if not isinstance(rule, dict):
                continue
            host = (rule.get("host") or "").strip().lower() or "*"
            for p in ((rule.get("http") or {}).get("paths") or []) if isinstance(rule.get("http"), dict) else []:
                svc = ((p.get("backend") or {}).get("service") or {}).get("name") if isinstance(p, dict) else None
                if isinstance(svc, str):
                    by_host_path.setdefault((host, p.get("path") or "/"), set()).add((ns, svc))
    for c in canaries:
        hosts: set[str] = set()
        for key in c.paths:
            for svc in by_host_path.get(key, ()):
                hosts |= served.get(svc, set())
        for h in hosts:
            _plan(plans, h).header_sets |= c.decisions


def _route_plans(m: Manifest, plans: dict[str, _HostPlan]) -> None:
    spec = m.obj.get("spec") or {}
    hostnames = [h for h in spec.get("hostnames") or [] if isinstance(h, str)] or ["*"]
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        for match in rule.get("matches") or [{}]:
            if not isinstance(match, dict):
                continue
            for h in hostnames:
                plan = _plan(plans, h.lower())
                path = match.get("path") or {}
                if isinstance(path, dict) and isinstance(path.get("value"), str):
                    if path.get("type") == "RegularExpression":
                        plan.regexes.add(path["value"])
                    else:
                        plan.paths.add(path["value"])
                for hm in match.get("headers") or []:
                    if isinstance(hm, dict) and hm.get("type", "Exact") == "Exact":
                        plan.headers.add((str(hm.get("name")), str(hm.get("value"))))
                for q in match.get("queryParams") or []:
                    if isinstance(q, dict):
                        plan.queries.add((str(q.get("name")), str(q.get("value"))))
                if match.get("method"):
                    plan.methods.add(str(match["method"]))
        for f in rule.get("filters") or []:
            if isinstance(f, dict) and f.get("type") == "CORS":
                for h in hostnames:
                    _plan(plans, h.lower()).cors = True


def _gateway_hosts(m: Manifest, plans: dict[str, _HostPlan]) -> None:
    for lst in (m.obj.get("spec") or {}).get("listeners") or []:
        if isinstance(lst, dict) and isinstance(lst.get("hostname"), str):
            plan = _plan(plans, lst["hostname"].lower())
            if lst.get("protocol") in ("HTTPS", "TLS"):
                plan.tls = True


#: hosts (in name order) probed with every controller-wide variant (upper-case and `:port`
#: Host headers, upper-case paths); beyond them only where a host's own configuration makes
#: them matter (wildcards, regex hosts), so the probe count grows with paths, not hosts x variants
SAMPLE_HOSTS = 50


def _route_acl_plans(old: Sequence[Manifest], plans: dict[str, _HostPlan],
                     served: dict[tuple[str, str], set[str]]) -> None:
    """The header values and methods of a Service's `route-acl` (HAProxy: `hdr(NAME) V...`,
    `method M...`) on the hosts that route to it: the requests the ACL takes, probed whether or
    not the Gateway side kept a match for them."""
    for m in old:
        if m.kind != "Service":
            continue
        anns = (m.obj.get("metadata") or {}).get("annotations") or {}
        for k, v in anns.items() if isinstance(anns, dict) else ():
            if not (isinstance(v, str) and (k == "route-acl" or k.endswith("/route-acl"))):
                continue
            words = v.split()
            fetch = words[0] if words else ""
            patterns = [w for w in words[1:] if not w.startswith("-") and w not in ("str", "found")]
            for host in served.get((m.namespace or "default", m.name), set()):
                plan = _plan(plans, host)
                if fetch == "method":
                    plan.methods |= {w for w in patterns if w.isalpha() and w.isupper()}
                elif fetch.startswith(("hdr(", "req.hdr(", "req.fhdr(")) and fetch.endswith(")"):
                    name = fetch[fetch.index("(") + 1:-1].split(",")[0]
                    plan.headers |= {(name, w) for w in patterns[:4]}


def generate(old: Sequence[Manifest], new: Sequence[Manifest], *, limit_per_host: int = 200,
             sample_hosts: int = SAMPLE_HOSTS, global_lists: Sequence[str] = (),
             forwarded: "Forwarded | None" = None) -> list[Request]:
    """Every probe of `iter_probes`, as one list (tests, and callers that merge extra probes)."""
    return list(iter_probes(old, new, limit_per_host=limit_per_host, sample_hosts=sample_hosts,
                            global_lists=global_lists, forwarded=forwarded))


def _plan_hosts(index: int, host: str, plan: _HostPlan, sample_hosts: int) -> tuple[bool, str, list[str]]:
    """Whether host `host` (the `index`-th in order) is sampled, the Host it is probed as, and
    the Host variants probed on it: the only Host values its probes carry."""
    sampled = index < sample_hosts or host.startswith("*.") or bool(plan.regexes)
    base_host = "catch-all.ing2gw.invalid" if host == "*" else (host[2:] and f"a.{host[2:]}" if host.startswith("*.") else host)
    return sampled, base_host, (host_variants(host) if host != "*" and sampled else [])


def iter_probes(old: Sequence[Manifest], new: Sequence[Manifest], *, limit_per_host: int = 200,
                sample_hosts: int = SAMPLE_HOSTS, global_lists: Sequence[str] = (),
                forwarded: "Forwarded | None" = None) -> Iterator[Request]:
    """Probe requests for two configurations, deterministic and without duplicates, yielded host
    by host so that the check can run and drop them in batches (~292,000 probes at 10,000
    Ingresses were one list before).

    `global_lists` are the controller-wide allow/deny lists (the ingress-nginx ConfigMap's
    whitelist-source-range and denylist-source-range): they cover every host of the old side.

    Host normalisation (case, port) and case-sensitive path matching are the same for every
    host of a controller: they are probed on the first `sample_hosts` hosts, and on every
    wildcard host and every host with regex paths (where case sensitivity is per host)."""
    plans: dict[str, _HostPlan] = {}
    canaries: list[_Canary] = []
    served: dict[tuple[str, str], set[str]] = {}
    for m in old:
        if m.kind == "Ingress":
            _ingress_plans(m, plans, canaries, served)
    _spread_canaries(old, plans, canaries, served)
    _route_acl_plans(old, plans, served)
    for m in new:
        if m.kind in ("HTTPRoute", "GRPCRoute"):
            _route_plans(m, plans)
        elif m.kind == "Gateway":
            _gateway_hosts(m, plans)
    # host isolation both ways: the host-less rules' paths on every host, every host's paths on
    # a host no rule names
    catch_all = plans.get("*")
    basic_secrets = _basic_auth_secrets(old)
    every_path = sorted({p for h, plan in plans.items() if h != "*" for p in plan.paths - plan.regexes})
    ordered = sorted(plans)
    # De-duplication is exact, as over one list, but its memory is bounded: a probe's key holds
    # its Host, and a Host value is only ever probed by the hosts `_plan_hosts` names for it, so
    # the keys of a Host are dropped after the last host that can probe it.
    last_use: dict[str, int] = {UNKNOWN_HOST: -1}
    for index, host in enumerate(ordered):
        _, base_host, variants = _plan_hosts(index, host, plans[host], sample_hosts)
        for h in (base_host, *variants):
            last_use[h] = index
    seen: dict[str, set[tuple[Any, ...]]] = {}
    pending: list[Request] = []

    def add(method: str, scheme: str, host: str, target: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        hs = tuple(headers)
        key = (method, scheme, target, hs)
        keys = seen.setdefault(host, set())
        if key not in keys:
            keys.add(key)
            # built directly (every part is known): the connection goes to the scheme's port even
            # when the Host header names another; SNI is the host without its port
            # (positional: method, scheme, host, port, target, headers, sni; a quarter million calls)
            pending.append(Request(method, scheme, host, DEFAULT_PORTS[scheme], target, hs,
                                   host.rsplit(":", 1)[0] if scheme == "https" else None))

    def done(index: int, hosts: Iterable[str]) -> None:
        for h in hosts:
            if last_use.get(h) == index:
                seen.pop(h, None)

    add("GET", "http", UNKNOWN_HOST, "/")
    add("GET", "https", UNKNOWN_HOST, "/")
    done(-1, [UNKNOWN_HOST])
    yield from pending
    pending.clear()
    for index, host in enumerate(ordered):
        plan = plans[host]
        sampled, base_host, variants = _plan_hosts(index, host, plan, sample_hosts)
        # regexes are probed with sample strings, never as literal paths
        paths = sorted((plan.paths - plan.regexes) | {"/"})
        samples: list[str] = []
        for rx in sorted(plan.regexes):
            samples += _samples_for_regex(rx)
        targets: list[str] = []
        for p in paths:
            if not p.startswith("/"):
                continue
            targets += path_variants(p, case=sampled)
        targets += [s for s in samples if s.startswith("/")]
        targets = list(dict.fromkeys(targets))[:limit_per_host]
        # every path variant over HTTPS only for hosts with TLS on either side; for the others
        # one HTTPS probe shows what happens to HTTPS at all
        # on a TLS host plain HTTP mostly answers the HTTPS redirect: the path and its
        # trailing-slash twin (the automatic 301) are enough there, unless some Ingress of the
        # host serves HTTP itself (ssl-redirect off)
        # every host over both schemes (a default certificate serves HTTPS for hosts without
        # TLS); on a TLS host plain HTTP mostly answers the HTTPS redirect: the path and its
        # trailing-slash twin (the automatic 301) are enough there, unless some Ingress of the
        # host serves HTTP itself (ssl-redirect off)
        others = (catch_all.paths - catch_all.regexes) if host != "*" and catch_all is not None else \
            (set(every_path) if host == "*" else set())
        others_targets = [p for p in sorted(others - plan.paths) if p.startswith("/")][:limit_per_host]
        # behind basic auth, the same requests again with the check's valid credentials of each
        # Secret the host's Ingresses read (simulate.oracle): without them every answer there is a
        # refusal on both sides, and where authenticated requests go would never be compared
        credentials = [(), *(((valid_basic_header(s),) for s in sorted(basic_secrets.get(host, ()))))]
        for scheme in ("http", "https"):
            full = scheme == "https" or not plan.tls or plan.http_served
            for creds in credentials:
                for t in targets if full else http_targets(paths):
                    add("GET", scheme, base_host, t, creds)
                for t in others_targets:
                    add("GET", scheme, base_host, t, creds)
            # the query string must survive (or be dropped) as on the old side, on every path
            for p in paths[:20]:
                if p.startswith("/"):
                    add("GET", scheme, base_host, p + "?probe=1")
        if host != "*" and sampled:
            for hv in variants:
                for scheme in ("http", "https"):
                    add("GET", scheme, hv, "/")
                if len(paths) > 1 and paths[1].startswith("/"):
                    add("GET", "http", hv, paths[1])
        extra_paths = [p for p in paths if p.startswith("/")][:20]
        # header and cookie decisions on every path variant: a rule that matches on a header
        # exists for each of a path's rules (its trailing-slash twin, its automatic 301, ...)
        header_targets = list(dict.fromkeys(extra_paths + targets))[:60]
        for hs in sorted({((n, v),) for n, v in plan.headers} | plan.header_sets):
            for scheme in ("http", "https"):
                for p in header_targets:
                    add("GET", scheme, base_host, p, hs)
        for method in sorted(plan.methods | ({"OPTIONS"} if plan.cors else set())):
            for p in extra_paths:
                add(method, "https", base_host, p)
        if plan.cors:
            for p in extra_paths:
                add("OPTIONS", "https", base_host, p, [("Origin", "https://origin.example"),
                                                       ("Access-Control-Request-Method", "GET")])
        for name, value in sorted(plan.queries):
            for p in extra_paths:
                add("GET", "https", base_host, f"{p}?{name}={value}")
        done(index, (base_host, *variants))
        yield from pending
        pending.clear()
    seen.clear()
    access: set[tuple[Any, ...]] = set()
    for r in access_probes(old, new, global_lists, forwarded):  # client addresses and credentials (allow-lists, basic auth)
        key = (r.method, r.scheme, r.host, r.target, r.headers, r.client_ip, r.no_client_cert)
        if key not in access:
            access.add(key)
            yield r


# ---------------------------------------------------------------------------------------------
# Client addresses and credentials (allow/deny lists, basic auth)

#: addresses tried as "outside every list" (documentation ranges first, then a public one)
_OUTSIDE = ("198.51.100.77", "203.0.113.77", "192.0.2.77", "8.8.8.8", "2001:db8::77")
#: a user name no htpasswd is expected to hold, and a password no probe expects to be valid
PROBE_USER, WRONG_PASSWORD = "ing2gw-probe", "ing2gw-not-the-password"
_LIST_SUFFIXES = ("whitelist-source-range", "allowlist-source-range", "denylist-source-range", "/allow-list",
                  "/deny-list", "/whitelist", "/blacklist")
_CIDR_FIELDS = ("clientCIDRs", "cidrs", "sourceRange", "sourceRanges", "ipBlocks", "remoteIpBlocks",
                "notIpBlocks", "notRemoteIpBlocks")


@dataclass
class _Access:
    """What the probes of one host must try: list entries, and whether basic auth applies."""

    scheme: str = "http"
    path: str = "/"
    networks: set[str] = field(default_factory=set)
    basic_auth: bool = False
    users: set[str] = field(default_factory=set)
    #: (path, answer): the auth service's answers to ask the oracle for on a path of an Ingress
    #: with auth-url (`simulate.oracle`)
    auth_answers: set[tuple[str, int]] = field(default_factory=set)
    #: (scheme, path, bytes): a declared body size to send on a path of an Ingress with
    #: proxy-body-size
    body_sizes: set[tuple[str, str, int]] = field(default_factory=set)
    #: paths of Ingresses that ask for client certificates (auth-tls-secret), probed without one
    client_cert_paths: set[str] = field(default_factory=set)
    #: the forwarded header this host's own lists read the client address from (a Traefik
    #: ipStrategy, HAProxy's src-ip-header), when the controller-wide `forwarded` is not given
    forwarded: "Forwarded | None" = None


def _cidr_values(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return [str(x).strip() for x in items if str(x).strip()]


def _walk_cidrs(obj: Any, out: set[str]) -> None:
    """Every entry of a CIDR list field anywhere in a policy's spec."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in _CIDR_FIELDS:
                out.update(_cidr_values(v))
            else:
                _walk_cidrs(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _walk_cidrs(v, out)


def _htpasswd_users(manifests: Sequence[Manifest], namespace: str, name: str) -> set[str]:
    """The user names of an htpasswd Secret of the input (never its hashes or passwords)."""
    for m in manifests:
        if m.kind != "Secret" or m.group != "" or m.name != name or (m.namespace or "default") != namespace:
            continue
        texts = [str(v) for v in (m.obj.get("stringData") or {}).values()]
        for v in (m.obj.get("data") or {}).values():
            try:
                texts.append(base64.b64decode(str(v)).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                continue
        users = set()
        for text in texts:
            for line in text.splitlines():
                user, sep, _ = line.strip().partition(":")
                if sep and user and not user.startswith("#"):
                    users.add(user)
        return users
    return set()


def _basic_auth_secrets(old: Sequence[Manifest]) -> dict[str, set[str]]:
    """The htpasswd Secrets (`namespace/name`) of the old side's basic auth, by rule host
    (`simulate.oracle` names them in the check's valid credentials): an Ingress's auth-type basic
    (ingress-nginx) or basic-auth (HAProxy) with an auth-secret, and the basicAuth Middlewares
    (Traefik) an Ingress's router.middlewares or an IngressRoute's route names."""
    out: dict[str, set[str]] = {}
    # Traefik basicAuth Middlewares: `<namespace>-<name>` -> the Secret
    middlewares: dict[str, str] = {}
    for m in old:
        if m.kind == "Middleware" and m.group in ("traefik.io", "traefik.containo.us"):
            basic = (m.obj.get("spec") or {}).get("basicAuth")
            if isinstance(basic, dict) and isinstance(basic.get("secret"), str) and basic["secret"]:
                ns = m.namespace or "default"
                middlewares[f"{ns}-{m.name}"] = f"{ns}/{basic['secret']}"
    for m in old:
        if m.kind == "IngressRoute" and middlewares:
            for hosts, refs in _ingress_route_middlewares(m):
                secrets = {middlewares[r] for r in refs if r in middlewares}
                for host in hosts if secrets else ():
                    out.setdefault(host, set()).update(secrets)
        if m.kind != "Ingress":
            continue
        anns = (m.obj.get("metadata") or {}).get("annotations") or {}
        secrets = set()
        kind = secret = ""
        for k, v in anns.items():
            if not isinstance(v, str):
                continue
            if k.endswith("/auth-type"):
                kind = v.strip().lower()
            elif k.endswith("/auth-secret"):
                secret = v.strip()
            elif k.endswith("/router.middlewares"):
                secrets |= {middlewares[r] for r in (ref.strip().removesuffix("@kubernetescrd")
                                                     for ref in v.split(",")) if r in middlewares}
        if kind in ("basic", "basic-auth") and secret:
            secrets.add(secret if "/" in secret else f"{m.namespace or 'default'}/{secret}")
        for rule in (m.obj.get("spec") or {}).get("rules") or [] if secrets else ():
            if isinstance(rule, dict) and rule.get("host"):
                out.setdefault(str(rule["host"]).lower(), set()).update(secrets)
    return out


def _old_access(old: Sequence[Manifest], plans: dict[str, _Access], global_lists: Sequence[str] = ()) -> None:
    """Allow/deny-list annotations and basic auth of the old side's Ingresses, by host; the
    controller-wide lists (`global_lists`) cover every host."""
    everywhere = {c for v in global_lists for c in _cidr_values(v)}
    traefik = _traefik_lists(old, plans)
    # Traefik's and HAProxy's own policies (forwardAuth, buffering, clientAuth, client-ca,
    # ipStrategy, src-ip-header): the same probes as the annotations below
    _source_access(source_policies(old), plans)
    # hosts some Ingress serves with TLS: the body-size probes go over HTTPS too (over HTTP
    # nginx checks the size before its HTTPS redirect)
    tls_anywhere = {str(h).lower() for m in old if m.kind == "Ingress"
                    for t in (m.obj.get("spec") or {}).get("tls") or [] if isinstance(t, dict)
                    for h in t.get("hosts") or []}
    for m in old:
        if m.kind != "Ingress":
            continue
        anns = (m.obj.get("metadata") or {}).get("annotations") or {}
        nets: set[str] = set(everywhere)
        auth = False
        users: set[str] = set()
        answers: set[int] = set()
        for k, v in anns.items():
            if not isinstance(v, str):
                continue
            if k.endswith(_LIST_SUFFIXES):
                nets.update(_cidr_values(v))
            elif k.endswith("/router.middlewares"):
                # Traefik Middlewares named <namespace>-<name>@kubernetescrd (an ipAllowList's ranges)
                for ref in _cidr_values(v):
                    nets |= traefik.get(ref.removesuffix("@kubernetescrd"), set())
            elif k.endswith("/auth-type") and v.strip().lower() == "basic":
                auth = True
            elif k.endswith("/auth-secret") and v.strip():
                ns, _, name = v.strip().rpartition("/")
                users |= _htpasswd_users(old, ns or (m.namespace or "default"), name)
            elif k.endswith("/auth-url") and v.strip():
                # the modelled auth service refuses (ingress-nginx's auth_request); with
                # auth-signin nginx turns a 401 into a sign-in redirect, not modelled: 403 only
                signin = any(k2.endswith("/auth-signin") and isinstance(v2, str) and v2.strip()
                             for k2, v2 in anns.items())
                answers |= {s for s in AUTH_PROBE_STATUSES if not (signin and s == 401)}
        # an Ingress with a Critical-risk annotation (a snippet) is rejected by ingress-nginx under
        # the default annotations-risk-level: its host is the catch-all's (nginx's default 1m
        # body limit, no auth), so its own body-size, auth and certificate settings are not probed
        rejected = any(k.endswith(tuple("/" + c for c in CRITICAL)) for k in anns)
        sizes = set() if rejected else _body_sizes(anns)
        if rejected:
            answers = set()
        mtls = not rejected and any(k.endswith("/auth-tls-secret") and isinstance(v, str) and v.strip()
                                    for k, v in anns.items())
        if not nets and not auth and not answers and not sizes and not mtls:
            continue
        spec = m.obj.get("spec") or {}
        tls_hosts = {h for t in spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []}
        for rule in spec.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            host = str(rule.get("host") or "").lower()
            if not host:
                continue
            paths = [p.get("path") for p in (rule.get("http") or {}).get("paths") or [] if isinstance(p, dict)]
            first = next((p for p in paths if isinstance(p, str) and p.startswith("/")), "/")
            a = plans.setdefault(host, _Access("https" if tls_hosts else "http", first))
            a.networks |= nets
            a.basic_auth |= auth
            a.users |= users
            # a regex path is probed with a string it matches, as the ordinary probes do
            sample = next(iter(_samples_for_regex(first)), first) if any(c in first for c in "([{*+?|\\^$") \
                else first
            a.auth_answers |= {(sample, status) for status in answers}
            schemes = ("http", "https") if tls_hosts or host in tls_anywhere else ("http",)
            a.body_sizes |= {(scheme, sample, size) for scheme in schemes for size in sizes}
            if mtls:
                a.client_cert_paths.add(sample)


def _source_access(policies: Sequence[SourcePolicy], plans: dict[str, _Access]) -> None:
    """Fold the probes other controllers' policies ask for (simulate.source_probes) into `plans`."""
    for p in policies:
        a = plans.setdefault(p.host, _Access(p.scheme, p.path))
        if p.external_auth:
            a.auth_answers |= {(p.path, status) for status in AUTH_PROBE_STATUSES}
        a.body_sizes |= {(scheme, p.path, size) for scheme, size in p.body_sizes}
        if p.client_certificate:
            a.client_cert_paths.add(p.path)
        if p.forwarded_header is not None and a.forwarded is None:
            a.forwarded = Forwarded(p.forwarded_header, EVERY_PEER)


def _body_sizes(anns: dict[str, Any]) -> set[int]:
    """Declared body sizes around the limit an Ingress's proxy-body-size sets: the limit and one
    byte more (nginx answers 413 above client_max_body_size). Only where the annotation sets a
    limit (not `0`, no limit): nginx's default 1m applies to every other location (an Ingress the
    controller rejects, the catch-all server, an Ingress without the annotation), and most
    Gateway data planes (Envoy, the cloud load balancers) have no default limit, so probing it
    would only repeat, on every route, a difference that the translation reports in words (the
    proxy-body-size row) and no Ingress asked for."""
    out: set[int] = set()
    for k, v in anns.items():
        if k.endswith("/proxy-body-size") and isinstance(v, str):
            limit = annotation_body_limit(v)
            if limit:
                out |= {limit, limit + 1}
    return out


def _traefik_lists(old: Sequence[Manifest], plans: dict[str, _Access]) -> dict[str, set[str]]:
    """The address lists of the old side's Traefik Middlewares (`<namespace>-<name>` -> entries),
    and those of the IngressRoutes that use them, by the hosts their `Host(...)` rules name."""
    lists: dict[str, set[str]] = {}
    for m in old:
        if m.kind == "Middleware" and m.group in ("traefik.io", "traefik.containo.us") \
                and isinstance(m.obj.get("spec"), dict):
            nets: set[str] = set()
            _walk_cidrs(m.obj["spec"], nets)
            if nets:
                lists[f"{m.namespace or 'default'}-{m.name}"] = nets
    for m in old:
        if m.kind != "IngressRoute" or not lists:
            continue
        for hosts, refs in _ingress_route_middlewares(m):
            nets = {n for r in refs for n in lists.get(r, ())}
            for host in hosts if nets else ():
                plans.setdefault(host, _Access()).networks |= nets
    return lists


def _ingress_route_middlewares(m: Manifest) -> Iterator[tuple[list[str], list[str]]]:
    """Per route of an IngressRoute: the hosts its `Host(...)` rule names (lower case) and the
    Middlewares it uses, as `<namespace>-<name>`."""
    spec = m.obj.get("spec")
    for route in spec.get("routes") or [] if isinstance(spec, dict) else ():
        if not isinstance(route, dict):
            continue
        refs = [f"{r.get('namespace') or m.namespace or 'default'}-{r.get('name')}"
                for r in route.get("middlewares") or [] if isinstance(r, dict)]
        yield [h.lower() for h in re.findall(r"Host\(\s*`([^`]+)`", str(route.get("match") or ""))], refs


def _new_access(new: Sequence[Manifest], plans: dict[str, _Access]) -> None:
    """CIDR lists and basic auth of implementation policies: on the hosts of the routes of the
    policy's namespace (all routes' hosts for a policy on a Gateway)."""
    hosts_by_ns: dict[str, list[str]] = {}
    for m in new:
        if m.kind == "HTTPRoute":
            for h in (m.obj.get("spec") or {}).get("hostnames") or []:
                if isinstance(h, str) and not h.startswith("*"):
                    hosts_by_ns.setdefault(m.namespace or "default", []).append(h.lower())
    for m in new:
        if m.group in ("", "gateway.networking.k8s.io") or not isinstance(m.obj.get("spec"), dict):
            continue
        spec = m.obj["spec"]
        nets: set[str] = set()
        _walk_cidrs(spec, nets)
        auth = "basicAuth" in spec or spec.get("type") == "Basic"
        if not nets and not auth:
            continue
        refs = [r for r in (spec.get("targetRefs") or [spec.get("targetRef")]) if isinstance(r, dict)]
        hosts = [h for hs in hosts_by_ns.values() for h in hs] if any(r.get("kind") == "Gateway" for r in refs) \
            else hosts_by_ns.get(m.namespace or "default", [])
        for host in hosts:
            a = plans.setdefault(host, _Access())
            a.networks |= nets
            a.basic_auth |= auth


@dataclass(frozen=True)
class Forwarded:
    """The old side takes the client address from a request header (nginx's realip module):
    `header` is its name, `trusted` the peers it is believed from."""

    header: str
    trusted: tuple[Network, ...]


def _forwarded_probes(forwarded: Forwarded, networks: list[Network], outside: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(peer, headers) of the probes for a host with address lists when the old side trusts a
    forwarded header: from a trusted peer outside the lists, the header naming an address inside
    them, one outside, and both (inside leftmost: a recursive walk over trusted entries and a
    count of hops from the right disagree); an untrusted peer naming an inside address; and a
    trusted peer inside the lists naming an outside address."""
    inside = str(networks[0].network_address)
    peers: list[str] = []
    if in_networks(ipaddress.ip_address(outside), forwarded.trusted):
        peers.append(outside)
    else:  # a trusted proxy's address outside the lists (the first such of the trusted ranges)
        for net in forwarded.trusted:
            candidates = [str(a) for a in (net.network_address, net.broadcast_address)
                          if not in_networks(a, networks)]
            if candidates:
                peers.append(candidates[0])
                break
    out: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for peer in dict.fromkeys(peers):
        for value in (inside, outside, f"{inside}, {outside}"):
            out.append((peer, ((forwarded.header, value),)))
    if not in_networks(ipaddress.ip_address(outside), forwarded.trusted):
        out.append((outside, ((forwarded.header, inside),)))
    if in_networks(ipaddress.ip_address(inside), forwarded.trusted):
        # a load balancer inside the allow-list: only the forwarded address keeps others out
        out.append((inside, ((forwarded.header, outside),)))
    return out


def access_probes(old: Sequence[Manifest], new: Sequence[Manifest], global_lists: Sequence[str] = (),
                  forwarded: Forwarded | None = None) -> list[Request]:
    """Probes for the client address and the credentials, where either side looks at them.

    For every host an allow/deny list covers (an Ingress's, an implementation policy's, or one of
    the controller-wide `global_lists`): a request from each list entry's first and last
    address, from the addresses right before and after the entry, and from an address outside
    every list; when the old side believes a forwarded header (`forwarded`), requests carrying it
    (`_forwarded_probes`). For every host with basic auth: a request with credentials of a user the file
    does not hold, and for each user the input's htpasswd names (up to three) with a wrong
    password; a request without credentials is among the ordinary probes. Valid credentials are
    never made up. For every Ingress with auth-url: on its first path of each host, a request
    the modelled auth service refuses with 401 and one it refuses with 403 (`simulate.oracle`;
    403 only with auth-signin, which turns nginx's 401 into a sign-in redirect). For every Ingress
    with proxy-body-size: on its first path of each host, a POST declaring a body of exactly the
    limit and one of one byte more (`_body_sizes`). For every Ingress with auth-tls-secret: on its
    first path of each host, an HTTPS request without a client certificate. Deterministic."""
    plans: dict[str, _Access] = {}
    _old_access(old, plans, global_lists)
    _new_access(new, plans)
    # the Gateway side's own client-certificate validation (spec.tls.frontend): probed without a
    # certificate on its HTTPS listeners' hosts, so that a validation too wide shows too
    _source_access(gateway_frontend_policies(new), plans)
    out: dict[tuple[Any, ...], Request] = {}

    def add(scheme: str, host: str, path: str, client: str | None, headers: tuple[tuple[str, str], ...] = (),
            method: str = "GET", no_cert: bool = False) -> None:
        key = (scheme, host, path, client, headers, method, no_cert)
        if key not in out:
            out[key] = Request(method, scheme, host, DEFAULT_PORTS[scheme], path, headers,
                               host if scheme == "https" else None, client, no_cert)

    for name in sorted(plans):
        a = plans[name]
        # a wildcard rule is probed on one name it covers (as the ordinary probes do)
        host = f"a.{name[2:]}" if name.startswith("*.") else name
        networks = [n for n in (go_cidr_or_ip(e) for e in sorted(a.networks)) if n is not None]
        clients: list[str] = []
        for net in networks:
            clients += boundary_addresses(net)
        outside = next((c for c in _OUTSIDE if not in_networks(ipaddress.ip_address(c), networks)), None)
        if networks and outside is not None:
            clients.append(outside)
        for client in dict.fromkeys(clients):
            add(a.scheme, host, a.path, client)
        fw = forwarded if forwarded is not None else a.forwarded
        if fw is not None and networks and outside is not None:
            for peer, headers in _forwarded_probes(fw, networks, outside):
                add(a.scheme, host, a.path, peer, headers)
        if a.basic_auth:
            inside = str(networks[0].network_address) if networks else None
            for user in [PROBE_USER] + sorted(a.users)[:3]:
                token = base64.b64encode(f"{user}:{WRONG_PASSWORD}".encode()).decode()
                add(a.scheme, host, a.path, inside, (("Authorization", f"Basic {token}"),))
        # external auth: requests the modelled auth service refuses (from inside the lists)
        inside = str(networks[0].network_address) if networks else None
        for path, status in sorted(a.auth_answers):
            add(a.scheme, host, path, inside, (auth_header(status),))
        # body size: a POST declaring a body at and just above the limit
        for scheme, path, size in sorted(a.body_sizes):
            add(scheme, host, path, inside, (("Content-Length", str(size)),), "POST")
            if a.auth_answers:
                # and let through by the modelled auth service: a proxy that asks it before
                # checking the size (Traefik's forwardAuth ahead of buffering) decides too
                add(scheme, host, path, inside, (auth_header(200), ("Content-Length", str(size))), "POST")
        # client certificates: an HTTPS request that presents none (the ordinary probes are
        # modelled as presenting a valid one where a server asks)
        for path in sorted(a.client_cert_paths):
            add("https", host, path, inside, no_cert=True)
    return list(out.values())
