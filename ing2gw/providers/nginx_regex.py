"""Hosts where ingress-nginx matches every path as a case-insensitive regex (B10, D3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ing2gw.findings import Severity

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx import Server, _Builder


def emit_regex_server(b: "_Builder", server: "Server") -> None:
    from ing2gw.providers import nginx_paths

    first = server.first
    if first is not None:
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-020",
                      f"host {server.host} uses regex matching (use-regex or rewrite-target); not translated yet, "
                      "paths were emitted as plain prefixes", ing=first)
    owners = nginx_paths._owners_for_static_server(b, server)
    nginx_paths._attach(b, server, owners)
