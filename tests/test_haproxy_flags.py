"""The HAProxy controller's arguments as translation input (--haproxy-flag, haproxyFlags):
parsing, errors, and what each routing flag changes in the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from ing2gw.cli import main
from ing2gw.config import parse_function_config
from ing2gw.errors import UsageError
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.haproxy.flags import CHART_FLAGS, ControllerFlags, parse
from ing2gw.translate import translate

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: haproxy
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def test_no_flags_are_the_charts() -> None:
    chart = parse(())
    assert chart == ControllerFlags() and chart.chart
    assert chart.ingress_class == "haproxy" and chart.configmap == ("haproxy-controller", "haproxy-kubernetes-ingress")
    given = parse(CHART_FLAGS)
    assert not given.chart and given.ingress_class == "haproxy" and given.default_cert == chart.default_cert


def test_given_flags_are_the_whole_argument_list() -> None:
    f = parse(["--configmap", "ops/haproxy", "--empty-ingress-class=false", "--namespace-whitelist=a,b",
               "--namespace-whitelist=c", "--default-backend-service=ops/fallback", "--disable-https"])
    assert f.ingress_class == "" and f.class_controller == "haproxy.org/ingress-controller"
    assert f.default_cert is None and f.configmap == ("ops", "haproxy") and not f.empty_ingress_class
    assert f.namespace_whitelist == ("a", "b", "c") and f.watches("b") and not f.watches("d")
    assert f.default_backend == ("ops", "fallback", "") and f.disable_https and not f.disable_http
    assert parse(["--namespace-blacklist=kube-system"]).watches("shop")
    assert not parse(["--namespace-blacklist=kube-system"]).watches("kube-system")


@pytest.mark.parametrize("flags, message", [
    (["--ingress-class=haproxy"], "--ingress-class=haproxy: unknown flag of the HAProxy controller"),
    (["ingress.class=haproxy"], "not a controller flag"),
    (["--empty-ingress-class=yes"], "expected true or false"),
    (["--default-backend-service"], "needs a value"),
    (["--default-backend-service=a/b/c"], "expected namespace/name"),
])
def test_bad_flags_are_refused_naming_the_flag(flags: list[str], message: str) -> None:
    with pytest.raises(UsageError, match="--haproxy-flag") as err:
        parse(flags)
    assert message in str(err.value)


def test_bad_flags_are_refused_without_haproxy_ingresses_too() -> None:
    nginx = INGRESS.replace("ingressClassName: haproxy", "ingressClassName: nginx")
    with pytest.raises(UsageError, match="unknown flag"):
        translate(load_text(nginx, "in.yaml"), Options(haproxy_flags=("--bogus",)))


def test_cli_error_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS)
    assert main(["convert", "-f", str(src), "--haproxy-flag=--ingres.class=haproxy"]) == 2
    err = capsys.readouterr().err
    assert "--haproxy-flag --ingres.class=haproxy: unknown flag" in err and "Traceback" not in err


def test_config_key_and_command_line_add_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ing2gw.yaml"
    config.write_text("apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata: {name: x}\n"
                      "spec: {haproxyFlags: [--ingress.class=haproxy]}\n")
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS)
    assert main(["convert", "-f", str(src), "--config", str(config), "--haproxy-flag=--disable-http", "-v"]) == 0
    captured = capsys.readouterr()
    assert "given flags: --ingress.class=haproxy --disable-http" in captured.err
    assert "protocol: HTTP\n" not in captured.out and "protocol: HTTPS" not in captured.out  # no cert: no HTTPS
    assert parse_function_config({"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "metadata": {"name": "x"},
                                  "spec": {"haproxyFlags": ["--empty-ingress-class"]}}
                                 ).options.haproxy_flags == ("--empty-ingress-class",)


def test_ingress_class_flag_decides_what_is_served() -> None:
    other = INGRESS.replace("ingressClassName: haproxy", "ingressClassName: internal") + """\
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: internal}
spec: {controller: haproxy.org/ingress-controller/internal}
"""
    served = translate(load_text(other, "in.yaml"), Options(classes=(("internal", "haproxy"),),
                                                           haproxy_flags=("--ingress.class=internal",)))
    assert any(o.get("kind") == "HTTPRoute" for o in served.objects())
    ignored = translate(load_text(other, "in.yaml"), Options(classes=(("internal", "haproxy"),)))
    assert not any(o.get("kind") == "HTTPRoute" for o in ignored.objects())
    assert any(f.code == "ING2GW-HAPROXY-023" and "chart's flags" in f.message for f in ignored.findings)


def test_context_file_flags_reach_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(INGRESS)
    context = tmp_path / "context.yaml"
    context.write_text("haproxy: {flags: [--ingress.class=haproxy, --disable-http]}\n")
    args = ["simulate", "-f", str(src), "--side", "ingress", "--controller", "haproxy",
            "--request", "GET http://shop.example.com/"]
    assert main(args) == 0
    served = capsys.readouterr().out
    assert main([*args, "--context", str(context)]) == 0
    refused = capsys.readouterr().out
    assert '"status": 200' in served and '"status": 200' not in refused
    assert "connection-refused" in refused and "connection-refused" not in served
    context.write_text("haproxy: [--disable-http]\n")
    assert main([*args, "--context", str(context)]) == 2
    assert "haproxy must be a mapping with `flags`" in capsys.readouterr().err
