"""IR -> Gateway API objects (through the strict models, so nothing invalid can be emitted).

This is where Kubernetes names are allocated (readable, deterministic, never colliding),
objects are split to stay within CRD limits, identical per-host routes of one Ingress are
merged, and IR intents nobody consumed become findings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from ing2gw import ir
from ing2gw.findings import Finding, Severity

SOURCE_ANNOTATION = "ing2gw.io/source-ingress"
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"  # model/gateway.py's, which tests/test_emit.py compares
#: the API server's limit on all annotations of an object (keys and values, bytes)
ANNOTATIONS_MAX_BYTES = 256 * 1024
#: validate every emitted object through the strict Gateway API models: set by the CLI when
#: $ING2GW_VALIDATE_OUTPUT is 1, and by the test suite (tests/conftest.py)
VALIDATE_OUTPUT = False
#: on Gateways: the IngressClass(es) whose Ingresses they replace (read by the equivalence check)
CLASS_ANNOTATION = "ing2gw.io/ingress-class"
MAX_RULES = 16
MAX_HOSTNAMES = 16
MAX_MATCHES = 128
MAX_LISTENERS = 64
NAME_MAX = 253


class EmitError(Exception):
    """The IR would produce an invalid object: a translator bug, reported with its context."""


def _short_hash(text: str) -> str:
    import hashlib  # on first use: most runs hash no name, and it costs ~3 % of a small run

    return hashlib.sha256(text.encode()).hexdigest()[:6]


def host_slug(host: str | None) -> str:
    """A DNS-1123-friendly rendering of a host: `*.a.com` -> `wildcard.a.com`, None -> `default`."""
    if host is None:
        return "default"
    return "wildcard." + host[2:] if host.startswith("*.") else host


def _fit(name: str, identity: str, limit: int = NAME_MAX) -> str:
    if len(name) <= limit:
        return name
    h = _short_hash(identity)
    return name[: limit - 7].rstrip("-.") + "-" + h


def allocate(wanted: Sequence[tuple[str, str]]) -> dict[str, str]:
    """identity -> unique name. `wanted` holds (identity, desired name) pairs.

    Names that would collide all get a short hash of their identity appended, so the result
    depends only on the set of identities, never on their order.
    """
    by_name: dict[str, list[str]] = defaultdict(list)
    for identity, name in wanted:
        by_name[_fit(name, identity)].append(identity)
    out: dict[str, str] = {}
    taken = set(by_name)
    for name, ids in sorted(by_name.items()):
        if len(set(ids)) == 1:
            for i in ids:
                out[i] = name
            continue
        for i in sorted(set(ids)):
            candidate = _fit(f"{name}-{_short_hash(i)}", i)
            while candidate in taken:
                candidate = _fit(f"{candidate}-{_short_hash(candidate)}", i)
            taken.add(candidate)
            out[i] = candidate
    return out


@dataclass
class Output:
    """Emitted objects as plain dicts, split by owner."""

    platform: list[dict[str, Any]] = field(default_factory=list)
    apps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def all_objects(self) -> list[dict[str, Any]]:
        out = list(self.platform)
        for ns in sorted(self.apps):
            out.extend(self.apps[ns])
        return out


@dataclass(frozen=True)
class ClassSpec:
    """A GatewayClass to write (only for a known target or on request)."""

    name: str
    controller_name: str
    description: str | None = None


#: where a route finds a listener: (parent kind, namespace, name, sectionName)
Section = tuple[str, str, str, str]


@dataclass(frozen=True)
class EarlierGateways:
    """The Gateways an earlier run wrote (`migrate` reads them from the platform folder).

    Each hostname stays on the Gateway it was on, and the listeners that routes kept from that
    run attach to (`kept`: namespace, Gateway name, sectionName — None for a parentRef without
    one, which attaches to every listener) keep their room: `migrate` adds them back to the
    Gateway after the translation, which must leave space for them (at most 64 listeners). A
    resumed or repeated run then splits the hosts exactly as the earlier run did.
    """

    gateways: tuple[Mapping[str, Any], ...] = ()
    kept: frozenset[tuple[str, str, str | None]] = frozenset()


def emit(model: ir.IR, gateway_class: ClassSpec | None = None, target: str | None = None,
         earlier: EarlierGateways | None = None, listeners: str = "gateway") -> Output:
    """Build every object of the IR (and `target`'s policies for the intents it can carry).

    `earlier`: the Gateways an earlier run wrote (hosts keep their Gateway). `listeners`:
    "gateway" puts every listener on the Gateway(s); "listenerset" puts the listeners an
    application namespace owns alone (`ir.Listener.owner`) in that namespace's ListenerSet
    (`emit.listenersets`).
    """
    out = Output(findings=list(model.findings))
    section_of: dict[ir.ListenerKey, Section] = {}
    for key in sorted(model.gateways):
        g = model.gateways[key]
        if listeners == "listenerset":
            from ing2gw.emit.listenersets import gateway_and_sets

            built = gateway_and_sets(g, out)
        else:
            built = _gateways(g, out, list(g.listeners.values()), earlier=earlier)
        for obj, sections in built:
            out.platform.append(obj)
            section_of.update(sections)
    if gateway_class is not None:
        out.platform.append(_build("GatewayClass", {
            "metadata": {"name": gateway_class.name},
            "spec": {"controllerName": gateway_class.controller_name,
                     **({"description": gateway_class.description} if gateway_class.description else {})}}))
    named = _routes(model.routes, section_of, out)
    _policies(named, target, out)
    for grant in sorted(model.grants, key=lambda g: (g.namespace, g.from_namespace, g.to_kind, g.to_name or "",
                                                     g.from_kind)):
        _grant(grant, out)
    for policy in model.backend_tls:
        _backend_tls(policy, out)
    return out


def _build(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` as a Gateway API object of `kind`, validated through the strict model when
    VALIDATE_OUTPUT is set ($ING2GW_VALIDATE_OUTPUT=1 on the command line).

    The dicts built here are already in API shape (names, order, no None values) and valid by
    construction; the strict models (`model/gateway.py`, pydantic) are the proof of that, run by
    the test suite on every object it emits (tests/conftest.py sets the variable) and by
    tests/test_gwvalidate.py against the CRDs. A run does not pay for them by default: importing
    pydantic and building the models cost a one-Ingress `convert` more than all its other work,
    and ~40 % of the translation at 10,000 Ingresses (docs/performance.md).
    """
    data = {"apiVersion": GATEWAY_API_VERSION, "kind": kind, **data}
    if VALIDATE_OUTPUT:
        validate_built(data)
    return data


def validate_built(data: dict[str, Any]) -> None:
    """Validate an emitted object through its strict model; EmitError if ing2gw built it wrong."""
    from pydantic import ValidationError

    from ing2gw.model import gateway as gw

    try:
        getattr(gw, data["kind"]).model_validate(data)
    except ValidationError as exc:
        md = data.get("metadata", {})
        raise EmitError(f"internal error: ing2gw built an invalid {data['kind']} {md.get('namespace', '')}/"
                        f"{md.get('name', '')}: {exc}. Please report this with the input.") from exc


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


# -- Routes ------------------------------------------------------------------------------------


def _merge_hosts(routes: Iterable[ir.Route]) -> list[ir.Route]:
    """Merge the per-host routes of one Ingress that carry identical rules (fewer objects)."""
    groups: dict[tuple[Any, ...], list[ir.Route]] = {}
    for r in routes:
        variant = r.qualifiers[1:] if len(r.qualifiers) > 1 else ()
        key = (r.kind, r.namespace, r.source.key, variant, bool(r.hostnames), tuple(r.rules), r.tls_backends,
               tuple(sorted(r.annotations.items())), tuple(sorted(r.labels.items())), r.intents)
        groups.setdefault(key, []).append(r)
    merged = []
    for key, rs in groups.items():
        if len(rs) == 1 or not key[4]:
            merged.extend(rs)
            continue
        for i in range(0, len(rs), MAX_HOSTNAMES):
            chunk = rs[i:i + MAX_HOSTNAMES]
            first = chunk[0]
            hostnames = tuple(h for r in chunk for h in r.hostnames)
            parents = tuple(p for r in chunk for p in r.parents)
            quals = (first.qualifiers[0],) + first.qualifiers[1:] if len(chunk) == 1 else \
                (f"{host_slug(first.hostnames[0])}",) + first.qualifiers[1:]
            merged.append(ir.Route(first.kind, first.namespace, first.name_hint, first.source, hostnames, parents,
                                   list(first.rules), dict(first.annotations), dict(first.labels),
                                   quals, first.intents, first.tls_backends))
    return merged


def merge_rules(rules: list[ir.Rule]) -> list[ir.Rule]:
    """Join consecutive rules that differ only in their matches (same action, filters, backends).

    Matches of one rule are ORed and Gateway API ranks matches, not rules; ties between equally
    specific matches go to the first rule in list order, so only neighbours are joined (the
    order of all matches stays the same). Rules with ReplacePrefixMatch keep their single match.
    """
    out: list[ir.Rule] = []
    last_key: ir.Rule | None = None
    for r in rules:
        prefix_mod = (r.redirect is not None and r.redirect.prefix_path is not None) or \
                     (r.rewrite is not None and r.rewrite.prefix_path is not None)
        key = replace(r, matches=(), comment="")
        if prefix_mod or last_key != key or not out or len(out[-1].matches) + len(r.matches) > 64:
            out.append(r)
            last_key = None if prefix_mod else key
            continue
        out[-1] = replace(out[-1], matches=out[-1].matches + r.matches)
    return out


def _chunks(rules: list[ir.Rule]) -> list[list[ir.Rule]]:
    parts: list[list[ir.Rule]] = [[]]
    matches = 0
    for r in rules:
        n = max(1, len(r.matches))
        if len(parts[-1]) >= MAX_RULES or matches + n > MAX_MATCHES:
            parts.append([])
            matches = 0
        parts[-1].append(r)
        matches += n
    return parts


def _policies(named: list[tuple[ir.Route, str]], target: str | None, out: Output) -> None:
    """Implementation policies for route intents; report the intents no emitter consumed (for
    a chosen target: plain Gateway API has no policies, and the annotation findings say so)."""
    from ing2gw.emit.targets import emitter_for

    emitter = emitter_for(target)
    consumed: set[ir.Intent] = set()
    if emitter is not None:
        objects, consumed, told = emitter(named)
        out.findings.extend(told)
        for obj in objects:
            out.apps.setdefault(obj["metadata"]["namespace"], []).append(obj)
    if target is None:
        return
    left = sorted({i for r, _ in named for i in r.intents} - consumed,
                  key=lambda i: (i.source.key, i.kind, i.value))
    for intent in left:
        out.findings.append(Finding(Severity.ERROR if intent.security else Severity.WARNING, "ING2GW-CORE-026",
                                    f"{target} has no policy ing2gw can generate for {intent.kind} ({intent.value})",
                                    origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                                    annotation=intent.source.annotation, security=intent.security))


def _routes(routes: list[ir.Route], section_of: dict[ir.ListenerKey, Section],
            out: Output) -> list[tuple[ir.Route, str]]:
    merged = _merge_hosts(routes)
    # name: the Ingress's name when it yields one route, else qualified by host (and variant)
    per_source: dict[tuple[str, str, str], list[ir.Route]] = defaultdict(list)
    for r in merged:
        per_source[(r.kind, r.namespace, r.source.key)].append(r)
    wanted: list[tuple[str, str]] = []
    planned: list[tuple[str, ir.Route, list[ir.Rule], int]] = []
    for (kind, ns, _), rs in sorted(per_source.items()):
        for r in rs:
            parts = _chunks(merge_rules(r.rules)) if r.kind != "TLSRoute" else [[]]
            base = r.name_hint if len(rs) == 1 else "-".join((r.name_hint, *(host_slug(q) if j == 0 else q
                                                                               for j, q in enumerate(r.qualifiers))))
            if len(parts) > 1:
                out.findings.append(Finding(Severity.INFO, "ING2GW-CORE-020",
                                            f"{r.kind} for {r.source.key} has {len(r.rules)} rules; split into "
                                            f"{len(parts)} routes of at most {MAX_RULES} rules",
                                            origin=r.source.origin, subject=f"Ingress {r.source.key}"))
            for i, chunk in enumerate(parts):
                identity = f"{kind}|{ns}|{r.source.key}|{r.qualifiers}|{r.hostnames}|{i}"
                wanted.append((identity, base if i == 0 else f"{base}-{i + 1}"))
                planned.append((identity, r, chunk, i))
    # names are unique per (kind, namespace)
    names: dict[str, str] = {}
    by_scope: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for identity, name in wanted:
        kind, ns = identity.split("|", 2)[:2]
        by_scope[(kind, ns)].append((identity, name))
    for items in by_scope.values():
        names.update(allocate(items))
    named: list[tuple[ir.Route, str]] = []
    for identity, r, chunk, _ in planned:
        obj = _route(r, names[identity], chunk, section_of)
        out.apps.setdefault(r.namespace, []).append(obj)
        named.append((r, names[identity]))
    return named


def _parent_refs(r: ir.Route, section_of: dict[ir.ListenerKey, Section]) -> list[dict[str, Any]]:
    refs = []
    for key in r.parents:
        kind, ns, name, section = section_of[key]
        ref: dict[str, Any] = {"kind": kind} if kind != "Gateway" else {}
        ref["name"] = name
        if ns != r.namespace:
            ref["namespace"] = ns
        ref["sectionName"] = section
        if ref not in refs:
            refs.append(ref)
    return refs


def _route(r: ir.Route, name: str, rules: list[ir.Rule], section_of: dict[ir.ListenerKey, Section]) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": r.namespace}
    if r.labels:
        md["labels"] = dict(r.labels)
    md["annotations"] = {SOURCE_ANNOTATION: r.source.key, **r.annotations}
    spec: dict[str, Any] = {"parentRefs": _parent_refs(r, section_of)}
    if r.hostnames:
        spec["hostnames"] = list(r.hostnames)
    if r.kind == "TLSRoute":
        spec["rules"] = [{"backendRefs": [_backend_ref(b, r.namespace) for b in r.tls_backends]}]
        return _build("TLSRoute", {"metadata": md, "spec": spec})
    if r.kind == "GRPCRoute":
        spec["rules"] = [_grpc_rule(x, r.namespace) for x in rules]
        return _build("GRPCRoute", {"metadata": md, "spec": spec})
    spec["rules"] = [_http_rule(x, r.namespace) for x in rules]
    return _build("HTTPRoute", {"metadata": md, "spec": spec})


def _backend_ref(b: ir.ServiceBackend, namespace: str) -> dict[str, Any]:
    """A backendRef from a route in `namespace` (a Service elsewhere needs its namespace, and a
    ReferenceGrant the provider asked for)."""
    d: dict[str, Any] = {"name": b.name}
    if b.namespace != namespace:
        d["namespace"] = b.namespace
    d["port"] = b.port
    if b.weight is not None:
        d["weight"] = b.weight
    if b.request_headers_set:
        d["filters"] = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {
            "set": [{"name": k, "value": v} for k, v in b.request_headers_set]}}]
    return d


def _match(m: ir.Match) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if m.path is not None:
        d["path"] = {"type": m.path.type, "value": m.path.value}
    if m.headers:
        d["headers"] = [{**({"type": h.type} if h.type != "Exact" else {}), "name": h.name, "value": h.value}
                        for h in m.headers]
    if m.query:
        d["queryParams"] = [{**({"type": q.type} if q.type != "Exact" else {}), "name": q.name, "value": q.value}
                            for q in m.query]
    if m.method:
        d["method"] = m.method
    return d


def _headers(h: ir.HeaderChanges) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if h.set:
        d["set"] = [{"name": k, "value": v} for k, v in h.set]
    if h.add:
        d["add"] = [{"name": k, "value": v} for k, v in h.add]
    if h.remove:
        d["remove"] = list(h.remove)
    return d


def _path_modifier(full: str | None, prefix: str | None) -> dict[str, Any] | None:
    if full is not None:
        return {"type": "ReplaceFullPath", "replaceFullPath": full}
    if prefix is not None:
        return {"type": "ReplacePrefixMatch", "replacePrefixMatch": prefix}
    return None


def _filters(r: ir.Rule, namespace: str) -> list[dict[str, Any]]:
    f: list[dict[str, Any]] = []
    if r.cors is not None:
        c = r.cors
        cors: dict[str, Any] = {}
        if c.allow_origins:
            cors["allowOrigins"] = list(c.allow_origins)
        if c.allow_credentials is not None:
            cors["allowCredentials"] = c.allow_credentials
        if c.allow_methods:
            cors["allowMethods"] = list(c.allow_methods)
        if c.allow_headers:
            cors["allowHeaders"] = list(c.allow_headers)
        if c.expose_headers:
            cors["exposeHeaders"] = list(c.expose_headers)
        if c.max_age is not None:
            cors["maxAge"] = c.max_age
        f.append({"type": "CORS", "cors": cors})
    if r.request_headers:
        f.append({"type": "RequestHeaderModifier", "requestHeaderModifier": _headers(r.request_headers)})
    if r.response_headers:
        f.append({"type": "ResponseHeaderModifier", "responseHeaderModifier": _headers(r.response_headers)})
    if r.redirect is not None:
        rd = r.redirect
        red: dict[str, Any] = {}
        if rd.scheme:
            red["scheme"] = rd.scheme
        if rd.hostname:
            red["hostname"] = rd.hostname
        pm = _path_modifier(rd.full_path, rd.prefix_path)
        if pm:
            red["path"] = pm
        if rd.port:
            red["port"] = rd.port
        red["statusCode"] = rd.status
        f.append({"type": "RequestRedirect", "requestRedirect": red})
    if r.rewrite is not None:
        rw: dict[str, Any] = {}
        if r.rewrite.hostname:
            rw["hostname"] = r.rewrite.hostname
        pm = _path_modifier(r.rewrite.full_path, r.rewrite.prefix_path)
        if pm:
            rw["path"] = pm
        f.append({"type": "URLRewrite", "urlRewrite": rw})
    for m in r.mirrors:
        ref: dict[str, Any] = {"name": m.backend.name, "port": m.backend.port}
        if m.backend.namespace != namespace:
            ref["namespace"] = m.backend.namespace
        mir: dict[str, Any] = {"backendRef": ref}
        if m.percent is not None:
            mir["percent"] = m.percent
        f.append({"type": "RequestMirror", "requestMirror": mir})
    return f


def _http_rule(r: ir.Rule, namespace: str) -> dict[str, Any]:
    d: dict[str, Any] = {"matches": [_match(m) for m in r.matches]}
    filters = _filters(r, namespace)
    if filters:
        d["filters"] = filters
    if r.backends:
        d["backendRefs"] = [_backend_ref(b, namespace) for b in r.backends]
    if r.timeouts is not None:
        t: dict[str, Any] = {}
        if r.timeouts.request:
            t["request"] = r.timeouts.request
        if r.timeouts.backend_request:
            t["backendRequest"] = r.timeouts.backend_request
        d["timeouts"] = t
    return d


def _grpc_rule(r: ir.Rule, namespace: str) -> dict[str, Any]:
    """Paths in gRPC rules are `/service/` (a service) or `/service/method` (a method)."""
    d: dict[str, Any] = {}
    matches = []
    for m in r.matches:
        gm: dict[str, Any] = {}
        if m.path is not None:
            service, _, method = m.path.value.strip("/").partition("/")
            gm["method"] = {"service": service, **({"method": method} if method else {})}
        if m.headers:
            gm["headers"] = [{**({"type": h.type} if h.type != "Exact" else {}), "name": h.name, "value": h.value}
                             for h in m.headers]
        if gm:
            matches.append(gm)
    if matches:
        d["matches"] = matches
    if r.request_headers:
        d["filters"] = [{"type": "RequestHeaderModifier", "requestHeaderModifier": _headers(r.request_headers)}]
    if r.backends:
        d["backendRefs"] = [_backend_ref(b, namespace) for b in r.backends]
    return d


# -- Grants and policies -----------------------------------------------------------------------


def _grant(g: ir.Grant, out: Output) -> None:
    name = f"from-{g.from_namespace}-{g.from_kind.lower()}-to-{g.to_kind.lower()}-{g.to_name or 'all'}"
    name = _fit(name, repr(g), 253)
    to: dict[str, Any] = {"group": g.to_group, "kind": g.to_kind}
    if g.to_name:
        to["name"] = g.to_name
    obj = _build("ReferenceGrant", {"metadata": {"name": name, "namespace": g.namespace}, "spec": {
        "from": [{"group": g.from_group, "kind": g.from_kind, "namespace": g.from_namespace}], "to": [to]}})
    out.apps.setdefault(g.namespace, []).append(obj)


def _backend_tls(p: ir.BackendTLS, out: Output) -> None:
    validation: dict[str, Any] = {"hostname": p.hostname}
    if p.ca_configmap:
        validation["caCertificateRefs"] = [{"group": "", "kind": "ConfigMap", "name": p.ca_configmap}]
    else:
        validation["wellKnownCACertificates"] = "System"
    target: dict[str, Any] = {"group": "", "kind": "Service", "name": p.service}
    name = _fit(f"{p.service}-tls" if p.port is None else f"{p.service}-{p.port}-tls", repr(p))
    obj = _build("BackendTLSPolicy", {"metadata": {"name": name, "namespace": p.namespace,
                                                    "annotations": {SOURCE_ANNOTATION: p.source.key}},
                                       "spec": {"targetRefs": [target], "validation": validation}})
    out.apps.setdefault(p.namespace, []).append(obj)
