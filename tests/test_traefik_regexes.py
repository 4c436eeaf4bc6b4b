"""Which Traefik regex middlewares are fixed changes (providers/traefik/regexes.py), and the
translation of each against the Traefik model with probes the generator does not make."""

from __future__ import annotations

import pytest

from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.traefik import regexes
from ing2gw.simulate.request import Request
from ing2gw.translate import translate


@pytest.mark.parametrize(("pattern", "want"), [
    ("/api", "/api"), (r"/v1\.0", "/v1.0"), ("/a-b_c", "/a-b_c"),
    ("/v[0-9]+", None), (r"/\d", None), ("/a.b", None), ("/a|/b", None), ("/a$", None),
])
def test_literal(pattern: str, want: str | None) -> None:
    assert regexes.literal(pattern) == want


@pytest.mark.parametrize(("regex", "replacement", "want"), [
    ("^/old(.*)", "/new$1", ("/old", "/new")),
    ("^/old(.*)$", "/new${1}", ("/old", "/new")),
    ("^/old/(.*)", "/new/$1", ("/old/", "/new/")),
    ("/old(.*)", "/new$1", None),          # not anchored: every match is replaced
    ("^/old(.*)", "/new$1x", None),        # $1x is the group named 1x (empty) in Go
    ("^/old(.+)", "/new$1", None),
    ("^/o[l]d(.*)", "/new$1", None),
])
def test_prefix_rewrite(regex: str, replacement: str, want: tuple[str, str] | None) -> None:
    assert regexes.prefix_rewrite(regex, replacement) == want


@pytest.mark.parametrize(("regex", "replacement", "path", "want"), [
    (r"^/status/(\w+)$", "/health/${1}", "/status/db", ("/health/db", True)),
    (r"^/status/(\w+)$", "/health/$1", "/other", ("/other", False)),
    (r"^/a/(?P<x>\w+)", "/b/${x}", "/a/yz", ("/b/yz", True)),
    ("^/a", "/b$$", "/a", ("/b$", True)),
    ("/a", "/b", "/a", None),  # unanchored
])
def test_full_replace(regex: str, replacement: str, path: str, want: tuple[str, bool] | None) -> None:
    assert regexes.full_replace(regex, replacement, path) == want


def test_clean_path() -> None:
    assert regexes.clean_path("/a/b")
    assert regexes.clean_path("/a/")
    assert not regexes.clean_path("/a//b")
    assert not regexes.clean_path("/a/../b")
    assert not regexes.clean_path("/a?b")
    assert not regexes.clean_path("a")


@pytest.mark.parametrize(("regex", "replacement", "want"), [
    (r"^https?://www\.example\.com/(.*)", "https://example.com/${1}",
     regexes.RedirectShape(("http", "https"), "www.example.com", "https", "example.com", None)),
    (r"^http://([^/]+)/(.*)", "https://${1}/${2}", regexes.RedirectShape(("http",), None, "https", None, None)),
    (r"^http://([^/]+)(.*)", "https://$1$2", regexes.RedirectShape(("http",), None, "https", None, None)),
    (r"^http://example\.com/(.*)", "https://example.com:8443/$1",
     regexes.RedirectShape(("http",), "example.com", "https", "example.com", 8443)),
    (r"^http://example\.com(.*)", "https://example.com$1", None),   # would also take example.com.evil
    (r"^http://example\.com/(.*)", "https://example.com:443/$1", None),  # Location keeps :443 in Traefik
    (r"^http://example\.com/(.*)", "https://example.com/new/$1", None),
    (r"^https?://example\.com/old(.*)", "https://example.com/new$1",
     regexes.RedirectShape(("http", "https"), "example.com", "https", "example.com", None, ("/old", "/new"))),
    (r"^https?://example\.com/old/(.*)", "https://example.com/new/$1", None),  # segment-wise prefix differs
    (r"^https?://example\.com/old(.*)", "https://example.com/new/$1", None),
    (r"^https?://example\.com/blog/([0-9]+)$", "https://example.com/posts?id=$1", None),
    (r"^(https?)://example\.com/(.*)", "https://example.com/$2", None),
    (r"http://example\.com/(.*)", "https://example.com/$1", None),
])
def test_redirect_shape(regex: str, replacement: str, want: regexes.RedirectShape | None) -> None:
    assert regexes.redirect_shape(regex, replacement) == want


_ROUTE = """
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: mw, namespace: shop}
spec:
  MW
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: api, namespace: shop}
spec:
  entryPoints: [web]
  routes:
  - match: Host(`shop.example.com`) && MATCH
    kind: Rule
    middlewares: [{name: mw}]
    services: [{name: api, port: 80}]
"""


def _verify(mw: str, match: str, probes: list[str]) -> tuple[list[str], int]:
    text = _ROUTE.replace("MW", mw).replace("MATCH", match)
    manifests = load_text(text, "t.yaml")
    result = translate(manifests, Options())
    v = verify_translation(result, manifests, Options(),
                           extra_probes=[Request.parse_line(f"GET http://shop.example.com{p}") for p in probes])
    return sorted({f.code for f in result.findings}), v.unexplained


def test_literal_strip_prefix_regex_is_exact_and_a_real_regex_is_predicted() -> None:
    codes, unexplained = _verify('stripPrefixRegex: {regex: ["^/api"]}', "PathPrefix(`/api`)",
                                 ["/api/v1", "/api", "/api/a/b?x=1"])
    assert "ING2GW-TRAEFIK-031" in codes and "ING2GW-TRAEFIK-080" not in codes and unexplained == 0
    codes, unexplained = _verify('stripPrefixRegex: {regex: ["/api/v[0-9]+"]}', "PathPrefix(`/api/`)",
                                 ["/api/v1/x", "/api/v22", "/api/x"])
    assert "ING2GW-TRAEFIK-080" in codes and unexplained == 0


def test_replace_path_regex_prefix_form_is_exact_but_for_x_replaced_path() -> None:
    codes, unexplained = _verify("replacePathRegex: {regex: ^/old(.*), replacement: /new$1}", "PathPrefix(`/old`)",
                                 ["/old/a", "/old", "/old/a/b?c=d"])
    assert "ING2GW-TRAEFIK-036" in codes and "ING2GW-TRAEFIK-081" not in codes and unexplained == 0


def test_redirect_regex_of_a_path_capture_is_predicted() -> None:
    codes, unexplained = _verify(r"redirectRegex: {regex: '^http://shop\.example\.com/a/(.*)', "
                                 "replacement: 'http://shop.example.com/b/$1'}", "PathPrefix(`/`)",
                                 ["/a/x", "/a/", "/b/x"])
    assert "ING2GW-TRAEFIK-082" in codes and unexplained == 0


def test_a_target_that_carries_regex_rewrite_gets_the_intent_not_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # no target table marks regex-rewrite generated today; the branch asks carry.py by intent
    from ing2gw.load import Manifest
    from ing2gw.origin import Origin
    from ing2gw.providers.traefik import middlewares as mw

    asked: list[tuple[str | None, str | None]] = []

    def carries(target: str | None, intent: str | None, params: object = ()) -> bool:
        asked.append((target, intent))
        return target == "some-target"

    monkeypatch.setattr(mw, "carries", carries)
    body = {"regex": "^/users/([0-9]+)/profile", "replacement": "/profiles/$1"}
    m = mw.Middleware("shop", "swap", "replacePathRegex", body, Manifest({}, Origin("t.yaml", 1, 0)))
    src = __import__("ing2gw.ir", fromlist=["Source"]).Source("shop", "api", Origin("t.yaml", 1, 0))
    carried = mw.plan("prefix", "/users/", [m], src, "shop.example.com", "some-target")
    assert [i.kind for i in carried.intents] == ["regex-rewrite"] and not carried.notes
    assert dict(carried.intents[0].params)["substitution"] == "/profiles/$1"
    plain = mw.plan("prefix", "/users/", [m], src, "shop.example.com", None)
    assert not plain.intents and [n[1] for n in plain.notes] == ["ING2GW-TRAEFIK-081"]
    assert ("some-target", "regex-rewrite") in asked
