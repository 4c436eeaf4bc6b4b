"""The check's access probes from Traefik and HAProxy sources (simulate.source_probes), the
Traefik and HAProxy models' answers to them, and mutations of policies written from such
inputs: a dropped or widened policy must be unexplained."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from golden_harness import Case, GOLDEN, manifests, parse_flags
from ing2gw.cli.convert import build_options
from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.simulate import build_router
from ing2gw.simulate.oracle import auth_header
from ing2gw.simulate.probes import access_probes
from ing2gw.simulate.request import Request
from ing2gw.translate import translate

SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports:
  - {name: http, port: 80}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: traefik}
spec: {controller: traefik.io/ingress-controller}
"""


def middleware(name: str, spec: str) -> str:
    return f"apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n{spec}\n---\n"


def traefik_ingress(annotations: dict[str, str], tls: bool = False, path: str = "/api") -> str:
    anns = "".join(f"    {k}: \"{v}\"\n" for k, v in annotations.items())
    tls_part = "  tls:\n  - hosts: [shop.example.com]\n    secretName: tls\n" if tls else ""
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n"
            f"  annotations:\n{anns}spec:\n  ingressClassName: traefik\n{tls_part}  rules:\n"
            f"  - host: shop.example.com\n    http:\n      paths:\n      - path: {path}\n        pathType: Prefix\n"
            f"        backend:\n          service: {{name: web, port: {{number: 80}}}}\n---\n")


MW = "traefik.ingress.kubernetes.io/router.middlewares"
AUTH = middleware("auth", "  forwardAuth:\n    address: http://auth.shop.svc:8080/check")
LIMIT = middleware("limit", "  buffering:\n    maxRequestBodyBytes: 1000")
CHAIN = middleware("both", "  chain:\n    middlewares:\n    - name: auth\n    - name: limit")


def _probes(text: str) -> list[str]:
    return sorted(r.describe() for r in access_probes(load_text(text, "t.yaml"), []))


def test_forward_auth_and_buffering_of_a_chain_give_the_oracle_and_body_size_probes() -> None:
    probes = _probes(AUTH + LIMIT + CHAIN + traefik_ingress({MW: "shop-both@kubernetescrd"}) + SERVICE)
    for status in (401, 403, 500):
        assert f"GET http://shop.example.com/api | Authorization: Bearer ing2gw-auth-answers-{status}" in probes
    for size in (1000, 1001):
        assert f"POST http://shop.example.com/api | Content-Length: {size}" in probes
        # let through by the auth service, so that Traefik's forwardAuth (first) decides too
        assert (f"POST http://shop.example.com/api | Authorization: Bearer ing2gw-auth-answers-200 | "
                f"Content-Length: {size}") in probes


def test_no_probes_for_a_middleware_no_router_uses_or_a_buffer_without_limit() -> None:
    unlimited = middleware("buf", "  buffering:\n    memRequestBodyBytes: 1000")
    assert _probes(AUTH + unlimited + traefik_ingress({MW: "shop-buf@kubernetescrd"}) + SERVICE) == []


def test_ingress_route_middlewares_and_tls_options_are_probed_on_its_hosts_and_path() -> None:
    text = AUTH + """apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: mtls, namespace: shop}
spec:
  clientAuth: {secretNames: [ca]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(`a.example.com`) && PathPrefix(`/admin`)
    kind: Rule
    middlewares: [{name: auth}]
    services: [{name: web, port: 80}]
  tls:
    options: {name: mtls}
---
""" + SERVICE
    probes = _probes(text)
    assert "GET https://a.example.com/admin | Authorization: Bearer ing2gw-auth-answers-401" in probes
    # secretNames without a clientAuthType: Traefik requires and verifies a certificate
    assert "GET https://a.example.com/admin | @no-client-cert" in probes


def test_an_optional_client_certificate_is_not_probed() -> None:
    text = """apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: default, namespace: shop}
spec:
  clientAuth: {secretNames: [ca], clientAuthType: VerifyClientCertIfGiven}
---
""" + traefik_ingress({}, tls=True) + SERVICE
    assert not [p for p in _probes(text) if "no-client-cert" in p]


def test_ip_strategy_and_src_ip_header_send_the_header_from_peers_inside_and_outside() -> None:
    office = middleware("office", "  ipAllowList:\n    sourceRange: [10.0.0.0/8]\n    ipStrategy: {depth: 1}")
    probes = _probes(office + traefik_ingress({MW: "shop-office@kubernetescrd"}) + SERVICE)
    assert "GET http://shop.example.com/api | X-Forwarded-For: 10.0.0.0 | @client=198.51.100.77" in probes
    assert "GET http://shop.example.com/api | X-Forwarded-For: 198.51.100.77 | @client=10.0.0.0" in probes
    haproxy = (GOLDEN / "haproxy/target-kgateway-src-ip-header/input.yaml").read_text()
    probes = _probes(haproxy)
    assert "GET http://shop.example.com/ | X-Real-IP: 10.0.0.0 | @client=198.51.100.77" in probes


def test_haproxy_client_ca_probes_every_host_without_a_certificate() -> None:
    text = (GOLDEN / "haproxy/target-envoy-gateway-client-ca/input.yaml").read_text()
    assert "GET https://shop.example.com/ | @no-client-cert" in _probes(text)


# -- the old side's answers ---------------------------------------------------------------------


def _traefik(text: str) -> Any:
    return build_router("ingress", "traefik", load_text(text, "t.yaml"))


def _req(line: str, headers: tuple[tuple[str, str], ...] = (), method: str = "GET", no_cert: bool = False) -> Request:
    scheme, _, rest = line.partition("://")
    host, _, path = rest.partition("/")
    return Request(method, scheme, host, 443 if scheme == "https" else 80, "/" + path, headers,
                   host if scheme == "https" else None, "10.1.1.1", no_cert)


def test_traefik_forward_auth_passes_the_auth_services_refusal_on() -> None:
    r = _traefik(AUTH + traefik_ingress({MW: "shop-auth@kubernetescrd"}) + SERVICE)
    for status in (401, 403, 500, 302):
        a = r.route(_req("http://shop.example.com/api", (auth_header(status),)))
        assert (a.status, a.backend, a.generated_by) == (status, None, "external-auth-denied")
    a = r.route(_req("http://shop.example.com/api", (auth_header(204),)))
    assert a.backend is not None and not a.unmodelled
    # any other request: the auth service's answer is not known
    assert r.route(_req("http://shop.example.com/api")).unmodelled


def test_traefik_buffering_answers_413_above_the_limit_only() -> None:
    r = _traefik(LIMIT + traefik_ingress({MW: "shop-limit@kubernetescrd"}) + SERVICE)
    at = r.route(_req("http://shop.example.com/api", (("Content-Length", "1000"),), "POST"))
    above = r.route(_req("http://shop.example.com/api", (("Content-Length", "1001"),), "POST"))
    assert at.backend is not None and at.status == 200
    assert (above.status, above.backend, above.generated_by) == (413, None, "body-too-large")


@pytest.mark.parametrize("auth_type, refused", [("RequireAndVerifyClientCert", True), ("RequireAnyClientCert", True),
                                                ("VerifyClientCertIfGiven", False), ("RequestClientCert", False)])
def test_traefik_client_auth_fails_the_handshake_without_a_certificate(auth_type: str, refused: bool) -> None:
    text = f"""apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {{name: mtls, namespace: shop}}
spec:
  clientAuth: {{secretNames: [ca], clientAuthType: {auth_type}}}
---
""" + traefik_ingress({"traefik.ingress.kubernetes.io/router.tls": "true",
                       "traefik.ingress.kubernetes.io/router.tls.options": "shop-mtls@kubernetescrd"}) + SERVICE
    r = _traefik(text)
    without = r.route(_req("https://shop.example.com/api", no_cert=True))
    assert (without.status == 0 and without.generated_by == "client-certificate-required") is refused
    assert r.route(_req("https://shop.example.com/api")).backend is not None


@pytest.mark.parametrize("optional, refused", [("false", True), ("true", False)])
def test_haproxy_client_ca_fails_the_handshake_unless_optional(optional: str, refused: bool) -> None:
    text = (GOLDEN / "haproxy/target-envoy-gateway-client-ca/input.yaml").read_text().replace(
        "  client-ca: haproxy-controller/client-ca", f"  client-ca: haproxy-controller/client-ca\n  client-crt-optional: \"{optional}\"")
    r = build_router("ingress", "haproxy", load_text(text, "t.yaml"))
    a = r.route(_req("https://shop.example.com/", no_cert=True))
    assert (a.status == 0 and a.generated_by == "client-certificate-required") is refused


# -- the check on the new probes, and mutations of policies written from these sources ------------


def test_the_losses_the_new_probes_reveal_are_each_predicted_and_only_there() -> None:
    for case in ("traefik/target-envoy-gateway-forward-auth", "traefik/target-envoy-gateway-client-auth",
                 "haproxy/target-envoy-gateway-client-ca"):
        c = Case(GOLDEN / case)
        docs, options = manifests(c), build_options(parse_flags(c.flags()))
        result = translate(docs, options)
        assert verify_translation(result, docs, options).unexplained == 0, case
        # without the finding that predicts the loss, the same differences are unexplained
        result.findings = [f for f in result.findings if f.code not in (
            "ING2GW-TRAEFIK-034", "ING2GW-TARGET-070", "ING2GW-TRAEFIK-070", "ING2GW-TARGET-071")]
        assert verify_translation(result, docs, options).unexplained > 0, case


def _policies(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objs if "gateway.networking.k8s.io" not in str(o.get("apiVersion"))
            and o.get("kind") not in ("ReferenceGrant", "Namespace", "ConfigMap", "Secret")]


def _dropped(o: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The implementation policies and the ExtensionRef filters that attach them left out (a
    dangling reference would be an invalid filter, not a missing policy)."""
    names = {p["metadata"]["name"] for p in _policies(o)}
    out = [x for x in o if x not in _policies(o)]
    for route in (x for x in out if x.get("kind") == "HTTPRoute"):
        for rule in route["spec"].get("rules") or []:
            rule["filters"] = [f for f in rule.get("filters") or [] if not (
                f.get("type") == "ExtensionRef" and f["extensionRef"].get("name") in names)]
            if not rule["filters"]:
                del rule["filters"]
    return out


def _replace_cidrs(obj: Any) -> Any:
    """Every address range in a policy widened to one that holds every probe's address."""
    if isinstance(obj, dict):
        return {k: _replace_cidrs(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace_cidrs(v) for v in obj]
    if isinstance(obj, str):
        try:
            net = ipaddress.ip_network(obj, strict=False)
        except ValueError:
            return obj
        return "0.0.0.0/0" if net.version == 4 else "::/0"
    return obj


ALLOWLISTS = sorted(p.parent.name + "/" + p.name for c in ("traefik", "haproxy")
                    for p in (GOLDEN / c).glob("target-*-allowlist"))


@pytest.mark.parametrize("case", ALLOWLISTS)
def test_a_dropped_or_widened_policy_from_a_traefik_or_haproxy_list_is_unexplained(case: str) -> None:
    c = Case(GOLDEN / case)
    docs, options = manifests(c), build_options(parse_flags(c.flags()))
    result = translate(docs, options)
    objs = result.objects()
    policies = _policies(objs)
    if not policies:
        pytest.skip(f"{case}: the target writes no policy object (the list stays an error)")
    assert verify_translation(result, docs, options).unexplained == 0

    def widened(o: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [_replace_cidrs(x) if x in _policies(o) else x for x in o]

    for mutate in (_dropped, widened):
        broken = mutate(copy.deepcopy(objs))
        assert broken != objs, mutate.__name__
        assert verify_translation(result, docs, options, new_objects=broken).unexplained > 0, \
            f"{case}: {mutate.__name__}"


# -- Gateway spec.tls.frontend: what each implementation does without a certificate ---------------

CONTROLLERS = {"envoy-gateway": "gateway.envoyproxy.io/gatewayclass-controller", "kgateway": "kgateway.dev/kgateway",
               "nginx-gateway-fabric": "gateway.nginx.org/nginx-gateway-controller",
               "istio": "istio.io/gateway-controller", "gke": "networking.gke.io/gateway",
               "traefik": "traefik.io/gateway-controller"}


def _with_frontend(objs: list[dict[str, Any]], controller: str, mode: str | None) -> list[dict[str, Any]]:
    out = copy.deepcopy(objs)
    for o in out:
        if o["kind"] == "GatewayClass":
            o["spec"]["controllerName"] = controller
        if o["kind"] == "Gateway" and mode is not None:
            validation: dict[str, Any] = {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}]}
            if mode:
                validation["mode"] = mode
            o["spec"]["tls"] = {"frontend": {"default": {"validation": validation}}}
    return out


@pytest.mark.parametrize("target, insecure_refused", [("envoy-gateway", False), ("kgateway", False),
                                                      ("nginx-gateway-fabric", False), ("istio", True),
                                                      ("gke", None), ("traefik", None)])
def test_a_removed_frontend_validation_is_unexplained_for_every_implementation_that_has_it(
        target: str, insecure_refused: bool | None) -> None:
    # a hand-made translation of Traefik's clientAuth that claims to carry it (its loss finding
    # removed): the Gateway's frontend validation refuses the client without a certificate as
    # Traefik does, and without the validation the difference is unexplained
    c = Case(GOLDEN / "traefik/target-envoy-gateway-client-auth")
    docs = manifests(c)
    options = build_options(parse_flags(["--target", target]))
    result = translate(docs, options)
    result.findings = [f for f in result.findings if f.code != "ING2GW-TRAEFIK-070"]
    controller = CONTROLLERS[target]
    carried = verify_translation(result, docs, options, new_objects=_with_frontend(result.objects(), controller, ""))
    removed = verify_translation(result, docs, options, new_objects=_with_frontend(result.objects(), controller, None))
    insecure = verify_translation(result, docs, options,
                                  new_objects=_with_frontend(result.objects(), controller, "AllowInsecureFallback"))
    if target == "traefik":
        # Traefik's Gateway provider does not implement spec.tls.frontend: not modelled, never equivalent
        assert carried.unverified > 0 and carried.unexplained == 0
    else:
        assert carried.unexplained == 0 and carried.unverified == 0
    assert removed.unexplained > 0
    if insecure_refused is None:
        assert insecure.unverified > 0
    else:
        assert (insecure.unexplained == 0) is insecure_refused


def test_a_frontend_validation_on_the_gateway_side_is_probed_without_a_certificate() -> None:
    objs = _with_frontend([{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                            "metadata": {"name": "c"}, "spec": {"controllerName": "x"}},
                           {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                            "metadata": {"name": "g", "namespace": "gw"},
                            "spec": {"gatewayClassName": "c", "listeners": [
                                {"name": "a", "protocol": "HTTPS", "port": 443, "hostname": "a.example.com"}]}}],
                          "x", "")
    import yaml

    new = load_text(yaml.safe_dump_all(objs), "g.yaml")
    assert [r.describe() for r in access_probes([], new)] == ["GET https://a.example.com/ | @no-client-cert"]


def _haproxy_ingress(name: str, host: str, allow: str | None) -> str:
    anns = f"  annotations:\n    haproxy.org/allow-list: \"{allow}\"\n" if allow else ""
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: shop\n{anns}"
            f"spec:\n  ingressClassName: haproxy\n  rules:\n  - host: {host}\n    http:\n      paths:\n"
            f"      - path: /\n        pathType: Prefix\n        backend:\n"
            f"          service: {{name: {name}, port: {{number: 80}}}}\n---\n")


def _misattach(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every policy of route `a` moved to route `b` (a targetRef, the filters of a's rules, an
    AuthorizationPolicy's hosts), the objects otherwise unchanged."""
    out = copy.deepcopy(objs)
    routes = {o["metadata"]["name"]: o for o in out if o["kind"] == "HTTPRoute"}
    for o in _policies(out):
        for ref in o["spec"].get("targetRefs") or []:
            if ref.get("kind") == "HTTPRoute" and ref.get("name") == "a":
                ref["name"] = "b"
        for rule in o["spec"].get("rules") or []:
            for to in rule.get("to") or []:
                op = to.get("operation") or {}
                op["hosts"] = ["b.example.com" if h == "a.example.com" else h for h in op.get("hosts") or []]
    moved = [f for rule in routes["a"]["spec"]["rules"] for f in rule.pop("filters", [])
             if f.get("type") == "ExtensionRef"]
    if moved:
        for rule in routes["b"]["spec"]["rules"]:
            rule["filters"] = [*rule.get("filters", []), *copy.deepcopy(moved)]
    return out


@pytest.mark.parametrize("target", ["envoy-gateway", "kgateway", "istio", "traefik", "aws"])
def test_a_policy_from_an_haproxy_list_moved_to_another_ingress_s_route_is_unexplained(target: str) -> None:
    docs = load_text(_haproxy_ingress("a", "a.example.com", "10.0.0.0/8")
                     + _haproxy_ingress("b", "b.example.com", None), "two.yaml")
    options = build_options(parse_flags(["--target", target]))
    result = translate(docs, options)
    objs = result.objects()
    assert _policies(objs), "the target writes the list"
    assert verify_translation(result, docs, options).unexplained == 0
    broken = _misattach(objs)
    assert broken != objs
    assert verify_translation(result, docs, options, new_objects=broken).unexplained > 0


def test_the_default_tls_option_s_loss_is_predicted_on_the_routes_it_covers() -> None:
    text = """apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: default, namespace: shop}
spec:
  clientAuth: {secretNames: [ca], clientAuthType: RequireAndVerifyClientCert}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(`a.example.com`)
    kind: Rule
    services: [{name: web, port: 80}]
  tls: {secretName: tls}
---
""" + SERVICE
    docs = load_text(text, "default.yaml")
    options = build_options(parse_flags(["--target", "envoy-gateway"]))
    result = translate(docs, options)
    [lost] = [f for f in result.findings if f.code == "ING2GW-TRAEFIK-070"]
    assert dict(lost.details) == {"ingresses": "IngressRoute/shop/web"}
    check = verify_translation(result, docs, options)
    assert check.unexplained == 0
    assert any("no-client-cert" in d.request.describe() for d in check.differences)


def _doubled_limit(obj: Any) -> Any:
    """Every body-size limit of a policy doubled (1048576 / "1048576" / 1m)."""
    if isinstance(obj, dict):
        return {k: (_double(v) if k in ("limit", "maxRequestSize", "maxSize", "maxRequestBodyBytes") else
                    _doubled_limit(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_doubled_limit(v) for v in obj]
    return obj


def _double(v: Any) -> Any:
    if isinstance(v, int):
        return v * 2
    text = str(v)
    return f"{int(text[:-1]) * 2}{text[-1]}" if text[-1:].isalpha() else str(int(text) * 2)


@pytest.mark.parametrize("target", ["envoy-gateway", "kgateway", "nginx-gateway-fabric", "traefik"])
def test_a_buffering_limit_carried_to_a_target_is_proved_and_a_dropped_or_wider_one_is_not(target: str) -> None:
    # not 1 MiB: NGINX Gateway Fabric's own default (client_max_body_size 1m) would hide a
    # dropped policy there
    text = (GOLDEN / "traefik/target-kgateway-buffering/input.yaml").read_text().replace(
        "maxRequestBodyBytes: 1048576", "maxRequestBodyBytes: 5000")
    docs = load_text(text, "buffering.yaml")
    options = build_options(parse_flags(["--target", target]))
    result = translate(docs, options)
    assert not [f for f in result.findings if f.code == "ING2GW-TARGET-070"]
    objs = result.objects()
    assert _policies(objs)
    check = verify_translation(result, docs, options)
    assert check.unexplained == 0
    for broken in (_dropped(copy.deepcopy(objs)),
                   [_doubled_limit(o) if o in _policies(objs) else o for o in copy.deepcopy(objs)]):
        assert broken != objs
        assert verify_translation(result, docs, options, new_objects=broken).unexplained > 0
