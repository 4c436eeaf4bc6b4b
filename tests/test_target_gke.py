"""--target gke: GCPBackendPolicy (networking.gke.io/v1) for session affinity, a client-address
hash and timeouts, one per Service and only where every route sending to that Service asks for
the same; Cloud Armor lists and rate limits stay errors naming what to create by hand."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

import implementation_crds
from ing2gw.emit.targets.carry import verdict
from ing2gw.emit.targets.gke import seconds
from ing2gw.equivalence.verification import verify_translation
from ing2gw.findings import Severity
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import Result, translate

P = "nginx.ingress.kubernetes.io"
T = "gke"


def ingress(name: str, host: str, service: str, anns: dict[str, str] | None = None, path: str = "/",
            namespace: str = "shop") -> str:
    a = "".join(f"    {k}: {v!r}\n" for k, v in (anns or {}).items())
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            + (f"  annotations:\n{a}" if a else "")
            + f"spec:\n  ingressClassName: nginx\n  rules:\n  - host: {host}\n    http:\n      paths:\n"
            + f"      - {{path: '{path}', pathType: Prefix, backend: {{service: {{name: {service}, port: "
              "{number: 80}}}}\n")


def run(*docs: str) -> tuple[Result, list[Any]]:
    ms = load_text("---\n".join(docs))
    return translate(ms, Options(target=T)), ms


def of(result: Result, kind: str) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == kind]


def codes(result: Result, code: str) -> list[Any]:
    return [f for f in result.findings if f.code == code]


def test_cookie_affinity_reaches_exactly_the_ingress_service() -> None:
    res, _ = run(ingress("cart", "shop.example.com", "cart", {f"{P}/affinity": "cookie",
                                                               f"{P}/session-cookie-max-age": "3600"}, "/cart"),
                 ingress("catalog", "shop.example.com", "catalog", path="/"))
    [pol] = of(res, "GCPBackendPolicy")
    assert pol["metadata"]["namespace"] == "shop"
    assert pol["spec"] == {"targetRef": {"group": "", "kind": "Service", "name": "cart"},
                           "default": {"sessionAffinity": {"type": "GENERATED_COOKIE", "cookieTtlSec": 3600}}}
    assert implementation_crds.problems(pol) == []
    # the second Ingress on the same Gateway and host: its Service gets nothing
    assert not [p for p in of(res, "GCPBackendPolicy") if p["spec"]["targetRef"]["name"] == "catalog"]
    [told] = codes(res, "ING2GW-TARGET-043")
    assert told.subject == "Ingress shop/cart" and "GCLB" in told.message and "cookieTtlSec 3600" in told.message
    assert not codes(res, "ING2GW-CORE-026")


def test_session_cookie_and_client_address_hash() -> None:
    res, _ = run(ingress("session", "a.example.com", "web", {f"{P}/affinity": "cookie"}),
                 ingress("by-ip", "b.example.com", "users", {f"{P}/upstream-hash-by": "$remote_addr"}))
    got = {p["spec"]["targetRef"]["name"]: p["spec"]["default"] for p in of(res, "GCPBackendPolicy")}
    # no max-age: nginx's session cookie is cookieTtlSec 0 (non-persistent)
    assert got == {"web": {"sessionAffinity": {"type": "GENERATED_COOKIE", "cookieTtlSec": 0}},
                   "users": {"sessionAffinity": {"type": "CLIENT_IP"}}}
    assert [f.subject for f in codes(res, "ING2GW-TARGET-044")] == ["Ingress shop/by-ip"]


@pytest.mark.parametrize("params, why", [
    ({"hash": "header", "key": "$http_x_user", "name": "x-user"}, "client address"),
    ({"hash": "source-ip", "key": "$remote_addr", "overridden": "affinity"}, "affinity is set too"),
    ({"hash": "source-ip", "key": "$remote_addr", "subset": "true"}, "subset"),
])
def test_hashes_gke_cannot_carry(params: dict[str, str], why: str) -> None:
    v = verdict(T, "load-balancing", params)
    assert not v.carried and why in v.why_not


def test_cookie_lifetime_beyond_two_weeks_is_not_carried() -> None:
    assert not verdict(T, "session-affinity", {"type": "cookie", "cookie": "c", "max-age": "1209601"})
    assert verdict(T, "session-affinity", {"type": "cookie", "cookie": "c", "max-age": "1209600"})
    res, _ = run(ingress("long", "a.example.com", "web", {f"{P}/affinity": "cookie",
                                                           f"{P}/session-cookie-max-age": "2000000"}))
    assert not of(res, "GCPBackendPolicy")
    assert any("two weeks" in f.message for f in res.findings if f.annotation == f"{P}/session-cookie-max-age")


def test_a_service_used_by_an_ingress_without_affinity_gets_no_policy() -> None:
    res, _ = run(ingress("sticky", "a.example.com", "shared", {f"{P}/affinity": "cookie"}),
                 ingress("plain", "b.example.com", "shared"))
    assert not of(res, "GCPBackendPolicy")  # it would make shop/plain sticky too
    [told] = codes(res, "ING2GW-TARGET-046")
    assert told.subject == "Ingress shop/sticky"
    assert "Service shop/shared" in told.message and "shop/plain" in told.message
    assert told.severity == Severity.WARNING


def test_two_ingresses_asking_for_the_same_share_one_policy() -> None:
    anns = {f"{P}/affinity": "cookie", f"{P}/proxy-read-timeout": "120"}
    res, _ = run(ingress("one", "a.example.com", "api", anns), ingress("two", "b.example.com", "api", anns))
    [pol] = of(res, "GCPBackendPolicy")
    # settings of different intents merge into the Service's one policy
    assert pol["spec"]["default"] == {"sessionAffinity": {"type": "GENERATED_COOKIE", "cookieTtlSec": 0},
                                      "timeoutSec": 120}
    assert implementation_crds.problems(pol) == []
    assert sorted(f.subject for f in codes(res, "ING2GW-TARGET-043")) == ["Ingress shop/one", "Ingress shop/two"]


def test_timeouts_move_from_the_route_to_the_service() -> None:
    res, _ = run(ingress("api", "a.example.com", "api", {f"{P}/proxy-read-timeout": "120",
                                                          f"{P}/proxy-send-timeout": "90"}),
                 ingress("other", "a.example.com", "web", path="/web"))
    [pol] = of(res, "GCPBackendPolicy")
    assert pol["spec"] == {"targetRef": {"group": "", "kind": "Service", "name": "api"}, "default": {"timeoutSec": 120}}
    routes = {r["metadata"]["name"]: r for r in of(res, "HTTPRoute")}
    assert all("timeouts" not in rule for rule in routes["api"]["spec"]["rules"])
    assert not codes(res, "ING2GW-TARGET-040")
    [told] = codes(res, "ING2GW-TARGET-045")
    assert "whole response" in told.message and "proxy-connect-timeout" in told.message


def test_disagreeing_timeouts_keep_the_route_timeouts_and_say_so() -> None:
    res, _ = run(ingress("fast", "a.example.com", "reports", {f"{P}/proxy-read-timeout": "5"}),
                 ingress("slow", "b.example.com", "reports", {f"{P}/proxy-read-timeout": "300"}))
    assert not of(res, "GCPBackendPolicy")
    assert sorted(f.subject for f in codes(res, "ING2GW-TARGET-046")) == ["Ingress shop/fast", "Ingress shop/slow"]
    # GKE ignores the HTTPRoute timeouts: the standard-feature finding stays
    assert len(codes(res, "ING2GW-TARGET-040")) == 2


def test_allow_list_stays_an_error_naming_the_cloud_armor_policy_to_create() -> None:
    res, _ = run(ingress("admin", "admin.example.com", "admin",
                         {f"{P}/whitelist-source-range": "10.0.0.0/8,192.168.0.0/16"}),
                 ingress("status", "status.example.com", "admin"))
    assert not of(res, "GCPBackendPolicy")  # never a securityPolicy that may not exist
    assert "securityPolicy:" not in yaml.safe_dump_all(res.objects())
    [told] = codes(res, "ING2GW-TARGET-047")
    assert told.severity == Severity.ERROR and told.security
    for part in ("10.0.0.0/8,192.168.0.0/16", "deny(403)", "spec.default.securityPolicy", "shop/admin",
                 "shop/status"):  # the other Ingress the Cloud Armor policy would also guard
        assert part in told.message
    assert not codes(res, "ING2GW-CORE-026")


def test_rate_limit_stays_an_error_naming_the_rate() -> None:
    res, _ = run(ingress("api", "api.example.com", "api", {f"{P}/limit-rpm": "300"}))
    assert not of(res, "GCPBackendPolicy")
    [told] = codes(res, "ING2GW-TARGET-048")
    assert told.severity == Severity.ERROR and told.security
    assert "--rate-limit-threshold-count=300 --rate-limit-threshold-interval-sec=60" in told.message
    assert "Service (shop/api)" in told.message


def test_the_policy_is_not_in_the_way_of_the_gateway_model() -> None:
    res, _ = run(ingress("cart", "shop.example.com", "cart", {f"{P}/affinity": "cookie",
                                                               f"{P}/proxy-read-timeout": "60"}))
    a = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "out.yaml")).route(
        Request.parse_line("GET http://shop.example.com/x"))
    assert not a.unmodelled and a.status == 200 and a.backend is not None and a.backend.name == "cart"


def _mutant(res: Result, edit: Any) -> list[dict[str, Any]]:
    objects = copy.deepcopy(res.objects())
    for o in objects:
        edit(o)
    return objects


def test_mutations_of_the_translation() -> None:
    docs = (ingress("cart", "shop.example.com", "cart", {f"{P}/affinity": "cookie"}, "/cart"),
            ingress("admin", "admin.example.com", "admin", {f"{P}/whitelist-source-range": "10.0.0.0/8"}),
            ingress("catalog", "shop.example.com", "catalog"))
    res, ms = run(*docs)
    opts = Options(target=T)
    assert verify_translation(res, ms, opts).unexplained == 0

    def wrong_backend(o: dict[str, Any]) -> None:  # the affinity route sends to another Service
        if o["kind"] == "HTTPRoute" and o["metadata"]["name"] == "cart":
            o["spec"]["rules"][0]["backendRefs"][0]["name"] = "catalog"

    assert verify_translation(res, ms, opts, new_objects=_mutant(res, wrong_backend)).unexplained > 0

    objs = res.objects() + [{  # a Cloud Armor policy named on the admin Service by hand
        "apiVersion": "networking.gke.io/v1", "kind": "GCPBackendPolicy",
        "metadata": {"name": "admin-armor", "namespace": "shop"},
        "spec": {"targetRef": {"group": "", "kind": "Service", "name": "admin"},
                 "default": {"securityPolicy": "office-only"}}}]
    a = GatewayRouter(load_text(yaml.safe_dump_all(objs), "out.yaml")).route(
        Request.parse_line("GET http://admin.example.com/ | @client=11.0.0.1"))
    # what Cloud Armor decides is not known to the model: it never claims the list is restored
    assert any("Cloud Armor" in u for u in a.unmodelled)

    def retargeted(o: dict[str, Any]) -> None:  # the affinity lands on the wrong Service
        if o["kind"] == "GCPBackendPolicy":
            o["spec"]["targetRef"]["name"] = "catalog"

    # which endpoint of a Service answers is not observable by one request: affinity and
    # timeouts mutants are invisible to the check (documented in TARGET-043/045)
    assert verify_translation(res, ms, opts, new_objects=_mutant(res, retargeted)).unexplained == 0


@pytest.mark.parametrize("text, want", [("90s", 90), ("27h46m40s", 100000), ("1500ms", None), ("2000ms", 2),
                                        ("x", None)])
def test_seconds(text: str, want: int | None) -> None:
    assert seconds(text) == want


def test_timeout_annotation_finding_names_the_gke_policy() -> None:
    res, _ = run(ingress("api", "a.example.com", "api", {f"{P}/proxy-read-timeout": "120"}))
    [f] = [f for f in res.findings if f.code == "ING2GW-NGINX-012" and f.annotation == f"{P}/proxy-read-timeout"]
    assert "ING2GW-TARGET-045" in f.message


def test_reported_intents_reach_only_the_gke_emitter() -> None:
    # a rate limit is given to the GKE emitter (carry.REPORTS) only to name the Cloud Armor rule:
    # it is not carried, and the annotation's own finding stays an error
    assert not verdict(T, "rate-limit", {"per-second": "10"}).carried
    res, _ = run(ingress("api", "api.example.com", "api", {f"{P}/limit-rps": "10"}))
    assert any(f.severity == Severity.ERROR and f.annotation == f"{P}/limit-rps" and f.code != "ING2GW-TARGET-048"
               for f in res.findings)
