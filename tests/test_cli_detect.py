"""Controller detection end to end: convert, verify, migrate, simulate, the KRM function and the
--config file refuse other controllers' Ingresses, translate the rest, and take --class."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from datapaths import DETECT

from ing2gw import krm
from ing2gw.equivalence import verification
from ing2gw.cli import main
from ing2gw.load import load
from ing2gw.options import Options
from ing2gw.translate import translate
from ing2gw.equivalence.verification import verify_translation

ROOT = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def kinds(stream: str) -> list[str]:
    return re.findall(r"^kind: (\w+)$", stream, flags=re.M)


@pytest.mark.parametrize("name, code, controller_word", [
    ("alb-scheme.yaml", "ING2GW-CORE-001", "served by aws-alb"),
    ("gke-static-ip.yaml", "ING2GW-CORE-001", "served by gke"),
    ("haproxy-ingress-jcmoraisjr.yaml", "ING2GW-CORE-001", "served by haproxy-ingress"),
    ("f5-rewrites-class-nginx.yaml", "ING2GW-DETECT-001", "f5-nginx"),
    ("with-tls-class.yaml", "ING2GW-DETECT-002", "--class with-tls=ingress-nginx"),
])
def test_other_controllers_are_refused(capsys: pytest.CaptureFixture[str], name: str, code: str,
                                       controller_word: str) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(DETECT / name), "-v")
    assert rc == 1, err
    assert f"error: {code}" in err and controller_word in err
    assert "    -> " in err  # the way out
    # nothing was translated: no route, no Gateway for it
    assert "HTTPRoute" not in out and "no objects to write" in err


def test_unknown_class_names_the_option_without_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "convert", "-f", str(DETECT / "with-tls-class.yaml"))
    assert rc == 1 and "(say which controller serves the class: --class with-tls=ingress-nginx)" in err


def test_class_option_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(DETECT / "with-tls-class.yaml"), "--class",
                       "with-tls=ingress-nginx", "--verify")
    assert rc == 0, err
    assert "HTTPRoute" in kinds(out) and "gatewayClassName: with-tls" in out
    assert "0 unexplained" in err


@pytest.mark.parametrize("args, message", [
    (["--class", "with-tls=ngnix"], "unknown controller 'ngnix' — did you mean ingress-nginx?"),
    (["--class", "with-tls"], "expected CLASS=CONTROLLER"),
    (["--controller", "trafik"], "--controller: unknown controller 'trafik' — did you mean traefik?"),
])
def test_bad_class_option_is_a_usage_error(capsys: pytest.CaptureFixture[str], args: list[str],
                                           message: str) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(DETECT / "with-tls-class.yaml"), *args)
    assert rc == 2 and message in err and out == ""
    assert "Traceback" not in err


def test_class_in_the_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = DETECT / "with-tls-config.yaml"
    rc, out, err = run(capsys, "convert", "-f", str(DETECT / "with-tls-class.yaml"), "--config", str(config))
    assert rc == 0, err
    assert "HTTPRoute" in kinds(out)
    # the command line wins for the same class
    rc, out, err = run(capsys, "convert", "-f", str(DETECT / "with-tls-class.yaml"), "--config", str(config),
                       "--class", "with-tls=traefik")
    # (and then the Ingress's ingress-nginx annotations disagree with it)
    assert rc == 1 and "ING2GW-DETECT-001" in err and "(--class with-tls=traefik): traefik" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(config.read_text(encoding="utf-8").replace("with-tls: ingress-nginx", "with-tls: ingres-nginx"))
    rc, out, err = run(capsys, "convert", "-f", str(DETECT / "with-tls-class.yaml"), "--config", str(bad))
    assert rc == 2 and "did you mean ingress-nginx?" in err and str(bad) in err


def test_mixed_input_translates_the_nginx_ingress_and_refuses_the_others(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    rc, _, err = run(capsys, "convert", "-f", str(DETECT / "mixed.yaml"), "--out-dir", str(out_dir), "--verify")
    assert rc == 1
    assert err.count("error: ") == 2, err
    assert "Ingress shop/tea: the evidence disagrees" in err
    # Traefik's Ingress goes to the Traefik provider (router.tls without a Secret: nothing to emit)
    assert "Ingress apps/whoami: nothing in this Ingress reaches the output" in err
    assert "Ingress apps/portal: served by azure-agic" in err
    assert "0 unexplained" in err
    # the output is still written, for the translatable rest only
    routes = (out_dir / "apps" / "shop" / "httproutes.yaml").read_text(encoding="utf-8")
    assert "shop/shop" in routes and "/tea" not in routes and "shop/tea" not in routes
    assert not (out_dir / "apps" / "apps").exists()
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    translated = {f"{i['namespace']}/{i['name']}": i["translated"] for i in report["ingresses"]}
    assert translated == {"apps/portal": False, "apps/whoami": True, "shop/shop": True, "shop/tea": False}


def test_refused_ingresses_are_not_fed_to_the_nginx_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """shop/tea has class nginx (its IngressClass is ingress-nginx's) but F5 annotations: refused,
    so the equivalence check must not route it through the ingress-nginx model either (its /tea
    would then be a difference no finding explains)."""
    seen: dict[str, Any] = {}
    real = verification.run_check

    def spy(old: Any, new: Any, findings: Any, **kw: Any) -> Any:
        if kw.get("controller") == "ingress-nginx":
            seen.update(kw)
        return real(old, new, findings, **kw)

    monkeypatch.setattr(verification, "run_check", spy)
    manifests = load([str(DETECT / "mixed.yaml")])
    result = translate(manifests, Options())
    v = verify_translation(result, manifests, Options())
    assert seen["class_groups"] == {"nginx": ["shop/shop"]}
    assert v.unexplained == 0 and "nginx" in v.groups
    assert not any(r.request.target.startswith("/tea") for r in v.differences)


def test_verify_takes_the_class_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = str(DETECT / "with-tls-class.yaml")
    out_dir = tmp_path / "out"
    assert main(["convert", "-f", src, "--class", "with-tls=ingress-nginx", "--out-dir", str(out_dir)]) == 0
    capsys.readouterr()
    rc, out, err = run(capsys, "verify", "-f", src, "--gateway", str(out_dir), "-R", "-o", "json",
                       "--class", "with-tls=ingress-nginx")
    doc = json.loads(out)
    assert rc == 0 and doc["unexplained"] == 0 and doc["probes"] > 0 and doc["equivalent"] > 0, err
    # without it the Ingress is refused, so nothing is compared with the nginx model
    rc, out, err = run(capsys, "verify", "-f", src, "--gateway", str(out_dir), "-R", "-o", "json")
    assert json.loads(out)["probes"] == 0


def test_verify_serves_an_ingress_class_of_another_controller_name_by_name(capsys: pytest.CaptureFixture[str],
                                                                           tmp_path: Path) -> None:
    """An IngressClass whose spec.controller ing2gw maps to ingress-nginx without being
    k8s.io/ingress-nginx (AKS application routing): the model must serve it, or every probe
    would differ."""
    src = tmp_path / "aks.yaml"
    src.write_text((DETECT / "with-tls-class.yaml").read_text(encoding="utf-8").replace(
        "ingressClassName: with-tls", "ingressClassName: webapprouting.kubernetes.azure.com")
        + "---\napiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n"
          "  name: webapprouting.kubernetes.azure.com\nspec:\n  controller: webapprouting.kubernetes.azure.com/nginx\n")
    rc, _, err = run(capsys, "convert", "-f", str(src), "--verify", "--verify-output", "json")
    assert rc == 0, err
    doc = json.loads(err[err.index("{"):err.rindex("}") + 1])
    assert doc["unexplained"] == 0 and doc["equivalent"] > 0


def test_migrate_takes_the_class_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(DETECT / "with-tls-class.yaml", repo / "ingress.yaml")
    rc, out, err = run(capsys, "migrate", str(repo), "--dry-run")
    assert rc == 1 and "ING2GW-DETECT-002" in err
    rc, out, err = run(capsys, "migrate", str(repo), "--dry-run", "--class", "with-tls=ingress-nginx")
    assert rc == 0, err
    assert "+kind: HTTPRoute" in out


def test_krm_function_takes_classes_and_keeps_refused_ingresses() -> None:
    items = [m.obj for m in load([str(DETECT / "mixed.yaml"), str(DETECT / "with-tls-class.yaml")])]
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "f"},
              "data": {"classes": "with-tls=ingress-nginx", "failOn": "never"}}
    out, outcome = krm.run_function({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                                     "items": items, "functionConfig": config})
    assert outcome.exit_code == 0
    kept = {(i["kind"], i["metadata"]["name"]) for i in out["items"] if i["kind"] == "Ingress"}
    # converted Ingresses are replaced; refused ones stay, with an error result each
    # (whoami is Traefik's: translated by its provider, so it is converted too)
    assert kept == {("Ingress", "tea"), ("Ingress", "portal")}
    errors = [r for r in out["results"] if r["severity"] == "error"]
    assert sorted(r["resourceRef"]["name"] for r in errors) == ["portal", "tea"]
    with pytest.raises(Exception, match="did you mean ingress-nginx"):
        krm.parse_function_config({**config, "data": {"classes": "with-tls=ingres-nginx"}})


def test_simulate_takes_the_class_option(capsys: pytest.CaptureFixture[str]) -> None:
    src = str(DETECT / "with-tls-class.yaml")
    req = "GET http://shop.example.com/"
    rc, out, _ = run(capsys, "simulate", "--side", "ingress", "-f", src, "--request", req)
    assert rc == 0 and json.loads(out)["status"] == 404
    rc, out, _ = run(capsys, "simulate", "--side", "ingress", "-f", src, "--request", req,
                     "--class", "with-tls=ingress-nginx")
    assert rc == 0 and json.loads(out)["backend"] == {"namespace": "shop", "name": "storefront", "port": 8080}
    rc, _, err = run(capsys, "simulate", "--side", "ingress", "-f", src, "--request", req,
                     "--class", "with-tls=ingress-nginx", "--class", "b=ingress-nginx")
    assert rc == 2 and "one at a time" in err
    rc, _, err = run(capsys, "simulate", "--side", "gateway", "-f", src, "--request", req,
                     "--class", "with-tls=ingress-nginx")
    assert rc == 2 and "--side ingress only" in err


def test_simulate_leaves_out_classes_of_another_controller(capsys: pytest.CaptureFixture[str]) -> None:
    src = str(DETECT / "mixed.yaml")
    req = "GET http://shop.example.com/"
    rc, out, _ = run(capsys, "simulate", "--side", "ingress", "-f", src, "--request", req)
    assert rc == 0 and json.loads(out)["backend"]["name"] == "shop"
    rc, out, _ = run(capsys, "simulate", "--side", "ingress", "-f", src, "--request", req, "--class", "nginx=traefik")
    assert rc == 0 and json.loads(out)["status"] == 404


def test_readme_documents_every_config_key() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| key | default | meaning |"):]
    table = table[:table.index("\n\n")]
    assert sorted(re.findall(r"^\| `(\w+)` \|", table, flags=re.M)) == sorted(krm.FIELDS)
    assert "--class with-tls=ingress-nginx" in readme[readme.index("## Converting"):readme.index("### Exit codes")]
