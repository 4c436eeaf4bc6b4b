"""The `backend-tls` intent: TLS to the backend without verification (backend-protocol HTTPS or
GRPCS, proxy-ssl-verify off) written as the target's own Service policy where it can be (Istio,
kgateway), only when every route of the Service agrees; an error everywhere else."""

from __future__ import annotations

from typing import Any

import pytest

import implementation_crds
from ing2gw.findings import Severity
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.ingress_nginx.intents import intent_params
from ing2gw.translate import Result, translate

P = "nginx.ingress.kubernetes.io"
HTTPS = {f"{P}/backend-protocol": "HTTPS"}


def ingress(name: str, service: str, path: str = "/", anns: dict[str, str] | None = None, port: int = 443) -> str:
    a = "".join(f"    {k}: {v!r}\n" for k, v in (anns or {}).items())
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: shop\n"
            + (f"  annotations:\n{a}" if a else "")
            + f"spec:\n  ingressClassName: nginx\n  rules:\n  - host: {name}.example.com\n    http:\n      paths:\n"
            + f"      - {{path: '{path}', pathType: Prefix, backend: {{service: {{name: {service}, "
            + f"port: {{number: {port}}}}}}}}}\n")


def run(target: str, *docs: str) -> Result:
    return translate(load_text("---\n".join(docs)), Options(target=target))


def kinds(res: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in res.objects() if o["kind"] == kind]


def codes(res: Result) -> list[str]:
    return [f.code for f in res.findings]


def test_params_only_for_tls_without_verification() -> None:
    def params(anns: dict[str, str]) -> dict[str, str] | None:
        return intent_params(anns, P, "shop", "backend-tls")

    assert params({}) is None
    assert params({f"{P}/backend-protocol": "GRPC"}) is None
    assert params({**HTTPS, f"{P}/proxy-ssl-verify": "on"}) is None  # the standard BackendTLSPolicy's
    assert params(HTTPS) == {"verify": "false", "protocol": "https"}
    # without proxy-ssl-secret ingress-nginx reads no other proxy-ssl-* key: no SNI
    assert params({**HTTPS, f"{P}/proxy-ssl-server-name": "on", f"{P}/proxy-ssl-name": "api.internal"}) == \
        {"verify": "false", "protocol": "https"}
    assert params({f"{P}/backend-protocol": "grpcs", f"{P}/proxy-ssl-secret": "client",
                   f"{P}/proxy-ssl-server-name": "on", f"{P}/proxy-ssl-name": "API.internal"}) == \
        {"verify": "false", "protocol": "grpcs", "client-secret": "shop/client", "sni": "api.internal"}


def test_istio_port_level_tls_for_the_only_user_of_the_service() -> None:
    res = run("istio", ingress("api", "api", anns=HTTPS))
    [rule] = kinds(res, "DestinationRule")
    assert implementation_crds.problems(rule) == []
    assert rule["metadata"]["name"] == "api-backend-tls"
    assert rule["spec"] == {"host": "api.shop.svc.cluster.local", "trafficPolicy": {"portLevelSettings": [
        {"port": {"number": 443}, "tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}]}}
    assert "ING2GW-NGINX-052" not in codes(res)
    [told] = [f for f in res.findings if f.code == "ING2GW-TARGET-062"]
    assert told.severity is Severity.WARNING and "every client of the Service in the mesh" in told.message


def test_istio_tls_joins_the_services_balancing_rule() -> None:
    # Istio takes one DestinationRule per host: the tls goes into the balancing rule
    res = run("istio", ingress("api", "api", anns={**HTTPS, f"{P}/load-balance": "ewma"}))
    [rule] = kinds(res, "DestinationRule")
    assert implementation_crds.problems(rule) == []
    assert rule["metadata"]["name"] == "api-load-balancing"
    assert rule["spec"]["trafficPolicy"] == {
        "loadBalancer": {"simple": "LEAST_REQUEST"},
        "portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}]}


def test_istio_per_port_other_port_of_the_service_may_stay_plain() -> None:
    res = run("istio", ingress("api", "api", anns=HTTPS), ingress("web", "api", port=80))
    [rule] = kinds(res, "DestinationRule")
    assert rule["spec"]["trafficPolicy"]["portLevelSettings"][0]["port"] == {"number": 443}
    assert "ING2GW-TARGET-061" not in codes(res)


@pytest.mark.parametrize("target,kind", [("istio", "DestinationRule"), ("kgateway", "BackendConfigPolicy")])
def test_a_service_shared_with_plain_http_gets_no_policy_and_an_error(target: str, kind: str) -> None:
    res = run(target, ingress("secure", "shared", "/secure", HTTPS), ingress("plain", "shared", "/plain"))
    assert kinds(res, kind) == []
    [err] = [f for f in res.findings if f.code == "ING2GW-TARGET-061"]
    assert err.severity is Severity.ERROR and err.security
    assert err.subject == "Ingress shop/secure" and "shop/plain" in err.message


def test_kgateway_backend_config_policy_and_merge_with_the_balancer() -> None:
    res = run("kgateway", ingress("api", "api", anns=HTTPS))
    [pol] = kinds(res, "BackendConfigPolicy")
    assert implementation_crds.problems(pol) == []
    assert pol["spec"] == {"targetRefs": [{"group": "", "kind": "Service", "name": "api"}],
                           "tls": {"insecureSkipVerify": True}}
    assert "ING2GW-TARGET-060" in codes(res) and "ING2GW-NGINX-052" not in codes(res)
    both = run("kgateway", ingress("api", "api", anns={**HTTPS, f"{P}/upstream-hash-by": "$remote_addr"}))
    [pol] = kinds(both, "BackendConfigPolicy")
    assert implementation_crds.problems(pol) == []
    assert pol["metadata"]["name"] == "api-load-balancer"
    assert pol["spec"]["tls"] == {"insecureSkipVerify": True} and "loadBalancer" in pol["spec"]


def test_kgateway_any_port_of_the_service_disagrees() -> None:
    # the BackendConfigPolicy has no port: a plain-HTTP port of the same Service blocks it
    res = run("kgateway", ingress("api", "api", anns=HTTPS), ingress("web", "api", port=80))
    assert kinds(res, "BackendConfigPolicy") == []
    assert "ING2GW-TARGET-061" in codes(res)


@pytest.mark.parametrize("target", ["istio", "kgateway"])
def test_a_client_certificate_is_not_written_and_stays_an_error(target: str) -> None:
    res = run(target, ingress("mtls", "mtls", anns={**HTTPS, f"{P}/proxy-ssl-secret": "shop/client"}))
    assert kinds(res, "DestinationRule") == [] and kinds(res, "BackendConfigPolicy") == []
    [err] = [f for f in res.findings if f.code == "ING2GW-NGINX-052"]
    assert err.severity is Severity.ERROR and "client certificate" in (err.suggestion or "")


@pytest.mark.parametrize("target,hint", [("envoy-gateway", "Backend object"), ("traefik", "ServersTransport"),
                                         ("gke", "appProtocol"),
                                         ("nginx-gateway-fabric", "BackendTLSPolicy"), (None, "BackendTLSPolicy")])
def test_other_targets_keep_the_error_naming_what_to_write(target: str | None, hint: str) -> None:
    res = translate(load_text(ingress("api", "api", anns=HTTPS)), Options(target=target))
    [err] = [f for f in res.findings if f.code == "ING2GW-NGINX-052"]
    assert err.severity is Severity.ERROR and err.security
    assert hint in (err.suggestion or "")
    assert not [o for o in res.objects() if o["kind"] in ("DestinationRule", "BackendConfigPolicy", "Backend")]


def test_aws_target_group_protocol_per_route_merged_with_stickiness() -> None:
    res = run("aws", ingress("secure", "shared", "/secure", {**HTTPS, f"{P}/affinity": "cookie"}),
              ingress("plain", "shared", "/plain"))
    [tgc] = kinds(res, "TargetGroupConfiguration")
    assert implementation_crds.problems(tgc) == []
    [entry] = tgc["spec"]["routeConfigurations"]  # the plain Ingress's route keeps its own target group
    assert entry["routeIdentifier"] == {"kind": "HTTPRoute", "namespace": "shop", "name": "secure"}
    assert entry["targetGroupProps"]["protocol"] == "HTTPS"
    assert entry["targetGroupProps"]["targetGroupAttributes"][0] == {"key": "stickiness.enabled", "value": "true"}
    assert "ING2GW-TARGET-063" in codes(res) and "ING2GW-NGINX-052" not in codes(res)
    grpcs = run("aws", ingress("g", "g", anns={f"{P}/backend-protocol": "GRPCS"}))
    assert kinds(grpcs, "TargetGroupConfiguration") == []
    [err] = [f for f in grpcs.findings if f.code == "ING2GW-NGINX-052"]
    assert "protocolVersion GRPC" in (err.suggestion or "")


def test_verification_on_stays_the_standard_policy() -> None:
    res = run("istio", ingress("api", "api", anns={**HTTPS, f"{P}/proxy-ssl-verify": "on"}))
    assert len(kinds(res, "BackendTLSPolicy")) == 1 and kinds(res, "DestinationRule") == []


# ---- the check sees how each side reaches the backend ---------------------------------------------


def _answers(target: str, docs: list[str], line: str) -> tuple[str | None, str | None]:
    import yaml

    from ing2gw.simulate.gateway import GatewayRouter
    from ing2gw.simulate.nginx import NginxRouter
    from ing2gw.simulate.request import ClusterContext, Request

    manifests = load_text("---\n".join(docs))
    res = translate(manifests, Options(target=target))
    request = Request.parse_line(line)
    old = NginxRouter(list(manifests), ClusterContext()).route(request)
    new = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "out.yaml")).route(request)
    return old.upstream_tls, new.upstream_tls


def test_both_models_say_how_the_backend_is_reached() -> None:
    assert _answers("istio", [ingress("api", "api", anns=HTTPS)], "GET http://api.example.com/x") == ("tls", "tls")
    assert _answers("kgateway", [ingress("api", "api", anns=HTTPS)], "GET http://api.example.com/x") == \
        ("tls", "tls")
    # not carried: the Gateway speaks plain HTTP to the TLS port
    assert _answers("envoy-gateway", [ingress("api", "api", anns=HTTPS)], "GET http://api.example.com/x") == \
        ("tls", "plain")
    # verified: the standard BackendTLSPolicy
    assert _answers("envoy-gateway", [ingress("api", "api", anns={**HTTPS, f"{P}/proxy-ssl-verify": "on"})],
                    "GET http://api.example.com/x") == ("tls", "tls")
    assert _answers("istio", [ingress("web", "web", port=80)], "GET http://web.example.com/") == ("plain", "plain")
    # AUTO_HTTP: the scheme of the client's connection; a value ingress-nginx refuses is HTTP
    auto = [ingress("auto", "auto", anns={f"{P}/backend-protocol": "AUTO_HTTP"})]
    assert _answers("istio", auto, "GET https://auto.example.com/")[0] == "tls"
    assert _answers("istio", auto, "GET http://auto.example.com/")[0] == "plain"
    assert _answers("istio", [ingress("odd", "odd", anns={f"{P}/backend-protocol": "SPDY"})],
                    "GET http://odd.example.com/")[0] == "plain"


@pytest.mark.parametrize("target,kind", [("istio", "DestinationRule"), ("kgateway", "BackendConfigPolicy"),
                                         ("aws", "TargetGroupConfiguration")])
def test_verify_notices_a_removed_or_broken_tls_policy(target: str, kind: str) -> None:
    import copy

    from ing2gw.equivalence.verification import verify_translation

    docs = [ingress("api", "api", anns=HTTPS), ingress("web", "web", port=80)]
    manifests = load_text("---\n".join(docs))
    options = Options(target=target)
    res = translate(manifests, options)
    assert verify_translation(res, manifests, options).unexplained == 0
    missing = [o for o in res.objects() if o["kind"] != kind]
    assert verify_translation(res, manifests, options, new_objects=missing).unexplained > 0
    # the policy moved to the plain Service: its requests now go over TLS, the TLS one's in plain HTTP
    moved = copy.deepcopy(res.objects())
    [pol] = [o for o in moved if o["kind"] == kind]
    if kind == "DestinationRule":
        pol["spec"]["host"] = "web.shop.svc.cluster.local"
        pol["spec"]["trafficPolicy"]["portLevelSettings"][0]["port"]["number"] = 80
    elif kind == "TargetGroupConfiguration":
        pol["spec"]["targetReference"]["name"] = "web"
        pol["spec"]["routeConfigurations"][0]["routeIdentifier"]["name"] = "web"
    else:
        pol["spec"]["targetRefs"][0]["name"] = "web"
    assert verify_translation(res, manifests, options, new_objects=moved).unexplained > 0
    if kind == "DestinationRule":  # TLS on the wrong port of the right Service
        wrong_port = copy.deepcopy(res.objects())
        [pol] = [o for o in wrong_port if o["kind"] == kind]
        pol["spec"]["trafficPolicy"]["portLevelSettings"][0]["port"]["number"] = 8443
        assert verify_translation(res, manifests, options, new_objects=wrong_port).unexplained > 0


def test_the_error_explains_the_plain_http_and_nothing_else() -> None:
    from ing2gw.equivalence.verification import verify_translation

    manifests = load_text(ingress("api", "api", anns=HTTPS))
    options = Options(target="envoy-gateway")
    res = translate(manifests, options)
    v = verify_translation(res, manifests, options)
    assert v.unexplained == 0 and v.explained > 0


def test_aws_ignores_a_backend_tls_policy_and_the_check_sees_plain_http() -> None:
    from ing2gw.equivalence.verification import verify_translation

    anns = {**HTTPS, f"{P}/proxy-ssl-verify": "on", f"{P}/proxy-ssl-secret": "shop/ca"}
    assert _answers("aws", [ingress("api", "api", anns=anns)], "GET http://api.example.com/x") == ("tls", "plain")
    manifests = load_text(ingress("api", "api", anns=anns))
    options = Options(target="aws")
    res = translate(manifests, options)
    [warn] = [f for f in res.findings if f.code == "ING2GW-TARGET-040"]
    assert dict(warn.details)["services"] == "shop/api"
    v = verify_translation(res, manifests, options)
    assert v.unexplained == 0 and v.explained > 0
