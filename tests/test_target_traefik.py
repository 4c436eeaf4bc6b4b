"""--target traefik: Middlewares attached by ExtensionRef filters to exactly the Ingress's
forwarding rules (buffering, ipAllowList, basicAuth, in nginx's phase order), proven through the
Traefik model of the Gateway API simulator and validated against the vendored CRDs."""

from __future__ import annotations

import base64

import pytest
from typing import Any

import yaml

import implementation_crds
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import Result, translate
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"
SECRET = ("apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: shop}\ntype: Opaque\n"
          "stringData:\n  auth: \"alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\\n\"\n")  # password: secret


def run(*docs: str) -> Result:
    return translate(load_text("---\n".join(docs)), Options(target="traefik"))


def of(result: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == kind]


def router(result: Result) -> GatewayRouter:
    return GatewayRouter(load_text(yaml.safe_dump_all([*result.objects(), *yaml.safe_load_all(SECRET)]), "o.yaml"))


def test_middlewares_reach_exactly_the_ingress_in_nginx_order() -> None:
    anns = {f"{P}/auth-type": "basic", f"{P}/auth-secret": "users", f"{P}/whitelist-source-range": "10.0.0.0/8",
            f"{P}/proxy-body-size": "8m"}
    res = run(SECRET, ingress("admin", "a.example.com", [("/", "Prefix")], anns),
              ingress("open", "a.example.com", [("/open", "Prefix")]))
    mws = {m["metadata"]["name"]: m["spec"] for m in of(res, "Middleware")}
    assert mws == {"admin-body-size": {"buffering": {"maxRequestBodyBytes": 8 * 1024 ** 2}},
                   "admin-allowlist": {"ipAllowList": {"sourceRange": ["10.0.0.0/8"]}},
                   "admin-basic-auth": {"basicAuth": {"secret": "users"}}}
    assert all(implementation_crds.problems(m) == [] for m in of(res, "Middleware"))
    assert of(res, "Secret") == []  # referenced, never copied
    [route] = [o for o in of(res, "HTTPRoute") if o["metadata"]["name"] == "admin"]
    for rule in route["spec"]["rules"]:
        names = [f["extensionRef"]["name"] for f in rule.get("filters", []) if f["type"] == "ExtensionRef"]
        assert names == ["admin-body-size", "admin-allowlist", "admin-basic-auth"]
    r = router(res)
    good = "Authorization: Basic " + base64.b64encode(b"alice:secret").decode()

    def status(line: str) -> int:
        a = r.route(Request.parse_line(line))
        assert not a.unmodelled, a.unmodelled
        return a.status

    assert status("GET http://a.example.com/x | @client=11.0.0.1") == 403
    assert status("GET http://a.example.com/x | @client=10.0.0.1") == 401
    assert status(f"GET http://a.example.com/x | {good} | @client=10.0.0.1") == 200
    assert status(f"POST http://a.example.com/x | {good} | Content-Length: {9 * 1024 ** 2} | @client=11.0.0.1") == 413
    # the other Ingress on the same host and Gateway is not affected
    assert status("GET http://a.example.com/open/y | @client=11.0.0.1") == 200


def test_a_deny_list_is_not_half_carried() -> None:
    res = run(ingress("d", "d.example.com", [("/", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8",
                                                                   f"{P}/denylist-source-range": "10.6.0.0/16"}))
    assert of(res, "Middleware") == []
    errors = {f.code for f in res.findings if f.severity.value == "error"}
    assert "ING2GW-NGINX-080" in errors and "ING2GW-CORE-026" in errors


def test_basic_auth_in_another_namespace_stays_an_error() -> None:
    res = run(ingress("x", "x.example.com", [("/", "Prefix")], {f"{P}/auth-type": "basic",
                                                                   f"{P}/auth-secret": "other/users"}))
    assert of(res, "Middleware") == []
    assert any(f.severity.value == "error" and "another namespace" in f.message for f in res.findings)


def test_an_invalid_list_closes_the_route_with_nginx_status() -> None:
    res = run(ingress("bad", "b.example.com", [("/", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8, x"}))
    [mw] = of(res, "Middleware")
    assert mw["spec"] == {"ipAllowList": {"sourceRange": ["0.0.0.0/32", "::/128"], "rejectStatusCode": 503}}
    assert implementation_crds.problems(mw) == []
    a = router(res).route(Request.parse_line("GET http://b.example.com/ | @client=10.0.0.1"))
    assert a.status == 503 and not a.unmodelled


def verify(res: Result, docs: list[str], objects: list[dict[str, Any]] | None = None) -> Any:
    from ing2gw.equivalence.verification import verify_translation

    return verify_translation(res, load_text("---\n".join(docs)), Options(target="traefik"), new_objects=objects)


def chain(res: Result, route: str) -> list[str]:
    [r] = [o for o in of(res, "HTTPRoute") if o["metadata"]["name"] == route]
    return [f["extensionRef"]["name"] for rule in r["spec"]["rules"] for f in rule.get("filters", [])
            if f["type"] == "ExtensionRef"]


def test_rate_limits_keep_nginx_s_burst_per_client_and_tell_the_status() -> None:
    # nginx: limit_req burst=limit x 5 nodelay admits burst + 1 at once; Traefik's bucket holds burst tokens
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/limit-rps": "10", f"{P}/limit-rpm": "300",
                                                                  f"{P}/proxy-body-size": "1m"}),
              ingress("open", "a.example.com", [("/open", "Prefix")]))
    mws = {m["metadata"]["name"]: m["spec"] for m in of(res, "Middleware")}
    assert mws["api-rate-limit"] == {"rateLimit": {"average": 10, "period": "1s", "burst": 51}}
    assert mws["api-rate-limit-minute"] == {"rateLimit": {"average": 300, "period": "1m", "burst": 1501}}
    assert all(implementation_crds.problems(m) == [] for m in of(res, "Middleware"))
    assert chain(res, "api") == ["api-body-size", "api-rate-limit", "api-rate-limit-minute"]  # nginx's phases
    assert chain(res, "open") == []
    [f] = [f for f in res.findings if f.code == "ING2GW-TARGET-032"]
    assert "429" in f.message and "503" in f.message
    assert "ING2GW-CORE-026" not in {f.code for f in res.findings}


@pytest.mark.parametrize("mult, burst", [("2", 21), ("0", 51), ("x", 51)])
def test_the_burst_multiplier_as_ingress_nginx_reads_it(mult: str, burst: int) -> None:
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/limit-rps": "10",
                                                                  f"{P}/limit-burst-multiplier": mult}))
    [mw] = of(res, "Middleware")
    assert mw["spec"]["rateLimit"]["burst"] == burst
    lost = [f for f in res.findings if f.annotation == f"{P}/limit-burst-multiplier" and f.code == "ING2GW-NGINX-012"]
    assert lost == []  # its effect is carried


def test_exempt_clients_keep_the_rate_limit_an_error() -> None:
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/limit-rps": "10",
                                                                  f"{P}/limit-allowlist": "10.0.0.0/8"}))
    assert of(res, "Middleware") == []
    assert any(f.severity.value == "error" and f.annotation == f"{P}/limit-rps" for f in res.findings)


def test_auth_url_becomes_forward_auth_and_its_probes_are_unverified() -> None:
    anns = {f"{P}/auth-url": "http://auth.shop.svc.cluster.local:8080/verify",
            f"{P}/auth-response-headers": "X-User, X-Email"}
    docs = [ingress("app", "a.example.com", [("/", "Prefix")], anns), ingress("open", "a.example.com", [("/o", "Prefix")])]
    res = run(*docs)
    [mw] = of(res, "Middleware")
    assert mw["spec"] == {"forwardAuth": {"address": "http://auth.shop.svc.cluster.local:8080/verify",
                                          "trustForwardHeader": False, "authResponseHeaders": ["X-User", "X-Email"]}}
    assert implementation_crds.problems(mw) == []
    assert chain(res, "app") == ["app-forward-auth"] and chain(res, "open") == []
    a = router(res).route(Request.parse_line("GET http://a.example.com/x"))
    assert a.unmodelled  # the auth service decides: never claimed equivalent
    assert not router(res).route(Request.parse_line("GET http://a.example.com/o")).unmodelled
    v = verify(res, docs)
    assert v.unexplained == 0 and v.unverified > 0


@pytest.mark.parametrize("url, why", [
    ("https://auth.shop.svc:443/v", "https"),
    ("http://auth.example.net/check", "not a cluster Service"),
    ("http://auth.shop.svc/v?rd=$escaped_request_uri", "nginx variables"),
])
def test_auth_urls_forward_auth_cannot_call_stay_errors(url: str, why: str) -> None:
    res = run(ingress("app", "a.example.com", [("/", "Prefix")], {f"{P}/auth-url": url}))
    assert of(res, "Middleware") == []
    assert any(f.severity.value == "error" and why in f.message for f in res.findings), [f.message for f in res.findings]


def test_retries_keep_tries_statuses_and_the_method_rule() -> None:
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {
        f"{P}/proxy-next-upstream": "error timeout http_502 http_503 non_idempotent",
        f"{P}/proxy-next-upstream-tries": "4"}))
    [mw] = of(res, "Middleware")
    assert mw["spec"] == {"retry": {"attempts": 4, "status": ["502", "503"], "retryNonIdempotentMethod": True}}
    assert implementation_crds.problems(mw) == []
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/proxy-next-upstream": "http_504"}))
    [mw] = of(res, "Middleware")
    assert mw["spec"] == {"retry": {"attempts": 3, "status": ["504"], "disableRetryOnNetworkError": True}}
    assert implementation_crds.problems(mw) == []


@pytest.mark.parametrize("anns", [{f"{P}/proxy-next-upstream": "off"}, {f"{P}/proxy-next-upstream-tries": "1"}])
def test_no_retry_needs_no_middleware(anns: dict[str, str]) -> None:
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], anns))
    assert of(res, "Middleware") == [] and "ING2GW-CORE-026" not in {f.code for f in res.findings}


def test_retry_conditions_without_counterpart_stay_reported() -> None:
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/proxy-next-upstream": "error invalid_header"}))
    assert of(res, "Middleware") == []
    assert any("invalid_header" in f.message for f in res.findings)


@pytest.mark.parametrize("substitution, go", [(r"/v2/\2/\1", "/v2/${2}/${1}"), (r"/a\\b/\1", r"/a\b/${1}"),
                                              ("/p$x/\\1", "/p$$x/${1}")])
def test_re2_substitutions_in_go_s_syntax(substitution: str, go: str) -> None:
    from ing2gw.emit.targets.traefik import go_replacement

    assert go_replacement(substitution) == go


RW = {f"{P}/use-regex": "true", f"{P}/rewrite-target": "/v2/$2/$1"}


def test_regex_rewrite_is_a_replace_path_regex_middleware_proven_by_the_check() -> None:
    docs = [ingress("rw", "r.example.com", [(r"/api/([a-z]+)/(\d+)", "ImplementationSpecific")], RW)]
    res = run(*docs)
    [mw] = of(res, "Middleware")
    assert mw["spec"] == {"replacePathRegex": {"regex": r"(?i)^/api/([a-z]+)/(\d+).*", "replacement": "/v2/${2}/${1}"}}
    assert implementation_crds.problems(mw) == []
    a = router(res).route(Request.parse_line("GET http://r.example.com/api/abc/42?q=1"))
    assert a.upstream_path == "/v2/42/abc?q=1" and not a.unmodelled
    v = verify(res, docs)
    assert v.unexplained == 0
    assert {c for r in v.differences for c in r.explained_by} >= {"ING2GW-TARGET-034"}


def test_a_broken_middleware_is_an_unexplained_difference() -> None:
    """Mutations of the written Middlewares: a wrong replacement, a wrong allow-list range and a
    missing allow-list must each show as unexplained differences."""
    docs = [ingress("rw", "r.example.com", [(r"/api/([a-z]+)/(\d+)", "ImplementationSpecific")], RW),
            ingress("adm", "b.example.com", [("/", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8"})]
    res = run(*docs)
    assert verify(res, docs).unexplained == 0
    objs = [dict(o) for o in res.objects()]

    def mutated(name: str, change: Any) -> list[dict[str, Any]]:
        out = []
        for o in objs:
            if o["kind"] == "Middleware" and o["metadata"]["name"].startswith(name):
                o = change(yaml.safe_load(yaml.safe_dump(o)))
                if o is None:
                    continue
            out.append(o)
        return out

    def swap(o: dict[str, Any]) -> dict[str, Any]:
        o["spec"]["replacePathRegex"]["replacement"] = "/v2/${1}/${2}"
        return o

    def widen(o: dict[str, Any]) -> dict[str, Any]:
        o["spec"]["ipAllowList"]["sourceRange"] = ["10.0.0.0/7"]
        return o

    def unattached() -> list[dict[str, Any]]:
        out = yaml.safe_load(yaml.safe_dump(objs))
        for o in out:
            for rule in o["spec"].get("rules", []) if o["kind"] == "HTTPRoute" else []:
                rule["filters"] = [f for f in rule.get("filters", [])
                                   if f.get("extensionRef", {}).get("name") != "adm-allowlist"]
        return out

    for objects in (mutated("regex-rewrite-", swap), mutated("adm-allowlist", widen), unattached()):
        assert verify(res, docs, objects).unexplained > 0


def test_the_basic_auth_root_location_asks_for_credentials_on_unmatched_paths() -> None:
    """nginx's root location takes the host's first Ingress's basic auth: Traefik has no direct
    response, so a `/` rule without backends behind the same basicAuth answers 401, then 500 (not
    nginx's 404), which TARGET-024 predicts; the check finds nothing else."""
    docs = [SECRET, ingress("app", "a.example.com", [("/docs", "Prefix")], {f"{P}/auth-type": "basic",
                                                                           f"{P}/auth-secret": "users"})]
    res = run(*docs)
    [route] = of(res, "HTTPRoute")
    [root] = [r for r in route["spec"]["rules"] if r["matches"][0]["path"]["value"] == "/"]
    assert "backendRefs" not in root and chain(res, "app") == ["app-basic-auth", "app-basic-auth"]
    r = router(res)
    good = "Authorization: Basic " + base64.b64encode(b"alice:secret").decode()
    assert r.route(Request.parse_line("GET http://a.example.com/elsewhere")).status == 401
    assert r.route(Request.parse_line(f"GET http://a.example.com/elsewhere | {good}")).status == 500
    v = verify(res, docs)
    assert v.unexplained == 0
    assert any("ING2GW-TARGET-024" in r.explained_by for r in v.differences)
