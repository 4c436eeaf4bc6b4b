"""Hosts where ingress-nginx matches every path as a case-insensitive regex (B10, D3, F1).

One `use-regex: "true"`, or a `rewrite-target` different from its path, on any Ingress of a host
renders every location of that host as `location ~* "^<path>"`, tried longest path first (B8):
Exact paths lose exactness, Prefix paths become case-insensitive string prefixes, and no
automatic 301 exists. We reproduce it with RegularExpression matches `(?i)^<path>.*`, whose
length order is nginx's order, and report the host once (dialect and precedence of
RegularExpression are implementation-specific in Gateway API).

rewrite-target (F1) replaces the whole URI with the target after substituting capture groups:
* a static target becomes URLRewrite ReplaceFullPath (the query string is kept by both);
* the common form `P(/|$)(.*)` -> `T$2` (and `P/?(.*)` -> `T$1`) becomes PathPrefix P with
  ReplacePrefixMatch T: the same upstream path, matched case-sensitively;
* a target starting with http(s):// makes nginx answer 302 with that URL;
* anything else, when the target carries the `regex-rewrite` intent (Envoy Gateway's
  HTTPRouteFilter), becomes a regex rewrite of the whole path: nginx's `rewrite "(?i)<path>"
  <target> break` replaces the whole URI when the location's regex matches it from the start,
  which is ReplaceRegexMatch of `(?i)^<path>.*` (the location's own match: the same captures,
  leftmost-first in PCRE and RE2) by the target with `$N` written `\\N`;
* else it cannot be expressed: an error finding, and the rule forwards the original path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.equivalence.prediction import paths_detail

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx.state import BuildState, Loc, Server

# PCRE features RE2 (the usual Gateway API regex engine) does not have
_NOT_RE2 = re.compile(r"\(\?[=!<]|\(\?>|\\[1-9]|\*\+|\+\+|\?\+|\(\?\(|\\[gk]")
#: literal path text: no regex metacharacter ('.' matches any character)
_LIT = r"[^()\[\]{}*+?$^|\\.]"
#: `P(/|$)(.*)`: P and everything below it, $2 the rest after `P/`
_FORM_SEGMENT = re.compile(rf"^(?P<prefix>/{_LIT}*?)\(/\|\$\)\(\.\*\)$")
#: `P/(.*)` and `P/(.+)`: everything below P (not P itself), $1 the rest after `P/`
_FORM_BELOW = re.compile(rf"^(?P<prefix>(?:/{_LIT}*?)?)/\((?P<rest>\.[*+])\)$")
#: a target that appends one capture group to a literal ending in '/'
_TARGET_GROUP = re.compile(r"^(?P<base>/(?:[^$]*/)?)\$(?P<n>[1-9])$")
_GROUP_REF = re.compile(r"\$([1-9])")


def regex_for(path: str) -> str:
    """nginx `~* "^<path>"` as a full-match RegularExpression."""
    return f"(?i)^{path}.*"


def b8_order(locs: list["Loc"]) -> list["Loc"]:
    """B8: path string descending, then (stable) length descending."""
    out = sorted(locs, key=lambda l: l.path, reverse=True)
    out.sort(key=lambda l: len(l.path), reverse=True)
    return out


def nginx_locations(locs: list["Loc"]) -> list["Loc"]:
    """The host's locations as nginx lists them on a regex host: B8 order, then B9 prefix
    expansion. A Prefix `/p` (without a regex or rewrite of its own) becomes `/p/` plus an Exact
    twin `/p` right after it, unless an Exact `/p` exists: as regexes the pair matches what
    `^/p` matches, so it stays one location `/p`; without the twin it is `/p/`."""
    exact = {l.path for l in locs if l.type == "Exact"}
    out = []
    for loc in b8_order(locs):
        a = loc.ann
        own = a is not None and (a.use_regex or (a.rewrite_target and a.rewrite_target != loc.path))
        if loc.path == "/" or loc.type != "Prefix" or own or loc.path.endswith("/") or loc.path not in exact:
            out.append(loc)
        else:
            out.append(replace(loc, path=loc.path + "/"))
    return out


def _is_literal(path: str) -> bool:
    return not any(c in "()[]{}*+?$^|\\." for c in path)


def _inversions(emitted: list[tuple[str, str, str]]) -> set[str]:
    """Patterns whose order a Gateway may not keep: Gateway API ranks RegularExpression rules by
    the implementation's rules (modelled: longest pattern first, then route and rule order),
    nginx by its list. A later pattern that is longer, or as long in another route, than an
    earlier one it may share requests with can win where nginx's earlier one does."""
    out: set[str] = set()
    for i, (late, owner, path) in enumerate(emitted):
        for early, early_owner, early_path in emitted[:i]:
            if len(late) < len(early) or (len(late) == len(early) and owner == early_owner):
                continue
            if _is_literal(path) and _is_literal(early_path) and not (
                    path.lower().startswith(early_path.lower()) or early_path.lower().startswith(path.lower())):
                continue  # two literal prefixes that share no request
            out |= {late, early}
    return out


def _groups(path: str) -> int | None:
    """Capture groups of a location regex (Python's reading of the PCRE), None when unreadable."""
    try:
        return re.compile(path).groups
    except (re.error, OverflowError, RecursionError):
        return None


def _literal(path: str) -> str:
    """The lower-case literal text every match of the location regex starts with."""
    out: list[str] = []
    for ch in path:
        if ch in "()[]{}*+?$^|\\.":
            if ch in "?*{" and out:
                out.pop()
            break
        out.append(ch)
    return "".join(out).lower()


def nginx_pick(order: list["Loc"], uri: str, skip: "Loc") -> "Loc | None":
    """D3: the first location in B8 order (other than `skip`) whose regex matches `uri`."""
    for loc in order:
        if loc is skip:
            continue
        try:
            if re.match(loc.path, uri, re.IGNORECASE):
                return loc
        except re.error:
            return None  # cannot tell: the caller does not rely on it
    return None


@dataclass
class Plan:
    """How one location of a regex host is expressed."""

    matches: tuple[ir.Match, ...]
    rewrite: ir.Rewrite | None = None
    redirect: ir.Redirect | None = None
    problem: str | None = None
    #: Exact requests the PathPrefix takes that nginx answers otherwise: (path, location, its rewrite)
    exact: list[tuple[str, "Loc", ir.Rewrite | None]] = field(default_factory=list)
    #: Exact requests the translation cannot answer as nginx does (named in a finding)
    lost: list[str] = field(default_factory=list)


def _target(loc: "Loc") -> str | None:
    """The rewrite target with the capture groups the path does not have removed: nginx expands
    them to nothing (`/$2` on a path without groups is `/`)."""
    target = loc.ann.rewrite_target if loc.ann is not None else None
    if not target or "$" not in target:
        return target
    groups = _groups(loc.path)
    if groups is None:
        return target
    return _GROUP_REF.sub(lambda m: m.group(0) if int(m.group(1)) <= groups else "", target)


def rewrite_plan(b: "BuildState", loc: "Loc", order: list["Loc"]) -> Plan:
    """Matches and rewrite for a location on a regex host (F1), exact where Gateway API can be."""
    raw = loc.ann.rewrite_target if loc.ann is not None else None
    regex_match = (ir.Match(ir.PathMatch("RegularExpression", regex_for(loc.path))),)
    if not raw or raw == loc.path:
        return Plan(regex_match)  # F1: a target equal to the path is no rewrite
    target = _target(loc) or ""
    if target.startswith(("http://", "https://")):
        if "$" in target:
            return Plan(regex_match, problem="a redirect target with capture groups")
        from ing2gw.providers.ingress_nginx.features import redirect_parts

        scheme, host, port, path, lost = redirect_parts(target)
        if lost:
            return Plan(regex_match, problem=f"a redirect target whose {' and '.join(lost)} Gateway API cannot hold")
        return Plan(regex_match, redirect=ir.Redirect(302, scheme=scheme, hostname=host, port=port, full_path=path))
    if "$" not in target:
        return Plan(regex_match, ir.Rewrite(full_path=target))
    plan = _prefix_plan(loc, target, order)
    if plan is not None:
        return plan
    from ing2gw.emit.targets.carry import carries

    if carries(b.ctx.options.target, "regex-rewrite", {"pattern": regex_for(loc.path), "target": target}):
        return Plan(regex_match, ir.Rewrite(regex=(regex_for(loc.path), re2_substitution(target))))
    return Plan(regex_match, problem=f"the rewrite {loc.path!r} -> {target!r} (capture groups in other forms)")


def re2_substitution(target: str) -> str:
    """nginx's replacement `/v2/$2/$1` as an RE2 substitution `/v2/\\2/\\1` (a backslash doubled)."""
    return _GROUP_REF.sub(r"\\\1", target.replace("\\", "\\\\"))


def _prefix_plan(loc: "Loc", target: str, order: list["Loc"]) -> Plan | None:
    """`P(/|$)(.*)` -> `T$2` and `P/(.*)` -> `T$1` (T ending in '/') as PathPrefix + ReplacePrefixMatch:
    nginx's regex takes P's path elements, as PathPrefix does, and puts the rest after T. None
    when the form differs, or when a location nginx tries first could take some of the same
    requests (PathPrefix outranks every RegularExpression rule in Gateway API)."""
    t = _TARGET_GROUP.match(target)
    if t is None:
        return None
    base, group = t.group("base"), int(t.group("n"))
    seg, below = _FORM_SEGMENT.match(loc.path), _FORM_BELOW.match(loc.path)
    if seg is not None and group == 2:
        prefix = seg.group("prefix")
        uncovered: list[str] = []
    elif below is not None and group == 1:
        prefix = below.group("prefix") + "/"
        # the PathPrefix also takes P (and, for `.+`, P/), which nginx's regex leaves to others
        uncovered = [below.group("prefix")] if below.group("prefix") else []
        if below.group("rest") == ".+":
            uncovered.append(prefix)
    else:
        return None
    lit = prefix.lower().rstrip("/")
    for other in order:
        if other is loc:
            break
        lo = _literal(other.path)
        if lo.startswith(lit) or lit.startswith(lo.rstrip("/")):
            return None  # an earlier (longer) location may take requests the PathPrefix would take
    plan = Plan((ir.Match(ir.PathMatch("PathPrefix", prefix)),), ir.Rewrite(prefix_path=base))
    if seg is not None and base != "/":
        # ReplacePrefixMatch of P itself gives T without its trailing '/'; nginx gives T
        plan.exact.append((prefix, loc, ir.Rewrite(full_path=base)))
    for uri in uncovered:
        picked = nginx_pick(order, uri, loc)
        if picked is None or picked.owner is None or (picked.is_root and picked.backend is None
                                                       and not picked.unresolved):
            plan.lost.append(uri)  # nginx's answer (its own 404, or unknown) has no rule form
            continue
        other = picked
        raw = other.ann.rewrite_target if other.ann is not None else None
        other_target = _target(other)
        if raw and raw != other.path:
            if not other_target or "$" in other_target or other_target.startswith(("http://", "https://")):
                plan.lost.append(uri)
                continue
            plan.exact.append((uri, other, ir.Rewrite(full_path=other_target)))
        else:
            plan.exact.append((uri, other, None))
    return plan


def emit_regex_server(b: "BuildState", server: "Server") -> None:
    from ing2gw.providers.ingress_nginx import paths as nginx_paths
    from ing2gw.providers.ingress_nginx.features import location_rules

    prefix = b.ctx.options.annotations_prefix
    owners: dict[str, nginx_paths._Owner] = {}
    redirect_code = b.glob.http_redirect_code
    affected: list[str] = []
    as_prefix: list[str] = []  # what the message must say was emitted: not every path became a regex
    as_regex: list[str] = []
    order = nginx_locations(server.locs)
    host_detail = "*" if server.host == "_" else server.host

    def add(loc: "Loc", matches: tuple[ir.Match, ...], rewrite: ir.Rewrite | None, redirect: ir.Redirect | None,
            rewritten: bool, front: bool = False) -> None:
        assert loc.owner is not None
        o = owners.setdefault(loc.owner.key, nginx_paths._Owner(loc.owner))
        src = ir.Source(loc.owner.namespace, loc.owner.name, loc.owner.origin)
        for m in matches:
            if m.path is not None and m.path.type == "RegularExpression":
                emitted.append((m.path.value, loc.owner.key, loc.path))
        xfp = loc.ann.x_forwarded_prefix if loc.ann is not None else None
        # F2: nginx sets X-Forwarded-Prefix only on requests its rewrite changed
        headers = ir.HeaderChanges(set=(("X-Forwarded-Prefix", xfp),)) if xfp and rewritten else None
        if redirect is not None:
            rules = [ir.Rule(matches, src, redirect=redirect, comment="rewrite-target to a URL: nginx answers 302 (F1)")]
        else:
            # the root location comes last (B8): every other rule of the host is known by then
            no_prefix = loc.is_root and not any(m.path is not None and m.path.type == "PathPrefix"
                                                for o in owners.values() for r in o.https + o.http
                                                for m in r.matches)
            rules = location_rules(b, loc, src, matches, rewrite=rewrite, rewrite_headers=headers,
                                   regex_catch_all=no_prefix)
        ssl = nginx_paths.ssl_redirects(b, server, loc)
        https = list(rules)
        http = [nginx_paths._ssl_redirect_rule(rule, redirect_code, src) if ssl and not rule.redirect else rule
                for rule in rules]
        if not rules and loc.is_root and ssl:
            http.append(ir.Rule(matches, src, redirect=ir.Redirect(redirect_code, scheme="https"),
                                comment="HTTP->HTTPS redirect of the host's unmatched paths (B4, G3)"))
        if front:
            o.https[:0], o.http[:0] = https, http
        else:
            o.https += https
            o.http += http
            first_path = matches[0].path if matches and (rules or (loc.is_root and ssl)) else None
            if first_path is not None and first_path.type == "PathPrefix":
                as_prefix.append(first_path.value)
            elif first_path is not None:
                as_regex.append(loc.path)

    #: (pattern, route owner, location path) of the RegularExpression rules, in nginx's order
    emitted: list[tuple[str, str, str]] = []
    seen: dict[str, "Loc"] = {}
    for loc in order:
        earlier = seen.setdefault(loc.path, loc)
        if earlier is loc and _is_literal(loc.path):
            # an earlier literal location whose text starts this one's takes all its requests
            earlier = next((o for o in order[:order.index(loc)] if _is_literal(o.path)
                            and loc.path.lower().startswith(o.path.lower())), loc)
        if earlier is not loc:
            # the same `~* "^<path>"` as a location nginx tries first: never reached (D3)
            if loc.owner is not None:
                b.ctx.finding(Severity.INFO, "ING2GW-NGINX-075",
                              f"{loc.where}: on host {server.host}, {loc.type} {loc.path} becomes the same regex location "
                              f"as {earlier.type} {earlier.path}"
                              f" ({earlier.owner.key if earlier.owner else 'the host default'}), which nginx tries "
                              "first: it never answers a request, and nothing is emitted for it", ing=loc.owner)
            continue
        if loc.owner is None:
            continue
        if _NOT_RE2.search(loc.path):
            b.ctx.finding(Severity.ERROR, "ING2GW-NGINX-021",
                          f"{loc.where}: path {loc.path!r} uses PCRE features RE2-based Gateway implementations "
                          "do not support (look-around, back-references, ...); this route is not in the output",
                          ing=loc.owner, annotation=f"{prefix}/use-regex", value=loc.path)
            continue
        if loc.is_root and loc.backend is None and not loc.unresolved and not (loc.ann and loc.ann.redirect):
            # the 404 default root: no rule, so its inherited rewrite does not matter
            plan = Plan((ir.Match(ir.PathMatch("RegularExpression", regex_for(loc.path))),))
        else:
            plan = rewrite_plan(b, loc, order)
        matches, rewrite = plan.matches, plan.rewrite
        if plan.problem:
            b.ctx.finding(Severity.ERROR, "ING2GW-NGINX-022",
                          f"{loc.where}: {plan.problem} cannot be expressed with URLRewrite (ReplaceFullPath or "
                          "ReplacePrefixMatch); the backend now receives the original path", ing=loc.owner,
                          annotation=f"{prefix}/rewrite-target", value=loc.ann.rewrite_target if loc.ann else None,
                          suggestion="rewrite in the backend, or use your implementation's regex rewrite policy",
                          details={"paths": paths_detail([("regex", regex_for(loc.path))])})
        elif rewrite is not None and rewrite.prefix_path is not None:
            pm = matches[0].path.value if matches[0].path else loc.path
            lost = [("exact", u) for u in plan.lost]
            b.ctx.finding(Severity.INFO, "ING2GW-NGINX-023",
                          f"{loc.where}: rewrite {loc.path!r} -> {loc.ann.rewrite_target if loc.ann else ''!r} became "
                          f"PathPrefix {pm} with ReplacePrefixMatch {rewrite.prefix_path}; unlike nginx the match is "
                          f"case-sensitive (requests for {pm} in other letter case go elsewhere)"
                          + (f", and the PathPrefix also takes {', '.join(plan.lost)}, which ingress-nginx answers "
                             "with its default backend" if plan.lost else ""), ing=loc.owner,
                          annotation=f"{prefix}/rewrite-target", value=loc.ann.rewrite_target if loc.ann else None,
                          details={"hosts": host_detail, "paths": paths_detail([("case-variant", pm)] + lost)})
        if loc.type == "Exact" or (loc.path != "/" and not (loc.ann and (loc.ann.use_regex or loc.ann.rewrite_target))):
            affected.append(f"{loc.type} {loc.path}")
        add(loc, matches, rewrite, plan.redirect, rewritten=rewrite is not None or plan.redirect is not None)
        for uri, other, other_rewrite in plan.exact:
            # Exact outranks the PathPrefix: these requests get the answer nginx gives them
            add(other, (ir.Match(ir.PathMatch("Exact", uri)),), other_rewrite, None,
                rewritten=other_rewrite is not None, front=True)
    nginx_paths.add_app_root(b, server, owners)
    # RegularExpression precedence between routes is implementation-specific; the translation
    # lists them longest first, nginx's order, which decides only between different lengths:
    # patterns of equal length in different routes may be tried in another order than nginx's
    tied = sorted(_inversions(emitted))
    first = server.first or next((o.ing for o in owners.values()), None)
    if first is not None:
        emitted_as = ("RegularExpression matches '(?i)^<path>.*', whose dialect and precedence are "
                      "implementation-specific in Gateway API")
        if as_prefix:
            # a rewrite with capture groups became PathPrefix + ReplacePrefixMatch (NGINX-023): say so
            emitted_as = (f"PathPrefix {', '.join(dict.fromkeys(as_prefix))} (case-sensitive, unlike nginx's regex: the "
                       "rewrite-target became ReplacePrefixMatch, ING2GW-NGINX-023)"
                       + (f" and RegularExpression matches '(?i)^<path>.*' for {', '.join(dict.fromkeys(as_regex))}, "
                          "whose dialect and precedence are implementation-specific in Gateway API" if as_regex else ""))
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-020",
                      f"host {server.host}: use-regex or rewrite-target makes ingress-nginx match every path of the "
                      f"host as a case-insensitive regex anchored at the start, longest path first; emitted as {emitted_as}"
                      + (f". Paths whose meaning this changes: {', '.join(affected[:10])}" if affected else "")
                      + (f". Patterns of equal length in different routes, whose order only the implementation "
                         f"decides: {', '.join(tied[:10])}" if tied else ""),
                      ing=first, annotation=f"{prefix}/use-regex",
                      suggestion="check that your implementation supports RegularExpression paths (RE2, full match)"
                      if as_regex or not as_prefix else "check the access logs for requests whose path differs only "
                      "in letter case from these prefixes: they now get 404",
                      details={"hosts": host_detail, **({"paths": paths_detail([("tie", p) for p in tied])}
                                                        if tied else {})})
    nginx_paths._attach(b, server, owners)
