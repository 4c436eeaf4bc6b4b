"""--target kgateway allow/deny lists: an acl on exactly the Ingress's route whose longest-prefix
decision equals nginx's deny-first order (allow entries inside a deny entry are left out)."""

from __future__ import annotations

import yaml

import implementation_crds
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.request import Request
from ing2gw.translate import translate
from test_target_istio import ingress

P = "nginx.ingress.kubernetes.io"


def test_acl_agrees_with_nginx_deny_first_and_reaches_only_the_ingress() -> None:
    anns = {f"{P}/whitelist-source-range": "10.0.0.0/8, 10.66.1.0/24, 10.67.0.0/16, 192.168.0.1",
            f"{P}/denylist-source-range": "10.66.0.0/16, 10.67.0.0/16"}
    res = translate(load_text("---\n".join([ingress("admin", "a.example.com", [("/", "Prefix")], anns),
                                            ingress("open", "a.example.com", [("/open", "Prefix")])])),
                    Options(target="kgateway"))
    [pol] = [o for o in res.objects() if o["kind"] == "TrafficPolicy"]
    assert implementation_crds.problems(pol) == []
    assert [t["name"] for t in pol["spec"]["targetRefs"]] == ["admin"]
    assert pol["spec"]["acl"] == {"defaultAction": "deny", "rules": [
        {"name": "denylist", "action": "deny", "cidrs": ["10.66.0.0/16", "10.67.0.0/16"]},
        {"name": "allowlist", "action": "allow", "cidrs": ["10.0.0.0/8", "192.168.0.1/32"]}]}
    r = GatewayRouter(load_text(yaml.safe_dump_all(res.objects()), "o.yaml"))

    def status(line: str) -> int:
        a = r.route(Request.parse_line(line))
        assert not a.unmodelled, a.unmodelled
        return a.status

    # nginx: deny 10.66/16 first, so 10.66.1.5 is denied although 10.66.1.0/24 is allowed
    for client, expected in (("10.66.1.5", 403), ("10.67.0.1", 403), ("10.1.2.3", 200), ("192.168.0.1", 200),
                             ("192.168.0.2", 403), ("11.0.0.1", 403)):
        assert status(f"GET http://a.example.com/x | @client={client}") == expected, client
    assert status("GET http://a.example.com/open/y | @client=11.0.0.1") == 200  # the other Ingress
    assert "ING2GW-CORE-026" not in [f.code for f in res.findings]


def test_an_invalid_list_denies_everyone() -> None:
    res = translate(load_text(ingress("bad", "b.example.com", [("/", "Prefix")],
                                      {f"{P}/whitelist-source-range": "10.0.0.0/8, nonsense"})),
                    Options(target="kgateway"))
    [pol] = [o for o in res.objects() if o["kind"] == "TrafficPolicy"]
    assert pol["spec"]["acl"] == {"defaultAction": "deny"}
