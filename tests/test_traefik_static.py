"""Traefik's static configuration as translator input: the reader (providers/traefik/static.py),
`--traefik-static` / `--traefik-version` on the command line and `traefikStatic` in a config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ing2gw.cli import main
from ing2gw.config import parse_function_config
from ing2gw.errors import InputError, UsageError
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.traefik.static import EntryPoint, Redirection, parse_static, read_static_file
from ing2gw.translate import translate

INGRESS = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: traefik
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""

REDIRECT = {"entryPoints": {"web": {"address": ":80", "http": {"redirections": {"entryPoint": {"to": "websecure"}}}},
                            "websecure": {"address": ":443", "http": {"tls": {}}}}}


def test_without_a_file_the_helm_chart_is_assumed() -> None:
    st = parse_static(None)
    assert st.entry_points == (EntryPoint("web", 80), EntryPoint("websecure", 443, tls=True))
    assert st.defaults() == ("web", "websecure")
    assert st.allow_empty_services and not st.allow_external_name_services and not st.given


def test_redirection_to_an_entry_point_takes_its_port_and_drops_the_default_one() -> None:
    st = parse_static(REDIRECT)
    assert st.entry_point("web") == EntryPoint("web", 80, redirection=Redirection("websecure", "https", None, True))
    st = parse_static({"entryPoints": {"web": {"address": ":8000", "http": {"redirections": {"entryPoint": {
        "to": "websecure", "permanent": False}}}}, "websecure": {"address": ":8443", "http": {"tls": {}}}}})
    assert st.entry_point("web").redirection == Redirection("websecure", "https", 8443, False)  # type: ignore[union-attr]


def test_keys_are_case_insensitive_and_asdefault_picks_the_defaults() -> None:
    st = parse_static({"EntryPoints": {"web": {"Address": ":80"}, "websecure": {"address": ":443", "asDefault": True},
                                       "traefik": {"address": ":8080"}},
                       "providers": {"kubernetesingress": {"STRICTPREFIXMATCHING": "true", "ingressClass": "x"}}})
    assert st.defaults() == ("websecure",)
    assert st.strict_prefix_matching and st.ingress_class == "x"
    # without asDefault: every TCP entry point but `traefik` (T-C2)
    st = parse_static({"entryPoints": {"web": {"address": ":80"}, "traefik": {"address": ":8080"},
                                       "dns": {"address": ":53/udp"}}})
    assert st.defaults() == ("web",)


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "traefik.yaml"
    f.write_text("entryPoints:\n  web:\n    adress: ':80'\n  websecure:\n    address: '443'\n"
                 "providers:\n  kubernetesIngress:\n    allowEmptyServices: maybe\n  kubernetesCRDs: {}\n")
    with pytest.raises(InputError) as exc:
        read_static_file(str(f))
    text = str(exc.value)
    assert f"{f}:3: entryPoints.web.adress: unknown key" in text and "did you mean address?" in text
    assert f"{f}:5: entryPoints.websecure.address: '443' is not [host]:port" in text
    assert f"{f}:8: providers.kubernetesIngress.allowemptyservices: 'maybe' is not true or false" in text
    assert f"{f}:9: providers.kubernetesCRDs: unknown key" in text


def test_toml_and_broken_files(tmp_path: Path) -> None:
    good = tmp_path / "traefik.toml"
    good.write_text('[entryPoints.web]\naddress = ":8000"\n[entryPoints.websecure]\naddress = ":8443"\n'
                    '[entryPoints.websecure.http.tls]\n')
    assert parse_static(read_static_file(str(good))).entry_points[1] == EntryPoint("websecure", 8443, tls=True)
    bad = tmp_path / "bad.toml"
    bad.write_text("[entryPoints.web\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        read_static_file(str(bad))
    broken = tmp_path / "bad.yaml"
    broken.write_text("entryPoints:\n  web: [\n")
    with pytest.raises(UsageError, match=r"bad.yaml:3: not valid YAML"):
        read_static_file(str(broken))
    with pytest.raises(UsageError, match="must be|mapping"):
        (tmp_path / "list.yaml").write_text("- a\n")
        read_static_file(str(tmp_path / "list.yaml"))


def _gateway(objects: list[dict[str, Any]]) -> dict[str, Any]:
    gw, = [o for o in objects if o["kind"] == "Gateway"]
    return gw


def test_redirection_becomes_a_redirect_route_and_the_routes_leave_port_80() -> None:
    result = translate(load_text(INGRESS, "in.yaml"), Options(traefik_static=REDIRECT))
    objects = result.objects()
    listeners = {(x["protocol"], x["port"], x.get("hostname")) for x in _gateway(objects)["spec"]["listeners"]}
    assert listeners == {("HTTP", 80, None), ("HTTPS", 443, "shop.example.com")}
    routes = [o for o in objects if o["kind"] == "HTTPRoute"]
    redirect, = [r for r in routes if r["metadata"]["namespace"] == "gateway-system"]
    assert [r["filters"][0]["requestRedirect"] for r in redirect["spec"]["rules"]] == [
        {"scheme": "https", "statusCode": 301}, {"scheme": "https", "statusCode": 308}]
    assert redirect["spec"]["rules"][0]["matches"][0]["method"] == "GET"
    app, = [r for r in routes if r["metadata"]["namespace"] == "shop"]
    assert [p["sectionName"] for p in app["spec"]["parentRefs"]] == ["https-shop.example.com"]
    assert "ING2GW-TRAEFIK-064" in {f.code for f in result.findings}


def test_chart_default_keeps_both_listeners() -> None:
    objects = translate(load_text(INGRESS, "in.yaml"), Options()).objects()
    assert {(x["protocol"], x["port"]) for x in _gateway(objects)["spec"]["listeners"]} == {("HTTP", 80),
                                                                                           ("HTTPS", 443)}


def test_cli_reads_the_file_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.yaml").write_text(INGRESS)
    (tmp_path / "traefik.yaml").write_text("entryPoints:\n  web:\n    address: ':80'\n    http:\n      redirections:\n"
                                           "        entryPoint: {to: websecure}\n  websecure:\n    address: ':443'\n"
                                           "    http: {tls: {}}\n")
    assert main(["convert", "-f", str(tmp_path / "in.yaml"), "--traefik-static", str(tmp_path / "traefik.yaml"),
                 "--verify"]) == 0
    out, err = capsys.readouterr()
    assert "statusCode: 308" in out and " 0 unexplained" in err
    (tmp_path / "bad.yaml").write_text("entryPoints:\n  web: {address: nowhere}\n")
    assert main(["convert", "-f", str(tmp_path / "in.yaml"), "--traefik-static", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bad.yaml'}:2: entryPoints.web.address" in err and "Traceback" not in err
    assert main(["convert", "-f", str(tmp_path / "in.yaml"), "--traefik-static", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read it" in capsys.readouterr().err
    assert main(["convert", "-f", str(tmp_path / "in.yaml"), "--traefik-version", "2.11"]) == 2
    assert "not a Traefik v3 release" in capsys.readouterr().err


def test_config_key_takes_the_document_inline_or_a_file(tmp_path: Path) -> None:
    config = parse_function_config({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw",
                                    "spec": {"traefikStatic": REDIRECT, "traefikVersion": "3.6"}})
    assert config.options.traefik_static == REDIRECT and config.options.traefik_version == "3.6"
    f = tmp_path / "t.toml"
    f.write_text('[providers.kubernetesIngress]\nstrictPrefixMatching = true\n')
    config = parse_function_config({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw",
                                    "spec": {"traefikStatic": str(f)}})
    assert config.options.traefik_static == {"providers": {"kubernetesIngress": {"strictPrefixMatching": True}}}
    with pytest.raises(UsageError, match="traefikStatic.*entryPoints.web.address"):
        parse_function_config({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw",
                               "spec": {"traefikStatic": {"entryPoints": {"web": {}}}}})


def _two_namespaces() -> str:
    other = INGRESS.replace("namespace: shop", "namespace: blog").replace("shop.example.com", "blog.example.com")
    return INGRESS + "---\n" + other.replace("kind: Ingress\nmetadata: {name: web, namespace: blog}",
                                             "kind: Ingress\nmetadata: {name: web, namespace: blog, labels: {team: b}}")


@pytest.mark.parametrize("option,skipped", [
    ({"namespaces": ["shop"]}, "blog/web"),
    ({"labelSelector": "team notin (b)"}, "blog/web"),
    ({"labelSelector": "team=b"}, "shop/web"),
])
def test_provider_scope_options_skip_ingresses_and_verify(option: dict[str, Any], skipped: str) -> None:
    from ing2gw.equivalence.verification import verify_translation

    manifests = load_text(_two_namespaces(), "in.yaml")
    options = Options(traefik_static={"providers": {"kubernetesIngress": option}})
    result = translate(manifests, options)
    assert [f.subject for f in result.findings if f.code == "ING2GW-TRAEFIK-063"] == [f"Ingress {skipped}"]
    assert not result.ownership[skipped].translated
    v = verify_translation(result, manifests, options)
    assert v.unexplained == 0 and v.probes > 0


def test_cross_provider_namespaces_skip_ingresses_that_use_middlewares() -> None:
    text = INGRESS.replace("metadata: {name: web, namespace: shop}\nspec:\n  ingressClassName",
                           "metadata:\n  name: web\n  namespace: shop\n  annotations:\n"
                           "    traefik.ingress.kubernetes.io/router.tls.options: shop-strict@kubernetescrd\n"
                           "spec:\n  ingressClassName")
    options = Options(traefik_static={"providers": {"kubernetesIngress": {"crossProviderNamespaces": ["infra"]}}})
    result = translate(load_text(text, "in.yaml"), options)
    assert [f.code for f in result.findings if f.subject == "Ingress shop/web" and f.code == "ING2GW-TRAEFIK-063"]
