"""`--listeners listenerset`: one platform Gateway per class, each namespace's hosts in its ListenerSet.

Gateway API v1.5+ (Standard channel, GEP-1713): a ListenerSet in an application namespace adds
listeners to a Gateway that admits it (`spec.allowedListeners`); the implementation merges them
into the Gateway's own (the Gateway first, then ListenerSets oldest first), so every host keeps
one address however many there are. What goes where:

* A listener whose host only one namespace serves (`ir.Listener.owner`, decided by the provider)
  goes to that namespace's ListenerSet, named like the Gateway (`<ns>/<gateway name>`, then
  `-2`, `-3`, ... past 64 listeners: a ListenerSet holds 64 too; a host's listeners stay in one
  ListenerSet, and a namespace's ListenerSets never mix namespaces). Its certificates are
  Secrets of that namespace: no ReferenceGrant. Its allowedRoutes keep the default `Same`
  (the ListenerSet's namespace, the only one whose routes used the host).
* The Gateway keeps the listeners nobody owns alone (the catch-all, hosts of several
  namespaces: ING2GW-CORE-062) and admits ListenerSets from exactly the owning namespaces. A
  Gateway needs one listener at least: with nothing left, it gets a placeholder HTTP listener
  for a name under `.invalid` (RFC 2606: never resolves), which serves nothing.
* Routes attach to the listener by `parentRefs: [{kind: ListenerSet, name, sectionName}]` (a
  route's Gateway parentRef would not reach a ListenerSet's listeners, GEP-1713 "Route
  Attachment").
* cert-manager (1.20+, ListenerSets feature gate) reads the issuer annotations on the
  ListenerSet and issues into its namespace; the Gateway carries none of them (cert-manager
  would pass the Gateway's issuer kind and group down to every ListenerSet).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ing2gw import ir
from ing2gw.emit.listeners import _cert_manager, _gateways, _listener, _listener_name, split_listeners
from ing2gw.emit.objects import CLASS_ANNOTATION, MAX_LISTENERS, Output, Section, _build, allocate
from ing2gw.findings import Finding, Severity

#: the Gateway's only listener when every host moved to ListenerSets
PLACEHOLDER_NAME = "placeholder"
PLACEHOLDER_HOST = "placeholder.ing2gw.invalid"


def gateway_and_sets(g: ir.Gateway, out: Output) -> list[tuple[dict[str, Any], dict[ir.ListenerKey, Section]]]:
    """The Gateway(s) of `g` (returned, for the platform) and its ListenerSets (added to the
    application namespaces of `out`), with where each listener ended up."""
    shared = [lst for lst in g.listeners.values() if lst.owner is None]
    owned: dict[str, list[ir.Listener]] = defaultdict(list)
    for lst in g.listeners.values():
        if lst.owner is not None:
            owned[lst.owner].append(lst)
    if not owned:
        return _gateways(g, out, shared, shared_only=True)
    sections: dict[ir.ListenerKey, Section] = {}
    counts: list[str] = []
    # cert-manager passes a Gateway's issuer annotations down to ListenerSets that have none
    gateway_issues = any(lst.cert_manager is not None for lst in shared)
    for ns in sorted(owned):
        parts = split_listeners(owned[ns])
        if len(parts) > 1:
            out.findings.append(Finding(
                Severity.INFO, "ING2GW-CORE-020",
                f"the hosts of namespace {ns} need {sum(map(len, parts))} listeners; a ListenerSet holds "
                f"{MAX_LISTENERS}, so they are split into {len(parts)} ListenerSets attached to Gateway "
                f"{g.namespace}/{g.name}", subject=f"ListenerSet {ns}/{g.name}"))
        for i, part in enumerate(parts):
            name = g.name if i == 0 else f"{g.name}-{i + 1}"
            out.apps.setdefault(ns, []).append(_listener_set(g, ns, name, part, sections, out, gateway_issues))
        counts.append(f"{ns} ({len({l.key.hostname for l in owned[ns]})} host(s))")
    allowed = {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(owned)}]}}}
    placeholder = [] if shared else [{"name": PLACEHOLDER_NAME, "hostname": PLACEHOLDER_HOST, "port": 80,
                                      "protocol": "HTTP"}]
    out.findings.append(Finding(
        Severity.INFO, "ING2GW-CORE-061",
        f"admits the ListenerSets of {len(owned)} namespace(s), which hold the listeners of their hosts: "
        f"{', '.join(counts[:10])}{f' and {len(counts) - 10} more' if len(counts) > 10 else ''}"
        + ("" if shared else f"; with no listener left, the Gateway keeps a placeholder for {PLACEHOLDER_HOST}"),
        subject=f"Gateway {g.namespace}/{g.name}",
        suggestion="the Gateway implementation must support ListenerSet (Gateway API v1.5+, conformance feature "
                   "SupportListenerSet); deploy the Gateway before the ListenerSets"))
    built = _gateways(g, out, shared, extra_listeners=placeholder, allowed_listeners=allowed, shared_only=True)
    built[0][1].update(sections)
    return built


def _listener_set(g: ir.Gateway, ns: str, name: str, listeners: list[ir.Listener],
                  sections: dict[ir.ListenerKey, Section], out: Output, gateway_issues: bool) -> dict[str, Any]:
    """One ListenerSet. When its parent Gateway carries cert-manager issuer annotations (for
    shared hosts), cert-manager applies them to a ListenerSet without its own
    (`certificate-shim/listenerset`, inheritAnnotations): its HTTPS listeners are then listed in
    `cert-manager.io/ignore-tls-listeners`, so that their Secrets are not taken over."""
    names = allocate([(repr(l.key), _listener_name(l.key)) for l in listeners])
    specs = []
    for lst in listeners:
        sname = names[repr(lst.key)]
        sections[lst.key] = ("ListenerSet", ns, name, sname)
        specs.append(_listener(lst, sname, ns, in_set=True))
    cm_annotations = _cert_manager(ns, f"ListenerSet {ns}/{name}", listeners, names, out, in_set=True)
    https = sorted(names[repr(l.key)] for l in listeners if l.key.protocol == "HTTPS")
    if gateway_issues and not cm_annotations and https:
        cm_annotations = {"cert-manager.io/ignore-tls-listeners": ",".join(https)}
    md: dict[str, Any] = {"name": name, "namespace": ns,
                          "annotations": {CLASS_ANNOTATION: ",".join(g.ingress_classes), **cm_annotations}}
    return _build("ListenerSet", {"metadata": md, "spec": {"parentRef": {"name": g.name, "namespace": g.namespace},
                                                            "listeners": specs}})
