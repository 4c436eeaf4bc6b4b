"""Envoy Gateway policies for session affinity, hashing, ...: the parameters ingress-nginx's
annotations give, what the emitter writes from them and what it refuses (hand-checked values)."""

from __future__ import annotations

from typing import Any

import pytest

from ing2gw import ir
from ing2gw.emit.targets import envoy_gateway
from ing2gw.emit.targets.carry import verdict
from ing2gw.providers.ingress_nginx.intents import intent_params

P = "nginx.ingress.kubernetes.io"


def params(intent: str, paths: tuple[str, ...] = ("/",), **anns: str) -> dict[str, str] | None:
    return intent_params({f"{P}/{k.replace('_', '-')}": v for k, v in anns.items()}, P, "shop", intent, paths)


def intent(kind: str, p: dict[str, str]) -> ir.Intent:
    return ir.Intent(kind, ir.Source("shop", "web", None, f"{P}/x"), "", params=tuple(sorted(p.items())))


def emitted(kind: str, p: dict[str, str]) -> dict[str, Any]:
    fn = {"session-affinity": envoy_gateway.session_affinity, "load-balancing": envoy_gateway.load_balancer}[kind]
    return fn(intent(kind, p))


def test_affinity_defaults_are_nginx_s_session_cookie_on_the_location_path() -> None:
    p = params("session-affinity", paths=("/cart",), affinity="cookie")
    assert p == {"type": "cookie", "cookie": "INGRESSCOOKIE", "mode": "balanced", "path": "/cart"}
    assert verdict("envoy-gateway", "session-affinity", p).carried
    assert emitted("session-affinity", p) == {
        "type": "ConsistentHash",
        "consistentHash": {"type": "Cookie", "cookie": {"name": "INGRESSCOOKIE", "ttl": "0s",
                                                        "attributes": {"Path": "/cart"}}}}


def test_affinity_cookie_attributes_and_lifetime() -> None:
    p = params("session-affinity", affinity="cookie", session_cookie_name="route", session_cookie_max_age="172800",
               session_cookie_expires="60", session_cookie_path="/app", session_cookie_samesite="Strict",
               session_cookie_domain="example.com")
    assert p is not None
    cookie = emitted("session-affinity", p)["consistentHash"]["cookie"]
    # Max-Age wins over Expires; 172800 s is beyond 5 digits of seconds, so hours
    assert cookie == {"name": "route", "ttl": "48h",
                      "attributes": {"Path": "/app", "Domain": "example.com", "SameSite": "Strict"}}


def test_affinity_with_several_paths_uses_the_root_path_and_says_so() -> None:
    p = params("session-affinity", paths=("/", "/api", "/api"), affinity="cookie")
    assert p is not None and p["paths"] == "/,/api" and "path" not in p
    assert emitted("session-affinity", p)["consistentHash"]["cookie"]["attributes"] == {"Path": "/"}
    f = envoy_gateway._affinity_finding(intent("session-affinity", p))
    assert f.code == "ING2GW-TARGET-008" and "(/,/api)" in f.message


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (99999, "99999s"), (100000, "27h46m40s"), (7200 * 24, "48h")])
def test_durations_stay_within_envoy_gateway_s_pattern(seconds: int, text: str) -> None:
    assert envoy_gateway.duration(seconds) == text


@pytest.mark.parametrize("anns, why", [
    (dict(affinity="ip"), "only cookie affinity"),
    (dict(affinity="cookie", session_cookie_max_age="soon"), "number of seconds"),
])
def test_affinity_that_cannot_be_carried_says_why(anns: dict[str, str], why: str) -> None:
    p = params("session-affinity", **anns)
    assert p is not None
    v = verdict("envoy-gateway", "session-affinity", p)
    assert not v.carried and why in v.why_not


@pytest.mark.parametrize("key, expected", [
    ("$remote_addr", {"type": "SourceIP"}),
    ("$binary_remote_addr", {"type": "SourceIP"}),
    ("$http_x_user_id", {"type": "Header", "header": {"name": "x-user-id"}}),
    ("$cookie_session_id", {"type": "Cookie", "cookie": {"name": "session_id"}}),
    ("$arg_user", {"type": "QueryParams", "queryParams": [{"name": "user"}]}),
])
def test_hash_keys_of_one_variable_become_a_consistent_hash(key: str, expected: dict[str, Any]) -> None:
    p = params("load-balancing", upstream_hash_by=key)
    assert p is not None and verdict("envoy-gateway", "load-balancing", p).carried
    assert emitted("load-balancing", p) == {"type": "ConsistentHash", "consistentHash": expected}


@pytest.mark.parametrize("anns, why", [
    (dict(upstream_hash_by="$request_uri"), "hashes on those only"),
    (dict(upstream_hash_by="$remote_addr$http_x"), "hashes on those only"),
    (dict(upstream_hash_by="$remote_addr", upstream_hash_by_subset="true"), "subset"),
    (dict(upstream_hash_by="$remote_addr", affinity="cookie"), "sticky balancer"),
])
def test_hashes_that_cannot_be_carried_say_why(anns: dict[str, str], why: str) -> None:
    p = params("load-balancing", **anns)
    assert p is not None
    v = verdict("envoy-gateway", "load-balancing", p)
    assert not v.carried and why in v.why_not


@pytest.mark.parametrize("target, substitution", [
    ("/v2/$2/$1", r"/v2/\2/\1"),
    ("/a\\b/$1", r"/a\\b/\1"),
])
def test_nginx_targets_become_re2_substitutions(target: str, substitution: str) -> None:
    from ing2gw.providers.ingress_nginx.regex import re2_substitution

    assert re2_substitution(target) == substitution
    assert verdict("envoy-gateway", "regex-rewrite", {"pattern": "(?i)^/(a)/(b).*", "target": target}).carried


@pytest.mark.parametrize("target, why", [
    ("/find?q=$1", "query string"),
    ("/$host/$1", "nginx variables"),
    ("/$3", "capture groups the path does not have"),
])
def test_regex_rewrites_that_cannot_be_carried_say_why(target: str, why: str) -> None:
    v = verdict("envoy-gateway", "regex-rewrite", {"pattern": "(?i)^/(a)/(b).*", "target": target})
    assert not v.carried and why in v.why_not


def test_the_rewrite_of_a_regex_rule_is_one_filter_per_namespace_and_rewrite() -> None:
    rewrite = ir.Rewrite(regex=("(?i)^/(a)/(b).*", r"/\2/\1"))
    src = ir.Source("shop", "web", None)
    rules = (ir.Rule((), src, rewrite=rewrite), ir.Rule((), src, rewrite=rewrite))
    route = ir.Route(kind="HTTPRoute", namespace="shop", name_hint="web", source=src, hostnames=(), parents=(),
                     rules=list(rules))
    objs, findings = envoy_gateway.regex_rewrite_filters([route])
    assert [o["kind"] for o in objs] == ["HTTPRouteFilter"]
    assert objs[0]["spec"] == {"urlRewrite": {"path": {"type": "ReplaceRegexMatch", "replaceRegexMatch": {
        "pattern": "(?i)^/(a)/(b).*", "substitution": r"/\2/\1"}}}}
    assert [f.code for f in findings] == ["ING2GW-TARGET-010"]


def test_no_body_size_limit_is_carried_by_writing_no_policy() -> None:
    """proxy-body-size 0 is nginx's "no limit": converted, with no policy and no warning."""
    from ing2gw.load import load_text
    from ing2gw.options import Options
    from ing2gw.translate import translate

    text = f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: up
  namespace: shop
  annotations: {{{P}/proxy-body-size: "0"}}
spec:
  ingressClassName: nginx
  rules:
  - host: up.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: up, port: {{number: 80}}}}}}}}
"""
    p = params("body-size-limit", proxy_body_size="0")
    assert p is not None and verdict("envoy-gateway", "body-size-limit", p).carried
    assert not verdict("kgateway", "body-size-limit", p).carried  # kgateway's emitter is not changed here
    result = translate(load_text(text, "in.yaml"), Options(target="envoy-gateway"))
    assert not [o for o in result.objects() if o["kind"] == "BackendTrafficPolicy"]
    about = [f for f in result.findings if f.annotation == f"{P}/proxy-body-size"]
    assert [(f.code, f.severity.value) for f in about] == [("ING2GW-NGINX-010", "info")]
    assert "no limit" in about[0].message
    assert not [f for f in result.findings if f.code in ("ING2GW-TARGET-004", "ING2GW-CORE-026")]


def _tls_ingress(name: str, host: str, anns: dict[str, str], tls: bool = True, path: str = "/") -> str:
    body = "".join(f"    {P}/{k}: {v!r}\n" for k, v in anns.items())
    tls_part = f"  tls:\n  - hosts: [{host}]\n    secretName: {name}-tls\n" if tls else ""
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: shop\n"
            f"  annotations:\n{body}spec:\n  ingressClassName: nginx\n{tls_part}  rules:\n  - host: {host}\n"
            "    http:\n      paths:\n      - {path: " + path + ", pathType: Prefix, backend: {service: {name: web, port: "
            "{number: 80}}}}\n---\n")


def _translate(text: str) -> Any:
    from ing2gw.load import load_text
    from ing2gw.options import Options
    from ing2gw.translate import translate

    return translate(load_text(text, "in.yaml"), Options(target="envoy-gateway"))


def test_client_certificates_are_checked_on_the_host_s_listener_only() -> None:
    result = _translate(_tls_ingress("bank", "bank.example.com", {"auth-tls-secret": "pki/client-ca"})
                        + _tls_ingress("shop", "shop.example.com", {}))
    ctps = [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    assert len(ctps) == 1
    spec = ctps[0]["spec"]
    assert spec["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx",
                                   "sectionName": "https-bank.example.com"}]
    assert spec["tls"] == {"clientValidation": {"mode": "RequireAndVerify", "caCertificateRefs": [
        {"group": "", "kind": "Secret", "name": "client-ca", "namespace": "pki"}]}}
    assert ctps[0]["metadata"]["namespace"] == "gateway-system"  # beside the Gateway it targets
    grants = [o for o in result.objects() if o["kind"] == "ReferenceGrant" and o["metadata"]["namespace"] == "pki"]
    assert [g["spec"] for g in grants] == [{"from": [{"group": "gateway.envoyproxy.io", "kind": "ClientTrafficPolicy",
                                                      "namespace": "gateway-system"}],
                                            "to": [{"group": "", "kind": "Secret", "name": "client-ca"}]}]
    assert [f.code for f in result.findings if f.code.startswith("ING2GW-TARGET-01")] == ["ING2GW-TARGET-011"]


def test_client_certificates_without_a_listener_of_their_own_are_errors() -> None:
    result = _translate(_tls_ingress("bank", "bank.example.com", {"auth-tls-secret": "client-ca"}, tls=False))
    assert not [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    errors = {f.code for f in result.findings if f.severity.value == "error"}
    assert {"ING2GW-TARGET-012", "ING2GW-CORE-026"} <= errors


def test_two_cas_for_one_host_are_refused_not_guessed() -> None:
    result = _translate(_tls_ingress("a", "bank.example.com", {"auth-tls-secret": "ca-one"}, path="/a")
                        + _tls_ingress("b", "bank.example.com", {"auth-tls-secret": "ca-two"}, path="/b"))
    assert not [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    assert any(f.code == "ING2GW-TARGET-012" and "different CAs" in f.message for f in result.findings)


@pytest.mark.parametrize("verify, mode", [("on", "RequireAndVerify"), ("optional", "VerifyIfGiven")])
def test_verify_modes(verify: str, mode: str) -> None:
    result = _translate(_tls_ingress("bank", "bank.example.com", {"auth-tls-secret": "ca",
                                                                  "auth-tls-verify-client": verify}))
    (ctp,) = [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    assert ctp["spec"]["tls"]["clientValidation"]["mode"] == mode


def test_optional_no_ca_is_not_carried() -> None:
    p = params("client-certificate", auth_tls_secret="ca", auth_tls_verify_client="optional_no_ca")
    assert p is not None
    v = verdict("envoy-gateway", "client-certificate", p)
    assert not v.carried and "optional_no_ca" in v.why_not


def test_next_upstream_with_non_idempotent_becomes_a_retry() -> None:
    p = params("retry", proxy_next_upstream="error timeout http_502 http_503 non_idempotent",
               proxy_next_upstream_tries="4")
    assert p is not None and verdict("envoy-gateway", "retry", p).carried
    assert envoy_gateway.retry(intent("retry", p)) == {
        "numRetries": 3, "retryOn": {"triggers": ["connect-failure", "reset", "retriable-status-codes"],
                                     "httpStatusCodes": [502, 503]}}


@pytest.mark.parametrize("anns", [dict(proxy_next_upstream="off"), dict(proxy_next_upstream_tries="1")])
def test_no_retry_needs_no_policy(anns: dict[str, str]) -> None:
    p = params("retry", **anns)
    assert p is not None and verdict("envoy-gateway", "retry", p).carried
    assert envoy_gateway.retry(intent("retry", p)) is None


@pytest.mark.parametrize("anns, why", [
    (dict(proxy_next_upstream="error timeout"), "POST"),
    (dict(proxy_next_upstream_tries="5"), "POST"),  # the default conditions, without non_idempotent
    (dict(proxy_next_upstream="invalid_header non_idempotent"), "invalid_header"),
    (dict(proxy_next_upstream="error non_idempotent", proxy_next_upstream_tries="0"), "unlimited"),
])
def test_retries_that_cannot_be_carried_say_why(anns: dict[str, str], why: str) -> None:
    p = params("retry", **anns)
    assert p is not None
    v = verdict("envoy-gateway", "retry", p)
    assert not v.carried and why in v.why_not


def _regex_host(extra_path: str = "") -> str:
    """A use-regex host whose first Ingress has basic auth and CORS (and a second, open one)."""
    auth = (f"    {P}/use-regex: 'true'\n    {P}/auth-type: basic\n    {P}/auth-secret: users\n"
            f"    {P}/enable-cors: 'true'\n    {P}/cors-allow-origin: https://app.example.com\n")
    paths = "      - {path: '/admin/[a-z]+', pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}\n"
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: admin\n  namespace: shop\n"
            f"  creationTimestamp: '2024-01-01T00:00:00Z'\n  annotations:\n{auth}spec:\n  ingressClassName: nginx\n"
            f"  rules:\n  - host: shop.example.com\n    http:\n      paths:\n{paths}{extra_path}---\n"
            + _tls_ingress("open", "shop.example.com", {}, tls=False, path="/public").replace(
                "namespace: shop\n", "namespace: shop\n  creationTimestamp: '2024-01-02T00:00:00Z'\n", 1)
            + "apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: shop}\n"
              "stringData: {auth: 'admin:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', .htpasswd: 'admin:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ='}\n")


def _catch_all(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for o in objects if o["kind"] == "HTTPRoute" for r in o["spec"]["rules"]
            if [m.get("path") for m in r.get("matches", ())] == [{"type": "RegularExpression", "value": "(?i)^/.*"}]]


def test_a_regex_host_s_root_keeps_the_first_ingress_s_basic_auth_and_cors() -> None:
    """nginx's root location `~* ^/` (tried last) takes the first Ingress's basic auth and CORS:
    Envoy Gateway tries the catch-all regex last too (longest pattern first), so the route that
    owns the SecurityPolicy gets it, answering 404 without a backend, with the same CORS filter."""
    from ing2gw.equivalence.verification import verify_translation
    from ing2gw.load import load_text
    from ing2gw.options import Options
    from ing2gw.translate import translate

    ms = load_text(_regex_host(), "in.yaml")
    options = Options(target="envoy-gateway")
    result = translate(ms, options)
    objects = result.objects()
    (rule,) = _catch_all(objects)
    assert [f["type"] for f in rule["filters"]] == ["CORS", "ExtensionRef"]
    assert rule["filters"][1]["extensionRef"]["name"] == "direct-response-404" and "backendRefs" not in rule
    (route,) = [o for o in objects if o["kind"] == "HTTPRoute" and rule in o["spec"]["rules"]]
    (sp,) = [o for o in objects if o["kind"] == "SecurityPolicy"]
    assert sp["spec"]["targetRefs"][0]["name"] == route["metadata"]["name"]
    assert verify_translation(result, ms, options).unexplained == 0

    # broken by hand: without the catch-all, unmatched paths get 404 instead of 401
    broken = [dict(o, spec=dict(o["spec"], rules=[r for r in o["spec"]["rules"] if r is not rule]))
              if o is route else o for o in objects]
    v = verify_translation(result, ms, options, new_objects=broken)
    assert v.unexplained > 0
    assert any(r.old.status == 401 and r.new.status == 404 for r in v.differences if not r.explained_by)
    # without its CORS filter, the 401 of an allowed Origin lacks Access-Control-Allow-Origin
    no_cors = [dict(o, spec=dict(o["spec"], rules=[dict(r, filters=r["filters"][1:]) if r is rule else r
                                                   for r in o["spec"]["rules"]]))
               if o is route else o for o in objects]
    v = verify_translation(result, ms, options, new_objects=no_cors)
    assert any("response_headers.access-control-allow-origin" in [d.field for d in r.differences]
               for r in v.differences if not r.explained_by)


def test_no_catch_all_regex_where_a_path_prefix_rule_would_rank_below_it() -> None:
    """Envoy Gateway ranks every RegularExpression above every PathPrefix: a host where a
    rewrite became PathPrefix + ReplacePrefixMatch gets no catch-all (it would take that
    PathPrefix's requests)."""
    extra = ("      - {path: '/api(/|$)(.*)', pathType: ImplementationSpecific, backend: {service: {name: web, port: "
             "{number: 80}}}}\n")
    text = _regex_host(extra).replace(f"{P}/use-regex: 'true'\n", f"{P}/use-regex: 'true'\n    {P}/rewrite-target: /$2\n", 1)
    result = _translate(text)
    objects = result.objects()
    assert any(m.get("path", {}).get("type") == "PathPrefix" for o in objects if o["kind"] == "HTTPRoute"
               for r in o["spec"]["rules"] for m in r.get("matches", ()))
    assert not _catch_all(objects)
    assert not [o for o in objects if o["kind"] == "HTTPRouteFilter" and "directResponse" in o["spec"]]


def test_client_certificate_forwarding_becomes_xfcc_on_the_host_s_listener() -> None:
    result = _translate(_tls_ingress("bank", "bank.example.com", {"auth-tls-secret": "client-ca",
                                                                  "auth-tls-pass-certificate-to-upstream": "true"}))
    (ctp,) = [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    assert ctp["spec"]["headers"] == {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert"]}}
    about = [f for f in result.findings if f.annotation == f"{P}/auth-tls-pass-certificate-to-upstream"]
    assert sorted(f.code for f in about) == ["ING2GW-NGINX-010", "ING2GW-TARGET-014"]
    assert not [f for f in result.findings if f.severity.value == "error"]


def test_client_certificate_forwarding_is_not_widened_to_other_ingresses_of_the_listener() -> None:
    """Another Ingress of the same host does not forward the certificate: XFCC (a listener
    setting) would reach its backends, so nothing is written and the loss is an error."""
    result = _translate(_tls_ingress("bank", "bank.example.com", {"auth-tls-secret": "client-ca",
                                                                  "auth-tls-pass-certificate-to-upstream": "true"},
                                     path="/a")
                        + _tls_ingress("other", "bank.example.com", {"auth-tls-secret": "client-ca"}, path="/b"))
    (ctp,) = [o for o in result.objects() if o["kind"] == "ClientTrafficPolicy"]
    assert "headers" not in ctp["spec"]  # the validation itself is still written
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert any(f.code == "ING2GW-TARGET-015" and "shop/other" in f.message for f in errors)


def test_forwarding_without_client_certificates_is_not_carried() -> None:
    p = params("client-certificate-forwarding", auth_tls_pass_certificate_to_upstream="true")
    assert p == {"pass": "true", "ca": ""}
    v = verdict("envoy-gateway", "client-certificate-forwarding", p)
    assert not v.carried and "nothing to forward" in v.why_not
    assert params("client-certificate-forwarding", auth_tls_pass_certificate_to_upstream="false") is None


def test_proxy_connect_timeout_becomes_the_route_s_connect_timeout() -> None:
    """nginx's proxy_connect_timeout and Envoy's cluster connect_timeout limit the same phase;
    the read timeout stays the strict translation's HTTPRoute backendRequest."""
    result = _translate(_tls_ingress("slow", "slow.example.com", {"proxy-connect-timeout": "3",
                                                                  "proxy-read-timeout": "120"}, tls=False))
    (btp,) = [o for o in result.objects() if o["kind"] == "BackendTrafficPolicy"]
    assert btp["spec"]["timeout"] == {"tcp": {"connectTimeout": "3s"}}
    assert btp["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "slow"}]
    (route,) = [o for o in result.objects() if o["kind"] == "HTTPRoute"]
    assert route["spec"]["rules"][0]["timeouts"] == {"backendRequest": "120s"}
    about = [f for f in result.findings if f.annotation == f"{P}/proxy-connect-timeout"]
    assert [(f.code, f.severity.value) for f in about] == [("ING2GW-NGINX-010", "info")]


@pytest.mark.parametrize("value", ["0", "soon"])
def test_connect_timeouts_without_a_duration_are_not_carried(value: str) -> None:
    p = params("timeout", proxy_connect_timeout=value)
    assert p == {"connect": value}
    assert not verdict("envoy-gateway", "timeout", p).carried
