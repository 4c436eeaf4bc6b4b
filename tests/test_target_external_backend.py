"""ExternalName Services with --target (the `external-backend` intent): the Backend objects Envoy
Gateway and kgateway get, each target's own handling of the Service in the Gateway model, and
broken translations (wrong host, wrong port, the Service left in place) reported as unexplained."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ing2gw.emit.targets.carry import verdict
from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import Result, translate

SERVICE = """apiVersion: v1
kind: Service
metadata: {name: billing, namespace: shop}
spec:
  type: ExternalName
  externalName: NAME
  ports: [{name: http, port: 8080}]
"""

INGRESS = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: billing, namespace: shop, creationTimestamp: '2024-01-01T00:00:00Z'}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /billing, pathType: Prefix, backend: {service: {name: billing, port: {name: http}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop, creationTimestamp: '2024-01-02T00:00:00Z'}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def run(target: str | None, name: str = "billing.payments.example.net") -> tuple[Result, list[Any], Options]:
    ms = load_text(SERVICE.replace("NAME", name) + "---\n" + INGRESS, "in.yaml")
    options = Options(target=target)
    return translate(ms, options), ms, options


def objects_of(result: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == kind]


def billing_ref(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (route,) = [o for o in objects if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "billing"]
    (rule,) = route["spec"]["rules"]
    (ref,) = rule["backendRefs"]
    return ref


def codes(result: Result) -> list[str]:
    return [f.code for f in result.findings if "ExternalName" in f.message or "CORE-040" in f.code]


@pytest.mark.parametrize("target,group,spec", [
    ("envoy-gateway", "gateway.envoyproxy.io",
     {"endpoints": [{"fqdn": {"hostname": "billing.payments.example.net", "port": 8080}}]}),
    ("kgateway", "gateway.kgateway.dev",
     {"type": "Static", "static": {"hosts": [{"host": "billing.payments.example.net", "port": 8080}]}}),
])
def test_the_route_names_a_backend_with_the_external_name_and_nginx_s_port(target: str, group: str,
                                                                            spec: dict[str, Any]) -> None:
    result, ms, options = run(target)
    (backend,) = objects_of(result, "Backend")
    assert backend["apiVersion"] == f"{group}/v1alpha1"
    assert backend["metadata"]["name"] == "billing-8080" and backend["metadata"]["namespace"] == "shop"
    assert backend["spec"] == spec
    assert billing_ref(result.objects()) == {"group": group, "kind": "Backend", "name": "billing-8080", "port": 8080}
    # the other Ingress's Service is untouched
    (web,) = [o for o in objects_of(result, "HTTPRoute") if o["metadata"]["name"] == "web"]
    assert web["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 80}]
    assert codes(result) == [{"envoy-gateway": "ING2GW-TARGET-073", "kgateway": "ING2GW-TARGET-074"}[target]]
    v = verify_translation(result, ms, options)
    assert v.unexplained == 0 and v.unverified == 0


@pytest.mark.parametrize("target", ["envoy-gateway", "kgateway"])
def test_a_backend_with_the_wrong_host_or_port_or_the_service_left_in_place_is_unexplained(target: str) -> None:
    result, ms, options = run(target)
    objects = result.objects()

    def mutated(change: Any) -> list[dict[str, Any]]:
        out = copy.deepcopy(objects)
        change(out)
        return out

    def wrong_host(objs: list[dict[str, Any]]) -> None:
        (b,) = [o for o in objs if o["kind"] == "Backend"]
        if target == "envoy-gateway":
            b["spec"]["endpoints"][0]["fqdn"]["hostname"] = "billing.payments.example.org"
        else:
            b["spec"]["static"]["hosts"][0]["host"] = "billing.payments.example.org"

    def wrong_port(objs: list[dict[str, Any]]) -> None:
        (b,) = [o for o in objs if o["kind"] == "Backend"]
        if target == "envoy-gateway":
            b["spec"]["endpoints"][0]["fqdn"]["port"] = 80
        else:
            b["spec"]["static"]["hosts"][0]["port"] = 80

    def service_left(objs: list[dict[str, Any]]) -> None:
        ref = billing_ref(objs)
        ref.clear()
        ref.update({"name": "billing", "port": 8080})

    def backend_missing(objs: list[dict[str, Any]]) -> None:
        objs[:] = [o for o in objs if o["kind"] != "Backend"]

    for change in (wrong_host, wrong_port, service_left, backend_missing):
        v = verify_translation(result, ms, options, new_objects=mutated(change))
        assert v.unexplained > 0, change.__name__
        broken = [r for r in v.differences if not r.explained_by]
        assert all(r.request.path.startswith("/billing") for r in broken), change.__name__
        if change is service_left:
            # Envoy Gateway refuses the ExternalName Service (500), kgateway finds no endpoints (503)
            assert {r.new.status for r in broken} == {500 if target == "envoy-gateway" else 503}


def test_envoy_gateway_refuses_an_ip_or_a_single_label_name_and_nothing_is_written() -> None:
    for name, why in (("10.1.2.3", "IP address"), ("billing", "single label")):
        v = verdict("envoy-gateway", "external-backend", {"host": name, "port": "8080"})
        assert not v.carried and why in v.why_not
        result, ms, options = run("envoy-gateway", name)
        assert not objects_of(result, "Backend")
        assert billing_ref(result.objects()) == {"name": "billing", "port": 8080}
        assert codes(result) == ["ING2GW-TARGET-077"]
        # the route answers 500 on Envoy Gateway, and the finding predicts exactly that
        ver = verify_translation(result, ms, options)
        assert ver.unexplained == 0
        billing = [r for r in ver.differences if r.request.path.startswith("/billing") and r.request.scheme == "http"]
        assert billing and {r.new.status for r in billing} == {500}
        assert all("ING2GW-TARGET-077" in r.explained_by for r in billing)
    assert verdict("kgateway", "external-backend", {"host": "10.1.2.3", "port": "8080"}).carried


def test_nginx_gateway_fabric_sends_the_external_name_as_host_and_the_finding_predicts_only_that() -> None:
    result, ms, options = run("nginx-gateway-fabric")
    assert not objects_of(result, "Backend")
    assert billing_ref(result.objects()) == {"name": "billing", "port": 8080}
    assert codes(result) == ["ING2GW-TARGET-075"]
    v = verify_translation(result, ms, options)
    assert v.unexplained == 0
    by_075 = [r for r in v.differences if "ING2GW-TARGET-075" in r.explained_by]
    assert by_075 and {d.field for r in by_075 for d in r.differences} == {"upstream_host"}
    assert {r.new.upstream_host for r in by_075} == {"billing.payments.example.net"}


def test_istio_proxies_to_the_service_and_traefik_refuses_it() -> None:
    result, ms, options = run("istio")
    assert codes(result) == ["ING2GW-TARGET-076"]
    v = verify_translation(result, ms, options)
    assert v.unexplained == 0 and v.unverified == 0
    assert not [r for r in v.differences if r.request.path.startswith("/billing") and r.request.scheme == "http"]

    result, ms, options = run("traefik")
    assert codes(result) == ["ING2GW-TARGET-077"]
    v = verify_translation(result, ms, options)
    assert v.unexplained == 0
    assert {r.new.status for r in v.differences if "ING2GW-TARGET-077" in r.explained_by} == {500}
    assert all(r.request.path.startswith("/billing") for r in v.differences if "ING2GW-TARGET-077" in r.explained_by)


@pytest.mark.parametrize("target", ["gke", "aws"])
def test_gke_and_aws_name_what_to_do_and_the_check_does_not_vouch(target: str) -> None:
    result, ms, options = run(target)
    assert codes(result) == ["ING2GW-TARGET-077"]
    (f,) = [f for f in result.findings if f.code == "ING2GW-TARGET-077"]
    assert "endpoint" in f.message and f.suggestion
    v = verify_translation(result, ms, options)
    assert v.unexplained == 0 and v.unverified > 0


def test_without_a_target_the_output_is_as_before() -> None:
    result, ms, options = run(None)
    assert not objects_of(result, "Backend")
    assert billing_ref(result.objects()) == {"name": "billing", "port": 8080}
    assert codes(result) == ["ING2GW-CORE-040"]


def test_a_grpc_route_names_the_backend_too() -> None:
    grpc = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: grpc
  namespace: shop
  annotations: {nginx.ingress.kubernetes.io/backend-protocol: GRPC}
spec:
  ingressClassName: nginx
  tls: [{hosts: [grpc.example.com], secretName: grpc-tls}]
  rules:
  - host: grpc.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: billing, port: {number: 8080}}}}
"""
    ms = load_text(SERVICE.replace("NAME", "billing.payments.example.net") + "---\n" + grpc, "in.yaml")
    result = translate(ms, Options(target="envoy-gateway"))
    (route,) = objects_of(result, "GRPCRoute")
    assert [r["backendRefs"] for r in route["spec"]["rules"]] == [
        [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "billing-8080", "port": 8080}]]
    assert [b["metadata"]["name"] for b in objects_of(result, "Backend")] == ["billing-8080"]
