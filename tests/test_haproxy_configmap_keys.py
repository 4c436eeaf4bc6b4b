"""The controller ConfigMap's global and every-backend keys are reported, each once, from
mappings/haproxy.yaml: a security key lost is an error unless accepted; the ConfigMap is the one
--configmap names."""

from __future__ import annotations

from ing2gw.findings import Finding, Severity
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import translate

INPUT = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: haproxy-kubernetes-ingress, namespace: haproxy-controller}
data: {client-ca: ops/ca, timeout-client: 10s, nbthread: "4", load-balance: leastconn, ssl-redirect: "false"}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: haproxy
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - host: b.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
"""


def _configmap_findings(options: Options) -> dict[str, Finding]:
    result = translate(load_text(INPUT, "in.yaml"), options)
    found = [f for f in result.findings if f.subject == "ConfigMap haproxy-controller/haproxy-kubernetes-ingress"]
    assert len(found) == len({f.annotation for f in found}), "each key once"
    return {str(f.annotation): f for f in found}


def test_global_and_backend_keys_are_reported_once() -> None:
    found = _configmap_findings(Options())
    assert found["client-ca"].severity is Severity.ERROR and found["client-ca"].security
    assert found["client-ca"].origin is not None and found["client-ca"].origin.file == "in.yaml"
    assert found["timeout-client"].code == "ING2GW-HAPROXY-039"
    assert found["nbthread"].code == "ING2GW-HAPROXY-003"
    assert found["load-balance"].code == "ING2GW-HAPROXY-027"
    # a frontend key is the default of every Ingress: reported on the Ingress, not here
    assert "ssl-redirect" not in found


def test_an_accepted_loss_is_a_warning() -> None:
    found = _configmap_findings(Options(allow_weakened=frozenset({"client-ca"})))
    assert found["client-ca"].severity is Severity.WARNING and found["client-ca"].accepted


def test_only_the_configmap_the_controller_reads() -> None:
    assert _configmap_findings(Options(haproxy_flags=("--ingress.class=haproxy", "--configmap=ops/other"))) == {}
