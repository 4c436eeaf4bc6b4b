"""Unit tests of the ingress-nginx router (one or more per rule of nginx-semantics.md), of the
plain-spec router, of input validation and of `ing2gw simulate --side ingress`."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from ing2gw.cli import main
from ing2gw.errors import InputError
from ing2gw.load import Manifest, load_text
from ing2gw.origin import Origin
from ing2gw.simulate import build_router
from ing2gw.simulate.generic import GenericRouter
from ing2gw.simulate.nginx import NginxRouter
from ing2gw.simulate.nginx_annotations import MODELLED, ROUTING_NEUTRAL, UNMODELLED
from ing2gw.simulate.nginx_http import normalise_host, normalise_uri, BadRequest
from ing2gw.simulate.request import Answer, ClusterContext, Request, SecretFact

from datapaths import CATALOGUE
P = "nginx.ingress.kubernetes.io/"


# ---------------------------------------------------------------------------------------------
# builders


def svc_path(path: str, svc: str, port: int | str = 80, path_type: str | None = "Prefix") -> dict[str, Any]:
    p: dict[str, Any] = {"path": path, "backend": {"service": {"name": svc, "port": (
        {"number": port} if isinstance(port, int) else {"name": port})}}}
    if path_type is not None:
        p["pathType"] = path_type
    return p


def rule(host: str | None, *paths: dict[str, Any]) -> dict[str, Any]:
    r: dict[str, Any] = {"http": {"paths": list(paths)}} if paths else {}
    if host:
        r["host"] = host
    return r


def ingress(name: str, *rules: dict[str, Any], ns: str = "default", ts: str | None = "2026-01-01T00:00:10Z",
            anns: dict[str, str] | None = None, cls: str | None = "nginx", tls: list[Any] | None = None,
            default_backend: str | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if ts:
        md["creationTimestamp"] = ts
    if anns:
        md["annotations"] = {(k if "/" in k else P + k): v for k, v in anns.items()}
    spec: dict[str, Any] = {}
    if cls:
        spec["ingressClassName"] = cls
    if rules:
        spec["rules"] = list(rules)
    if tls is not None:
        spec["tls"] = tls
    if default_backend:
        spec["defaultBackend"] = {"service": {"name": default_backend, "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md, "spec": spec}


def service(name: str, ns: str = "default", ports: tuple[tuple[str, int], ...] = (("http", 80),)) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"name": n, "port": p} for n, p in ports]}}


def mk(objects: list[dict[str, Any]], *, flags: tuple[str, ...] = (), configmap: dict[str, str] | None = None,
       endpoints: dict[str, int] | None = None, secrets: dict[str, SecretFact] | None = None,
       services: str = "assume", cls: type = NginxRouter) -> Any:
    ctx = ClusterContext(services=services,  # type: ignore[arg-type]
                         endpoints=endpoints or {}, secrets="input" if secrets is not None else "assume",
                         secret_facts=secrets or {}, nginx_flags=flags, nginx_configmap=configmap or {})
    return cls([Manifest(o, Origin("test.yaml", 10 * i + 1, i)) for i, o in enumerate(objects)], ctx)


def get(router: Any, url: str, **headers: str) -> Answer:
    hdrs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    return router.route(Request.from_url("GET", url, hdrs))


def backend(a: Answer) -> str | None:
    return None if a.backend is None else a.backend.name


# ---------------------------------------------------------------------------------------------
# A1: class filter


class TestClassFilter:
    def test_ingress_class_name_nginx_is_used(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc-a")))])
        assert backend(get(r, "http://a.test/")) == "svc-a"

    def test_unknown_class_name_is_ignored_and_noted(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc-a")), cls="traefik")])
        a = get(r, "http://a.test/")
        assert a.status == 404 and "default/a" in r.ignored
        assert any("default/a" in n and "ignored" in n for n in a.notes)

    def test_ingress_class_object_of_another_controller(self) -> None:
        ic = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
              "spec": {"controller": "example.com/other"}}
        r = mk([ic, ingress("a", rule("a.test", svc_path("/", "svc-a")))])
        assert get(r, "http://a.test/").status == 404

    def test_ingress_class_object_with_our_controller_any_name(self) -> None:
        ic = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "public"},
              "spec": {"controller": "k8s.io/ingress-nginx"}}
        r = mk([ic, ingress("a", rule("a.test", svc_path("/", "svc-a")), cls="public")])
        assert get(r, "http://a.test/").status == 200

    def test_class_annotation(self) -> None:
        good = ingress("a", rule("a.test", svc_path("/", "svc-a")), cls=None,
                       anns={"kubernetes.io/ingress.class": "nginx"})
        other = ingress("b", rule("b.test", svc_path("/", "svc-b")), cls=None,
                        anns={"kubernetes.io/ingress.class": "haproxy"})
        r = mk([good, other])
        assert get(r, "http://a.test/").status == 200
        assert get(r, "http://b.test/").status == 404

    def test_ingress_class_name_checked_before_annotation(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), cls="traefik",
                    anns={"kubernetes.io/ingress.class": "nginx"})
        assert get(mk([i]), "http://a.test/").status == 404

    def test_without_class_needs_watch_flag(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), cls=None)
        assert get(mk([i]), "http://a.test/").status == 404
        assert get(mk([i], flags=("--watch-ingress-without-class=true",)), "http://a.test/").status == 200

    def test_ingress_class_flag(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), cls="internal")
        assert get(mk([i]), "http://a.test/").status == 404
        assert get(mk([i], flags=("--ingress-class=internal",)), "http://a.test/").status == 200

    def test_controller_class_flag(self) -> None:
        ic = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "x"},
              "spec": {"controller": "acme.io/nginx"}}
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), cls="x")
        assert get(mk([ic, i]), "http://a.test/").status == 404
        assert get(mk([ic, i], flags=("--controller-class=acme.io/nginx",)), "http://a.test/").status == 200

    def test_default_ingress_class_fills_missing_class(self) -> None:
        ic = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
              "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
              "spec": {"controller": "k8s.io/ingress-nginx"}}
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), cls=None)
        assert get(mk([ic, i]), "http://a.test/").status == 200

    def test_watch_namespace(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), ns="team")
        assert get(mk([i], flags=("--watch-namespace=other",)), "http://a.test/").status == 404
        assert get(mk([i], flags=("--watch-namespace", "team")), "http://a.test/").status == 200


# ---------------------------------------------------------------------------------------------
# A3: annotations that drop the whole Ingress


class TestAnnotationRejection:
    def test_redirect_url_with_dollar_drops_the_ingress(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")),
                    anns={"permanent-redirect": "https://x.example$request_uri"})
        r = mk([i])
        assert get(r, "http://a.test/").status == 404
        assert "fails validation" in r.ignored["default/a"]

    def test_snippet_above_default_risk_level_drops_the_ingress(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), anns={"configuration-snippet": "return 418;"})
        r = mk([i])
        assert get(r, "http://a.test/").status == 404
        assert "Critical" in r.ignored["default/a"]

    def test_snippet_allowed_is_unmodelled(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), anns={"configuration-snippet": "return 418;"})
        r = mk([i], configmap={"annotations-risk-level": "Critical", "allow-snippet-annotations": "true"})
        a = get(r, "http://a.test/")
        assert a.status == 200
        assert any("configuration-snippet" in u for u in a.unmodelled)

    def test_word_blocklist(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc-a")), anns={"upstream-vhost": "evil_by_lua"})
        r = mk([i], configmap={"annotation-value-word-blocklist": "_by_lua"})
        assert get(r, "http://a.test/").status == 404

    def test_invalid_rewrite_target_falls_back_to_no_rewrite(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/x", "svc-a")), anns={"rewrite-target": "/a b?c"})
        a = get(mk([i]), "http://a.test/x/y")
        assert a.status == 200 and a.upstream_path == "/x/y"
        assert any("fails validation" in n for n in a.notes)


# ---------------------------------------------------------------------------------------------
# A4, B5: ordering and conflicts


class TestOrdering:
    def test_oldest_wins(self) -> None:
        old = ingress("z-old", rule("h.test", svc_path("/api", "svc-old")), ts="2026-01-01T00:00:01Z")
        new = ingress("a-new", rule("h.test", svc_path("/api", "svc-new")), ts="2026-01-01T00:00:02Z")
        a = get(mk([new, old]), "http://h.test/api")
        assert backend(a) == "svc-old" and dict(a.decided_by)["ingress"] == "default/z-old"

    def test_tie_goes_to_namespace_name_descending(self) -> None:
        a1 = ingress("app", rule("h.test", svc_path("/", "svc-a")), ns="alpha")
        b1 = ingress("app", rule("h.test", svc_path("/", "svc-b")), ns="beta")
        assert backend(get(mk([a1, b1]), "http://h.test/")) == "svc-b"
        assert backend(get(mk([b1, a1]), "http://h.test/")) == "svc-b"

    def test_missing_timestamps_are_noted_on_conflict(self) -> None:
        a1 = ingress("a", rule("h.test", svc_path("/x", "svc-a")), ts=None)
        b1 = ingress("b", rule("h.test", svc_path("/x", "svc-b")), ts=None)
        a = get(mk([a1, b1]), "http://h.test/x")
        assert backend(a) == "svc-b"
        assert any("creationTimestamp is missing" in n for n in a.notes)


# ---------------------------------------------------------------------------------------------
# C: server choice


class TestServerChoice:
    objs = [ingress("wild", rule("*.foo.bar", svc_path("/", "wild"))),
            ingress("x", rule("x.foo.bar", svc_path("/", "x"))),
            ingress("hostless", rule(None, svc_path("/", "catch")))]

    @pytest.mark.parametrize("host,want", [
        ("a.foo.bar", "wild"), ("A.FOO.BAR", "wild"), ("a.foo.bar:8080", "wild"), ("a.foo.bar.", "wild"),
        ("a_b.foo.bar", "wild"), ("a~b.foo.bar", "catch"), ("x.foo.bar", "x"), ("a.b.foo.bar", "catch"),
        ("foo.bar", "catch"),
        ("10.0.0.1", "catch")])
    def test_host_normalisation_exact_wildcard_catch_all(self, host: str, want: str) -> None:
        a = get(mk(self.objs), f"http://{host}/")
        assert backend(a) == want
        assert a.upstream_host == host  # the backend sees the Host verbatim

    def test_invalid_host_is_400(self) -> None:
        a = mk(self.objs).route(Request(host="a..foo.bar", target="/"))
        assert a.status == 400 and a.generated_by == "nginx-400"

    def test_known_host_never_falls_back_to_hostless_rules(self) -> None:
        objs = [ingress("a", rule("a.com", svc_path("/a", "svc-a"))),
                ingress("b", rule(None, svc_path("/b", "svc-b")))]
        r = mk(objs)
        assert get(r, "http://a.com/b").status == 404
        assert backend(get(r, "http://other.com/b")) == "svc-b"

    def test_server_alias_and_conflict_with_existing_host(self) -> None:
        objs = [ingress("foo", rule("foo", svc_path("/", "svc-foo")), anns={"server-alias": "bar, baz"}),
                ingress("baz", rule("baz", svc_path("/", "svc-baz")), ts="2026-01-01T00:00:20Z")]
        r = mk(objs)
        assert backend(get(r, "http://bar/")) == "svc-foo"
        assert backend(get(r, "http://baz/")) == "svc-baz"


# ---------------------------------------------------------------------------------------------
# B3, B4: root location, catch-all Ingress


class TestRootAndCatchAll:
    def test_root_inherits_first_ingress_annotations_and_default_backend(self) -> None:
        first = ingress("first", rule("h.test", svc_path("/a", "svc-a")), default_backend="svc-def",
                        anns={"upstream-vhost": "inner.test"})
        second = ingress("second", rule("h.test", svc_path("/b", "svc-b")), ts="2026-01-01T00:00:20Z")
        r = mk([first, second])
        a = get(r, "http://h.test/zzz")
        assert backend(a) == "svc-def" and a.upstream_host == "inner.test"
        b = get(r, "http://h.test/b")
        assert backend(b) == "svc-b" and b.upstream_host == "h.test"

    def test_catch_all_ingress_owns_the_default_server(self) -> None:
        r = mk([ingress("catch", default_backend="svc-catch"), ingress("foo", rule("foo", svc_path("/", "svc-foo")))])
        assert backend(get(r, "http://unknown.test/x")) == "svc-catch"
        assert backend(get(r, "http://foo/x")) == "svc-foo"

    def test_default_backend_with_rules_is_not_a_catch_all(self) -> None:
        r = mk([ingress("a", rule("h.test", svc_path("/app", "svc-app")), default_backend="svc-def")])
        assert backend(get(r, "http://h.test/zzz")) == "svc-def"
        assert get(r, "http://other.test/").status == 404

    def test_disable_catch_all(self) -> None:
        r = mk([ingress("catch", default_backend="svc-catch")], flags=("--disable-catch-all=true",))
        a = get(r, "http://unknown.test/")
        assert a.status == 404 and a.generated_by == "default-backend-404"

    def test_default_backend_service_flag(self) -> None:
        r = mk([service("echo", "e2e")], flags=("--default-backend-service=e2e/echo",),
               services="input", endpoints={"e2e/echo": 2})
        a = get(r, "http://nope.test/a")
        assert a.status == 200 and backend(a) == "echo" and a.generated_by == "default-backend"

    def test_healthz_on_the_catch_all_server(self) -> None:
        a = get(mk([]), "http://10.0.0.1/healthz")
        assert a.status == 200 and a.generated_by == "nginx-healthz"
        assert get(mk([]), "http://10.0.0.1/nginx_status").status == 403


# ---------------------------------------------------------------------------------------------
# D: location choice


class TestLocations:
    def test_prefix_is_segment_aware_and_case_sensitive(self) -> None:
        r = mk([ingress("a", rule("h.test", svc_path("/aaa", "svc")))])
        assert get(r, "http://h.test/aaa").status == 200
        assert get(r, "http://h.test/aaa/x").status == 200
        assert get(r, "http://h.test/aaacc").status == 404
        assert get(r, "http://h.test/AAA").status == 404

    def test_exact_beats_prefix_and_decided_by_location(self) -> None:
        r = mk([ingress("e", rule("h.test", svc_path("/x", "svc-e", path_type="Exact"))),
                ingress("p", rule("h.test", svc_path("/x", "svc-p")), ts="2026-01-01T00:00:20Z")])
        a = get(r, "http://h.test/x")
        assert backend(a) == "svc-e" and dict(a.decided_by)["location"] == "= /x"
        b = get(r, "http://h.test/x/y")
        assert backend(b) == "svc-p" and dict(b.decided_by)["location"] == "/x/"

    def test_automatic_301_for_trailing_slash_prefix(self) -> None:
        r = mk([ingress("a", rule("h.test", svc_path("/bar/", "svc")))])
        a = get(r, "http://H.test:8080/bar?q=1")
        assert a.status == 301 and a.generated_by == "nginx-auto-redirect"
        assert a.redirect is not None and a.redirect.location == "http://h.test/bar/?q=1"

    def test_implementation_specific_is_prefix(self) -> None:
        r = mk([ingress("a", rule("h.test", svc_path("/app", "svc", path_type="ImplementationSpecific")))])
        assert get(r, "http://h.test/app/x").status == 200
        assert get(r, "http://h.test/application").status == 404

    def test_duplicate_location_makes_the_config_invalid(self) -> None:
        r = mk([ingress("dup", rule("dup.test", svc_path("/foo", "a"), svc_path("/foo/", "b")))])
        assert not r.config_valid
        assert any('duplicate location "/foo/"' in e for e in r.config_errors)
        a = get(r, "http://dup.test/foo/x")
        assert any("nginx rejects this configuration" in u for u in a.unmodelled)
        other = mk([ingress("ok", rule("ok.test", svc_path("/foo", "a")))])
        assert other.config_valid

    def test_use_regex_makes_the_whole_host_case_insensitive_regex(self) -> None:
        r = mk([ingress("plain", rule("h.test", svc_path("/exact", "svc-e", path_type="Exact"))),
                ingress("rx", rule("h.test", svc_path("/id/[0-9]+$", "svc-id", path_type="ImplementationSpecific")),
                        anns={"use-regex": "true"}, ts="2026-01-01T00:00:20Z"),
                ingress("other", rule("o.test", svc_path("/exact", "svc-e", path_type="Exact")))])
        assert backend(get(r, "http://h.test/ID/12")) == "svc-id"
        assert get(r, "http://h.test/id/12a").status == 404
        assert backend(get(r, "http://h.test/EXACTLY")) == "svc-e"      # Exact lost its meaning
        assert dict(get(r, "http://h.test/exact").decided_by)["location"] == "~* ^/exact"
        assert get(r, "http://o.test/exactly").status == 404             # other hosts unaffected

    def test_regex_alternation_is_not_anchored(self) -> None:
        # `location ~* "^/foo|/bar"`: the second alternative matches anywhere in the URI
        r = mk([ingress("rx", rule("h.test", svc_path("/foo|/bar", "svc-rx")), anns={"use-regex": "true"})])
        assert backend(get(r, "http://h.test/x/BAR")) == "svc-rx"
        assert get(r, "http://h.test/x/baz").status == 404

    def test_regex_first_match_in_length_order(self) -> None:
        r = mk([ingress("plain", rule("h.test", svc_path("/foo/bar/bar", "svc-plain"))),
                ingress("rx", rule("h.test", svc_path("/foo/bar/[a-z]{3}", "svc-rx")), ts="2026-01-01T00:00:20Z",
                        anns={"use-regex": "true"})])
        assert backend(get(r, "http://h.test/foo/bar/bar")) == "svc-rx"

    @pytest.mark.parametrize("path,status,upstream", [
        ("//foo//x", 200, "//foo//x"), ("/x/../foo/y", 200, "/x/../foo/y"), ("/%66oo/x", 200, "/%66oo/x"),
        ("/foo%2Fx", 200, "/foo%2Fx"), ("/foo/../bar", 404, None), ("/../x", 400, None), ("/%zz", 400, None)])
    def test_uri_normalisation_for_matching_raw_uri_upstream(self, path: str, status: int,
                                                             upstream: str | None) -> None:
        r = mk([ingress("a", rule("h.test", svc_path("/foo", "svc")))])
        a = r.route(Request(host="h.test", target=path))
        assert a.status == status and a.upstream_path == upstream


class TestNginxHttpHelpers:
    def test_normalise_uri(self) -> None:
        assert normalise_uri("/a/./b/../c//d/") == "/a/c/d/"
        assert normalise_uri("/%2541") == "/%41"
        with pytest.raises(BadRequest):
            normalise_uri("/a/../../b")

    def test_literal_prefix(self) -> None:
        from ing2gw.simulate.nginx_http import literal_prefix
        assert literal_prefix("/Foo/bar") == ("/foo/bar", True)
        assert literal_prefix("/foo/ba?r") == ("/foo/b", False)
        assert literal_prefix("/id/[0-9]+") == ("/id/", False)
        assert literal_prefix("/a|/b") == ("", False)

    def test_normalise_host(self) -> None:
        assert normalise_host("Foo.Example:443") == "foo.example"
        with pytest.raises(BadRequest):
            normalise_host("a/b")


# ---------------------------------------------------------------------------------------------
# F1, F2, F8: rewrite, x-forwarded-prefix, upstream-vhost


class TestRewrite:
    def test_capture_groups_and_query(self) -> None:
        i = ingress("rw", rule("h.test", svc_path("/something(/|$)(.*)", "svc", path_type="ImplementationSpecific")),
                    anns={"use-regex": "true", "rewrite-target": "/$2"})
        r = mk([i])
        assert get(r, "http://h.test/something/new?x=1").upstream_path == "/new?x=1"
        assert get(r, "http://h.test/something").upstream_path == "/"
        assert get(r, "http://h.test/somethingelse").status == 404

    def test_rewrite_replaces_the_whole_uri_and_escapes(self) -> None:
        r = mk([ingress("rw", rule("h.test", svc_path("/a/(.*)", "svc")), anns={"rewrite-target": "/b/$1"})])
        assert get(r, "http://h.test/A/x%20y").upstream_path == "/b/x%20y"

    def test_x_forwarded_prefix_only_with_rewrite(self) -> None:
        with_rw = ingress("a", rule("a.test", svc_path("/", "svc")),
                          anns={"rewrite-target": "/foo", "x-forwarded-prefix": "/p"})
        without = ingress("b", rule("b.test", svc_path("/", "svc")), anns={"x-forwarded-prefix": "/p"})
        r = mk([with_rw, without])
        assert dict(get(r, "http://a.test/").upstream_headers)["x-forwarded-prefix"] == "/p"
        assert "x-forwarded-prefix" not in dict(get(r, "http://b.test/").upstream_headers)

    def test_upstream_vhost(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc")), anns={"upstream-vhost": "inner.svc"})])
        a = get(r, "http://a.test/")
        assert a.upstream_host == "inner.svc" and dict(a.upstream_headers)["x-forwarded-host"] == "a.test"


# ---------------------------------------------------------------------------------------------
# E1, F4, G3: redirects


class TestRedirects:
    def test_permanent_redirect_and_code(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/x", "svc")),
                        anns={"permanent-redirect": "https://new.example", "permanent-redirect-code": "308"})])
        a = get(r, "http://a.test/x/y?q=1")
        assert a.status == 308 and a.redirect is not None and a.redirect.location == "https://new.example"
        assert get(r, "http://a.test/unmatched").status == 308   # the root inherits it (B4)

    def test_temporal_redirect_wins_and_code_range(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc")),
                        anns={"temporal-redirect": "https://t.example", "permanent-redirect": "https://p.example",
                              "temporal-redirect-code": "308"})])
        a = get(r, "http://a.test/")
        assert (a.status, a.redirect.location if a.redirect else None) == (302, "https://t.example")

    def test_relative_redirects(self) -> None:
        absolute = ingress("a", rule("a.test", svc_path("/x", "svc")), anns={"permanent-redirect": "/new"})
        relative = ingress("b", rule("b.test", svc_path("/x", "svc")),
                           anns={"permanent-redirect": "/new", "relative-redirects": "true"})
        r = mk([absolute, relative])
        assert get(r, "http://a.test:8080/x").redirect == get(r, "http://a.test/x").redirect
        assert get(r, "http://a.test/x").redirect.location == "http://a.test/new"  # type: ignore[union-attr]
        assert get(r, "http://b.test/x").redirect.location == "/new"  # type: ignore[union-attr]

    def test_app_root(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc")), anns={"app-root": "/app"})])
        a = get(r, "http://a.test:8080/?x=1")
        assert a.status == 302 and a.redirect is not None and a.redirect.location == "http://a.test:8080/app"
        assert get(r, "http://a.test/other").status == 200

    def test_ssl_redirect_for_hosts_with_tls(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc")), rule("b.test", svc_path("/", "svc")),
                    tls=[{"hosts": ["a.test"], "secretName": "a-cert"}])
        r = mk([i])
        a = get(r, "http://a.test/x/")
        assert a.status == 308 and a.generated_by == "ssl-redirect"
        assert a.redirect is not None and a.redirect.location == "https://a.test/x"
        assert get(r, "http://b.test/").redirect.location == "https://b.test"  # type: ignore[union-attr]
        assert get(r, "https://a.test/").status == 200

    def test_ssl_redirect_disabled_preserve_slash_port_and_forced(self) -> None:
        tls = [{"hosts": ["a.test"], "secretName": "a-cert"}]
        off = ingress("off", rule("off.test", svc_path("/", "svc")), tls=[{"hosts": ["off.test"], "secretName": "s"}],
                      anns={"ssl-redirect": "false"})
        keep = ingress("a", rule("a.test", svc_path("/", "svc")), tls=tls,
                       anns={"preserve-trailing-slash": "true", "use-port-in-redirects": "true"})
        forced = ingress("f", rule("f.test", svc_path("/", "svc")), anns={"force-ssl-redirect": "true"})
        r = mk([off, keep, forced])
        assert get(r, "http://off.test/").status == 200
        assert get(r, "http://a.test/x/").redirect.location == "https://a.test:443/x/"  # type: ignore[union-attr]
        assert get(r, "http://f.test/").status == 308

    def test_acme_challenge_is_not_redirected(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc"), svc_path("/.well-known/acme-challenge", "solver")),
                    tls=[{"hosts": ["a.test"], "secretName": "a-cert"}])
        r = mk([i])
        a = get(r, "http://a.test/.well-known/acme-challenge/token")
        assert a.status == 200 and backend(a) == "solver"
        assert get(r, "http://a.test/x").status == 308

    def test_forwarded_headers_suppress_redirect_and_choose_host(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc")), tls=[{"hosts": ["a.test"], "secretName": "c"}])
        r = mk([i], configmap={"use-forwarded-headers": "true"})
        assert get(r, "http://a.test/", X_Forwarded_Proto="https").status == 200
        a = get(r, "http://a.test/p", X_Forwarded_Host="ext.example:80, other")
        assert a.redirect is not None and a.redirect.location == "https://ext.example/p"
        # without use-forwarded-headers the client's X-Forwarded-Proto is not trusted
        assert get(mk([i]), "http://a.test/", X_Forwarded_Proto="https").status == 308

    def test_http_redirect_code(self) -> None:
        i = ingress("a", rule("a.test", svc_path("/", "svc")), anns={"force-ssl-redirect": "true"})
        assert get(mk([i], configmap={"http-redirect-code": "301"}), "http://a.test/").status == 301

    def test_from_to_www(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc")), anns={"from-to-www-redirect": "true"})])
        a = get(r, "http://www.a.test/foo/")
        assert a.status == 308 and a.generated_by == "from-to-www-redirect"
        assert a.redirect is not None and a.redirect.location == "http://a.test:80/foo"
        assert get(r, "http://a.test/foo").status == 200


# ---------------------------------------------------------------------------------------------
# F5, B6: canary


def _canary_objs(anns: dict[str, str], **kw: Any) -> list[dict[str, Any]]:
    return [ingress("main", rule("foo", svc_path("/info", "main"))),
            ingress("can", rule("foo", svc_path("/info", "can")), ts="2026-01-01T00:00:20Z",
                    anns={"canary": "true", **anns}),
            *kw.get("extra", [])]


class TestCanary:
    def test_header_always_never_other(self) -> None:
        r = mk(_canary_objs({"canary-by-header": "X-Canary"}))
        assert backend(get(r, "http://foo/info", X_Canary="always")) == "can"
        assert backend(get(r, "http://foo/info", x_canary="always")) == "can"
        assert backend(get(r, "http://foo/info", X_Canary="never")) == "main"
        assert backend(get(r, "http://foo/info", X_Canary="other")) == "main"
        assert backend(get(r, "http://foo/info")) == "main"

    def test_header_with_underscore_is_dropped_by_nginx(self) -> None:
        r = mk(_canary_objs({"canary-by-header": "X-Canary"}))
        req = Request(host="foo", target="/info", headers=(("X_Canary", "always"),))
        assert backend(r.route(req)) == "main"

    def test_header_value_and_pattern(self) -> None:
        r = mk(_canary_objs({"canary-by-header": "H", "canary-by-header-value": "yes"}))
        assert backend(get(r, "http://foo/info", H="yes")) == "can"
        assert backend(get(r, "http://foo/info", H="always")) == "main"
        p = mk(_canary_objs({"canary-by-header": "H", "canary-by-header-pattern": "^Do[A-Z]"}))
        assert backend(get(p, "http://foo/info", H="DoX")) == "can"
        assert backend(get(p, "http://foo/info", H="dox")) == "main"

    def test_invalid_pattern_is_final_primary(self) -> None:
        r = mk(_canary_objs({"canary-by-header": "H", "canary-by-header-pattern": "[",
                             "canary-by-cookie": "c"}))
        assert backend(get(r, "http://foo/info", H="x", Cookie="c=always")) == "main"
        assert backend(get(r, "http://foo/info", Cookie="c=always")) == "can"

    def test_cookie(self) -> None:
        r = mk(_canary_objs({"canary-by-cookie": "Canary"}))
        assert backend(get(r, "http://foo/info", Cookie="a=1; canary=always")) == "can"
        assert backend(get(r, "http://foo/info", Cookie="Canary=never")) == "main"

    @pytest.mark.parametrize("weight,total,share", [("0", None, 0.0), ("50", None, 0.5), ("100", "200", 0.5),
                                                    ("10", "10", 0.1), ("1000", "1000", 1.0)])
    def test_weight_shares(self, weight: str, total: str | None, share: float) -> None:
        anns = {"canary-weight": weight}
        if total:
            anns["canary-weight-total"] = total
        a = get(mk(_canary_objs(anns)), "http://foo/info")
        shares = {s.backend.name: s.weight for s in a.backends if s.backend}
        assert shares.get("can", 0.0) == pytest.approx(share)
        assert backend(a) == ("can" if share > 0.5 else "main")

    def test_canary_leaks_to_every_user_of_the_service(self) -> None:
        objs = _canary_objs({"canary-weight": "100"},
                            extra=[ingress("b", rule("bar", svc_path("/other", "main")), ts="2026-01-01T00:00:15Z")])
        assert backend(get(mk(objs), "http://bar/other")) == "can"

    def test_canary_first_claims_the_service_no_server(self) -> None:
        objs = [ingress("can", rule("foo", svc_path("/c", "shared")), anns={"canary": "true"},
                        ts="2026-01-01T00:00:01Z"),
                ingress("main", rule("bar", svc_path("/m", "shared")), ts="2026-01-01T00:00:05Z")]
        a = get(mk(objs), "http://bar/m")
        assert a.status == 404
        assert any("#8004" in n for n in a.notes)

    def test_canary_without_mainline_and_without_endpoints(self) -> None:
        only = mk([ingress("can", rule("foo", svc_path("/info", "can")), anns={"canary": "true"})])
        assert get(only, "http://foo/info").status == 404
        no_ep = mk([service("main"), service("can")] + _canary_objs({"canary-weight": "100"}), services="input",
                   endpoints={"default/main": 1, "default/can": 0})
        assert backend(get(no_ep, "http://foo/info")) == "main"
        main_down = mk([service("main"), service("can")] + _canary_objs({"canary-weight": "100"}),
                       services="input", endpoints={"default/main": 0, "default/can": 1})
        assert get(main_down, "http://foo/info").status == 503

    def test_affinity_with_canary_is_unmodelled(self) -> None:
        r = mk(_canary_objs({"canary-weight": "50", "affinity": "cookie"}))
        assert any("affinity" in u for u in get(r, "http://foo/info").unmodelled)


# ---------------------------------------------------------------------------------------------
# G: certificates and HSTS


class TestTLS:
    objs = [ingress("good", rule("good.test", svc_path("/", "svc")), tls=[{"hosts": ["good.test"],
                                                                          "secretName": "good"}]),
            ingress("wild", rule("*.wild.test", svc_path("/", "svc")), tls=[{"hosts": ["*.wild.test"],
                                                                             "secretName": "wild"}]),
            ingress("bad", rule("bad.test", svc_path("/", "svc")), tls=[{"hosts": ["bad.test"], "secretName": "bad"}])]
    secrets = {"default/good": SecretFact(("good.test",)), "default/wild": SecretFact(("*.wild.test",)),
               "default/bad": SecretFact(invalid=True)}

    @pytest.mark.parametrize("sni,cert", [("good.test", "default/good"), ("a.wild.test", "default/wild"),
                                          ("bad.test", "default-fake-certificate"),
                                          ("unknown.test", "default-fake-certificate"),
                                          (None, "default-fake-certificate")])
    def test_certificate_by_sni(self, sni: str | None, cert: str) -> None:
        r = mk(self.objs, secrets=self.secrets)
        a = r.route(Request(scheme="https", port=443, host="good.test", target="/", sni=sni))
        assert dict(a.decided_by)["certificate"] == cert

    def test_wildcard_certificate_makes_a_sibling_host_redirect(self) -> None:
        r = mk(self.objs + [ingress("plain", rule("plain.wild.test", svc_path("/", "svc")))], secrets=self.secrets)
        assert get(r, "http://plain.wild.test/").status == 308

    def test_hsts(self) -> None:
        r = mk(self.objs, secrets=self.secrets, configmap={"hsts-max-age": "100", "hsts-preload": "true"})
        a = get(r, "https://good.test/")
        assert dict(a.response_headers)["strict-transport-security"] == "max-age=100; includeSubDomains; preload"
        assert not get(r, "http://notls.test/").response_headers
        off = mk(self.objs, secrets=self.secrets, configmap={"hsts": "false"})
        assert not get(off, "https://good.test/").response_headers


# ---------------------------------------------------------------------------------------------
# H, B7, F6, F7, F10: status codes and error pages


class TestStatus:
    def test_missing_service_and_no_endpoints_503(self) -> None:
        objs = [service("down"), ingress("a", rule("a.test", svc_path("/m", "missing"), svc_path("/d", "down")))]
        r = mk(objs, services="input", endpoints={"default/down": 0})
        for path in ("/m", "/d"):
            a = get(r, f"http://a.test{path}")
            assert (a.status, a.generated_by, a.backend) == (503, "balancer-no-endpoints", None)

    def test_named_service_port_is_resolved(self) -> None:
        objs = [service("web", ports=(("http", 8080),)), ingress("a", rule("a.test", svc_path("/", "web", "http")))]
        a = get(mk(objs, services="input", endpoints={"default/web": 1}), "http://a.test/")
        assert a.backend is not None and a.backend.port == 8080

    def test_resource_backend_is_skipped(self) -> None:
        res = {"path": "/", "pathType": "Prefix", "backend": {"resource": {"apiGroup": "x.io", "kind": "K",
                                                                           "name": "n"}}}
        a = get(mk([ingress("a", rule("a.test", res))]), "http://a.test/")
        assert a.status == 404 and a.generated_by == "default-backend-404"

    def test_default_backend_annotation_when_no_endpoints(self) -> None:
        objs = [service("echo"), ingress("a", rule("a.test", svc_path("/", "gone")), anns={"default-backend": "echo"})]
        a = get(mk(objs, services="input", endpoints={"default/echo": 1}), "http://a.test/x", X_Request_ID="id1")
        assert (a.status, backend(a), a.generated_by) == (200, "echo", "custom-default-backend")
        h = dict(a.upstream_headers)
        assert h["x-code"] == "503" and h["x-service-name"] == "gone" and h["x-request-id"] == "id1"

    def test_custom_http_errors(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc")), anns={"custom-http-errors": "404,500"})])
        req = Request(host="a.test", target="/x")
        assert r.route(req, upstream_status=500).status == 404
        assert r.route(req, upstream_status=503).status == 503
        assert r.route(req).status == 200
        off = mk([ingress("a", rule("a.test", svc_path("/", "svc")),
                          anns={"custom-http-errors": "500", "disable-proxy-intercept-errors": "true"})])
        assert off.route(req, upstream_status=500).status == 500

    def test_custom_http_errors_to_default_backend_annotation(self) -> None:
        objs = [service("svc"), service("errors"),
                ingress("a", rule("a.test", svc_path("/", "svc")),
                        anns={"custom-http-errors": "500", "default-backend": "errors"})]
        r = mk(objs, services="input", endpoints={"default/svc": 1, "default/errors": 1})
        a = r.route(Request(host="a.test", target="/x"), upstream_status=500)
        assert backend(a) == "errors" and a.upstream_path == "/"
        assert a.generated_by == "custom-default-backend via @custom_custom-default-backend-default-errors_500"

    def test_service_upstream_without_endpoints_is_a_connect_failure(self) -> None:
        objs = [service("svc"), ingress("a", rule("a.test", svc_path("/", "svc")), anns={"service-upstream": "true"})]
        a = get(mk(objs, services="input", endpoints={"default/svc": 0}), "http://a.test/")
        assert a.status == 502
        ok = get(mk(objs, services="input", endpoints={"default/svc": 3}), "http://a.test/")
        assert ok.status == 200 and any("ClusterIP:80" in n for n in ok.notes)


# ---------------------------------------------------------------------------------------------
# unmodelled, neutral, settings


class TestUnmodelled:
    def test_unmodelled_annotation_only_on_requests_it_affects(self) -> None:
        objs = [ingress("auth", rule("a.test", svc_path("/", "svc")), anns={"auth-url": "http://auth/"}),
                ingress("plain", rule("b.test", svc_path("/", "svc")))]
        r = mk(objs)
        assert any("auth-url" in u for u in get(r, "http://a.test/x").unmodelled)
        assert get(r, "http://b.test/x").unmodelled == ()

    def test_neutral_annotation_is_not_reported(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "svc")), anns={"proxy-body-size": "8m"})])
        a = get(r, "http://a.test/")
        assert a.unmodelled == () and a.notes == ()

    def test_unknown_settings_are_unmodelled_everywhere(self) -> None:
        r = mk([], configmap={"block-user-agents": "curl", "proxy-read-timeout": "30"}, flags=("--made-up=1",))
        u = get(r, "http://x.test/").unmodelled
        assert any("block-user-agents" in x for x in u) and any("--made-up" in x for x in u)
        assert not any("proxy-read-timeout" in x for x in u)

    def test_bad_setting_value_is_input_error(self) -> None:
        with pytest.raises(InputError):
            mk([], configmap={"ssl-redirect": "maybe"})

    def test_every_documented_annotation_is_classified_once(self) -> None:
        groups = [MODELLED, set(ROUTING_NEUTRAL), set(UNMODELLED)]
        for i, g in enumerate(groups):
            for h in groups[i + 1:]:
                assert not (g & h), g & h
        names = {a["annotation"].split("/", 1)[1] for a in json.loads(CATALOGUE.read_text())
                 if a["controller"] == "ingress-nginx"}
        missing = names - MODELLED - set(ROUTING_NEUTRAL) - set(UNMODELLED)
        assert not missing, sorted(missing)


# ---------------------------------------------------------------------------------------------
# input validation


class TestInput:
    def test_path_without_backend(self) -> None:
        text = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a}
spec:
  rules:
  - host: a.test
    http:
      paths:
      - path: /
        pathType: Prefix
"""
        with pytest.raises(InputError) as exc:
            NginxRouter(load_text(text, "in.yaml"), ClusterContext())
        p = exc.value.problems[0]
        assert (p.file, p.line) == ("in.yaml", 9) and "no backend" in p.message  # the path without one

    @pytest.mark.parametrize("mutate,fragment", [
        (lambda p: p.update(pathType="Regex"), "unknown pathType"),
        (lambda p: p.update(path="foo"), "absolute path"),
        (lambda p: p.update(path="/a//b"), "must not contain"),
        (lambda p: p["backend"]["service"].pop("port"), "port"),
    ])
    def test_invalid_paths(self, mutate: Any, fragment: str) -> None:
        p = svc_path("/", "svc")
        mutate(p)
        with pytest.raises(InputError) as exc:
            mk([ingress("a", rule("a.test", p))])
        assert fragment in str(exc.value)

    def test_invalid_host_and_annotation_type(self) -> None:
        with pytest.raises(InputError, match="lower-case DNS name"):
            mk([ingress("a", rule("A.test", svc_path("/", "svc")))])
        i = ingress("a", rule("a.test", svc_path("/", "svc")))
        i["metadata"]["annotations"] = {P + "use-regex": True}
        with pytest.raises(InputError, match="quote it"):
            mk([i])

    def test_both_routers_reject_bad_input(self) -> None:
        bad = ingress("a", rule("a.test", {"path": "/", "pathType": "Prefix"}))
        with pytest.raises(InputError):
            mk([bad], cls=GenericRouter)

    def test_legacy_v1beta1(self) -> None:
        obj = {"apiVersion": "extensions/v1beta1", "kind": "Ingress",
               "metadata": {"name": "old", "annotations": {"kubernetes.io/ingress.class": "nginx"}},
               "spec": {"backend": {"serviceName": "catch", "servicePort": 80},
                        "rules": [{"host": "old.test", "http": {"paths": [
                            {"path": "/api", "backend": {"serviceName": "api", "servicePort": "http"}}]}}]}}
        r = mk([obj])
        assert backend(get(r, "http://old.test/api/x")) == "api"
        assert backend(get(r, "http://old.test/zzz")) == "catch"


# ---------------------------------------------------------------------------------------------
# the plain-spec router


class TestGeneric:
    objs = [ingress("a", rule("a.test", svc_path("/foo", "foo"), svc_path("/foo/bar", "bar"),
                              svc_path("/x", "exact", path_type="Exact"))),
            ingress("w", rule("*.w.test", svc_path("/", "wild"))),
            ingress("all", rule(None, svc_path("/any", "any"))),
            ingress("i", rule("i.test", svc_path("/impl", "impl", path_type="ImplementationSpecific")))]

    def r(self) -> GenericRouter:
        return mk(self.objs, cls=GenericRouter)  # type: ignore[no-any-return]

    @pytest.mark.parametrize("url,want", [
        ("http://a.test/foo", "foo"), ("http://a.test/foo/", "foo"), ("http://a.test/foo/bar/baz", "bar"),
        ("http://a.test/foobar", None), ("http://a.test/x", "exact"), ("http://a.test/x/", None),
        ("http://A.TEST:8080/foo", "foo"), ("http://b.w.test/", "wild"), ("http://a.b.w.test/", None),
        ("http://w.test/", None), ("http://a.test/any", "any"), ("http://z.test/any/1", "any")])
    def test_hosts_and_paths(self, url: str, want: str | None) -> None:
        a = get(self.r(), url)
        assert backend(a) == want
        assert a.status == (200 if want else 404)

    def test_implementation_specific_is_prefix_and_flagged(self) -> None:
        a = get(self.r(), "http://i.test/impl/x")
        assert backend(a) == "impl" and any("ImplementationSpecific" in u for u in a.unmodelled)

    def test_annotations_are_unmodelled_and_default_backend(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/x", "x")), anns={"rewrite-target": "/"}),
                ingress("d", default_backend="def", ts="2026-01-01T00:00:30Z")], cls=GenericRouter)
        assert any("rewrite-target" in u for u in get(r, "http://a.test/x").unmodelled)
        a = get(r, "http://a.test/nothing")
        assert backend(a) == "def" and dict(a.decided_by)["rule"] == "defaultBackend"

    def test_missing_service_is_503(self) -> None:
        r = mk([ingress("a", rule("a.test", svc_path("/", "gone")))], services="input", cls=GenericRouter)
        assert get(r, "http://a.test/").status == 503

    def test_registered_in_routers(self) -> None:
        r = build_router("ingress", "generic", [Manifest(o, Origin("t.yaml")) for o in self.objs])
        assert isinstance(r, GenericRouter)


# ---------------------------------------------------------------------------------------------
# layers: simulate modules import only load/model/origin/errors and other simulate modules


def test_my_modules_respect_the_layer_rule() -> None:
    allowed = ("ing2gw.load", "ing2gw.model", "ing2gw.origin", "ing2gw.errors", "ing2gw.simulate")
    root = Path(__file__).resolve().parents[1] / "ing2gw" / "simulate"
    for name in ("nginx.py", "nginx_build.py", "nginx_http.py", "nginx_settings.py", "nginx_annotations.py",
                 "ingress_objects.py", "generic.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for m in mods:
                if m.startswith("ing2gw"):
                    assert m.startswith(allowed), f"{name} imports {m}"


# ---------------------------------------------------------------------------------------------
# CLI


INGRESS_YAML = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: web, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {number: 8080}}}}
"""


class TestCli:
    @pytest.fixture()
    def manifest(self, tmp_path: Path) -> Path:
        p = tmp_path / "ing.yaml"
        p.write_text(INGRESS_YAML)
        return p

    def test_single_request_json(self, manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
        rc = main(["simulate", "--side", "ingress", "--controller", "ingress-nginx", "-f", str(manifest),
                   "--request", "GET http://shop.example.com/cart/1?x=1", "-o", "json"])
        out = json.loads(capsys.readouterr().out)
        assert rc == 0
        assert out["status"] == 200 and out["backend"] == {"namespace": "web", "name": "cart", "port": 8080}
        assert out["upstream_path"] == "/cart/1?x=1" and out["upstream_host"] == "shop.example.com"
        assert out["redirect"] is None and out["decided_by"]["ingress"] == "web/shop"

    def test_text_output(self, manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
        rc = main(["simulate", "--side", "ingress", "-f", str(manifest), "--request",
                   "GET http://shop.example.com/other", "-o", "text"])
        out = capsys.readouterr().out
        assert rc == 0 and "status: 404" in out and "default-backend-404" in out

    def test_requests_file_text_and_json_lines(self, manifest: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
        reqs = tmp_path / "reqs.txt"
        reqs.write_text("# probes\nGET http://shop.example.com/cart | X-A: 1\n"
                        '{"method": "GET", "url": "http://shop.example.com/nope", "headers": {"X-B": "2"}}\n'
                        "http://other.example.com/cart\n")
        rc = main(["simulate", "--side", "ingress", "--controller", "ingress-nginx", "-f", str(manifest),
                   "--requests", str(reqs)])
        lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert rc == 0 and [x["status"] for x in lines] == [200, 404, 404]
        assert lines[0]["upstream_headers"]["x-a"] == "1"

    def test_generic_controller(self, manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
        rc = main(["simulate", "--side", "ingress", "--controller", "generic", "-f", str(manifest),
                   "--request", "GET http://shop.example.com/cart"])
        assert rc == 0 and json.loads(capsys.readouterr().out)["backend"]["name"] == "cart"

    def test_context_file_flags(self, manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        ctx = tmp_path / "ctx.yaml"
        ctx.write_text("nginx:\n  flags: ['--ingress-class=internal']\n")
        rc = main(["simulate", "--side", "ingress", "-f", str(manifest), "--context", str(ctx),
                   "--request", "GET http://shop.example.com/cart"])
        assert rc == 0 and json.loads(capsys.readouterr().out)["status"] == 404

    def test_bad_request_url_exit_2(self, manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
        rc = main(["simulate", "--side", "ingress", "-f", str(manifest), "--request", "GET ftp://x/"])
        err = capsys.readouterr().err
        assert rc == 2 and "http://" in err and "Traceback" not in err

    def test_bad_request_line_in_file_exit_2(self, manifest: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
        reqs = tmp_path / "r.txt"
        reqs.write_text("GET http://shop.example.com/\nGET not-a-url extra words\n")
        rc = main(["simulate", "--side", "ingress", "-f", str(manifest), "--requests", str(reqs)])
        err = capsys.readouterr().err
        assert rc == 2 and f"{reqs}:2" in err

    def test_path_without_backend_exit_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        bad = tmp_path / "bad.yaml"
        bad.write_text("---\n" + INGRESS_YAML.replace(
            "      - {path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {number: 8080}}}}",
            "      - {path: /cart, pathType: Prefix}"))
        rc = main(["simulate", "--side", "ingress", "-f", str(bad), "--request", "GET http://shop.example.com/"])
        captured = capsys.readouterr()
        assert rc == 2 and captured.out == ""
        # the line of the path without a backend, not of the object
        assert f"{bad}:11: " in captured.err and "no backend" in captured.err and "Traceback" not in captured.err


# ---------------------------------------------------------------------------------------------
# basic auth (annotations/auth): 401 without Basic credentials; credentials themselves unmodelled

class TestBasicAuth:
    def _router(self, **anns: str) -> Any:
        return mk([ingress("a", rule("a.test", svc_path("/", "web")), anns=anns)])

    def test_a_request_without_credentials_gets_the_realms_challenge(self) -> None:
        a = get(self._router(**{"auth-type": "basic", "auth-secret": "users", "auth-realm": "Staff"}), "http://a.test/")
        assert a.status == 401 and a.backend is None and a.generated_by == "basic-auth-401"
        assert dict(a.response_headers)["www-authenticate"] == 'Basic realm="Staff"'
        assert not any("authentication can refuse" in u for u in a.unmodelled)

    def test_credentials_pass_but_are_not_proven(self) -> None:
        a = get(self._router(**{"auth-type": "basic", "auth-secret": "users"}), "http://a.test/",
                authorization="basic dTpw")  # nginx reads the scheme in any case
        assert a.status == 200 and backend(a) == "web"
        assert any("whether the credentials are valid is not modelled" in u for u in a.unmodelled)

    @pytest.mark.parametrize("anns", [{"auth-type": "digest", "auth-secret": "users"},
                                      {"auth-type": "basic", "auth-secret": "users", "auth-secret-type": "auth-map"},
                                      {"auth-type": "basic"}])
    def test_other_authentication_stays_unmodelled(self, anns: dict[str, str]) -> None:
        a = get(self._router(**anns), "http://a.test/")
        assert a.status == 200 and any("authentication can refuse" in u for u in a.unmodelled)
