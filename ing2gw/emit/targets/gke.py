"""GKE Gateway policies (networking.gke.io/v1) for intents plain Gateway API lacks.

GKE's GCPBackendPolicy configures the Google Cloud backend service of one Service (targetRef
kind Service), so it applies to every route, of any Ingress and Gateway, that sends to that
Service; GKE accepts one GCPBackendPolicy per Service. ing2gw therefore writes at most one per
Service, merging the settings of every intent, and only when every forwarding rule of the whole
input that sends to the Service asks for exactly the same settings (a rule that asks for
nothing disagrees with one that asks for something): otherwise no policy is written and
ING2GW-TARGET-046 names the Ingresses that disagree. Never wider than the Ingresses that asked.

* session-affinity (`affinity: cookie`): `sessionAffinity` GENERATED_COOKIE, `cookieTtlSec`
  from session-cookie-max-age (else -expires; neither: 0, a session cookie as nginx's default).
  Google names the cookie (GCLB) and sets no settable Path, Domain or SameSite; its value is
  Google's, so clients pinned by ingress-nginx move once (ING2GW-TARGET-043).
* load-balancing (`upstream-hash-by $remote_addr`): `sessionAffinity` CLIENT_IP, Google's hash
  of the client address (ING2GW-TARGET-044). Other hash keys are not carried (carry.py).
* timeouts (ir.Rule.timeouts, the backendRequest ingress-nginx's proxy-read/send-timeout
  became): `timeoutSec`, Google's backend service timeout, which bounds the whole response
  where nginx bounded each read and write (ING2GW-TARGET-045). The HTTPRoute `timeouts` GKE
  does not implement are then left out of the route (Emitted.carried_timeouts).
* allow/deny lists and rate limits: GKE checks them only in a Cloud Armor security policy that
  lives in the Google Cloud project and is named by `securityPolicy`. ing2gw cannot create it
  and never names a policy that may not exist: each stays an error (ING2GW-TARGET-047 /
  ING2GW-TARGET-048) saying which rules to create and which field of which Service's
  GCPBackendPolicy names it.

Facts: the GCPBackendPolicy CRD vendored in tests/data/gateway-api/implementations/gke-gateway/
(timeoutSec 1.., default 30 s; cookieTtlSec 0..1209600, 0 a session cookie), GKE's "Configure
Gateway resources using Policies" page (one GCPBackendPolicy per Service) and Google Cloud's
backend service docs (https://cloud.google.com/load-balancing/docs/backend-service#timeout-setting,
#session_affinity), Cloud Armor's rate-limiting overview (throttle, deny(429)).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ing2gw import ir
from ing2gw.emit.targets import Emitted
from ing2gw.emit.targets.carry import carries
from ing2gw.findings import Finding, Severity

API_VERSION = "networking.gke.io/v1"
TARGET = "gke"
#: GKE's backend service timeout when no GCPBackendPolicy sets one
DEFAULT_TIMEOUT_SEC = 30

#: one Service: (namespace, name)
ServiceKey = tuple[str, str]
#: the GCPBackendPolicy `default` one rule asks for, as sorted items (hashable, comparable)
Settings = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class _Use:
    """One forwarding rule's use of a Service and what it asks the Service's policy for."""

    ingress: str
    settings: Settings
    route: int  # index of the route in the emitter's unique route list


def seconds(duration: str) -> int | None:
    """A Gateway API duration written by ing2gw (`90s`, `27h46m40s`) in whole seconds, or None
    when it has a fraction of a second (timeoutSec counts whole seconds)."""
    parts = re.findall(r"(\d+)(ms|h|m|s)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        return None
    total_ms = sum(int(n) * {"h": 3600000, "m": 60000, "s": 1000, "ms": 1}[u] for n, u in parts)
    return total_ms // 1000 if total_ms % 1000 == 0 else None


def _name(base: str, suffix: str) -> str:
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def policy_name(service: str) -> str:
    """The name of the GCPBackendPolicy of `service` (one per Service)."""
    return _name(service, "-gke-backend")


def _affinity(route: ir.Route) -> tuple[dict[str, Any] | None, ir.Intent | None]:
    """The sessionAffinity the route's intents ask for and the intent that asks."""
    for i in route.intents:
        if i.kind == "session-affinity" and carries(TARGET, i.kind, i.params):
            p = dict(i.params)
            # nginx: Max-Age wins over Expires in browsers; neither is a session cookie (ttl 0)
            ttl = int(p.get("max-age") or p.get("expires") or 0)
            return {"type": "GENERATED_COOKIE", "cookieTtlSec": ttl}, i
    for i in route.intents:
        if i.kind == "load-balancing" and carries(TARGET, i.kind, i.params):
            return {"type": "CLIENT_IP"}, i
    return None, None


def _rule_settings(rule: ir.Rule, affinity: dict[str, Any] | None) -> Settings:
    out: dict[str, Any] = {}
    if affinity is not None:
        out["sessionAffinity"] = tuple(sorted(affinity.items()))
    if rule.timeouts is not None and rule.timeouts.backend_request:
        sec = seconds(rule.timeouts.backend_request)
        if sec is not None and sec >= 1:
            out["timeoutSec"] = sec
    return tuple(sorted(out.items()))


def _describe(settings: Settings) -> str:
    if not settings:
        return "nothing (GKE's defaults: no affinity, a 30 s timeout)"
    parts = []
    for key, value in settings:
        if key == "sessionAffinity":
            parts.append("sessionAffinity " + ", ".join(f"{k} {v}" for k, v in value))
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def _spec_default(settings: Settings) -> dict[str, Any]:
    return {k: (dict(v) if k == "sessionAffinity" else v) for k, v in settings}


def emit_policies(routes: list[tuple[ir.Route, str]]) -> Emitted:
    """One GCPBackendPolicy per Service whose users all ask for the same settings, the intents
    they carry, the routes whose HTTPRoute timeouts they carry, and the findings (what the user
    must check; what could not be written and why; the Cloud Armor policies to create)."""
    unique: list[ir.Route] = []
    names: dict[int, list[str]] = {}
    for route, name in routes:
        if id(route) not in names:
            unique.append(route)
            names[id(route)] = []
        names[id(route)].append(name)
    uses: dict[ServiceKey, list[_Use]] = {}
    asking: dict[int, ir.Intent] = {}
    timed: dict[int, set[ServiceKey]] = {}  # route -> Services its rules with timeouts send to
    services_of: dict[int, set[ServiceKey]] = {}
    for n, route in enumerate(unique):
        affinity, intent = _affinity(route)
        if intent is not None:
            asking[n] = intent
        for rule in route.rules:
            if rule.redirect is not None or not rule.backends:
                continue  # a redirect or a direct answer never reaches a backend service
            settings = _rule_settings(rule, affinity)
            # (a mirror's copies are answered by nobody: affinity and timeouts there change nothing,
            # so a mirror is no user of its Service here)
            for b in rule.backends:
                key = (b.namespace, b.name)
                uses.setdefault(key, []).append(_Use(route.source.key, settings, n))
                services_of.setdefault(n, set()).add(key)
                if rule.timeouts is not None and rule.timeouts.backend_request:
                    timed.setdefault(n, set()).add(key)
        for b in route.tls_backends:  # a TLSRoute's Service asks for nothing
            key = (b.namespace, b.name)
            uses.setdefault(key, []).append(_Use(route.source.key, (), n))
            services_of.setdefault(n, set()).add(key)
    objects: list[dict[str, Any]] = []
    written: dict[ServiceKey, str] = {}
    findings: list[Finding] = []
    for key in sorted(uses):
        wanted = {u.settings for u in uses[key]}
        if wanted == {()}:
            continue
        ns, svc = key
        if len(wanted) > 1:
            findings += _conflict(key, uses[key], unique)
            continue
        (settings,) = wanted
        ingresses = sorted({u.ingress for u in uses[key]})
        objects.append({"apiVersion": API_VERSION, "kind": "GCPBackendPolicy",
                        "metadata": {"name": policy_name(svc), "namespace": ns,
                                     "annotations": {"ing2gw.io/source-ingress": ingresses[0]}},
                        "spec": {"targetRef": {"group": "", "kind": "Service", "name": svc},
                                 "default": _spec_default(settings)}})
        written[key] = f"{ns}/{policy_name(svc)}"
    consumed: set[ir.Intent] = set()
    carried_timeouts: set[tuple[str, str]] = set()
    told: dict[tuple[str, str], Finding] = {}
    for n, route in enumerate(unique):
        mine = sorted(services_of.get(n, set()))
        if n in asking and mine:
            # carried where written; a Service whose users disagree is reported by TARGET-046
            i = asking[n]
            consumed.add(i)
            if any(k in written for k in mine):
                told.setdefault((i.source.key, i.kind),
                                _affinity_finding(i, [written[k] for k in mine if k in written]))
        if n in timed and all(k in written for k in timed[n]):
            carried_timeouts.update((route.namespace, name) for name in names[id(route)])
            for rule in route.rules:
                if rule.timeouts is not None and rule.timeouts.backend_request and rule.backends:
                    told.setdefault((rule.source.key, "timeout"), _timeout_finding(
                        rule, sorted(written[(b.namespace, b.name)] for b in rule.backends)))
    security, reported = _security_findings(unique, services_of, uses)
    consumed |= reported
    checks, checked, check_findings = health_check_policies(unique)
    objects += checks
    consumed |= checked
    return Emitted(objects=objects, consumed=consumed,
                   findings=[told[k] for k in sorted(told)] + findings + security + check_findings,
                   carried_timeouts=carried_timeouts)


def health_check_policies(routes: list[ir.Route]) -> tuple[list[dict[str, Any]], set[ir.Intent], list[Finding]]:
    """One HealthCheckPolicy per Service whose routes all ask for the same active check (HAProxy
    check, check-http, check-interval, timeout-check; providers/haproxy/backend_settings.py):
    TCP connect or HTTP GET of the path on the serving port, interval and timeout in seconds,
    HAProxy's rise 2 and fall 3 as healthy and unhealthy thresholds (TARGET-091)."""
    from ing2gw.emit.targets.service_settings import agree

    result = agree(routes, "gke", "health-check")
    objects: list[dict[str, Any]] = []
    told: list[Finding] = []
    for (ns, svc), (params, lead) in sorted(result.services.items()):
        p = dict(params)
        interval = int(p["interval-ms"]) // 1000
        timeout = int(p.get("read-timeout-ms", p["interval-ms"])) // 1000
        if p["type"] == "http":
            config: dict[str, Any] = {"type": "HTTP", "httpHealthCheck": {
                "portSpecification": "USE_SERVING_PORT", "requestPath": p["path"]}}
        else:
            config = {"type": "TCP", "tcpHealthCheck": {"portSpecification": "USE_SERVING_PORT"}}
        name = _name(svc, "-health-check")
        objects.append({"apiVersion": API_VERSION, "kind": "HealthCheckPolicy",
                        "metadata": {"name": name, "namespace": ns,
                                     "annotations": {"ing2gw.io/source-ingress": lead.source.key}},
                        "spec": {"targetRef": {"group": "", "kind": "Service", "name": svc},
                                 "default": {"checkIntervalSec": interval, "timeoutSec": timeout,
                                             "healthyThreshold": int(p["rise"]),
                                             "unhealthyThreshold": int(p["fall"]), "config": config}}})
        what = f"HTTP GET {p['path']}" if p["type"] == "http" else "TCP connect"
        told.append(Finding(
            Severity.WARNING, "ING2GW-TARGET-091",
            f"gke: the active health check ({what} on the serving port every {interval}s, timeout {timeout}s, down "
            f"after {p['fall']} failures, up after {p['rise']} successes) is written as HealthCheckPolicy {ns}/{name} "
            f"for Service {ns}/{svc} (every route of the input that sends to the Service asks for it); Google's "
            "health checkers probe from 35.191.0.0/16 and 130.211.0.0/22, which the pods' firewall must admit"
            + ("; only 200 is healthy where HAProxy took 2xx and 3xx, and the probe is HTTP/1.1 (HAProxy: "
               f"{p['version']})" if p["type"] == "http" else "")
            + ("; timeout-check was HAProxy's read timeout after connecting, timeoutSec covers the whole check"
               if "read-timeout-ms" in p else ""),
            origin=lead.source.origin, subject=f"Ingress {lead.source.key}", annotation=lead.source.annotation,
            suggestion="make the health path answer 200, and allow the health-check ranges to reach the pods"))
    return objects, result.consumed, told + result.findings


def _conflict(key: ServiceKey, uses: list[_Use], routes: list[ir.Route]) -> list[Finding]:
    """ING2GW-TARGET-046 for each Ingress that asked for settings of a Service whose other users
    ask for other ones (or none)."""
    ns, svc = key
    by_ingress: dict[str, set[Settings]] = {}
    for u in uses:
        by_ingress.setdefault(u.ingress, set()).add(u.settings)
    listing = "; ".join(f"Ingress {ing}: " + " / ".join(_describe(s) for s in sorted(by_ingress[ing]))
                        for ing in sorted(by_ingress))
    out = []
    for ing in sorted(by_ingress):
        if by_ingress[ing] == {()}:
            continue
        source = next(r.source for r in routes if r.source.key == ing)
        out.append(Finding(
            Severity.WARNING, "ING2GW-TARGET-046",
            f"gke: no GCPBackendPolicy is written for Service {ns}/{svc}: GKE applies it to every route that sends "
            f"to the Service and the rules using it ask for different settings ({listing}); the settings of this "
            "Ingress are not carried (the HTTPRoute timeouts GKE ignores stay as written)",
            origin=source.origin, subject=f"Ingress {ing}",
            suggestion="give the Ingress that needs other settings its own Service (a second Service selecting the "
                       "same Pods), or make the Ingresses agree"))
    return out


def _affinity_finding(intent: ir.Intent, policies: list[str]) -> Finding:
    p = dict(intent.params)
    where = ", ".join(policies)
    if intent.kind == "load-balancing":
        return Finding(
            Severity.WARNING, "ING2GW-TARGET-044",
            f"gke: upstream-hash-by {p.get('key')} becomes sessionAffinity CLIENT_IP in GCPBackendPolicy {where}: "
            "requests from one client address keep reaching one endpoint, but Google's hash places addresses on "
            "other endpoints than nginx's consistent-hash ring (each client moves once), affinity is best-effort "
            "(it breaks when endpoints are added, removed, unhealthy or at capacity), and it applies to every route "
            "that sends to the Service", origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
            annotation=intent.source.annotation,
            suggestion="expect clients to be re-pinned once at the switch-over")
    ttl = int(p.get("max-age") or p.get("expires") or 0)
    parts = [f"affinity cookie becomes sessionAffinity GENERATED_COOKIE (cookieTtlSec {ttl}"
             + (": a session cookie" if ttl == 0 else "") + f") in GCPBackendPolicy {where}: the load balancer "
             f"sets its own cookie GCLB instead of {p.get('cookie', 'INGRESSCOOKIE')}, whose name, Path, Domain and "
             "SameSite cannot be set and whose value is Google's, so clients pinned by ingress-nginx move to "
             "another endpoint once; affinity is best-effort (it breaks when endpoints are added, removed, "
             "unhealthy or at capacity)"]
    if p.get("mode") == "persistent":
        parts.append("affinity-mode persistent is not kept: sessions may move when endpoints change")
    return Finding(Severity.WARNING, "ING2GW-TARGET-043", "gke: " + "; ".join(parts),
                   origin=intent.source.origin, subject=f"Ingress {intent.source.key}",
                   annotation=intent.source.annotation,
                   suggestion="expect sticky clients to be re-pinned once; clients that read the cookie by name must "
                              "read GCLB")


def _timeout_finding(rule: ir.Rule, policies: list[str]) -> Finding:
    assert rule.timeouts is not None and rule.timeouts.backend_request
    sec = seconds(rule.timeouts.backend_request)
    return Finding(
        Severity.WARNING, "ING2GW-TARGET-045",
        f"gke: the proxy timeouts become timeoutSec {sec} in GCPBackendPolicy {', '.join(dict.fromkeys(policies))}: "
        "Google's backend service timeout bounds the whole response (for a WebSocket, the whole connection), where "
        "nginx's proxy-read/send-timeout bounded the wait between two reads or writes, so long downloads, streams "
        "and long polls may be cut; proxy-connect-timeout has no counterpart; Services without a policy get GKE's "
        f"default of {DEFAULT_TIMEOUT_SEC} s (ingress-nginx's default was 60 s between reads)",
        origin=rule.source.origin, subject=f"Ingress {rule.source.key}", annotation=rule.source.annotation or None,
        suggestion="raise timeoutSec for Services that stream or long-poll")


# ---- what GKE can only reference by a Google Cloud name -------------------------------------

def _ranges(value: str) -> list[str]:
    return sorted({c.strip() for c in value.split(",") if c.strip()})


def _services_text(keys: list[ServiceKey]) -> str:
    return ", ".join(f"{ns}/{name}" for ns, name in keys) or "each Service the Ingress sends to"


def _others(keys: list[ServiceKey], ingress: str, uses: dict[ServiceKey, list[_Use]]) -> list[str]:
    return sorted({u.ingress for k in keys for u in uses.get(k, []) if u.ingress != ingress})


def _security_findings(routes: list[ir.Route], services_of: dict[int, set[ServiceKey]],
                       uses: dict[ServiceKey, list[_Use]]) -> tuple[list[Finding], set[ir.Intent]]:
    """An error per Ingress and address list or rate limit, saying exactly which Cloud Armor
    security policy to create and where to name it; those intents are reported here (consumed)."""
    told: dict[tuple[str, str], Finding] = {}
    reported: set[ir.Intent] = set()
    for n, route in enumerate(routes):
        keys = sorted(services_of.get(n, set()))
        ranges = [i for i in route.intents if i.kind == "source-range"]
        limits = [i for i in route.intents if i.kind == "rate-limit"]
        if ranges:
            i = ranges[0]
            reported.update(ranges)
            told.setdefault((i.source.key, "source-range"), _armor_lists(ranges, keys, uses))
        if limits:
            i = limits[0]
            reported.update(limits)
            told.setdefault((i.source.key, "rate-limit"), _armor_rate(i, keys, uses))
    return [told[k] for k in sorted(told)], reported


def _tail(keys: list[ServiceKey], ingress: str, uses: dict[ServiceKey, list[_Use]]) -> str:
    target = f"the Service ({_services_text(keys)})" if keys else _services_text(keys)
    text = (f"; then name it in spec.default.securityPolicy of a GCPBackendPolicy (networking.gke.io/v1) whose "
            f"targetRef is {target}; GKE takes one GCPBackendPolicy and one security policy "
            "per Service, so put every Cloud Armor rule of the Service in that one policy (ing2gw writes no "
            "GCPBackendPolicy naming a security policy it cannot know exists)")
    others = _others(keys, ingress, uses)
    if others:
        text += (f"; Cloud Armor guards the whole Service, and Ingress(es) {', '.join(others)} send to it too: "
                 "give this Ingress its own Service first, or they are checked as well")
    return text


def _armor_lists(intents: list[ir.Intent], keys: list[ServiceKey], uses: dict[ServiceKey, list[_Use]]) -> Finding:
    first = intents[0]
    actions = {dict(i.params).get("action"): i for i in intents}
    if "deny-all" in actions:
        # the provider already left these rules without a backend (500): closed, as nginx's 503
        return Finding(
            Severity.ERROR, "ING2GW-TARGET-047",
            "gke: the client address list is invalid, so ingress-nginx denies every request of this Ingress; GKE "
            "could check addresses only in a Cloud Armor security policy of the Google Cloud project, which ing2gw "
            "cannot write: the translation's rules keep no backend (the Gateway answers 500) until the list is "
            "fixed, then the list needs a Cloud Armor policy named by the Service's GCPBackendPolicy "
            "spec.default.securityPolicy", origin=first.source.origin, subject=f"Ingress {first.source.key}",
            annotation=first.source.annotation, security=True,
            suggestion="fix the list (comma-separated addresses or CIDRs), then rerun ing2gw")
    else:
        rules = []
        deny = sorted({c for i in intents if dict(i.params).get("action") == "deny" for c in _ranges(i.value)})
        allow = sorted({c for i in intents if dict(i.params).get("action") == "allow" for c in _ranges(i.value)})
        if deny:
            rules.append(f"deny(403) for source ranges {','.join(deny)} at priority 1000")
        if allow:
            rules.append(f"allow for source ranges {','.join(allow)} at priority {2000 if deny else 1000}")
        default = "deny(403)" if allow else "allow"
        what = (f"create a Cloud Armor security policy (gcloud compute security-policies create NAME) with the rules "
                f"{'; '.join(rules)} (a rule's --src-ip-ranges takes at most 10 ranges: split longer lists) and the "
                f"default rule {default}")
    return Finding(
        Severity.ERROR, "ING2GW-TARGET-047",
        "gke: the client address list is not written: GKE checks client addresses only in a Cloud Armor security "
        "policy, which lives in the Google Cloud project; " + what + _tail(keys, first.source.key, uses)
        + ". Cloud Armor sees the client's address as the load balancer received it (a proxy in front needs the "
        "policy's user IP request header setting)",
        origin=first.source.origin, subject=f"Ingress {first.source.key}", annotation=first.source.annotation,
        security=True, suggestion="create the Cloud Armor policy and the GCPBackendPolicy by hand, then rerun the "
                                  "check; until then every client reaches these routes")


def _armor_rate(intent: ir.Intent, keys: list[ServiceKey], uses: dict[ServiceKey, list[_Use]]) -> Finding:
    p = dict(intent.params)
    counts = [f"--rate-limit-threshold-count={p[k]} --rate-limit-threshold-interval-sec={sec}"
              for k, sec in (("per-second", 1), ("per-minute", 60)) if p.get(k)]
    if counts:
        rule = (" and ".join(f"a rule with --action=throttle --src-ip-ranges=* {c} --conform-action=allow "
                             "--exceed-action=deny-429 --enforce-on-key=IP" for c in counts))
    else:  # another provider's limit (Traefik's rateLimit average): the count, its own period
        rule = (f"a rule with --action=throttle --src-ip-ranges=* --enforce-on-key=IP --conform-action=allow "
                f"--exceed-action=deny-429 whose --rate-limit-threshold-count and --rate-limit-threshold-interval-sec "
                f"say {intent.value} requests per the old limit's period")
    extra = ""
    if p.get("exempt"):
        extra = f"; limit-allowlist {p['exempt']} becomes a higher-priority allow rule for those ranges"
    how = ("Cloud Armor counts over its interval without nginx's burst, and answers 429 where ingress-nginx answered "
           "503" if counts else "Cloud Armor counts over its interval, without a burst")
    return Finding(
        Severity.ERROR, "ING2GW-TARGET-048",
        "gke: the rate limit is not written: GKE limits request rates only in a Cloud Armor security policy, which "
        f"lives in the Google Cloud project; create one with {rule}{extra} ({how})"
        + _tail(keys, intent.source.key, uses),
        origin=intent.source.origin, subject=f"Ingress {intent.source.key}", annotation=intent.source.annotation,
        security=True, suggestion="create the Cloud Armor rate-based rule and the GCPBackendPolicy by hand; until "
                                  "then requests are not limited")
