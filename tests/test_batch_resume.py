"""A `migrate --in-place --remove-ingress` run stopped part-way and run again produces exactly what
an uninterrupted run produces — every file and MIGRATION.md — and every object it writes, merged
with the files already there, passes the strict models (issue 16, item 5)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

import ing2gw.cli.migrate as cli_migrate
from ing2gw.batch.journal import JOURNAL_START, split_journal, with_journal
from ing2gw.batch.place import strict_problem
from ing2gw.batch.write import apply_changes, default_writer
from ing2gw.cli import main
from ing2gw.load import load

HOSTS = 60  # two TLS listeners each: two Gateways (32 hosts + 28)


def make_repo(root: Path, hosts: int = HOSTS) -> Path:
    for i in range(hosts):
        d = root / "apps" / f"app{i:03d}"
        d.mkdir(parents=True)
        (d / "ingress.yaml").write_text(
            f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web{i}, namespace: ns{i % 5}}}\n"
            f"spec:\n  ingressClassName: nginx\n  tls:\n  - hosts: [h{i:03d}.example.com]\n    secretName: tls{i}\n"
            f"  rules:\n  - host: h{i:03d}.example.com\n    http:\n      paths:\n"
            "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class Killed(BaseException):
    """SIGKILL, as far as the run can tell: nothing after it happens."""


def killing_apply(stop: Callable[[Path, "bytes | None"], bool]) -> Callable[..., None]:
    def apply(root: Path, changes: Any, *, write: Any = default_writer, on_change: Any = None) -> None:
        def writer(path: Path, data: bytes | None) -> None:
            if stop(path, data):
                raise Killed
            default_writer(path, data)
        apply_changes(root, changes, write=writer, on_change=on_change)
    return apply


def all_objects_valid(root: Path) -> None:
    gateways = 0
    for m in load([str(root)], recursive=True):
        if m.obj.get("apiVersion", "").startswith("gateway.networking.k8s.io/"):
            assert strict_problem(m.obj) is None, (m, strict_problem(m.obj))
        if m.kind == "Gateway":
            gateways += 1
            assert len(m.obj["spec"]["listeners"]) <= 64
    assert gateways == 2


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(the repository before, after one uninterrupted run), run in the same folder as the test
    runs (MIGRATION.md names the command)."""
    work = tmp_path_factory.mktemp("once") / "repo"
    make_repo(work)
    before = snapshot(work)
    assert main(["migrate", str(work), "--in-place", "--remove-ingress"]) == 0
    after = snapshot(work)
    shutil.rmtree(work)
    return before, after


def restore(root: Path, files: dict[str, bytes]) -> None:
    if root.exists():
        shutil.rmtree(root)
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


@pytest.mark.parametrize("when", ["deleting the 20th Ingress file", "after the first new file", "before MIGRATION.md"])
def test_a_resumed_run_produces_what_an_uninterrupted_run_produces(
        uninterrupted: tuple[dict[str, bytes], dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    before, expected = uninterrupted
    work = tmp_path_factory.getbasetemp() / "once0" / "repo"  # the same path as the uninterrupted run
    restore(work, before)
    count = [0]

    def stop(path: Path, data: bytes | None) -> bool:
        count[0] += 1
        if when == "deleting the 20th Ingress file":
            return data is None and count[0] > 0 and sum(1 for p in work.rglob("ingress.yaml")) == HOSTS - 19
        if when == "after the first new file":
            return count[0] == 2
        return False

    monkeypatch.setattr(cli_migrate, "apply_changes", killing_apply(stop))
    if when == "before MIGRATION.md":
        real = cli_migrate.atomic_write_bytes
        calls = [0]

        def md_write(path: Path, data: bytes) -> None:
            calls[0] += 1
            if calls[0] == 2:  # the description without the journal, after every file
                raise Killed
            real(path, data)
        monkeypatch.setattr(cli_migrate, "atomic_write_bytes", md_write)
    with pytest.raises(Killed):
        main(["migrate", str(work), "--in-place", "--remove-ingress"])
    monkeypatch.undo()
    stopped = snapshot(work)
    assert stopped != expected, "stopped part-way"
    assert JOURNAL_START in stopped["MIGRATION.md"].decode(), "the description says the run is unfinished"
    assert main(["migrate", str(work), "--in-place", "--remove-ingress"]) == 0
    assert snapshot(work) == expected
    all_objects_valid(work)
    shutil.rmtree(work)


def test_a_changed_repository_is_a_new_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal only speaks for the same migration: after a hand edit the run describes itself."""
    work = make_repo(tmp_path / "repo", hosts=4)
    monkeypatch.setattr(cli_migrate, "apply_changes", killing_apply(lambda p, d: d is None))
    with pytest.raises(Killed):
        main(["migrate", str(work), "--in-place", "--remove-ingress"])
    monkeypatch.undo()
    ingress = work / "apps" / "app001" / "ingress.yaml"  # edited by hand, meanwhile
    ingress.write_text(ingress.read_text().replace("h001.example.com", "new.example.com"))
    assert main(["migrate", str(work), "--in-place", "--remove-ingress"]) == 0
    md = (work / "MIGRATION.md").read_text()
    assert JOURNAL_START not in md
    assert "| Ingresses found / translated / removed | 4 / 4 / 4 |" in md
    assert "- `apps/app001/ingress.gateway.yaml`" in md and "- `apps/app000/ingress.gateway.yaml`" not in md, \
        "it describes this run's changes only"


def test_journal_round_trips_hostile_paths() -> None:
    entries = {"a/b.yaml": "deleted", "x-->y.yaml": "ab" * 32, 'q"uote.yaml': "cd" * 32}
    text, got = split_journal(with_journal("<!-- generated by ing2gw migrate -->\n# Migrate\n", entries))
    assert text == "<!-- generated by ing2gw migrate -->\n# Migrate\n" and got == entries
    assert "-->" not in with_journal("", entries).split("\n", 2)[2].rsplit("\n", 2)[0]


def test_strict_models_catch_an_oversized_merge() -> None:
    listeners = [{"name": f"l{i}", "hostname": f"h{i}.example.com", "port": 80, "protocol": "HTTP"} for i in range(65)]
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
          "metadata": {"name": "g", "namespace": "infra"}, "spec": {"gatewayClassName": "c", "listeners": listeners}}
    assert strict_problem(gw) is not None and "64" in str(strict_problem(gw))
    gw["spec"]["listeners"] = listeners[:64]
    assert strict_problem(gw) is None
