"""--target kgateway allow/deny lists: an acl on exactly the Ingress's route whose longest-prefix
decision equals nginx's deny-first order (allow entries inside a deny entry are left out)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import implementation_crds
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import translate
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"


def test_acl_agrees_with_nginx_deny_first_and_reaches_only_the_ingress() -> None:
    anns = {f"{P}/whitelist-source-range": "10.0.0.0/8, 10.66.1.0/24, 10.67.0.0/16, 192.168.0.1",
            f"{P}/denylist-source-range": "10.66.0.0/16, 10.67.0.0/16"}
    res = translate(load_text("---\n".join([ingress("admin", "a.example.com", [("/", "Prefix")], anns),
                                            ingress("open", "a.example.com", [("/open", "Prefix")])])),
                    Options(target="kgateway"))
    [pol] = [o for o in res.objects() if o["kind"] == "TrafficPolicy"]
    assert implementation_crds.problems(pol) == []
    assert [t["name"] for t in pol["spec"]["targetRefs"]] == ["admin"]
    assert pol["spec"]["acl"] == {"defaultAction": "deny", "rules": [
        {"name": "denylist", "action": "deny", "cidrs": ["10.66.0.0/16", "10.67.0.0/16"]},
        {"name": "allowlist", "action": "allow", "cidrs": ["10.0.0.0/8", "192.168.0.1/32"]}]}
    r = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "o.yaml"))

    def status(line: str) -> int:
        a = r.route(Request.parse_line(line))
        assert not a.unmodelled, a.unmodelled
        return a.status

    # nginx: deny 10.66/16 first, so 10.66.1.5 is denied although 10.66.1.0/24 is allowed
    for client, expected in (("10.66.1.5", 403), ("10.67.0.1", 403), ("10.1.2.3", 200), ("192.168.0.1", 200),
                             ("192.168.0.2", 403), ("11.0.0.1", 403)):
        assert status(f"GET http://a.example.com/x | @client={client}") == expected, client
    assert status("GET http://a.example.com/open/y | @client=11.0.0.1") == 200  # the other Ingress
    assert "ING2GW-CORE-026" not in [f.code for f in res.findings]


def test_an_invalid_list_denies_everyone() -> None:
    res = translate(load_text(ingress("bad", "b.example.com", [("/", "Prefix")],
                                      {f"{P}/whitelist-source-range": "10.0.0.0/8, nonsense"})),
                    Options(target="kgateway"))
    [pol] = [o for o in res.objects() if o["kind"] == "TrafficPolicy"]
    assert pol["spec"]["acl"] == {"defaultAction": "deny"}


def kgw(*docs: str) -> Any:
    return translate(load_text("---\n".join(docs)), Options(target="kgateway"))


def kinds(res: Any, kind: str) -> list[dict[str, Any]]:
    return [o for o in res.objects() if o["kind"] == kind]


def test_auth_url_becomes_a_gateway_extension_named_by_the_route_s_traffic_policy() -> None:
    anns = {f"{P}/auth-url": "http://auth.shop.svc.cluster.local:8080/verify", f"{P}/auth-response-headers": "X-User"}
    res = kgw(ingress("app", "a.example.com", [("/", "Prefix")], anns), ingress("open", "a.example.com", [("/o", "Prefix")]))
    [ext] = kinds(res, "GatewayExtension")
    assert ext["spec"] == {"type": "ExtAuth", "extAuth": {"httpService": {
        "backendRef": {"name": "auth", "port": 8080}, "pathPrefix": "/verify",
        "authorizationResponse": {"headersToBackend": ["X-User"]}}}}
    [pol] = kinds(res, "TrafficPolicy")
    assert [t["name"] for t in pol["spec"]["targetRefs"]] == ["app"]
    assert pol["spec"]["extAuth"] == {"extensionRef": {"name": ext["metadata"]["name"]}}
    assert implementation_crds.problems(ext) == [] and implementation_crds.problems(pol) == []
    [f] = [f for f in res.findings if f.code == "ING2GW-TARGET-036"]
    assert "/verify followed by the request's own path" in f.message
    r = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "o.yaml"))
    assert r.route(Request.parse_line("GET http://a.example.com/x")).unmodelled  # the auth service decides
    assert not r.route(Request.parse_line("GET http://a.example.com/o")).unmodelled


@pytest.mark.parametrize("url, why", [("http://auth.other.svc/v", "another namespace"),
                                      ("https://auth.shop.svc/v", "https"),
                                      ("http://auth.example.net/v", "not a cluster Service")])
def test_auth_urls_kgateway_cannot_call_stay_errors(url: str, why: str) -> None:
    res = kgw(ingress("app", "a.example.com", [("/", "Prefix")], {f"{P}/auth-url": url}))
    assert kinds(res, "GatewayExtension") == [] and kinds(res, "TrafficPolicy") == []
    assert any(f.severity.value == "error" and why in f.message for f in res.findings)


def service_ingress(name: str, host: str, service: str, anns: dict[str, str]) -> str:
    return ingress(name, host, [("/", "Prefix")], anns).replace(f"service: {{name: {name},", f"service: {{name: {service},")


def test_affinity_becomes_a_ring_hash_on_a_service_only_its_ingress_uses() -> None:
    sticky = {f"{P}/affinity": "cookie", f"{P}/session-cookie-max-age": "3600", f"{P}/session-cookie-samesite": "Lax"}
    res = kgw(service_ingress("sticky", "s.example.com", "cart", sticky),
              service_ingress("plain", "p.example.com", "web", {}))
    [bcp] = kinds(res, "BackendConfigPolicy")
    assert bcp["spec"] == {"targetRefs": [{"group": "", "kind": "Service", "name": "cart"}], "loadBalancer": {
        "ringHash": {"hashPolicies": [{"cookie": {"name": "INGRESSCOOKIE", "ttl": "3600s", "path": "/",
                                                  "httpOnly": True, "sameSite": "Lax"}}]}}}
    assert implementation_crds.problems(bcp) == []
    assert "ING2GW-TARGET-038" in {f.code for f in res.findings}
    assert "ING2GW-CORE-026" not in {f.code for f in res.findings}


def test_a_service_shared_with_an_ingress_without_affinity_gets_no_policy() -> None:
    res = kgw(service_ingress("sticky", "s.example.com", "web", {f"{P}/affinity": "cookie"}),
              service_ingress("plain", "p.example.com", "web", {}))
    assert kinds(res, "BackendConfigPolicy") == []
    [f] = [f for f in res.findings if f.code == "ING2GW-TARGET-037"]
    assert f.severity.value == "error" and "shop/plain" in f.message


def test_ingresses_that_agree_share_one_policy_and_hash_keys_map_to_hash_policies() -> None:
    anns = {f"{P}/upstream-hash-by": "$remote_addr"}
    res = kgw(service_ingress("a", "a.example.com", "web", anns), service_ingress("b", "b.example.com", "web", anns))
    [bcp] = kinds(res, "BackendConfigPolicy")
    assert bcp["spec"]["loadBalancer"] == {"ringHash": {"hashPolicies": [{"sourceIP": {}}]}}
    res = kgw(service_ingress("a", "a.example.com", "web", {f"{P}/upstream-hash-by": "$arg_user"}))
    assert kinds(res, "BackendConfigPolicy") == []
    assert any("query parameter" in f.message for f in res.findings)


def test_next_upstream_with_non_idempotent_becomes_a_route_retry() -> None:
    res = kgw(ingress("api", "a.example.com", [("/", "Prefix")], {
        f"{P}/proxy-next-upstream": "error timeout http_502 non_idempotent", f"{P}/proxy-next-upstream-tries": "3"}))
    [pol] = kinds(res, "TrafficPolicy")
    assert pol["spec"]["retry"] == {"attempts": 2, "retryOn": ["connect-failure", "reset", "retriable-status-codes"],
                                    "statusCodes": [502]}
    assert implementation_crds.problems(pol) == []
    res = kgw(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/proxy-next-upstream": "error http_502"}))
    assert kinds(res, "TrafficPolicy") == []  # Envoy would retry POST: left reported
    assert "ING2GW-CORE-026" in {f.code for f in res.findings} or any(
        "non_idempotent" in f.message for f in res.findings)


SECRET = ("apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: shop}\ntype: Opaque\n"
          "stringData:\n  auth: \"alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\\n\"\n")  # password: secret


def test_basic_auth_root_and_cors_on_the_401_are_proven_equivalent() -> None:
    """nginx's root location inherits the host's first Ingress's authentication (unmatched paths
    get 401), and its CORS headers ride on the 401: the `/` rule with a DirectResponse and
    Envoy's CORS filter ahead of basic auth give the same answers (checked, not asserted)."""
    from ing2gw.equivalence.verification import verify_translation

    anns = {f"{P}/auth-type": "basic", f"{P}/auth-secret": "users", f"{P}/enable-cors": "true",
            f"{P}/cors-allow-origin": "https://origin.example"}
    docs = [SECRET, ingress("app", "a.example.com", [("/docs", "Prefix")], anns)]
    res = kgw(*docs)
    [dr] = kinds(res, "DirectResponse")
    assert dr["spec"] == {"status": 404} and implementation_crds.problems(dr) == []
    r = GatewayRouter(load_text(yaml.safe_dump_all([*res.objects(), *yaml.safe_load_all(SECRET)]), "o.yaml"))
    a = r.route(Request.parse_line("GET http://a.example.com/elsewhere"))
    assert a.status == 401 and not a.unmodelled
    a = r.route(Request.parse_line("GET http://a.example.com/docs | Origin: https://origin.example"))
    assert a.status == 401 and dict(a.response_headers)["access-control-allow-origin"] == "https://origin.example"
    ok = "Authorization: Basic YWxpY2U6c2VjcmV0"
    assert r.route(Request.parse_line(f"GET http://a.example.com/elsewhere | {ok}")).status == 404
    v = verify_translation(res, load_text("---\n".join(docs)), Options(target="kgateway"))
    assert v.unexplained == 0


def test_a_broken_policy_is_an_unexplained_difference() -> None:
    """Mutations of the written kgateway objects: a wider ACL, a policy on another route, and a
    missing DirectResponse root rule's policy must each show as unexplained differences."""
    from ing2gw.equivalence.verification import verify_translation

    docs = [SECRET, ingress("adm", "b.example.com", [("/", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8"}),
            ingress("app", "a.example.com", [("/docs", "Prefix")], {f"{P}/auth-type": "basic",
                                                                   f"{P}/auth-secret": "users"})]
    res = kgw(*docs)
    manifests = load_text("---\n".join(docs))
    assert verify_translation(res, manifests, Options(target="kgateway")).unexplained == 0

    def mutated(change: Any) -> list[dict[str, Any]]:
        out = yaml.safe_load(yaml.safe_dump(res.objects()))
        return [o for o in (change(o) for o in out) if o is not None]

    def widen(o: dict[str, Any]) -> dict[str, Any]:
        if o["kind"] == "TrafficPolicy" and "acl" in o["spec"]:
            o["spec"]["acl"]["rules"][0]["cidrs"] = ["10.0.0.0/7"]
        return o

    def elsewhere(o: dict[str, Any]) -> dict[str, Any]:
        if o["kind"] == "TrafficPolicy" and "acl" in o["spec"]:
            o["spec"]["targetRefs"][0]["name"] = "app"
        return o

    def no_auth(o: dict[str, Any]) -> dict[str, Any] | None:
        return None if o["kind"] == "TrafficPolicy" and "basicAuth" in o["spec"] else o

    for change in (widen, elsewhere, no_auth):
        assert verify_translation(res, manifests, Options(target="kgateway"),
                                  new_objects=mutated(change)).unexplained > 0, change.__name__


def test_a_regex_rewrite_is_a_traffic_policy_named_by_the_rule_and_proven() -> None:
    """rewrite-target with reordered capture groups: a TrafficPolicy without targetRefs
    (urlRewrite.pathRegex over the location's regex) named by an ExtensionRef filter of exactly
    that rule; the check proves it, and a swapped substitution, a lost ExtensionRef or the
    policy's targetRef widened to the whole route are noticed."""
    from ing2gw.equivalence.verification import verify_translation

    anns = {f"{P}/use-regex": "true", f"{P}/rewrite-target": "/v2/$2/$1"}
    docs = [ingress("rw", "rw.example.com", [("/api/([a-z]+)/(\\d+)", "ImplementationSpecific")], anns),
            ingress("other", "rw.example.com", [("/other", "Prefix")])]
    res = kgw(*docs)
    [tp] = kinds(res, "TrafficPolicy")
    assert tp["spec"] == {"urlRewrite": {"pathRegex": {"pattern": "(?i)^/api/([a-z]+)/(\\d+).*",
                                                       "substitution": "/v2/\\2/\\1"}}}
    assert implementation_crds.problems(tp) == []
    named = [(r["metadata"]["name"], f["extensionRef"]) for r in kinds(res, "HTTPRoute") for rule in r["spec"]["rules"]
             for f in rule.get("filters", []) if f["type"] == "ExtensionRef"]
    assert named == [("rw", {"group": "gateway.kgateway.dev", "kind": "TrafficPolicy", "name": tp["metadata"]["name"]})]
    assert [f.code for f in res.findings if f.code in ("ING2GW-TARGET-080", "ING2GW-NGINX-022")] == ["ING2GW-TARGET-080"]
    manifests = load_text("---\n".join(docs))
    assert verify_translation(res, manifests, Options(target="kgateway")).unexplained == 0

    def mutated(change: Any) -> list[dict[str, Any]]:
        out = yaml.safe_load(yaml.safe_dump(res.objects()))
        for o in out:
            change(o)
        return out

    def swapped(o: dict[str, Any]) -> None:
        if o["kind"] == "TrafficPolicy":
            o["spec"]["urlRewrite"]["pathRegex"]["substitution"] = "/v2/\\1/\\2"

    def unnamed(o: dict[str, Any]) -> None:
        for rule in o["spec"].get("rules", []) if o["kind"] == "HTTPRoute" else []:
            rule["filters"] = [f for f in rule.get("filters", []) if f["type"] != "ExtensionRef"]

    def whole_route(o: dict[str, Any]) -> None:
        unnamed(o)
        if o["kind"] == "TrafficPolicy":
            o["spec"]["targetRefs"] = [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "other"}]

    for change in (swapped, unnamed, whole_route):
        assert verify_translation(res, manifests, Options(target="kgateway"),
                                  new_objects=mutated(change)).unexplained > 0, change.__name__
