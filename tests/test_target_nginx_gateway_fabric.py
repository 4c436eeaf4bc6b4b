"""--target nginx-gateway-fabric: body-size and rate limits become NGF's own nginx directives
(ClientSettingsPolicy, RateLimitPolicy) on exactly the Ingress's route, proven through the NGF
model of the Gateway API simulator and validated against the vendored CRDs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import implementation_crds
from ing2gw.emit.targets.carry import verdict
from ing2gw.emit.targets.carry import nginx_size
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import Result, translate
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"
T = "nginx-gateway-fabric"


def run(*docs: str) -> Result:
    return translate(load_text("---\n".join(docs)), Options(target=T))


def of(result: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == kind]


def answer(result: Result, line: str) -> tuple[int, str | None]:
    r = GatewayRouter(load_text(yaml.safe_dump_all(result.objects()), "out.yaml"))
    a = r.route(Request.parse_line(line))
    assert not a.unmodelled, a.unmodelled
    return a.status, (a.backend.name if a.backend else None)


def test_body_size_reaches_exactly_the_ingress() -> None:
    res = run(ingress("upload", "u.example.com", [("/", "Prefix")], {f"{P}/proxy-body-size": "8m"}),
              ingress("plain", "u.example.com", [("/plain", "Prefix")]))
    [pol] = of(res, "ClientSettingsPolicy")
    assert pol["spec"] == {"targetRef": {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "upload"},
                           "body": {"maxSize": "8m"}}
    assert implementation_crds.problems(pol) == []
    two_mb = 2 * 1024 * 1024
    assert answer(res, f"POST http://u.example.com/x | Content-Length: {two_mb}") == (200, "upload")
    assert answer(res, f"POST http://u.example.com/x | Content-Length: {9 * 1024 * 1024}")[0] == 413
    # the other Ingress keeps nginx's default 1m, as under ingress-nginx
    assert answer(res, f"POST http://u.example.com/plain | Content-Length: {two_mb}")[0] == 413
    assert answer(res, "POST http://u.example.com/plain | Content-Length: 1000") == (200, "plain")
    assert not [f for f in res.findings if f.code == "ING2GW-CORE-026"]


def test_rate_limit_is_ingress_nginx_limit_req() -> None:
    res = run(ingress("api", "a.example.com", [("/", "Prefix")], {f"{P}/limit-rps": "10", f"{P}/limit-rpm": "300"}),
              ingress("free", "b.example.com", [("/", "Prefix")]))
    [pol] = of(res, "RateLimitPolicy")
    assert implementation_crds.problems(pol) == []
    assert [t["name"] for t in pol["spec"]["targetRefs"]] == ["api"]
    assert pol["spec"]["rateLimit"] == {"rejectCode": 503, "local": {"rules": [
        {"key": "$binary_remote_addr", "rate": "10r/s", "burst": 50, "noDelay": True, "zoneSize": "5m"},
        {"key": "$binary_remote_addr", "rate": "300r/m", "burst": 1500, "noDelay": True, "zoneSize": "5m"}]}}


@pytest.mark.parametrize("n, spelled", [(8 * 1024 ** 2, "8m"), (1024 ** 3, "1g"), (0, "0"), (1536, "1536"),
                                         (10 * 1024, "10k"), (9999 * 1024 ** 3, "9999g"), (100000, None)])
def test_sizes_are_spelled_exactly_or_not_at_all(n: int, spelled: str | None) -> None:
    assert nginx_size(n) == spelled


def test_what_ngf_cannot_carry_says_why() -> None:
    v = verdict(T, "body-size-limit", {"bytes": "100000", "quantity": "100000"})
    assert not v.carried and "exact spelling" in v.why_not
    assert verdict(T, "body-size-limit", {"bytes": "0", "quantity": "0"}).carried  # 0: no limit, as nginx
    v = verdict(T, "rate-limit", {"per-second": "5", "exempt": "10.0.0.0/8"})
    assert not v.carried and "limit-allowlist" in v.why_not
    assert not verdict(T, "client-allow-list").carried


SECRET = ("apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: shop}\ntype: Opaque\n"
          "stringData:\n  auth: \"alice:{PLAIN}secret\\n\"\n")


def test_basic_auth_is_an_authentication_filter_on_exactly_the_ingress() -> None:
    import base64

    anns = {f"{P}/auth-type": "basic", f"{P}/auth-secret": "users", f"{P}/auth-realm": "Admins only"}
    res = run(SECRET, ingress("admin", "a.example.com", [("/", "Prefix")], anns),
              ingress("open", "a.example.com", [("/open", "Prefix")]))
    [flt] = of(res, "AuthenticationFilter")
    assert flt["spec"] == {"type": "Basic", "basic": {"secretRef": {"name": "users"}, "realm": "Admins only"}}
    assert implementation_crds.problems(flt) == []
    assert of(res, "Secret") == []  # referenced, never copied
    [route] = [o for o in of(res, "HTTPRoute") if o["metadata"]["name"] == "admin"]
    refs = [f for r in route["spec"]["rules"] for f in r.get("filters", []) if f["type"] == "ExtensionRef"]
    assert refs and all(f["extensionRef"]["name"] == flt["metadata"]["name"] for f in refs)
    # the simulator reads the Secret from the input: give it alongside the output
    objs = [*res.objects(), *yaml.safe_load_all(SECRET)]
    r = GatewayRouter(load_text(yaml.safe_dump_all(objs), "out.yaml"))
    a = r.route(Request.parse_line("GET http://a.example.com/x"))
    assert a.status == 401 and ("www-authenticate", 'Basic realm="Admins only"') in a.response_headers
    good = base64.b64encode(b"alice:secret").decode()
    assert r.route(Request.parse_line(f"GET http://a.example.com/x | Authorization: Basic {good}")).status == 200
    assert r.route(Request.parse_line("GET http://a.example.com/open/y")).status == 200  # the other Ingress
    assert "ING2GW-NGINX-012" not in [f.code for f in res.findings]  # auth-realm is carried too


def test_basic_auth_ngf_cannot_carry() -> None:
    assert "another namespace" in verdict(T, "basic-auth", {"type": "basic", "secret": "u", "secret-namespace": "o",
                                                            "cross-namespace": "true"}).why_not
    assert "auth-map" in verdict(T, "basic-auth", {"type": "basic", "secret": "u",
                                                   "secret-type": "auth-map"}).why_not


# ---- snippets: a SnippetsFilter only when ingress-nginx applied them and their loss is accepted ------

SNIPPETS_ON = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, namespace: ingress-nginx}\n"
               "data: {allow-snippet-annotations: 'true', annotations-risk-level: Critical}\n")
SNIPPET = {f"{P}/configuration-snippet": 'more_set_headers "X-Frame-Options: DENY";',
           f"{P}/server-snippet": "location = /healthz { return 200; }"}


def run_with(options: Options, *docs: str) -> Result:
    return translate(load_text("---\n".join(docs)), options)


def test_a_snippet_stays_an_error_unless_its_loss_is_accepted() -> None:
    res = run(SNIPPETS_ON, ingress("app", "a.example.com", [("/", "Prefix")], SNIPPET))
    assert of(res, "SnippetsFilter") == []
    errs = [f for f in res.findings if f.code == "ING2GW-NGINX-013" and f.severity.value == "error"]
    assert {f.annotation for f in errs} == {f"{P}/configuration-snippet", f"{P}/server-snippet"}
    assert "ING2GW-TARGET-031" not in [f.code for f in res.findings]


def test_an_accepted_snippet_becomes_a_snippets_filter_on_exactly_the_ingress() -> None:
    opts = Options(target=T, allow_weakened=frozenset({"configuration-snippet", "server-snippet"}))
    res = run_with(opts, SNIPPETS_ON, ingress("app", "a.example.com", [("/", "Prefix")], SNIPPET),
                   ingress("plain", "a.example.com", [("/plain", "Prefix")]))
    [f] = of(res, "SnippetsFilter")
    assert f["metadata"]["name"] == "app-snippets" and f["metadata"]["namespace"] == "shop"
    assert f["spec"]["snippets"] == [
        {"context": "http.server", "value": "location = /healthz { return 200; }"},
        {"context": "http.server.location", "value": 'more_set_headers "X-Frame-Options: DENY";'}]
    assert implementation_crds.problems(f) == []
    ref = {"type": "ExtensionRef", "extensionRef": {"group": "gateway.nginx.org", "kind": "SnippetsFilter",
                                                    "name": "app-snippets"}}
    routes = {r["metadata"]["name"]: r for r in of(res, "HTTPRoute")}
    assert all(ref in rule.get("filters", []) for rule in routes["app"]["spec"]["rules"])
    assert not any(ref in rule.get("filters", []) for rule in routes["plain"]["spec"]["rules"])
    told = [x for x in res.findings if x.code == "ING2GW-TARGET-031"]
    assert len(told) == 2 and all(x.security and "--snippets" in x.message for x in told)
    # snippets are not modelled on the Gateway side: the Ingress's requests depend on them
    a = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "out.yaml")).route(
        Request.parse_line("GET http://a.example.com/x"))
    assert any("snippets" in u for u in a.unmodelled)


def test_a_snippet_ingress_nginx_ignored_is_not_written() -> None:
    # without allow-snippet-annotations ingress-nginx ignores the snippet: writing it would add behaviour
    cm = SNIPPETS_ON.replace("allow-snippet-annotations: 'true'", "allow-snippet-annotations: 'false'")
    opts = Options(target=T, allow_weakened=frozenset({"configuration-snippet"}))
    res = run_with(opts, cm, ingress("app", "a.example.com", [("/", "Prefix")],
                                     {f"{P}/configuration-snippet": SNIPPET[f"{P}/configuration-snippet"]}))
    assert of(res, "SnippetsFilter") == []


# ---- a hand-broken policy is noticed by verify ----------------------------------------------------


def test_verify_reports_an_authentication_filter_broken_by_hand() -> None:
    import copy

    from ing2gw.equivalence.verification import verify_translation

    anns = {f"{P}/auth-type": "basic", f"{P}/auth-secret": "users"}
    manifests = load_text("---\n".join([SECRET, ingress("admin", "a.example.com", [("/", "Prefix")], anns),
                                        ingress("open", "a.example.com", [("/open", "Prefix")])]))
    options = Options(target=T)
    res = translate(manifests, options)
    assert verify_translation(res, manifests, options).unexplained == 0

    def broken(edit: Any) -> list[dict[str, Any]]:
        objs = copy.deepcopy(res.objects())
        edit(objs)
        return objs

    def missing_filter(objs: list[dict[str, Any]]) -> None:
        for o in objs:
            for rule in o["spec"].get("rules", []) if o["kind"] == "HTTPRoute" else []:
                rule["filters"] = [f for f in rule.get("filters", []) if f["type"] != "ExtensionRef"]

    def wrong_route(objs: list[dict[str, Any]]) -> None:
        missing_filter(objs)
        [route] = [o for o in objs if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "open"]
        ref = {"type": "ExtensionRef", "extensionRef": {"group": "gateway.nginx.org", "kind": "AuthenticationFilter",
                                                        "name": "admin-basic-auth"}}
        for rule in route["spec"]["rules"]:
            rule["filters"] = [*rule.get("filters", []), ref]

    def wrong_realm(objs: list[dict[str, Any]]) -> None:
        [f] = [o for o in objs if o["kind"] == "AuthenticationFilter"]
        f["spec"]["basic"]["realm"] = "elsewhere"

    for edit in (missing_filter, wrong_route, wrong_realm):
        assert verify_translation(res, manifests, options, new_objects=broken(edit)).unexplained > 0, edit.__name__
    # (a changed body.maxSize is not noticed: the check sends no request bodies)


@pytest.mark.parametrize("regex", [False, True])
def test_unmatched_paths_of_a_basic_auth_host_still_ask_for_credentials(regex: bool) -> None:
    """nginx's root location takes the first Ingress's basic auth and CORS: unmatched paths get
    401 with the CORS headers. NGF gets a `/` (or, on a regex host, a catch-all regex) rule
    without backends behind the same AuthenticationFilter; breaking it is noticed."""
    import copy

    from ing2gw.equivalence.verification import verify_translation

    anns = {f"{P}/auth-type": "basic", f"{P}/auth-secret": "users", f"{P}/enable-cors": "true",
            f"{P}/cors-allow-origin": "https://origin.example", **({f"{P}/use-regex": "true"} if regex else {})}
    manifests = load_text("---\n".join([SECRET, ingress("admin", "a.example.com", [("/docs", "Prefix")], anns)]))
    options = Options(target=T)
    res = translate(manifests, options)
    [route] = of(res, "HTTPRoute")
    root = [r for r in route["spec"]["rules"] if "backendRefs" not in r]
    assert [m["path"] for r in root for m in r["matches"]] == [
        {"type": "RegularExpression", "value": "(?i)^/.*"} if regex else {"type": "PathPrefix", "value": "/"}]
    assert {f["type"] for f in root[0]["filters"]} == {"CORS", "ExtensionRef"}
    assert [f.code for f in res.findings if f.code == "ING2GW-TARGET-079"] == ["ING2GW-TARGET-079"]
    assert answer(res, "GET http://a.example.com/elsewhere")[0] == 401
    assert verify_translation(res, manifests, options).unexplained == 0

    def broken(edit: Any) -> list[dict[str, Any]]:
        objs = copy.deepcopy(res.objects())
        [r] = [o for o in objs if o["kind"] == "HTTPRoute"]
        edit(r["spec"]["rules"])
        return objs

    def no_root(rules: list[dict[str, Any]]) -> None:
        rules[:] = [r for r in rules if "backendRefs" in r]

    def root_without_auth(rules: list[dict[str, Any]]) -> None:
        for r in rules:
            if "backendRefs" not in r:
                r["filters"] = [f for f in r["filters"] if f["type"] != "ExtensionRef"]

    def root_without_cors(rules: list[dict[str, Any]]) -> None:
        for r in rules:
            if "backendRefs" not in r:
                r["filters"] = [f for f in r["filters"] if f["type"] != "CORS"]

    for edit in (no_root, root_without_auth, root_without_cors):
        assert verify_translation(res, manifests, options, new_objects=broken(edit)).unexplained > 0, edit.__name__


# ---- balancing: an UpstreamSettingsPolicy per Service, only where every route to it agrees ------------


def to(name: str, host: str, service: str, anns: dict[str, str] | None = None) -> str:
    return ingress(name, host, [("/", "Prefix")], anns).replace(f"name: {name}, port", f"name: {service}, port")


@pytest.mark.parametrize("anns, spec", [
    ({f"{P}/upstream-hash-by": "$http_x_user"}, {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$http_x_user"}),
    ({f"{P}/upstream-hash-by": "$remote_addr"}, {"loadBalancingMethod": "hash consistent", "hashMethodKey": "$remote_addr"}),
    ({f"{P}/load-balance": "round_robin"}, {"loadBalancingMethod": "round_robin"}),
])
def test_balancing_is_an_upstream_settings_policy_for_the_service(anns: dict[str, str], spec: dict[str, str]) -> None:
    res = run(to("lb", "l.example.com", "users", anns), to("other", "o.example.com", "web"))
    [pol] = of(res, "UpstreamSettingsPolicy")
    assert pol["metadata"]["namespace"] == "shop"
    assert pol["spec"] == {"targetRefs": [{"group": "", "kind": "Service", "name": "users"}], **spec}
    assert implementation_crds.problems(pol) == []
    assert "ING2GW-TARGET-030" in [f.code for f in res.findings]
    assert answer(res, "GET http://l.example.com/x") == (200, "users")


def test_balancing_ngf_cannot_write_stays_reported() -> None:
    for anns in ({f"{P}/load-balance": "ewma"}, {f"{P}/upstream-hash-by": "$cookie_SID"},
                 {f"{P}/upstream-hash-by": "$request_uri$host"}):
        res = run(to("lb", "l.example.com", "users", anns))
        assert of(res, "UpstreamSettingsPolicy") == [], anns
        assert "ING2GW-NGINX-013" in [f.code for f in res.findings]


def test_routes_that_disagree_about_a_service_get_no_upstream_policy() -> None:
    res = run(to("hashed", "a.example.com", "shared", {f"{P}/upstream-hash-by": "$remote_addr"}),
              to("plain", "b.example.com", "shared"))
    assert of(res, "UpstreamSettingsPolicy") == []
    [f] = [f for f in res.findings if f.code == "ING2GW-TARGET-030"]
    assert "shop/hashed" in f.message and "shop/plain" in f.message and "no UpstreamSettingsPolicy" in f.message
    assert "ING2GW-CORE-026" not in [f.code for f in res.findings]
