"""Standard Gateway API fields a --target does not support (ING2GW-TARGET-040/041), and
Traefik's CORS headers Middleware instead of the CORS filter it refuses (ING2GW-TARGET-042)."""

from __future__ import annotations

from typing import Any

import yaml

import implementation_crds
from ing2gw.emit.targets import CORS_MIDDLEWARE
from ing2gw.emit.targets.features import findings as feature_findings
from ing2gw.emit.gateway import _CORS_OWN
from ing2gw.findings import Finding, Severity
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import Result, translate
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"
CORS = {f"{P}/enable-cors": "true", f"{P}/cors-allow-origin": "https://app.example.com, https://*.a.example.com",
        f"{P}/cors-allow-methods": "GET, POST", f"{P}/cors-max-age": "600"}


def run(target: str, *docs: str, **opts: Any) -> Result:
    return translate(load_text("---\n".join(docs)), Options(target=target, **opts))


def of(result: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == kind]


def coded(result: Result, code: str) -> list[Finding]:
    return [f for f in result.findings if f.code == code]


def test_cors_targets_agree() -> None:
    assert set(CORS_MIDDLEWARE) == _CORS_OWN


def test_traefik_cors_is_a_headers_middleware_on_the_rule() -> None:
    res = run("traefik", ingress("api", "s.example.com", [("/api", "Prefix")], CORS),
              ingress("web", "s.example.com", [("/", "Prefix")]))
    [mw] = of(res, "Middleware")
    assert mw["spec"] == {"headers": {
        "accessControlAllowOriginList": ["https://app.example.com"],
        "accessControlAllowOriginListRegex": [r"^https://[^/:]+\.a\.example\.com(:443)?$"],
        "accessControlAllowMethods": ["GET", "POST"],
        "accessControlAllowHeaders": mw["spec"]["headers"]["accessControlAllowHeaders"],  # nginx's default list
        "accessControlAllowCredentials": True, "accessControlMaxAge": 600}}
    assert "Authorization" in mw["spec"]["headers"]["accessControlAllowHeaders"]
    assert implementation_crds.problems(mw) == []
    routes = {r["metadata"]["name"]: r for r in of(res, "HTTPRoute")}
    filters = [f for rule in routes["api"]["spec"]["rules"] for f in rule.get("filters", [])]
    assert [f["type"] for f in filters] == ["ExtensionRef"]
    assert filters[0]["extensionRef"] == {"group": "traefik.io", "kind": "Middleware", "name": mw["metadata"]["name"]}
    assert all("filters" not in rule for rule in routes["web"]["spec"]["rules"])
    [info] = coded(res, "ING2GW-TARGET-042")
    assert info.severity is Severity.INFO and info.subject == "Ingress shop/api"
    assert dict(info.details)["paths"] == "segment:/api"
    assert coded(res, "ING2GW-TARGET-040") == []  # no CORS filter left for Traefik to refuse


def _answer(res: Result, line: str) -> Any:
    a = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "o.yaml")).route(Request.parse_line(line))
    assert not a.unmodelled, a.unmodelled
    return a


def test_traefik_cors_middleware_is_modelled() -> None:
    res = run("traefik", ingress("api", "s.example.com", [("/api", "Prefix")], CORS))
    pre = "OPTIONS http://s.example.com/api | Origin: {} | Access-Control-Request-Method: POST"
    a = _answer(res, pre.format("https://x.a.example.com"))
    hdrs = dict(a.response_headers)
    assert a.status == 200 and a.backend is None
    assert hdrs["access-control-allow-origin"] == "https://x.a.example.com"  # a regex match echoes the Origin
    assert hdrs["access-control-allow-methods"] == "GET,POST" and hdrs["access-control-max-age"] == "600"
    # Traefik answers the preflight of an Origin it does not allow, without Allow-Origin
    a = _answer(res, pre.format("https://evil.example"))
    assert a.status == 200 and "access-control-allow-origin" not in dict(a.response_headers)
    assert dict(a.response_headers)["access-control-allow-credentials"] == "true"
    a = _answer(res, "GET http://s.example.com/api | Origin: https://app.example.com")
    assert a.status == 200 and dict(a.response_headers)["access-control-allow-origin"] == "https://app.example.com"
    # credentials on every answer, Allow-Origin only for an allowed Origin
    a = _answer(res, "GET http://s.example.com/api")
    assert dict(a.response_headers).get("access-control-allow-credentials") == "true"
    assert "access-control-allow-origin" not in dict(a.response_headers)


def test_gke_cors_filter_is_reported_for_the_rule() -> None:
    res = run("gke", ingress("api", "s.example.com", [("/api", "Prefix"), ("/v1", "Exact")], CORS))
    [f] = coded(res, "ING2GW-TARGET-040")
    assert f.severity is Severity.WARNING and f.subject == "Ingress shop/api"
    assert "gke does not support filters[type=CORS]" in f.message and "HTTPRoute shop/api" in f.message
    assert dict(f.details)["paths"].split("\n") == ["exact:/v1", "segment:/api"]
    assert f.suggestion


def test_regex_paths_are_reported_where_unsupported() -> None:
    anns = {f"{P}/use-regex": "true"}
    res = run("gke", ingress("api", "s.example.com", [("/v[0-9]+/x", "ImplementationSpecific")], anns))
    found = [f for f in coded(res, "ING2GW-TARGET-040") if "RegularExpression" in f.message]
    assert len(found) == 1 and dict(found[0].details)["paths"].startswith("regex:")
    assert coded(run("traefik", ingress("api", "s.example.com", [("/v[0-9]+/x", "ImplementationSpecific")], anns)),
                 "ING2GW-TARGET-040") == []  # Traefik supports regex matches


def test_timeouts_are_reported_where_unsupported() -> None:
    anns = {f"{P}/proxy-read-timeout": "120"}
    res = run("nginx-gateway-fabric", ingress("api", "s.example.com", [("/", "Prefix")], anns))
    assert [r for r in of(res, "HTTPRoute") if any("timeouts" in x for x in r["spec"]["rules"])]
    [f] = [f for f in coded(res, "ING2GW-TARGET-040") if "timeouts" in f.message]
    assert f.severity is Severity.WARNING
    assert not [f for f in coded(run("envoy-gateway", ingress("api", "s.example.com", [("/", "Prefix")], anns)),
                                 "ING2GW-TARGET-040")]


def test_listener_sets_are_reported_where_unsupported() -> None:
    res = run("traefik", ingress("api", "s.example.com", [("/", "Prefix")]), listeners="listenerset")
    assert of(res, "ListenerSet")
    [f] = [f for f in coded(res, "ING2GW-TARGET-040") if "ListenerSet" in f.message]
    assert f.details == ()  # not a rule: explains no request


def test_security_feature_is_an_error() -> None:
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
          "metadata": {"name": "g", "namespace": "infra"},
          "spec": {"tls": {"frontend": {"default": {"validation": {"caCertificateRefs": [{"name": "ca"}]}}}}}}
    [f] = feature_findings("traefik", [gw])
    assert (f.code, f.severity, f.security) == ("ING2GW-TARGET-041", Severity.ERROR, True)
    assert "Gateway infra/g spec.tls.frontend" in f.message
    assert feature_findings("envoy-gateway", [gw]) == []
