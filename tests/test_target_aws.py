"""--target aws: the address lists become copies of the Ingress's forwarding rules with
ListenerRuleConfiguration source-ip conditions and a fixed-response 403 fallback, proven through
the AWS Load Balancer Controller model of the Gateway API simulator (a rule whose source-ip
condition does not hold falls through to the next rule, as ALB listener rules do) and validated
against the vendored CRDs."""

from __future__ import annotations

import copy
from typing import Any

import yaml

import implementation_crds
from ing2gw.emit.targets.aws import evaluations
from ing2gw import ir
from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import Result, translate
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"
ALLOW = {f"{P}/whitelist-source-range": "10.0.0.0/8, 192.168.0.0/16, 172.16.0.0/12",
         f"{P}/denylist-source-range": "10.66.0.0/16"}


def run(*docs: str) -> Result:
    return translate(load_text("---\n".join(docs)), Options(target="aws"))


def of(result: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == kind]


def router(objects: list[dict[str, Any]]) -> GatewayRouter:
    return GatewayRouter(load_text(yaml.safe_dump_all(objects), "out.yaml"))


def answer(r: GatewayRouter, line: str) -> tuple[int, str | None]:
    a = r.route(Request.parse_line(line))
    assert not a.unmodelled, a.unmodelled
    return a.status, (a.backend.name if a.backend else None)


def refs(rule: dict[str, Any]) -> list[str]:
    return [f["extensionRef"]["name"] for f in rule.get("filters", []) if f["type"] == "ExtensionRef"]


def test_lists_become_rule_copies_on_exactly_the_ingress_route() -> None:
    res = run(ingress("admin", "a.example.com", [("/admin", "Prefix")], ALLOW),
              ingress("web", "a.example.com", [("/", "Prefix")]))
    configs = {c["metadata"]["name"]: c["spec"] for c in of(res, "ListenerRuleConfiguration")}
    fixed = [{"type": "fixed-response", "fixedResponseConfig": {"statusCode": 403}}]
    # PathPrefix /admin is two path values and one host value: two source-ip values fit per rule
    assert configs == {
        "admin-deny-1": {"actions": fixed, "conditions": [{"field": "source-ip",
                                                             "sourceIPConfig": {"values": ["10.66.0.0/16"]}}]},
        "admin-allow-1": {"conditions": [{"field": "source-ip",
                                          "sourceIPConfig": {"values": ["10.0.0.0/8", "172.16.0.0/12"]}}]},
        "admin-allow-2": {"conditions": [{"field": "source-ip", "sourceIPConfig": {"values": ["192.168.0.0/16"]}}]},
        "admin-forbidden": {"actions": fixed}}
    assert all(implementation_crds.problems(c) == [] for c in of(res, "ListenerRuleConfiguration"))
    routes = {r["metadata"]["name"]: r for r in of(res, "HTTPRoute")}
    rules = routes["admin"]["spec"]["rules"]
    assert [refs(r) for r in rules] == [["admin-deny-1"], ["admin-allow-1"], ["admin-allow-2"], ["admin-forbidden"]]
    assert all(r["matches"] == rules[0]["matches"] for r in rules)
    assert [("backendRefs" in r) for r in rules] == [False, True, True, False]
    # the other Ingress's route is untouched
    assert all(refs(r) == [] for r in routes["web"]["spec"]["rules"])
    assert any(f.code == "ING2GW-TARGET-050" for f in res.findings)
    r = router(res.objects())
    assert answer(r, "GET http://a.example.com/admin/x | @client=10.1.2.3") == (200, "admin")
    assert answer(r, "GET http://a.example.com/admin/x | @client=192.168.9.9") == (200, "admin")
    assert answer(r, "GET http://a.example.com/admin/x | @client=10.66.1.1") == (403, None)
    # refused on the Ingress's paths, not passed on to the less specific route of the host
    assert answer(r, "GET http://a.example.com/admin | @client=11.0.0.1") == (403, None)
    assert answer(r, "GET http://a.example.com/other | @client=11.0.0.1") == (200, "web")


def test_a_second_ingress_on_the_same_gateway_is_unaffected() -> None:
    res = run(ingress("admin", "a.example.com", [("/", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8"}),
              ingress("shop", "b.example.com", [("/", "Prefix")]))
    assert [c["metadata"]["name"] for c in of(res, "ListenerRuleConfiguration")] == ["admin-allow-1",
                                                                                    "admin-forbidden"]
    [shop] = [o for o in of(res, "HTTPRoute") if o["metadata"]["name"] == "shop"]
    assert len(shop["spec"]["rules"]) == 1 and "filters" not in shop["spec"]["rules"][0]
    r = router(res.objects())
    assert answer(r, "GET http://b.example.com/ | @client=11.0.0.1") == (200, "shop")
    assert answer(r, "GET http://a.example.com/ | @client=11.0.0.1") == (403, None)
    assert answer(r, "GET http://a.example.com/ | @client=10.0.0.1") == (200, "admin")


def test_the_check_proves_the_translation_and_catches_mutations() -> None:
    docs = load_text("---\n".join([ingress("admin", "a.example.com", [("/admin", "Prefix"), ("/api", "Exact")], ALLOW),
                                   ingress("web", "a.example.com", [("/", "Prefix")])]))
    options = Options(target="aws")
    res = translate(docs, options)
    assert verify_translation(res, docs, options).unexplained == 0

    def broken(change: Any) -> int:
        objs = copy.deepcopy(res.objects())
        change(objs)
        return verify_translation(res, docs, options, new_objects=objs).unexplained

    def wrong_cidr(objs: list[dict[str, Any]]) -> None:
        [c] = [o for o in objs if o["metadata"]["name"] == "admin-allow-1"]
        c["spec"]["conditions"][0]["sourceIPConfig"]["values"] = ["11.0.0.0/8"]

    def no_fallback(objs: list[dict[str, Any]]) -> None:
        [route] = [o for o in objs if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "admin"]
        route["spec"]["rules"] = [r for r in route["spec"]["rules"] if refs(r) != ["admin-forbidden"]]

    def wrong_route(objs: list[dict[str, Any]]) -> None:
        # the deny rule moved to the other Ingress's route: too wide there, missing here
        routes = {o["metadata"]["name"]: o for o in objs if o["kind"] == "HTTPRoute"}
        deny = [r for r in routes["admin"]["spec"]["rules"] if refs(r) == ["admin-deny-1"]]
        routes["admin"]["spec"]["rules"] = [r for r in routes["admin"]["spec"]["rules"] if r not in deny]
        routes["web"]["spec"]["rules"] = [{"matches": routes["web"]["spec"]["rules"][0]["matches"],
                                           "filters": deny[0]["filters"]}, *routes["web"]["spec"]["rules"]]

    def missing_policy(objs: list[dict[str, Any]]) -> None:
        objs[:] = [o for o in objs if o["kind"] != "ListenerRuleConfiguration"]

    for mutation in (wrong_cidr, no_fallback, wrong_route, missing_policy):
        assert broken(mutation) > 0, mutation.__name__


def test_a_route_that_cannot_take_the_copies_keeps_an_error_that_predicts_the_loss() -> None:
    paths = [(f"/p{i}", "Prefix") for i in range(6)]
    many = ingress("many", "m.example.com", paths, {f"{P}/whitelist-source-range": "10.0.0.0/8,172.16.0.0/12,"
                                                                                    "192.168.0.0/16"})
    many = many.replace("{name: many, port: {number: 80}}", "{name: many, port: {number: 80}}", 1)
    # one backend per path: the rules cannot be merged into one
    for i in range(6):
        many = many.replace(f"path: '/p{i}', pathType: Prefix, backend: {{service: {{name: many,",
                            f"path: '/p{i}', pathType: Prefix, backend: {{service: {{name: many{i},")
    docs = load_text(many)
    options = Options(target="aws")
    res = translate(docs, options)
    assert of(res, "ListenerRuleConfiguration") == []
    assert any(f.code == "ING2GW-TARGET-051" and f.severity.value == "error" for f in res.findings)
    v = verify_translation(res, docs, options)
    assert v.unexplained == 0


def test_match_evaluations_follow_lbc_conditions() -> None:
    assert evaluations(ir.Match(ir.PathMatch("PathPrefix", "/"))) == 2            # host, /*
    assert evaluations(ir.Match(ir.PathMatch("PathPrefix", "/a"))) == 3           # host, /a, /a/*
    assert evaluations(ir.Match(ir.PathMatch("Exact", "/a"))) == 2
    assert evaluations(ir.Match(ir.PathMatch("Exact", "/a"), headers=(ir.HeaderMatch("x", "a,b"),),
                                method="GET")) == 5                                # values split on commas


def test_affinity_is_stickiness_of_exactly_the_ingress_routes_target_groups() -> None:
    sticky = {f"{P}/affinity": "cookie", f"{P}/session-cookie-max-age": "3600", f"{P}/session-cookie-name": "route"}
    res = run(ingress("cart", "a.example.com", [("/cart", "Prefix")], sticky),
              ingress("other", "b.example.com", [("/", "Prefix")]).replace("name: other, port", "name: cart, port"))
    [tgc] = of(res, "TargetGroupConfiguration")
    assert implementation_crds.problems(tgc) == []
    assert tgc["metadata"]["namespace"] == "shop" and tgc["spec"]["targetReference"] == {"name": "cart"}
    # one entry, for the route of the Ingress with affinity; the other route of Service cart
    # keeps the Service's defaults (no defaultConfiguration is written)
    assert tgc["spec"]["routeConfigurations"] == [{
        "routeIdentifier": {"kind": "HTTPRoute", "namespace": "shop", "name": "cart"},
        "targetGroupProps": {"targetGroupAttributes": [
            {"key": "stickiness.enabled", "value": "true"}, {"key": "stickiness.type", "value": "lb_cookie"},
            {"key": "stickiness.lb_cookie.duration_seconds", "value": "3600"}]}}]
    assert "defaultConfiguration" not in tgc["spec"]
    assert {f.code for f in res.findings} >= {"ING2GW-TARGET-052"}
    # the cookie name is the ALB's own: reported as partly converted, the affinity as carried
    codes = {(f.annotation, f.code) for f in res.findings}
    assert (f"{P}/session-cookie-name", "ING2GW-NGINX-012") in codes
    assert (f"{P}/affinity", "ING2GW-NGINX-010") in codes and (f"{P}/session-cookie-max-age", "ING2GW-NGINX-010") in codes
    longer = run(ingress("cart", "a.example.com", [("/", "Prefix")], {f"{P}/affinity": "cookie",
                                                                      f"{P}/session-cookie-name": "route",
                                                                      f"{P}/session-cookie-max-age": "1209600"}))
    assert of(longer, "TargetGroupConfiguration") == []  # 14 days: longer than the ALB's 7


def test_carry_limits_for_affinity() -> None:
    from ing2gw.emit.targets.carry import verdict

    assert verdict("aws", "session-affinity", {"type": "cookie", "cookie": "x"}).carried
    assert verdict("aws", "session-affinity", {"type": "cookie", "cookie": "x", "max-age": "604800"}).carried
    assert "7 days" in verdict("aws", "session-affinity", {"type": "cookie", "cookie": "x",
                                                           "max-age": "604801"}).why_not
    assert not verdict("aws", "session-affinity", {"type": "ip"}).carried
    assert not verdict("aws", "basic-auth", {"type": "basic", "secret": "s"}).carried


def test_a_direct_response_is_a_fixed_response_rule() -> None:
    from ing2gw.emit.gateway import _route
    from ing2gw.emit.targets.aws import direct_responses

    src = ir.Source("shop", "x", None)  # type: ignore[arg-type]
    key = ir.ListenerKey("gw", "HTTP", 80, "x.example.com")
    rules = [ir.Rule((ir.Match(ir.PathMatch("PathPrefix", "/")),), src, direct_status=404),
             ir.Rule((ir.Match(ir.PathMatch("PathPrefix", "/app")),), src,
                     backends=(ir.ServiceBackend("shop", "app", 80),))]
    route = ir.Route("HTTPRoute", "shop", "x", src, ("x.example.com",), (key,), rules)
    [config] = direct_responses([route])
    assert config["metadata"] == {"name": "direct-response-404", "namespace": "shop"}
    assert config["spec"] == {"actions": [{"type": "fixed-response", "fixedResponseConfig": {"statusCode": 404}}]}
    assert implementation_crds.problems(config) == []
    obj = _route(route, "x", rules, {key: ("Gateway", "infra", "gw", "http")}, "aws")
    assert obj["spec"]["rules"][0]["filters"] == [{"type": "ExtensionRef", "extensionRef": {
        "group": "gateway.k8s.aws", "kind": "ListenerRuleConfiguration", "name": "direct-response-404"}}]
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "infra"},
          "spec": {"gatewayClassName": "aws", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP",
                                                              "allowedRoutes": {"namespaces": {"from": "All"}}}]}}
    cls = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "aws"},
           "spec": {"controllerName": "gateway.k8s.aws/alb"}}
    r = router([cls, gw, obj, config])
    assert answer(r, "GET http://x.example.com/other") == (404, None)
    assert answer(r, "GET http://x.example.com/app/y") == (200, "app")
