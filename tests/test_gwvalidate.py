"""Tests of tests/gwvalidate, ing2gw's own Gateway API validator.

Expected values come from the specifications, not from the code: the CEL language definition
(cel-spec langdef.md: commutative && and ||, heterogeneous equality, errors), the examples in
the Kubernetes CEL library docs (k8s.io/apiserver/pkg/cel/library: urls.go, ip.go,
quantity.go, format.go), Go's documentation (time.ParseDuration, strings.SplitN) and the
API server's own messages. Then: every CEL rule of every vendored CRD is listed and must be
evaluable; the self-test files; every golden output.
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator

import datapaths
import pytest
import yaml  # type: ignore[import-untyped]

from gwvalidate import (EXPERIMENTAL_CRDS, STANDARD_CRDS, Registry, Validator, check_file,
                        implementation_crd_folders, rule_inventory, selftest_files)
from gwvalidate.celeval import compile_cel
from gwvalidate.celtypes import CelError, Unsupported
from gwvalidate.gostd import GoError, parse_go_duration, parse_quantity
from gwvalidate.rules import Converter, RuleBook, escape_field, schema_nodes

ROOT = Path(__file__).resolve().parents[1]
ERROR = CelError  # marker in the tables below: the expression evaluates to an error


@functools.cache
def standard() -> Validator:
    return Validator(Registry([STANDARD_CRDS]))


@functools.cache
def everything() -> Validator:
    """Standard CRDs and every implementation's CRDs (as --with-implementations)."""
    return Validator(Registry([STANDARD_CRDS, *implementation_crd_folders()]))


@functools.cache
def registry(folder: Path) -> Registry:
    """The CRDs of one folder (read once per test process: the implementations' are 6.6 MB)."""
    return Registry([folder])


# --------------------------------------------------------------------------- CEL semantics
SELF = {"a": 1, "l": [1, 2], "s": "x", "obj": {"a": 1}, "m": {"k": "v"}}

CEL_CASES: list[tuple[str, Any]] = [
    # langdef "Logical Operators": commutative; an error is absorbed when the other side decides
    ("self.missing == 1 || true", True),
    ("true || self.missing == 1", True),
    ("self.missing == 1 && false", False),
    ("false && self.missing == 1", False),
    ("self.missing == 1 || false", ERROR),
    ("self.missing == 1 && true", ERROR),
    ("(self.missing == 1) ? true : true", ERROR),  # the condition's error is the result
    ("!(self.missing == 1)", ERROR),
    # macros: all/exists fold like && and ||; exists_one does not absorb errors
    ("self.l.all(x, x == 1 || self.missing)", ERROR),
    ("self.l.all(x, x == 2 && self.missing)", False),
    ("self.l.exists(x, x == 2 || self.missing)", True),
    ("self.l.exists_one(x, x > 0)", False),
    ("self.l.exists_one(x, x == 2)", True),
    ("[0, 1].exists_one(x, 1 / x == 1)", ERROR),
    ("self.l.map(x, x * 10) == [10, 20]", True),
    ("self.l.filter(x, x > 1) == [2]", True),
    ("self.m.all(k, k == 'k')", True),  # map comprehensions range over keys
    # equality across types never errors; numbers compare by value (heterogeneous equality)
    ("1 == 1.0", True), ("1u == 1", True), ("dyn(1) == 'a'", False), ("[1, 'a'] == [1, 'a']", True),
    ("{'a': 1} == {'a': 1.0}", True), ("null == null", True), ("2 < 2.5", True), ("'a' < 1", ERROR),
    # int64: overflow is an error; division truncates toward zero, % takes the dividend's sign
    ("9223372036854775807 + 1", ERROR), ("-7 / 2", -3), ("-7 % 3", -1), ("7 / 0", ERROR), ("1u + 1", ERROR),
    # strings: sizes in code points; the strings extension with Go's SplitN
    ("'héllo'.size()", 5), ("size('héllo')", 5),
    ("'a,b,,c'.split(',')", ["a", "b", "", "c"]), ("'a,b,c'.split(',', 2)", ["a", "b,c"]),
    ("'abc'.split('', 2)", ["a", "bc"]), ("'abc'.split(',', 0)", []),
    ("'abc'.substring(1)", "bc"), ("'abc'.substring(1, 2)", "b"), ("'abc'.substring(2, 1)", ERROR),
    ("'abc'.substring(4)", ERROR), ("'ÄBc'.lowerAscii()", "Äbc"), ("'abc'.upperAscii()", "ABC"),
    ("'abcabc'.indexOf('c')", 2), ("'abcabc'.lastIndexOf('c')", 5), ("'  x '.trim()", "x"),
    ("['a', 'b'].join('-')", "a-b"), ("'a.b'.replace('.', '/')", "a/b"), ("'abc'.charAt(1)", "b"),
    # RE2 and unanchored matches()
    ("'ab'.matches('b')", True), ("'ab'.matches('^b')", False), ("'X'.matches('(?i)x')", True),
    ("'a'.matches('(')", ERROR), ("'x1y22'.findAll('[0-9]+')", ["1", "22"]), ("'x1y'.find('[0-9]')", "1"),
    # conversions and types
    ("int('12') + 1", 13), ("int('0x10')", ERROR), ("double('1.5') > 1.0", True), ("string(15)", "15"),
    ("type(1) == int", True), ("type(1.0) == double", True), ("type('') == string", True),
    ("type([]) == list", True), ("type(self.obj) == map", True),
    # Go durations (time.ParseDuration)
    ("duration('1h30m') == duration('90m')", True), ("duration('1.5s') == duration('1500ms')", True),
    ("duration('1s') < duration('1001ms')", True), ("duration('1d')", ERROR), ("duration('1')", ERROR),
    # presence, field selection, optionals (cel-go optional field selection)
    ("has(self.obj.a)", True), ("has(self.obj.b)", False), ("self.obj.b", ERROR), ("self.l[2]", ERROR),
    ("'k' in self.m", True), ("2 in self.l", True), ("has(self.?obj.a)", True), ("has(self.?nothing.a)", False),
    ("self.?nothing.a.orValue(7)", 7), ("self.?obj.a.orValue(7)", 1), ("self.?obj.?b.orValue(7)", 7),
    ("self.?obj.hasValue()", True), ("optional.none().value()", ERROR), ("optional.of(1).orValue(2)", 1),
    ("cel.bind(x, 2, x * x)", 4),
    # Kubernetes lists library
    ("[1, 2, 3].isSorted()", True), ("[3, 1].isSorted()", False), ("[1, 2].sum()", 3), ("[2, 1].min()", 1),
    ("[1, 3, 2].max()", 3), ("[].min()", ERROR), ("[1, 2, 1].lastIndexOf(1)", 2),
    # Kubernetes URL library (examples of urls.go)
    ("isURL('https://user:pass@example.com:80/path?query=val#fragment')", True), ("isURL('/absolute-path')", True),
    ("isURL('https://a:b:c/')", False), ("isURL('../relative-path')", False), ("url('https://a:b:c/')", ERROR),
    ("url('/path').getScheme()", ""), ("url('https://example.com/').getScheme()", "https"),
    ("url('https://example.com:80/').getHost()", "example.com:80"), ("url('https://[::1]:80/').getHost()", "[::1]:80"),
    ("url('https://[::1]:80/').getHostname()", "::1"), ("url('https://example.com:80/').getPort()", "80"),
    ("url('https://example.com/').getPort()", ""),
    ("url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"),
    ("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", {"k1": ["a"], "k2": ["b", "c"]}),
    ("url('https://example.com/path?').getQuery()", {}),
    # Kubernetes IP library (examples of ip.go and cidr.go)
    ("isIP('127.0.0.1')", True), ("isIP('::1')", True), ("isIP('127.0.0.256')", False), ("isIP(':::1')", False),
    ("isIP('010.0.0.1')", False), ("isIP('::ffff:1.2.3.4')", False), ("isIP('fe80::1%eth0')", False),
    ("ip.isCanonical('2001:db8::abcd')", True), ("ip.isCanonical('2001:DB8::ABCD')", False),
    ("ip('127.0.0.1').family()", 4), ("ip('::1').family()", 6), ("ip('224.0.0.1').isLinkLocalMulticast()", True),
    ("ip('224.0.1.1').isLinkLocalMulticast()", False), ("ip('169.254.169.254').isLinkLocalUnicast()", True),
    ("ip('192.168.0.1').isGlobalUnicast()", True), ("ip('255.255.255.255').isGlobalUnicast()", False),
    ("ip('127.0.0.1').isLoopback()", True), ("ip('::').isUnspecified()", True),
    ("cidr('192.168.0.0/24').containsIP('192.168.0.1')", True), ("cidr('192.168.0.0/24').containsIP('192.168.1.1')", False),
    ("cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", True), ("cidr('192.168.0.1/24').prefixLength()", 24),
    ("isCIDR('10.0.0.0/33')", False), ("string(cidr('192.168.0.1/24').masked())", "192.168.0.0/24"),
    # Kubernetes quantity library (examples of quantity.go)
    ("quantity('200M').compareTo(quantity('0.2G'))", 0), ("quantity('50M').compareTo(quantity('50Mi'))", -1),
    ("quantity('150Mi').isGreaterThan(quantity('100Mi'))", True), ("quantity('50M').isLessThan(quantity('100M'))", True),
    ("quantity('50k').add(20) == quantity('50020')", True), ("quantity('50k').sub(quantity('20k')) == quantity('30k')", True),
    ("quantity('1.5').isInteger()", False), ("quantity('4Gi').asInteger()", 4 * 2**30), ("isQuantity('4gi')", False),
    ("quantity('10MB')", ERROR),
    # Kubernetes format library: validate() is optional.none() when valid; an optional never equals null
    ("format.dns1123Label().validate('my-name').hasValue()", False),
    ("format.dns1123Label().validate('My_Name').hasValue()", True),
    ("format.dns1123Label().validate('my-name') == null", False),
    ("format.named('labelValue').hasValue()", True), ("format.named('nope').hasValue()", False),
    ("format.qualifiedName().validate('example.com/a').hasValue()", False),
]


@pytest.mark.parametrize(("expr", "expected"), CEL_CASES, ids=[c[0] for c in CEL_CASES])
def test_cel_semantics(expr: str, expected: Any) -> None:
    program = compile_cel(expr)
    assert program.unsupported is None
    if expected is ERROR:
        with pytest.raises(CelError):
            program.evaluate({"self": SELF})
    else:
        value = program.evaluate({"self": SELF})
        assert value == expected and type(value) is type(expected), value


def test_cel_case_expressions_are_unique() -> None:
    assert len({c[0] for c in CEL_CASES}) == len(CEL_CASES)


@pytest.mark.parametrize("expr", [
    "self.x.sortBy(e, e)",          # cel-go ext.Lists: not in the Kubernetes environment here
    "semver('1.0.0')",              # the semver library is not implemented
    "self.l.all(i, v, v > 0)",      # two-variable comprehensions
    "self.x.optMap(v, v)",
    "Foo{a: 1}",                    # message construction
    "unknownVariable == 1",
    "self.x.?",                     # syntax error
])
def test_what_cannot_be_evaluated_says_so(expr: str) -> None:
    program = compile_cel(expr)
    assert program.unsupported
    with pytest.raises(Unsupported):
        program.evaluate({"self": SELF})


def test_property_names_are_escaped_as_the_api_server_does() -> None:
    # model.Escape (apiextensions-apiserver schema/cel/model/escaping.go)
    assert escape_field("namespace") == "__namespace__"
    assert escape_field("a-b") == "a__dash__b"
    assert escape_field("a__b") == "a__underscores__b"
    assert escape_field("x.y/z") == "x__dot__y__slash__z"
    assert escape_field("plain_name") == "plain_name"
    assert escape_field("1a") is None and escape_field("a b") is None


def test_go_durations_and_quantities() -> None:
    assert parse_go_duration("300ms") == 300_000_000
    assert parse_go_duration("-1.5h") == -5_400_000_000_000
    assert parse_go_duration("2h45m") == 9_900_000_000_000
    assert parse_go_duration("0") == 0
    for bad in ("", "1", "1d", "h", "1.5.s"):
        with pytest.raises(GoError):
            parse_go_duration(bad)
    assert parse_quantity("1Ki").value == 1024
    assert parse_quantity("100m").value == Fraction(1, 10)
    assert parse_quantity("1e3").value == 1000
    assert parse_quantity("1E").value == 10**18
    assert parse_quantity("-1.5Gi").value == -3 * 2**29
    with pytest.raises(GoError, match="quantities must match the regular expression"):
        parse_quantity("4gi")
    with pytest.raises(GoError):
        parse_quantity("")


# --------------------------------------------------------------------------- the rule machinery on a CRD of our own
def crd(rules: list[dict[str, Any]], props: dict[str, Any] | None = None) -> dict[str, Any]:
    """A namespaced CRD example.com/v1 Widget whose spec has these rules."""
    spec = {"type": "object", "x-kubernetes-validations": rules,
            "properties": props or {"a": {"type": "string"}, "b": {"type": "integer", "default": 3},
                                    "items": {"type": "array", "x-kubernetes-list-type": "set",
                                              "items": {"type": "string"}}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                       "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                       "metadata": {"type": "object"}, "spec": spec,
                                       "status": {"type": "object"}}}}}]}}


def widget_validator(tmp_path: Path, rules: list[dict[str, Any]], props: dict[str, Any] | None = None) -> Validator:
    (tmp_path / "crd.yaml").write_text(yaml.safe_dump(crd(rules, props)))
    return Validator(Registry([tmp_path]))


def widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}, "spec": spec}


def lines(findings: list[Any]) -> list[str]:
    return [f"{f.severity}: {f.line()}" for f in findings]


def test_rule_messages_field_paths_and_reasons(tmp_path: Path) -> None:
    v = widget_validator(tmp_path, [
        {"rule": "self.a != 'x'", "message": "a must not be x"},
        {"rule": "self.a != 'y'", "messageExpression": "'a is ' + self.a", "fieldPath": ".a"},
        {"rule": "self.a != 'z'", "message": "z is forbidden", "reason": "FieldValueForbidden"},
        {"rule": "self.a != 'w'"},
        {"rule": "self.b == 3", "message": "b defaults to 3"},  # defaults are applied before the rules
    ])
    assert lines(v.validate_object(widget(a="ok"))) == []
    assert lines(v.validate_object(widget(a="x"))) == ['error: spec: Invalid value: "object": a must not be x']
    assert lines(v.validate_object(widget(a="y"))) == ['error: spec.a: Invalid value: "object": a is y']
    assert lines(v.validate_object(widget(a="z"))) == ["error: spec: Forbidden: z is forbidden"]
    assert lines(v.validate_object(widget(a="w"))) == ["error: spec: Invalid value: \"object\": failed rule: self.a != 'w'"]


def test_an_evaluation_error_rejects_with_the_rule_message(tmp_path: Path) -> None:
    v = widget_validator(tmp_path, [{"rule": "self.a.size() > 0", "message": "a is needed"}])
    assert lines(v.validate_object(widget(b=1))) == [
        'error: spec: Invalid value: "object": no such key: a evaluating rule: a is needed']


def test_root_rules_see_type_meta_and_name(tmp_path: Path) -> None:
    """Root rules see apiVersion, kind and metadata.name/generateName (WithTypeAndObjectMeta)."""
    doc = crd([])
    root = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    root["x-kubernetes-validations"] = [
        {"rule": "self.kind == 'Widget' && self.metadata.name.startsWith('w') && !has(self.metadata.namespace)",
         "message": "root"}]
    (tmp_path / "crd.yaml").write_text(yaml.safe_dump(doc))
    v = Validator(Registry([tmp_path]))
    assert lines(v.validate_object(widget(a="ok"))) == []
    obj = widget(a="ok")
    obj["metadata"]["name"] = "x"
    assert lines(v.validate_object(obj)) == ['error: <nil>: Invalid value: "object": root']


def test_transition_rules_do_not_run_on_create(tmp_path: Path) -> None:
    v = widget_validator(tmp_path, [{"rule": "self.a == oldSelf.a", "message": "immutable"},
                                    {"rule": "!oldSelf.hasValue() || self.a == oldSelf.value().a",
                                     "optionalOldSelf": True, "message": "optional"}])
    assert lines(v.validate_object(widget(a="x"))) == []
    assert v.book.stats.transition_skipped == 1  # the optionalOldSelf rule ran with oldSelf = none


def test_blocking_schema_errors_skip_the_rules(tmp_path: Path) -> None:
    v = widget_validator(tmp_path, [{"rule": "false", "message": "never"}])
    out = lines(v.validate_object(widget(a=5)))  # a type error blocks CEL, as hasBlockingErr
    assert out[0] == 'error: spec.a: Invalid value: "integer": spec.a in body must be of type string: "integer"'
    assert not any("never" in x for x in out) and any(x.startswith("note:") for x in out)
    # a pattern-like (Invalid) error does not block: a list-set duplicate and the rule both report
    out = lines(v.validate_object(widget(a="ok", items=["p", "p"])))
    assert out == ['error: spec.items[1]: Duplicate value: "p"', 'error: spec: Invalid value: "object": never']


def test_unknown_fields_status_and_metadata(tmp_path: Path) -> None:
    v = widget_validator(tmp_path, [])
    obj = widget(a="ok", extra=1) | {"status": {"x": 1}}
    obj["metadata"] = {"name": "W", "namespace": "a.b", "labels": {"k": "bad value"}, "oops": 1}
    assert lines(v.validate_object(obj)) == [
        'warning: metadata.oops: unknown field "metadata.oops": dropped by the API server',
        "error: metadata.name: Invalid value: \"W\": a lowercase RFC 1123 subdomain must consist of lower case "
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'error: metadata.namespace: Invalid value: "a.b": must not contain dots',
        "error: metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or consist of "
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        "warning: status: status is ignored on create (the kind has a status subresource)",
        'warning: spec.extra: unknown field "spec.extra": pruned by the API server (kubectl\'s default '
        "--validate=strict would refuse the object)",
    ]


def test_a_rule_that_cannot_run_is_reported_and_fails_the_run(tmp_path: Path) -> None:
    v = widget_validator(tmp_path, [{"rule": "semver(self.a).isGreaterThan(semver('1.0.0'))", "message": "m"}])
    (finding,) = v.validate_object(widget(a="2.0.0"))
    assert finding.severity == "unevaluated" and "unsupported function: semver()" in finding.message
    (entry,) = rule_inventory(v.registry)
    assert entry.unsupported == "unsupported function: semver()"
    (tmp_path / "obj").mkdir()
    (tmp_path / "obj" / "w.yaml").write_text(yaml.safe_dump(widget(a="2.0.0")))
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "gwvalidate"), "--crds", str(tmp_path),
                        str(tmp_path / "obj")], capture_output=True, text=True)
    assert r.returncode == 1 and "CEL rule not evaluated" in r.stdout


def test_command_line(tmp_path: Path) -> None:
    good = datapaths.SELFTEST / "valid" / "httproute-full.yaml"
    bad = datapaths.SELFTEST / "invalid" / "httproute-17-rules.yaml"
    tool = [sys.executable, str(ROOT / "tests" / "gwvalidate")]
    r = subprocess.run([*tool, str(good)], capture_output=True, text=True)
    assert r.returncode == 0 and "validated 1 objects: 0 errors" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([*tool, "--json", str(bad)], capture_output=True, text=True)
    report = json.loads(r.stdout)
    assert r.returncode == 1 and report["summary"]["errors"] == 1
    assert report["findings"][0]["message"] == "Too many: 17: must have at most 16 items"
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    r = subprocess.run([*tool, str(tmp_path / "broken.yaml")], capture_output=True, text=True)
    assert r.returncode == 2 and "broken.yaml:2: YAML syntax error" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*tool, str(tmp_path / "absent.yaml")], capture_output=True, text=True)
    assert r.returncode == 2 and "no such file" in r.stderr


# --------------------------------------------------------------------------- every rule of every vendored CRD
def all_crd_folders() -> list[Path]:
    return [STANDARD_CRDS, EXPERIMENTAL_CRDS, *implementation_crd_folders()]


def raw_rule_count(x: Any) -> int:
    """x-kubernetes-validations entries anywhere in a document (independent of the schema walk)."""
    if isinstance(x, dict):
        return len(x.get("x-kubernetes-validations") or []) + sum(raw_rule_count(v) for v in x.values())
    if isinstance(x, list):
        return sum(raw_rule_count(v) for v in x)
    return 0


def test_every_cel_rule_is_listed_and_can_be_evaluated() -> None:
    """The inventory finds every rule of every vendored CRD (counted independently in the raw
    YAML) and none is beyond the evaluator; transition rules are the only ones not run."""
    entries = []
    for folder in all_crd_folders():
        entries += rule_inventory(registry(folder))
    raw = sum(raw_rule_count(doc) for folder in all_crd_folders() for f in sorted(folder.glob("*.y*ml"))
              for doc in yaml.load_all(f.read_text(), Loader=yaml.CSafeLoader) if doc)
    assert len(entries) == raw > 1800
    assert [(e.source, e.kind, e.version, e.path, e.unsupported) for e in entries if e.unsupported] == []
    transition = sorted({(e.source, e.kind, e.path) for e in entries if e.transition})
    assert transition == [("experimental", "GatewayClass", ".spec.controllerName"),
                          ("experimental", "XMesh", ".spec.controllerName"),
                          ("standard", "GatewayClass", ".spec.controllerName")]
    assert all("oldSelf" in e.rule for e in entries if e.transition)


def sample(s: dict[str, Any], depth: int, full: bool) -> Any:
    """A value shaped by the schema: enum/default values, required (or all) properties, one item."""
    if "enum" in s:
        return copy.deepcopy(s["enum"][0])
    if "default" in s:
        return copy.deepcopy(s["default"])
    if s.get("x-kubernetes-int-or-string"):
        return 1 if full else "1"
    t = s.get("type")
    if t == "object":
        props = s.get("properties") or {}
        names = list(props) if full and depth < 4 else list(s.get("required") or [])
        out = {k: sample(props[k], depth + 1, full) for k in names if k in props}
        if isinstance(s.get("additionalProperties"), dict) and depth < 4:
            out["key"] = sample(s["additionalProperties"], depth + 1, full)
        return out
    if t == "array":
        n = max(int(s.get("minItems", 0)), 1 if full and depth < 4 else 0)
        return [sample(s["items"], depth + 1, full) for _ in range(n)] if isinstance(s.get("items"), dict) else []
    if t == "integer":
        return int(s.get("minimum", 1))
    if t == "number":
        return float(s.get("minimum", 1.5))
    if t == "boolean":
        return full
    if t == "string":
        return {"date-time": "2024-01-01T00:00:00Z", "byte": "YQ==", "duration": "1s", "ipv4": "10.0.0.1",
                "ipv6": "::1", "cidr": "10.0.0.0/8"}.get(s.get("format", ""), "a" if full else "")
    return {}


def rule_samples() -> Iterator[tuple[str, Any, dict[str, Any], Any]]:
    for folder in all_crd_folders():
        for v in registry(folder).versions():
            for path, node in schema_nodes(v.schema):
                if node.get("x-kubernetes-validations"):
                    for full in (False, True):
                        yield f"{folder.parent.name}/{v.kind}/{v.version}{path}", full, node, sample(node, 0, full)


def test_every_rule_runs_on_values_shaped_by_its_schema() -> None:
    """Each rule, on a minimal and a fuller value of its node, ends as an API server would
    (true, false or an error) and never in 'cannot evaluate' or an evaluator crash."""
    book, problems, outcomes = RuleBook(), [], {"true": 0, "false": 0, "error": 0}
    for where, _, node, value in rule_samples():
        self_value = Converter().value(value, node)
        for r in book.rules(node):
            if r.transition:
                continue
            try:
                result = r.program.evaluate({"self": self_value})
            except CelError:
                outcomes["error"] += 1
                continue
            except Exception as e:  # Unsupported, or a bug of the evaluator
                problems.append(f"{where}: {type(e).__name__}: {e}: {r.rule}")
                continue
            if result is True or result is False:
                outcomes[str(result).lower()] += 1
            else:
                problems.append(f"{where}: non-boolean {result!r}: {r.rule}")
    assert problems == []
    assert outcomes["true"] > 1000 and outcomes["false"] > 50 and outcomes["error"] > 50, outcomes


# --------------------------------------------------------------------------- self-test files and golden outputs
@pytest.mark.parametrize("path", selftest_files(datapaths.SELFTEST),
                         ids=lambda p: str(p.relative_to(datapaths.SELFTEST)))
def test_selftest_file(path: Path) -> None:
    """Valid files pass with no error and no unevaluated rule; invalid ones fail; every
    `# expect-error/warning:` text is in a finding of that severity."""
    verdict = check_file(everything(), path)
    assert verdict.problems == (), "\n".join(verdict.lines)


def test_selftest_covers_both_verdicts_and_every_implementation() -> None:
    files = selftest_files(datapaths.SELFTEST)
    assert {f.parent.name for f in files} == {"valid", "invalid"}
    prefixes = {f.name.split("-")[0] for f in files if f.parent.parent.name == "implementations"}
    assert prefixes == {"aws", "envoygateway", "gke", "istio", "kgateway", "ngf", "traefik"}


INVALID_EXAMPLES = [(chan, f) for chan in ("standard", "experimental")
                    for f in sorted((datapaths.INVALID_EXAMPLES / chan).rglob("*.yaml"))]


@pytest.mark.parametrize(("channel", "path"), INVALID_EXAMPLES, ids=lambda x: x if isinstance(x, str) else x.name)
def test_upstream_invalid_examples_are_rejected(channel: str, path: Path) -> None:
    """Gateway API's own invalid examples (v1.6.1 examples/*/invalid) fail on their channel's CRDs."""
    report = registry_validator(STANDARD_CRDS if channel == "standard" else EXPERIMENTAL_CRDS).validate_files([path])
    assert report.objects == 1 and report.count("error") > 0 and report.count("unevaluated") == 0


@functools.cache
def registry_validator(folder: Path) -> Validator:
    return Validator(registry(folder))


GOLDEN_CASES = sorted(p.parent for p in (ROOT / "golden").glob("*/*/expected"))


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_outputs_are_valid(case: Path) -> None:
    """Every golden expected output, with the implementations' CRDs: no error, no warning (an
    unknown field would be pruned: an emitter bug), no unevaluated rule."""
    report = everything().validate_files([case / "expected"])
    assert report.input_errors == []
    assert [r.line() for r in report.records if r.finding.severity != "note"] == []


def test_golden_outputs_hold_gateway_api_objects() -> None:
    assert len(GOLDEN_CASES) > 50
    report = everything().validate_files([c / "expected" for c in GOLDEN_CASES])
    assert report.objects > 200  # the test above is not vacuous
