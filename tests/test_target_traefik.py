"""--target traefik: Middlewares attached by ExtensionRef filters to exactly the Ingress's
forwarding rules (buffering, ipAllowList, basicAuth, in nginx's phase order), proven through the
Traefik model of the Gateway API simulator and validated against the vendored CRDs."""

from __future__ import annotations

import base64
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
