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
* anything else cannot be expressed: an error finding, and the rule forwards the original path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx import Loc, Server, _Builder

# PCRE features RE2 (the usual Gateway API regex engine) does not have
_NOT_RE2 = re.compile(r"\(\?[=!<]|\(\?>|\\[1-9]|\*\+|\+\+|\?\+|\(\?\(|\\[gk]")
_SEGMENT_GROUPS = re.compile(r"^(?P<prefix>/[^()\[\]{}*+?$^|\\]*?)/?\(/\|\$\)\(\.\*\)$")
_SLASH_OPT = re.compile(r"^(?P<prefix>/[^()\[\]{}*+?$^|\\]*?)/\?\(\.\*\)$")


def regex_for(path: str) -> str:
    """nginx `~* "^<path>"` as a full-match RegularExpression."""
    return f"(?i)^{path}.*"


def b8_order(locs: list["Loc"]) -> list["Loc"]:
    """B8: path string descending, then (stable) length descending."""
    out = sorted(locs, key=lambda l: l.path, reverse=True)
    out.sort(key=lambda l: len(l.path), reverse=True)
    return out


def rewrite_plan(b: "_Builder", loc: "Loc") -> tuple[tuple[ir.Match, ...], ir.Rewrite | None, ir.Redirect | None, str | None]:
    """Matches and rewrite for a location on a regex host; the last item is a problem, if any."""
    a = loc.ann
    target = a.rewrite_target if a is not None else None
    regex_match = (ir.Match(ir.PathMatch("RegularExpression", regex_for(loc.path))),)
    if not target or target == loc.path:
        return regex_match, None, None, None
    if target.startswith(("http://", "https://")):
        if "$" in target:
            return regex_match, None, None, "a redirect target with capture groups"
        from ing2gw.providers.nginx_features import redirect_parts

        scheme, host, port, path, lost = redirect_parts(target)
        if lost:
            return regex_match, None, None, f"a redirect target whose {' and '.join(lost)} Gateway API cannot hold"
        return regex_match, None, ir.Redirect(302, scheme=scheme, hostname=host, port=port, full_path=path), None
    if "$" not in target:
        return regex_match, ir.Rewrite(full_path=target), None, None
    m = _SEGMENT_GROUPS.match(loc.path)
    if m and re.fullmatch(r"(/[^$]*)?\$2", target):
        prefix = m.group("prefix") or "/"
        return (ir.Match(ir.PathMatch("PathPrefix", prefix)),), ir.Rewrite(prefix_path=target[:-2] or "/"), None, None
    m = _SLASH_OPT.match(loc.path)
    if m and re.fullmatch(r"(/[^$]*)?\$1", target):
        prefix = m.group("prefix") or "/"
        return (ir.Match(ir.PathMatch("PathPrefix", prefix)),), ir.Rewrite(prefix_path=target[:-2] or "/"), None, None
    return regex_match, None, None, f"the rewrite {loc.path!r} -> {target!r} (capture groups in other forms)"


def emit_regex_server(b: "_Builder", server: "Server") -> None:
    from ing2gw.providers import nginx_paths
    from ing2gw.providers.nginx_features import location_rules

    prefix = b.ctx.options.annotations_prefix
    owners: dict[str, nginx_paths._Owner] = {}
    redirect_code = b.glob.http_redirect_code
    affected: list[str] = []
    for loc in b8_order(server.locs):
        if loc.owner is None:
            continue
        o = owners.setdefault(loc.owner.key, nginx_paths._Owner(loc.owner))
        src = ir.Source(loc.owner.namespace, loc.owner.name, loc.owner.origin)
        if _NOT_RE2.search(loc.path):
            b.ctx.finding(Severity.ERROR, "ING2GW-NGINX-021",
                          f"{loc.where}: path {loc.path!r} uses PCRE features RE2-based Gateway implementations "
                          "do not support (look-around, back-references, ...); this route is not in the output",
                          ing=loc.owner, annotation=f"{prefix}/use-regex", value=loc.path)
            continue
        if loc.is_root and loc.backend is None and not loc.unresolved and not (loc.ann and loc.ann.get("redirect")):
            # the 404 default root: no rule, so its inherited rewrite does not matter
            matches, rewrite, redirect, problem = (ir.Match(ir.PathMatch("RegularExpression", regex_for(loc.path))),), \
                None, None, None
        else:
            matches, rewrite, redirect, problem = rewrite_plan(b, loc)
        if problem:
            b.ctx.finding(Severity.ERROR, "ING2GW-NGINX-022",
                          f"{loc.where}: {problem} cannot be expressed with URLRewrite (ReplaceFullPath or "
                          "ReplacePrefixMatch); the backend now receives the original path", ing=loc.owner,
                          annotation=f"{prefix}/rewrite-target", value=loc.ann.rewrite_target if loc.ann else None,
                          suggestion="rewrite in the backend, or use your implementation's regex rewrite policy")
        elif rewrite is not None and rewrite.prefix_path is not None:
            b.ctx.finding(Severity.INFO, "ING2GW-NGINX-023",
                          f"{loc.where}: rewrite {loc.path!r} -> {loc.ann.rewrite_target if loc.ann else ''!r} became "
                          f"PathPrefix {matches[0].path.value if matches[0].path else ''} with ReplacePrefixMatch "
                          f"{rewrite.prefix_path}; unlike nginx the match is case-sensitive", ing=loc.owner,
                          annotation=f"{prefix}/rewrite-target", value=loc.ann.rewrite_target if loc.ann else None)
        if loc.type == "Exact" or (loc.path != "/" and not (loc.ann and (loc.ann.use_regex or loc.ann.rewrite_target))):
            affected.append(f"{loc.type} {loc.path}")
        xfp = loc.ann.get("x_forwarded_prefix") if loc.ann is not None else None
        headers = ir.HeaderChanges(set=(("X-Forwarded-Prefix", xfp),)) if xfp and (rewrite or redirect) else None
        if redirect is not None:
            rules = [ir.Rule(matches, src, redirect=redirect, comment="rewrite-target to a URL: nginx answers 302 (F1)")]
        else:
            rules = location_rules(b, loc, src, matches, rewrite=rewrite, rewrite_headers=headers)
        ssl = nginx_paths.ssl_redirects(b, server, loc)
        for rule in rules:
            o.https.append(rule)
            o.http.append(nginx_paths._ssl_redirect_rule(rule, redirect_code, src)
                          if ssl and not rule.redirect else rule)
        if not rules and loc.is_root and ssl:
            o.http.append(ir.Rule(matches, src, redirect=ir.Redirect(redirect_code, scheme="https"),
                                  comment="HTTP->HTTPS redirect of the host's unmatched paths (B4, G3)"))
    nginx_paths.add_app_root(b, server, owners)
    first = server.first or next((o.ing for o in owners.values()), None)
    if first is not None:
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-020",
                      f"host {server.host}: use-regex or rewrite-target makes ingress-nginx match every path of the "
                      "host as a case-insensitive regex anchored at the start, longest path first; emitted as "
                      "RegularExpression matches '(?i)^<path>.*', whose dialect and precedence are "
                      "implementation-specific in Gateway API"
                      + (f". Paths whose meaning this changes: {', '.join(affected[:10])}" if affected else ""),
                      ing=first, annotation=f"{prefix}/use-regex",
                      suggestion="check that your implementation supports RegularExpression paths (RE2, full match)",
                      details={"hosts": server.host})
    nginx_paths._attach(b, server, owners)
