"""Hostile input is refused in bounded time and memory, with file:line and exit 2 (SECURITY.md,
"bounded work on hostile input"): YAML alias bombs and absurd nesting in every reader — convert's
loader, the KRM function, the Kustomize plugin's stream and config, `--config`, migrate's
repository reader and simulate's context file."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from ing2gw.cli import main
from ing2gw.load import MAX_DEPTH, load_text

CONFIG = "apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata: {name: x}\nspec: {gatewayNamespace: infra}\n"
INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
"""


def bomb(levels: int, indent: str = "", key: str = "data") -> str:
    """`levels` nested lists of nine aliases each: a few hundred bytes that expand to 9**levels
    strings (the "billion laughs")."""
    lines = [f"{indent}{key}:", f'{indent}  a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"{indent}  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def configmap_bomb(levels: int) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol, namespace: shop}\n" + bomb(levels)


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str],
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, err: str, where: str) -> None:
    assert code == 2, err
    assert "alias bomb" in err and "Traceback" not in err
    assert f"{where}:" in err, "the message names the file and line"


# 6 levels (531,441 strings) is enough to cross the budget and quick to run even without one;
# 9 levels (387 million) is the attack: refused as quickly.
@pytest.mark.parametrize("levels", [6, 9])
def test_convert_refuses_an_alias_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], levels: int) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(INGRESS + "---\n" + configmap_bomb(levels))
    code, out, err = run(monkeypatch, capsys, ["convert", "-f", str(f)])
    refused(code, err, f"{f}:22")  # the line of the list whose aliases cross the budget
    assert out == ""


def test_aliases_that_expand_a_little_are_read() -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: &l {app: web}}\n"
            "data: &d {a: b}\nbinaryData: {}\nextra: {labels: *l, data: *d, merged: {<<: *d, c: d}}\n")
    m, = load_text(text)
    assert m.obj["extra"] == {"labels": {"app": "web"}, "data": {"a": "b"}, "merged": {"a": "b", "c": "d"}}


def test_alias_uses_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "many.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: &a x\n  l: ["
                 + ", ".join(["*a"] * 10_001) + "]\n")
    assert main(["convert", "-f", str(f)]) == 2
    assert "more than 10,000 YAML aliases" in capsys.readouterr().err


def test_krm_function_refuses_an_alias_bomb(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rl = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
          "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: lol}\n" + bomb(7, "  "))
    code, out, err = run(monkeypatch, capsys, ["krm"], rl)
    refused(code, err, "<stdin>")
    assert out == "", "nothing rather than a partial ResourceList"


def test_kustomize_plugin_refuses_an_alias_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    code, out, err = run(monkeypatch, capsys, ["krm", "--kustomize-plugin", str(config)],
                         INGRESS + "---\n" + configmap_bomb(7))
    refused(code, err, "<stdin>")
    # the config file itself
    config.write_text(CONFIG.replace("spec: {gatewayNamespace: infra}\n", bomb(7, key="spec")))
    code, out, err = run(monkeypatch, capsys, ["krm", "--kustomize-plugin", str(config)], INGRESS)
    refused(code, err, str(config))


def test_config_file_refuses_an_alias_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ing2gw.yaml"
    config.write_text("apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nmetadata: {name: x}\n" + bomb(7, key="spec"))
    ingress = tmp_path / "ingress.yaml"
    ingress.write_text(INGRESS)
    assert main(["convert", "-f", str(ingress), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    refused(2, err, str(config))


def test_migrate_skips_an_alias_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A batch run reports the file (ING2GW-BATCH-004, with its line) and migrates the rest."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ingress.yaml").write_text(INGRESS)
    (repo / "lol.yaml").write_text(configmap_bomb(9))
    code = main(["migrate", str(repo), "--in-place"])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert "lol.yaml:11: warning: ING2GW-BATCH-004: YAML aliases" in err and "alias bomb" in err
    assert (repo / "ingress.gateway.yaml").is_file()
    assert (repo / "lol.yaml").read_text() == configmap_bomb(9)


def test_simulate_context_refuses_an_alias_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingress = tmp_path / "ingress.yaml"
    ingress.write_text(INGRESS)
    context = tmp_path / "context.yaml"
    context.write_text(bomb(7, key="services"))
    code = main(["simulate", "--side", "ingress", "-f", str(ingress), "--context", str(context),
                 "--request", "GET http://shop.example.com/"])
    refused(code, capsys.readouterr().err, str(context))


@pytest.mark.parametrize("suffix, text", [
    (".json", "[" * 100_000 + "]" * 100_000),
    (".json", '{"a":' * 100_000 + "1" + "}" * 100_000),
    (".yaml", "a:\n" + "".join(" " * i + "- \n" for i in range(1, 400))),
    (".yaml", "[" * 100_000 + "]" * 100_000),
])
def test_deep_nesting_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, text: str) -> None:
    f = tmp_path / f"deep{suffix}"
    f.write_text(text)
    assert main(["convert", "-f", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"nested more than {MAX_DEPTH} levels deep" in err and "Traceback" not in err
    assert f"{f}:" in err


def test_deep_requests_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingress = tmp_path / "ingress.yaml"
    ingress.write_text(INGRESS)
    requests = tmp_path / "requests.txt"
    requests.write_text('{"method": "GET", "url": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    code = main(["simulate", "--side", "ingress", "-f", str(ingress), "--requests", str(requests)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
