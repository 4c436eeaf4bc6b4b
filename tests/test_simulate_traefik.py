"""TraefikRouter beyond the behaviour cases: IngressRoute CRDs in both API groups, middlewares,
TraefikServices, ServersTransport and TLSOption, the static configuration, and tricky corners.

Each expected value is derived by hand from Traefik's sources or docs (cited per test), not
produced by the code under test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from ing2gw.errors import InputError
from ing2gw.load import Manifest
from ing2gw.origin import Origin
from ing2gw.simulate import build_router
from ing2gw.simulate.request import Answer, BackendRef, ClusterContext, Request
from ing2gw.simulate.traefik import Decision, TraefikRouter

SVC = """
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec: {{ports: [{{name: http, port: {port}}}]}}
"""


def svc(name: str, ns: str = "shop", port: int = 80) -> str:
    return SVC.format(name=name, ns=ns, port=port)


def make(text: str, traefik: dict[str, Any] | None = None, **ctx: Any) -> TraefikRouter:
    docs = [d for d in yaml.safe_load_all(text) if d]
    manifests = [Manifest(d, Origin("test.yaml", i + 1, i)) for i, d in enumerate(docs)]
    return TraefikRouter(manifests, ClusterContext(traefik=traefik or {}, **ctx))


def ask(r: TraefikRouter, line: str, **kw: Any) -> Decision:
    return r.decide(Request.parse_line(line), **kw)


def backend(a: Answer) -> str | None:
    return str(a.backend) if a.backend else None


def ir(name: str, routes: str, extra: str = "", ns: str = "shop", group: str = "traefik.io") -> str:
    return f"""
---
apiVersion: {group}/v1alpha1
kind: IngressRoute
metadata: {{name: {name}, namespace: {ns}}}
spec:
{extra}
  routes:
{routes}
"""


def mw(name: str, spec: str, ns: str = "shop", group: str = "traefik.io") -> str:
    return f"""
---
apiVersion: {group}/v1alpha1
kind: Middleware
metadata: {{name: {name}, namespace: {ns}}}
spec:
{spec}
"""


# ---- IngressRoute -------------------------------------------------------------------------


def test_ingressroute_router_name_priority_and_entry_points() -> None:
    # kubernetes_http.go: name Normalize(ns-name-<10 bytes of sha256(match)>), priority len(match)
    r = make(svc("web") + ir("shop", """
  - match: Host(`shop.test`) && PathPrefix(`/`)
    services: [{name: web, port: 80}]""", "  entryPoints: [web]"))
    d = ask(r, "GET http://shop.test/x")
    assert backend(d.answer) == "shop/web:80" and d.upstream_scheme == "http"
    assert d.priority == len("Host(`shop.test`) && PathPrefix(`/`)") == 36
    assert d.router == "shop-shop-" + __import__("hashlib").sha256(
        b"Host(`shop.test`) && PathPrefix(`/`)").hexdigest()[:20]
    assert dict(d.answer.decided_by)["ingressroute"] == "shop/shop"
    assert ask(r, "GET https://shop.test/x").answer.status == 404  # only on web


def test_ingressroute_tls_makes_a_tls_only_router() -> None:
    r = make(svc("web") + ir("shop", """
  - match: Host(`shop.test`)
    services: [{name: web, port: 80}]""", "  tls: {secretName: shop-cert}"))
    assert ask(r, "GET http://shop.test/").answer.status == 404
    d = ask(r, "GET https://shop.test/")
    assert d.answer.status == 200 and d.tls_cert == "shop/shop-cert"


def test_crd_router_wins_a_priority_tie_with_an_ingress_router() -> None:
    # mux routes.Less: equal priority -> provider precedence (kubernetescrd before kubernetes)
    ingress = """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: shop}
spec:
  rules:
  - host: shop.test
    http:
      paths:
      - {path: /a, pathType: Prefix, backend: {service: {name: old, port: {number: 80}}}}
"""
    rule = 'Host("shop.test") && PathPrefix("/a")'
    r = make(svc("web") + svc("old") + ingress + ir("shop", f"""
  - match: '{rule}'
    services: [{{name: web, port: 80}}]"""))
    d = ask(r, "GET http://shop.test/a")
    assert backend(d.answer) == "shop/web:80"
    assert not d.tied and not d.answer.unmodelled


def test_explicit_priority_and_undefined_order_between_equal_routers() -> None:
    r = make(svc("a") + svc("b") + ir("one", """
  - match: PathPrefix(`/`)
    priority: 10
    services: [{name: a, port: 80}]""") + ir("two", """
  - match: Host(`x.test`)
    priority: 10
    services: [{name: b, port: 80}]"""))
    d = ask(r, "GET http://x.test/")
    assert {backend(d.answer)} | {backend(a) for _, a in d.tied} == {"shop/a:80", "shop/b:80"}
    assert any("undefined order" in u for u in d.answer.unmodelled)
    assert backend(ask(r, "GET http://y.test/").answer) == "shop/a:80"


def test_cross_namespace_references_are_refused_by_default() -> None:
    # providers.kubernetesCRD.allowCrossNamespace defaults to false: the route has no router
    objs = svc("web") + svc("web", ns="other") + mw("strip", "  stripPrefix: {prefixes: [/api]}", ns="other")
    route = """
  - match: Host(`shop.test`)
    middlewares: [{name: strip, namespace: other}]
    services: [{name: web, port: 80}]
  - match: Host(`shop.test`) && PathPrefix(`/x`)
    services: [{name: web, namespace: other, port: 80}]"""
    r = make(objs + ir("shop", route))
    assert ask(r, "GET http://shop.test/api/a").answer.status == 404
    assert any("allowCrossNamespace is disabled" in s for s in r.config.skipped)
    r2 = make(objs + ir("shop", route), {"providers": {"kubernetesCRD": {"allowCrossNamespace": True}}})
    a = ask(r2, "GET http://shop.test/api/a").answer
    assert a.upstream_path == "/a" and backend(a) == "shop/web:80"
    assert backend(ask(r2, "GET http://shop.test/x").answer) == "other/web:80"


# ---- services -----------------------------------------------------------------------------


def test_traefikservice_weights_mirrors_and_inline_weights() -> None:
    text = svc("v1") + svc("v2") + svc("shadow") + """
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: split, namespace: shop}
spec:
  weighted:
    services:
    - {name: v1, port: 80, weight: 3}
    - {name: v2, port: 80, weight: 1}
    - {name: shadow, port: 80, weight: 0}
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: mirror, namespace: shop}
spec:
  mirroring:
    name: v1
    port: 80
    mirrors: [{name: shadow, port: 80, percent: 20}]
---
""" + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: split, kind: TraefikService}]
  - match: Host(`b.test`)
    services: [{name: mirror, kind: TraefikService}]
  - match: Host(`c.test`)
    services: [{name: v1, port: 80}, {name: v2, port: 80}]""")
    r = make(text)
    a = ask(r, "GET http://a.test/").answer
    assert {str(s.backend): s.weight for s in a.backends} == {"shop/v1:80": 0.75, "shop/v2:80": 0.25}
    b = ask(r, "GET http://b.test/").answer
    assert backend(b) == "shop/v1:80" and b.mirrored_to == (BackendRef("shop", "shadow", 80),)
    c = ask(r, "GET http://c.test/").answer
    assert {str(s.backend): s.weight for s in c.backends} == {"shop/v1:80": 0.5, "shop/v2:80": 0.5}


def test_a_traefikservice_with_a_missing_service_does_not_exist() -> None:
    text = svc("v1") + """
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: split, namespace: shop}
spec:
  weighted:
    services: [{name: v1, port: 80}, {name: gone, port: 80}]
""" + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: split, kind: TraefikService}]""")
    r = make(text, services="input")
    assert ask(r, "GET http://a.test/").answer.status == 404
    state = next(s for q, s in r.states.items() if q.endswith("@kubernetescrd"))
    assert not state.usable and "does not exist" in state.errors[0]


def test_service_without_endpoints_and_empty_weighted_shares() -> None:
    r = make(svc("web") + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80}]"""), services="input", endpoints={"shop/web": 0})
    a = ask(r, "GET http://a.test/").answer
    assert (a.status, a.generated_by) == (503, "no-server-503")
    r2 = make(svc("web") + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80}]"""), {"providers": {"kubernetesCRD": {"allowEmptyServices": False}}},
              services="input", endpoints={"shop/web": 0})
    assert ask(r2, "GET http://a.test/").answer.status == 404


def test_https_to_pods_and_servers_transport() -> None:
    # parseServiceProtocol: port 443 or a port name starting with https -> https; verification
    # depends on the pods' certificate unless a ServersTransport skips it
    text = svc("secure", port=443) + """
---
apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: {name: skip, namespace: shop}
spec: {insecureSkipVerify: true}
""" + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: secure, port: 443}]
  - match: Host(`b.test`)
    services: [{name: secure, port: 443, serversTransport: skip}]
  - match: Host(`c.test`)
    services: [{name: secure, port: 443, serversTransport: nope}]""")
    r = make(text)
    a = ask(r, "GET http://a.test/")
    assert a.upstream_scheme == "https" and any("TLS to the pods" in u for u in a.answer.unmodelled)
    b = ask(r, "GET http://b.test/")
    assert b.answer.status == 200 and not b.answer.unmodelled
    assert ask(r, "GET http://c.test/").answer.status == 404  # servers transport not found: no router


def test_pass_host_header_false_sends_the_pod_address() -> None:
    r = make(svc("web") + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80, passHostHeader: false}]"""))
    assert ask(r, "GET http://a.test/ | Host: a.test:8080").answer.upstream_host == "<endpoint>"


# ---- middlewares --------------------------------------------------------------------------


def test_unusable_middlewares_drop_the_router() -> None:
    # T-F6: multi-type, empty headers, empty addPrefix, a chain that loops, an unknown provider
    text = svc("web") + mw("multi", "  addPrefix: {prefix: /a}\n  stripPrefix: {prefixes: [/b]}") + \
        mw("empty", "  headers: {}") + mw("noprefix", "  addPrefix: {prefix: ''}") + \
        mw("loop", "  chain: {middlewares: [{name: loop2}]}") + mw("loop2", "  chain: {middlewares: [{name: loop}]}") + \
        ir("shop", "\n".join(f"""
  - match: Host(`{h}.test`)
    middlewares: [{{name: {m}}}]
    services: [{{name: web, port: 80}}]""" for h, m in (("multi", "multi"), ("empty", "empty"), ("np", "noprefix"),
                                                      ("loop", "loop"), ("file", "auth@file"))))
    r = make(text)
    for host in ("multi", "empty", "np", "loop", "file"):
        assert ask(r, f"GET http://{host}.test/").answer.status == 404, host
    errors = " | ".join(e for s in r.states.values() for e in s.errors)
    for text_ in ("multi-types", "headers configuration not valid", "prefix cannot be empty", "recursion",
                  "'auth@file' does not exist"):
        assert text_ in errors
    # with the file provider configured, a reference to it cannot be judged: assumed to pass
    r2 = make(text, {"providers": {"file": {"directory": "/etc/traefik"}}})
    d = ask(r2, "GET http://file.test/")
    assert d.answer.status == 200 and any("@file" in u for u in d.answer.unmodelled)


def test_redirect_regex_and_replace_path_regex() -> None:
    text = svc("web") + mw("moved", """  redirectRegex:
    regex: ^https?://([^/]+)/blog/(.*)
    replacement: https://blog.${1}/$2
    permanent: true""") + mw("rp", """  replacePathRegex: {regex: ^/v1/(.*), replacement: /api/$1}""") + ir("shop", """
  - match: Host(`a.test`)
    middlewares: [{name: moved}, {name: rp}]
    services: [{name: web, port: 80}]""")
    r = make(text)
    a = ask(r, "GET http://a.test/blog/post?x=1").answer
    assert (a.status, a.redirect and a.redirect.location) == (301, "https://blog.a.test/post?x=1")
    assert ask(r, "POST http://a.test/blog/post").answer.status == 308
    b = ask(r, "GET http://a.test/v1/users").answer
    assert b.upstream_path == "/api/users" and dict(b.upstream_headers)["x-replaced-path"] == "/v1/users"


def test_strip_prefix_keeps_encoded_slashes_and_refuses_unclean_results() -> None:
    # stripPrefix: the prefix is removed from Path and (by decoded length) from RawPath; a result
    # that cleaning would change is refused with 400
    r = make(svc("web") + mw("s", "  stripPrefix: {prefixes: [/a]}") + ir("shop", """
  - match: Host(`a.test`)
    middlewares: [{name: s}]
    services: [{name: web, port: 80}]"""))
    assert ask(r, "GET http://a.test/a/x").answer.upstream_path == "/x"
    # "..%2Fx" is not a dot segment for Go's path.Join: forwarded as is
    assert ask(r, "GET http://a.test/a/..%2Fx").answer.upstream_path == "/..%2Fx"
    # "/a./x" minus "/a" is "/./x", which cleaning changes
    bad = ask(r, "GET http://a.test/a./x").answer
    assert (bad.status, bad.generated_by) == (400, "bad-request-400")


def test_headers_security_cors_and_allowed_hosts() -> None:
    text = svc("web") + mw("sec", """  headers:
    stsSeconds: 63072000
    stsIncludeSubdomains: true
    frameDeny: true
    customResponseHeaders: {X-Frame-Options: SAMEORIGIN, Server: ''}
    customRequestHeaders: {X-Env: prod}
    accessControlAllowOriginList: ["https://app.test"]
    accessControlAllowMethods: [GET]
    accessControlMaxAge: 600""") + mw("hosts", "  headers: {allowedHosts: [a.test]}") + ir("shop", """
  - match: Host(`a.test`) || Host(`b.test`)
    middlewares: [{name: sec}, {name: hosts}]
    services: [{name: web, port: 80}]""")
    r = make(text)
    plain = ask(r, "GET http://a.test/ | Origin: https://app.test").answer
    hdrs = dict(plain.response_headers)
    assert "strict-transport-security" not in hdrs  # only over TLS
    assert hdrs["x-frame-options"] == "SAMEORIGIN"  # custom headers apply after the secure ones
    assert hdrs["access-control-allow-origin"] == "https://app.test"
    assert dict(plain.upstream_headers)["x-env"] == "prod"
    tls = dict(ask(r, "GET https://a.test/").answer.response_headers)
    assert tls["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    pre = ask(r, "OPTIONS http://a.test/ | Origin: https://app.test | Access-Control-Request-Method: GET").answer
    assert (pre.status, pre.generated_by) == (200, "cors-preflight")
    assert dict(pre.response_headers)["access-control-max-age"] == "600"
    assert ask(r, "GET http://b.test/").answer.status == 500  # allowedHosts: Bad Host


def test_ip_allow_list_strategies() -> None:
    text = svc("web") + mw("office", "  ipAllowList: {sourceRange: [10.0.0.0/8], rejectStatusCode: 404}") + \
        mw("depth", "  ipAllowList: {sourceRange: [10.0.0.0/8], ipStrategy: {depth: 1}}") + ir("shop", """
  - match: Host(`a.test`)
    middlewares: [{name: office}]
    services: [{name: web, port: 80}]
  - match: Host(`b.test`)
    middlewares: [{name: depth}]
    services: [{name: web, port: 80}]""")
    r = make(text)
    assert ask(r, "GET http://a.test/", client_ip="10.2.3.4").answer.status == 200
    assert ask(r, "GET http://a.test/", client_ip="192.0.2.1").answer.status == 404
    unknown = ask(r, "GET http://a.test/").answer
    assert unknown.status == 200 and any("client address is not given" in u for u in unknown.unmodelled)
    # the entry point drops an untrusted client's X-Forwarded-For before the middleware reads it
    assert ask(r, "GET http://b.test/ | X-Forwarded-For: 10.1.1.1", client_ip="192.0.2.1").answer.status == 403
    trusted = make(text, {"entryPoints": {"web": {"address": ":80", "forwardedHeaders": {"insecure": True}}}})
    assert ask(trusted, "GET http://b.test/ | X-Forwarded-For: 10.1.1.1", client_ip="192.0.2.1").answer.status == 200


def test_basic_auth_with_htpasswd_lines() -> None:
    # loadAuthCredentials: a Secret with one key of htpasswd lines; $apr1$ is MD5-crypt
    # (hash made with `openssl passwd -apr1 -salt abcdefgh wonderland`)
    text = svc("web") + """
---
apiVersion: v1
kind: Secret
metadata: {name: users, namespace: shop}
stringData: {users: "alice:$apr1$abcdefgh$VS3vSM84y6riPqgPCrpTW.\\n"}
""" + mw("auth", "  basicAuth: {secret: users, removeHeader: true}") + ir("shop", """
  - match: Host(`a.test`)
    middlewares: [{name: auth}]
    services: [{name: web, port: 80}]""")
    r = make(text)
    assert ask(r, "GET http://a.test/").answer.status == 401
    ok = ask(r, "GET http://a.test/ | Authorization: Basic YWxpY2U6d29uZGVybGFuZA==").answer
    assert ok.status == 200 and "authorization" not in dict(ok.upstream_headers)
    assert ask(r, "GET http://a.test/ | Authorization: Basic YWxpY2U6bm9wZQ==").answer.status == 401


def test_runtime_dependent_middlewares_are_unmodelled() -> None:
    text = svc("web") + mw("rl", "  rateLimit: {average: 10}") + mw("fa", "  forwardAuth: {address: http://auth}") + \
        mw("cb", "  circuitBreaker: {expression: NetworkErrorRatio() > 0.5}") + mw("retry", "  retry: {attempts: 3}") + \
        ir("shop", """
  - match: Host(`a.test`)
    middlewares: [{name: rl}, {name: fa}, {name: cb}, {name: retry}]
    services: [{name: web, port: 80}]""")
    a = ask(make(text), "GET http://a.test/").answer
    assert a.status == 200
    kinds = " ".join(a.unmodelled)
    assert "rateLimit" in kinds and "forwardAuth" in kinds and "circuitBreaker" in kinds
    assert "retry" not in kinds and any("retry" in n for n in a.notes)


def test_entry_point_middlewares_and_redirection() -> None:
    # entryPoints.<ep>.http.middlewares run first on every router of the entry point
    static = {"entryPoints": {
        "web": {"address": ":80", "http": {"middlewares": ["shop-hdr@kubernetescrd"]}},
        "websecure": {"address": ":443", "http": {"tls": {}}},
        "alt": {"address": ":8080", "http": {"redirections": {"entryPoint": {"to": ":8443", "permanent": False}}}},
    }}
    text = svc("web") + mw("hdr", "  headers: {customRequestHeaders: {X-From-Ep: web}}") + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80}]""")
    r = make(text, static)
    assert dict(ask(r, "GET http://a.test/").answer.upstream_headers)["x-from-ep"] == "web"
    assert "x-from-ep" not in dict(ask(r, "GET https://a.test/").answer.upstream_headers)
    red = ask(r, "GET http://a.test:8080/x").answer
    assert (red.status, red.redirect and red.redirect.location) == (302, "https://a.test:8443/x")


def test_unknown_tls_options_drop_the_router_and_sni_strict_refuses_handshakes() -> None:
    text = svc("web") + """
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: default, namespace: shop}
spec: {sniStrict: true}
""" + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80}]""", "  tls: {secretName: a-cert}") + ir("other", """
  - match: Host(`b.test`)
    services: [{name: web, port: 80}]""", "  tls: {options: {name: missing}}")
    r = make(text, secrets="input", secret_facts={"shop/a-cert": __import__(
        "ing2gw.simulate.request", fromlist=["SecretFact"]).SecretFact(dns_names=("a.test",))})
    assert ask(r, "GET https://a.test/").answer.status == 200
    assert ask(r, "GET https://b.test/").answer.generated_by == "tls-handshake-failed"  # no certificate for b.test
    assert any("unknown TLS options" in e for s in r.states.values() for e in s.errors)


def test_tcp_routes_are_reported_on_the_connections_they_may_take() -> None:
    text = svc("web") + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80}]""") + """
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: {name: db, namespace: shop}
spec:
  entryPoints: [websecure]
  routes: [{match: HostSNI(`db.test`), services: [{name: db, port: 5432}]}]
  tls: {passthrough: true}
"""
    r = make(text)
    assert any("IngressRouteTCP shop/db" in u for u in ask(r, "GET https://a.test/").answer.unmodelled)
    assert not ask(r, "GET http://a.test/").answer.unmodelled


# ---- API groups and versions --------------------------------------------------------------


LEGACY = svc("web") + ir("old", """
  - match: Host(`a.test`) && Headers(`X-V`, `2`)
    services: [{name: web, port: 80}]""", group="traefik.containo.us")


def test_traefik_containo_us_objects_assume_traefik_v2() -> None:
    r = make(LEGACY)
    a = ask(r, "GET http://a.test/ | X-V: 2").answer
    assert backend(a) == "shop/web:80"  # v2 syntax: Headers
    assert any("traefik.containo.us" in n for n in r.notes)


def test_traefik_v3_ignores_traefik_containo_us() -> None:
    r = make(LEGACY, {"traefikVersion": "3.7"})
    assert ask(r, "GET http://a.test/ | X-V: 2").answer.status == 404
    assert "removed in v3.0" in r.ignored["IngressRoute shop/old"]


# ---- static configuration and context -----------------------------------------------------


@pytest.mark.parametrize("static,message", [
    ({"entrypoint": {}}, "unknown key"),
    ({"entryPoints": {"web": {"address": "80"}}}, "has no port"),
    ({"providers": {"kubernetesIngress": {"ingressclass": 5, "allowEmptyServices": "maybe"}}}, "not true or false"),
    ({"core": {"defaultRuleSyntax": "v4"}}, "must be v2 or v3"),
    ({"entryPoints": {"web": {"address": ":80", "http": {"redirections": {"entryPoint": {"to": "nope"}}}}}},
     "non-existing entry point"),
    ({"traefikVersion": "1.7"}, "models Traefik v3"),
])
def test_bad_static_configuration_is_a_clear_error(static: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        make(svc("web"), static)


def test_no_entry_point_on_the_port_means_no_connection() -> None:
    a = ask(make(svc("web")), "GET http://a.test:9999/").answer
    assert (a.status, a.generated_by) == (0, "connection-refused")


def test_request_before_routing() -> None:
    ingress = """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: shop}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""
    r = make(svc("web") + ingress)
    assert ask(r, "GET http://a.test/a;b?x=1;y=2").answer.upstream_path == "/a;b?x=1&y=2"  # AllowQuerySemicolons
    assert r.route(Request(host=None, target="/")).status == 400  # HTTP/1.1 needs a Host
    assert r.route(Request(host="a b", target="/")).status == 400  # malformed Host header
    assert r.route(Request(host="a.test", target="/a%zz")).status == 400
    assert r.route(Request(host="a.test", target="/a b")).status == 400


def test_build_router_and_context_file_plug_in() -> None:
    docs = [d for d in yaml.safe_load_all(svc("web") + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: web, port: 80}]""")) if d]
    ctx = ClusterContext.from_dict({"traefik": {"entryPoints": {"web": {"address": ":8000"}}}})
    router = build_router("ingress", "traefik", [Manifest(d, Origin("x.yaml")) for d in docs], ctx)
    assert router.route(Request.parse_line("GET http://a.test:8000/")).status == 200


def test_cli_simulate_controller_traefik(tmp_path: Any, capsys: Any) -> None:
    from ing2gw.cli import main

    f = tmp_path / "in.yaml"
    f.write_text(svc("web") + ir("shop", """
  - match: Host(`a.test`) && PathPrefix(`/api`)
    services: [{name: web, port: 80}]"""), encoding="utf-8")
    ctx = tmp_path / "ctx.yaml"
    ctx.write_text("traefik:\n  entryPoints:\n    web: {address: ':80'}\n", encoding="utf-8")
    rc = main(["simulate", "--side", "ingress", "--controller", "traefik", "-f", str(f), "--context", str(ctx),
               "--request", "GET http://a.test/api/x"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    out = json.loads(captured.out)
    assert out["backend"] == {"namespace": "shop", "name": "web", "port": 80}
    assert out["decided_by"]["rule"] == "Host(`a.test`) && PathPrefix(`/api`)"
    ctx.write_text("traefik:\n  entryPoints:\n    web: {adress: ':80'}\n", encoding="utf-8")
    rc = main(["simulate", "--side", "ingress", "--controller", "traefik", "-f", str(f), "--context", str(ctx),
               "--request", "GET http://a.test/"])
    err = capsys.readouterr().err
    assert rc == 2 and "adress" in err and "Traceback" not in err


def test_the_generated_configuration_is_exposed() -> None:
    ingress = """
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: site
  namespace: shop
  annotations: {traefik.ingress.kubernetes.io/router.middlewares: shop-s@kubernetescrd,
                traefik.ingress.kubernetes.io/router.tls: "true"}
spec:
  rules:
  - host: a.test
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""
    r = make(svc("web") + mw("s", "  stripPrefix: {prefixes: [/api]}") + ingress)
    conf = r.configuration()
    assert conf["routers"] == {"shop-site-a-test-api@kubernetes": {
        "rule": 'Host("a.test") && PathPrefix("/api")', "priority": 36, "service": "shop-web-80",
        "middlewares": ["shop-s@kubernetescrd"], "entrypoints": ["web", "websecure"], "tls": True, "usable": True,
        "errors": [], "source": "Ingress shop/site"}}
    assert conf["services"]["shop-web-80@kubernetes"]["port"] == 80  # type: ignore[index]


def test_a_middleware_the_crd_schema_refuses_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"test.yaml:\d+: Middleware shop/s: spec.stripPrefix.prefixes: must be a list"):
        make(svc("web") + mw("s", "  stripPrefix: {prefixes: /api}"))


def _ingress(annotations: str = "", host: str = "a.test", path: str = "/api", service: str = "web") -> str:
    return f"""
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: site
  namespace: shop
  annotations: {{{annotations}}}
spec:
  rules:
  - host: "{host}"
    http:
      paths:
      - {{path: {path}, pathType: Prefix, backend: {{service: {{name: {service}, port: {{number: 80}}}}}}}}
"""


def test_service_annotations_middlewares_and_decoding_errors() -> None:
    # loadService: service.middlewares run before the pods; an unknown service.* key makes
    # every path using the Service fail (no router)
    good = """
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {traefik.ingress.kubernetes.io/service.middlewares: shop-s@kubernetescrd}
spec: {ports: [{name: http, port: 80}]}
"""
    bad = good.replace("service.middlewares", "service.middlewarez")
    text = mw("s", "  stripPrefix: {prefixes: [/api]}")
    assert ask(make(good + text + _ingress()), "GET http://a.test/api/x").answer.upstream_path == "/x"
    r = make(bad + text + _ingress())
    assert ask(r, "GET http://a.test/api/x").answer.status == 404
    assert any("middlewarez" in s for s in r.config.skipped)


def test_router_rulesyntax_v2_annotation_writes_the_wildcard_as_a_template() -> None:
    # buildHostRuleV2: *.x becomes HostRegexp("{subdomain:[a-zA-Z0-9-]+}.x") for v2 routers
    r = make(svc("web") + _ingress('traefik.ingress.kubernetes.io/router.rulesyntax: v2', host="*.b.test"))
    d = ask(r, "GET http://x.b.test/api")
    assert d.rule == 'HostRegexp("{subdomain:[a-zA-Z0-9-]+}.b.test") && PathPrefix("/api")'
    assert backend(d.answer) == "shop/web:80"
    assert ask(r, "GET http://x.y.b.test/api").answer.status == 404


def test_the_request_s_client_address_reaches_the_allow_list() -> None:
    """A probe carries its client address on the Request (the equivalence check sends such
    probes); the Traefik model must decide an ipAllowList on it, not mark it unmodelled."""
    from ing2gw.load import Manifest
    from ing2gw.origin import Origin
    from ing2gw.simulate import build_router
    from ing2gw.simulate.request import ClusterContext, Request

    objs = [
        {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": "office", "namespace": "shop"},
         "spec": {"ipAllowList": {"sourceRange": ["10.0.0.0/8"]}}},
        {"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", "metadata": {"name": "r", "namespace": "shop"},
         "spec": {"entryPoints": ["web"], "routes": [{"match": "Host(`a.example.com`)", "kind": "Rule",
                                                      "middlewares": [{"name": "office"}],
                                                      "services": [{"name": "web", "port": 80}]}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"ports": [{"port": 80}]}},
    ]
    router = build_router("ingress", "traefik", [Manifest(o, Origin("t.yaml", 1)) for o in objs], ClusterContext())
    inside = router.route(Request(method="GET", scheme="http", host="a.example.com", target="/", client_ip="10.1.2.3"))
    outside = router.route(Request(method="GET", scheme="http", host="a.example.com", target="/", client_ip="192.0.2.1"))
    assert inside.status == 200 and not inside.unmodelled, inside.to_dict()
    assert outside.status == 403, outside.to_dict()


def test_regex_middlewares_follow_the_sources() -> None:
    # stripprefixregex: the first match must be a prefix of the path (HasPrefix), else nothing is
    # stripped; replacepathregex: ReplaceAllString over the escaped path, X-Replaced-Path the old
    # one; redirect.go: a URL the replacement leaves unchanged goes on unredirected
    text = svc("web") + mw("spr", '  stripPrefixRegex: {regex: ["/v[0-9]+"]}') + \
        mw("rpr", "  replacePathRegex: {regex: /x, replacement: /y}") + \
        mw("same", r"""  redirectRegex: {regex: '^http://a\.test/(.*)', replacement: 'http://a.test/$1'}""") + \
        ir("shop", """
  - match: Host(`a.test`) && PathPrefix(`/s`)
    middlewares: [{name: spr}]
    services: [{name: web, port: 80}]
  - match: Host(`a.test`) && PathPrefix(`/r`)
    middlewares: [{name: rpr}]
    services: [{name: web, port: 80}]
  - match: Host(`a.test`) && PathPrefix(`/u`)
    middlewares: [{name: same}]
    services: [{name: web, port: 80}]""")
    r = make(text)
    assert ask(r, "GET http://a.test/s/v1/x").answer.upstream_path == "/s/v1/x"  # /v1 found, not a prefix
    b = ask(r, "GET http://a.test/r/x/x").answer
    assert b.upstream_path == "/r/y/y" and dict(b.upstream_headers)["x-replaced-path"] == "/r/x/x"
    c = ask(r, "GET http://a.test/u/p").answer
    assert (c.status, c.redirect, c.upstream_path) == (200, None, "/u/p")


def test_cors_preflight_lists_whatever_the_origin_and_credentials_everywhere() -> None:
    # header.go: lists joined with ','; the preflight answer carries them before the origin check;
    # Access-Control-Allow-Credentials is set on every response of the router
    text = svc("web") + mw("cors", """  headers:
    accessControlAllowOriginList: ["https://app.test"]
    accessControlAllowMethods: [GET, POST]
    accessControlAllowCredentials: true""") + ir("shop", """
  - match: Host(`a.test`)
    middlewares: [{name: cors}]
    services: [{name: web, port: 80}]""")
    r = make(text)
    pre = dict(ask(r, "OPTIONS http://a.test/ | Origin: https://evil.test | Access-Control-Request-Method: GET")
               .answer.response_headers)
    assert pre["access-control-allow-methods"] == "GET,POST" and "access-control-allow-origin" not in pre
    plain = dict(ask(r, "GET http://a.test/").answer.response_headers)
    assert plain["access-control-allow-credentials"] == "true"


def test_a_mirror_with_percent_zero_gets_nothing() -> None:
    # mirror.go: a mirror receives a request while count*100 < total*percent
    text = svc("v1") + svc("shadow") + """
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: mirror, namespace: shop}
spec:
  mirroring:
    name: v1
    port: 80
    mirrors: [{name: shadow, port: 80, percent: 0}]
""" + ir("shop", """
  - match: Host(`a.test`)
    services: [{name: mirror, kind: TraefikService}]""")
    a = ask(make(text), "GET http://a.test/").answer
    assert backend(a) == "shop/v1:80" and a.mirrored_to == ()
