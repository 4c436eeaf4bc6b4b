"""`ing2gw migrate` end to end: modes, dry-run diff, idempotence, out-dir, report, a run killed part-way."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ing2gw.batch import plan_migration
from ing2gw.cli import main

EXAMPLE = Path(__file__).parent / "data" / "gitops-repo"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dst = tmp_path / "repo"
    shutil.copytree(EXAMPLE, dst)
    return dst


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args,message", [
    ([], "say where the result goes"),
    (["--in-place", "--out-dir", "x"], "exclude each other"),
    (["--in-place", "--platform-dir", "../outside"], "inside the repository"),
])
def test_usage_errors(repo: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    assert main(["migrate", str(repo), *args]) == 2
    assert message in capsys.readouterr().err
    assert snapshot(repo) == before


def test_missing_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(tmp_path / "nope"), "--dry-run"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_dry_run_prints_the_diff_and_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    assert main(["migrate", str(repo), "--dry-run", "--remove-ingress"]) == 0
    out, err = capsys.readouterr()
    assert snapshot(repo) == before
    assert out.startswith("--- /dev/null\n+++ b/apps/shop/ingress.gateway.yaml\n")
    assert "--- a/apps/web/base/ingress.yaml\n+++ b/apps/web/base/ingress.yaml\n" in out
    assert "-  name: api\n" in out
    assert "dry run: 4 file(s) to add, 3 to change, 0 to delete (nothing written)" in err
    assert "ING2GW-BATCH-002" in err


def test_in_place_then_again(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(repo), "--in-place", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "added 4, changed 1, deleted 0 file(s)" in err
    # the summary per namespace
    assert any(line.split()[:4] == ["shop", "2", "3", "1"] for line in err.splitlines())
    md = (repo / "MIGRATION.md").read_text()
    assert md.startswith("# Migrate 4 Ingresses to Gateway API") and f"`ing2gw migrate {repo} --in-place`" in md
    assert (repo / "apps/shop/ingress.gateway.yaml").is_file()
    state = snapshot(repo)
    assert main(["migrate", str(repo), "--in-place"]) == 0
    assert "nothing to change: the repository is already migrated" in capsys.readouterr().err
    assert snapshot(repo) == state, "a second run changes nothing, MIGRATION.md included"
    assert main(["migrate", str(repo), "--dry-run"]) == 0
    assert capsys.readouterr().out == ""


def test_out_dir_mirrors_changed_files_only(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    out = tmp_path / "out"
    assert main(["migrate", str(repo), "--out-dir", str(out), "--remove-ingress"]) == 0
    assert snapshot(repo) == before, "nothing in the repository changes"
    written = sorted(snapshot(out))
    assert written == [".ing2gw-output", "MIGRATION.md", "apps/shop/ingress.gateway.yaml", "apps/shop/ingress.yaml",
                       "apps/web/base/ingress.gateway.yaml", "apps/web/base/ingress.yaml",
                       "apps/web/base/kustomization.yaml", "platform/gateway-api/gateway.yaml",
                       "platform/gateway-api/kustomization.yaml"]
    plan = plan_migration(repo)
    new = plan.change("apps/shop/ingress.gateway.yaml")
    assert new is not None and (out / new.path).read_bytes() == new.new
    capsys.readouterr()
    # refreshing ing2gw's own folder is fine; someone else's folder is not
    assert main(["migrate", str(repo), "--out-dir", str(out)]) == 0
    assert not (out / "apps/shop/ingress.yaml").exists(), "a file of the previous run that is no longer planned"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["migrate", str(repo), "--out-dir", str(foreign)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["migrate", str(repo), "--out-dir", str(foreign), "--force"]) == 0
    assert (foreign / "notes.txt").read_text() == "mine"


def test_out_dir_inside_the_repository_is_not_read(repo: Path) -> None:
    assert main(["migrate", str(repo), "--out-dir", str(repo / "migrated")]) == 0
    assert main(["migrate", str(repo), "--out-dir", str(repo / "migrated")]) == 0
    assert not (repo / "migrated" / "migrated").exists()
    assert not (repo / "migrated" / "apps/shop/ingress.gateway.gateway.yaml").exists()


def test_report_and_verify(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    assert main(["migrate", str(repo), "--in-place", "--verify", "--report", str(report)]) == 0
    err = capsys.readouterr().err
    assert "ing2gw: equivalence:" in err and "0 unexplained" in err
    assert "probe requests were answered" in (repo / "MIGRATION.md").read_text()
    data = json.loads(report.read_text())
    assert "ING2GW-BATCH-002" in json.dumps(data)


def test_fail_on_and_quiet(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(repo), "--dry-run", "--fail-on", "warning", "-q"]) == 1
    err = capsys.readouterr().err
    assert "ING2GW-" not in err and "dry run" in err


def test_progress_bar_can_be_forced(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", str(repo), "--in-place", "--progress"]) == 0
    assert (repo / "platform/gateway-api/gateway.yaml").is_file()


# -- a run killed part-way through ------------------------------------------------------------------------


def _generate(root: Path, apps: int, per_file: int) -> None:
    for a in range(apps):
        d = root / "apps" / f"app{a}"
        d.mkdir(parents=True)
        for part in ("public", "internal"):
            docs = [f"# {part} Ingresses of app {a}\n"]
            for i in range(per_file):
                docs.append(f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {part}{i}\n"
                            f"  namespace: app{a}\nspec:\n  ingressClassName: nginx\n  rules:\n"
                            f"  - host: {part}{i}.app{a}.example.com  # host\n    http:\n      paths:\n"
                            f"      - path: /\n        pathType: Prefix\n        backend:\n"
                            f"          service: {{name: s{i}, port: {{number: 80}}}}\n")
            docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {part}, namespace: app{a}}}\n")
            (d / f"{part}.yaml").write_text("---\n".join(docs))
        (d / "kustomization.yaml").write_text("resources:\n- public.yaml  # public\n- internal.yaml\n")


def test_a_run_killed_part_way_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    root = tmp_path / "big"
    _generate(root, apps=150, per_file=3)
    before = snapshot(root)
    plan = plan_migration(root)
    planned = {c.path: c.new for c in plan.changes}
    assert len(planned) > 400
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "ing2gw", "migrate", str(root), "--in-place", "--no-progress",
                             "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = root / plan.changes[0].path
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if first.exists() and sum(1 for c in plan.changes[:60] if (root / c.path).exists()) >= 20:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    rc = proc.wait()
    if rc != -signal.SIGKILL:
        pytest.skip(f"the run ended before it could be killed (exit code {rc})")
    after = snapshot(root)
    new_count = 0
    for path in set(before) | set(planned):
        now = after.get(path)
        old = before.get(path)
        assert now == old or now == planned.get(path, old), path
        new_count += path in planned and now == planned[path] and now != old
    assert 0 < new_count < len(planned), "killed in the middle"
    leftovers = set(after) - set(before) - set(planned)
    assert all(Path(p).name.startswith(".") and p.endswith(".ing2gw.tmp") for p in leftovers), leftovers
    # the next run finishes the job (and removes a temporary file the kill left behind)
    assert main(["migrate", str(root), "--in-place", "-q"]) == 0
    final = snapshot(root)
    assert {p: final.get(p) for p in planned} == planned
    assert set(final) - set(before) - set(planned) == {"MIGRATION.md"}
