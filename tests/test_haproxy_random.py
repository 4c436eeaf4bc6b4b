"""Random HAProxy configurations: every translation is equivalent up to its findings.

Hypothesis draws a few Ingresses of class haproxy (hosts exact, wildcard or none; paths of the
three types, overlapping on purpose; Services with and without a manifest; frontend annotations
and tls entries, some in the controller ConfigMap); each is translated and checked against the
HAProxy model with strict explanations. A counter-example is shrunk to a small input.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation

HOSTS = ["a.test", "b.test", "*.w.test", None]
PATHS = ["/", "/api", "/api/", "/api/v1", "/app", "/x/y"]
TYPES = ["Exact", "Prefix", "ImplementationSpecific"]
SERVICES = ["alpha", "beta", "gamma"]
ANNOTATIONS: list[tuple[str, str]] = [
    ("haproxy.org/ssl-redirect", "true"), ("haproxy.org/ssl-redirect", "false"),
    ("haproxy.org/ssl-redirect-code", "301"), ("haproxy.org/ssl-redirect-port", "443"),
    ("haproxy.org/request-set-header", "X-Env prod"), ("haproxy.org/response-set-header", "X-Frame-Options DENY"),
    ("haproxy.org/set-host", "backend.internal"), ("haproxy.org/path-rewrite", "/rewritten"),
    ("haproxy.org/request-redirect", "https://new.test"), ("haproxy.org/allow-list", "10.0.0.0/8"),
    ("haproxy.org/load-balance", "leastconn"),
]


@st.composite
def configs(draw: st.DrawFn) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for svc in SERVICES:
        if draw(st.booleans()):
            objs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": "shop"},
                         "spec": {"ports": [{"name": "http", "port": 80}]}})
    if draw(st.booleans()):
        objs.append({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "haproxy-kubernetes-ingress", "namespace": "haproxy-controller"},
                     "data": dict(draw(st.lists(st.sampled_from(ANNOTATIONS[:3]), max_size=2)))
                     and {k.split("/", 1)[1]: v for k, v in draw(st.lists(st.sampled_from(ANNOTATIONS[:6]),
                                                                           max_size=2))}})
    for i in range(draw(st.integers(1, 3))):
        rules = []
        for host in draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=2, unique=True)):
            paths = [{"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                     for p, t, s in draw(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(TYPES),
                                                            st.sampled_from(SERVICES)), min_size=1, max_size=3))]
            rules.append({"host": host, "http": {"paths": paths}} if host else {"http": {"paths": paths}})
        spec: dict[str, Any] = {"ingressClassName": "haproxy", "rules": rules}
        named = [r["host"] for r in rules if r.get("host")]
        if named and draw(st.booleans()):
            spec["tls"] = [{"hosts": named, "secretName": f"tls-{i}"}]
        if draw(st.integers(0, 5)) == 0:
            spec["defaultBackend"] = {"service": {"name": draw(st.sampled_from(SERVICES)), "port": {"number": 80}}}
        anns = dict(draw(st.lists(st.sampled_from(ANNOTATIONS), max_size=3)))
        objs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                     "metadata": {"name": f"ing-{i}", "namespace": "shop", "annotations": anns}, "spec": spec})
    return objs


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_random_haproxy_configuration_is_equivalent_up_to_findings(objs: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump_all(objs, sort_keys=False)
    ms = load_text(text, "random.yaml")
    options = Options()
    result = translate(ms, options)
    v = verify_translation(result, ms, options)
    assert v.probes > 0, text
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, text + json.dumps(unexplained[:2], indent=1)
