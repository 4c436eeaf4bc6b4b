"""AWS Load Balancer Controller policies (gateway.k8s.aws/v1) for intents plain Gateway API lacks.

The controller turns every (rule, match, hostname) of the HTTPRoutes on a listener into one ALB
listener rule and numbers them by Gateway API precedence; equally specific ones keep route
creation time, route namespace/name, rule index and match index order
(pkg/gateway/routeutils/route_rule_precedence.go, SortAllRulesByPrecedence). The ALB runs the
first listener rule whose conditions all hold, else the listener's default 404. A
ListenerRuleConfiguration named by a rule's ExtensionRef adds `conditions` (source-ip only) to
the rule's listener rules and may replace its forward action by a fixed response
(model_build_listener.go buildListenerRules, route_rule_condition.go BuildSourceIpInCondition,
route_rule_action.go BuildRuleRoutingAction).

* source-range (allow/deny lists): a source-ip condition alone only narrows a rule, so other
  clients would fall through to a less specific rule or the 404. Each forwarding rule of the
  Ingress's route therefore becomes, in this order, rules with the same matches:
  one per deny chunk (source-ip in the chunk, fixed-response 403, no backend), one per allow
  chunk (source-ip in the chunk, the rule's own filters and backends), and a last one answering
  403 when there is an allow list (else the rule itself, unconditioned). They tie on every
  precedence key but the rule index, so the ALB tries them one after another for each match
  before any less specific rule: a client in the deny list, or outside the allow list, gets
  403 exactly on the Ingress's paths, as from nginx (`deny ...; allow ...; deny all;`). An
  invalid list (nginx denies the location: 503) becomes one fixed-response 503 rule. A chunk
  holds as many addresses as the ALB allows beside the match's own conditions (at most 3 per
  condition, 5 per listener rule; ELB docs "Condition types for listener rules"). The ALB
  checks the TCP peer of its connection and never X-Forwarded-For (ING2GW-TARGET-050). A route
  that cannot be written so (a GRPCRoute, a match already using all five evaluations, a rule
  that already names a ListenerRuleConfiguration, more than the 16 rules or 128 matches an
  HTTPRoute may hold) keeps its lists as an error (ING2GW-TARGET-051).
* session-affinity (cookie): LBC builds one target group per (route, Service, port)
  (model_build_target_group.go buildTargetGroupResourceID) and takes its properties from the
  Service's TargetGroupConfiguration, the route's `routeConfigurations` entry over its
  `defaultConfiguration` (tg_config_constructor.go). So one TargetGroupConfiguration per
  Service gets an entry for exactly each route of an Ingress with affinity: target group
  stickiness of type lb_cookie for the cookie's Max-Age/Expires (nginx's session cookie: the
  ALB's default of one day), and nothing for other routes of the Service. The ALB's cookie is
  AWSALB, not nginx's (ING2GW-TARGET-052).
* backend-tls (TLS without verification, backend-protocol HTTPS): the same per-route entry of
  the Service's TargetGroupConfiguration sets `targetGroupProps.protocol: HTTPS`, so exactly the
  Ingress's target groups reach the Service over TLS; the ALB does not validate target
  certificates (ELB docs, "Target groups for your Application Load Balancers", routing
  protocol), as ingress-nginx without proxy-ssl-verify (ING2GW-TARGET-063). A route whose rules
  send to one Service both with and without TLS (two Ingresses merged into one route) is an
  error, ING2GW-TARGET-061.
* health-check (HAProxy check-http "GET /path" with check-interval and a shorter timeout-check):
  the same per-route entry sets `healthCheckConfig` (HTTP, path, interval and timeout in
  seconds, HAProxy's rise 2 and fall 3, matcher 200-399 as HAProxy's 2xx and 3xx), so exactly
  the Ingress's target groups are checked (ING2GW-TARGET-078).
* direct responses (ir.Rule.direct_status): a ListenerRuleConfiguration with a fixed-response
  action per status and namespace; LBC answers with it instead of forwarding
  (route_rule_action.go BuildRuleRoutingAction). The ALB's body is empty and text/plain.
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.objects import MAX_MATCHES, MAX_RULES  # an HTTPRoute's limits (CRD maxItems and CEL)
from ing2gw.emit.targets import Emitted, Variant, direct_statuses
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.k8s.aws/v1"
GROUP = "gateway.k8s.aws"
KIND = "ListenerRuleConfiguration"
TARGET = "aws"
#: ALB limits: match evaluations (condition values) per condition and per listener rule
PER_CONDITION = 3
PER_RULE = 5


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def _header_values(value: str) -> int:
    """How many ALB values LBC makes of an Exact header match: it splits on unescaped commas."""
    n, i = 1, 0
    while i < len(value):
        if value[i] == "\\":
            i += 2
            continue
        if value[i] == ",":
            n += 1
        i += 1
    return n


def evaluations(m: ir.Match) -> int:
    """The ALB match evaluations of the listener rule LBC builds for one match: a host-header
    value (one hostname per listener rule; counted even for a catch-all), the path pattern
    (PathPrefix /p is `/p` and `/p/*`, `/` is `/*`), header, query and method values."""
    n = 1
    if m.path is None or m.path.type != "PathPrefix" or m.path.value.rstrip("/") == "":
        n += 1
    else:
        n += 2
    n += sum(_header_values(h.value) if h.type == "Exact" else 1 for h in m.headers)
    n += len(m.query) + (1 if m.method else 0)
    return n


def _chunks(cidrs: list[str], size: int) -> list[list[str]]:
    return [cidrs[i:i + size] for i in range(0, len(cidrs), size)]


def _lists(intents: list[ir.Intent]) -> tuple[list[str], list[str], str | None]:
    """(deny ranges, allow ranges, the deny-all value) of a route's source-range intents."""
    deny: set[str] = set()
    allow: set[str] = set()
    denied: str | None = None
    for i in intents:
        action = dict(i.params).get("action")
        ranges = {c.strip() for c in i.value.split(",") if c.strip()}
        if action == "deny-all":
            denied = i.value
        elif action == "deny":
            deny |= ranges
        elif action == "allow":
            allow |= ranges
    return sorted(deny), sorted(allow), denied


def _config(name: str, route: ir.Route, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": KIND,
            "metadata": {"name": name, "namespace": route.namespace,
                         "annotations": {"ing2gw.io/source-ingress": route.source.key}},
            "spec": spec}


def _ref(name: str) -> dict[str, Any]:
    return {"type": "ExtensionRef", "extensionRef": {"group": GROUP, "kind": KIND, "name": name}}


def _fixed(status: int) -> list[dict[str, Any]]:
    return [{"type": "fixed-response", "fixedResponseConfig": {"statusCode": status}}]


def _source(cidrs: list[str]) -> list[dict[str, Any]]:
    return [{"field": "source-ip", "sourceIPConfig": {"values": cidrs}}]


def _why_not(route: ir.Route, forms: int, budget: int) -> str | None:
    """Why the route cannot take its address lists as rule variants (None: it can)."""
    from ing2gw.emit.gateway import _chunks as route_chunks, merge_rules

    if route.kind != "HTTPRoute":
        return f"it is a {route.kind} (ing2gw writes the listener rules of HTTPRoutes only)"
    if budget < 1:
        return ("one of its matches already uses all five condition values an ALB listener rule may hold, so no "
                "source-ip value fits beside it")
    if any(r.direct_status is not None for r in route.rules):
        return "a rule already names a ListenerRuleConfiguration (one per rule)"
    for part in route_chunks(merge_rules(route.rules)):
        guarded = [r for r in part if r.redirect is None]
        rules = len(part) + (forms - 1) * len(guarded)
        matches = sum(max(1, len(r.matches)) for r in part) + \
            (forms - 1) * sum(max(1, len(r.matches)) for r in guarded)
        if rules > MAX_RULES or matches > MAX_MATCHES:
            return (f"each forwarding rule would become {forms} rules (one per {budget} addresses, and the 403), "
                    f"{rules} rules with {matches} matches in one HTTPRoute: more than the {MAX_RULES} rules and "
                    f"{MAX_MATCHES} matches it may hold")
    return None


def emit_policies(routes: list[tuple[ir.Route, str]]) -> Emitted:
    """The ListenerRuleConfigurations of each route's address lists, the rule variants that name
    them, the intents carried, and what the user must check (one finding per Ingress)."""
    objects: list[dict[str, Any]] = []
    consumed: set[ir.Intent] = set()
    variants: dict[tuple[str, str], list[Variant]] = {}
    told: dict[tuple[str, str], Finding] = {}
    for route, name in routes if carries(TARGET, "client-allow-list") else ():
        lists = [i for i in route.intents if i.kind == "source-range"]
        if not lists:
            continue
        first = lists[0]
        deny, allow, denied = _lists(lists)
        matches = [m for r in route.rules if r.redirect is None for m in (r.matches or (ir.Match(),))]
        budget = min(PER_CONDITION, PER_RULE - max((evaluations(m) for m in matches), default=2))
        forms = 1 if denied is not None else \
            len(_chunks(deny, max(budget, 1))) + len(_chunks(allow, max(budget, 1))) + 1
        why = _why_not(route, forms, budget)
        consumed.update(lists)  # carried, or reported here with the reason (not again as ING2GW-CORE-026)
        if why is not None:
            told.setdefault((first.source.key, f"inexact {name}"), Finding(
                Severity.ERROR, "ING2GW-TARGET-051",
                f"aws: the address lists of route {route.namespace}/{name} are not written: {why}",
                origin=first.source.origin, subject=f"Ingress {first.source.key}", annotation=first.source.annotation,
                suggestion="split the Ingress (fewer paths or addresses per Ingress), or restrict the clients by hand "
                           "(LoadBalancerConfiguration sourceRanges covers the whole Gateway; a WAF web ACL IP set)",
                security=True))
            continue
        forms_of: list[Variant] = []
        if denied is not None:
            cname = _name(name, "-denied")
            objects.append(_config(cname, route, {"actions": _fixed(503)}))
            forms_of.append(Variant(_ref(cname), keep=False))
        else:
            for n, chunk in enumerate(_chunks(deny, budget), 1):
                cname = _name(name, f"-deny-{n}")
                objects.append(_config(cname, route, {"actions": _fixed(403), "conditions": _source(chunk)}))
                forms_of.append(Variant(_ref(cname), keep=False))
            for n, chunk in enumerate(_chunks(allow, budget), 1):
                cname = _name(name, f"-allow-{n}")
                objects.append(_config(cname, route, {"conditions": _source(chunk)}))
                forms_of.append(Variant(_ref(cname), keep=True))
            if allow:
                cname = _name(name, "-forbidden")
                objects.append(_config(cname, route, {"actions": _fixed(403)}))
                forms_of.append(Variant(_ref(cname), keep=False))
            else:
                forms_of.append(Variant(None, keep=True))
        variants[(route.namespace, name)] = forms_of
        if denied is not None:
            continue  # every request answered 503, as by nginx: nothing to check (ING2GW-NGINX-082 says why)
        told.setdefault((first.source.key, "source-range"), Finding(
            Severity.WARNING, "ING2GW-TARGET-050",
            f"aws: the address lists are ListenerRuleConfiguration source-ip conditions: each forwarding rule of "
            f"route {route.namespace}/{name} is written {len(forms_of)} times ("
            + ", ".join(x for x in (f"{len(_chunks(deny, budget))} for denied ranges answering 403" if deny else "",
                                    f"{len(_chunks(allow, budget))} for allowed ranges, then one answering 403"
                                    if allow else "the rule itself") if x)
            + "), which the ALB evaluates in that order; it checks the TCP peer of its connection, never "
            "X-Forwarded-For", origin=first.source.origin, subject=f"Ingress {first.source.key}",
            annotation=first.source.annotation,
            suggestion="if a proxy or CDN sits in front of the ALB, its address is what the ALB sees: restrict clients "
                       "there; keep the rules' order and the ALB's listener-rule quota (100 by default) in mind",
            security=True))
    entries = _stickiness(routes, consumed, told)
    _backend_tls(routes, consumed, told, entries)
    _health_checks(routes, consumed, told, entries)
    objects += _target_group_configurations(entries)
    objects += direct_responses([route for route, _ in routes])
    return Emitted(objects, consumed, [told[k] for k in sorted(told)], variants=variants)


def direct_responses(routes: list[ir.Route]) -> list[dict[str, Any]]:
    """The fixed-response ListenerRuleConfiguration of every direct response of the routes'
    rules (ir.Rule.direct_status), one per status and namespace, named by `direct_filter_name`
    (emit.gateway names it by ExtensionRef from the rule, which has no backend)."""
    return [{"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name, "namespace": ns},
             "spec": {"actions": _fixed(status)}} for ns, status, name in direct_statuses(routes)]


#: the ALB's default lb_cookie duration (one day), for nginx's session cookie
DEFAULT_STICKINESS = 86400


#: Service -> (route kind, namespace, name) -> (targetGroupProps of the route's entry, source Ingress)
Entries = dict[tuple[str, str], dict[tuple[str, str, str], tuple[dict[str, Any], str]]]


def _stickiness(routes: list[tuple[ir.Route, str]], consumed: set[ir.Intent],
                told: dict[tuple[str, str], Finding]) -> Entries:
    """The routeConfigurations entries of each route with cookie affinity, for every Service it
    forwards to (module docstring)."""
    entries: Entries = {}
    for route, name in routes:
        wanted = [i for i in route.intents if i.kind == "session-affinity" and carries(TARGET, i.kind, i.params)]
        if not wanted:
            continue
        i = wanted[0]
        p = dict(i.params)
        given = p.get("max-age") or p.get("expires")
        seconds = int(given) if given else DEFAULT_STICKINESS
        services = sorted({(b.namespace, b.name) for r in route.rules if r.redirect is None for b in r.backends})
        attributes = [{"key": "stickiness.enabled", "value": "true"},
                      {"key": "stickiness.type", "value": "lb_cookie"},
                      {"key": "stickiness.lb_cookie.duration_seconds", "value": str(seconds)}]
        for service in services:
            entries.setdefault(service, {})[(route.kind, route.namespace, name)] = (
                {"targetGroupAttributes": attributes}, route.source.key)
        consumed.update(wanted)
        lost = [f"the ALB's cookie AWSALB instead of {p['cookie']}"]
        if not given:
            lost.append(f"it lasts {DEFAULT_STICKINESS}s (nginx's was a session cookie)")
        if p.get("path", "/") != "/" or any(k in p for k in ("paths", "domain", "samesite")):
            lost.append("its Path, Domain and SameSite are the ALB's own")
        told.setdefault((i.source.key, i.kind), Finding(
            Severity.WARNING, "ING2GW-TARGET-052",
            f"aws: cookie affinity becomes lb_cookie stickiness ({seconds}s) of route {route.namespace}/{name}'s target "
            f"groups (TargetGroupConfiguration routeConfigurations of Service(s) "
            f"{', '.join(f'{ns}/{n}' for ns, n in services)}): " + "; ".join(lost)
            + "; clients pinned by ingress-nginx move once", origin=i.source.origin,
            subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
            suggestion="if a TargetGroupConfiguration already names the Service, merge the routeConfigurations into it "
                       "(one per Service)"))
    return entries


def _backend_tls(routes: list[tuple[ir.Route, str]], consumed: set[ir.Intent], told: dict[tuple[str, str], Finding],
                 entries: Entries) -> None:
    """Target group protocol HTTPS in the routeConfigurations entry of each route whose Ingress
    asks for TLS without verification, for every Service the route forwards to."""
    for route, name in routes:
        mine = {i.source.key: i for i in route.intents if i.kind == "backend-tls" and carries(TARGET, i.kind, i.params)}
        if not mine:
            continue
        consumed.update(mine.values())
        wishes: dict[tuple[str, str], set[bool]] = {}
        for rule in route.rules:
            if rule.redirect is not None:
                continue
            asks = rule.source.key in mine  # the Ingress of the rule decides (backend-protocol is per Ingress)
            for b in rule.backends:
                wishes.setdefault((b.namespace, b.name), set()).add(asks)
        i = mine.get(route.source.key) or next(iter(mine.values()))
        mixed = sorted(f"{ns}/{svc}" for (ns, svc), w in wishes.items() if len(w) > 1)
        if mixed:
            told.setdefault((i.source.key, f"tls {name}"), Finding(
                Severity.ERROR, "ING2GW-TARGET-061",
                f"aws: TLS to the backend without verification is not written for route {route.namespace}/{name}: "
                f"its rules send to Service(s) {', '.join(mixed)} both with TLS (this Ingress) and without (another "
                "Ingress of the route), and a target group is one per route and Service; the Gateway speaks plain HTTP "
                "to the TLS port", origin=i.source.origin, subject=f"Ingress {i.source.key}",
                annotation=i.source.annotation, security=True,
                suggestion="give the Ingress its own Service (a second Service selecting the same Pods), or make the "
                           "Ingresses agree on backend-protocol"))
        services = sorted(svc for svc, w in wishes.items() if w == {True})
        for service in services:
            props, source = entries.setdefault(service, {}).get((route.kind, route.namespace, name),
                                                                ({}, route.source.key))
            entries[service][(route.kind, route.namespace, name)] = ({**props, "protocol": "HTTPS"}, source)
        if services:
            told.setdefault((i.source.key, f"tls-written {name}"), Finding(
                Severity.INFO, "ING2GW-TARGET-063",
                f"aws: backend-protocol HTTPS becomes target group protocol HTTPS for route {route.namespace}/{name} "
                f"(TargetGroupConfiguration routeConfigurations of Service(s) "
                f"{', '.join(f'{ns}/{n}' for ns, n in services)}): the ALB reaches the targets over TLS without "
                "validating their certificates, as ingress-nginx did; other routes of the Service keep their own "
                "target groups", origin=i.source.origin, subject=f"Ingress {i.source.key}",
                annotation=i.source.annotation,
                suggestion="if a TargetGroupConfiguration already names the Service, merge the routeConfigurations "
                           "into it (one per Service)"))


def _health_checks(routes: list[tuple[ir.Route, str]], consumed: set[ir.Intent], told: dict[tuple[str, str], Finding],
                   entries: Entries) -> None:
    """Target group healthCheckConfig in the routeConfigurations entry of each route whose Ingress
    asks for HAProxy's HTTP check (providers/haproxy/backend_settings.py), for the Service the
    intent names (or every Service of the route): exactly the route's own target groups, as
    HAProxy checked exactly that backend's servers."""
    for route, name in routes:
        mine = [i for i in route.intents if i.kind == "health-check" and carries(TARGET, i.kind, i.params)]
        sends = {(b.namespace, b.name) for r in route.rules if r.redirect is None for b in r.backends}
        for i in mine:
            p = dict(i.params)
            named = p.get("service")
            services = sorted(svc for svc in sends if named is None or f"{svc[0]}/{svc[1]}" == named)
            if not services:
                continue
            check = {"healthCheckProtocol": "HTTP", "healthCheckPath": p["path"],
                     "healthCheckInterval": int(p["interval-ms"]) // 1000,
                     "healthCheckTimeout": int(p["read-timeout-ms"]) // 1000,
                     "healthyThresholdCount": int(p["rise"]), "unhealthyThresholdCount": int(p["fall"]),
                     "matcher": {"httpCode": "200-399"}}
            for service in services:
                props, source = entries.setdefault(service, {}).get((route.kind, route.namespace, name),
                                                                    ({}, route.source.key))
                entries[service][(route.kind, route.namespace, name)] = ({**props, "healthCheckConfig": check}, source)
            consumed.add(i)
            told.setdefault((i.source.key, f"health {name} {named}"), Finding(
                Severity.WARNING, "ING2GW-TARGET-078",
                f"aws: the active health check (HTTP GET {p['path']} every {check['healthCheckInterval']}s, timeout "
                f"{check['healthCheckTimeout']}s, 2xx and 3xx healthy, down after {p['fall']} failures, up after "
                f"{p['rise']} successes) becomes healthCheckConfig of route {route.namespace}/{name}'s target groups "
                f"(TargetGroupConfiguration routeConfigurations of Service(s) "
                f"{', '.join(f'{ns}/{n}' for ns, n in services)}); the ALB's nodes send it (HTTP/1.1; HAProxy: "
                f"{p['version']}), and timeout-check was HAProxy's read timeout after connecting where the ALB's "
                "timeout covers the whole check", origin=i.source.origin, subject=f"Ingress {i.source.key}",
                annotation=i.source.annotation,
                suggestion="let the targets' security group admit the ALB's health checks; if a TargetGroupConfiguration "
                           "already names the Service, merge the routeConfigurations into it (one per Service)"))


def _target_group_configurations(entries: Entries) -> list[dict[str, Any]]:
    """One TargetGroupConfiguration per Service with an entry for each route that needs one."""
    out: list[dict[str, Any]] = []
    for (ns, svc), routes_of in sorted(entries.items()):
        configs: list[dict[str, Any]] = []
        for (kind, rns, rname), (props, _) in sorted(routes_of.items()):
            configs.append({"routeIdentifier": {"kind": kind, "namespace": rns, "name": rname},
                            "targetGroupProps": props})
        sources = ",".join(sorted({src for _, src in routes_of.values()}))
        out.append({"apiVersion": API_VERSION, "kind": "TargetGroupConfiguration",
                    "metadata": {"name": _name(svc, "-ing2gw"), "namespace": ns,
                                 "annotations": {"ing2gw.io/source-ingress": sources}},
                    "spec": {"targetReference": {"name": svc}, "routeConfigurations": configs}})
    return out
