"""NGINX Gateway Fabric policies (gateway.nginx.org/v1alpha1) for intents plain Gateway API lacks.

NGINX Gateway Fabric renders nginx configuration, so its policies are nginx's own directives
and ingress-nginx's settings carry over as they were; each policy targets exactly one route
(`targetRef(s)` by name), never the Gateway.

* body-size-limit: ClientSettingsPolicy `body.maxSize` is client_max_body_size (413 above it,
  0: no limit), written in nginx's size syntax (at most four digits and k/m/g), so a size that
  has no exact such spelling is not written (carry.py). Without a policy NGF keeps nginx's
  default 1m, ingress-nginx's default too.
* rate-limit: RateLimitPolicy `rateLimit.local.rules` are limit_req zones as ingress-nginx
  writes them: key `$binary_remote_addr` (per client address), rate `N r/s` or `N r/m`, burst
  N x 5 (limit-burst-multiplier's default), nodelay, rejected with 503 (limit-req-status-code's
  default), a 5m zone (ingress-nginx's size). ingress-nginx counts per controller pod, NGF per
  nginx pod: the same when replica counts are equal (ING2GW-TARGET-023).
* basic-auth: an AuthenticationFilter of type Basic referenced by an ExtensionRef filter on each
  forwarding rule of the route: nginx's auth_basic reading the Ingress's own Secret under its
  key `auth` (nothing is copied), with every hash format ingress-nginx accepted, and the
  Ingress's auth-realm (ingress-nginx's default is empty). A basic-auth host's unmatched paths,
  which nginx's root location answers with the first Ingress's auth, get a `/` rule (a regex
  host: a catch-all regex, tried last) without backends behind the same filter: 401 as nginx
  without credentials, 500 instead of 404 with valid ones (ING2GW-TARGET-079; carry.py
  ROOT_WITHOUT_BACKEND, REGEX_BY_LENGTH).
* load-balancing: an UpstreamSettingsPolicy per Service (ngf_upstream_settings), only where
  every route to the Service agrees.
* snippet: configuration-snippet and server-snippet that ingress-nginx applied
  (allow-snippet-annotations) become one SnippetsFilter per route, referenced by an ExtensionRef
  filter on each forwarding rule, with the text as it was in context http.server.location (each
  location of the Ingress, as ingress-nginx) or http.server (the server block of the route's
  hosts). Written only when the user accepted the loss (--allow-weakened KEY; carry.py): NGF
  hands the text to nginx unreviewed, and only when the controller runs with snippets enabled
  (ING2GW-TARGET-031).
"""

from __future__ import annotations

from typing import Any

from ing2gw import ir
from ing2gw.emit.targets import Emitted
from ing2gw.emit.targets.carry import carries, nginx_size
from ing2gw.findings import Finding, Severity

API_VERSION = "gateway.nginx.org/v1alpha1"
TARGET = "nginx-gateway-fabric"
#: ingress-nginx's limit-burst-multiplier, limit-req-status-code and zone size defaults
BURST_MULTIPLIER = 5
REJECT_CODE = 503
ZONE_SIZE = "5m"


def _name(base: str, suffix: str) -> str:
    """A metadata.name (DNS subdomain: at most 253 characters, ending in a letter or digit)."""
    return base[:253 - len(suffix)].rstrip("-.") + suffix


def rate_limit(params: dict[str, str]) -> dict[str, Any]:
    """RateLimitPolicy.spec.rateLimit for ingress-nginx's limit-rps / limit-rpm."""
    rules = []
    for key, unit in (("per-second", "s"), ("per-minute", "m")):
        if key in params:
            n = int(params[key])
            rules.append({"key": "$binary_remote_addr", "rate": f"{n}r/{unit}", "burst": n * BURST_MULTIPLIER,
                          "noDelay": True, "zoneSize": ZONE_SIZE})
    return {"local": {"rules": rules}, "rejectCode": REJECT_CODE}


def _meta(name: str, route: ir.Route, suffix: str) -> dict[str, Any]:
    return {"name": _name(name, suffix), "namespace": route.namespace,
            "annotations": {"ing2gw.io/source-ingress": route.source.key}}


def emit_policies(routes: list[tuple[ir.Route, str]]) -> Emitted:
    """The ClientSettingsPolicy, RateLimitPolicy and AuthenticationFilter of each route with
    intents NGF carries (the filter referenced from the route's rules), those intents, and what
    the user must check."""
    from ing2gw.emit.targets.ngf_upstream_settings import upstream_settings

    filters: dict[tuple[str, str], list[dict[str, Any]]] = {}
    objects, consumed, balancing = upstream_settings(routes)
    told: dict[tuple[str, str], Finding] = {}
    for route, name in routes:
        ref = {"group": "gateway.networking.k8s.io", "kind": route.kind, "name": name}
        done: set[str] = set()
        for i in route.intents:
            if i.kind in done or i.kind in ("source-range", "load-balancing") or not carries(TARGET, i.kind, i.params):
                continue  # a provider's intent NGF cannot carry as given: left over, reported by emit
            p = dict(i.params)
            if i.kind == "body-size-limit":
                size = nginx_size(int(p["bytes"]))
                assert size is not None  # carry.py refuses sizes without an exact spelling
                objects.append({"apiVersion": API_VERSION, "kind": "ClientSettingsPolicy",
                                "metadata": _meta(name, route, "-client"),
                                "spec": {"targetRef": ref, "body": {"maxSize": size}}})
            elif i.kind == "rate-limit":
                objects.append({"apiVersion": API_VERSION, "kind": "RateLimitPolicy",
                                "metadata": _meta(name, route, "-ratelimit"),
                                "spec": {"targetRefs": [ref], "rateLimit": rate_limit(p)}})
                told.setdefault((i.source.key, i.kind), Finding(
                    Severity.INFO, "ING2GW-TARGET-023",
                    "nginx-gateway-fabric: the RateLimitPolicy is ingress-nginx's limit_req as written by it (per "
                    f"client address, burst x{BURST_MULTIPLIER}, nodelay, {REJECT_CODE}); counts are per nginx pod",
                    origin=i.source.origin, subject=f"Ingress {i.source.key}", annotation=i.source.annotation,
                    suggestion="keep as many NGF nginx replicas as ingress-nginx had, or scale the limits"))
            elif i.kind == "snippet" and route.kind in ("HTTPRoute", "GRPCRoute"):
                snippets = [x for x in route.intents if x.kind == "snippet" and carries(TARGET, x.kind, x.params)]
                fname = _name(name, "-snippets")
                objects.append({"apiVersion": API_VERSION, "kind": "SnippetsFilter",
                                "metadata": _meta(name, route, "-snippets"),
                                "spec": {"snippets": [{"context": dict(x.params)["context"], "value": x.value}
                                                      for x in sorted(snippets, key=lambda x: dict(x.params)["context"])]}})
                filters.setdefault((route.namespace, name), []).append(
                    {"type": "ExtensionRef", "extensionRef": {"group": "gateway.nginx.org", "kind": "SnippetsFilter",
                                                              "name": fname}})
                for x in snippets:
                    consumed.add(x)
                    told.setdefault((x.source.key, f"snippet {x.source.annotation}"), _snippet_finding(x, route, fname))
            elif i.kind == "basic-auth" and route.kind == "HTTPRoute":
                basic: dict[str, Any] = {"secretRef": {"name": p["secret"]}}  # same namespace (carry.py)
                basic["realm"] = p.get("realm", "")
                fname = _name(name, "-basic-auth")
                objects.append({"apiVersion": API_VERSION, "kind": "AuthenticationFilter",
                                "metadata": _meta(name, route, "-basic-auth"),
                                "spec": {"type": "Basic", "basic": basic}})
                filters.setdefault((route.namespace, name), []).append(
                    {"type": "ExtensionRef", "extensionRef": {"group": "gateway.nginx.org",
                                                              "kind": "AuthenticationFilter", "name": fname}})
                if any(r.direct_status is not None and not r.backends for r in route.rules):
                    told.setdefault((i.source.key, "root"), _root_finding(i, route, name))
            else:
                continue
            done.add(i.kind)
            consumed.add(i)
    return Emitted(objects, consumed, [told[k] for k in sorted(told)] + balancing, filters)


def _root_finding(intent: ir.Intent, route: ir.Route, name: str) -> Finding:
    """The host's unmatched paths: nginx's root location (authenticated as the first Ingress)
    answers its 404 after valid credentials; NGF has no direct response, so the rule standing for
    it has no backends (carry.ROOT_WITHOUT_BACKEND): 401 alike without credentials, 500 after."""
    return Finding(
        Severity.WARNING, "ING2GW-TARGET-079",
        f"route {route.namespace}/{name}: the `/` rule for the host's unmatched paths has no backends: NGINX "
        "Gateway Fabric asks for credentials there as ingress-nginx does (401), but answers 500 instead of "
        "ingress-nginx's 404 after valid credentials",
        origin=intent.source.origin, subject=f"Ingress {intent.source.key}", annotation=intent.source.annotation,
        suggestion="point the rule at a Service that answers 404 if clients rely on the 404",
        details=(("route", f"{route.namespace}/{name}"),))


def _snippet_finding(intent: ir.Intent, route: ir.Route, name: str) -> Finding:
    p = dict(intent.params)
    where = {"http.server.location": "each location of the route's rules",
             "http.server": "the server block of each of the route's hosts"}[p["context"]]
    return Finding(
        Severity.WARNING, "ING2GW-TARGET-031",
        f"nginx-gateway-fabric: the {p['key']} (its loss accepted) is copied as it is into SnippetsFilter "
        f"{route.namespace}/{name}, context {p['context']} ({where}); review it: variables, locations and modules "
        "ingress-nginx generated ($service_name, $proxy_upstream_name, auth locations, the Lua balancer) do not exist "
        "in NGF's configuration. NGF must run with snippets enabled (controller flag --snippets, Helm "
        "nginxGateway.snippets.enable=true); otherwise the filter is not found and the route's rules answer 500",
        origin=intent.source.origin, subject=f"Ingress {intent.source.key}", annotation=intent.source.annotation,
        suggestion="read the snippet against NGF's generated nginx.conf (nginx -T in the NGF data plane) before "
                   "enabling snippets; prefer an NGF policy or a Gateway API filter where one exists",
        security=True)
