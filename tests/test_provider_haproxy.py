"""The HAProxy provider's decisions, read from its output (not only through the equivalence check)."""

from __future__ import annotations

from typing import Any

from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import translate


def _ing(name: str, paths: str, anns: str = "{}", extra: str = "") -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop, annotations: {anns}}}
spec:
  ingressClassName: haproxy
{extra}  rules:
  - host: a.test
    http:
      paths: {paths}
"""


def _rules(text: str) -> dict[str, list[dict[str, Any]]]:
    result = translate(load_text(text, "t.yaml"), Options())
    return {o["metadata"]["name"]: o["spec"]["rules"] for o in result.objects() if o["kind"] == "HTTPRoute"}


def test_prefix_and_string_prefix_of_one_value_are_two_rules() -> None:
    # Prefix /api -> beta takes /api/...; the shared exact key /api goes to the row sorting first (alpha)
    rules = _rules(_ing("web", "[{path: /api, pathType: Prefix, backend: {service: {name: beta, port: {number: 80}}}},"
                               " {path: /api, pathType: ImplementationSpecific, backend: {service: {name: alpha, "
                               "port: {number: 80}}}}]"))["web"]
    got = {(r["matches"][0]["path"]["type"], r["matches"][0]["path"]["value"]): r["backendRefs"][0]["name"]
           for r in rules}
    assert got == {("Exact", "/api"): "alpha", ("PathPrefix", "/api"): "beta"}


def test_same_path_in_two_ingresses_goes_to_the_backend_sorting_first() -> None:
    text = _ing("older", "[{path: /x, pathType: Prefix, backend: {service: {name: zulu, port: {number: 80}}}}]") \
        + "---\n" + _ing("newer", "[{path: /x, pathType: Prefix, backend: {service: {name: alpha, port: {number: 80}}}}]")
    routes = _rules(text)
    assert list(routes) == ["newer"]


def test_ssl_redirect_is_per_ingress_with_haproxy_code_and_port() -> None:
    text = _ing("tls", "[{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]",
                extra="  tls: [{hosts: [a.test], secretName: a-tls}]\n") \
        + "---\n" + _ing("plain", "[{path: /p, pathType: Prefix, backend: {service: {name: p, port: {number: 80}}}}]")
    routes = _rules(text)
    redirect = routes["tls-a.test-http"][0]["filters"][0]["requestRedirect"]
    assert redirect == {"scheme": "https", "port": 8443, "statusCode": 302}
    assert "filters" not in routes["plain"][0]


def test_class_less_ingress_is_not_served_with_the_chart_flags() -> None:
    text = _ing("web", "[{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]",
                anns="{haproxy.org/set-host: x.test}").replace("  ingressClassName: haproxy\n", "")
    result = translate(load_text(text, "t.yaml"), Options())
    assert not [o for o in result.objects() if o["kind"] == "HTTPRoute"]
    assert any(f.code == "ING2GW-HAPROXY-023" for f in result.findings)


def test_allow_list_is_a_security_error_with_an_intent_and_invalid_lists_are_none() -> None:
    ok = translate(load_text(_ing("web", "[{path: /, pathType: Prefix, backend: {service: {name: w, port: "
                                         "{number: 80}}}}]", anns="{haproxy.org/allow-list: '10.0.0.0/8'}"),
                             "t.yaml"), Options())
    [f] = [f for f in ok.findings if f.code == "ING2GW-HAPROXY-006"]
    assert f.severity.value == "error" and f.security
    bad = translate(load_text(_ing("web", "[{path: /, pathType: Prefix, backend: {service: {name: w, port: "
                                          "{number: 80}}}}]", anns="{haproxy.org/allow-list: '10.0.0.0/8, x'}"),
                              "t.yaml"), Options())
    assert not any(f.code == "ING2GW-HAPROXY-006" for f in bad.findings)
    assert any(f.code == "ING2GW-HAPROXY-005" for f in bad.findings)


def test_basic_auth_stays_an_error_with_every_target_and_says_why() -> None:
    text = _ing("web", "[{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]",
                "{haproxy.org/auth-type: basic-auth, haproxy.org/auth-secret: users}")

    def message(target: str | None) -> str:
        result = translate(load_text(text, "t.yaml"), Options(target=target))
        [f] = [f for f in result.findings if f.code == "ING2GW-HAPROXY-007"]
        assert f.severity.value == "error"
        return f.message

    assert "(" not in message(None)
    # the target has basic auth, but not from one key per user
    assert "one key per user" in message("envoy-gateway") and "htpasswd" in message("nginx-gateway-fabric")
    assert "gke has no basic authentication" in message("gke")
