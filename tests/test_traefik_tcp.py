"""IngressRouteTCP/IngressRouteUDP: TLSRoutes where they fit (providers/traefik/tcp.py), findings otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.traefik.tcp import sni_names
from ing2gw.translate import translate

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {ports: [{name: pg, port: 5432}]}
"""


def tcp(match: str, tls: str = "{passthrough: true}", group: str = "traefik.io", eps: str = "[websecure]") -> str:
    return SERVICE + f"""---
apiVersion: {group}/v1alpha1
kind: IngressRouteTCP
metadata: {{name: pg, namespace: data}}
spec:
  entryPoints: {eps}
  routes:
  - match: {match}
    services: [{{name: db, port: pg, weight: 3}}]
  tls: {tls}
"""


def objects(text: str, options: Options | None = None) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    result = translate(load_text(text, "in.yaml"), options or Options())
    codes: dict[str, list[str]] = {}
    for f in result.findings:
        codes.setdefault(f.code, []).append(f.message)
    return result.objects(), codes


@pytest.mark.parametrize("match,names", [
    ("HostSNI(`a.example.com`)", ["a.example.com"]),
    ("HostSNI(`A.example.com`) || HostSNI(\"b.example.com\")", ["a.example.com", "b.example.com"]),
    ("HostSNI(`a.example.com`, `b.example.com`)", ["a.example.com", "b.example.com"]),
    ("HostSNI(`*`)", ["*"]),
    ("HostSNIRegexp(`^a.*`)", None),
    ("HostSNI(`a.example.com`) && ClientIP(`10.0.0.0/8`)", None),
    ("!HostSNI(`a`)", None),
])
def test_sni_names(match: str, names: list[str] | None) -> None:
    assert sni_names(match) == names


@pytest.mark.parametrize("group", ["traefik.io", "traefik.containo.us"])
def test_passthrough_becomes_a_tls_route(group: str) -> None:
    objs, codes = objects(tcp("HostSNI(`pg.example.com`)", group=group))
    route, = [o for o in objs if o["kind"] == "TLSRoute"]
    assert route["spec"]["hostnames"] == ["pg.example.com"]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "db", "port": 5432, "weight": 3}]}]
    gw, = [o for o in objs if o["kind"] == "Gateway"]
    tls = [x for x in gw["spec"]["listeners"] if x["protocol"] == "TLS"]
    assert [(x["hostname"], x["port"], x["tls"]["mode"]) for x in tls] == [("pg.example.com", 443, "Passthrough")]
    assert "ING2GW-TRAEFIK-067" in codes


def test_the_entry_points_port_is_the_listeners() -> None:
    static = {"entryPoints": {"web": {"address": ":80"}, "postgres": {"address": ":5432"}}}
    objs, _ = objects(tcp("HostSNI(`pg.example.com`)", eps="[postgres]"), Options(traefik_static=static))
    gw, = [o for o in objs if o["kind"] == "Gateway"]
    assert [(x["protocol"], x["port"]) for x in gw["spec"]["listeners"]] == [("TLS", 5432)]


@pytest.mark.parametrize("match,tls,words", [
    ("HostSNI(`*`)", "null", "TCPRoute on a TCP listener"),
    ("HostSNI(`*`)", "{passthrough: true}", "TCPRoute on a TLS listener in Passthrough mode"),
    ("HostSNI(`pg.example.com`)", "{secretName: pg-tls}", "TLS listener in Terminate mode with a TCPRoute"),
    ("HostSNIRegexp(`^pg`)", "{passthrough: true}", "not a list of HostSNI names"),
])
def test_what_does_not_fit_is_reported_precisely(match: str, tls: str, words: str) -> None:
    objs, codes = objects(tcp(match, tls))
    assert not [o for o in objs if o["kind"] == "TLSRoute"]
    assert any(words in m for m in codes["ING2GW-TRAEFIK-060"]), codes


def test_udp_is_reported() -> None:
    _, codes = objects(SERVICE + "---\napiVersion: traefik.io/v1alpha1\nkind: IngressRouteUDP\n"
                                 "metadata: {name: dns, namespace: data}\nspec:\n  routes:\n"
                                 "  - services: [{name: db, port: 5432}]\n")
    assert any("UDPRoute" in m for m in codes["ING2GW-TRAEFIK-060"])


@pytest.mark.parametrize("spec", [
    "{entryPoints: [websecure], routes: [{match: 'HostSNI(`pg.example.com`)', services: 1.5}], tls: {passthrough: true}}",
    "{entryPoints: [websecure], routes: [{match: 'HostSNI(`pg.example.com`)', services: [x]}], tls: {passthrough: true}}",
    "{entryPoints: [websecure], routes: [5], tls: {passthrough: true}}",
    "{entryPoints: websecure, routes: [], tls: {passthrough: true}}",
    "[1, 2]",
])
def test_a_malformed_ingress_route_tcp_is_refused_not_a_crash(spec: str) -> None:
    # found by the fuzzer: `services: 1.5` was iterated and raised a TypeError
    text = SERVICE + f"---\napiVersion: traefik.io/v1alpha1\nkind: IngressRouteTCP\nmetadata: {{name: pg, namespace: data}}\nspec: {spec}\n"
    objs, codes = objects(text)
    assert not [o for o in objs if o["kind"] == "TLSRoute"]
    assert any("invalid IngressRouteTCP" in m for m in codes.get("ING2GW-TRAEFIK-004", [])), codes


def test_an_ingress_route_tcp_with_an_invalid_name_is_reported_not_translated() -> None:
    """The API server refuses such a name, so Traefik never served it (found by the fuzz campaign:
    the name went into a TLSRoute's metadata.name and the emitted object was invalid)."""
    objs, codes = objects(tcp("HostSNI(`pg.example.com`)").replace("{name: pg, namespace: data}",
                                                                   "{name: finance/creds, namespace: data}"))
    assert not [o for o in objs if o["kind"] == "TLSRoute"]
    assert any("'finance/creds' is not a valid name" in m for m in codes["ING2GW-TRAEFIK-004"])
