"""Gateways and their listeners: splitting the listeners over Gateways (at most 64 each), the
listener and certificate (cert-manager) objects. Used by `gateway.emit` for the Gateway layout
and by `listenersets` for the ListenerSet layout; imports neither.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from ing2gw import ir
from ing2gw.emit.objects import (ANNOTATIONS_MAX_BYTES, CLASS_ANNOTATION, MAX_LISTENERS, EarlierGateways, Output,
                                 Section, _build, _fit, allocate, host_slug)
from ing2gw.findings import Finding, Severity


# -- Gateways ----------------------------------------------------------------------------------


def _listener_name(key: ir.ListenerKey) -> str:
    proto = key.protocol.lower()
    return proto if key.hostname is None else f"{proto}-{host_slug(key.hostname)}"


def _within_limit(annotations: dict[str, str], subject: str, out: Output) -> dict[str, str]:
    """Annotations gathered from several Ingresses, the largest left out (with a finding) while
    they exceed the API server's 256 KiB; ing2gw's own class annotation stays."""
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size <= ANNOTATIONS_MAX_BYTES:
        return annotations
    kept = dict(annotations)
    left_out = []
    for key in sorted((k for k in kept if k != CLASS_ANNOTATION), key=lambda k: (-len(kept[k].encode()), k)):
        if size <= ANNOTATIONS_MAX_BYTES:
            break
        size -= len(key.encode()) + len(kept.pop(key).encode())
        left_out.append(key)
    out.findings.append(Finding(Severity.WARNING, "ING2GW-CORE-031",
                                f"the annotations gathered on it would exceed the API server's 256 KiB; left out: "
                                f"{', '.join(sorted(left_out))}", subject=subject))
    return kept


def _part_index(name: str, base: str) -> int | None:
    """0 for the Gateway `base`, n-1 for `base-n` (the names `_gateways` gives the parts)."""
    if name == base:
        return 0
    head, _, n = name.rpartition("-")
    return int(n) - 1 if head == base and n.isascii() and n.isdigit() and int(n) >= 2 else None


def _earlier_parts(g: ir.Gateway, earlier: EarlierGateways) -> tuple[dict[str | None, int], dict[int, int]]:
    """(hostname -> the part the earlier run put it in, part -> listeners kept routes need there
    that this translation does not produce)."""
    where: dict[str | None, int] = {}
    reserved: dict[int, int] = defaultdict(int)
    current = {(l.key.hostname, l.key.port, l.key.protocol) for l in g.listeners.values()}
    for obj in earlier.gateways:
        md = obj.get("metadata") or {}
        if obj.get("kind") != "Gateway" or md.get("namespace") != g.namespace:
            continue
        name = str(md.get("name") or "")
        i = _part_index(name, g.name)
        if i is None:
            continue
        for lst in ((obj.get("spec") or {}).get("listeners") or []):
            if not isinstance(lst, Mapping):
                continue
            host = lst.get("hostname")
            where.setdefault(host, i)
            kept = (g.namespace, name, lst.get("name")) in earlier.kept or (g.namespace, name, None) in earlier.kept
            if kept and (host, lst.get("port"), lst.get("protocol")) not in current:
                reserved[i] += 1
    return where, reserved


def split_listeners(listeners: Iterable[ir.Listener], where: Mapping[str | None, int] | None = None,
                    reserved: Mapping[int, int] | None = None) -> list[list[ir.Listener]]:
    """Listeners by part (Gateway or ListenerSet): a host's listeners stay together, at most 64
    per part.

    Without an earlier run (`where` empty), hosts in order (the host-less first) fill one part
    after the other and no part is empty. With one, each host goes back to the part the earlier
    run put it in (`where`; `reserved` counts listeners kept routes need there), new hosts take
    the first part with room, and a part may stay empty: its index is its name's suffix."""
    by_host: dict[str | None, list[ir.Listener]] = defaultdict(list)
    for lst in listeners:
        by_host[lst.key.hostname].append(lst)
    hosts = sorted(by_host, key=lambda h: (h is not None, h or ""))
    groups = {h: sorted(by_host[h], key=lambda l: (l.key.port, l.key.protocol)) for h in hosts}
    if not where:
        parts: list[list[ir.Listener]] = [[]]
        for h in hosts:
            if len(parts[-1]) + len(groups[h]) > MAX_LISTENERS:
                parts.append([])
            parts[-1].extend(groups[h])
        return [p for p in parts if p]
    held = reserved or {}
    parts = [[] for _ in range(max(max(where.values()) + 1, 1))]

    def room(i: int) -> int:
        return MAX_LISTENERS - held.get(i, 0) - len(parts[i])

    pending = []
    for h in hosts:
        i = where.get(h)
        if i is not None and room(i) >= len(groups[h]):
            parts[i].extend(groups[h])
        else:
            pending.append(h)
    for h in pending:
        j = next((i for i in range(len(parts)) if room(i) >= len(groups[h])), None)
        if j is None:
            parts.append([])
            j = len(parts) - 1
        parts[j].extend(groups[h])
    return parts


def _gateways(g: ir.Gateway, out: Output, listeners: list[ir.Listener],
              extra_listeners: Sequence[dict[str, Any]] = (), allowed_listeners: dict[str, Any] | None = None,
              shared_only: bool = False, earlier: EarlierGateways | None = None,
              ) -> list[tuple[dict[str, Any], dict[ir.ListenerKey, Section]]]:
    """One Gateway object for `listeners`, or several when over 64 listeners (a host's listeners
    stay together; with `earlier`, each host on the Gateway the earlier run put it on).
    `extra_listeners` (built already) and `allowed_listeners` go on the first. `shared_only`:
    the listeners are what ListenerSets could not take (a split names that)."""
    where, reserved = _earlier_parts(g, earlier) if earlier is not None else ({}, {})
    parts = split_listeners(listeners, where, reserved) or [[]]
    if sum(1 for p in parts if p) > 1:
        _report_gateway_split(g, parts, shared_only, out)
    result = []
    for i, part in enumerate(parts):
        name = g.name if i == 0 else f"{g.name}-{i + 1}"
        names = allocate([(repr(l.key), _listener_name(l.key)) for l in part])
        sections: dict[ir.ListenerKey, Section] = {}
        specs = list(extra_listeners) if i == 0 else []
        for lst in part:
            sname = names[repr(lst.key)]
            sections[lst.key] = ("Gateway", g.namespace, name, sname)
            specs.append(_listener(lst, sname, g.namespace))
        if not specs:
            continue
        cm_annotations = _cert_manager(g.namespace, f"Gateway {g.namespace}/{name}", part, names, out)
        annotations = _within_limit({CLASS_ANNOTATION: ",".join(g.ingress_classes), **g.annotations, **cm_annotations},
                                    f"Gateway {g.namespace}/{name}", out)
        md: dict[str, Any] = {"name": name, "namespace": g.namespace, "annotations": annotations}
        spec: dict[str, Any] = {"gatewayClassName": g.class_name, "listeners": specs}
        if i == 0 and allowed_listeners is not None:
            spec["allowedListeners"] = allowed_listeners
        obj = _build("Gateway", {"metadata": md, "spec": spec})
        result.append((obj, sections))
    return result


def _report_gateway_split(g: ir.Gateway, parts: list[list[ir.Listener]], shared_only: bool, out: Output) -> None:
    """Several Gateways are a last resort: say what they cost, and what avoids them."""
    # a part an earlier run's split left empty writes no Gateway (its index is a name suffix)
    names = [g.name if i == 0 else f"{g.name}-{i + 1}" for i, p in enumerate(parts) if p or i == 0]
    hosts = len({l.key.hostname for p in parts for l in p if l.key.hostname is not None})
    moved = sum(len({l.key.hostname for l in p if l.key.hostname is not None}) for p in parts[1:])
    if shared_only:
        why = (f"the {hosts} hosts that stay on the Gateway (the catch-all and hosts served from several namespaces, "
               f"ING2GW-CORE-062) need {sum(map(len, parts))} listeners")
        suggestion = ("give each of these hosts one owning namespace (its Ingresses in one namespace) so that it moves "
                      "into that namespace's ListenerSet, or point the DNS records at each Gateway's address")
    else:
        why = f"its {hosts} hosts need {sum(map(len, parts))} listeners"
        suggestion = ("use --listeners listenerset: one Gateway per IngressClass, each application namespace bringing "
                      "its hosts and certificates in a ListenerSet (no listener limit on the Gateway)")
    out.findings.append(Finding(
        Severity.WARNING, "ING2GW-CORE-060",
        f"{why}, and a Gateway holds {MAX_LISTENERS}, so the hosts are split over "
        f"{len(names)} Gateways ({', '.join(names)}). Each Gateway usually gets its own load balancer and "
        f"address: the DNS records of {moved} host(s) on {', '.join(names[1:])} must point at new addresses",
        subject=f"Gateway {g.namespace}/{g.name}", suggestion=suggestion,
        details=(("gateways", ",".join(names)),)))


#: cert-manager annotation -> path in a Certificate's spec (explicit Certificates)
_CERT_FIELDS = {
    "cert-manager.io/common-name": ("commonName",), "cert-manager.io/duration": ("duration",),
    "cert-manager.io/renew-before": ("renewBefore",), "cert-manager.io/revision-history-limit": ("revisionHistoryLimit",),
    "cert-manager.io/private-key-algorithm": ("privateKey", "algorithm"),
    "cert-manager.io/private-key-encoding": ("privateKey", "encoding"),
    "cert-manager.io/private-key-size": ("privateKey", "size"),
    "cert-manager.io/private-key-rotation-policy": ("privateKey", "rotationPolicy"),
    "cert-manager.io/renew-before-percentage": ("renewBeforePercentage",),
}
_CERT_LISTS = {"cert-manager.io/usages": ("usages",), "cert-manager.io/ip-sans": ("ipAddresses",),
               "cert-manager.io/uri-sans": ("uris",), "cert-manager.io/email-sans": ("emailAddresses",),
               "cert-manager.io/subject-organizations": ("subject", "organizations"),
               "cert-manager.io/subject-organizationalunits": ("subject", "organizationalUnits"),
               "cert-manager.io/subject-countries": ("subject", "countries"),
               "cert-manager.io/subject-provinces": ("subject", "provinces"),
               "cert-manager.io/subject-localities": ("subject", "localities"),
               "cert-manager.io/subject-streetaddresses": ("subject", "streetAddresses"),
               "cert-manager.io/subject-postalcodes": ("subject", "postalCodes")}
_INT_FIELDS = {"revisionHistoryLimit", "size", "renewBeforePercentage"}


def _cert_manager(namespace: str, label: str, listeners: list[ir.Listener], names: dict[str, str],
                  out: Output, in_set: bool = False) -> dict[str, str]:
    """cert-manager annotations for one Gateway or ListenerSet (`label`), and Certificates for
    listeners that differ.

    cert-manager reads one set of annotations per Gateway (or ListenerSet). The set most
    listeners use goes on the object; listeners with another issuer or settings are listed in
    `cert-manager.io/ignore-tls-listeners` and get an explicit Certificate, so that every
    certificate keeps the issuer its Ingress asked for. On a ListenerSet (`in_set`) the HTTPS
    listeners whose certificate cert-manager must not issue are listed too: their Secrets are in
    the ListenerSet's namespace, where cert-manager would take them over (a Gateway's are in
    other namespaces, which cert-manager skips). Explicit Certificates go next to the object.
    """
    from collections import Counter

    managed = [(names[repr(l.key)], l) for l in listeners if l.cert_manager is not None]
    if not managed:
        return {}
    counts = Counter(l.cert_manager for _, l in managed)
    best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    assert best is not None
    ignored = sorted(n for n, l in managed if l.cert_manager != best)
    unmanaged = sorted(names[repr(l.key)] for l in listeners
                       if in_set and l.cert_manager is None and l.key.protocol == "HTTPS")
    annotations = dict(best)
    if ignored or unmanaged:
        annotations["cert-manager.io/ignore-tls-listeners"] = ",".join(sorted(ignored + unmanaged))
    if ignored:
        beside = out.apps.setdefault(namespace, []) if in_set else out.platform
        for lname, lst in managed:
            if lname in ignored:
                beside.append(_certificate(namespace, lname, lst))
        noun = label.split(" ", 1)[0]
        out.findings.append(Finding(
            Severity.WARNING, "ING2GW-CERT-002",
            f"{label}: Ingresses ask cert-manager for different issuers or settings; the {noun} "
            f"carries the most common ones and {len(ignored)} listener(s) get their own Certificate instead: "
            f"{', '.join(ignored[:10])}", subject=label,
            suggestion="check that these Certificates are issued (kubectl get certificate -n " + namespace + ")"))
    return annotations


def _certificate(namespace: str, listener_name: str, lst: ir.Listener) -> dict[str, Any]:
    profile = dict(lst.cert_manager or ())
    issuer: dict[str, Any]
    if "cert-manager.io/cluster-issuer" in profile:
        issuer = {"name": profile["cert-manager.io/cluster-issuer"], "kind": "ClusterIssuer"}
    else:
        issuer = {"name": profile.get("cert-manager.io/issuer", ""),
                  "kind": profile.get("cert-manager.io/issuer-kind", "Issuer")}
    issuer["group"] = profile.get("cert-manager.io/issuer-group", "cert-manager.io")
    hosts = [lst.key.hostname] if lst.key.hostname else []
    hosts += [h.strip() for h in profile.get("cert-manager.io/alt-names", "").split(",") if h.strip()]
    spec: dict[str, Any] = {"secretName": lst.certificates[0].name, "dnsNames": list(dict.fromkeys(hosts)),
                            "issuerRef": issuer}
    for key, path in list(_CERT_FIELDS.items()) + list(_CERT_LISTS.items()):
        if key not in profile:
            continue
        value: Any = profile[key]
        if key in _CERT_LISTS:
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif path[-1] in _INT_FIELDS and str(value).isascii() and str(value).isdigit():
            value = int(value)
        node = spec
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = value
    # not a Gateway API object: cert-manager's own CRD, built as plain data
    return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": _fit(listener_name, repr(lst.key)), "namespace": namespace}, "spec": spec}


def _listener(lst: ir.Listener, name: str, namespace: str, in_set: bool = False) -> dict[str, Any]:
    """A listener of a Gateway or (`in_set`) a ListenerSet in `namespace`. A ListenerSet
    listener whose routes all come from its own namespace keeps the default allowedRoutes
    (`Same`: the ListenerSet's namespace)."""
    d: dict[str, Any] = {"name": name}
    if lst.key.hostname:
        d["hostname"] = lst.key.hostname
    d["port"] = lst.key.port
    d["protocol"] = lst.key.protocol
    if lst.key.protocol == "HTTPS" or lst.tls_mode:
        tls: dict[str, Any] = {"mode": lst.tls_mode or "Terminate"}
        if lst.certificates:
            tls["certificateRefs"] = [
                {"name": c.name, **({"namespace": c.namespace} if c.namespace != namespace else {})}
                for c in lst.certificates]
        d["tls"] = tls
    allowed: dict[str, Any] = {}
    if lst.allowed_namespaces and not (in_set and lst.allowed_namespaces <= {namespace}):
        allowed["namespaces"] = {"from": "Selector", "selector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(lst.allowed_namespaces)}]}}
    if lst.kinds:
        allowed["kinds"] = [{"kind": k} for k in lst.kinds]
    if allowed:
        d["allowedRoutes"] = allowed
    return d
