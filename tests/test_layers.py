"""The architecture rules of docs/architecture.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "ing2gw"
LEAVES = {"ing2gw.origin", "ing2gw.errors", "ing2gw.findings", "ing2gw.equivalence.prediction", "ing2gw.options", "ing2gw"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
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
        # equivalence.prediction (below): the leaf that formats a finding's `where` details (findings
        # imports it too)
        "providers": {"providers", "ir", "model", "load", "mappings", "origin", "errors", "findings", "options"},
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
            if a == "providers" and i in ("ing2gw.equivalence.prediction", asked):
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


# -- import cycles ------------------------------------------------------------------------------
# Every import counts, also one inside a function or under TYPE_CHECKING: a lazy import hides a
# cycle from the interpreter, not from the design (the modules still cannot be read, changed or
# moved apart). A cycle that cannot be broken yet is listed here with its reason; the test fails
# when a new one appears and when a listed one is gone (so the list only shrinks).
KNOWN_CYCLES: dict[frozenset[str], str] = {
    frozenset({"ing2gw.model.ingress", "ing2gw.model.ingress_strict"}):
        "the fast input reader hands what it declines to the strict pydantic models, imported only then (so a "
        "valid input never imports pydantic); the strict models build the same plain input classes",
}


def import_cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (or a module importing itself),
    by Tarjan's algorithm, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, todo = work[-1]
            if todo:
                w = todo.pop(0)
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, sorted(graph.get(w, ()))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp: set[str] = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in graph.get(v, ()):
                    out.append(frozenset(comp))
    return out


def module_graph() -> dict[str, set[str]]:
    """Module -> the ing2gw modules it imports (packages count as their __init__)."""
    return {m: {i for i in imps if i in ALL and i != m} for m, imps in ALL.items()}


def test_no_import_cycle_beyond_the_known_ones() -> None:
    found = set(import_cycles(module_graph()))
    new = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    assert not new, f"import cycles (break them; see docs/architecture.md): {new}"
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"these cycles are gone or changed: update KNOWN_CYCLES: {gone}"


def test_cycle_check_can_fail() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(sorted(c) for c in import_cycles(graph)) == [["a", "b", "c"], ["e"]]
    # a lazy import inside a function is an import too
    assert imports_of_text("def f():\n    from ing2gw.providers import base\n") == {"ing2gw.providers.base"}


def imports_of_text(text: str) -> set[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.py"
        p.write_text(text)
        return imports(p)


def test_architecture_doc_names_every_top_level_module() -> None:
    # the module map of docs/architecture.md must not fall behind the package
    doc = (PKG.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    names = sorted(p.stem if p.is_file() else p.name + "/" for p in PKG.iterdir()
                   if (p.suffix == ".py" and p.stem not in ("__init__", "__main__"))
                   or (p.is_dir() and (p / "__init__.py").is_file()))
    assert "providers/" in names and "translate" in names  # the scan itself found the package
    missing = [n for n in names if f"`{n if n.endswith('/') else n + '.py'}`" not in doc]
    assert not missing, f"add these to the module map of docs/architecture.md: {missing}"
