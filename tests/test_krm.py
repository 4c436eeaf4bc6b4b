"""KRM function, legacy Kustomize exec plugin and kubectl plugin: the library, the commands, and
the real clients (`kubectl kustomize --enable-alpha-plugins`, `kpt fn eval --exec`,
`kpt fn render --allow-exec`, `kubectl ing2gw`, `kubectl __complete ing2gw`)."""

from __future__ import annotations

import copy
import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ing2gw import krm
from ing2gw.cli import main
from ing2gw.cli.kubectl_complete import completions, render
from ing2gw.errors import InputError, UsageError
from ing2gw.load import parse_documents

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
WHITELIST = "nginx.ingress.kubernetes.io/whitelist-source-range"


def load_all(text: str) -> list[Any]:
    """Documents as Kubernetes reads them (YAML 1.1 numbers: 0644 is octal)."""
    docs, problems = parse_documents(text, "output")
    assert not problems, problems
    return [value for _, _, value in docs]


def ingress(name: str = "web", ns: str = "shop", host: str = "shop.example.com", port: int = 80,
            annotations: dict[str, str] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        md["annotations"] = dict(annotations)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md,
            "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": name, "port": {"number": port}}}}]}}]}}


def service(name: str = "web", ns: str = "shop") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"name": "http", "port": 80}, {"name": "alt", "port": 8080}]}}


def kpt_annotated(obj: dict[str, Any], path: str, index: int, ident: int) -> dict[str, Any]:
    """An item as kpt hands it to a function."""
    obj = copy.deepcopy(obj)
    obj["metadata"].setdefault("annotations", {}).update({
        "config.kubernetes.io/index": str(index), "config.kubernetes.io/path": path,
        "internal.config.kubernetes.io/index": str(index), "internal.config.kubernetes.io/path": path,
        "internal.config.kubernetes.io/id": str(ident), "config.k8s.io/id": str(ident),
        "internal.config.kubernetes.io/seqindent": "compact"})
    return obj


def resource_list(items: list[dict[str, Any]], config: Any = None) -> dict[str, Any]:
    rl: dict[str, Any] = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if config is not None:
        rl["functionConfig"] = config
    return rl


def ing2gw_config(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "metadata": {"name": "ing2gw"}, "spec": spec}


def by_kind(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] == kind]


def ann(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj["metadata"].get("annotations") or {})


# ---------------------------------------------------------------------------------------------
# Library: items, paths, results


def test_other_items_are_untouched_and_new_objects_get_paths() -> None:
    svc = kpt_annotated(service(), "apps/shop/ingress.yaml", 1, 2)
    cm = kpt_annotated({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "shop"},
                        "data": {"k": "v"}}, "apps/shop/cm.yaml", 0, 3)
    items = [kpt_annotated(ingress(), "apps/shop/ingress.yaml", 0, 1), svc, cm]
    before = copy.deepcopy(items)
    out, outcome = krm.run_function(resource_list(items))
    assert outcome.exit_code == 0 and outcome.fatal == []
    assert items == before, "the input must not be modified"
    # untouched items: same order, same content, every orchestrator annotation kept
    assert out["items"][:2] == [before[1], before[2]]
    assert by_kind(out["items"], "Ingress") == [], "converted Ingresses are dropped by default"
    route, = by_kind(out["items"], "HTTPRoute")
    gateway, = by_kind(out["items"], "Gateway")
    assert out["items"].index(gateway) < out["items"].index(route), "platform objects first, then apps"
    assert ann(route)["internal.config.kubernetes.io/path"] == "apps/shop/gateway-api/httproute-web.yaml"
    assert ann(route)["config.kubernetes.io/path"] == "apps/shop/gateway-api/httproute-web.yaml"
    assert ann(route)["internal.config.kubernetes.io/index"] == "0"
    assert ann(gateway)["internal.config.kubernetes.io/path"] == "platform/gateway-nginx.yaml"
    for new in (route, gateway):
        assert "internal.config.kubernetes.io/id" not in ann(new) and "config.k8s.io/id" not in ann(new)
    assert route["spec"]["hostnames"] == ["shop.example.com"]


def test_new_objects_sharing_a_file_get_distinct_indexes() -> None:
    items = [kpt_annotated(ingress("a", host="a.example.com"), "ing.yaml", 0, 1),
             kpt_annotated(ingress("b", ns="other", host="b.example.com"), "ing.yaml", 1, 2),
             kpt_annotated(ingress("a", ns="other", host="c.example.com"), "ing.yaml", 2, 3)]
    out, outcome = krm.run_function(resource_list(items))
    places = sorted((ann(o)["internal.config.kubernetes.io/path"], ann(o)["internal.config.kubernetes.io/index"])
                    for o in out["items"])
    assert len(places) == len(set(places)), places
    assert ("gateway-api/httproute-a.yaml", "1") in places


def test_keep_ingress_and_rerun_is_idempotent() -> None:
    items = [kpt_annotated(ingress(), "ingress.yaml", 0, 1), kpt_annotated(service(), "ingress.yaml", 1, 2)]
    config = ing2gw_config(keepIngress=True)
    first, outcome = krm.run_function(resource_list(items, config))
    assert outcome.exit_code == 0
    assert [i["kind"] for i in first["items"]] == ["Ingress", "Service", "Gateway", "HTTPRoute"]
    # kpt writes the files and runs the pipeline again: ing2gw rewrites its own objects in place
    rerun_items = [copy.deepcopy(i) for i in first["items"]]
    for n, item in enumerate(rerun_items[2:], start=3):
        item["metadata"]["annotations"]["internal.config.kubernetes.io/id"] = str(n)
    second, outcome = krm.run_function(resource_list(rerun_items, config))
    assert outcome.exit_code == 0, outcome.fatal
    assert [i["kind"] for i in second["items"]] == ["Ingress", "Service", "Gateway", "HTTPRoute"]
    assert ann(second["items"][3])["internal.config.kubernetes.io/id"] == "4", "kept in its file, comments kept"


def test_clash_with_a_foreign_object_is_an_error_and_keeps_it() -> None:
    mine = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "shop"}, "spec": {"hostnames": ["other.example.com"]}}
    out, outcome = krm.run_function(resource_list([ingress(), service(), mine]))
    assert outcome.exit_code == 1
    assert by_kind(out["items"], "HTTPRoute") == [mine]
    result = next(r for r in out["results"] if r["tags"]["code"] == "ING2GW-KRM-001")
    assert result["severity"] == "error" and result["resourceRef"]["kind"] == "HTTPRoute"


def test_without_paths_no_path_annotations_are_invented() -> None:
    # kustomize gives no file paths (only its origin annotation with buildMetadata)
    ing = ingress()
    ing["metadata"]["annotations"] = {"config.kubernetes.io/origin": "path: ../base/ingress.yaml\n",
                                      WHITELIST: "10.0.0.0/8"}
    outcome = krm.run_plugin(ing2gw_config(failOn="never"), [ing, service()])
    assert outcome.exit_code == 0
    for obj in outcome.items:
        assert not any(k.startswith(("config.kubernetes.io/path", "internal.")) for k in ann(obj))
    result = next(r for r in outcome.results if r["tags"]["code"] == "ING2GW-NGINX-080")
    assert result["file"] == {"path": "../base/ingress.yaml"}
    assert any(n.startswith("../base/ingress.yaml: error: ING2GW-NGINX-080") for n in outcome.notes)


def test_findings_become_results_with_resource_ref_field_and_file() -> None:
    items = [kpt_annotated(ingress(annotations={WHITELIST: "10.0.0.0/8"}), "ingress.yaml", 0, 1)]
    out, outcome = krm.run_function(resource_list(items))
    assert outcome.exit_code == 1
    assert out["results"][0]["severity"] == "error", "worst first"
    result = next(r for r in out["results"] if r["tags"]["code"] == "ING2GW-NGINX-080")
    assert result["resourceRef"] == {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                     "name": "web", "namespace": "shop"}
    assert result["field"] == {"path": f"metadata.annotations['{WHITELIST}']", "currentValue": "10.0.0.0/8"}
    assert result["file"] == {"path": "ingress.yaml", "index": 0}
    assert result["tags"]["security"] == "true"
    assert "allowWeakened" in result["message"] and "--allow-weakened" not in result["message"]
    # a Gateway-level finding points at the new Gateway
    gw_results = [r for r in out["results"] if r.get("resourceRef", {}).get("kind") == "Gateway"]
    assert gw_results and gw_results[0]["file"]["path"] == "platform/gateway-nginx.yaml"
    for r in out["results"]:
        assert r["severity"] in ("error", "warning", "info") and r["message"]
    # the reason is ready for stderr
    assert any(WHITELIST in line for line in outcome.fatal)
    assert "failOn=error" in outcome.fatal[-1] and "allowWeakened: [whitelist-source-range]" in outcome.fatal[-1]
    # the output is still a full ResourceList
    assert out["kind"] == "ResourceList" and by_kind(out["items"], "HTTPRoute")


@pytest.mark.parametrize("spec, code", [
    ({}, 1),
    ({"failOn": "never"}, 0),
    ({"allowWeakened": ["whitelist-source-range"]}, 0),
    ({"allowWeakened": ["whitelist-source-range"], "failOn": "warning"}, 1),
])
def test_fail_on_decides_the_exit_code(spec: dict[str, Any], code: int) -> None:
    _, outcome = krm.run_function(resource_list([ingress(annotations={WHITELIST: "10.0.0.0/8"})],
                                                ing2gw_config(**spec)))
    assert outcome.exit_code == code
    assert bool(outcome.fatal) == bool(code)


def test_output_is_deterministic_and_block_style() -> None:
    rl = resource_list([ingress(), service()])
    a = krm.dump_resource_list(krm.run_function(copy.deepcopy(rl))[0])
    b = krm.dump_resource_list(krm.run_function(copy.deepcopy(rl))[0])
    assert a == b
    assert "{" not in a.replace("{}", ""), "no flow style"
    doc = load_all(a)[0]
    assert doc["kind"] == "ResourceList" and len(doc["items"]) == 3


KPT_INPUT = """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
  - # the shop
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: web
      namespace: shop
      annotations: {config.kubernetes.io/path: 'ing.yaml', internal.config.kubernetes.io/path: 'ing.yaml'}
    spec:
      ingressClassName: nginx
      defaultBackend: {service: {name: web, port: {number: 80}}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop, annotations: {config.kubernetes.io/path: 'deploy.yaml'}}
    spec:
      template:
        spec:
          volumes:
          - name: conf
            configMap: {name: web, defaultMode: 0644}
          containers:
          - name: web
            args: ["--timeout", "8m", 'yes']
            command:
              - |
                echo hi

  - {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json", "namespace": "shop"},
     "data": {"a": "1"}}
  - &anchor
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: anchored, namespace: shop}
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: function-input}
  data: {}
"""


def test_passed_through_items_keep_their_text() -> None:
    rl = krm.parse_resource_list(KPT_INPUT)
    out, outcome = krm.run_function(rl)
    text = krm.dump_resource_list(out, source=(KPT_INPUT, rl))
    assert "configMap: {name: web, defaultMode: 0644}" in text, "flow style and octal kept"
    assert 'args: ["--timeout", "8m", \'yes\']' in text, "quotes kept"
    assert '- {"apiVersion": "v1", "kind": "ConfigMap"' in text
    again = load_all(text)[0]
    assert "Ingress" not in [i["kind"] for i in again["items"]] and "kind: HTTPRoute" in text
    expected = [i for i in rl["items"] if i["kind"] != "Ingress"]
    assert again["items"][:3] == expected, "the same data, whatever the text"
    # without the source, everything is written in ing2gw's own block style
    plain = krm.dump_resource_list(out)
    assert "defaultMode: 420" in plain and load_all(plain)[0] == again


# ---------------------------------------------------------------------------------------------
# functionConfig


def test_config_defaults_and_values() -> None:
    assert krm.parse_function_config(None) == krm.KrmConfig()
    # what kpt sends without --fn-config
    assert krm.parse_function_config({"apiVersion": "v1", "kind": "ConfigMap",
                                      "metadata": {"name": "function-input"}, "data": {}}) == krm.KrmConfig()
    c = krm.parse_function_config(ing2gw_config(gatewayName="edge", gatewayNamespace="infra", keepIngress=True,
                                                failOn="warning", allowWeakened=["whitelist-source-range"],
                                                singleGateway=True, namespace="apps"))
    assert (c.options.gateway_name, c.options.gateway_namespace, c.options.single_gateway) == ("edge", "infra", True)
    assert c.options.default_namespace == "apps" and c.options.allow_weakened == {"whitelist-source-range"}
    assert c.keep_ingress and c.fail_on == "warning"
    # `kpt fn eval -- keepIngress=true allowWeakened=a,b`
    cm = krm.parse_function_config({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"},
                                    "data": {"keepIngress": "true", "allowWeakened": "a, b"}})
    assert cm.keep_ingress and cm.options.allow_weakened == {"a", "b"}
    # controller flags: a list in spec, space-separated in a ConfigMap
    flags = krm.parse_function_config(ing2gw_config(nginxFlags=["--disable-catch-all"]))
    assert flags.options.nginx_flag("disable-catch-all") == "true"
    cm = krm.parse_function_config({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"},
                                    "data": {"nginxFlags": "--disable-catch-all --default-backend-service=a/b"}})
    assert cm.options.nginx_flag("default-backend-service") == "a/b"
    # where listeners go: the default, the spec key, and `kpt fn eval -- listeners=listenerset`
    assert krm.parse_function_config(None).options.listeners == "gateway"
    assert krm.parse_function_config(ing2gw_config(listeners="listenerset")).options.listeners == "listenerset"
    cm = krm.parse_function_config({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"},
                                    "data": {"listeners": "listenerset"}})
    assert cm.options.listeners == "listenerset"


def test_function_writes_listenersets_with_the_config_key() -> None:
    out, outcome = krm.run_function(resource_list([ingress(), service()], ing2gw_config(listeners="listenerset")))
    assert outcome.exit_code == 0
    kinds = {(o["kind"], o["metadata"].get("namespace")) for o in out["items"]}
    assert ("ListenerSet", "shop") in kinds and ("Gateway", "gateway-system") in kinds
    route = next(o for o in out["items"] if o["kind"] == "HTTPRoute")
    assert {p.get("kind") for p in route["spec"]["parentRefs"]} == {"ListenerSet"}


@pytest.mark.parametrize("config, message", [
    (ing2gw_config(gatewayNmae="x"), "unknown option 'gatewayNmae' in Ing2Gw spec — did you mean gatewayName?"),
    (ing2gw_config(**{"gateway-name": "x"}), "did you mean gatewayName?"),
    (ing2gw_config(keepIngress="yes"), "keepIngress must be true or false, not 'yes'"),
    (ing2gw_config(failOn="fatal"), "failOn must be one of error, warning, info, never"),
    (ing2gw_config(controller="ngnix"), "unknown controller 'ngnix' — did you mean ingress-nginx?"),
    (ing2gw_config(gatewayNamespace="Infra"), "gatewayNamespace 'Infra' is not a valid namespace name"),
    (ing2gw_config(allowWeakened="whitelist-source-range"), "allowWeakened must be a list"),
    (ing2gw_config(target="no-such-implementation"), "unknown target 'no-such-implementation'"),
    (ing2gw_config(listeners="listenersets"), "listeners must be one of gateway, listenerset, not 'listenersets'"),
    ({**ing2gw_config(), "gatewayName": "x"}, "unexpected top-level field 'gatewayName'"),
    ({"apiVersion": "ing2gw.example.com/v1alpha1", "kind": "Ing2Gw"}, "use apiVersion: ing2gw.io/v1alpha1"),
    ({"apiVersion": "v1", "kind": "Secret"}, "functionConfig is v1 Secret"),
    ("gatewayName: x", "functionConfig must be an Ing2Gw object"),
    ({"apiVersion": "v1", "kind": "ConfigMap", "data": {"keepIngress": "maybe"}}, "keepIngress must be true or false"),
])
def test_config_errors_are_clear(config: Any, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        krm.parse_function_config(config)
    assert message in str(exc.value)


def test_bad_config_keeps_items_and_reports_an_error_result() -> None:
    items = [ingress(), service()]
    out, outcome = krm.run_function(resource_list(items, ing2gw_config(gatewayNmae="x")))
    assert outcome.exit_code == 2
    assert out["items"] == items, "never an empty ResourceList"
    assert out["results"][0]["severity"] == "error" and "gatewayNmae" in out["results"][0]["message"]


def test_invalid_ingress_is_reported_with_its_file() -> None:
    bad = kpt_annotated(ingress(), "apps/ingress.yaml", 0, 1)
    bad["spec"]["rules"] = "not-a-list"
    out, outcome = krm.run_function(resource_list([bad]))
    assert outcome.exit_code == 2 and out["items"] == [bad]
    assert outcome.fatal[0].startswith("apps/ingress.yaml: Ingress shop/web"), outcome.fatal


@pytest.mark.parametrize("rl, message", [
    ({"apiVersion": "v1", "kind": "List", "items": []}, "stdin is not a ResourceList"),
    ({"apiVersion": "config.kubernetes.io/v2", "kind": "ResourceList", "items": []}, "unsupported ResourceList"),
    ({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList"}, "has no items list"),
    ({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": ["x"]}, "items[0] is not an object"),
    ({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"kind": "X"}]},
     "items[0] has no apiVersion or kind"),
])
def test_malformed_resource_list_raises(rl: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as exc:
        krm.run_function(rl)
    assert message in str(exc.value)


def test_empty_items_stay_a_valid_resource_list() -> None:
    out, outcome = krm.run_function(resource_list([]))
    assert outcome.exit_code == 0 and out["items"] == []
    assert load_all(krm.dump_resource_list(out))[0]["items"] == []


def test_plugin_without_resources_says_use_transformers() -> None:
    outcome = krm.run_plugin(ing2gw_config(), [])
    assert outcome.exit_code == 2 and "transformers:" in outcome.fatal[0]


# ---------------------------------------------------------------------------------------------
# The commands (in process)


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str],
             stdin: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_krm_command_writes_a_resource_list(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    text = krm.dump_resource_list(resource_list([ingress(annotations={WHITELIST: "10.0.0.0/8"}), service()]))
    code, out, err = run_main(monkeypatch, capsys, ["krm"], text)
    assert code == 1
    doc, = load_all(out)
    assert doc["kind"] == "ResourceList" and by_kind(doc["items"], "HTTPRoute") and doc["results"]
    assert f"error: ING2GW-NGINX-080: Ingress shop/web: [{WHITELIST}]" in err
    assert "failing the build" in err


@pytest.mark.parametrize("stdin, message", [
    ("", "no ResourceList on stdin"),
    ("items: [\n", "invalid YAML"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n", "ing2gw convert -f -"),
    ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {}\n", "has no items list"),
])
def test_krm_command_rejects_malformed_input_without_output(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str, message: str) -> None:
    code, out, err = run_main(monkeypatch, capsys, ["krm"], stdin)
    assert code == 2 and out == "", "nothing rather than an empty ResourceList"
    assert message in err and "Traceback" not in err


def test_krm_command_rejects_arguments(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(monkeypatch, capsys, ["krm", "--fail-on"], "")
    assert code == 2
    code, out, err = run_main(monkeypatch, capsys, ["krm", "extra"], "")
    assert code == 2 and "takes no arguments" in err


def test_plugin_mode_streams(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                             tmp_path: Path) -> None:
    config = tmp_path / "kust-plugin-config-1"
    config.write_text("apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata: {name: x}\n"
                      "spec: {gatewayNamespace: infra}\n")
    stream = krm.dump_stream([ingress(), service()])
    code, out, err = run_main(monkeypatch, capsys, ["krm", "--kustomize-plugin", str(config)], stream)
    assert code == 0, err
    docs = load_all(out)
    assert [d["kind"] for d in docs] == ["Service", "Gateway", "HTTPRoute"]
    assert docs[1]["metadata"]["namespace"] == "infra"
    code, out, err = run_main(monkeypatch, capsys, ["krm", "--kustomize-plugin", str(config), "a=b"], stream)
    assert code == 2 and "argsOneLiner" in err
    code, out, err = run_main(monkeypatch, capsys, ["krm", "--kustomize-plugin", str(tmp_path / "nope")], stream)
    assert code == 2 and "cannot read the Ing2Gw config" in err


def test_install_kustomize_plugin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "plugins"
    assert main(["install-kustomize-plugin", "--plugin-home", str(home)]) == 0
    out, err = capsys.readouterr()
    plugin = home / "ing2gw.io" / "v1alpha1" / "ing2gw" / "Ing2Gw"
    assert plugin.is_file() and plugin.stat().st_mode & stat.S_IXUSR
    body = plugin.read_text()
    assert body.startswith("#!/bin/sh\n") and f"{sys.executable} -P -m ing2gw krm --kustomize-plugin" in body
    assert "transformers:\n- ing2gw.yaml" in out and "kind: Ing2Gw" in out
    assert f"KUSTOMIZE_PLUGIN_HOME={home}" in err
    # re-installing over its own file is fine; a foreign file is kept unless --force
    assert main(["install-kustomize-plugin", "--plugin-home", str(home)]) == 0
    plugin.write_text("#!/bin/sh\necho mine\n")
    capsys.readouterr()
    assert main(["install-kustomize-plugin", "--plugin-home", str(home)]) == 2
    assert "not written by ing2gw" in capsys.readouterr().err and "mine" in plugin.read_text()
    assert main(["install-kustomize-plugin", "--plugin-home", str(home), "--force"]) == 0


def test_default_plugin_home_follows_kustomize(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "kustomize" / "plugin").mkdir(parents=True)
    assert krm.default_plugin_home({}, home) == home / "kustomize" / "plugin"
    (home / ".config" / "kustomize" / "plugin").mkdir(parents=True)
    assert krm.default_plugin_home({}, home) == home / ".config" / "kustomize" / "plugin"
    xdg = tmp_path / "xdg"
    assert krm.default_plugin_home({"XDG_CONFIG_HOME": str(xdg)}, home) == home / ".config" / "kustomize" / "plugin"
    (xdg / "kustomize" / "plugin").mkdir(parents=True)
    assert krm.default_plugin_home({"XDG_CONFIG_HOME": str(xdg)}, home) == xdg / "kustomize" / "plugin"
    env = {"KUSTOMIZE_PLUGIN_HOME": str(tmp_path / "kph"), "XDG_CONFIG_HOME": str(xdg)}
    assert krm.default_plugin_home(env, home) == xdg / "kustomize" / "plugin", "only existing dirs count"
    (tmp_path / "kph").mkdir()
    assert krm.default_plugin_home(env, home) == tmp_path / "kph"
    assert krm.default_plugin_home({}, tmp_path / "empty") == tmp_path / "empty" / ".config" / "kustomize" / "plugin"


def test_completion_bridge() -> None:
    items, directive = completions(["convert", "--recu"])
    assert [i.value for i in items] == ["--recursive"] and directive == 4
    items, directive = completions(["convert", "-o", ""])
    assert [i.value for i in items] == ["yaml", "json"]
    assert completions(["convert", "-f", ""]) == ([], 0), "paths: the shell completes files"
    items, _ = completions(["kr"])
    assert [i.value for i in items] == ["krm"]
    assert render(items, 4) == "krm\tConvert Ingresses inside a kpt or...\n:4\n"


# ---------------------------------------------------------------------------------------------
# The real clients

BASE_INGRESS = """\
# the shop's public entry point
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
---
# the backend
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
  - name: alt
    port: 8080
"""

OVERLAY_PATCH = """\
- op: replace
  path: /spec/rules/0/host
  value: shop.prod.example.com
- op: replace
  path: /spec/rules/0/http/paths/0/backend/service/port/number
  value: 8080
"""

ING2GW_CONFIG = """\
apiVersion: ing2gw.io/v1alpha1
kind: Ing2Gw
metadata:
  name: ing2gw
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  gatewayNamespace: infra
"""


def need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} is not installed")
    return path


def env_with_venv(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def kustomize_tree(tmp_path: Path, patch: str) -> Path:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "ingress.yaml").write_text(BASE_INGRESS)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n- ingress.yaml\n")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "patch.yaml").write_text(patch)
    (overlay / "ing2gw.yaml").write_text(ING2GW_CONFIG)
    (overlay / "kustomization.yaml").write_text(
        "resources:\n- ../base\n"
        "patches:\n- path: patch.yaml\n  target:\n    kind: Ingress\n    name: web\n"
        "transformers:\n- ing2gw.yaml\n")
    assert main(["install-kustomize-plugin", "--plugin-home", str(tmp_path / "plugins")]) == 0
    return overlay


def test_kubectl_kustomize_runs_the_plugin_after_the_overlay_patch(tmp_path: Path) -> None:
    kubectl = need("kubectl")
    overlay = kustomize_tree(tmp_path, OVERLAY_PATCH)
    r = subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(overlay)], capture_output=True,
                       text=True, env=env_with_venv(KUSTOMIZE_PLUGIN_HOME=str(tmp_path / "plugins")), timeout=120)
    assert r.returncode == 0, r.stderr
    docs = load_all(r.stdout)
    assert sorted(d["kind"] for d in docs) == ["Gateway", "HTTPRoute", "Service"], "the Ingress is replaced"
    route, = by_kind(docs, "HTTPRoute")
    assert route["spec"]["hostnames"] == ["shop.prod.example.com"], "the patched host"
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 8080}], "the patched port"
    assert route["spec"]["parentRefs"][0]["namespace"] == "infra", "options from the Ing2Gw config"
    gateway, = by_kind(docs, "Gateway")
    assert gateway["metadata"]["namespace"] == "infra"
    assert [lis["hostname"] for lis in gateway["spec"]["listeners"]] == ["shop.prod.example.com"]


def test_kubectl_kustomize_fails_on_a_security_loss(tmp_path: Path) -> None:
    kubectl = need("kubectl")
    patch = OVERLAY_PATCH + f"- op: add\n  path: /metadata/annotations\n  value:\n    {WHITELIST}: 10.0.0.0/8\n"
    overlay = kustomize_tree(tmp_path, patch)
    r = subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(overlay)], capture_output=True,
                       text=True, env=env_with_venv(KUSTOMIZE_PLUGIN_HOME=str(tmp_path / "plugins")), timeout=120)
    assert r.returncode != 0
    assert r.stdout == ""
    assert f"error: ING2GW-NGINX-080: Ingress shop/web: [{WHITELIST}]" in r.stderr
    assert "failing the build" in r.stderr and "allowWeakened: [whitelist-source-range]" in r.stderr


def test_kubectl_kustomize_refuses_ing2gw_as_a_generator(tmp_path: Path) -> None:
    kubectl = need("kubectl")
    overlay = kustomize_tree(tmp_path, OVERLAY_PATCH)
    text = (overlay / "kustomization.yaml").read_text().replace("transformers:", "generators:")
    (overlay / "kustomization.yaml").write_text(text)
    r = subprocess.run([kubectl, "kustomize", "--enable-alpha-plugins", str(overlay)], capture_output=True,
                       text=True, env=env_with_venv(KUSTOMIZE_PLUGIN_HOME=str(tmp_path / "plugins")), timeout=120)
    assert r.returncode != 0 and "under `transformers:`" in r.stderr


def kpt_package(tmp_path: Path, ingress_text: str = BASE_INGRESS) -> Path:
    pkg = tmp_path / "pkg"
    (pkg / "apps").mkdir(parents=True)
    (pkg / "apps" / "ingress.yaml").write_text(ingress_text)
    return pkg


def krm_exec() -> str:
    return f"{sys.executable} -m ing2gw krm"


def test_kpt_fn_eval_exec_writes_gateway_api_files(tmp_path: Path) -> None:
    kpt = need("kpt")
    pkg = kpt_package(tmp_path)
    settings = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n"
                "  template:\n    spec:\n      volumes:\n      - name: conf\n        configMap: {name: web, "
                "defaultMode: 0644}\n      containers:\n      - name: web\n        args: [\"--timeout\", \"8m\", 'yes']\n")
    (pkg / "apps" / "deploy.yaml").write_text(settings)
    r = subprocess.run([kpt, "fn", "eval", str(pkg), "--exec", krm_exec(), "--results-dir", str(tmp_path / "res"),
                        "--", "gatewayNamespace=edge"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    written = sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*.yaml"))
    assert written == ["apps/deploy.yaml", "apps/gateway-api/httproute-web.yaml", "apps/ingress.yaml",
                       "platform/gateway-nginx.yaml"]
    assert (pkg / "apps" / "deploy.yaml").read_text() == settings, "untouched files keep their formatting"
    route, = load_all((pkg / "apps" / "gateway-api" / "httproute-web.yaml").read_text())
    assert route["kind"] == "HTTPRoute" and route["spec"]["hostnames"] == ["shop.example.com"]
    remaining = (pkg / "apps" / "ingress.yaml").read_text()
    assert "kind: Ingress" not in remaining and "kind: Service" in remaining
    assert "# the backend" in remaining, "comments of untouched objects survive"
    gateway, = load_all((pkg / "platform" / "gateway-nginx.yaml").read_text())
    assert gateway["kind"] == "Gateway" and gateway["metadata"]["namespace"] == "edge", "`-- key=value` options"
    results = (tmp_path / "res" / "results.yaml").read_text()
    assert "ING2GW-CORE-015" in results and "exitCode: 0" in results


def test_kpt_fn_eval_exec_fails_on_a_security_loss(tmp_path: Path) -> None:
    kpt = need("kpt")
    text = BASE_INGRESS.replace("  namespace: shop\nspec:\n  ingressClassName",
                                f"  namespace: shop\n  annotations:\n    {WHITELIST}: 10.0.0.0/8\n"
                                "spec:\n  ingressClassName", 1)
    pkg = kpt_package(tmp_path, text)
    r = subprocess.run([kpt, "fn", "eval", str(pkg), "--exec", krm_exec(), "--results-dir", str(tmp_path / "res")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert (pkg / "apps" / "ingress.yaml").read_text() == text, "nothing written"
    assert not (pkg / "platform").exists()
    results = (tmp_path / "res" / "results.yaml").read_text()
    assert "ING2GW-NGINX-080" in results and "failing the build" in results


def test_kpt_fn_render_allow_exec_pipeline(tmp_path: Path) -> None:
    kpt = need("kpt")
    pkg = kpt_package(tmp_path)
    (pkg / "ing2gw.yaml").write_text(ING2GW_CONFIG)
    (pkg / "Kptfile").write_text(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: shop\npipeline:\n  mutators:\n"
        f"  - exec: \"{krm_exec()}\"\n    configPath: ing2gw.yaml\n")
    refused = subprocess.run([kpt, "fn", "render", str(pkg)], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "allow-exec" in refused.stderr
    r = subprocess.run([kpt, "fn", "render", str(pkg), "--allow-exec"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    gateway, = load_all((pkg / "platform" / "gateway-nginx.yaml").read_text())
    assert gateway["metadata"]["namespace"] == "infra"
    route, = load_all((pkg / "apps" / "gateway-api" / "httproute-web.yaml").read_text())
    assert route["spec"]["parentRefs"][0]["namespace"] == "infra"
    assert "kind: Ingress" not in (pkg / "apps" / "ingress.yaml").read_text()
    assert "kind: Ing2Gw" in (pkg / "ing2gw.yaml").read_text(), "the config passes through"
    # rendering again changes nothing: the Ingress is gone, the new objects pass through
    before = {p: p.read_text() for p in pkg.rglob("*.yaml")}
    again = subprocess.run([kpt, "fn", "render", str(pkg), "--allow-exec"], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert {p: p.read_text() for p in pkg.rglob("*.yaml")} == before


def test_kubectl_ing2gw_convert(tmp_path: Path) -> None:
    kubectl = need("kubectl")
    r = subprocess.run([kubectl, "ing2gw", "convert", "-f", "-"], input=BASE_INGRESS, capture_output=True,
                       text=True, env=env_with_venv(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert sorted(d["kind"] for d in load_all(r.stdout)) == ["Gateway", "HTTPRoute"]
    assert "error(s)" in r.stderr


def test_kubectl_completes_plugin_arguments() -> None:
    kubectl = need("kubectl")
    script = VENV_BIN / "kubectl_complete-ing2gw"
    assert script.is_file(), f"{script} is missing: reinstall the package (pip install -e .)"
    r = subprocess.run([kubectl, "__complete", "ing2gw", "convert", "--recu"], capture_output=True, text=True,
                       env=env_with_venv(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split("\t")[0] == "--recursive" and r.stdout.splitlines()[-1] == ":4"
    r = subprocess.run([kubectl, "__complete", "ing2gw", "convert", "-o", ""], capture_output=True, text=True,
                       env=env_with_venv(), timeout=60)
    assert [ln.split("\t")[0] for ln in r.stdout.splitlines()] == ["yaml", "json", ":4"]
