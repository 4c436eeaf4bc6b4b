"""Random Traefik Ingress configurations: every translation verifies with no unexplained
difference (hosts, host-less rules, wildcards, Prefix/Exact paths, router.priority,
router.entrypoints, router.tls, router.middlewares and spec.tls drawn at random)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ing2gw.load import Manifest
from ing2gw.options import Options
from ing2gw.origin import Origin
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation

HOSTS = st.sampled_from([None, "a.example.com", "b.example.com", "*.example.com"])
PATHS = st.sampled_from(["/", "/a", "/a/", "/ab", "/a/b", "/api", "/api/v1", "/long-path-for-priority"])
PATH = st.tuples(PATHS, st.sampled_from(["Prefix", "Exact", "ImplementationSpecific"]), st.sampled_from(["s1", "s2"]))
ANNOTATIONS = st.fixed_dictionaries({}, optional={
    "traefik.ingress.kubernetes.io/router.priority": st.sampled_from(["1", "10", "100"]),
    "traefik.ingress.kubernetes.io/router.entrypoints": st.sampled_from(["web", "websecure", "web,websecure"]),
    "traefik.ingress.kubernetes.io/router.tls": st.sampled_from(["true", "false"]),
    "traefik.ingress.kubernetes.io/router.middlewares": st.sampled_from([
        "app-https@kubernetescrd", "app-strip@kubernetescrd", "app-hdr@kubernetescrd",
        "app-hdr@kubernetescrd,app-strip@kubernetescrd", "app-missing@kubernetescrd"]),
})
MIDDLEWARES = [("https", {"redirectScheme": {"scheme": "https", "permanent": True}}),
               ("strip", {"stripPrefix": {"prefixes": ["/api"]}}),
               ("hdr", {"headers": {"customRequestHeaders": {"X-A": "1"}, "customResponseHeaders": {"X-B": "2"}}})]
INGRESS = st.tuples(st.lists(st.tuples(HOSTS, st.lists(PATH, min_size=1, max_size=3)), min_size=1, max_size=2),
                    ANNOTATIONS, st.booleans())


def _objects(ingresses: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                  "metadata": {"name": "traefik"}, "spec": {"controller": "traefik.io/ingress-controller"}}]
    for name, spec in MIDDLEWARES:
        out.append({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
                    "metadata": {"name": name, "namespace": "app"}, "spec": spec})
    for s in ("s1", "s2"):
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": s, "namespace": "app"},
                    "spec": {"ports": [{"name": "http", "port": 80}]}})
    for i, (rules, anns, tls) in enumerate(ingresses):
        spec: dict[str, Any] = {"ingressClassName": "traefik", "rules": [
            {**({"host": h} if h else {}), "http": {"paths": [
                {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}}
                for p, t, s in paths]}} for h, paths in rules]}
        hosts = [h for h, _ in rules if h]
        if tls and hosts:
            spec["tls"] = [{"hosts": hosts, "secretName": f"cert-{i}"}]
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": f"ing-{i}", "namespace": "app", "annotations": dict(anns)},
                    "spec": spec})
    return out


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(INGRESS, min_size=1, max_size=3))
def test_random_traefik_configuration_verifies(ingresses: list[Any]) -> None:
    manifests = [Manifest(o, Origin("random.yaml", 0, i)) for i, o in enumerate(_objects(ingresses))]
    result = translate(manifests, Options())
    v = verify_translation(result, manifests, Options())
    bad = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, bad[:2]
