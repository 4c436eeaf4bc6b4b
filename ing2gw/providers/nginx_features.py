"""What one ingress-nginx location does, as IR rules: forwarding plus annotation features.

`location_rules` is the single place where a location's annotations turn into filters,
redirects and extra rules, so the HTTP and HTTPS sides and every host derive from one answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ing2gw import ir

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx import Loc, _Builder


def location_rules(b: "_Builder", loc: "Loc", src: ir.Source, matches: tuple[ir.Match, ...]) -> list[ir.Rule]:
    """The rules (HTTPS side) for one location; an empty list when nothing must be emitted."""
    if loc.is_root and loc.backend is None and not loc.unresolved:
        return []  # the controller's 404 default backend: no rule gives the same 404
    backends = (loc.backend,) if loc.backend is not None else ()
    rule = ir.Rule(matches, src, backends=backends,
                   comment="" if loc.backend is not None else "backend could not be resolved: answers 500")
    from ing2gw.providers.nginx_canary import apply_canary

    return apply_canary(b, loc, rule)
