"""--target istio: the address lists become DENY AuthorizationPolicies on the Gateway that reach
exactly the Ingress's requests (ports, hosts, paths minus the paths other routes win), proven
through the Istio model of the Gateway API simulator."""

from __future__ import annotations

from typing import Any

import yaml

import implementation_crds
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import Result, translate

P = "nginx.ingress.kubernetes.io"


def ingress(name: str, host: str | None, paths: list[tuple[str, str]], anns: dict[str, str] | None = None,
            tls: bool = False) -> str:
    a = "".join(f"    {k}: {v!r}\n" for k, v in (anns or {}).items())
    h = f"  - host: {host}\n    http:\n" if host else "  - http:\n"
    return (f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: shop\n"
            + (f"  annotations:\n{a}" if a else "")
            + "spec:\n  ingressClassName: nginx\n"
            + (f"  tls:\n  - hosts: [{host}]\n    secretName: {name}-tls\n" if tls else "")
            + "  rules:\n" + h + "      paths:\n"
            + "".join(f"      - {{path: '{p}', pathType: {t}, backend: {{service: {{name: {name}, port: {{number: 80}}}}}}}}\n"
                      for p, t in paths))


def run(*docs: str) -> Result:
    return translate(load_text("---\n".join(docs)), Options(target="istio"))


def router(result: Result) -> GatewayRouter:
    return GatewayRouter(load_text(yaml.safe_dump_all(result.objects()), "out.yaml"))


def policies(result: Result) -> list[dict[str, Any]]:
    return [o for o in result.objects() if o["kind"] == "AuthorizationPolicy"]


def status(r: GatewayRouter, line: str) -> tuple[int, str | None]:
    a = r.route(Request.parse_line(line))
    assert not a.unmodelled, a.unmodelled
    return a.status, (a.backend.name if a.backend else None)


ALLOW = {f"{P}/whitelist-source-range": "10.0.0.0/8", f"{P}/denylist-source-range": "10.66.0.0/16"}


def test_allow_and_deny_list_reach_exactly_the_ingress() -> None:
    res = run(ingress("admin", "a.example.com", [("/", "Prefix")], ALLOW, tls=True),
              ingress("public", "a.example.com", [("/public", "Prefix"), ("/open", "Exact")]),
              ingress("other", "b.example.com", [("/", "Prefix")]))
    [pol] = policies(res)
    assert pol["metadata"]["namespace"] == "gateway-system" and pol["spec"]["action"] == "DENY"
    assert pol["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "nginx"}]
    assert implementation_crds.problems(pol) == []
    r = router(res)
    out, inside, denied = "@client=11.0.0.1", "@client=10.1.2.3", "@client=10.66.1.1"
    assert status(r, f"GET https://a.example.com/x | {out}")[0] == 403
    assert status(r, f"GET https://a.example.com/x | {denied}")[0] == 403
    assert status(r, f"GET https://a.example.com/x | {inside}") == (200, "admin")
    # the second Ingress on the same host and Gateway, and another host, are not affected
    assert status(r, f"GET https://a.example.com/public/y | {out}") == (200, "public")
    assert status(r, f"GET https://a.example.com/open | {out}") == (200, "public")
    assert status(r, f"GET http://b.example.com/ | {out}") == (200, "other")
    # the HTTP->HTTPS redirect route of the Ingress answers before nginx's access check
    assert status(r, f"GET http://a.example.com/x | {out}")[0] == 308
    assert "ING2GW-TARGET-020" in [f.code for f in res.findings]
    assert "ING2GW-CORE-026" not in [f.code for f in res.findings]


def test_a_route_without_host_is_excluded_from_named_hosts() -> None:
    res = run(ingress("catchall", None, [("/", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8"}),
              ingress("named", "n.example.com", [("/api", "Prefix")]))
    r = router(res)
    out = "@client=11.0.0.1"
    assert status(r, f"GET http://x.example.com/ | {out}")[0] == 403
    assert status(r, f"GET http://n.example.com/api/v | {out}") == (200, "named")
    assert status(r, "GET http://n.example.com/api/v | @client=10.0.0.1") == (200, "named")
    # the named host has a listener of its own: the catch-all route never gets its requests, so
    # the policy leaves them alone (404 from either client, not 403)
    assert status(r, f"GET http://n.example.com/other | {out}") == (404, None)
    assert status(r, "GET http://n.example.com/other | @client=10.0.0.1") == (404, None)


def test_a_regex_route_gets_no_policy_and_an_error_that_predicts_the_loss() -> None:
    res = run(ingress("re", "r.example.com", [("/api/v[0-9]+", "ImplementationSpecific")],
                      {f"{P}/use-regex": "true", f"{P}/whitelist-source-range": "10.0.0.0/8"}))
    assert policies(res) == []
    errs = [f for f in res.findings if f.code == "ING2GW-TARGET-021"]
    assert errs and errs[0].severity.value == "error" and errs[0].security


def test_a_tie_with_another_route_is_not_guessed() -> None:
    res = run(ingress("one", "t.example.com", [("/x", "Prefix")], {f"{P}/whitelist-source-range": "10.0.0.0/8"}),
              ingress("two", "t.example.com", [("/x", "Exact"), ("/y", "Prefix")]))
    pols = policies(res)
    # /x Prefix and /x Exact are different matches: Exact /x wins for /x only
    assert pols and all(implementation_crds.problems(p) == [] for p in pols)
    r = router(res)
    assert status(r, "GET http://t.example.com/x | @client=11.0.0.1") == (200, "two")
    assert status(r, "GET http://t.example.com/x/z | @client=11.0.0.1")[0] == 403
