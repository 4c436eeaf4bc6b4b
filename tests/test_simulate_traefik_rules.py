"""The Traefik rule language (simulate/traefik/rules.py) and the Go behaviour it leans on
(gourl, goregex): parsing, precedence, errors, matcher semantics.

Expected values come from Traefik's docs and sources (pkg/rules/parser_test.go,
pkg/muxer/http/matcher_test.go, server_entrypoint_tcp_test.go TestSanitizePath) and from the
Go language and library specifications, not from the code under test.
"""

from __future__ import annotations

import re

import pytest

from ing2gw.simulate.traefik import goregex, gourl
from ing2gw.simulate.traefik.rules import (And, Call, MatchInput, Or, RuleError, Undecided, compile_node, parse,
                                           request_host_keys, required_hosts)


def req(host: str = "example.com", path: str = "/", method: str = "GET", headers: dict[str, list[str]] | None = None,
        query: str = "", client_ip: str | None = None) -> MatchInput:
    return MatchInput(host=host, raw_host=host, path=path, method=method, headers=headers or {}, raw_query=query,
                      client_ip=client_ip)


def matches(rule: str, r: MatchInput, syntax: str = "v3") -> bool:
    return compile_node(parse(rule, syntax), syntax)(r)


# ---- structure and precedence ---------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    a, b, c = Call("Host", ("a",)), Call("Path", ("/b",)), Call("Method", ("GET",))
    assert parse("Host(`a`) || Path(`/b`) && Method(`GET`)") == Or(a, And(b, c))
    assert parse("Host(`a`) && Path(`/b`) || Method(`GET`)") == Or(And(a, b), c)
    assert parse("(Host(`a`) || Path(`/b`)) && Method(`GET`)") == And(Or(a, b), c)


def test_operators_are_left_associative() -> None:
    a, b, c = Call("Host", ("a",)), Call("Host", ("b",)), Call("Host", ("c",))
    assert parse("Host(`a`) && Host(`b`) && Host(`c`)") == And(And(a, b), c)
    assert parse("Host(`a`) || Host(`b`) || Host(`c`)") == Or(Or(a, b), c)


def test_not_is_pushed_down_with_de_morgan() -> None:
    # rules.invert: !(a && b) = !a || !b, !(a || b) = !a && !b, !!a = a
    a, b = Call("Host", ("a",)), Call("Path", ("/b",))
    na, nb = Call("Host", ("a",), True), Call("Path", ("/b",), True)
    assert parse("!Host(`a`)") == na
    assert parse("!(Host(`a`) && Path(`/b`))") == Or(na, nb)
    assert parse("!(Host(`a`) || Path(`/b`))") == And(na, nb)
    assert parse("!!Host(`a`)") == a
    assert parse("!Host(`a`) && Path(`/b`)") == And(na, b)


def test_matcher_names_in_the_four_spellings_only() -> None:
    # rules.NewParser registers Name, lower, UPPER and Title(lower) of each matcher
    for name in ("PathPrefix", "pathprefix", "PATHPREFIX", "Pathprefix"):
        assert parse(f"{name}(`/a`)") == Call("PathPrefix", ("/a",))
    with pytest.raises(RuleError, match="unsupported matcher 'pathPrefix'"):
        parse("pathPrefix(`/a`)")


def test_string_literals_are_go_literals() -> None:
    assert parse('Path("/a\\"b")') == Call("Path", ('/a"b',))
    assert parse('Path("/caf\\u00e9")') == Call("Path", ("/café",))
    assert parse("Path(`/a\\nb`)") == Call("Path", ("/a\\nb",))  # raw: no escapes
    assert parse('Header("X", "a",)') == Call("Header", ("X", "a"))  # Go allows a trailing comma


@pytest.mark.parametrize("rule,message", [
    ("", "empty rule"),
    ("Host", "not a matcher call"),
    ("Host()", "no args for matcher Host"),
    ("Host(``)", "empty args for matcher Host"),
    ("Host(`a`) &&", "unexpected end of rule"),
    ("Host(`a`) ||", "unexpected end of rule"),
    ("Host(`a)", "raw string literal not terminated"),
    ("Host(`a`))", "expected end of rule"),
    ("(Host(`a`)", "expected ')'"),
    ("Foo(`a`)", "unsupported matcher 'Foo'"),
    ("Host('a')", "must be a string"),
    ("Host(1)", "must be a string"),
    ("Host(`a`) == Host(`b`)", "operator '==' is not supported"),
    ("Header(`X-A`)", "unexpected number of parameters for Header; got 1"),
    ("Host(`a`, `b`)", "unexpected number of parameters for Host; got 2"),
    ("Headers(`X`, `1`)", "a v2 matcher"),
    ('Path("\\q")', "unknown escape sequence"),
    ("Host(`a`)\n&& Path(`/b`)", "after a line break"),
])
def test_malformed_rules_are_refused(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse(rule)


def test_a_line_break_after_an_operator_is_fine() -> None:
    assert parse("Host(`a`) &&\n  Path(`/b`)") == And(Call("Host", ("a",)), Call("Path", ("/b",)))


@pytest.mark.parametrize("rule,message", [
    ("Path(`a`)", "does not start with a '/'"),
    ("PathPrefix(`a`)", "does not start with a '/'"),
    ("PathRegexp(`(?=x)`)", "look-around"),
    ("HostRegexp(`[a-`)", "compiling HostRegexp"),
    ("ClientIP(`10.0.0.0/33`)", "neither an IP address nor a CIDR"),
    ("Host(`exämple.com`)", "non-ASCII"),
])
def test_matchers_that_cannot_be_built(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        compile_node(parse(rule))


# ---- v3 matchers --------------------------------------------------------------------------


def test_host_one_label_wildcard_and_trailing_dots() -> None:
    # matcher_test.go TestHostMatcher: wildcard matches exactly one label; trailing dots tolerated
    assert matches("Host(`*.example.com`)", req("a.example.com"))
    assert not matches("Host(`*.example.com`)", req("a.b.example.com"))
    assert not matches("Host(`*.example.com`)", req("example.com"))
    assert matches("Host(`example.com`)", req("example.com."))
    assert matches("Host(`example.com.`)", req("example.com"))
    assert matches("Host(`EXAMPLE.com`)", req("example.com"))
    assert not matches("Host(`example.com`)", req(""))
    assert matches("Host(`*`)", req(""))


def test_path_prefix_is_a_string_prefix_and_path_is_equality() -> None:
    assert matches("PathPrefix(`/foo`)", req(path="/foobar"))
    assert not matches("PathPrefix(`/foo/`)", req(path="/foo"))
    assert matches("Path(`/foo`)", req(path="/foo"))
    assert not matches("Path(`/foo`)", req(path="/foo/"))
    assert matches("PathRegexp(`^/v[0-9]+$`)", req(path="/v12"))
    assert matches("PathRegexp(`v[0-9]`)", req(path="/api/v1/x"))  # unanchored MatchString
    assert not matches("PathRegexp(`^/v[0-9]+$`)", req(path="/v12\n"))  # Go's $ is end of text


def test_header_query_method_matchers() -> None:
    h = {"X-Env": ["prod", "blue"]}
    assert matches("Header(`x-env`, `blue`)", req(headers=h))  # canonical name, any value
    assert not matches("Header(`X-Env`, `prod,blue`)", req(headers=h))
    assert matches("HeaderRegexp(`X-Env`, `^bl`)", req(headers=h))
    # url.Query(): decoded keys and values, '+' is a space; Query(key) matches an empty value
    assert matches("Query(`q`, `a b`)", req(query="q=a+b"))
    assert matches("Query(`q`, `a/b`)", req(query="q=a%2Fb"))
    assert matches("Query(`flag`)", req(query="flag"))
    assert matches("Query(`flag`)", req(query="flag="))
    assert not matches("Query(`flag`)", req(query="flag=1"))
    assert matches("QueryRegexp(`id`, `^[0-9]+$`)", req(query="x=1&id=42"))
    assert matches("Method(`get`)", req(method="GET"))
    assert not matches("Method(`GET`)", req(method="POST"))


def test_client_ip_needs_the_address() -> None:
    m = compile_node(parse("ClientIP(`10.0.0.0/8`)"))
    assert m(req(client_ip="10.1.2.3"))
    assert not m(req(client_ip="192.0.2.1"))
    r = req(client_ip=None)
    with pytest.raises(Undecided):
        m(r)
    assert r.undecided


def test_negation_and_combinations_match() -> None:
    rule = "Host(`a.test`) && (Header(`X-Canary`, `1`) || Query(`canary`)) && !Method(`DELETE`)"
    assert matches(rule, req("a.test", headers={"X-Canary": ["1"]}))
    assert matches(rule, req("a.test", query="canary"))
    assert not matches(rule, req("a.test", query="canary", method="DELETE"))
    assert not matches(rule, req("b.test", query="canary"))


# ---- v2 syntax ----------------------------------------------------------------------------


def test_v2_matchers() -> None:
    assert matches("Host(`a.test`, `b.test`)", req("b.test"), "v2")
    assert matches("HostRegexp(`{sub:[a-z]+}.example.com`)", req("shop.example.com"), "v2")
    assert not matches("HostRegexp(`{sub:[a-z]+}.example.com`)", req("a.b.example.com"), "v2")
    assert matches("Path(`/user/{id:[0-9]+}`)", req(path="/user/42"), "v2")
    assert not matches("Path(`/user/{id:[0-9]+}`)", req(path="/user/42/x"), "v2")
    assert matches("PathPrefix(`/user/{id}`)", req(path="/user/me/x"), "v2")
    assert matches("Headers(`X-A`, `1`)", req(headers={"X-A": ["1"]}), "v2")
    assert matches("Method(`GET`, `POST`)", req(method="POST"), "v2")
    assert matches("Query(`a=b`)", req(query="a=b"), "v2")
    with pytest.raises(RuleError, match="multiple of 2"):
        compile_node(parse("Headers(`X-A`)", "v2"), "v2")
    with pytest.raises(RuleError, match="unsupported matcher 'PathRegexp'"):
        parse("PathRegexp(`/a`)", "v2")


# ---- the host index ---------------------------------------------------------------------


def test_required_hosts_is_a_necessary_condition() -> None:
    assert required_hosts(parse("Host(`A.test.`) && Path(`/`)")) == {"a.test"}
    assert required_hosts(parse("Host(`a.test`) || Host(`*.b.test`)")) == {"a.test", "*.b.test"}
    assert required_hosts(parse("Host(`a.test`) || Path(`/x`)")) is None
    assert required_hosts(parse("!Host(`a.test`)")) is None
    assert required_hosts(parse("HostRegexp(`^a`)")) is None
    assert required_hosts(parse("Host(`*`)")) is None
    assert request_host_keys("www.a.test.") == ("www.a.test", "*.a.test")
    assert request_host_keys("") == ()


# ---- Go net/url and path ------------------------------------------------------------------


@pytest.mark.parametrize("raw,cleaned", [
    # server_entrypoint_tcp_test.go TestSanitizePath and net/url JoinPath
    ("/b", "/b"), ("/b/", "/b/"), ("/../../b/", "/b/"), ("/../../b", "/b"), ("/a/b/..", "/a"), ("/a/b/../", "/a/"),
    ("/a/../../b", "/b"), ("/..///b///", "/b/"), ("/a/../b", "/b"), ("/a/./b", "/a/b"), ("//a//b", "/a/b"),
])
def test_join_path_cleans_like_go(raw: str, cleaned: str) -> None:
    assert gourl.parse_request_uri(raw).join_path().escaped_path() == cleaned


def test_go_url_keeps_the_clients_encoding() -> None:
    u = gourl.parse_request_uri("/a%2fb?x=1;y=2")
    assert u.path == "/a/b" and u.raw_path == "/a%2fb" and u.raw_query == "x=1;y=2"
    assert u.escaped_path() == "/a%2fb"
    v = gourl.parse_request_uri("/a%20b")
    assert v.raw_path == "" and v.escaped_path() == "/a%20b"  # Go's own encoding: RawPath not kept
    assert gourl.parse_request_uri("/a?").request_uri() == "/a?"
    with pytest.raises(gourl.GoURLError, match="invalid URL escape"):
        gourl.parse_request_uri("/a%zz")
    with pytest.raises(gourl.GoURLError):
        gourl.parse_request_uri("a")
    assert gourl.parse_query("a=1&a=2&b=%41+c&bad=%zz&") == {"a": ["1", "2"], "b": ["A c"]}
    assert gourl.clean("//a/./b/../c") == "/a/c"
    assert gourl.parse_url("https://H.test/p?q#f").string() == "https://H.test/p?q#f"


# ---- Go regexp ----------------------------------------------------------------------------


def test_go_regexp_translation() -> None:
    assert goregex.compile_go(r"(?<name>a+)b").match("aab").group("name") == "aa"
    assert goregex.compile_go(r"a(?i)b").fullmatch("aB")
    assert not goregex.compile_go(r"a(?i)b").fullmatch("AB")
    assert goregex.compile_go(r"x{,3}").fullmatch("x{,3}")  # a literal in Go
    assert goregex.compile_go(r"^\Qa.b\E$").match("a.b")
    assert goregex.compile_go(r"^[[:digit:]]+$").match("123")
    for bad in (r"(?=a)", r"(a)\1", r"a{1001}", r"(a", r"a)", r"a*+"):
        with pytest.raises(goregex.GoRegexError) as exc:
            goregex.compile_go(bad)
        assert exc.value.kind == "invalid"
    with pytest.raises(goregex.GoRegexError) as exc:
        goregex.compile_go(r"\pL")
    assert exc.value.kind == "unsupported"


def test_go_replace_all_and_expand() -> None:
    rx = goregex.compile_go(r"a*")
    # Go: an empty match right after a match is not replaced (Python's re.sub would give "-b--c-")
    assert goregex.replace_all(rx, "baaac", "-") == "-b-c-"
    rx2 = goregex.compile_go(r"^/(\w+)/(?P<rest>.*)$")
    assert goregex.replace_all(rx2, "/old/page", "/new/$2") == "/new/page"
    assert goregex.replace_all(rx2, "/old/page", "/$1x") == "/"  # $1x names group "1x": empty
    assert goregex.replace_all(rx2, "/old/page", "/${1}x/${rest}") == "/oldx/page"
    assert goregex.replace_all(rx2, "/old/page", "$$1") == "$1"
