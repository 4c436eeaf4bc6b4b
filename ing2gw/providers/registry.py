"""One entry per controller ing2gw translates: everything else finds a controller's parts here.

An entry names, as plain strings (nothing is imported until it is used, so `--help` stays fast and
this module stays a leaf of `providers`):

* `provider`: "module:Class" building the IR for the controller's Ingresses (translate);
* `simulator`: its key in `ing2gw.simulate.ROUTERS` ("ingress", key): the old side of the
  equivalence check (equivalence.verification);
* `old_side`: "module:function" giving that simulator what the controller was started with
  (flags, its ConfigMap) from the input and the options, or None;
* `mappings`: its tables in `mappings/` (annotations, ConfigMap keys), without `.yaml`;
* `codes`: its finding codes, `ing2gw/data/codes-<codes>.yaml`;
* `option_group`: the title its options are listed under and those `Options` fields (the CLI
  options of the same names), which mean nothing for any other controller;
* `report_view`: "module:Class" whose `build(inputs, class_of, prefix_of)` gives the report's
  "lost in translation" view the controller's reading of an Ingress (`report.lost.SourceView`),
  or None (the report then says the view was not compared);
* `source_kinds`: the (API group, kind) of the controller's own source objects besides Ingress
  (Traefik's IngressRoute), which the report and the output's ownership treat as Ingresses.

Adding a controller: a package in providers/, a simulator in simulate/, and one entry here
(docs/architecture.md). tests/test_registry.py checks that every part an entry names exists and
that the entries are exactly the controllers mappings/controllers.yaml calls translated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OptionGroup:
    """A controller's own options: a title and the `Options` fields it owns."""

    title: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ControllerEntry:
    """Where a controller's provider, simulator, tables, codes and options are (module docstring)."""

    controller: str
    provider: str
    simulator: str
    mappings: tuple[str, ...]
    codes: str
    option_group: OptionGroup
    old_side: str | None = None
    report_view: str | None = None
    source_kinds: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OldSide:
    """What a controller's simulator needs beyond the manifests: the controller's flags (as given
    to it, e.g. `--annotations-prefix=...`), its ConfigMap's data (empty: none), objects its
    installation creates that the input may lack (e.g. a Helm chart's IngressClass), its static
    configuration document (Traefik's, the simulator's `traefik` context; empty: none), and
    `context`: fields of the simulator's ClusterContext it sets (e.g. `haproxy_flags`), unless the
    caller's context sets them already."""

    flags: tuple[str, ...] = ()
    configmap: dict[str, str] = field(default_factory=dict)
    manifests: tuple[Any, ...] = ()
    static: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, ControllerEntry] = {
    "ingress-nginx": ControllerEntry(
        controller="ingress-nginx",
        provider="ing2gw.providers.ingress_nginx:IngressNginxProvider",
        simulator="ingress-nginx",
        mappings=("ingress-nginx", "ingress-nginx-configmap"),
        codes="nginx",
        option_group=OptionGroup("ingress-nginx", ("annotations_prefix", "ingress_class", "nginx_configmap",
                                                   "nginx_flags")),
        old_side="ing2gw.providers.ingress_nginx.check_setup:old_side",
        report_view="ing2gw.providers.ingress_nginx.report_view:IngressSide",
    ),
    "haproxy": ControllerEntry(
        controller="haproxy",
        provider="ing2gw.providers.haproxy:HAProxyProvider",
        simulator="haproxy",
        mappings=("haproxy",),
        codes="haproxy",
        option_group=OptionGroup("HAProxy", ("haproxy_flags",)),
        old_side="ing2gw.providers.haproxy.check_setup:old_side",
    ),
    "traefik": ControllerEntry(
        controller="traefik",
        provider="ing2gw.providers.traefik:TraefikProvider",
        simulator="traefik",
        mappings=("traefik",),
        codes="traefik",
        option_group=OptionGroup("Traefik", ("traefik_static", "traefik_version")),
        old_side="ing2gw.providers.traefik.check_setup:old_side",
        source_kinds=(("traefik.io", "IngressRoute"), ("traefik.containo.us", "IngressRoute")),
    ),
}


def entry(controller: str) -> ControllerEntry | None:
    """The registry entry of a controller id (mappings/controllers.yaml), or None."""
    return REGISTRY.get(controller)


def controllers() -> list[str]:
    """The controllers ing2gw translates, sorted."""
    return sorted(REGISTRY)
