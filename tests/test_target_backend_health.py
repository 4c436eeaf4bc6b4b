"""HAProxy backend health checks and connection caps as Envoy Gateway BackendTrafficPolicy
fields: the values HAProxy's annotations give (written here by hand from the controller's
documentation and HAProxy's defaults: inter 2s, rise 2, fall 3, OPTIONS and HTTP/1.0 for
`option httpchk <uri>`, 2xx and 3xx healthy), and the routes the policy attaches to: exactly the
routes of the Ingresses that use the backend, and none when the Ingresses sharing it disagree."""

from __future__ import annotations

from typing import Any

import pytest

from ing2gw import ir
from ing2gw.emit.targets import service_settings
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.providers.haproxy.backend_settings import parse_time_ms
from ing2gw.translate import translate


def _svc(name: str, anns: str = "{}", port: int = 80) -> str:
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: shop, annotations: {anns}}}
spec:
  ports: [{{port: {port}}}]
---
"""


def _ing(name: str, host: str, services: list[str], anns: str = "{}") -> str:
    paths = "".join(f"""
      - path: /{s if i else ''}
        pathType: Prefix
        backend: {{service: {{name: {s}, port: {{number: 80}}}}}}""" for i, s in enumerate(services))
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop, annotations: {anns}}}
spec:
  ingressClassName: haproxy
  rules:
  - host: {host}
    http:
      paths:{paths}
---
"""


def _run(text: str, target: str | None = "envoy-gateway") -> tuple[dict[str, dict[str, Any]], list[Any]]:
    result = translate(load_text(text, "t.yaml"), Options(target=target))
    policies = {o["metadata"]["name"]: o for o in result.objects() if o["kind"] == "BackendTrafficPolicy"}
    return policies, result.findings


def _codes(findings: list[Any]) -> list[tuple[str, str, str | None]]:
    return sorted((f.code, f.subject, f.annotation) for f in findings
                  if f.code.startswith(("ING2GW-TARGET-08", "ING2GW-HAPROXY-0")))


def test_http_check_from_service_and_ingress_is_written_on_the_ingress_route_with_haproxy_values() -> None:
    text = (_svc("api", '{"haproxy.org/check-http": "HEAD /healthz HTTP/1.1"}')
            + _ing("api", "api.test", ["api"], '{"haproxy.org/check-interval": "1m", "haproxy.org/timeout-check": "750"}'))
    policies, findings = _run(text)
    assert list(policies) == ["api-traffic"]
    spec = policies["api-traffic"]["spec"]
    assert spec["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "api"}]
    assert spec["healthCheck"] == {"active": {
        "type": "HTTP", "interval": "60s", "timeout": "750ms", "healthyThreshold": 2, "unhealthyThreshold": 3,
        "http": {"path": "/healthz", "method": "HEAD", "expectedStatuses": list(range(200, 400))}}}
    assert set(spec) == {"targetRefs", "healthCheck"}
    codes = _codes(findings)
    assert ("ING2GW-TARGET-087", "Ingress shop/api", "haproxy.org/check-http") in codes
    # every key is reported converted, none lost
    assert sorted(str(a) for c, _, a in codes if c == "ING2GW-HAPROXY-002") == [
        "haproxy.org/check-http", "haproxy.org/check-interval", "haproxy.org/timeout-check"]
    assert not [c for c in codes if c[0] == "ING2GW-HAPROXY-027"]
    t087 = next(f for f in findings if f.code == "ING2GW-TARGET-087")
    assert "HTTP/1.1" in t087.message and "timeout-check" in t087.message


def test_uri_alone_is_haproxy_s_options_request_and_check_alone_is_a_tcp_check_every_2s() -> None:
    text = (_svc("a", '{"haproxy.org/check-http": "/ready"}') + _svc("b", '{"haproxy.org/check": "true"}')
            + _ing("a", "a.test", ["a"]) + _ing("b", "b.test", ["b"]))
    policies, _ = _run(text)
    a = policies["a-traffic"]["spec"]["healthCheck"]["active"]
    assert (a["type"], a["http"]["method"], a["http"]["path"], a["interval"], a["timeout"]) == \
        ("HTTP", "OPTIONS", "/ready", "2s", "2s")
    assert policies["b-traffic"]["spec"]["healthCheck"] == {"active": {
        "type": "TCP", "interval": "2s", "timeout": "2s", "healthyThreshold": 2, "unhealthyThreshold": 3, "tcp": {}}}


def test_only_the_routes_of_ingresses_using_the_annotated_service_get_the_policy() -> None:
    text = (_svc("api", '{"haproxy.org/check-http": "/healthz"}') + _svc("web")
            + _ing("api", "api.test", ["api"]) + _ing("web", "web.test", ["web"]))
    policies, _ = _run(text)
    assert [p["spec"]["targetRefs"][0]["name"] for p in policies.values()] == ["api"]


def test_check_false_or_no_key_writes_nothing() -> None:
    text = (_svc("a", '{"haproxy.org/check": "false", "haproxy.org/check-http": "/x"}') + _svc("b")
            + _ing("a", "a.test", ["a"]) + _ing("b", "b.test", ["b"]))
    policies, _ = _run(text)
    assert policies == {}


def test_ingresses_sharing_a_service_with_different_values_get_no_policy() -> None:
    text = (_svc("web") + _ing("a", "a.test", ["web"], '{"haproxy.org/check-http": "/ready"}')
            + _ing("b", "b.test", ["web"], '{"haproxy.org/check-http": "/live"}'))
    policies, findings = _run(text)
    assert policies == {}
    codes = _codes(findings)
    assert [c for c in codes if c[0] == "ING2GW-TARGET-088"] == [
        ("ING2GW-TARGET-088", "Ingress shop/a", "haproxy.org/check-http"),
        ("ING2GW-TARGET-088", "Ingress shop/b", "haproxy.org/check-http")]
    assert len([c for c in codes if c[0] == "ING2GW-HAPROXY-027"]) == 2  # still reported lost


def test_ingresses_sharing_a_service_with_the_same_values_each_get_it() -> None:
    same = '{"haproxy.org/check-http": "/ready"}'
    policies, findings = _run(_svc("web") + _ing("a", "a.test", ["web"], same) + _ing("b", "b.test", ["web"], same))
    assert sorted(policies) == ["a-traffic", "b-traffic"]
    assert not [f for f in findings if f.code == "ING2GW-TARGET-088"]


def test_an_ingress_whose_services_disagree_gets_no_policy() -> None:
    text = (_svc("a", '{"haproxy.org/check-http": "/a"}') + _svc("b", '{"haproxy.org/check-http": "/b"}')
            + _ing("x", "x.test", ["a", "b"]))
    policies, findings = _run(text)
    assert policies == {}
    f = next(f for f in findings if f.code == "ING2GW-TARGET-088")
    assert "Services (shop/a, shop/b) resolve different values" in f.message


def test_a_service_only_one_of_an_ingress_s_services_checks_is_a_disagreement() -> None:
    # a route policy would add the check to the other Service's endpoints too: never wider
    text = _svc("a", '{"haproxy.org/check-http": "/a"}') + _svc("b") + _ing("x", "x.test", ["a", "b"])
    policies, findings = _run(text)
    assert policies == {}
    assert [f.code for f in findings if f.code == "ING2GW-TARGET-088"] == ["ING2GW-TARGET-088"]


def test_pod_maxconn_is_a_per_endpoint_connection_cap() -> None:
    policies, findings = _run(_svc("web", '{"haproxy.org/pod-maxconn": "250"}') + _ing("web", "w.test", ["web"]))
    assert policies["web-traffic"]["spec"]["circuitBreaker"] == {"perEndpoint": {"maxConnections": 250}}
    f = next(f for f in findings if f.code == "ING2GW-TARGET-089")
    assert "each Envoy replica" in f.message and "HAProxy pods" in f.message


@pytest.mark.parametrize("value", ["many", "0", "-3", "1.5"])
def test_an_unreadable_pod_maxconn_writes_nothing(value: str) -> None:
    policies, findings = _run(_svc("web", f'{{"haproxy.org/pod-maxconn": "{value}"}}') + _ing("web", "w.test", ["web"]))
    assert policies == {}
    assert any(f.code == "ING2GW-HAPROXY-027" and f.annotation == "haproxy.org/pod-maxconn" for f in findings)


def test_without_a_target_the_keys_stay_reported_as_before() -> None:
    text = _svc("api", '{"haproxy.org/check-http": "/healthz"}') + _ing("api", "api.test", ["api"])
    policies, findings = _run(text, target=None)
    assert policies == {}
    assert any(f.code == "ING2GW-HAPROXY-027" and f.annotation == "haproxy.org/check-http" for f in findings)
    assert not any(f.code.startswith("ING2GW-TARGET-08") for f in findings)


def test_a_target_that_does_not_carry_health_checks_gets_no_intent() -> None:
    text = _svc("api", '{"haproxy.org/check-http": "/healthz"}') + _ing("api", "api.test", ["api"])
    _, findings = _run(text, target="nginx-gateway-fabric")
    assert any(f.code == "ING2GW-HAPROXY-027" and f.annotation == "haproxy.org/check-http" for f in findings)
    assert not any(f.code == "ING2GW-CORE-026" for f in findings)


@pytest.mark.parametrize("text, ms", [("2000", 2000), ("5s", 5000), ("1m", 60000), ("250ms", 250), ("1h", 3600000),
                                      ("x", None), ("5 s", None), ("", None)])
def test_haproxy_times(text: str, ms: int | None) -> None:
    assert parse_time_ms(text) == ms


def _bcp(text: str) -> tuple[dict[str, dict[str, Any]], list[Any]]:
    result = translate(load_text(text, "t.yaml"), Options(target="kgateway"))
    return ({o["metadata"]["name"]: o for o in result.objects() if o["kind"] == "BackendConfigPolicy"},
            result.findings)


def test_kgateway_http_check_is_the_service_s_backend_config_policy() -> None:
    text = (_svc("api", '{"haproxy.org/check-http": "GET /ready"}')
            + _ing("api", "api.test", ["api"], '{"haproxy.org/check-interval": "10s"}'))
    policies, findings = _bcp(text)
    assert list(policies) == ["api-health-check"]
    spec = policies["api-health-check"]["spec"]
    assert spec == {"targetRefs": [{"group": "", "kind": "Service", "name": "api"}],
                    "healthCheck": {"interval": "10s", "timeout": "10s", "healthyThreshold": 2, "unhealthyThreshold": 3,
                                    "http": {"path": "/ready", "method": "GET"}}}
    f = next(f for f in findings if f.code == "ING2GW-TARGET-090")
    assert "only 200" in f.message and "Service shop/api" in f.message


def test_kgateway_cannot_write_a_tcp_check() -> None:
    policies, findings = _bcp(_svc("a", '{"haproxy.org/check": "true"}') + _ing("a", "a.test", ["a"]))
    assert policies == {}
    assert any(f.code == "ING2GW-HAPROXY-027" and f.annotation == "haproxy.org/check" for f in findings)


def _route(name: str, services: list[str], intent: ir.Intent | None) -> ir.Route:
    src = ir.Source("shop", name, Origin("t.yaml", 1))
    rules = [ir.Rule((ir.Match(ir.PathMatch("PathPrefix", f"/{s}")),), src, backends=(ir.ServiceBackend("shop", s, 80),))
             for s in services]
    return ir.Route("HTTPRoute", "shop", name, src, (), (), rules, intents=(intent,) if intent else ())


def _hc(name: str, path: str) -> ir.Intent:
    return ir.Intent("health-check", ir.Source("shop", name, Origin("t.yaml", 1), "haproxy.org/check-http"), "",
                     params=(("type", "http"), ("method", "GET"), ("path", path), ("version", "HTTP/1.0"),
                             ("interval-ms", "2000"), ("rise", "2"), ("fall", "3")))


def test_a_service_policy_is_written_only_when_every_route_of_the_service_asks_the_same() -> None:
    a, b = _hc("a", "/x"), _hc("b", "/x")
    # a route without the intent shares Service web: nothing for web, and so nothing for route a,
    # whose other Service (api) would otherwise get half of its setting
    routes = [_route("a", ["web", "api"], a), _route("plain", ["web"], None), _route("b", ["solo"], b)]
    result = service_settings.agree(routes, "kgateway", "health-check")
    assert sorted(result.services) == [("shop", "solo")]
    assert result.consumed == {b}
    assert [(f.code, f.subject) for f in result.findings] == [("ING2GW-TARGET-088", "Ingress shop/a")]
    assert "shop/plain" in result.findings[0].message
    # the same check from every route of the Service: written, both consumed
    same = [_route("a", ["web"], a), _route("c", ["web"], _hc("c", "/x"))]
    result = service_settings.agree(same, "kgateway", "health-check")
    assert sorted(result.services) == [("shop", "web")] and len(result.consumed) == 2
    # a different path on one route of the Service: neither
    other = [_route("a", ["web"], a), _route("c", ["web"], _hc("c", "/y"))]
    assert service_settings.agree(other, "kgateway", "health-check").services == {}


def test_gke_health_check_policies_per_service_and_the_method_google_cannot_send() -> None:
    text = (_svc("api", '{"haproxy.org/check-http": "GET /healthz", "haproxy.org/check-interval": "5s", '
                        '"haproxy.org/timeout-check": "2s"}')
            + _svc("tcp", '{"haproxy.org/check": "true"}') + _svc("opt", '{"haproxy.org/check-http": "/ready"}')
            + _ing("shop", "s.test", ["api", "tcp", "opt"]))
    result = translate(load_text(text, "t.yaml"), Options(target="gke"))
    hcp = {o["metadata"]["name"]: o["spec"] for o in result.objects() if o["kind"] == "HealthCheckPolicy"}
    assert hcp == {
        "api-health-check": {"targetRef": {"group": "", "kind": "Service", "name": "api"},
                             "default": {"checkIntervalSec": 5, "timeoutSec": 2, "healthyThreshold": 2,
                                         "unhealthyThreshold": 3,
                                         "config": {"type": "HTTP", "httpHealthCheck": {
                                             "portSpecification": "USE_SERVING_PORT", "requestPath": "/healthz"}}}},
        "tcp-health-check": {"targetRef": {"group": "", "kind": "Service", "name": "tcp"},
                             "default": {"checkIntervalSec": 2, "timeoutSec": 2, "healthyThreshold": 2,
                                         "unhealthyThreshold": 3,
                                         "config": {"type": "TCP", "tcpHealthCheck": {
                                             "portSpecification": "USE_SERVING_PORT"}}}}}
    why = [f.message for f in result.findings if f.code == "ING2GW-TARGET-092"]
    assert len(why) == 1 and "shop/opt" in why[0] and "GET only" in why[0] and "OPTIONS" in why[0]
    assert any(f.code == "ING2GW-HAPROXY-027" and f.value == "/ready" for f in result.findings)
    assert not any(f.code == "ING2GW-HAPROXY-027" and f.value == "GET /healthz" for f in result.findings)


@pytest.mark.parametrize("interval", ["1500ms", "301s"])
def test_gke_takes_whole_seconds_up_to_300(interval: str) -> None:
    text = _svc("a", f'{{"haproxy.org/check": "true", "haproxy.org/check-interval": "{interval}"}}') + _ing("a", "a.test", ["a"])
    result = translate(load_text(text, "t.yaml"), Options(target="gke"))
    assert not [o for o in result.objects() if o["kind"] == "HealthCheckPolicy"]
    assert [f.code for f in result.findings if f.code == "ING2GW-TARGET-092"] == ["ING2GW-TARGET-092"]


def test_kgateway_writes_one_policy_per_service_where_a_route_policy_could_not() -> None:
    text = (_svc("a", '{"haproxy.org/check-http": "GET /a"}') + _svc("b", '{"haproxy.org/check-http": "GET /b"}')
            + _ing("x", "x.test", ["a", "b"]))
    policies, _ = _bcp(text)
    assert {n: p["spec"]["healthCheck"]["http"]["path"] for n, p in policies.items()} == \
        {"a-health-check": "/a", "b-health-check": "/b"}
    eg, findings = _run(text)
    assert eg == {} and any(f.code == "ING2GW-TARGET-088" for f in findings)


def test_aws_health_check_is_the_route_s_target_group_entry() -> None:
    text = (_svc("api", '{"haproxy.org/check-http": "GET /healthz", "haproxy.org/check-interval": "10s", '
                        '"haproxy.org/timeout-check": "3s"}')
            + _svc("other") + _ing("api", "api.test", ["api"]) + _ing("other", "o.test", ["other"]))
    result = translate(load_text(text, "t.yaml"), Options(target="aws"))
    tgc = [o for o in result.objects() if o["kind"] == "TargetGroupConfiguration"]
    assert [o["spec"] for o in tgc] == [{"targetReference": {"name": "api"}, "routeConfigurations": [{
        "routeIdentifier": {"kind": "HTTPRoute", "namespace": "shop", "name": "api"},
        "targetGroupProps": {"healthCheckConfig": {
            "healthCheckProtocol": "HTTP", "healthCheckPath": "/healthz", "healthCheckInterval": 10,
            "healthCheckTimeout": 3, "healthyThresholdCount": 2, "unhealthyThresholdCount": 3,
            "matcher": {"httpCode": "200-399"}}}}]}]
    assert any(f.code == "ING2GW-TARGET-078" for f in result.findings)


@pytest.mark.parametrize("anns, why", [
    ('{"haproxy.org/check": "true", "haproxy.org/check-interval": "10s", "haproxy.org/timeout-check": "3s"}',
     "TCP connect check"),
    ('{"haproxy.org/check-http": "GET /h", "haproxy.org/check-interval": "10s"}', "without timeout-check"),
    ('{"haproxy.org/check-http": "GET /h", "haproxy.org/check-interval": "10s", "haproxy.org/timeout-check": "10s"}',
     "shorter than the interval"),
])
def test_aws_refuses_what_the_alb_cannot_check(anns: str, why: str) -> None:
    result = translate(load_text(_svc("a", anns) + _ing("a", "a.test", ["a"]), "t.yaml"), Options(target="aws"))
    assert not [o for o in result.objects() if o["kind"] == "TargetGroupConfiguration"]
    assert [why in f.message for f in result.findings if f.code == "ING2GW-TARGET-092"] == [True]


_BREAKER = """apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: breaker, namespace: shop}
spec:
  circuitBreaker: {expression: "LatencyAtQuantileMS(50.0) > 100", fallbackDuration: 15s, responseCode: 502}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {traefik.ingress.kubernetes.io/router.middlewares: "shop-breaker@kubernetescrd"}
spec:
  ingressClassName: traefik
  rules:
  - host: shop.test
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik}
spec: {controller: traefik.io/ingress-controller}
"""


def test_traefik_circuit_breaker_is_written_again_for_traefik_on_the_route_only() -> None:
    result = translate(load_text(_svc("web") + _BREAKER, "t.yaml"), Options(target="traefik"))
    mws = {o["metadata"]["name"]: o["spec"] for o in result.objects() if o["kind"] == "Middleware"}
    assert mws == {"web-circuit-breaker": {"circuitBreaker": {
        "expression": "LatencyAtQuantileMS(50.0) > 100", "fallbackDuration": "15s", "responseCode": 502}}}
    routes = [o for o in result.objects() if o["kind"] == "HTTPRoute"]
    refs = [f["extensionRef"]["name"] for r in routes for rule in r["spec"]["rules"] for f in rule.get("filters", [])
            if f["type"] == "ExtensionRef"]
    assert refs and set(refs) == {"web-circuit-breaker"}


def test_traefik_circuit_breaker_is_not_outlier_detection_on_envoy_gateway() -> None:
    result = translate(load_text(_svc("web") + _BREAKER, "t.yaml"), Options(target="envoy-gateway"))
    assert not [o for o in result.objects() if o["kind"] == "BackendTrafficPolicy"]
    note = next(f for f in result.findings if f.code == "ING2GW-TRAEFIK-032")
    assert "on envoy-gateway" in note.message and "per endpoint" in note.message


def test_configmap_values_are_the_backends_default_and_reported_converted_when_every_use_is_carried() -> None:
    cm = """apiVersion: v1
kind: ConfigMap
metadata: {name: haproxy-kubernetes-ingress, namespace: haproxy-controller}
data: {check-interval: "4s"}
---
"""
    text = cm + _svc("api", '{"haproxy.org/check-http": "HEAD /"}') + _ing("api", "api.test", ["api"])
    policies, findings = _run(text)
    assert policies["api-traffic"]["spec"]["healthCheck"]["active"]["interval"] == "4s"
    cm_findings = [f for f in findings if f.annotation == "check-interval"]
    assert [f.code for f in cm_findings] == ["ING2GW-HAPROXY-002"]
    # a second Ingress whose Service has no check: the ConfigMap's interval alone checks nothing
    # new (check-interval without check-http is HAProxy's TCP check every 4s), written as such
    policies, _ = _run(text + _svc("web") + _ing("web", "web.test", ["web"]))
    assert policies["web-traffic"]["spec"]["healthCheck"]["active"]["type"] == "TCP"


def test_the_default_backend_of_the_ingress_is_one_of_its_route_s_services() -> None:
    # the defaultBackend's rule joins the Ingress's route: a route policy would check Service
    # plain too, which HAProxy did not
    ing = _ing("api", "api.test", ["api"]).replace("spec:\n  ingressClassName: haproxy\n", (
        "spec:\n  ingressClassName: haproxy\n  defaultBackend: {service: {name: plain, port: {number: 80}}}\n"))
    policies, findings = _run(_svc("api", '{"haproxy.org/check-http": "/h"}') + _svc("plain") + ing)
    assert policies == {}
    f = next(f for f in findings if f.code == "ING2GW-TARGET-088")
    assert "shop/api, shop/plain" in f.message
