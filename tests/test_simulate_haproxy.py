"""Focused tests of the HAProxy router's tricky parts (the behaviour cases are in
test_simulate_haproxy_cases.py): rule ids, HAProxy's string handling, map lookups, rule guards,
what is marked unmodelled, configuration errors, flags, and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ing2gw.cli import main
from ing2gw.errors import InputError
from ing2gw.load import load_text
from ing2gw.simulate import build_router
from ing2gw.simulate.haproxy import HAProxyRouter
from ing2gw.simulate.haproxy.maps import PATH_PREFIX, MapFile
from ing2gw.simulate.haproxy.rules import Redirect
from ing2gw.simulate.haproxy.ruleid import fnv128a, go_string
from ing2gw.simulate.haproxy.settings import parse_flags
from ing2gw.simulate.haproxy.text import ConfigSyntax, config_words, log_format, replace_path, req_hdr
from ing2gw.simulate.request import Answer, ClusterContext, Request, SecretFact

CLASS = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: haproxy}
spec: {controller: haproxy.org/ingress-controller/haproxy}
"""


def svc(name: str, ns: str = "e2e", port: int = 80, port_name: str = "http", anns: str = "{}") -> str:
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}, annotations: {anns}}}
spec: {{ports: [{{name: {port_name}, port: {port}}}]}}
"""


def ing(name: str, host: str, path: str = "/", backend: str = "web", anns: str = "{}", ns: str = "e2e",
        path_type: str = "Prefix", extra: str = "") -> str:
    host_line = f"host: {host}" if host else "host: ''"
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: {ns}, annotations: {anns}}}
spec:
  ingressClassName: haproxy
  {extra}
  rules:
  - {host_line}
    http:
      paths:
      - {{path: '{path}', pathType: {path_type}, backend: {{service: {{name: {backend}, port: {{number: 80}}}}}}}}
"""


def configmap(data: str, name: str = "haproxy-kubernetes-ingress", ns: str = "haproxy-controller") -> str:
    return f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}, namespace: {ns}}}
data: {data}
"""


def mk(*docs: str, flags: list[str] | None = None, services: str = "assume", secrets: dict[str, SecretFact] | None
       = None) -> HAProxyRouter:
    text = "\n---\n".join(d.strip("\n") for d in docs)
    ctx = ClusterContext(services=services,  # type: ignore[arg-type]
                         secrets="input" if secrets is not None else "assume", secret_facts=secrets or {})
    return HAProxyRouter(load_text(text, "test.yaml"), ctx, flags=flags)


def get(router: HAProxyRouter, url: str, method: str = "GET", client_ip: str | None = "203.0.113.7",
        prior: int | None = 0, rand: int | None = None, **headers: str) -> Answer:
    hdrs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    return router.route(Request.from_url(method, url, hdrs), client_ip=client_ip, prior_requests=prior, rand=rand)


def hdrs(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(pairs)


def backend(a: Answer) -> str | None:
    return None if a.backend is None else a.backend.name


# ---------------------------------------------------------------------------------------------
# rule ids and Go JSON


class TestRuleIds:
    def test_fnv128a_of_nothing_is_the_offset_basis(self) -> None:
        assert fnv128a(b"") == "6c62272e07bb014262b821756295c58d"

    def test_go_escapes_html_characters_and_line_separators(self) -> None:
        assert go_string('<a&b>"\\\u2028\b') == '"\\u003ca\\u0026b\\u003e\\"\\\\\\u2028\\b"'

    def test_default_ssl_redirect_rule_id_is_the_one_issue_679_shows(self) -> None:
        rule = Redirect(ssl_redirect=True, code=302, port=8443)
        rule.freeze()
        assert rule.id == "92afcf7456e1a884dd198b1f8bfb6f63"

    def test_identical_rules_of_two_ingresses_share_one_id_and_row_suffix(self) -> None:
        anns = "{haproxy.org/request-set-header: 'X-A a'}"
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns=anns), ing("b", "b.test", anns=anns))
        assert r.config.rule_ids["e2e/a"] == r.config.rule_ids["e2e/b"]
        assert len(r.config.frontends["http"].rules) == 1


# ---------------------------------------------------------------------------------------------
# how HAProxy reads strings


class TestText:
    @pytest.mark.parametrize("text,words", [
        ('"no-store,no-cache"', ["no-store,no-cache"]),
        ('a "b c" d', ["a", "b c", "d"]),
        ('"a"b', ["ab"]),
        ("'x\\y'", ["x\\y"]),
        ("(.*) /foo\\1", ["(.*)", "/foo\\1"]),
        ('"a\\"b"', ['a"b']),
        ("a # comment", ["a"]),
    ])
    def test_config_words(self, text: str, words: list[str]) -> None:
        assert config_words(text)[0] == words

    def test_unmatched_quote_is_a_syntax_error(self) -> None:
        with pytest.raises(ConfigSyntax):
            config_words('"abc')

    def test_environment_variables_in_double_quotes_are_flagged(self) -> None:
        assert config_words('"${HOME}"')[1] is True
        assert config_words("'${HOME}'")[1] is False

    def test_log_format(self) -> None:
        assert log_format("100%%") == ("100%", True)
        assert log_format("%[src]") == ("%[src]", False)
        assert log_format("%[var(txn.o)]!", {"txn.o": "x"}) == ("x!", True)

    def test_replace_path_replaces_the_whole_path_when_the_regex_is_found_anywhere(self) -> None:
        import re
        assert replace_path("/x/foo/bar", re.compile("/foo/(.*)"), "/\\1") == "/bar"
        assert replace_path("/nomatch", re.compile("/foo/(.*)"), "/\\1") == "/nomatch"
        assert replace_path("/a", re.compile("(/a)(/b)?"), "\\2\\x41\\q") == "Aq"

    def test_req_hdr_is_the_last_comma_separated_value(self) -> None:
        assert req_hdr([("Origin", "a, b"), ("origin", "c,d")], "ORIGIN") == "d"
        assert req_hdr([], "origin") is None


class TestMaps:
    def test_longest_key_wins_and_equal_keys_take_the_row_sorting_first(self) -> None:
        m = MapFile(PATH_PREFIX)
        m.append("h/a", "z_svc_b", "ns/one")
        m.append("h/a/b", "x_svc_c", "ns/two")
        m.append("h/a", "a_svc_a", "ns/three")
        m.seal()
        assert m.get_beg("h", "/a/bc").value == "x_svc_c"  # type: ignore[union-attr]
        assert m.get_beg("h", "/ax").value == "a_svc_a"  # type: ignore[union-attr]
        assert m.get_beg("h", "/b") is None
        assert m.get_beg("g", "/a") is None


# ---------------------------------------------------------------------------------------------
# rule guards: which rules a request runs


class TestGuards:
    def test_configmap_rule_no_ingress_reproduces_applies_to_every_request(self) -> None:
        # Ingress a overrides the ConfigMap value: the ConfigMap rule stays unguarded (H-G1)
        r = mk(CLASS, svc("web"), configmap("{request-set-header: 'X-G g'}"),
               ing("a", "a.test", anns="{haproxy.org/request-set-header: 'X-A a'}"))
        h = hdrs(get(r, "http://a.test/").upstream_headers)
        assert h["x-g"] == "g" and h["x-a"] == "a"

    def test_unguarded_set_src_only_applies_when_no_row_matched(self) -> None:
        # `if  || !{ var(txn.path_match) -m found }`: the empty first term is false (haproxy 2.6)
        r = mk(CLASS, svc("web"), svc("fallback"), configmap("{src-ip-header: X-Real}"),
               ing("a", "a.test", anns="{haproxy.org/src-ip-header: X-Other}"),
               flags=["--configmap=haproxy-controller/haproxy-kubernetes-ingress", "--ingress.class=haproxy",
                      "--default-backend-service=e2e/fallback"])
        unmatched = get(r, "http://z.test/", X_Real="10.9.9.9")
        assert backend(unmatched) == "fallback" and hdrs(unmatched.upstream_headers)["x-forwarded-for"] == "10.9.9.9"
        matched = get(r, "http://a.test/", X_Real="10.9.9.9", X_Other="10.8.8.8")
        assert hdrs(matched.upstream_headers)["x-forwarded-for"] == "10.8.8.8"

    def test_cors_headers_are_added_to_haproxys_own_answers(self) -> None:
        anns = "{cors-enable: 'true', allow-list: 10.0.0.0/8, response-set-header: 'X-R r'}"
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns=anns))
        denied = get(r, "http://a.test/", client_ip="192.0.2.1", Origin="http://o")
        assert denied.status == 403 and hdrs(denied.response_headers)["access-control-allow-origin"] == "*"
        assert "x-r" not in hdrs(denied.response_headers)  # http-response: backend answers only
        ok = get(r, "http://a.test/", client_ip="10.1.1.1", Origin="http://o")
        assert ok.status == 200 and hdrs(ok.response_headers)["x-r"] == "r"

    def test_alt_svc_on_https_backend_answers_only(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test"))
        assert hdrs(get(r, "https://a.test/").response_headers)["alt-svc"] == 'h3=":443";ma=60;'
        assert "alt-svc" not in hdrs(get(r, "http://a.test/").response_headers)
        flags = list(parse_flags(None).given) + ["--disable-quic"]
        assert "alt-svc" not in hdrs(get(mk(CLASS, svc("web"), ing("a", "a.test"), flags=flags),
                                          "https://a.test/").response_headers)


# ---------------------------------------------------------------------------------------------
# what cannot be decided offline


class TestUnmodelled:
    def test_allow_list_without_client_address(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{allow-list: 10.0.0.0/8}"))
        a = get(r, "http://a.test/", client_ip=None)
        assert a.status == 200 and any("client address decides" in u for u in a.unmodelled)
        assert get(r, "http://a.test/", client_ip="192.0.2.1").status == 403

    def test_src_ip_header_decides_without_the_client_address(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{allow-list: 10.0.0.0/8, src-ip-header: X-IP}"))
        a = get(r, "http://a.test/", client_ip=None, X_IP="192.0.2.1")
        assert a.status == 403 and not a.unmodelled

    def test_rate_limit_without_the_request_count(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{rate-limit-requests: '2', rate-limit-period: 10s}"))
        a = get(r, "http://a.test/", prior=None)
        assert a.status == 200 and any("2 requests per period" in u for u in a.unmodelled)
        assert get(r, "http://a.test/", prior=2).status == 403

    def test_route_acl_form_not_modelled_is_treated_as_not_matching(self) -> None:
        r = mk(CLASS, svc("prod"), svc("beta", anns="{route-acl: 'ssl_fc_sni -m str x'}"),
               ing("a", "a.test", backend="prod"), ing("b", "a.test", backend="beta"))
        a = get(r, "http://a.test/x")
        assert backend(a) == "prod" and any("ssl_fc_sni" in u for u in a.unmodelled)

    def test_two_matching_route_acl_rules_have_an_undefined_order(self) -> None:
        r = mk(CLASS, svc("prod"), svc("b1", anns="{route-acl: 'hdr(x) -m found'}"),
               svc("b2", anns="{route-acl: 'hdr(x) -m found'}"),
               ing("a", "a.test", backend="prod"), ing("b", "a.test", backend="b1"), ing("c", "a.test", backend="b2"))
        a = get(r, "http://a.test/", x="1")
        assert backend(a) in ("b1", "b2") and any("undefined" in u for u in a.unmodelled)
        assert not get(r, "http://a.test/").unmodelled

    def test_route_acl_rand_without_a_drawn_value_is_a_split(self) -> None:
        r = mk(CLASS, svc("prod"), svc("beta", anns="{route-acl: 'rand(100) lt 10'}"),
               ing("a", "a.test", backend="prod"), ing("b", "a.test", backend="beta"))
        shares = {s.backend.name: round(s.weight, 3) for s in get(r, "http://a.test/").backends if s.backend}
        assert shares == {"beta": 0.1, "prod": 0.9}
        assert backend(get(r, "http://a.test/", rand=9)) == "beta"
        assert backend(get(r, "http://a.test/", rand=10)) == "prod"

    def test_basic_auth_secret_not_in_the_input(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{auth-type: basic-auth, auth-secret: users}"))
        assert get(r, "http://a.test/").status == 401
        a = get(r, "http://a.test/", Authorization="Basic dTpw")
        assert a.status == 200 and any("credentials" in u for u in a.unmodelled)

    def test_builtin_default_service_paths_its_router_rewrites(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test"))
        assert get(r, "http://z.test/healthz").status == 200
        post = get(r, "http://z.test/healthz", method="POST")
        assert post.status == 404 and post.unmodelled
        assert get(r, "http://z.test//healthz").unmodelled
        assert not get(r, "http://z.test/other").unmodelled


# ---------------------------------------------------------------------------------------------
# what HAProxy or the controller refuses


class TestConfigErrors:
    def test_redirect_code_haproxy_refuses(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{ssl-redirect: 'true', ssl-redirect-code: '399'}"))
        assert any("redirect code 399" in e for e in r.config_errors)
        assert any("refuses the configuration" in u for u in get(r, "http://a.test/").unmodelled)

    def test_rate_limit_status_haproxy_has_no_page_for(self) -> None:
        anns = "{rate-limit-requests: '1', rate-limit-period: 1s, rate-limit-status-code: '418'}"
        assert any("deny_status 418" in e for e in mk(CLASS, svc("web"), ing("a", "a.test", anns=anns)).config_errors)
        ok = anns.replace("418", "429")
        assert not mk(CLASS, svc("web"), ing("a", "a.test", anns=ok)).config_errors

    def test_set_host_of_two_words(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{set-host: 'a b'}"))
        assert any("2 words" in e for e in r.config_errors)

    def test_invalid_path_rewrite_regex(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{path-rewrite: '(unclosed /x'}"))
        assert any("path-rewrite" in e for e in r.config_errors)

    def test_pattern_file_without_configmap_patternfiles(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{allow-list: patterns/ips}"))
        assert any("patterns/ips" in e for e in r.config_errors)

    def test_pattern_file_configmap_not_in_the_input_is_unmodelled(self) -> None:
        flags = list(parse_flags(None).given) + ["--configmap-patternfiles=haproxy-controller/pf"]
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{allow-list: patterns/ips}"), flags=flags)
        assert not r.config_errors
        assert any("pattern file" in u for u in get(r, "http://a.test/").unmodelled)

    def test_configmap_auth_secret_without_namespace_crashes_the_controller(self) -> None:
        r = mk(CLASS, svc("web"), configmap("{auth-type: basic-auth, auth-secret: users}"), ing("a", "a.test"))
        assert any("crashes" in e for e in r.config_errors)

    def test_annotation_errors_drop_the_rule_silently_for_clients(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{auth-type: digest}"))
        assert get(r, "http://a.test/").status == 200
        assert any("Only 'basic-auth'" in s for s in r.config.skipped)

    def test_unparsable_ssl_redirect_disables_the_automatic_redirect(self) -> None:
        extra = "tls: [{hosts: [a.test], secretName: a-tls}]"
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{ssl-redirect: 'yes'}", extra=extra))
        assert get(r, "http://a.test/").status == 200
        r2 = mk(CLASS, svc("web"), ing("a", "a.test", extra=extra))
        assert get(r2, "http://a.test/").status == 302


# ---------------------------------------------------------------------------------------------
# inputs, flags and backends


class TestInputs:
    def test_no_ingressclass_in_the_input_assumes_the_charts(self) -> None:
        r = mk(svc("web"), ing("a", "a.test"))
        a = get(r, "http://a.test/")
        assert backend(a) == "web" and any("IngressClass haproxy" in n for n in a.notes)

    def test_ignored_ingress_is_named_on_answers_for_its_host(self) -> None:
        other = CLASS.replace("haproxy.org/ingress-controller/haproxy", "k8s.io/ingress-nginx")
        r = mk(other, svc("web"), ing("a", "a.test"))
        a = get(r, "http://a.test/")
        assert a.status == 404 and any("e2e/a" in n and "ignores" in n for n in a.notes)

    def test_service_not_in_the_input(self) -> None:
        r = mk(CLASS, ing("a", "a.test", backend="ghost"))
        a = get(r, "http://a.test/")
        assert a.backend is not None and a.backend.port == 80 and any("ghost" in n for n in a.notes)
        r2 = mk(CLASS, ing("a", "a.test", backend="ghost"), services="input")
        assert get(r2, "http://a.test/").status == 404

    def test_standalone_backend_from_the_configmap(self) -> None:
        r = mk(CLASS, svc("web"), configmap("{standalone-backend: 'true'}"), ing("a", "a.test"))
        assert dict(get(r, "http://a.test/").decided_by)["haproxy-backend"] == "e2e_a_svc_web_http"

    def test_forwarded_for_false_on_the_service(self) -> None:
        r = mk(CLASS, svc("web", anns="{haproxy.org/forwarded-for: 'false'}"), ing("a", "a.test"))
        assert "x-forwarded-for" not in hdrs(get(r, "http://a.test/").upstream_headers)

    def test_client_x_forwarded_for_is_kept_and_appended_to(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test"))
        h = hdrs(get(r, "http://a.test/", X_Forwarded_For="1.2.3.4").upstream_headers)
        assert h["x-forwarded-for"] == "1.2.3.4, 203.0.113.7"

    def test_prefixed_and_unprefixed_names_colliding(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test", anns="{set-host: one, haproxy.org/set-host: two}"))
        assert any("undefined" in n for n in get(r, "http://a.test/").notes)

    def test_disabled_frontends_refuse_connections(self) -> None:
        flags = list(parse_flags(None).given) + ["--disable-http"]
        r = mk(CLASS, svc("web"), ing("a", "a.test"), flags=flags)
        assert get(r, "http://a.test/").status == 0 and get(r, "https://a.test/").status == 200

    def test_https_without_any_certificate(self) -> None:
        r = mk(CLASS, svc("web"), ing("a", "a.test"), flags=["--ingress.class", "haproxy"])
        a = get(r, "https://a.test/")
        assert a.status == 0 and a.generated_by == "tls-handshake-failure"


class TestFlags:
    def test_space_separated_values_and_booleans(self) -> None:
        f = parse_flags(["--ingress.class", "x", "--empty-ingress-class", "--disable-quic=false"])
        assert (f.ingress_class, f.empty_ingress_class, f.disable_quic) == ("x", True, False)

    def test_unknown_flag_is_an_error(self) -> None:
        with pytest.raises(InputError, match="unknown controller flag --ingres.class"):
            parse_flags(["--ingres.class=haproxy"])


def test_configuration_as_plain_data() -> None:
    r = mk(CLASS, svc("web"), svc("beta", anns="{route-acl: 'cookie(b) -m found'}"),
           ing("a", "a.test", anns="{ssl-redirect: 'true'}"), ing("b", "a.test", backend="beta"))
    d = r.config.to_dict()
    assert d["maps"]["path-prefix"] == ["a.test/\t\t\te2e_svc_web_http.92afcf7456e1a884dd198b1f8bfb6f63"]
    assert d["frontends"]["http"] == [{"kind": "ssl-redirect", "type": 10, "id": "92afcf7456e1a884dd198b1f8bfb6f63",
                                       "guarded": True}]
    assert d["frontends"]["https"] == []
    assert d["use_backend"] == ["use_backend e2e_svc_beta_http if { var(txn.host) -m str a.test } "
                                "{ path -m beg / } { cookie(b) -m found }"]
    assert json.dumps(d)  # plain data


# ---------------------------------------------------------------------------------------------
# plugged in


def test_build_router_knows_haproxy() -> None:
    r = build_router("ingress", "haproxy", load_text("\n---\n".join([CLASS, svc("web"), ing("a", "a.test")])))
    assert isinstance(r, HAProxyRouter) and r.route(Request.from_url("GET", "http://a.test/")).status == 200


def test_cli_simulate_controller_haproxy(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "in.yaml"
    f.write_text("\n---\n".join([CLASS, svc("web"), ing("a", "a.test", anns="{path-rewrite: /x}")]))
    assert main(["simulate", "--side", "ingress", "--controller", "haproxy", "-f", str(f),
                 "--request", "GET http://a.test/p?q=1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backend"] == {"namespace": "e2e", "name": "web", "port": 80} and out["upstream_path"] == "/x?q=1"
