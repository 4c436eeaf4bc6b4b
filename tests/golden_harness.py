"""Golden cases: `golden/<controller>/<case>/` folders, compared semantically.

A case folder holds:
  input.yaml              the input manifests; an optional first line `# flags: --opt value ...`
                          (a --traefik-static file is named relative to the repository root)
  expected/               the output tree (platform/..., apps/<ns>/...) as `convert --out-dir`
                          writes it, plus findings.yaml (every finding, origins relative) and
                          the migration report with the equivalence check (report.md, report.json,
                          as `convert --out-dir --verify` writes them)
Objects are compared by (kind, namespace, name) with deepdiff, ignoring document and file
order, so a failure shows which object and which field differ. report.json is compared with
deepdiff too; report.md as text (its rendering is deterministic, nothing is normalised).
"""

from __future__ import annotations

import difflib
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from ing2gw.cli.convert import build_options
from ing2gw.load import load_text
from ing2gw.outdir import plan_tree
from ing2gw.report import build_report, render
from ing2gw.serialize import to_yaml
from ing2gw.translate import Result, translate
from ing2gw.equivalence.verification import verify_translation

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "golden"

_DEFAULTS = dict(controller="ingress-nginx", gateway_namespace="gateway-system", gateway_name=None,
                 gateway_class=None, gateway_controller_name=None, single_gateway=False, target=None,
                 emit_gateway_class=False, default_namespace="default",
                 annotations_prefix="nginx.ingress.kubernetes.io", allow_weakened=(), ingress_class="nginx",
                 nginx_configmap=None, nginx_flags=(), haproxy_flags=(), listeners="gateway", traefik_static=None,
                 traefik_version=None)


@dataclass
class Case:
    path: Path

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def input(self) -> Path:
        return self.path / "input.yaml"

    @property
    def expected(self) -> Path:
        return self.path / "expected"

    def flags(self) -> list[str]:
        first = self.input.read_text(encoding="utf-8").splitlines()[0:1]
        if first and first[0].startswith("# flags:"):
            return shlex.split(first[0][len("# flags:"):])
        return []


def discover() -> list[Case]:
    return [Case(p) for p in sorted(GOLDEN.glob("*/*")) if (p / "input.yaml").is_file()]


def parse_flags(flags: list[str]) -> dict[str, Any]:
    """Turn `--gateway-name x --single-gateway` into translation options (same names as the CLI)."""
    kw: dict[str, Any] = dict(_DEFAULTS)
    allow: list[str] = []
    i = 0
    while i < len(flags):
        f = flags[i]
        if not f.startswith("--"):
            raise ValueError(f"bad flag {f!r}")
        name = f[2:].replace("-", "_")
        if name == "namespace":
            name = "default_namespace"
        if name in ("single_gateway", "emit_gateway_class"):
            kw[name] = True
            i += 1
            continue
        if name not in kw and name not in ("nginx_flag", "haproxy_flag"):
            raise ValueError(f"unknown golden flag {f}")
        value = flags[i + 1]
        if name == "allow_weakened":
            allow.append(value)
        elif name in ("nginx_flag", "haproxy_flag"):
            kw[name + "s"] = tuple(kw[name + "s"]) + (value,)
        elif name == "traefik_static":
            # a file of the repository (golden/<controller>/<case>/traefik.yaml), wherever pytest runs
            kw[name] = str(ROOT / value)
        else:
            kw[name] = value
        i += 2
    kw["allow_weakened"] = tuple(allow)
    return kw


def manifests(case: Case) -> list[Any]:
    return load_text(case.input.read_text(encoding="utf-8"), str(case.input.relative_to(ROOT)))


def run(case: Case) -> Result:
    return translate(manifests(case), build_options(parse_flags(case.flags())))


REPORTS = ("report.md", "report.json")


def actual_reports(case: Case, result: Result) -> dict[str, str]:
    """The report of the case's translation and its equivalence check (Markdown and JSON)."""
    verified = verify_translation(result, manifests(case), build_options(parse_flags(case.flags())))
    report = build_report(result, verified)
    return {"report.md": render(report, "markdown"), "report.json": render(report, "json")}


def expected_reports(case: Case) -> dict[str, str]:
    return {name: (case.expected / name).read_text(encoding="utf-8")
            for name in REPORTS if (case.expected / name).is_file()}


def compare_reports(expected: dict[str, str], actual: dict[str, str]) -> str:
    """A readable difference between expected and actual reports, or '' when they match."""
    lines = []
    for name in REPORTS:
        if name not in expected:
            lines.append(f"{name}: no expectation (run pytest --update-golden and review it)")
            continue
        if name.endswith(".json"):
            diff = DeepDiff(json.loads(expected[name]), json.loads(actual[name]), view="tree")
            for kind, items in diff.items():
                for item in items:
                    path = ".".join(map(str, item.path(output_format="list")))
                    lines.append(f"{name}: {kind}: {path}")
                    lines.append(f"    expected: {item.t1!r}"[:400])
                    lines.append(f"    actual:   {item.t2!r}"[:400])
        elif expected[name] != actual[name]:
            udiff = difflib.unified_diff(expected[name].splitlines(), actual[name].splitlines(),
                                         f"expected/{name}", f"actual/{name}", lineterm="", n=1)
            lines.extend(list(udiff)[:80])
    return "\n".join(lines)


def actual_files(result: Result) -> dict[str, str]:
    files = plan_tree(result.platform, result.apps)
    files["findings.yaml"] = to_yaml([f.to_dict() for f in result.findings]) if result.findings else "[]\n"
    return files


def _objects(files: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rel, text in files.items():
        if rel == "findings.yaml":
            # keyed, so that one added finding shows as one addition, not a shifted list
            seen: dict[str, int] = {}
            for f in load_text_any(text) or []:
                key = f"finding {f['code']} {f.get('subject', '')} {f.get('annotation') or ''}".rstrip()
                seen[key] = seen.get(key, 0) + 1
                out[key if seen[key] == 1 else f"{key} #{seen[key]}"] = f
            continue
        if rel.endswith("kustomization.yaml"):
            out[rel] = load_text_any(text)
            continue
        for m in load_text(text, rel):
            key = f"{m.kind} {m.namespace}/{m.name}"
            out[key] = m.obj
    return out


def load_text_any(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


def expected_files(case: Case) -> dict[str, str]:
    out = {}
    for p in sorted(case.expected.rglob("*.yaml")):
        out[str(p.relative_to(case.expected))] = p.read_text(encoding="utf-8")
    return out


def compare(expected: dict[str, str], actual: dict[str, str]) -> str:
    """A readable difference between two trees, or '' when they are the same objects."""
    e, a = _objects(expected), _objects(actual)
    diff = DeepDiff(e, a, ignore_order=False, view="tree")
    if not diff:
        return ""
    lines = []
    for kind, items in diff.items():
        for item in items:
            path = item.path(output_format="list")
            lines.append(f"{kind}: {'.'.join(map(str, path))}")
            if kind in ("values_changed", "type_changes"):
                lines.append(f"    expected: {item.t1!r}")
                lines.append(f"    actual:   {item.t2!r}")
            elif kind.endswith("added"):
                lines.append(f"    unexpected: {item.t2!r}"[:500])
            elif kind.endswith("removed"):
                lines.append(f"    missing: {item.t1!r}"[:500])
    return "\n".join(lines)


def write_expected(case: Case, files: dict[str, str]) -> None:
    import shutil

    if case.expected.exists():
        shutil.rmtree(case.expected)
    for rel, text in files.items():
        p = case.expected / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
