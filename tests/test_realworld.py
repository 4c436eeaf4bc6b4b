"""Real repositories (issue 19): whole directory trees of mixed files, Helm charts and templates,
old Ingress shapes, migrate --verify on invalid input, where ReferenceGrants go, long runs on
stderr, and the smaller papercuts. tests/data/realworld-mix/ is the repository of the
done-when: it converts in one run with --skip-invalid and migrates with --verify."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from datapaths import REALWORLD_MIX

from ing2gw.batch.plan import plan_migration
from ing2gw.cli import main
from ing2gw.krm import run_function
from ing2gw.load import manifests_from_text, parse_documents

ROOT = Path(__file__).resolve().parents[1]

#: every problem of tests/data/realworld-mix, as (file, line, a fragment of the message)
MIX_PROBLEMS = [
    ("apps/broken/ingress.yaml", 21, "unknown pathType 'Regex'"),
    ("apps/broken/service.yaml", 10, "spec.ports[0].port"),
    ("apps/legacy/ingress.yaml", 18, "serviceName/servicePort"),
    ("charts/web/Chart.yaml", 1, "templates/ingress.yaml render(s) an Ingress"),
    ("clusters/staging/storefront.yaml", 2, "defined twice"),
    ("deploy/ingress-snippet.yaml", 5, "a Helm template"),
    ("notes/broken.yaml", 7, "invalid YAML"),
]
#: files of tests/data/realworld-mix that are no Kubernetes manifests (hidden .github/ is not read)
MIX_FOREIGN = ["ansible/site.yml", "config/values-prod.yaml", "docker-compose.yaml", "mkdocs.yml", "renovate.json"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def _rel(err: str) -> str:
    return err.replace(str(REALWORLD_MIX) + "/", "")


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


ING = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
spec:
  ingressClassName: nginx
  {tls}rules:
  - host: {name}.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {{service: {{name: {name}, port: {{number: 80}}}}}}
"""


def ingress(name: str, ns: str = "shop", secret: str | None = None) -> str:
    tls = f"tls: [{{hosts: [{name}.example.com], secretName: {secret}}}]\n  " if secret else ""
    return ING.format(name=name, ns=ns, tls=tls)


# -- item 2: a directory is not all-or-nothing ------------------------------------------------


def test_mixed_tree_lists_every_problem_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(REALWORLD_MIX), "-R")
    lines = _rel(err).splitlines()
    assert rc == 2 and out == "" and "Traceback" not in err
    # one run, every problem: the files that cannot be read and the objects that are invalid
    for file, line, fragment in MIX_PROBLEMS:
        assert any(ln.startswith(f"error: {file}:{line}: ") and fragment in ln for ln in lines), (file, fragment)
    assert len(lines) == len(MIX_PROBLEMS)
    # files that are not Kubernetes manifests are no problem at all
    assert not any(f in ln for f in MIX_FOREIGN for ln in lines)
    assert "prometheus-rule" not in err  # `{{ $labels.ingress }}` in a valid manifest is no template


def test_skip_invalid_translates_the_rest_and_reports_each_problem(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(REALWORLD_MIX), "-R", "--skip-invalid", "-o", "json", "-v")
    err = _rel(err)
    assert rc == 1 and "Traceback" not in err
    objs = json.loads(out)["items"]
    routes = {o["metadata"]["annotations"]["ing2gw.io/source-ingress"] for o in objs if o["kind"] == "HTTPRoute"}
    assert routes == {"shop/storefront", "shop/api", "shop/account", "blog/blog", "legacy/old-api"}
    hosts = {h for o in objs if o["kind"] == "HTTPRoute" for h in o["spec"]["hostnames"]}
    assert "shop.staging.example.com" not in hosts  # the duplicate copy is left out, not merged
    for file, line, fragment in MIX_PROBLEMS:
        code = "ING2GW-LOAD-004" if file.startswith(("charts/", "deploy/", "notes/")) else "ING2GW-LOAD-005"
        assert any(ln.startswith(f"{file}:{line}: error: {code}: ") and fragment in ln for ln in err.splitlines()), \
            (file, code)
    for f in MIX_FOREIGN:
        assert any(ln.startswith(f"{f}:") and "info: ING2GW-LOAD-003" in ln for ln in err.splitlines()), f
    assert err.splitlines()[-1].startswith(f"ing2gw: {len(MIX_PROBLEMS)} error(s), ")


def test_skip_invalid_from_the_config_file_and_the_krm_function(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = ingress("bad").replace("pathType: Prefix", "pathType: Regex")
    src = tmp_path / "in.yaml"
    src.write_text(ingress("good") + "---\n" + bad)
    assert run(capsys, "convert", "-f", str(src))[0] == 2
    cfg = tmp_path / "ing2gw.yaml"
    cfg.write_text("apiVersion: ing2gw.io/v1alpha1\nkind: Ing2Gw\nspec:\n  skipInvalid: true\n")
    rc, out, err = run(capsys, "convert", "-f", str(src), "--config", str(cfg))
    assert rc == 1 and "good.example.com" in out and "bad.example.com" not in out and "ING2GW-LOAD-005" in err
    # the KRM function: the invalid Ingress passes through unchanged, the valid one is converted
    items = [d for _, _, d in parse_documents(src.read_text(), "x")[0]]
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items,
          "functionConfig": {"apiVersion": "ing2gw.io/v1alpha1", "kind": "Ing2Gw", "spec": {"skipInvalid": True}}}
    out_rl, outcome = run_function(rl)
    kinds = [(i["kind"], i["metadata"]["name"]) for i in out_rl["items"]]
    assert ("Ingress", "bad") in kinds and ("Ingress", "good") not in kinds
    assert any(k == "HTTPRoute" for k, _ in kinds) and outcome.exit_code == 1
    assert any(r["severity"] == "error" and "Regex" in r["message"] for r in out_rl["results"])


def test_files_that_are_not_manifests_are_skipped_with_info(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"app/ingress.yaml": ingress("web"),
                     "app/values.yaml": "replicaCount: 2\ningress: {enabled: true}\n",
                     "ci/pipeline.yml": "stages: [build, test]\nbuild: {script: [make]}\n",
                     "ansible.yml": "- hosts: all\n  tasks: []\n"})
    rc, out, err = run(capsys, "convert", "-f", str(tmp_path), "-R", "-v")
    assert rc == 0 and "kind: HTTPRoute" in out
    skipped = [ln for ln in err.splitlines() if "ING2GW-LOAD-003" in ln]
    assert len(skipped) == 3 and all(ln.split(": info:")[0].endswith((":1", ":2")) for ln in skipped)
    # only such files: nothing to convert is still bad input, with the reasons
    rc, _, err = run(capsys, "convert", "-f", str(tmp_path / "app" / "values.yaml"))
    assert rc == 2 and "no Kubernetes objects found" in err and "not a Kubernetes manifest" in err
    # a document with only one of apiVersion and kind is a broken manifest, not something else
    r = manifests_from_text("kind: Ingress\nmetadata: {name: x}\n", "half.yaml")
    assert r.problems and not getattr(r, "skipped", None) and "has no apiVersion" in r.problems[0].message


# -- item 3: Helm templates --------------------------------------------------------------------


HELM_INGRESS = """{{- if .Values.ingress.enabled -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "web.fullname" . }}
spec:
  rules:
    - host: {{ .Values.host }}
{{- end }}
"""


def test_helm_template_says_render_it_first(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(HELM_INGRESS.encode())))
    rc, out, err = run(capsys, "convert", "-f", "-")
    assert rc == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("error: <stdin>:1: a Helm template") and "flow node" not in err
    assert "helm template RELEASE CHART -f VALUES | ing2gw convert -f -" in err
    assert "kustomize build --enable-helm" in err and "renders an Ingress" in err


def test_chart_template_that_parses_is_still_a_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # quoted actions make valid YAML; in a chart's templates/ it is a template all the same
    write(tmp_path, {"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
                     "chart/templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n"
                                                     "  name: \"{{ .Release.Name }}\"\nspec: {ports: [{port: 80}]}\n"})
    rc, _, err = run(capsys, "convert", "-f", str(tmp_path / "chart" / "templates" / "service.yaml"))
    assert rc == 2 and ":4: a Helm template" in err
    # the chart as a directory: one finding for the whole chart; info when no template renders an Ingress
    from ing2gw.load import load_all

    loaded = load_all([str(tmp_path)], recursive=True)
    assert not loaded.problems and len(loaded.skipped) == 1 and "Helm chart 'web'" in loaded.skipped[0].message


def test_readme_documents_the_helm_pipe() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    converting = readme[readme.index("## Converting"):readme.index("### Exit codes")]
    assert "helm template" in converting and "| ing2gw convert -f -" in converting
    assert "kustomize build --enable-helm" in converting and "--skip-invalid" in converting


# -- item 4: the v1beta1 backend fields in a v1 Ingress ---------------------------------------


def test_v1_ingress_with_v1beta1_backend_fields_names_them_and_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "convert", "-f", str(REALWORLD_MIX / "apps" / "legacy" / "ingress.yaml"))
    assert rc == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"error: {REALWORLD_MIX}/apps/legacy/ingress.yaml:18: ")  # the serviceName line
    assert "serviceName/servicePort" in err and "networking.k8s.io/v1 does not read" in err
    assert "write `service: {name: reports, port: {number: 80}}` instead" in err
    assert "exactly one of service or resource" not in err


def test_v1beta1_fields_with_a_named_port_and_other_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "i.yaml"
    p.write_text("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n"
                 "  defaultBackend: {serviceName: web, servicePort: http}\n  rules:\n  - http:\n      paths:\n"
                 "      - path: /\n        pathType: Nope\n        backend: {service: {name: s, port: {number: 80}}}\n")
    rc, _, err = run(capsys, "convert", "-f", str(p))
    assert rc == 2
    assert "i.yaml:5: Ingress default/x: spec.defaultBackend: serviceName/servicePort" in err
    assert "`service: {name: web, port: {name: http}}`" in err
    assert "i.yaml:10: " in err and "unknown pathType 'Nope'" in err  # the Ingress's other problem too


# -- item 5: migrate --verify skips what migrate skips, and points at the right line ----------


def test_migrate_verify_on_invalid_input_is_migrate_plus_the_check(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REALWORLD_MIX / "apps", repo / "apps")
    shutil.copytree(REALWORLD_MIX / "clusters", repo / "clusters")
    rc_plain, _, err_plain = run(capsys, "migrate", str(repo), "--out-dir", str(tmp_path / "a"))
    rc, _, err = run(capsys, "migrate", str(repo), "--out-dir", str(tmp_path / "b"), "--verify")
    assert rc_plain == rc == 1 and "Traceback" not in err
    # the same files written, with and without the check
    written = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.gateway.yaml"))
    assert written and written == sorted(p.relative_to(tmp_path / "b").as_posix()
                                         for p in (tmp_path / "b").rglob("*.gateway.yaml"))
    assert "0 unexplained" in err
    for e in (err_plain, err):
        # the line of the field, not of the object
        assert "apps/broken/ingress.yaml:21: error: ING2GW-BATCH-005: Ingress ops/status: spec.rules[0].http" in e
        assert "apps/broken/service.yaml:10: warning: ING2GW-BATCH-004: Service ops/status: spec.ports" in e
        assert "clusters/staging/storefront.yaml:2: error: ING2GW-BATCH-005: Ingress shop/storefront: defined twice " \
               "(first at apps/shop/storefront.yaml:1)" in e


def test_simulate_points_at_the_line_of_the_field(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "simulate", "--side", "ingress", "-f", str(REALWORLD_MIX / "apps" / "broken"),
                     "--request", "GET http://status.example.com/")
    assert rc == 2
    assert f"{REALWORLD_MIX}/apps/broken/ingress.yaml:21: Ingress ops/status: spec.rules[0].http.paths[1].pathType" in err
    assert f"{REALWORLD_MIX}/apps/broken/service.yaml:10: Service ops/status: spec.ports[0].port" in err


# -- item 6: each ReferenceGrant beside the Ingress that needs it ------------------------------


def test_reference_grants_go_next_to_the_ingress_that_needs_them(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # nine Ingresses of one namespace, each with its own certificate, and one without TLS whose
    # file sorts first: every grant used to land in that one file
    files = {"apps/a-plain/ingress.yaml": ingress("plain")}
    for i in range(1, 10):
        files[f"apps/app{i}/ingress.yaml"] = ingress(f"app{i}", secret=f"app{i}-tls")
    files["apps/app2/second.yaml"] = ingress("app2b", secret="app2-tls")  # shares app2's certificate
    write(tmp_path, files)
    assert run(capsys, "migrate", str(tmp_path), "--in-place")[0] == 0
    plain = (tmp_path / "apps/a-plain/ingress.gateway.yaml").read_text()
    assert "ReferenceGrant" not in plain
    for i in range(1, 10):
        text = (tmp_path / f"apps/app{i}/ingress.gateway.yaml").read_text()
        assert text.count("kind: ReferenceGrant") == 1 and f"name: app{i}-tls" in text, i
    # the shared certificate's grant is written once, beside the first of its Ingresses by path
    assert "ReferenceGrant" not in (tmp_path / "apps/app2/second.gateway.yaml").read_text()
    # deterministic and idempotent: a second run changes nothing
    rc, _, err = run(capsys, "migrate", str(tmp_path), "--in-place")
    assert rc == 0 and "nothing to change" in err


def test_a_grant_misplaced_by_an_earlier_run_moves_to_its_ingress(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"a/ingress.yaml": ingress("a"), "b/ingress.yaml": ingress("b", secret="b-tls")})
    assert run(capsys, "migrate", str(tmp_path), "--in-place")[0] == 0
    a, b = tmp_path / "a/ingress.gateway.yaml", tmp_path / "b/ingress.gateway.yaml"
    grant = "---\n" + b.read_text().split("---\n")[-1]
    assert "kind: ReferenceGrant" in grant
    # as an older ing2gw wrote it: the grant in the first file of the namespace
    a.write_text(a.read_text() + grant)
    b.write_text(b.read_text()[: -len(grant)])
    assert run(capsys, "migrate", str(tmp_path), "--in-place")[0] == 0
    assert "ReferenceGrant" not in a.read_text() and "kind: ReferenceGrant" in b.read_text()


def test_grant_users() -> None:
    from ing2gw.batch.place import grant_users

    grant = {"kind": "ReferenceGrant", "metadata": {"name": "g", "namespace": "shop"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "gw"}],
                      "to": [{"group": "", "kind": "Secret", "name": "t"}]}}
    secrets = {"shop/b": ["t"], "shop/a": ["t", "u"], "other/c": ["t"], "shop/d": ["u"]}
    assert grant_users(grant, secrets) == ["shop/a", "shop/b"]  # same namespace, naming the Secret
    service = {**grant, "spec": {**grant["spec"], "to": [{"group": "", "kind": "Service", "name": "t"}]}}
    assert grant_users(service, secrets) == []  # the Service's namespace gives it: not beside the route


def test_mixed_tree_migrates_with_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REALWORLD_MIX, repo)
    rc, _, err = run(capsys, "migrate", str(repo), "--in-place", "--verify")
    assert rc == 1 and "Traceback" not in err and "0 unexplained" in err
    shop_api = (repo / "apps/shop/api.gateway.yaml").read_text()
    assert "from-gateway-system-gateway-to-secret-api-tls" in shop_api
    assert "ReferenceGrant" not in (repo / "apps/shop/account.gateway.yaml").read_text()
    kustomization = (repo / "apps/shop/kustomization.yaml").read_text()
    assert "api.gateway.yaml" in kustomization and "account.gateway.yaml" in kustomization
    for untouched in ("apps/broken/ingress.yaml", "apps/legacy/ingress.yaml", "charts/web/templates/ingress.yaml",
                      "deploy/ingress-snippet.yaml", "docker-compose.yaml"):
        assert (repo / untouched).read_bytes() == (REALWORLD_MIX / untouched).read_bytes(), untouched
    assert not (repo / "apps/broken/ingress.gateway.yaml").exists()
    plan = plan_migration(repo)
    assert plan.empty  # a second run changes nothing


# -- item 8: long runs on stderr ----------------------------------------------------------------


def many_findings(root: Path, n: int = 30) -> Path:
    docs = [ingress(f"web{i}").replace("  namespace: shop\n",
                                      "  namespace: shop\n  annotations:\n"
                                      "    nginx.ingress.kubernetes.io/proxy-body-size: 8m\n"
                                      "    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/8\n")
            for i in range(n)]
    p = root / "many.yaml"
    p.write_text("---\n".join(docs))
    return p


def test_many_findings_start_with_a_count_per_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = many_findings(tmp_path)
    rc, _, err = run(capsys, "convert", "-f", str(src), "--no-progress")
    lines = err.splitlines()
    assert rc == 1 and lines[0] == "ing2gw: 63 findings by code:"  # and 3 info
    assert lines[1].split() == ["error", "30", "ING2GW-NGINX-080", "Client", "address", "list", "not", "converted"]
    assert lines[2].split()[:3] == ["warning", "30", "ING2GW-TARGET-068"]
    detail = [ln for ln in lines if ": ING2GW-TARGET-068: " in ln or ": ING2GW-NGINX-080: " in ln]
    assert len([d for d in detail if ": error: " in d]) == 5 and len([d for d in detail if ": warning: " in d]) == 5
    assert lines[-2] == ("ing2gw: not listed: 25 more error ING2GW-NGINX-080, 25 more warning ING2GW-TARGET-068 "
                         "(-v lists every finding)")
    assert lines[-1].startswith("ing2gw: 30 error(s), 30 warning(s), ")
    # -v lists every one of them
    rc, _, err = run(capsys, "convert", "-f", str(src), "-v")
    assert len([ln for ln in err.splitlines() if ": ING2GW-TARGET-068: " in ln or ": ING2GW-NGINX-080: " in ln]) == 60
    assert "not listed" not in err
    # a few findings: no count, the list as it was
    rc, _, err = run(capsys, "convert", "-f", str(many_findings(tmp_path, 2)))
    assert "findings by code" not in err and len(err.splitlines()) == 5


def test_quiet_keeps_errors_and_the_final_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = many_findings(tmp_path, 3)
    rc, _, err = run(capsys, "convert", "-f", str(src), "-q", "--out-dir", str(tmp_path / "out"))
    lines = err.splitlines()
    assert rc == 1 and len(lines) == 4 and all(": error: ING2GW-NGINX-080: " in ln for ln in lines[:3])
    assert lines[-1].startswith("ing2gw: 3 error(s), 3 warning(s), ") and "wrote" not in err
    # the check's details only when a difference is unexplained; its totals always
    rc, _, err = run(capsys, "convert", "-f", str(src), "-q", "--verify")
    assert "equivalence check:" not in err and err.splitlines()[-1].startswith("ing2gw: equivalence: ")
    assert "explained" in err.splitlines()[-1] and len(err.splitlines()) == 5


def test_progress_only_on_a_terminal_or_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    src = many_findings(tmp_path, 3)
    _, _, err = run(capsys, "convert", "-f", str(src))
    assert "reading files" not in err and "\x1b[" not in err          # stderr is no terminal here
    _, _, err = run(capsys, "convert", "-f", str(src), "--progress", "--no-color")
    assert "reading files" in err and "translating" in err and "1/1" in err
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    _, _, err = run(capsys, "convert", "-f", str(src), "-q")
    assert "reading files" not in err                                  # -q: no progress on a terminal
    _, _, err = run(capsys, "convert", "-f", str(src), "--no-progress")
    assert "reading files" not in err


# -- item 9: smaller ------------------------------------------------------------------------------


def test_services_without_ingress_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(ROOT / "examples" / "shop" / "services.yaml"))
    assert rc == 0 and out == ""
    assert "ing2gw: no Ingress found in the input (read: 4 Service); nothing to convert" in err
    assert "no objects to write" not in err


def test_nginx_020_says_what_was_emitted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "i.yaml"
    rewrite = ("  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /$2\n")
    p.write_text(ingress("api").replace("  namespace: shop\n", "  namespace: shop\n" + rewrite)
                 .replace("path: /\n        pathType: Prefix", "path: /v1(/|$)(.*)\n        pathType: ImplementationSpecific"))
    rc, out, err = run(capsys, "convert", "-f", str(p))
    line = next(ln for ln in err.splitlines() if "ING2GW-NGINX-020" in ln)
    assert "type: PathPrefix" in out and "RegularExpression" not in out
    assert "emitted as PathPrefix /v1 (case-sensitive" in line and "RegularExpression" not in line
    # with TLS the host's other paths are redirected by a regex rule: both are named
    p.write_text(p.read_text().replace("  rules:", "  tls: [{hosts: [api.example.com], secretName: t}]\n  rules:"))
    rc, out, err = run(capsys, "convert", "-f", str(p))
    line = next(ln for ln in err.splitlines() if "ING2GW-NGINX-020" in ln)
    assert "type: RegularExpression" in out
    assert "emitted as PathPrefix /v1 (" in line and "and RegularExpression matches '(?i)^<path>.*' for /" in line


def test_bundled_examples_convert_together(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "convert", "-f", str(ROOT / "examples" / "shop"), "-f",
                       str(ROOT / "examples" / "legacy-nginx"), "-o", "json")
    assert rc in (0, 1) and "defined twice" not in err
    sources = {o["metadata"]["annotations"]["ing2gw.io/source-ingress"] for o in json.loads(out)["items"]
               if o["kind"] == "HTTPRoute"}
    assert {"shop/storefront", "shop/api", "backoffice/admin"} <= sources
    assert {"legacy-shop/storefront", "legacy-shop/api", "legacy-backoffice/admin"} <= sources


def test_verify_reads_a_directory_as_convert_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`verify -f DIR` skips what is not a manifest (a Helm chart, a values file) with an info
    finding, as `convert` does, and reads an out-dir (report.md, kustomization.yaml) as the
    Gateway side."""
    write(tmp_path / "in", {"shop/ingress.yaml": ingress("web"),
                            "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
                            "chart/values.yaml": "replicas: 2\n"})
    rc, _, err = run(capsys, "convert", "-f", str(tmp_path / "in"), "-R", "--out-dir", str(tmp_path / "out"))
    assert rc == 0, err
    rc, out, err = run(capsys, "verify", "-f", str(tmp_path / "in"), "--gateway", str(tmp_path / "out"), "-R")
    assert rc == 0 and "Traceback" not in err, err
    assert "0 unexplained" in out.splitlines()[0]
    # a broken object on the Ingress side is still a problem, with its file and line
    write(tmp_path / "in", {"shop/broken.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: [\n"})
    rc, _, err = run(capsys, "verify", "-f", str(tmp_path / "in"), "--gateway", str(tmp_path / "out"), "-R")
    assert rc == 2 and "shop/broken.yaml:" in err and "Traceback" not in err
