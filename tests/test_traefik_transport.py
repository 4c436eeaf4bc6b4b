"""ServersTransport and TLSOption (providers/traefik/transport.py): lost checks are errors unless accepted."""

from __future__ import annotations

from ing2gw.findings import Severity
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import translate

BASE = """\
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
  annotations: SERVICE_ANN
spec: {ports: [{name: https, port: 443}]}
---
apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: {name: skip, namespace: shop}
spec: {insecureSkipVerify: true, serverName: api.internal}
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: mtls, namespace: shop}
spec:
  minVersion: VersionTLS12
  clientAuth: {secretNames: [ca], clientAuthType: RequireAndVerifyClientCert}
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: {name: relaxed, namespace: shop}
spec: {minVersion: VersionTLS13}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: api, namespace: shop}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(`shop.example.com`)
    kind: Rule
    services: [{name: api, port: 443, ROUTE_ST}]
  tls: {secretName: shop-tls, options: {name: mtls}}
"""


def findings(text: str, options: Options | None = None) -> dict[str, list[tuple[Severity, str, str]]]:
    result = translate(load_text(text, "in.yaml"), options or Options())
    out: dict[str, list[tuple[Severity, str, str]]] = {}
    for f in result.findings:
        out.setdefault(f.code, []).append((f.severity, f.subject, f.message))
    return out


def text(route_st: str = "serversTransport: skip", service_ann: str = "{}") -> str:
    return BASE.replace("ROUTE_ST", route_st).replace("SERVICE_ANN", service_ann)


def test_lost_checks_are_errors_and_the_rest_warnings() -> None:
    f = findings(text())
    assert [(s, subj) for s, subj, _ in f["ING2GW-TRAEFIK-068"]] == [(Severity.ERROR, "ServersTransport shop/skip")]
    assert "IngressRoute shop/api" in f["ING2GW-TRAEFIK-068"][0][2]
    assert [(s, subj) for s, subj, _ in f["ING2GW-TRAEFIK-070"]] == [(Severity.ERROR, "TLSOption shop/mtls")]
    assert [m for _, _, m in f["ING2GW-TRAEFIK-069"] if "serverName" in m]
    assert [s for s, subj, _ in f["ING2GW-TRAEFIK-071"] if subj == "TLSOption shop/mtls"] == [Severity.WARNING]
    # an option nothing uses changes nothing
    assert (Severity.INFO, "TLSOption shop/relaxed") in [(s, subj) for s, subj, _ in f["ING2GW-TRAEFIK-069"]]


def test_accepted_losses_are_warnings() -> None:
    f = findings(text(), Options(allow_weakened=frozenset({"insecureSkipVerify", "clientAuth"})))
    assert {s for s, _, _ in f["ING2GW-TRAEFIK-068"] + f["ING2GW-TRAEFIK-070"]} == {Severity.WARNING}


def test_a_service_annotation_and_a_qualified_reference_count_as_users() -> None:
    f = findings(text(route_st="serversTransport: shop-skip@kubernetescrd"))
    assert [s for s, _, _ in f["ING2GW-TRAEFIK-068"]] == [Severity.ERROR]
    unused = findings(text(route_st="weight: 1"))
    assert "ING2GW-TRAEFIK-068" not in unused
    by_service = findings(text(route_st="weight: 1",
                               service_ann="{traefik.ingress.kubernetes.io/service.serverstransport: "
                                           "shop-skip@kubernetescrd}"))
    assert "Service shop/api" in by_service["ING2GW-TRAEFIK-068"][0][2]


def test_static_insecure_skip_verify() -> None:
    f = findings(text(route_st="weight: 1"), Options(traefik_static={"serversTransport": {"insecureSkipVerify": True}}))
    assert (Severity.ERROR, "Traefik static configuration") in [(s, subj) for s, subj, _ in f["ING2GW-TRAEFIK-068"]]
