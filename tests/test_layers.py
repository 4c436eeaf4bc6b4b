"""The architecture rules of DESIGN.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "ing2gw"
LEAVES = {"ing2gw.origin", "ing2gw.errors", "ing2gw.findings", "ing2gw.prediction", "ing2gw.options", "ing2gw"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                # `from pkg import module` imports the module; `from mod import name` the module
                out.add(sub if (PKG.parent / (sub.replace(".", "/") + ".py")).exists()
                        or (PKG.parent / sub.replace(".", "/")).is_dir() else node.module)
    return {i for i in out if i.startswith("ing2gw")}


def area(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


ALL = {module_name(p): imports(p) for p in PKG.rglob("*.py")}


def test_simulate_imports_only_load_and_model() -> None:
    allowed = {"load", "model", "simulate", "origin", "errors"}
    bad = {m: sorted(i for i in imps if area(i) not in allowed and i != "ing2gw")
           for m, imps in ALL.items() if area(m) == "simulate"}
    assert not {m: v for m, v in bad.items() if v}, bad


def test_flow_goes_one_way() -> None:
    # load -> model -> providers -> ir -> emit; providers never build Gateway API objects,
    # emitters never read annotations (they never import providers or the input model).
    rules = {
        "load": {"load", "origin", "errors"},
        "model": {"model", "load", "origin", "errors", "findings"},
        # prediction: the leaf that formats a finding's `where` details (findings imports it too)
        "providers": {"providers", "ir", "model", "load", "mappings", "origin", "errors", "findings", "options",
                      "prediction"},
        "ir": {"ir", "origin", "findings"},
        "emit": {"emit", "ir", "origin", "errors", "findings", "model", "mappings"},
    }
    # the one question a provider may ask the emit side: does target T carry intent I? It is a
    # table lookup (emit/targets/carry.py imports only `mappings`), never an emitter
    asked = "ing2gw.emit.targets.carry"
    problems = []
    for m, imps in ALL.items():
        a = area(m)
        if a not in rules:
            continue
        for i in imps:
            ia = area(i)
            if a == "providers" and i == asked:
                continue
            if i == "ing2gw" or ia in rules[a]:
                if a == "emit" and ia == "model" and not i.startswith("ing2gw.model.gateway"):
                    problems.append(f"{m} imports {i}")
                if a == "providers" and i.startswith("ing2gw.model.gateway"):
                    problems.append(f"{m} imports {i}: providers never build Gateway API objects")
                continue
            problems.append(f"{m} imports {i}")
    assert not problems, "\n".join(problems)


def test_the_target_question_needs_nothing_but_the_tables() -> None:
    # providers may import carry.py only while it stays a lookup in the tables
    assert ALL["ing2gw.emit.targets.carry"] <= {"ing2gw.mappings", "ing2gw"}


def test_only_cli_prints_or_exits() -> None:
    bad = []
    for p in PKG.rglob("*.py"):
        mod = module_name(p)
        if area(mod) == "cli" or mod == "ing2gw.__main__":
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else (fn.attr if isinstance(fn, ast.Attribute) else "")
                owner = fn.value.id if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) else ""
                if name == "print" or (owner == "sys" and name == "exit") or (owner == "os" and name == "getenv") \
                        or (owner == "click" and name in ("echo", "secho")):
                    bad.append(f"{mod}:{node.lineno} calls {owner + '.' if owner else ''}{name}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                    and node.attr == "environ":
                bad.append(f"{mod}:{node.lineno} reads os.environ")
    assert not bad, "\n".join(bad)


def test_layer_test_can_fail(tmp_path: Path) -> None:
    # the checker itself must notice a forbidden import
    src = tmp_path / "x.py"
    src.write_text("from ing2gw.providers import base\n")
    assert imports(src) == {"ing2gw.providers.base"}
    assert area("ing2gw.providers.base") == "providers"
