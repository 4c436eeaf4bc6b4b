"""IR -> Gateway API objects (through the strict models, so nothing invalid can be emitted).

This is where Kubernetes names are allocated (readable, deterministic, never colliding),
objects are split to stay within CRD limits, identical per-host routes of one Ingress are
merged, and IR intents nobody consumed become findings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, Iterable

from ing2gw import ir
from ing2gw.findings import Finding, Severity

from ing2gw.emit.listeners import _gateways
from ing2gw.emit.objects import (ANNOTATIONS_MAX_BYTES, CLASS_ANNOTATION, GATEWAY_API_VERSION, MAX_HOSTNAMES,
                                 MAX_LISTENERS, MAX_MATCHES, MAX_RULES, NAME_MAX, SOURCE_ANNOTATION,
                                 ClassSpec, EarlierGateways, EmitError, Output, Section, _build, _fit, allocate,
                                 host_slug, validate_built)

#: the names other modules import from here (they lived here before emit/objects.py and
#: emit/listeners.py were split out to break the gateway <-> listenersets import cycle)
__all__ = ["ANNOTATIONS_MAX_BYTES", "CLASS_ANNOTATION", "GATEWAY_API_VERSION", "MAX_HOSTNAMES", "MAX_LISTENERS",
           "MAX_MATCHES", "MAX_RULES", "NAME_MAX", "SOURCE_ANNOTATION", "ClassSpec", "EarlierGateways", "EmitError",
           "Output", "allocate", "emit", "host_slug", "merge_rules", "validate_built"]

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
    #: each Gateway of the IR with the Gateway objects it became (for its controller-wide policies)
    places: list[tuple[ir.Gateway, list[dict[str, Any]]]] = []
    for key in sorted(model.gateways):
        g = model.gateways[key]
        if listeners == "listenerset":
            from ing2gw.emit.listenersets import gateway_and_sets

            built = gateway_and_sets(g, out)
        else:
            built = _gateways(g, out, list(g.listeners.values()), earlier=earlier)
        places.append((g, [obj for obj, _ in built]))
        for obj, sections in built:
            out.platform.append(obj)
            section_of.update(sections)
    if gateway_class is not None:
        out.platform.append(_build("GatewayClass", {
            "metadata": {"name": gateway_class.name},
            "spec": {"controllerName": gateway_class.controller_name,
                     **({"description": gateway_class.description} if gateway_class.description else {})}}))
    named = _routes(model.routes, section_of, out, target)
    _policies(named, target, out, section_of)
    _gateway_policies(places, target, out)
    for grant in sorted(model.grants, key=lambda g: (g.namespace, g.from_namespace, g.to_kind, g.to_name or "",
                                                     g.from_kind)):
        _grant(grant, out)
    for policy in model.backend_tls:
        _backend_tls(policy, out)
    if target is not None:
        from ing2gw.emit.targets.features import findings as feature_findings

        out.findings.extend(feature_findings(target, out.all_objects()))
    return out


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


def _policies(named: list[tuple[ir.Route, str]], target: str | None, out: Output,
              section_of: dict[ir.ListenerKey, Section]) -> None:
    """Implementation policies for route intents; report the intents no emitter consumed (for
    a chosen target: plain Gateway API has no policies, and the annotation findings say so)."""
    from ing2gw.emit.targets import WITH_PARENTS, Emitted, emitter_for, listener_emitter_for

    emitter = emitter_for(target)
    consumed: set[ir.Intent] = set()
    if emitter is not None:
        result = emitter(named, section_of) if target in WITH_PARENTS else emitter(named)
        if isinstance(result, Emitted):
            objects, consumed, told = result.objects, result.consumed, result.findings
            _extension_filters(result.filters, out)
            _rule_variants(result.variants, out)
            _drop_timeouts(result.carried_timeouts, out)
        else:
            objects, consumed, told = result
        out.findings.extend(told)
        for obj in objects:
            out.apps.setdefault(obj["metadata"]["namespace"], []).append(obj)
    listener_emitter = listener_emitter_for(target)
    if listener_emitter is not None:
        objects, more, told = listener_emitter(named, section_of or {})
        consumed |= more
        out.findings.extend(told)
        for obj in objects:
            # a policy of a Gateway listener lives beside its Gateway (platform-owned), one of a
            # ListenerSet listener beside the ListenerSet (app-owned); the ReferenceGrants it
            # needs live beside the Secrets they open
            refs = obj.get("spec", {}).get("targetRefs") or [{}]
            if obj["kind"] != "ReferenceGrant" and refs[0].get("kind") == "Gateway":
                out.platform.append(obj)
            else:
                out.apps.setdefault(obj["metadata"]["namespace"], []).append(obj)
    if target is None:
        return
    left = sorted({i for r, _ in named for i in r.intents} - consumed,
                  key=lambda i: (i.source.key, i.kind, i.value))
    from ing2gw.emit.targets.carry import row_of, verdict
    from ing2gw.mappings import generated_intents

    for intent in left:
        # why: the table's or the parameters' reason; a carried intent its emitter left over has
        # the emitter's own finding beside this one; an intent without parameters where the row
        # needs them comes from a source whose settings ing2gw does not read into them
        row = row_of(intent.kind, intent.params)
        v = verdict(target, row, intent.params)
        if v.carried:
            why = "the emitter's own finding on this Ingress says why"
        elif not intent.params and row in generated_intents(target):
            why = f"ing2gw does not read this source's settings into the parameters {target}'s policy needs"
        else:
            why = v.why_not
        value = intent.value if len(intent.value) <= 80 else intent.value[:77] + "..."
        out.findings.append(Finding(Severity.ERROR if intent.security else Severity.WARNING, "ING2GW-CORE-026",
                                    f"{target} has no policy ing2gw can generate for {intent.kind} ({value}): {why}",
                                    origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                                    annotation=intent.source.annotation, security=intent.security))


def _gateway_policies(places: list[tuple[ir.Gateway, list[dict[str, Any]]]], target: str | None,
                      out: Output) -> None:
    """Policies for the Gateways' controller-wide intents (client-IP detection), written by the
    target's gateway emitter, which may also complete objects written before (a listener's own
    ClientTrafficPolicy replaces the Gateway's, so it must repeat the Gateway-wide settings);
    every intent left over is reported (`emit.targets.client_ip.not_carried`)."""
    from ing2gw.emit.targets import gateway_emitter_for
    from ing2gw.emit.targets.client_ip import not_carried

    wanted = [(g, objs) for g, objs in places if g.intents and objs]
    if target is None:
        _listener_tls_lost(wanted, None, set(), out)
    if target is None or not wanted:
        return
    emitter = gateway_emitter_for(target)
    consumed: set[ir.Intent] = set()
    if emitter is not None:
        objects, consumed, told = emitter(wanted, out.all_objects())
        out.findings.extend(told)
        for obj in objects:
            out.platform.append(obj)
    _listener_tls_lost(wanted, target, consumed, out)
    for g, objs in wanted:
        for intent in sorted(set(g.intents) - consumed, key=lambda i: (i.kind, i.source.key, i.value)):
            if intent.kind != "listener-tls":
                out.findings.append(not_carried(target, intent, g, objs))


def _listener_tls_lost(wanted: list[tuple[ir.Gateway, list[dict[str, Any]]]], target: str | None,
                       consumed: set[ir.Intent], out: Output) -> None:
    """The ConfigMap's listener TLS settings no emitter wrote (emit/targets/listener_tls.py)."""
    from ing2gw.emit.targets.carry import verdict
    from ing2gw.emit.targets.listener_tls import not_carried as tls_lost

    for g, _ in wanted:
        hosts = ",".join(sorted({k.hostname or "*" for k in g.listeners if k.protocol == "HTTPS"}))
        for intent in sorted((i for i in g.intents if i.kind == "listener-tls" and i not in consumed),
                             key=lambda i: i.source.key):
            v = verdict(target, "listener-tls", [(k, x) for k, x in intent.params if k != "class"])
            out.findings.append(tls_lost(target, intent, hosts, "" if v.why_not.startswith("ing2gw does not write")
                                         else v.why_not))


def _drop_timeouts(routes: set[tuple[str, str]], out: Output) -> None:
    """Leave the rule timeouts out of the named routes: the target's own policy carries them."""
    for ns in sorted({n for n, _ in routes}):
        for obj in out.apps.get(ns, []):
            if obj.get("kind") != "HTTPRoute" or (ns, obj["metadata"]["name"]) not in routes:
                continue
            for rule in obj["spec"].get("rules", []):
                rule.pop("timeouts", None)


def _extension_filters(filters: dict[tuple[str, str], list[dict[str, Any]]], out: Output) -> None:
    """Append a target's ExtensionRef filters to every forwarding rule of the named routes."""
    for (ns, name), extra in sorted(filters.items()):
        for obj in out.apps.get(ns, []):
            if obj.get("kind") not in ("HTTPRoute", "GRPCRoute") or obj["metadata"]["name"] != name:
                continue
            for rule in obj["spec"].get("rules", []):
                if any(f.get("type") == "RequestRedirect" for f in rule.get("filters", [])):
                    continue
                rule["filters"] = [*rule.get("filters", []), *extra]


def _rule_variants(variants: dict[tuple[str, str], list[Any]], out: Output) -> None:
    """Replace every forwarding rule of the named routes by a target's variants of it
    (emit.targets.Variant), in order; rules that redirect stay as they are."""
    import copy

    for (ns, name), forms in sorted(variants.items()):
        for obj in out.apps.get(ns, []):
            if obj.get("kind") != "HTTPRoute" or obj["metadata"]["name"] != name:
                continue
            rules: list[dict[str, Any]] = []
            for rule in obj["spec"].get("rules", []):
                if any(f.get("type") == "RequestRedirect" for f in rule.get("filters", [])):
                    rules.append(rule)
                    continue
                for form in forms:
                    extra = [form.filter] if form.filter is not None else []
                    if form.keep:
                        r = copy.deepcopy(rule)
                        filters = [*r.pop("filters", []), *extra]
                        rest = {k: v for k, v in r.items() if k != "matches"}
                        rules.append({"matches": r["matches"], **({"filters": filters} if filters else {}), **rest})
                    else:
                        rules.append({"matches": copy.deepcopy(rule["matches"]), "filters": copy.deepcopy(extra)})
            obj["spec"]["rules"] = rules


def _routes(routes: list[ir.Route], section_of: dict[ir.ListenerKey, Section],
            out: Output, target: str | None = None) -> list[tuple[ir.Route, str]]:
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
        obj = _route(r, names[identity], chunk, section_of, target)
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


def _route(r: ir.Route, name: str, rules: list[ir.Rule], section_of: dict[ir.ListenerKey, Section],
           target: str | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": r.namespace}
    if r.labels:
        md["labels"] = dict(r.labels)
    md["annotations"] = {SOURCE_ANNOTATION: r.source.key, **r.annotations}
    spec: dict[str, Any] = {"parentRefs": _parent_refs(r, section_of)}
    if r.hostnames:
        spec["hostnames"] = list(r.hostnames)
    if r.kind == "TLSRoute":
        spec["rules"] = [{"backendRefs": [_backend_ref(b, r.namespace, target) for b in r.tls_backends]}]
        return _build("TLSRoute", {"metadata": md, "spec": spec})
    if r.kind == "GRPCRoute":
        spec["rules"] = [_grpc_rule(x, r.namespace, target) for x in rules]
        return _build("GRPCRoute", {"metadata": md, "spec": spec})
    spec["rules"] = [_http_rule(x, r.namespace, target) for x in rules]
    return _build("HTTPRoute", {"metadata": md, "spec": spec})


def _backend_ref(b: ir.ServiceBackend, namespace: str, target: str | None = None) -> dict[str, Any]:
    """A backendRef from a route in `namespace` (a Service elsewhere needs its namespace, and a
    ReferenceGrant the provider asked for). An ExternalName Service becomes the target's own
    backend object when the target carries `external-backend` (its emitter writes the object)."""
    if b.external_name is not None and target is not None:
        from ing2gw.emit.targets import EXTERNAL_BACKEND
        from ing2gw.emit.targets.carry import carries, external_backend_name

        if target in EXTERNAL_BACKEND and b.namespace == namespace and carries(
                target, "external-backend", {"host": b.external_name, "port": str(b.port)}):
            group, kind = EXTERNAL_BACKEND[target]
            d: dict[str, Any] = {"group": group, "kind": kind, "name": external_backend_name(b.name, b.port),
                                 "port": b.port}
            if b.weight is not None:
                d["weight"] = b.weight
            if b.request_headers_set:
                d["filters"] = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {
                    "set": [{"name": k, "value": v} for k, v in b.request_headers_set]}}]
            return d
    d = {"name": b.name}
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


#: targets with their own CORS object (emit.targets.CORS_MIDDLEWARE, kept in step by a test)
_CORS_OWN = frozenset({"traefik"})


def _filters(r: ir.Rule, namespace: str, target: str | None = None) -> list[dict[str, Any]]:
    f: list[dict[str, Any]] = []
    if r.cors is not None and target in _CORS_OWN:
        # the target refuses the CORS filter: its own object, written by its emitter, instead
        from ing2gw.emit.targets import CORS_MIDDLEWARE, cors_filter_name

        group, kind = CORS_MIDDLEWARE[target or ""]
        f.append({"type": "ExtensionRef", "extensionRef": {"group": group, "kind": kind,
                                                           "name": cors_filter_name(r.cors)}})
    elif r.cors is not None:
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
    from ing2gw.emit.targets.carry import ROOT_WITHOUT_BACKEND

    if r.direct_status is not None and target not in ROOT_WITHOUT_BACKEND:
        # (a target without a direct response keeps the rule without backendRefs: 500)
        from ing2gw.emit.targets import DIRECT_RESPONSE, direct_filter_name

        group, kind = DIRECT_RESPONSE[target or ""]
        f.append({"type": "ExtensionRef", "extensionRef": {"group": group, "kind": kind,
                                                           "name": direct_filter_name(r.direct_status)}})
    if r.rewrite is not None and r.rewrite.regex is not None:
        # only the target's own filter rewrites the path by regex (its emitter writes the
        # object); a fixed hostname stays the standard URLRewrite's
        from ing2gw.emit.targets import REGEX_REWRITE, regex_filter_name

        if r.rewrite.hostname:
            f.append({"type": "URLRewrite", "urlRewrite": {"hostname": r.rewrite.hostname}})
        group, kind = REGEX_REWRITE[target or ""]
        f.append({"type": "ExtensionRef", "extensionRef": {"group": group, "kind": kind,
                                                           "name": regex_filter_name(*r.rewrite.regex)}})
    elif r.rewrite is not None:
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


def _http_rule(r: ir.Rule, namespace: str, target: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"matches": [_match(m) for m in r.matches]}
    filters = _filters(r, namespace, target)
    if filters:
        d["filters"] = filters
    if r.backends:
        d["backendRefs"] = [_backend_ref(b, namespace, target) for b in r.backends]
    if r.timeouts is not None:
        t: dict[str, Any] = {}
        if r.timeouts.request:
            t["request"] = r.timeouts.request
        if r.timeouts.backend_request:
            t["backendRequest"] = r.timeouts.backend_request
        d["timeouts"] = t
    return d


def _grpc_rule(r: ir.Rule, namespace: str, target: str | None = None) -> dict[str, Any]:
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
        d["backendRefs"] = [_backend_ref(b, namespace, target) for b in r.backends]
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
