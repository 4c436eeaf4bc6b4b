"""Unit tests of the Gateway API router: each precedence step, each filter's edge cases,
listener choice, attachment, backends, GRPCRoute, TLSRoute, bad input and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ing2gw.cli import main
from ing2gw.errors import InputError, UsageError
from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate import build_router
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.gateway_filters import (apply_header_ops, cors_response_headers, modify_path, origin_allowed,
                                             redirect_location, replace_prefix)
from ing2gw.simulate.gateway_match import (hostname_matches, intersect_hostnames, prefix_key, request_hostname,
                                           request_prefix_keys)
from ing2gw.simulate.gateway_objects import CorsSpec, HeaderOps, PathModifier, RedirectSpec, Selector
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Request

GW = "gateway.networking.k8s.io/v1"


# ---------------------------------------------------------------------------------------------
# helpers


def gateway(*listeners: dict[str, Any], name: str = "gw", ns: str = "infra", **spec: Any) -> dict[str, Any]:
    ls = list(listeners) or [listener()]
    return {"apiVersion": GW, "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayClassName": "test", "listeners": ls, **spec}}


def listener(name: str = "http", port: int = 80, protocol: str = "HTTP", hostname: str | None = None,
             frm: str = "All", **extra: Any) -> dict[str, Any]:
    li: dict[str, Any] = {"name": name, "port": port, "protocol": protocol,
                          "allowedRoutes": {"namespaces": {"from": frm}}}
    if hostname:
        li["hostname"] = hostname
    if protocol == "HTTPS":
        li["tls"] = {"certificateRefs": [{"name": "cert"}]}
    li.update(extra)
    return li


def backend(name: str, port: int = 8080, **extra: Any) -> dict[str, Any]:
    return {"name": name, "port": port, **extra}


def route(name: str, *rules: dict[str, Any], ns: str = "apps", hostnames: list[str] | None = None,
          parents: list[dict[str, Any]] | None = None, kind: str = "HTTPRoute",
          created: str | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if created:
        md["creationTimestamp"] = created
    spec: dict[str, Any] = {"parentRefs": parents or [{"name": "gw", "namespace": "infra"}],
                            "rules": list(rules) or [{"backendRefs": [backend(name)]}]}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": GW, "kind": kind, "metadata": md, "spec": spec}


def rule(*matches: dict[str, Any], to: str | None = None, filters: list[dict[str, Any]] | None = None,
         backends: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = dict(extra)
    if matches:
        r["matches"] = list(matches)
    if backends is not None:
        r["backendRefs"] = backends
    elif to:
        r["backendRefs"] = [backend(to)]
    if filters:
        r["filters"] = filters
    return r


def prefix(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}, **extra}


def exact(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "Exact", "value": value}, **extra}


def regex(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "RegularExpression", "value": value}, **extra}


def hdrs(**values: str) -> list[dict[str, str]]:
    return [{"name": k.replace("_", "-"), "value": v} for k, v in values.items()]


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def service(name: str, ns: str = "apps", port: int = 8080) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"port": port}]}}


def build(*objs: dict[str, Any], context: ClusterContext | None = None, **kw: Any) -> GatewayRouter:
    return GatewayRouter([Manifest(o, Origin("test.yaml", i + 1)) for i, o in enumerate(objs)], context, **kw)


def req(url: str, method: str = "GET", headers: dict[str, str] | None = None, **kw: Any) -> Request:
    return Request.from_url(method, url, list((headers or {}).items()), **kw)


def to(router: GatewayRouter, url: str, **kw: Any) -> str | None:
    """The name of the Service that serves the request, or 'STATUS' when the gateway answers."""
    a = router.route(req(url, **kw))
    return a.backend.name if a.backend and a.status == 200 else str(a.status)


# ---------------------------------------------------------------------------------------------
# hostnames


@pytest.mark.parametrize("pattern,host,ok", [
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "a.b.example.com", True),       # one OR MORE labels
    ("*.example.com", "example.com", False),          # never the apex
    ("*.example.com", "aexample.com", False),
    ("foo.example.com", "foo.example.com", True),
    ("foo.example.com", "bar.example.com", False),
    (None, "anything.test", True),
])
def test_hostname_wildcard_matches_one_or_more_labels(pattern: str | None, host: str, ok: bool) -> None:
    assert hostname_matches(pattern, host) is ok


@pytest.mark.parametrize("header,expected", [
    ("Foo.Example.COM:8080", "foo.example.com"), ("foo", "foo"), ("[::1]:80", "[::1]"), (None, ""),
])
def test_request_hostname_drops_port_and_case(header: str | None, expected: str) -> None:
    assert request_hostname(header) == expected


@pytest.mark.parametrize("lst,rte,expected", [
    (None, (), [None]),
    ("foo.com", (), ["foo.com"]),
    (None, ("a.com", "*.b.com"), ["a.com", "*.b.com"]),
    ("very.specific.com", ("*.specific.com",), ["very.specific.com"]),
    ("*.wildcard.io", ("wildcard.io", "foo.wildcard.io", "foo.bar.wildcard.io"), ["foo.wildcard.io", "foo.bar.wildcard.io"]),
    ("*.com", ("*.example.com",), ["*.example.com"]),
    ("*.example.com", ("*.com",), ["*.example.com"]),
    ("sub.domain.example.com", ("*.example.com",), ["sub.domain.example.com"]),
    ("foo.com", ("bar.com",), []),
])
def test_hostname_intersection(lst: str | None, rte: tuple[str, ...], expected: list[str | None]) -> None:
    assert intersect_hostnames(lst, rte) == expected


def test_route_hostnames_outside_the_listener_are_ignored_and_no_intersection_is_not_accepted() -> None:
    r = build(gateway(listener(hostname="*.example.com")),
              route("a", hostnames=["a.example.com", "other.org"]),
              route("b", hostnames=["b.other.org"]))
    assert to(r, "http://a.example.com/") == "a"
    assert to(r, "http://other.org/") == "404"
    cond = r.status().route_parent("HTTPRoute", "apps", "b", "infra", "gw")[0].condition("Accepted")
    assert cond is not None and (cond.status, cond.reason) == ("False", "NoMatchingListenerHostname")


# ---------------------------------------------------------------------------------------------
# listeners


def test_listener_choice_most_specific_and_isolated() -> None:
    r = build(gateway(listener("any"), listener("wild", hostname="*.example.com"),
                      listener("wild-foo", hostname="*.foo.example.com"), listener("abc", hostname="abc.foo.example.com")),
              route("to-any", rule(prefix("/any"), to="any"), parents=[{"name": "gw", "namespace": "infra", "sectionName": "any"}]),
              route("to-wild", rule(prefix("/wild"), to="wild"), parents=[{"name": "gw", "namespace": "infra", "sectionName": "wild"}]),
              route("to-abc", rule(prefix("/abc"), to="abc"), parents=[{"name": "gw", "namespace": "infra", "sectionName": "abc"}]))
    assert to(r, "http://x.example.com/wild") == "wild"
    assert to(r, "http://abc.foo.example.com/abc") == "abc"
    # isolation: a request never falls through to a less specific listener
    assert to(r, "http://abc.foo.example.com/wild") == "404"
    assert to(r, "http://bar.foo.example.com/wild") == "404"   # *.foo.example.com has no routes
    assert to(r, "http://other.org/any") == "any"
    a = r.route(req("http://other.org/wild"))
    assert a.status == 404 and a.generated_by == "no-route" and dict(a.decided_by)["listener"] == "any"


def test_listener_port_is_part_of_the_choice() -> None:
    r = build(gateway(listener("l80", 80, hostname="foo.com"), listener("l8080", 8080, hostname="foo.com"),
                      listener("bar8080", 8080, hostname="bar.com")),
              route("r80", parents=[{"name": "gw", "namespace": "infra", "port": 80}]),
              route("r8080", parents=[{"name": "gw", "namespace": "infra", "port": 8080}]))
    assert to(r, "http://foo.com/") == "r80"
    assert to(r, "http://foo.com:8080/") == "r8080"
    assert to(r, "http://bar.com:8080/") == "r8080"
    a = r.route(req("http://foo.com:9999/"))
    assert (a.status, a.generated_by) == (0, "connection-refused")


def test_https_sni_then_host_misdirected_421_and_404() -> None:
    r = build(gateway(listener("any", 443, "HTTPS"), listener("second", 443, "HTTPS", hostname="second.org")),
              route("one", hostnames=["example.org"], parents=[{"name": "gw", "namespace": "infra", "sectionName": "any"}]),
              route("two", parents=[{"name": "gw", "namespace": "infra", "sectionName": "second"}]))
    assert to(r, "https://example.org/") == "one"
    assert to(r, "https://second.org/") == "two"
    a = r.route(req("https://example.org/", headers={"Host": "second.org"}))
    assert (a.status, a.generated_by) == (421, "misdirected-request")
    a = r.route(req("https://second.org/", headers={"Host": "example.org"}))
    assert a.status == 421
    assert to(r, "https://unknown.org/") == "404"       # the catch-all listener, no route


def test_https_without_matching_listener_or_certificate_has_no_http_answer() -> None:
    r = build(gateway(listener("only", 443, "HTTPS", hostname="a.org")), route("r"))
    a = r.route(req("https://b.org/"))
    assert (a.status, a.generated_by) == (0, "tls-no-listener")
    r = build(gateway(listener("only", 443, "HTTPS", hostname="a.org")), route("r"),
              context=ClusterContext(secrets="input"))
    a = r.route(req("https://a.org/"))
    assert (a.status, a.generated_by) == (0, "tls-handshake-failed")
    # plain HTTP to a TLS port, TLS to a plain port
    assert r.route(req("http://a.org:443/")).generated_by == "tls-expected"
    r = build(gateway(listener()), route("r"))
    assert r.route(req("https://a.org:80/")).generated_by == "tls-handshake-failed"


def test_certificate_from_another_namespace_needs_a_reference_grant() -> None:
    li = listener("s", 443, "HTTPS")
    li["tls"] = {"certificateRefs": [{"name": "cert", "namespace": "certs"}]}
    assert build(gateway(li), route("r")).route(req("https://a.org/")).generated_by == "tls-handshake-failed"
    grant = {"apiVersion": GW, "kind": "ReferenceGrant", "metadata": {"name": "g", "namespace": "certs"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra"}],
                      "to": [{"group": "", "kind": "Secret"}]}}
    assert build(gateway(li), route("r"), grant).route(req("https://a.org/")).status == 200


def test_tcp_and_custom_protocol_listeners_are_not_modelled() -> None:
    r = build(gateway(listener("tcp", 5432, "TCP"), listener("custom", 9000, "example.com/quic"), listener()))
    for url in ("http://db:5432/", "http://x:9000/"):
        a = r.route(req(url))
        assert (a.status, a.generated_by) == (0, "not-modelled") and a.unmodelled, url


def test_several_gateways_on_one_port_are_noted_and_selectable() -> None:
    r = build(gateway(name="b"), gateway(name="a"), route("ra", parents=[{"name": "a", "namespace": "infra"}]),
              route("rb", parents=[{"name": "b", "namespace": "infra"}]))
    a = r.route(req("http://x/"))
    assert a.backend is not None and a.backend.name == "ra" and any("all listen on port 80" in n for n in a.notes)
    assert r.route(req("http://x/"), gateway="infra/b").backend == BackendRef("apps", "rb", 8080)
    r.select_gateway(("infra", "b"))
    assert to(r, "http://x/") == "rb"
    with pytest.raises(UsageError):
        r.route(req("http://x/"), gateway="infra/missing")


# ---------------------------------------------------------------------------------------------
# attachment


def test_allowed_routes_same_all_and_selector() -> None:
    sel = listener("sel", frm="Selector", hostname="sel.com")
    sel["allowedRoutes"]["namespaces"]["selector"] = {
        "matchLabels": {"team": "web"},
        "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "stage"]},
                             {"key": "legacy", "operator": "DoesNotExist"}]}
    r = build(gateway(listener("same", frm="Same", hostname="same.com"), listener("all", hostname="all.com"), sel),
              namespace("web-prod", team="web", env="prod"), namespace("web-dev", team="web", env="dev"),
              namespace("web-old", team="web", env="prod", legacy="yes"),
              route("infra-r", ns="infra"), route("prod-r", ns="web-prod"), route("dev-r", ns="web-dev"),
              route("old-r", ns="web-old"))
    assert to(r, "http://same.com/") == "infra-r"
    assert to(r, "http://sel.com/") == "prod-r"
    status = r.status()
    assert status.attached_routes("infra", "gw") == {"same": 1, "all": 4, "sel": 1}
    dev = status.route_parent("HTTPRoute", "web-dev", "dev-r", "infra", "gw")[0].condition("Accepted")
    assert dev is not None and dev.status == "True"   # attached to "all"


@pytest.mark.parametrize("op,values,labels,ok", [
    ("In", ("a", "b"), {"k": "a"}, True), ("In", ("a",), {"k": "c"}, False), ("In", ("a",), {}, False),
    ("NotIn", ("a",), {"k": "b"}, True), ("NotIn", ("a",), {"k": "a"}, False), ("NotIn", ("a",), {}, True),
    ("Exists", (), {"k": "x"}, True), ("Exists", (), {}, False),
    ("DoesNotExist", (), {}, True), ("DoesNotExist", (), {"k": ""}, False),
])
def test_selector_expressions(op: str, values: tuple[str, ...], labels: dict[str, str], ok: bool) -> None:
    assert Selector((), (("k", op, values),)).matches(labels) is ok


def test_selector_on_a_namespace_missing_from_the_input_is_reported() -> None:
    sel = listener("sel", frm="Selector")
    sel["allowedRoutes"]["namespaces"]["selector"] = {"matchLabels": {"team": "web"}}
    r = build(gateway(sel), route("r", ns="unknown-ns"))
    a = r.route(req("http://x/"))
    assert a.status == 404 and any("unknown-ns is not in the input" in u for u in a.unmodelled)
    # the API server's own label is known for every namespace
    sel["allowedRoutes"]["namespaces"]["selector"] = {"matchLabels": {"kubernetes.io/metadata.name": "unknown-ns"}}
    assert to(build(gateway(sel), route("r", ns="unknown-ns")), "http://x/") == "r"


def test_parent_ref_section_name_port_and_kinds() -> None:
    tls_only = listener("tls", 443, "TLS", tls={"mode": "Passthrough"}, allowedRoutes={"kinds": [{"kind": "TLSRoute"}]})
    r = build(gateway(listener(), tls_only),
              route("bad-section", parents=[{"name": "gw", "namespace": "infra", "sectionName": "nope"}]),
              route("bad-port", parents=[{"name": "gw", "namespace": "infra", "port": 81}]),
              route("bad-kind", parents=[{"name": "gw", "namespace": "infra", "sectionName": "tls"}]),
              route("no-gw", parents=[{"name": "missing", "namespace": "infra"}]))
    st = r.status()

    def reason(name: str, parent: str = "gw") -> str:
        cond = st.route_parent("HTTPRoute", "apps", name, "infra", parent)[0].condition("Accepted")
        assert cond is not None and cond.status == "False"
        return cond.reason

    assert reason("bad-section") == "NoMatchingParent"
    assert reason("bad-port") == "NoMatchingParent"
    assert reason("bad-kind") == "NotAllowedByListeners"
    assert reason("no-gw", "missing") == "NoMatchingParent"
    assert st.attached_routes("infra", "gw") == {"http": 0, "tls": 0}


def test_listener_set_listeners_attach_only_when_the_gateway_allows() -> None:
    ls = {"apiVersion": GW, "kind": "ListenerSet", "metadata": {"name": "ls", "namespace": "apps"},
          "spec": {"parentRef": {"name": "gw", "namespace": "infra"},
                   "listeners": [listener("extra", hostname="extra.com", frm="Same")]}}
    via_ls = route("via-ls", parents=[{"kind": "ListenerSet", "name": "ls", "namespace": "apps"}])
    closed = build(gateway(listener(hostname="gw.com")), ls, via_ls)
    assert to(closed, "http://extra.com/") == "404"
    opened = build(gateway(listener(hostname="gw.com"), allowedListeners={"namespaces": {"from": "All"}}), ls, via_ls)
    assert to(opened, "http://extra.com/") == "via-ls"
    assert dict(opened.route(req("http://extra.com/")).decided_by)["listener"] == "ListenerSet apps/ls extra"


# ---------------------------------------------------------------------------------------------
# precedence, one step at a time


def test_precedence_hostname_specificity_comes_first() -> None:
    r = build(gateway(), route("wild", rule(exact("/x"), to="wild"), hostnames=["*.example.com"]),
              route("longer-wild", rule(prefix("/"), to="longer-wild"), hostnames=["*.a.example.com"]),
              route("exact-host", rule(prefix("/"), to="exact-host"), hostnames=["foo.example.com"]),
              route("any", rule(exact("/x"), to="any")))
    assert to(r, "http://foo.example.com/x") == "exact-host"     # exact hostname beats an Exact path
    assert to(r, "http://b.a.example.com/x") == "longer-wild"    # longer wildcard first
    assert to(r, "http://b.example.com/x") == "wild"
    assert to(r, "http://other.org/x") == "any"


def test_precedence_falls_back_to_less_specific_hostnames_with_a_note() -> None:
    r = build(gateway(), route("specific", rule(prefix("/only"), to="specific"), hostnames=["foo.example.com"]),
              route("any", rule(prefix("/"), to="any")))
    a = r.route(req("http://foo.example.com/other"))
    assert a.backend is not None and a.backend.name == "any"
    assert any("virtual host first" in n for n in a.notes)


def test_precedence_exact_beats_prefix_and_longest_prefix_wins() -> None:
    r = build(gateway(), route("r", rule(prefix("/a", headers=hdrs(x="1")), to="prefix-with-header"),
                               rule(exact("/a/b"), to="exact"), rule(prefix("/a/b/"), to="longer"),
                               rule(prefix("/a"), to="short")))
    assert to(r, "http://h/a/b", headers={"x": "1"}) == "exact"
    assert to(r, "http://h/a/b/c", headers={"x": "1"}) == "longer"
    assert to(r, "http://h/a/b/") == "longer"     # trailing slash of the prefix is ignored
    assert to(r, "http://h/a/bc", headers={"x": "1"}) == "prefix-with-header"
    assert to(r, "http://h/a/bc") == "short"


@pytest.mark.parametrize("path,ok", [("/abc", True), ("/abc/", True), ("/abc/def", True), ("/abcd", False),
                                     ("/ABC", False), ("/", False)])
def test_path_prefix_is_element_wise_and_case_sensitive(path: str, ok: bool) -> None:
    r = build(gateway(), route("r", rule(prefix("/abc/"), to="r")))
    assert (to(r, f"http://h{path}") == "r") is ok


def test_exact_path_is_exact() -> None:
    r = build(gateway(), route("r", rule(exact("/two"), to="r")))
    assert [to(r, f"http://h{p}") for p in ("/two", "/two/", "/Two", "/two?x=1")] == ["r", "404", "404", "r"]


def test_request_prefix_keys() -> None:
    assert request_prefix_keys("/a/b") == ["/a/b", "/a", ""]
    assert request_prefix_keys("/a/b/") == ["/a/b", "/a", ""]
    assert request_prefix_keys("/") == [""]


def test_precedence_method_then_headers_then_query() -> None:
    r = build(gateway(), route("r",
                               rule(prefix("/", headers=hdrs(a="1", b="2"), queryParams=[{"name": "q", "value": "1"}]), to="hq"),
                               rule(prefix("/", method="GET"), to="method"),
                               rule(prefix("/", headers=hdrs(a="1"), queryParams=[{"name": "q", "value": "1"},
                                                                                  {"name": "r", "value": "1"}]), to="h1q2"),
                               rule(prefix("/", queryParams=[{"name": "q", "value": "1"}]), to="query")))
    assert to(r, "http://h/?q=1&r=1", headers={"a": "1", "b": "2"}) == "method"        # method beats headers
    assert to(r, "http://h/?q=1&r=1", method="POST", headers={"a": "1", "b": "2"}) == "hq"  # 2 headers beat 1
    assert to(r, "http://h/?q=1&r=1", method="POST", headers={"a": "1"}) == "h1q2"
    assert to(r, "http://h/?q=1", method="POST") == "query"
    assert to(r, "http://h/?Q=1", method="POST") == "404"     # query names are case-sensitive


def test_header_match_names_are_case_insensitive_values_exact_and_regex() -> None:
    r = build(gateway(), route("r", rule(prefix("/", headers=[{"name": "X-Ver", "value": "v[0-9]+", "type": "RegularExpression"}]),
                                         to="regex"),
                               rule(prefix("/", headers=hdrs(Color="Blue")), to="blue")))
    assert to(r, "http://h/", headers={"x-ver": "v12"}) == "regex"
    assert to(r, "http://h/", headers={"x-ver": "v12x"}) == "404"       # full match
    assert to(r, "http://h/", headers={"COLOR": "Blue"}) == "blue"
    assert to(r, "http://h/", headers={"color": "blue"}) == "404"


def test_precedence_oldest_route_then_name_then_rule_order() -> None:
    same = rule(prefix("/"), to=None)
    old = route("z-old", {**same, "backendRefs": [backend("z-old")]}, created="2024-01-01T00:00:00Z")
    new = route("a-new", {**same, "backendRefs": [backend("a-new")]}, created="2025-01-01T00:00:00Z")
    assert to(build(gateway(), new, old), "http://h/") == "z-old"
    no_ts = route("b", {**same, "backendRefs": [backend("b")]})
    assert to(build(gateway(), no_ts, new), "http://h/") == "a-new"    # no timestamp = created last
    r = build(gateway(), route("b", rule(prefix("/"), to="b")), route("a", rule(prefix("/"), to="a1"),
                                                                        rule(prefix("/"), to="a2")))
    a = r.route(req("http://h/"))
    assert a.backend is not None and a.backend.name == "a1"   # namespace/name, then first rule
    assert any("creationTimestamp" in u for u in a.unmodelled)
    r = build(gateway(), route("b", rule(prefix("/"), to="b"), ns="a-ns"), route("a", rule(prefix("/"), to="a"), ns="b-ns"))
    assert to(r, "http://h/") == "b"


def test_regex_paths_rank_after_prefix_and_say_so() -> None:
    r = build(gateway(), route("r", rule(regex("/api/v[0-9]+/.*"), to="regex"), rule(prefix("/api"), to="prefix"),
                               rule(regex("/only-regex/.*"), to="only")))
    a = r.route(req("http://h/api/v1/x"))
    assert a.backend is not None and a.backend.name == "prefix"
    assert any("implementation-specific" in u for u in a.unmodelled)
    a = r.route(req("http://h/only-regex/x"))
    assert a.backend is not None and a.backend.name == "only" and not a.unmodelled
    assert to(r, "http://h/only-regex") == "404"     # full match
    r = build(gateway(), route("r", rule(regex("/(?=x).*"), to="look")))
    assert any("RE2" in u for u in r.route(req("http://h/x")).unmodelled)


def test_matches_within_a_rule_are_ored_and_fields_anded() -> None:
    r = build(gateway(), route("r", rule(prefix("/a", method="PUT"), {"headers": hdrs(v="1")}, to="r")))
    assert to(r, "http://h/a", method="PUT") == "r"
    assert to(r, "http://h/b", headers={"v": "1"}) == "r"
    assert to(r, "http://h/a") == "404"


# ---------------------------------------------------------------------------------------------
# filters


@pytest.mark.parametrize("path,match,repl,expected", [
    ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
    ("/foo", "/foo", "/xyz", "/xyz"),
    ("/foo/", "/foo", "/xyz", "/xyz/"),
    ("/foo/bar", "/foo", "", "/bar"),
    ("/foo/", "/foo", "", "/"),
    ("/foo", "/foo", "", "/"),
    ("/foo/", "/foo", "/", "/"),
    ("/foo", "/foo", "/", "/"),
])
def test_replace_prefix_match_spec_table(path: str, match: str, repl: str, expected: str) -> None:
    assert replace_prefix(path, match, repl) == expected


def test_replace_full_path_ignores_the_matched_prefix() -> None:
    assert modify_path("/a/b/c", PathModifier("ReplaceFullPath", "/x"), "/a") == "/x"
    assert modify_path("/a/b/c", PathModifier("ReplacePrefixMatch", "/x"), "/a") == "/x/b/c"


def test_url_rewrite_end_to_end_keeps_the_query() -> None:
    rw = {"type": "URLRewrite", "urlRewrite": {"hostname": "internal.svc",
                                                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"}}}
    full = {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/fixed"}}}
    r = build(gateway(), route("r", rule(prefix("/v1/"), to="r", filters=[rw]), rule(prefix("/full"), to="r", filters=[full])))
    a = r.route(req("http://shop.com:8080/v1/items?x=1", port=80))
    assert (a.upstream_host, a.upstream_path) == ("internal.svc", "/v2/items?x=1")
    a = r.route(req("http://shop.com:8080/full/a/b", port=80))
    assert (a.upstream_host, a.upstream_path) == ("shop.com:8080", "/fixed")   # Host as sent, port kept


@pytest.mark.parametrize("listener_port,req_scheme,scheme,port,expected", [
    (80, "http", None, None, "http://example.org/p"),
    (8080, "http", None, None, "http://example.org:8080/p"),      # no scheme: the listener port
    (443, "https", None, None, "https://example.org/p"),
    (443, "https", None, 8443, "https://example.org:8443/p"),
    (8080, "http", "https", None, "https://example.org/p"),       # scheme set: its well-known port
    (443, "https", "http", None, "http://example.org/p"),
    (80, "http", None, 80, "http://example.org/p"),
    (8080, "http", None, 80, "http://example.org/p"),
    (80, "http", None, 8080, "http://example.org:8080/p"),
    (80, "http", "https", 443, "https://example.org/p"),
    (80, "http", "https", 8443, "https://example.org:8443/p"),
    (443, "https", "http", 8080, "http://example.org:8080/p"),
    (443, "https", None, 80, "https://example.org:80/p"),
])
def test_redirect_port_defaulting(listener_port: int, req_scheme: str, scheme: str | None, port: int | None,
                                  expected: str) -> None:
    rd = RedirectSpec(scheme, "example.org", port, None, 302)
    assert redirect_location(rd, req_scheme, "original.com:1234", "/p", None, listener_port, None) == expected


def test_redirect_end_to_end_defaults() -> None:
    r = build(gateway(), route("r",
                               rule(prefix("/old"), filters=[{"type": "RequestRedirect", "requestRedirect": {
                                   "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"}}}]),
                               rule(prefix("/tls"), filters=[{"type": "RequestRedirect", "requestRedirect": {
                                   "scheme": "https", "statusCode": 301}}])))
    a = r.route(req("http://shop.com/old/x?q=1"))
    assert a.redirect is not None and (a.status, a.redirect.location, a.generated_by) == (
        302, "http://shop.com/new/x?q=1", "redirect")
    a = r.route(req("http://shop.com:80/tls"))
    assert a.redirect is not None and (a.status, a.redirect.location) == (301, "https://shop.com/tls")


def test_header_modifier_set_add_remove_case_insensitive() -> None:
    ops = HeaderOps(set=(("X-Set", "new"),), add=(("X-Add", "b"), ("X-New", "n")), remove=("X-GONE",))
    before = [("x-set", "old"), ("x-set", "older"), ("x-add", "a"), ("x-gone", "1"), ("x-keep", "k")]
    assert apply_header_ops(before, ops) == [("x-set", "new"), ("x-add", "a,b"), ("x-keep", "k"), ("x-new", "n")]
    assert apply_header_ops([], HeaderOps(remove=("x",))) == []


def test_request_and_backend_level_header_modifiers_and_response_headers() -> None:
    rule_mod = {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-Rule", "value": "1"}],
                                                                           "remove": ["Cookie"]}}
    resp_mod = {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [{"name": "X-Resp", "value": "r"}],
                                                                             "remove": ["Server"]}}
    b1 = backend("v1", weight=1, filters=[{"type": "RequestHeaderModifier", "requestHeaderModifier": {
        "set": [{"name": "Backend", "value": "v1"}]}}])
    b2 = backend("v2", weight=1, filters=[{"type": "RequestHeaderModifier", "requestHeaderModifier": {
        "set": [{"name": "Backend", "value": "v2"}]}}])
    r = build(gateway(), route("r", rule(prefix("/"), backends=[b1, b2], filters=[rule_mod, resp_mod])))
    request = req("http://h/", headers={"COOKIE": "a=b", "X-Rule": "0", "Other": "o"})
    a = r.route(request)
    assert dict(a.upstream_headers) == {"x-rule": "1", "other": "o", "backend": "v1"}
    assert a.response_headers == (("x-resp", "r"),)
    assert any("server is removed" in n for n in a.notes)
    v2 = r.decide(request, for_backend=BackendRef("apps", "v2", 8080)).answer
    assert dict(v2.upstream_headers)["backend"] == "v2"
    full = r.decide(request, backend_response_headers=[("Server", "echo"), ("X-Resp", "from-backend")]).answer
    assert full.response_headers == (("x-resp", "from-backend,r"),)


def test_header_modifier_setting_host_changes_upstream_host() -> None:
    mod = {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "Host", "value": "inner"}]}}
    a = build(gateway(), route("r", rule(to="r", filters=[mod]))).route(req("http://outer/"))
    assert a.upstream_host == "inner" and "host" not in dict(a.upstream_headers)


def test_request_mirror_fractions_and_invalid_mirror() -> None:
    def mirror(name: str, **extra: Any) -> dict[str, Any]:
        return {"type": "RequestMirror", "requestMirror": {"backendRef": backend(name), **extra}}
    r = build(gateway(), route("r", rule(to="main", filters=[mirror("all"), mirror("some", percent=20),
                                                          mirror("frac", fraction={"numerator": 1, "denominator": 4}),
                                                          mirror("none", percent=0)])))
    d = r.decide(req("http://h/"))
    assert {b.name: f for b, f in d.mirrors} == {"all": 1.0, "some": 0.2, "frac": 0.25, "none": 0.0}
    assert [b.name for b in d.answer.mirrored_to] == ["all", "some", "frac"]
    r = build(gateway(), route("r", rule(to="main", filters=[mirror("missing")])), service("main"),
              context=ClusterContext(services="input"))
    a = r.route(req("http://h/"))
    assert a.status == 200 and a.mirrored_to == () and any("dropped" in n for n in a.notes)


def test_cors_preflight_answered_by_the_gateway_and_headers_on_actual_requests() -> None:
    cors = {"type": "CORS", "cors": {"allowOrigins": ["https://*.foo.com"], "allowMethods": ["GET", "PUT"],
                                     "allowHeaders": ["x-a"], "exposeHeaders": ["x-e"], "allowCredentials": True}}
    r = build(gateway(), route("r", rule(prefix("/"), to="r", filters=[cors])))
    pre = r.route(req("http://h/", method="OPTIONS", headers={"Origin": "https://a.b.foo.com",
                                                               "Access-Control-Request-Method": "PUT"}))
    assert (pre.status, pre.generated_by, pre.backend) == (200, "cors-preflight", None)
    h = dict(pre.response_headers)
    assert h["access-control-allow-origin"] == "https://a.b.foo.com"
    assert h["access-control-allow-methods"] == "GET, PUT" and h["access-control-max-age"] == "5"
    assert h["access-control-allow-credentials"] == "true"
    denied = r.route(req("http://h/", method="OPTIONS", headers={"Origin": "https://foo.com",
                                                                  "Access-Control-Request-Method": "PUT"}))
    assert denied.generated_by == "cors-preflight" and denied.response_headers == ()
    actual = r.route(req("http://h/", headers={"Origin": "https://x.foo.com"}))
    assert actual.backend is not None and dict(actual.response_headers)["access-control-expose-headers"] == "x-e"
    plain_options = r.route(req("http://h/", method="OPTIONS"))
    assert plain_options.generated_by is None and plain_options.status == 200


@pytest.mark.parametrize("origins,origin,ok", [
    (("*",), "https://anything.io:1", True),
    (("https://www.foo.com",), "https://www.foo.com", True),
    (("https://www.foo.com",), "https://www.foo.com:443", True),     # default port
    (("https://www.foo.com",), "http://www.foo.com", False),
    (("https://*.bar.com",), "https://a.b.bar.com", True),
    (("https://*.bar.com",), "https://bar.com", False),
    (("http://a.com:8080",), "http://a.com:8080", True),
    (("http://a.com:8080",), "http://a.com", False),
])
def test_cors_origin_matching(origins: tuple[str, ...], origin: str, ok: bool) -> None:
    assert origin_allowed(CorsSpec(origins, (), (), (), 5, False), origin) is ok


def test_cors_wildcards_with_and_without_credentials() -> None:
    open_ = CorsSpec(("*",), ("*",), ("*",), (), 5, False)
    h = dict(cors_response_headers(open_, "https://o.com", True, "PUT", "x-a"))
    assert h["access-control-allow-origin"] == "*" and h["access-control-allow-methods"] == "*"
    assert "access-control-allow-credentials" not in h
    creds = CorsSpec(("*",), ("*",), ("*",), ("*",), 5, True)
    h = dict(cors_response_headers(creds, "https://o.com", True, "PUT", "x-a, x-b"))
    assert (h["access-control-allow-origin"], h["access-control-allow-methods"], h["access-control-allow-headers"]) == (
        "https://o.com", "PUT", "x-a, x-b")
    assert "access-control-expose-headers" not in h
    assert "access-control-allow-headers" not in dict(cors_response_headers(creds, "https://o.com", True, "PUT", None))


# ---------------------------------------------------------------------------------------------
# backends


def test_weights_are_fractions_and_zero_gets_nothing() -> None:
    r = build(gateway(), route("r", rule(backends=[backend("a", weight=3), backend("b", weight=1), backend("c", weight=0)])))
    a = r.route(req("http://h/"))
    assert {s.backend.name: s.weight for s in a.backends if s.backend} == {"a": 0.75, "b": 0.25, "c": 0.0}
    assert a.backend is not None and a.backend.name == "a"


def test_all_zero_weights_and_no_backends_give_500() -> None:
    r = build(gateway(), route("r", rule(prefix("/zero"), backends=[backend("a", weight=0), backend("b", weight=0)]),
                               rule(prefix("/none")), rule(prefix("/empty"), backends=[])))
    assert r.route(req("http://h/zero")).generated_by == "all-weights-zero"
    for path in ("/none", "/empty"):
        a = r.route(req(f"http://h{path}"))
        assert (a.status, a.generated_by, a.backend) == (500, "no-backends", None)
    one = build(gateway(), route("r", rule(backends=[backend("a", weight=0)]))).route(req("http://h/"))
    assert one.status == 500 and any("traffic-splitting guide" in u for u in one.unmodelled)


def test_invalid_backends_get_500_for_their_share() -> None:
    ctx = ClusterContext(services="input")
    r = build(gateway(), service("ok"),
              route("r", rule(prefix("/kind"), backends=[{"group": "example.com", "kind": "Thing", "name": "x"}]),
                    rule(prefix("/missing"), backends=[backend("ghost")]),
                    rule(prefix("/half"), backends=[backend("ok"), backend("ghost")]),
                    rule(prefix("/port"), backends=[backend("ok", port=9999)])), context=ctx)
    assert r.route(req("http://h/kind")).status == 500
    a = r.route(req("http://h/missing"))
    assert (a.status, a.generated_by) == (500, "invalid-backend")
    a = r.route(req("http://h/half"))
    assert a.status == 200 and [(s.backend, s.weight, s.status) for s in a.backends] == [
        (BackendRef("apps", "ok", 8080), 0.5, None), (None, 0.5, 500)]
    assert r.route(req("http://h/port")).status == 500
    reasons = {c.reason for e in r.status().routes for c in e.conditions if c.type == "ResolvedRefs"}
    assert reasons == {"InvalidKind"}   # the first failing reference


def test_service_without_endpoints_gives_503() -> None:
    r = build(gateway(), route("r"), context=ClusterContext(endpoints={"apps/r": 0}))
    a = r.route(req("http://h/"))
    assert (a.status, a.generated_by, a.backend) == (503, "no-endpoints", BackendRef("apps", "r", 8080))


def test_cross_namespace_backend_needs_a_reference_grant() -> None:
    rt = route("r", rule(backends=[{"name": "svc", "namespace": "other", "port": 80}]))
    assert build(gateway(), rt).route(req("http://h/")).status == 500
    grant = {"apiVersion": GW, "kind": "ReferenceGrant", "metadata": {"name": "g", "namespace": "other"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "apps"}],
                      "to": [{"group": "", "kind": "Service", "name": "svc"}]}}
    assert build(gateway(), rt, grant).route(req("http://h/")).backend == BackendRef("other", "svc", 80)
    wrong = json.loads(json.dumps(grant))
    wrong["spec"]["from"][0]["kind"] = "GRPCRoute"
    assert build(gateway(), rt, wrong).route(req("http://h/")).status == 500


# ---------------------------------------------------------------------------------------------
# GRPCRoute and TLSRoute


def grpc(url_path: str, **headers: str) -> Request:
    return req(f"http://grpc.example.com{url_path}", method="POST",
               headers={"content-type": "application/grpc", **headers})


def test_grpc_route_matches_service_and_method() -> None:
    g = {"apiVersion": GW, "kind": "GRPCRoute", "metadata": {"name": "g", "namespace": "apps"},
         "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}], "hostnames": ["grpc.example.com"],
                  "rules": [{"matches": [{"method": {"service": "pkg.Echo", "method": "Say"}}], "backendRefs": [backend("say")]},
                            {"matches": [{"method": {"service": "pkg.Echo"}}], "backendRefs": [backend("echo")]},
                            {"matches": [{"method": {"type": "RegularExpression", "service": "pkg\\..*"},
                                          "headers": hdrs(x="1")}], "backendRefs": [backend("rx")]}]}}
    r = build(gateway(), g, route("http", rule(prefix("/"), to="http"), hostnames=["grpc.example.com"]))
    assert r.route(grpc("/pkg.Echo/Say")).backend == BackendRef("apps", "say", 8080)
    assert r.route(grpc("/pkg.Echo/Other")).backend == BackendRef("apps", "echo", 8080)
    assert r.route(grpc("/pkg.Other/M", x="1")).backend == BackendRef("apps", "rx", 8080)
    a = r.route(grpc("/pkg.Echo/Say"))
    assert dict(a.decided_by)["route"] == "GRPCRoute apps/g"
    assert any("GRPCRoutes and HTTPRoutes" in u for u in a.unmodelled)
    # not gRPC: only HTTPRoutes are considered
    assert r.route(req("http://grpc.example.com/pkg.Echo/Say", method="POST")).backend == BackendRef("apps", "http", 8080)


def tls_route(name: str, hostnames: list[str], to_: str) -> dict[str, Any]:
    return {"apiVersion": GW, "kind": "TLSRoute", "metadata": {"name": name, "namespace": "apps"},
            "spec": {"parentRefs": [{"name": "gw", "namespace": "infra"}], "hostnames": hostnames,
                     "rules": [{"backendRefs": [backend(to_, 443)]}]}}


def test_tls_route_passthrough_by_sni() -> None:
    r = build(gateway(listener("tls", 443, "TLS", tls={"mode": "Passthrough"})),
              tls_route("a", ["a.example.com"], "a-tls"), tls_route("w", ["*.example.com"], "wild-tls"))
    a = r.route(req("https://a.example.com/anything"))
    assert (a.status, a.backend, a.upstream_path) == (200, BackendRef("apps", "a-tls", 443), None)
    assert dict(a.decided_by)["route"] == "TLSRoute apps/a"
    assert r.route(req("https://b.example.com/")).backend == BackendRef("apps", "wild-tls", 443)
    a = r.route(req("https://other.org/"))
    assert (a.status, a.generated_by) == (0, "tls-no-route")


# ---------------------------------------------------------------------------------------------
# unmodelled and normalisation


def test_timeouts_and_retries_are_reported_not_guessed() -> None:
    r = build(gateway(), route("r", rule(to="r", timeouts={"request": "500ms"}, retry={"attempts": 2, "codes": [503]})))
    d = r.decide(req("http://h/"))
    assert d.answer.status == 200 and d.timeouts == (("request", "500ms"),) and d.retry == (2, (503,))
    assert any("timeouts.request 500ms" in u for u in d.answer.unmodelled)
    assert any("retry" in u for u in d.answer.unmodelled)


def test_backend_tls_policy_and_gateway_tls_settings_are_reported() -> None:
    policy = {"apiVersion": GW, "kind": "BackendTLSPolicy", "metadata": {"name": "p", "namespace": "apps"},
              "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "r"}],
                       "validation": {"hostname": "r.apps", "wellKnownCACertificates": "System"}}}
    a = build(gateway(), route("r"), policy).route(req("http://h/"))
    assert a.status == 200 and any("BackendTLSPolicy p" in u for u in a.unmodelled)



def test_frontend_client_certificate_validation_refuses_a_client_without_one_on_its_ports() -> None:
    # spec.tls.frontend is modelled (simulate.gateway_frontend): plain HTTP is untouched, HTTPS
    # without a certificate fails the handshake under AllowValidOnly (the default) on the ports
    # it covers, a per-port entry without validation exempts its port
    https, other = listener("https", 443, "HTTPS"), listener("alt", 8443, "HTTPS")
    validation = {"caCertificateRefs": [{"name": "ca", "kind": "ConfigMap"}]}
    gw = gateway(listener(), https, other, tls={"frontend": {"default": {"validation": validation},
                                                             "perPort": [{"port": 8443, "tls": {}}]}})
    r = build(gw, route("r"))
    assert r.route(req("http://h/")).unmodelled == ()
    a = r.route(Request("GET", "https", "h", 443, "/", (), "h", None, True))
    assert (a.status, a.generated_by) == (0, "client-certificate-required")
    assert r.route(req("https://h/")).status == 200
    exempt = r.route(Request("GET", "https", "h", 8443, "/", (), "h", None, True))
    assert exempt.status == 200 and exempt.generated_by != "client-certificate-required"


def test_paths_an_implementation_may_normalise_are_reported() -> None:
    r = build(gateway(), route("r", rule(prefix("/a"), to="r")))
    assert r.route(req("http://h/a/b")).unmodelled == ()
    for path in ("/a/../b", "/a//b", "/a/%2e%2e/b", "/a/%41"):
        assert any("normalised" in u for u in r.route(req(f"http://h{path}")).unmodelled), path


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("obj,message", [
    ({"apiVersion": GW, "kind": "Gateway", "metadata": {"name": "g", "namespace": "n"}, "spec": {"listeners": [listener()]}},
     "gatewayClassName is required"),
    ({"apiVersion": GW, "kind": "Gateway", "metadata": {"name": "g", "namespace": "n"}, "spec": {"gatewayClassName": "c"}},
     "spec.listeners is required"),
    (gateway({"name": "x", "protocol": "HTTP"}), "port is required"),
    (gateway({"name": "x", "port": 80}), "protocol is required"),
    (gateway(listener(), listener()), "listener names must be unique"),
    (gateway(listener("a"), listener("b")), "combination must be unique"),
    (route("r", rule(backends=[{"name": "svc"}])), "Must have port for Service reference"),
    (route("r", rule(exact("no-slash"), to="x")), "must be an absolute path"),
    (route("r", rule(prefix("/a"), prefix("/b"), to="x", filters=[{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}])), "exactly one PathPrefix match"),
    (route("r", rule(to="x", filters=[{"type": "RequestRedirect", "requestRedirect": {}}])), "together with backendRefs"),
    (route("r", rule(to="x", filters=[{"type": "RequestHeaderModifier"}])), "must be specified"),
    (route("r", rule({"method": "FETCH"}, to="x")), "must be one of"),
    (route("r", hostnames=["Upper.example.com"]), "not a valid hostname"),
    ({**route("r"), "spec": {"parentRefs": [{"name": "gw"}], "rules": []}}, "at least one rule"),
    ({"apiVersion": GW, "kind": "ReferenceGrant", "metadata": {"name": "g", "namespace": "n"}, "spec": {"from": []}},
     "spec.to is required"),
])
def test_bad_input_raises_input_error_with_file_and_line(obj: dict[str, Any], message: str) -> None:
    objs = [gateway(), obj] if obj["kind"] != "Gateway" else [obj]
    with pytest.raises(InputError) as err:
        build(*objs)
    assert any(message in p.message and p.file == "test.yaml" and p.line == len(objs) for p in err.value.problems), \
        err.value.problems


def test_missing_gateway_class_is_noted() -> None:
    cls = {"apiVersion": GW, "kind": "GatewayClass", "metadata": {"name": "other"}, "spec": {"controllerName": "x/y"}}
    a = build(cls, gateway(), route("r")).route(req("http://h/"))
    assert a.status == 200 and any("GatewayClass test is not in the input" in n for n in a.notes)


def test_odd_non_gateway_objects_do_not_break_the_router() -> None:
    odd_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": "not-a-mapping"}
    odd_svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "r", "namespace": "apps"},
               "spec": {"ports": True}}
    assert to(build(gateway(), route("r"), odd_ns, odd_svc), "http://h/") == "r"


def test_listener_set_status() -> None:
    ls = {"apiVersion": GW, "kind": "ListenerSet", "metadata": {"name": "ls", "namespace": "apps"},
          "spec": {"parentRef": {"name": "gw", "namespace": "infra"}, "listeners": [listener("x", hostname="x.com")]}}
    st = build(gateway(), ls).status()
    assert st.listener_sets == (("apps", "ls", (st.listener_sets[0][2][0],)),)
    assert st.listener_sets[0][2][0].reason == "NotAllowed"


def listener_set(name: str, *listeners: dict[str, Any], ns: str = "apps", parent: str = "gw",
                 created: str | None = None, **parent_ref: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if created:
        md["creationTimestamp"] = created
    return {"apiVersion": GW, "kind": "ListenerSet", "metadata": md,
            "spec": {"parentRef": {"name": parent, "namespace": "infra", **parent_ref}, "listeners": list(listeners)}}


def _ls_condition(router: GatewayRouter, ns: str, name: str) -> tuple[str, str]:
    found = [c for n, m, conds in router.status().listener_sets if (n, m) == (ns, name) for c in conds]
    assert len(found) == 1
    return found[0].status, found[0].reason


def _listener_conditions(router: GatewayRouter, owner: str, name: str) -> set[tuple[str, str, str]]:
    found = [li for li in router.status().listeners if li.owner == owner and li.listener == name]
    assert len(found) == 1
    return {(c.type, c.status, c.reason) for c in found[0].conditions}


def test_listener_set_attachment_follows_allowed_listeners() -> None:
    """allowedListeners: None by default, Same, Selector (on namespace labels) or All (GEP-1713
    "Gateway & ListenerSet Handshake"; the ListenerSetAllowedNamespace* conformance tests)."""
    sets = [listener_set("in-infra", listener("a", hostname="a.com"), ns="infra"),
            listener_set("in-team", listener("b", hostname="b.com"), ns="team"),
            listener_set("in-other", listener("c", hostname="c.com"), ns="other")]
    labels = [namespace("team", tier="apps"), namespace("other")]
    routes = [route(f"r-{x}", ns=ns, parents=[{"kind": "ListenerSet", "name": f"in-{ns}", "namespace": ns}])
              for x, ns in (("a", "infra"), ("b", "team"), ("c", "other"))]
    cases = {None: set(), "None": set(), "Same": {"a"}, "All": {"a", "b", "c"},
             "Selector": {"b"}}
    for frm, served in cases.items():
        spec: dict[str, Any] = {}
        if frm is not None:
            spec["allowedListeners"] = {"namespaces": {"from": frm}}
            if frm == "Selector":
                spec["allowedListeners"]["namespaces"]["selector"] = {"matchLabels": {"tier": "apps"}}
        r = build(gateway(listener(hostname="gw.com"), **spec), *sets, *labels, *routes)
        got = {x for x in "abc" if to(r, f"http://{x}.com/") == f"r-{x}"}
        assert got == served, frm
        for x, ns in (("a", "infra"), ("b", "team"), ("c", "other")):
            status, reason = _ls_condition(r, ns, f"in-{ns}")
            assert (status, reason) == (("True", "Accepted") if x in served else ("False", "NotAllowed")), (frm, x)


def test_listener_set_conflicts_follow_listener_precedence() -> None:
    """The Gateway's listeners first, then ListenerSets oldest first, then by namespace/name: a
    later listener for the same port and hostname (or another protocol on the port) is
    conflicted, and a ListenerSet is accepted while one of its listeners is
    (ListenerSetHostnameConflict, ListenerSetProtocolConflict)."""
    gw = gateway(listener("gw", hostname="gw.com"), listener("taken", hostname="taken.com"),
                 allowedListeners={"namespaces": {"from": "All"}})
    young = listener_set("a-young", listener("own", hostname="young.com"), listener("dup", hostname="shared.com"),
                         ns="team-a", created="2024-02-01T00:00:00Z")
    old = listener_set("z-old", listener("dup", hostname="shared.com"), listener("t", hostname="taken.com"),
                       ns="team-z", created="2024-01-01T00:00:00Z")
    only_conflicts = listener_set("b-only", listener("t", hostname="taken.com"),
                                  listener("tcp", protocol="TCP", frm="All"), ns="team-b")
    routes = [route("young", ns="team-a", parents=[{"kind": "ListenerSet", "name": "a-young", "namespace": "team-a"}]),
              route("old", ns="team-z", parents=[{"kind": "ListenerSet", "name": "z-old", "namespace": "team-z"}]),
              route("gw")]
    r = build(gw, young, old, only_conflicts, *routes)
    # the older ListenerSet wins shared.com although its name sorts last
    assert to(r, "http://shared.com/") == "old"
    assert to(r, "http://young.com/") == "young"
    assert to(r, "http://taken.com/") == "gw"     # the Gateway's own listener comes first
    assert _ls_condition(r, "team-a", "a-young") == ("True", "ListenersNotValid")
    assert _ls_condition(r, "team-z", "z-old") == ("True", "ListenersNotValid")
    assert _ls_condition(r, "team-b", "b-only") == ("False", "ListenersNotValid")
    assert ("Conflicted", "True", "HostnameConflict") in _listener_conditions(r, "ListenerSet team-a/a-young", "dup")
    assert ("Conflicted", "True", "HostnameConflict") in _listener_conditions(r, "ListenerSet team-z/z-old", "t")
    assert ("Conflicted", "True", "ProtocolConflict") in _listener_conditions(r, "ListenerSet team-b/b-only", "tcp")
    assert ("Accepted", "True", "Accepted") in _listener_conditions(r, "Gateway infra/gw", "taken")


def test_listener_set_parent_must_be_a_gateway() -> None:
    gw = gateway(listener(hostname="gw.com"), allowedListeners={"namespaces": {"from": "All"}})
    odd = listener_set("odd", listener("x", hostname="x.com"), kind="Service", group="")
    r = build(gw, odd, route("x", parents=[{"kind": "ListenerSet", "name": "odd", "namespace": "apps"}]))
    assert _ls_condition(r, "apps", "odd") == ("False", "Invalid")
    assert to(r, "http://x.com/") == "404"


def test_listener_set_certificates_and_reference_grants() -> None:
    """A ListenerSet reads Secrets of its own namespace without a grant; another namespace's
    needs a ReferenceGrant from ListenerSet, and a grant to the Gateway does not reach it
    (GEP-1713 "ReferenceGrant Semantics"; ListenerSetReferenceGrant)."""
    gw = gateway(listener(hostname="gw.com"), allowedListeners={"namespaces": {"from": "All"}})

    def https(name: str, host: str, secret: dict[str, str]) -> dict[str, Any]:
        return listener(name, 443, "HTTPS", hostname=host, tls={"certificateRefs": [secret]})

    ls = listener_set("ls", https("own", "own.com", {"name": "own-tls"}),
                      https("granted", "granted.com", {"name": "g-tls", "namespace": "certs"}),
                      https("gateway-grant", "gw-grant.com", {"name": "gw-tls", "namespace": "certs"}))
    via = {"kind": "ListenerSet", "name": "ls", "namespace": "apps"}

    def grant(kind: str, ns: str, secret: str) -> dict[str, Any]:
        return {"apiVersion": GW, "kind": "ReferenceGrant", "metadata": {"name": f"{kind}-{secret}", "namespace": "certs"},
                "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": kind, "namespace": ns}],
                         "to": [{"group": "", "kind": "Secret", "name": secret}]}}

    r = build(gw, ls, grant("ListenerSet", "apps", "g-tls"), grant("Gateway", "infra", "gw-tls"),
              route("app", parents=[via]))
    assert to(r, "https://own.com/") == "app"
    assert to(r, "https://granted.com/") == "app"
    failed = r.route(req("https://gw-grant.com/"))
    assert failed.status == 0 and failed.generated_by == "tls-handshake-failed"
    # the refused reference makes that listener invalid; a ListenerSet with no valid listener
    # is not accepted (ListenerSetReferenceGrant)
    assert ("ResolvedRefs", "False", "RefNotPermitted") in _listener_conditions(r, "ListenerSet apps/ls", "gateway-grant")
    assert _ls_condition(r, "apps", "ls") == ("True", "ListenersNotValid")
    only_refused = listener_set("refused", https("x", "x.com", {"name": "gw-tls", "namespace": "certs"}), ns="other")
    r = build(gw, only_refused, grant("Gateway", "infra", "gw-tls"))
    assert _ls_condition(r, "other", "refused") == ("False", "ListenersNotValid")


def test_route_parent_refs_to_a_gateway_do_not_reach_its_listener_sets() -> None:
    """A Gateway parentRef (with or without sectionName) attaches to the Gateway's own
    listeners only; each parentRef is accepted or not on its own (GEP-1713 "Route Attachment")."""
    gw = gateway(listener("gw", hostname="gw.com"), allowedListeners={"namespaces": {"from": "All"}})
    ls = listener_set("ls", listener("extra", hostname="extra.com"))
    r = build(gw, ls,
              route("to-gw", parents=[{"name": "gw", "namespace": "infra"}]),
              route("wrong-section", parents=[{"name": "gw", "namespace": "infra", "sectionName": "extra"},
                                              {"kind": "ListenerSet", "name": "ls", "namespace": "apps",
                                               "sectionName": "nope"}]))
    assert to(r, "http://extra.com/") == "404"
    assert to(r, "http://gw.com/") == "to-gw"
    st = r.status()
    reasons = {(e.parent_kind, e.condition("Accepted").reason) for e in st.route_parent("HTTPRoute", "apps", "wrong-section",
                                                                                        "infra", "gw")}
    assert reasons == {("Gateway", "NoMatchingParent")}
    reasons = {(e.parent_kind, e.condition("Accepted").reason) for e in st.route_parent("HTTPRoute", "apps", "wrong-section",
                                                                                        "apps", "ls")}
    assert reasons == {("ListenerSet", "NoMatchingParent")}


def test_no_gateway_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no Gateway"):
        build(route("r"))


def test_registered_as_the_gateway_side_router() -> None:
    router = build_router("gateway", None, [Manifest(gateway(), Origin("x.yaml", 1)),
                                            Manifest(route("r"), Origin("x.yaml", 2))])
    assert isinstance(router, GatewayRouter)
    assert isinstance(router.route(req("http://h/")), Answer)


# ---------------------------------------------------------------------------------------------
# CLI


def _write(tmp_path: Path, *objs: dict[str, Any]) -> str:
    import yaml  # type: ignore[import-untyped]
    p = tmp_path / "gw.yaml"
    p.write_text(yaml.safe_dump_all(objs))
    return str(p)


def test_cli_single_request_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, gateway(), route("shop", rule(prefix("/cart"), to="cart"), hostnames=["shop.example.com"]))
    assert main(["simulate", "--side", "gateway", "-f", f, "--request", "GET http://shop.example.com/cart/1?x=2",
                 "-H", "X-Test: 1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == 200 and out["backend"] == {"namespace": "apps", "name": "cart", "port": 8080}
    assert out["upstream_path"] == "/cart/1?x=2" and out["upstream_headers"] == {"x-test": "1"}
    assert main(["simulate", "--side", "gateway", "-f", f, "--request", "GET http://shop.example.com/nope", "-o", "text"]) == 0
    text = capsys.readouterr().out
    assert "status: 404" in text and "no-route" in text


def test_cli_requests_file_text_and_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, gateway(), route("r", rule(prefix("/", headers=hdrs(v="2")), to="v2"), rule(prefix("/"), to="v1")))
    probes = tmp_path / "probes.txt"
    probes.write_text("# comment\nGET http://h/a | v: 2\n\n"
                      '{"method": "POST", "url": "http://h/b", "headers": {"v": "1"}}\n'
                      '{"url": "http://h/c", "headers": [["V", "2"]]}\n')
    assert main(["simulate", "--side", "gateway", "-f", f, "--requests", str(probes)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["backend"]["name"] for x in lines] == ["v2", "v1", "v2"]


def test_cli_bad_url_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, gateway(), route("r"))
    assert main(["simulate", "--side", "gateway", "-f", f, "--request", "GET ftp://h/"]) == 2
    assert "http://" in capsys.readouterr().err
    probes = tmp_path / "bad.txt"
    probes.write_text("GET http://h/\nGET http://h:notaport/\n")
    assert main(["simulate", "--side", "gateway", "-f", f, "--requests", str(probes)]) == 2
    err = capsys.readouterr().err
    assert "bad.txt:2" in err and "Traceback" not in err


def test_cli_gateway_without_listeners_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = {"apiVersion": GW, "kind": "Gateway", "metadata": {"name": "gw", "namespace": "infra"},
           "spec": {"gatewayClassName": "c"}}
    f = _write(tmp_path, bad, route("r"))
    assert main(["simulate", "--side", "gateway", "-f", f, "--request", "GET http://h/"]) == 2
    err = capsys.readouterr().err
    # the line of `spec:`, where listeners is missing (the objects' keys are sorted: line 6)
    assert "gw.yaml:6: " in err and "spec.listeners is required" in err and "Traceback" not in err


def test_cli_gateway_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, gateway(name="a"), gateway(name="b"),
               route("ra", parents=[{"name": "a", "namespace": "infra"}]),
               route("rb", parents=[{"name": "b", "namespace": "infra"}]))
    assert main(["simulate", "--side", "gateway", "-f", f, "--gateway", "infra/b", "--request", "GET http://h/"]) == 0
    assert json.loads(capsys.readouterr().out)["backend"]["name"] == "rb"
    assert main(["simulate", "--side", "gateway", "-f", f, "--gateway", "infra/zzz", "--request", "GET http://h/"]) == 2
    assert "no Gateway infra/zzz" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# properties

_segments = st.lists(st.sampled_from(["a", "ab", "b", "api", "v1", ""]), min_size=0, max_size=4)


@given(_segments, _segments)
def test_prefix_keys_agree_with_element_wise_matching(path_parts: list[str], prefix_parts: list[str]) -> None:
    path = "/" + "/".join(path_parts)
    value = "/" + "/".join(p for p in prefix_parts if p)
    # the spec: split by '/', compare element by element, a trailing '/' of the prefix ignored
    want_elems = [e for e in value.split("/") if e]
    path_elems = path.split("/")[1:]
    spec_match = path_elems[: len(want_elems)] == want_elems and (
        len(path_elems) >= len(want_elems))
    assert (prefix_key(value) in request_prefix_keys(path)) is spec_match


@given(st.permutations(list(range(7))))
@settings(max_examples=25, deadline=None)
def test_answers_do_not_depend_on_input_order(order: list[int]) -> None:
    objs = [gateway(listener(), listener("wild", hostname="*.example.com")),
            route("b", rule(prefix("/"), to="b")), route("a", rule(prefix("/"), to="a"), created="2024-01-01T00:00:00Z"),
            route("c", rule(exact("/x"), to="c"), hostnames=["*.example.com"]),
            route("d", rule(prefix("/x", headers=hdrs(v="1")), to="d"), hostnames=["foo.example.com"]),
            namespace("apps", team="x"), service("a")]
    probes = ["http://h/", "http://h/x", "http://foo.example.com/x", "http://bar.example.com/x",
              "http://foo.example.com/y"]
    baseline = build(*objs)
    shuffled = build(*[objs[i] for i in order])
    for url in probes:
        for hv in ({}, {"v": "1"}):
            assert shuffled.route(req(url, headers=hv)) == baseline.route(req(url, headers=hv)), url
