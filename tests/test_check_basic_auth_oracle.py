"""The check's valid Basic credentials (`simulate.oracle`): requests behind basic auth are
compared once authenticated, so a translation that sends them elsewhere, reads another Secret
or loses the authentication is unexplained.

Before, the check never had valid credentials: every probe behind basic auth was refused on both
sides (none or wrong credentials, or "not modelled" on the old side), so a route behind basic
auth could send its requests to any backend and pass, and where a target lost the
authentication (an error that predicts the refusals) every difference of that route hid behind
the loss."""

from __future__ import annotations

from typing import Any

import pytest

from ing2gw.load import load_text
from ing2gw.simulate import build_router
from ing2gw.simulate.gateway_policies.steps import BasicAuth
from ing2gw.simulate.oracle import VALID_USER, valid_basic_header, valid_for
from ing2gw.simulate.probes import generate
from ing2gw.simulate.request import Request
from test_check_blind_spots import broken, unchanged
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"
BASIC = {f"{P}/auth-type": "basic", f"{P}/auth-secret": "admin-users", f"{P}/auth-realm": "Admins"}
# an authenticated host beside an open one: the mutants below move the first's requests
DOCS = "---\n".join([ingress("admin", "admin.example.com", [("/", "Prefix"), ("/reports", "Prefix")], BASIC),
                     ingress("web", "web.example.com", [("/", "Prefix")])])
AUTHENTICATED = f"Authorization: {valid_basic_header('shop/admin-users')[1]}"


def nginx(line: str) -> tuple[int, str | None]:
    a = build_router("ingress", "ingress-nginx", load_text(DOCS)).route(Request.parse_line(line))
    return a.status, a.backend.name if a.backend else None


def test_the_credentials_name_their_secret() -> None:
    header = valid_basic_header("shop/admin-users")
    assert header[0] == "Authorization" and header[1].startswith("Basic ")
    assert valid_for(VALID_USER, "shop/admin-users", "shop/admin-users") is True
    assert valid_for(VALID_USER, "shop/admin-users", "shop/other") is False
    # users from no Secret (inline): never the check's user
    assert valid_for(VALID_USER, "shop/admin-users", None) is False
    # anybody else is for the proxy's own htpasswd check
    assert valid_for("alice", "shop/admin-users", "shop/admin-users") is None


def test_nginx_lets_the_secrets_valid_user_through_and_refuses_another_secrets() -> None:
    assert nginx(f"GET http://admin.example.com/reports | {AUTHENTICATED}") == (200, "admin")
    other = valid_basic_header("shop/other-users")[1]
    assert nginx(f"GET http://admin.example.com/reports | Authorization: {other}") == (401, None)
    assert nginx("GET http://admin.example.com/reports") == (401, None)


def test_a_gateway_basic_auth_step_lets_through_exactly_its_secrets_user() -> None:
    from ing2gw.simulate.gateway_policies.base import RequestState

    def run(secret: str | None, header: str) -> Any:
        step = BasicAuth(None, frozenset({"sha"}), lambda state: 'Basic realm="x"', "test", secret=secret)
        state = RequestState.start(Request.parse_line(f"GET http://a.example.com/ | Authorization: {header}"), "/", None)
        return step.run(state)

    good = valid_basic_header("shop/admin-users")[1]
    assert run("shop/admin-users", good) is None
    assert run("shop/other", good).status == 401
    assert run(None, good).status == 401


def test_probes_carry_the_credentials_on_every_path_of_an_authenticated_host_only() -> None:
    probes = generate(load_text(DOCS), [])
    with_creds = [p for p in probes if dict(p.headers).get("Authorization") == valid_basic_header("shop/admin-users")[1]]
    assert {p.host for p in with_creds} == {"admin.example.com"}
    assert {"/", "/reports"} <= {p.target for p in with_creds}
    assert {p.scheme for p in with_creds} == {"http", "https"}


def _move_backend(route_name: str) -> Any:
    def change(objs: list[dict[str, Any]]) -> None:
        [route] = [o for o in objs if o["kind"] == "HTTPRoute" and o["metadata"]["name"].startswith(route_name)]
        for rule in route["spec"]["rules"]:
            for ref in rule.get("backendRefs") or []:
                ref["name"] = "web"
    return change


@pytest.mark.parametrize("target", ["envoy-gateway", "kgateway", "nginx-gateway-fabric", "gke", "istio", "aws"])
def test_a_route_behind_basic_auth_sent_elsewhere_is_unexplained(target: str) -> None:
    # where the target carries the authentication and where it is lost (an error predicting the
    # refusals only): authenticated requests show the backend moved
    assert broken(DOCS, target, unchanged) == 0
    assert broken(DOCS, target, _move_backend("admin")) > 0


def test_a_policy_reading_another_secret_is_unexplained() -> None:
    def other_secret(objs: list[dict[str, Any]]) -> None:
        [policy] = [o for o in objs if o["kind"] == "SecurityPolicy"]
        policy["spec"]["basicAuth"]["users"]["name"] = "other-users"

    assert broken(DOCS, "envoy-gateway", other_secret) > 0


def _golden(case: str) -> str:
    from pathlib import Path
    return (Path(__file__).resolve().parents[1] / "golden" / case / "input.yaml").read_text()


@pytest.mark.parametrize("controller,case", [("traefik", "traefik/mw-basic-auth-accepted"),
                                             ("haproxy", "haproxy/basic-auth")])
def test_traefik_and_haproxy_let_the_secrets_valid_user_through(controller: str, case: str) -> None:
    router = build_router("ingress", controller, load_text(_golden(case)))
    good = valid_basic_header("shop/users")[1]
    other = valid_basic_header("shop/other")[1]
    assert router.route(Request.parse_line(f"GET http://shop.example.com/ | Authorization: {good}")).status == 200
    assert router.route(Request.parse_line(f"GET http://shop.example.com/ | Authorization: {other}")).status == 401
    assert router.route(Request.parse_line("GET http://shop.example.com/")).status == 401
    probes = generate(load_text(_golden(case)), [])
    assert any(dict(p.headers).get("Authorization") == good for p in probes)


@pytest.mark.parametrize("case", ["traefik/mw-basic-auth-accepted", "haproxy/basic-auth"])
def test_a_lost_traefik_or_haproxy_basic_auth_does_not_hide_a_moved_route(case: str) -> None:
    from ing2gw.equivalence.verification import verify_translation
    from ing2gw.translate import translate
    from ing2gw.options import Options
    import copy

    ms = load_text(_golden(case))
    options = Options(target="envoy-gateway", allow_weakened=("all",))
    res = translate(ms, options)
    assert verify_translation(res, ms, options).unexplained == 0
    objs = copy.deepcopy(res.objects())
    for o in objs:
        for rule in o["spec"].get("rules") or [] if o["kind"] == "HTTPRoute" else ():
            for ref in rule.get("backendRefs") or []:
                ref["port"] = 8080
    assert verify_translation(res, ms, options, new_objects=objs).unexplained > 0
