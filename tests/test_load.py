"""The loader: streams, lists, JSON, stdin, directories, origins and every bad-input case."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ing2gw.cli import main
from ing2gw.errors import InputError
from ing2gw.load import field_line, load, load_text, manifests_from_text
from ing2gw.origin import Origin

SVC = "apiVersion: v1\nkind: Service\nmetadata: {{name: {n}}}\n"


def test_multi_document_stream_keeps_origins() -> None:
    text = "# comment\n" + SVC.format(n="a") + "---\n" + SVC.format(n="b") + "---\n---\n" + SVC.format(n="c")
    ms = load_text(text, "x.yaml")
    assert [m.name for m in ms] == ["a", "b", "c"]
    assert [m.origin.line for m in ms] == [2, 6, 11]
    assert [m.origin.doc for m in ms] == [0, 1, 3]


def test_list_kinds_are_expanded_with_item_origins() -> None:
    text = "apiVersion: v1\nkind: ServiceList\nitems:\n- " + json.dumps(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}) + "\n- " + json.dumps(
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}}) + "\n"
    ms = load_text(text, "l.yaml")
    assert [m.name for m in ms] == ["a", "b"]
    assert [m.origin.item for m in ms] == [0, 1]


def test_json_file_and_json_list(tmp_path: Path) -> None:
    p = tmp_path / "objs.json"
    p.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}}]}, indent="\t"))
    ms = load([str(p)])
    assert [m.name for m in ms] == ["a", "b"]


def test_stdin_bytes() -> None:
    ms = load(["-"], stdin=io.BytesIO(SVC.format(n="s").encode()))
    assert ms[0].name == "s" and ms[0].origin.file == "<stdin>"


def test_directories_and_recursion(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SVC.format(n="a"))
    (tmp_path / "README.md").write_text("not a manifest")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.yml").write_text(SVC.format(n="b"))
    hidden = tmp_path / ".git"
    hidden.mkdir()
    (hidden / "c.yaml").write_text(SVC.format(n="c"))
    assert [m.name for m in load([str(tmp_path)])] == ["a"]
    assert [m.name for m in load([str(tmp_path)], recursive=True)] == ["a", "b"]


def test_yaml_11_words_stay_strings_and_numbers_resolve() -> None:
    m = load_text("apiVersion: v1\nkind: X\nmetadata: {name: n, namespace: no}\nspec: {a: 1, b: 1.5, c: true, d: ~, e: '1'}\n")[0]
    assert m.namespace == "no"
    assert m.obj["spec"] == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "1"}


@pytest.mark.parametrize("text,line,fragment", [
    ("apiVersion: v1\nkind: Service\nmetadata: {name: [\n", 4, "invalid YAML"),
    ("just text\n", 1, "not a Kubernetes object"),
    ("apiVersion: v1\nmetadata: {name: x}\n", 1, "has no kind"),
    ("apiVersion: v1\nkind: A\nkind: B\n", 3, "duplicate key"),
    ("apiVersion: v1\nkind: A\nmetadata: *nope\n", 3, "undefined alias"),
])
def test_bad_documents(text: str, line: int, fragment: str) -> None:
    r = manifests_from_text(text, "bad.yaml")
    assert r.problems, "a problem must be reported"
    assert r.problems[0].line == line
    assert fragment in r.problems[0].message


def test_one_bad_document_does_not_hide_the_others() -> None:
    text = SVC.format(n="a") + "---\nfoo: [1\n---\n" + SVC.format(n="b") + "---\n42\n---\n" + SVC.format(n="c")
    r = manifests_from_text(text, "m.yaml")
    assert [m.name for m in r.manifests] == ["a", "b", "c"]
    assert len(r.problems) == 2


def test_non_utf8_file(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"apiVersion: v1\nkind: Service\nmetadata: {name: caf\xe9}\n")
    with pytest.raises(InputError) as exc:
        load([str(p)])
    assert exc.value.problems[0].line == 3
    assert "UTF-8" in exc.value.problems[0].message


def test_empty_input_and_empty_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    with pytest.raises(InputError, match="no Kubernetes objects"):
        load([str(empty)])
    d = tmp_path / "dir"
    d.mkdir()
    with pytest.raises(InputError, match="no .yaml, .yml or .json files"):
        load([str(d)])
    with pytest.raises(InputError, match="no such file"):
        load([str(tmp_path / "missing.yaml")])


def test_field_line_points_at_the_field(tmp_path: Path) -> None:
    p = tmp_path / "i.yaml"
    p.write_text(SVC.format(n="a") + "---\napiVersion: v1\nkind: X\nspec:\n  rules:\n  - a: 1\n  - b: 2\n")
    ms = load([str(p)])
    assert field_line(ms[1].origin, ("spec", "rules", 1, "b")) == 10
    assert field_line(ms[1].origin, ("spec", "missing")) == 7


@pytest.mark.parametrize("content,fragment", [
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  rules:\n  - http:\n"
     "      paths:\n      - path: /\n        pathType: Regex\n        backend: {service: {name: s, port: {number: 80}}}\n",
     "i.yaml:9: Ingress default/x: spec.rules[0].http.paths[0].pathType: unknown pathType 'Regex'"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec:\n  rules:\n  - http:\n"
     "      paths:\n      - path: /\n        pathType: Prefix\n",
     "i.yaml:8: Ingress default/x: spec.rules[0].http.paths[0].backend: required field is missing"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\nspec: {}\n",
     "either spec.defaultBackend or spec.rules must be specified"),
    ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {namespace: y}\nspec: {rules: [{host: a}]}\n",
     "metadata.name: required field is missing"),
])
def test_bad_ingress_gives_one_line_error_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     content: str, fragment: str) -> None:
    p = tmp_path / "i.yaml"
    p.write_text(content)
    rc = main(["convert", "-f", str(p)])
    err = capsys.readouterr().err
    assert rc == 2
    assert fragment in err
    assert "Traceback" not in err


def test_all_bad_ingresses_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {n}}}\nspec:\n  rules:\n  - http:\n"
           "      paths:\n      - path: /\n        pathType: Nope\n        backend: {{service: {{name: s, port: {{number: 80}}}}}}\n")
    p = tmp_path / "i.yaml"
    p.write_text(bad.format(n="one") + "---\n" + bad.format(n="two"))
    assert main(["convert", "-f", str(p)]) == 2
    err = capsys.readouterr().err
    assert "default/one" in err and "default/two" in err


def test_origin_str() -> None:
    assert str(Origin("a.yaml", 3)) == "a.yaml:3"
