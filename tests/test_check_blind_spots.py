"""The check's probes for external auth, body size and client certificates: both models answer
them, and a translation that loses or misattaches the policy is reported as unexplained.

Before these probes, removing an ext-auth policy, a body-size policy or a client-certificate
requirement from the output changed no simulated answer, so `ing2gw verify` could not notice."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest

from ing2gw.cli import main
from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate import build_router
from ing2gw.simulate.oracle import auth_header, auth_service_answer
from ing2gw.simulate.probes import access_probes
from ing2gw.simulate.request import Request
from ing2gw.translate import translate
from test_target_istio import ingress

ROOT = Path(__file__).resolve().parents[1]
P = "nginx.ingress.kubernetes.io"
AUTH = {f"{P}/auth-url": "http://auth.shop.svc.cluster.local:8080/verify"}


def nginx_answer(docs: str, line: str) -> tuple[int, str | None]:
    r = build_router("ingress", "ingress-nginx", load_text(docs))
    a = r.route(Request.parse_line(line))
    return a.status, a.backend.name if a.backend else None


def broken(docs: str, target: str, change: Callable[[list[dict[str, Any]]], None]) -> int:
    """Unexplained differences of the translation for `target` after `change` edits its output."""
    ms = load_text(docs)
    options = Options(target=target)
    res = translate(ms, options)
    objs = copy.deepcopy(res.objects())
    change(objs)
    return verify_translation(res, ms, options, new_objects=objs).unexplained


def unchanged(objs: list[dict[str, Any]]) -> None:
    """The translation as written."""


def without(*kinds: str) -> Callable[[list[dict[str, Any]]], None]:
    def drop(objs: list[dict[str, Any]]) -> None:
        objs[:] = [o for o in objs if o["kind"] not in kinds]
    drop.__name__ = "without " + ", ".join(kinds)
    return drop


# -- external auth ----------------------------------------------------------------------------


def test_the_oracle_token_names_the_auth_service_answer() -> None:
    assert auth_service_answer(auth_header(401)[1]) == 401
    assert auth_service_answer("bearer ING2GW-AUTH-ANSWERS-403") == 403
    assert auth_service_answer("Bearer something-else") is None
    assert auth_service_answer(None) is None


def test_nginx_passes_the_auth_service_refusals_and_turns_other_errors_into_500() -> None:
    docs = ingress("app", "a.example.com", [("/", "Prefix")], AUTH)
    assert nginx_answer(docs, "GET http://a.example.com/ | Authorization: Bearer ing2gw-auth-answers-401") == (401, None)
    assert nginx_answer(docs, "GET http://a.example.com/ | Authorization: Bearer ing2gw-auth-answers-403") == (403, None)
    # auth_request: any status other than 2xx, 401 and 403 is an error
    assert nginx_answer(docs, "GET http://a.example.com/ | Authorization: Bearer ing2gw-auth-answers-404") == (500, None)
    assert nginx_answer(docs, "GET http://a.example.com/ | Authorization: Bearer ing2gw-auth-answers-200") == (200, "app")
    assert nginx_answer(docs, "GET http://a.example.com/ | Authorization: Bearer ing2gw-auth-answers-503") == (500, None)
    # not an oracle probe: the service's answer is not known (passes, with the unmodelled note)
    assert nginx_answer(docs, "GET http://a.example.com/ | Authorization: Bearer x") == (200, "app")
    # a location without auth-url does not ask the service
    plain = ingress("app", "a.example.com", [("/", "Prefix")])
    assert nginx_answer(plain, "GET http://a.example.com/ | Authorization: Bearer ing2gw-auth-answers-401") == (200, "app")


def test_auth_probes_only_where_the_old_side_has_auth_url() -> None:
    docs = load_text("---\n".join([ingress("app", "a.example.com", [("/api", "Prefix")], AUTH),
                                   ingress("web", "b.example.com", [("/", "Prefix")])]))
    probes = [r for r in access_probes(docs, []) if r.header("authorization")]
    assert sorted((r.host, r.target, r.header("authorization")) for r in probes) == [
        ("a.example.com", "/api", "Bearer ing2gw-auth-answers-401"),
        ("a.example.com", "/api", "Bearer ing2gw-auth-answers-403"),
        ("a.example.com", "/api", "Bearer ing2gw-auth-answers-500")]
    # with auth-signin nginx turns the 401 into a sign-in redirect (not modelled): 403 only
    signin = load_text(ingress("app", "a.example.com", [("/", "Prefix")],
                               {**AUTH, f"{P}/auth-signin": "https://signin.example.com/start"}))
    assert [r.header("authorization") for r in access_probes(signin, [])] == ["Bearer ing2gw-auth-answers-403",
                                                                        "Bearer ing2gw-auth-answers-500"]


AUTH_DOCS = "---\n".join([ingress("app", "a.example.com", [("/app", "Prefix")], AUTH),
                          ingress("web", "a.example.com", [("/", "Prefix")])])


def without_extension_refs(objs: list[dict[str, Any]]) -> None:
    """The routes no longer reference their Traefik Middlewares (a Middleware that does not exist
    makes Traefik drop the router, which the model leaves unmodelled: detach it instead)."""
    for o in objs:
        for rule in (o["spec"].get("rules") or []) if o["kind"] == "HTTPRoute" else []:
            rule["filters"] = [f for f in rule.get("filters") or [] if f.get("type") != "ExtensionRef"]


#: how each target's external auth is taken away
AUTH_POLICY = {"envoy-gateway": without("SecurityPolicy"), "kgateway": without("TrafficPolicy"),
               "istio": without("AuthorizationPolicy"), "traefik": without_extension_refs}


@pytest.mark.parametrize("target", sorted(AUTH_POLICY))
def test_a_removed_ext_auth_policy_is_unexplained(target: str) -> None:
    assert broken(AUTH_DOCS, target, unchanged) == 0
    assert broken(AUTH_DOCS, target, AUTH_POLICY[target]) > 0


def test_an_ext_auth_policy_on_the_wrong_route_is_unexplained() -> None:
    def misattached(objs: list[dict[str, Any]]) -> None:
        [policy] = [o for o in objs if o["kind"] == "SecurityPolicy"]
        for ref in policy["spec"]["targetRefs"]:
            ref["name"] = "web"
    assert broken(AUTH_DOCS, "envoy-gateway", misattached) > 0


def test_a_lost_ext_auth_is_an_error_that_predicts_the_refusals() -> None:
    # nginx-gateway-fabric writes no external auth: the refusals reach the backend, predicted
    ms = load_text(AUTH_DOCS)
    options = Options(target="nginx-gateway-fabric")
    res = translate(ms, options)
    assert "ING2GW-TARGET-067" in {f.code for f in res.findings}
    check = verify_translation(res, ms, options)
    assert check.unexplained == 0
    assert check.cause_counts.get(("ING2GW-TARGET-067",)) == 3


def test_ing2gw_verify_exits_1_without_the_golden_security_policy(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    case = ROOT / "golden" / "ingress-nginx" / "target-envoy-gateway-external-auth"
    out = tmp_path / "out"
    assert main(["convert", "--target", "envoy-gateway", "-f", str(case / "input.yaml"), "--out-dir", str(out),
                 "--fail-on", "never"]) == 0
    args = ["verify", "-f", str(case / "input.yaml"), "--gateway", str(out), "-R", "--target", "envoy-gateway"]
    assert main(args) == 0
    [policy] = list(out.rglob("securitypolicys.yaml"))
    policy.unlink()
    capsys.readouterr()
    assert main(args) == 1
    assert "3 unexplained" in capsys.readouterr().out


# -- body size --------------------------------------------------------------------------------

BODY = {f"{P}/proxy-body-size": "8m"}
BODY_DOCS = "---\n".join([ingress("upload", "u.example.com", [("/upload", "Prefix")], BODY),
                          ingress("web", "u.example.com", [("/", "Prefix")])])


def test_body_size_probes_only_where_the_ingress_sets_proxy_body_size() -> None:
    docs = load_text("---\n".join([BODY_DOCS, ingress("free", "f.example.com", [("/", "Prefix")],
                                                      {f"{P}/proxy-body-size": "0"}),
                                   ingress("bad", "b.example.com", [("/", "Prefix")],
                                           {f"{P}/proxy-body-size": "lots"})]))
    probes = [(r.method, r.host, r.target, r.header("content-length")) for r in access_probes(docs, [])]
    # `0` (no limit) and an invalid value are not probed: nginx's default 1m would decide there
    assert sorted(probes) == [("POST", "u.example.com", "/upload", str(8 * 1024 * 1024)),
                              ("POST", "u.example.com", "/upload", str(8 * 1024 * 1024 + 1))]


def test_nginx_answers_413_just_above_the_limit() -> None:
    line = "POST http://u.example.com/upload | Content-Length: {}"
    assert nginx_answer(BODY_DOCS, line.format(8 * 1024 * 1024)) == (200, "upload")
    assert nginx_answer(BODY_DOCS, line.format(8 * 1024 * 1024 + 1)) == (413, None)


def wrong_limit(objs: list[dict[str, Any]]) -> None:
    """The limit one mebibyte larger, wherever the target writes it."""
    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k in ("limit", "maxRequestSize", "maxSize") and v in ("8Mi", "8m"):
                    x[k] = "9Mi" if v == "8Mi" else "9m"
                elif k == "maxRequestBodyBytes":
                    x[k] = v + 1024 * 1024
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(objs)


#: how each target's body-size policy is taken away
BODY_POLICY = {"envoy-gateway": without("BackendTrafficPolicy"), "kgateway": without("TrafficPolicy"),
               "nginx-gateway-fabric": without("ClientSettingsPolicy"), "traefik": without_extension_refs}


@pytest.mark.parametrize("target", sorted(BODY_POLICY))
def test_a_removed_or_wrong_body_size_policy_is_unexplained(target: str) -> None:
    assert broken(BODY_DOCS, target, unchanged) == 0
    assert broken(BODY_DOCS, target, BODY_POLICY[target]) > 0
    assert broken(BODY_DOCS, target, wrong_limit) > 0


def test_a_lost_body_size_limit_predicts_the_413s() -> None:
    ms = load_text(BODY_DOCS)
    options = Options(target="istio")
    res = translate(ms, options)
    check = verify_translation(res, ms, options)
    assert check.unexplained == 0
    assert check.cause_counts.get(("ING2GW-TARGET-068",)) == 1


# -- client certificates ----------------------------------------------------------------------

MTLS = {f"{P}/auth-tls-secret": "shop/client-ca"}
MTLS_DOCS = "---\n".join([ingress("bank", "bank.example.com", [("/", "Prefix")], MTLS, tls=True),
                          ingress("web", "web.example.com", [("/", "Prefix")], tls=True)])


def test_a_request_without_a_client_certificate_is_written_and_read_back() -> None:
    r = Request.parse_line("GET https://bank.example.com/ | @no-client-cert")
    assert r.no_client_cert and r.describe() == "GET https://bank.example.com/ | @no-client-cert"
    assert Request.from_json(r.to_dict() | {"url": r.url()}).no_client_cert
    assert not Request.parse_line("GET https://bank.example.com/").no_client_cert


def test_nginx_refuses_a_client_without_a_certificate_only_where_verify_client_is_on() -> None:
    line = "GET https://bank.example.com/ | @no-client-cert"
    assert nginx_answer(MTLS_DOCS, line) == (400, None)
    assert nginx_answer(MTLS_DOCS, "GET https://bank.example.com/") == (200, "bank")
    assert nginx_answer(MTLS_DOCS, "GET http://bank.example.com/ | @no-client-cert")[0] == 308
    assert nginx_answer(MTLS_DOCS, "GET https://web.example.com/ | @no-client-cert") == (200, "web")
    optional = ingress("bank", "bank.example.com", [("/", "Prefix")],
                       {**MTLS, f"{P}/auth-tls-verify-client": "optional"}, tls=True)
    assert nginx_answer(optional, line) == (200, "bank")
    page = ingress("bank", "bank.example.com", [("/", "Prefix")],
                   {**MTLS, f"{P}/auth-tls-error-page": "https://errors.example.com/cert"}, tls=True)
    r = build_router("ingress", "ingress-nginx", load_text(page)).route(Request.parse_line(line))
    assert r.redirect is not None and r.redirect.location == "https://errors.example.com/cert"


def test_client_certificate_probes_only_where_the_old_side_asks() -> None:
    probes = [r for r in access_probes(load_text(MTLS_DOCS), []) if r.no_client_cert]
    assert [(r.scheme, r.host, r.target) for r in probes] == [("https", "bank.example.com", "/")]


def test_a_removed_or_weakened_client_validation_is_unexplained() -> None:
    def optional(objs: list[dict[str, Any]]) -> None:
        [ctp] = [o for o in objs if o["kind"] == "ClientTrafficPolicy"]
        ctp["spec"]["tls"]["clientValidation"]["mode"] = "VerifyIfGiven"

    def other_listener(objs: list[dict[str, Any]]) -> None:
        [ctp] = [o for o in objs if o["kind"] == "ClientTrafficPolicy"]
        ctp["spec"]["targetRefs"][0]["sectionName"] = "https-web.example.com"

    assert broken(MTLS_DOCS, "envoy-gateway", unchanged) == 0
    for mutation in (without("ClientTrafficPolicy"), optional, other_listener):
        assert broken(MTLS_DOCS, "envoy-gateway", mutation) > 0, mutation.__name__


def test_the_handshake_failure_and_the_lost_validation_are_predicted() -> None:
    ms = load_text(MTLS_DOCS)
    for target, code in (("envoy-gateway", "ING2GW-TARGET-011"), ("istio", "ING2GW-TARGET-069")):
        options = Options(target=target)
        res = translate(ms, options)
        check = verify_translation(res, ms, options)
        assert check.unexplained == 0, target
        assert check.cause_counts.get((code,)) == 1, (target, check.cause_counts)


@pytest.mark.parametrize("target,status", [("envoy-gateway", 403), ("kgateway", 403), ("istio", 403),
                                           ("traefik", 500)])
def test_an_auth_service_error_is_answered_as_each_proxy_does_and_predicted(target: str, status: int) -> None:
    """nginx answers an auth service's 5xx with 500; Envoy's ext_authz with 403 (status_on_error),
    which the target's ext-auth finding predicts; Traefik's forwardAuth passes the 500 on."""
    ms = load_text(AUTH_DOCS)
    options = Options(target=target)
    res = translate(ms, options)
    answers: dict[str, int] = {}
    check = verify_translation(res, ms, options, observe=lambda r, o, n: answers.setdefault(
        f"{r.describe()} {o.status}", n.status) if r.header("authorization") == auth_header(500)[1] else None)
    assert check.unexplained == 0
    assert answers == {"GET http://a.example.com/app | Authorization: Bearer ing2gw-auth-answers-500 500": status}


def test_a_redirecting_ingress_keeps_its_body_size_limit() -> None:
    """nginx checks client_max_body_size when the location is chosen, before the redirect
    (found by the body-size probes: the limit used to go on forwarding routes only)."""
    docs = ingress("moved", "m.example.com", [("/", "Prefix")],
                   {**BODY, f"{P}/permanent-redirect": "https://new.example.com/"})
    assert nginx_answer(docs, f"POST http://m.example.com/ | Content-Length: {8 * 1024 * 1024 + 1}") == (413, None)
    for target in ("envoy-gateway", "nginx-gateway-fabric"):
        assert broken(docs, target, unchanged) == 0, target
        ms = load_text(docs)
        kinds = {o["kind"] for o in translate(ms, Options(target=target)).objects()}
        assert {"BackendTrafficPolicy", "ClientSettingsPolicy"} & kinds, target
