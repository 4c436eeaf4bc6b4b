"""The YAML writer: kubectl style, Kubernetes key order, round-trips, determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ing2gw.load import load_text
from ing2gw.serialize import dump_json, dump_yaml_stream, to_yaml


def test_kubectl_style_and_key_order() -> None:
    obj = {"spec": {"rules": [{"a": 1, "b": [1]}]}, "metadata": {"annotations": {"z": "1", "a": "2"}, "name": "n"},
           "kind": "X", "apiVersion": "v1"}
    assert dump_yaml_stream([obj]) == (
        "apiVersion: v1\nkind: X\nmetadata:\n  name: \"n\"\n  annotations:\n    a: \"2\"\n    z: \"1\"\n"
        "spec:\n  rules:\n  - a: 1\n    b:\n    - 1\n")


def test_objects_sorted_by_kind_namespace_name() -> None:
    objs = [{"apiVersion": "v1", "kind": k, "metadata": {"name": n, "namespace": ns}}
            for k, ns, n in [("B", "x", "a"), ("A", "y", "b"), ("A", "x", "c"), ("A", "x", "a")]]
    out = dump_yaml_stream(objs)
    assert [m.kind + m.namespace + m.name for m in load_text(out)] == ["Axa", "Axc", "Ayb", "Bxa"]


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(min_size=1), children, max_size=4),
    max_leaves=20))
@settings(max_examples=300, deadline=None)
def test_round_trip_through_ruamel(value: Any) -> None:
    text = to_yaml(value)
    assert YAML(typ="safe", pure=True).load(text) == value


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_strings_round_trip_through_our_loader(s: str) -> None:
    doc = {"apiVersion": "v1", "kind": "X", "data": {"v": s}}
    assert load_text(dump_yaml_stream([doc]))[0].obj == doc


def test_ambiguous_strings_are_quoted() -> None:
    for s in ["yes", "no", "on", "off", "y", "n", "true", "null", "~", "1", "1.5", "0x1F", "2024-01-01", "*.a.com",
              "a: b", "a #b", "", " x", "x ", "-", "@x", "<<", "="]:
        assert to_yaml({"k": s}).startswith('k: "'), s


def test_output_is_independent_of_hash_seed() -> None:
    code = ("from ing2gw.cli import main; import sys; sys.exit(main(['convert', '-f', 'examples/shop']))")
    outs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                           cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1


def test_json_list() -> None:
    import json

    out = json.loads(dump_json([{"apiVersion": "v1", "kind": "A", "metadata": {"name": "a"}},
                                {"apiVersion": "v1", "kind": "B", "metadata": {"name": "b"}}]))
    assert out["kind"] == "List" and [i["kind"] for i in out["items"]] == ["A", "B"]


def test_characters_yaml_cannot_carry_raw_are_escaped() -> None:
    """ASCII and non-ASCII strings take different patterns (serialize._non_printable): both must
    escape what YAML's printable set excludes and keep the rest as written."""
    for raw, escaped in [("a\x01b", "a\\u0001b"), ("del\x7f", "del\\u007f"), ("é\x01", "é\\u0001"),
                         ("line\u2028sep", "line\\u2028sep"), ("bom\ufeff", "bom\\ufeff"),
                         ("nonchar\ufffe", "nonchar\\ufffe"), ("surrogate-free \U0001f600", "surrogate-free \U0001f600"),
                         ("tab\there", "tab\\there")]:
        text = to_yaml({"k": raw})
        assert escaped in text, (raw, text)
        assert YAML(typ="safe", pure=True).load(text) == {"k": raw}
    block = to_yaml({"k": "one\ntwo é\n"})
    assert block.startswith("k: |"), block
    assert to_yaml({"k": "one\ntwo\x01\n"}).startswith('k: "'), "a control character rules out a literal block"
