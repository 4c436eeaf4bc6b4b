"""ingress-nginx canary Ingresses (B6, F5): merged into the primary Service's upstream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ing2gw import ir
from ing2gw.findings import Severity
from ing2gw.model.ingress import Ingress

if TYPE_CHECKING:
    from ing2gw.providers.ingress_nginx import Loc, _Builder


def merge_canaries(b: "_Builder", canaries: list[Ingress]) -> None:
    for ing in canaries:
        b.ctx.finding(Severity.WARNING, "ING2GW-NGINX-030",
                      "canary Ingress not translated yet: its traffic share and header/cookie rules are lost",
                      ing=ing, annotation=f"{b.ctx.options.annotations_prefix}/canary")


def apply_canary(b: "_Builder", loc: "Loc", rule: ir.Rule) -> list[ir.Rule]:
    return [rule]
