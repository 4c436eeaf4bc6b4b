"""The traffic-equivalence check: probes, comparison, explanations, CLI, and every golden case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from golden_harness import Case, discover, parse_flags, run
from ing2gw.cli import main
from ing2gw.cli.convert import build_options
from ing2gw.load import load_text
from ing2gw.simulate.compare import compare, normalise_location
from ing2gw.simulate.probes import generate, host_variants, path_variants
from ing2gw.simulate.request import Answer, BackendRef, Redirect, Share
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation

ROOT = Path(__file__).resolve().parents[1]
CASES = discover()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden_case_has_no_unexplained_difference(case: Case) -> None:
    manifests = load_text(case.input.read_text(encoding="utf-8"), str(case.input.relative_to(ROOT)))
    result = run(case)
    v = verify_translation(result, manifests, build_options(parse_flags(case.flags())))
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, json.dumps(unexplained[:5], indent=1)
    assert v.probes == 0 or v.equivalent > 0


def test_path_variants() -> None:
    assert path_variants("/api") == ["/api", "/api/", "/api/child", "/apix", "/API", "/"]
    assert path_variants("/a/b/") == ["/a/b/", "/a/b", "/a/b/child", "/a/bx", "/A/B", "/a"]


def test_host_variants() -> None:
    assert host_variants("a.com") == ["a.com", "A.COM", "a.com:8080"]
    assert host_variants("*.a.com") == ["a.a.com", "a.b.a.com", "a.com", "A.A.COM"]


ING = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
    nginx.ingress.kubernetes.io/canary-by-cookie: beta
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /api(/|$)(.*)
        pathType: ImplementationSpecific
        backend: {service: {name: api, port: {number: 80}}}
"""


def test_probes_are_deterministic_deduplicated_and_cover_the_config() -> None:
    ms = load_text(ING)
    a, b = generate(ms, []), generate(ms, [])
    assert [r.describe() for r in a] == [r.describe() for r in b]
    described = [r.describe() for r in a]
    assert len(described) == len(set(described))
    assert any("/api/x" in d or "/api/" in d for d in described), "regex samples"
    assert any("X-Canary: always" in d for d in described), "canary header probes"
    assert any("X-Canary: never | Cookie: beta=always" in d for d in described), "header and cookie disagreeing"
    assert any("Cookie: probe=1; beta=always" in d for d in described), "the canary cookie after another"
    assert any(d.startswith("GET https://") for d in described) and any(d.startswith("GET http://") for d in described)
    assert any("unknown-host" in d for d in described)
    # a port variant keeps the connection on the scheme's port
    port_probe = next(r for r in a if (r.host or "").endswith(":8080"))
    assert port_probe.port in (80, 443)


def test_location_normalisation() -> None:
    assert normalise_location("http://h:80/a") == normalise_location("http://h/a")
    assert normalise_location("https://H") == "https://h/"
    assert normalise_location("https://h:8443/") == "https://h:8443/"


def _a(**kw: object) -> Answer:
    return Answer(**kw)  # type: ignore[arg-type]


def test_compare_fields() -> None:
    be = BackendRef("ns", "a", 80)
    other = BackendRef("ns", "b", 80)
    same = _a(status=200, backend=be, backends=(Share(be, 1.0),), upstream_path="/x", upstream_host="h")
    assert compare(same, same) == []
    diff = compare(same, _a(status=200, backend=other, backends=(Share(other, 1.0),), upstream_path="/y",
                            upstream_host="h"))
    assert {d.field for d in diff} == {"backend", "upstream_path"}
    split = _a(status=200, backend=be, backends=(Share(be, 0.9), Share(other, 0.1)), upstream_path="/x", upstream_host="h")
    assert [d.field for d in compare(same, split)] == ["backends"]
    r1 = _a(status=308, redirect=Redirect("https://h:443/a", 308))
    r2 = _a(status=308, redirect=Redirect("https://h/a", 308))
    assert compare(r1, r2) == []
    # the proxy's own X-Forwarded-* headers are not configuration
    h1 = _a(status=200, backend=be, backends=(Share(be, 1.0),), upstream_headers=(("x-forwarded-for", "1.2.3.4"),))
    h2 = _a(status=200, backend=be, backends=(Share(be, 1.0),))
    assert compare(h1, h2) == []


def test_a_wrong_hand_edit_is_unexplained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = ROOT / "examples" / "shop"
    out = tmp_path / "out"
    assert main(["convert", "-f", str(src), "--out-dir", str(out)]) == 0
    routes = out / "apps" / "shop" / "httproutes.yaml"
    routes.write_text(routes.read_text().replace("name: api\n      port: 8000", "name: web\n      port: 80"))
    capsys.readouterr()
    assert main(["verify", "-f", str(src), "--gateway", str(out), "-R", "-o", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["unexplained"] > 0
    bad = [d for d in doc["differences"] if not d["explained_by"]]
    assert any("/api" in d["request"] for d in bad)
    assert {"request", "old", "new", "explained_by", "unexplained_fields"} <= set(bad[0])
    assert "backend" in bad[0]["unexplained_fields"]


def test_verify_of_an_untouched_translation_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = ROOT / "examples" / "shop"
    out = tmp_path / "out"
    assert main(["convert", "-f", str(src), "--out-dir", str(out)]) == 0
    assert main(["verify", "-f", str(src), "--gateway", str(out), "-R"]) == 0
    text = capsys.readouterr().out
    assert "0 unexplained" in text and "explained by ING2GW-CORE-015" in text


def test_convert_verify_writes_result_next_to_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", "-f", str(ROOT / "examples" / "shop"), "--out-dir", str(out), "--verify",
                 "--verify-output", "json"]) == 0
    doc = json.loads((out / "verify.json").read_text())
    assert doc["probes"] > 0 and doc["unexplained"] == 0


# -- property: random Ingress sets within what the translator supports -------------------------

_labels = st.sampled_from(["a", "b", "shop", "api", "www"])
_hosts = st.one_of(
    st.builds(lambda x, y: f"{x}.{y}.example.com", _labels, _labels),
    st.builds(lambda x: f"*.{x}.example.com", _labels),
    st.just(""),
)
_segments = st.sampled_from(["api", "v1", "static", "a", "b", "docs"])
_paths = st.builds(lambda segs, slash: "/" + "/".join(segs) + ("/" if slash and segs else ""),
                   st.lists(_segments, max_size=3), st.booleans())
_path_entry = st.tuples(_paths, st.sampled_from(["Exact", "Prefix", "ImplementationSpecific"]),
                        st.sampled_from(["svc-a", "svc-b", "svc-c"]))


@st.composite
def _ingress_sets(draw: st.DrawFn) -> str:
    docs = []
    n = draw(st.integers(1, 4))
    for i in range(n):
        ns = draw(st.sampled_from(["team-a", "team-b"]))
        ts = draw(st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", None]))
        rules = []
        hosts = draw(st.lists(_hosts, min_size=0, max_size=2, unique=True))
        for h in hosts:
            paths = draw(st.lists(_path_entry, min_size=0, max_size=3))
            body = "".join(f"      - path: {p}\n        pathType: {t}\n        backend: {{service: {{name: {s}, port: {{number: 80}}}}}}\n"
                           for p, t, s in paths)
            host_line = f"  - host: '{h}'\n" if h else "  - "
            if paths:
                rules.append(host_line + ("    http:\n" if h else "http:\n") + "      paths:\n" + body)
            elif h:
                rules.append(host_line)
        default = draw(st.booleans()) or not rules
        tls_hosts = [h for h in hosts if h and draw(st.booleans())]
        doc = f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing-{i}\n  namespace: {ns}\n"
        if ts:
            doc += f"  creationTimestamp: '{ts}'\n"
        doc += "spec:\n  ingressClassName: nginx\n"
        if default:
            doc += "  defaultBackend: {service: {name: svc-default, port: {number: 80}}}\n"
        if tls_hosts:
            doc += "  tls:\n  - hosts: [" + ", ".join(f"'{h}'" for h in tls_hosts) + "]\n    secretName: tls-" + str(i) + "\n"
        if rules:
            doc += "  rules:\n" + "".join(rules)
        docs.append(doc)
    return "---\n".join(docs)


@settings(max_examples=int(__import__("os").environ.get("ING2GW_PROPERTY_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_ingress_sets())
def test_random_ingress_sets_translate_without_unexplained_differences(text: str) -> None:
    manifests = load_text(text, "random.yaml")
    options = build_options(parse_flags([]))
    result = translate(manifests, options)
    v = verify_translation(result, manifests, options)
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, text + "\n" + json.dumps(unexplained[:3], indent=1)


def _nginx_configs() -> Any:
    """benchmarks/nginx_configs.py: random ingress-nginx configurations, annotated or plain."""
    import importlib.util
    import sys

    path = ROOT / "benchmarks" / "nginx_configs.py"
    mod = sys.modules.get("bench_nginx_configs")
    if mod is None:
        spec = importlib.util.spec_from_file_location("bench_nginx_configs", path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules["bench_nginx_configs"] = mod
        spec.loader.exec_module(mod)
    return mod


_EXAMPLES = int(__import__("os").environ.get("ING2GW_PROPERTY_EXAMPLES", "60"))


@settings(max_examples=_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.booleans(), st.booleans())
def test_random_nginx_configurations_have_no_unexplained_difference(rng: Any, annotations: bool,
                                                                     default_cert: bool) -> None:
    """With strict explanations: every difference is predicted by a finding, with and without
    annotations, with and without the controller's default certificate."""
    text = _nginx_configs().generate(rng, annotations=annotations)
    manifests = load_text(text, "random.yaml")
    flags = ["--nginx-flag", "--default-ssl-certificate=ingress-nginx/default-cert"] if default_cert else []
    options = build_options(parse_flags(flags))
    v = verify_translation(translate(manifests, options), manifests, options)
    unexplained = [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified]
    assert v.unexplained == 0, text + "\n" + json.dumps(unexplained[:3], indent=1)


def _host_matches(host: str, pattern: str) -> bool:
    """Gateway API / nginx host matching, written out plainly: the reference for _on_hosts."""
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and "." not in host[: -len(pattern) + 1]
    return host == pattern


_LABEL = st.sampled_from(["a", "b", "www", "api", "x-1", ""])
_HOST = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)


@settings(max_examples=400, deadline=None)
@example(host="a.b", patterns=["*.b"])
@example(host="a.b.c", patterns=["*.c"])
@example(host=".a", patterns=["*.a"])
@example(host="*.b", patterns=["*.b"])
@example(host="b", patterns=["*.b", "c"])
@given(host=_HOST, patterns=st.lists(st.one_of(_HOST, _HOST.map(lambda h: "*." + h)), max_size=6))
def test_on_hosts_is_host_matching_over_the_finding_hosts(host: str, patterns: list[str]) -> None:
    from ing2gw.findings import Finding, Severity
    from ing2gw.equivalence.explain import Probe, on_hosts

    f = Finding(Severity.WARNING, "ING2GW-CORE-012", "m", details=(("hosts", ",".join(patterns)),))
    probe = Probe(None, None, None, [], host, set())  # type: ignore[arg-type]
    expected = any(_host_matches(host, p) for p in patterns if p)
    assert on_hosts(f, probe) == expected


def test_verify_reads_the_target_from_the_policies_on_the_gateway_side(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A regex rewrite carried by an Envoy Gateway HTTPRouteFilter, edited to swap its groups:
    without --target, the translation's 'rewrite cannot be expressed' finding would excuse the
    changed upstream paths; verify reads the target from the policy and calls them unexplained."""
    src = ROOT / "golden" / "ingress-nginx" / "target-envoy-gateway-regex-rewrite" / "input.yaml"
    out = tmp_path / "out"
    assert main(["convert", "-f", str(src), "--target", "envoy-gateway", "--out-dir", str(out)]) in (0, 1)
    assert main(["verify", "-f", str(src), "--gateway", str(out), "-R"]) == 0
    assert "verifying as --target envoy-gateway" in capsys.readouterr().err
    edited = 0
    for f in out.rglob("*.yaml"):
        text = f.read_text()
        if 'substitution: "/v2/\\\\2/\\\\1"' in text:
            f.write_text(text.replace('substitution: "/v2/\\\\2/\\\\1"', 'substitution: "/v2/\\\\1/\\\\2"'))
            edited += 1
    assert edited == 1
    capsys.readouterr()
    assert main(["verify", "-f", str(src), "--gateway", str(out), "-R", "-o", "json"]) == 1
    bad = [d for d in json.loads(capsys.readouterr().out)["differences"] if not d["explained_by"]]
    assert bad and all("upstream_path" in d["unexplained_fields"] for d in bad)


def test_verify_refuses_policies_of_two_targets_without_target(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = ROOT / "golden" / "ingress-nginx" / "target-envoy-gateway-regex-rewrite" / "input.yaml"
    out = tmp_path / "out"
    assert main(["convert", "-f", str(src), "--target", "envoy-gateway", "--out-dir", str(out)]) in (0, 1)
    (out / "istio.yaml").write_text("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
                                    "metadata: {name: x, namespace: gateway-system}\nspec: {action: DENY}\n")
    capsys.readouterr()
    assert main(["verify", "-f", str(src), "--gateway", str(out), "-R"]) == 2
    err = capsys.readouterr().err
    assert "istio.yaml:1" in err and "--target" in err and "Traceback" not in err
