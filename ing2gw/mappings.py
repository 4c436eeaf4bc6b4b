"""Load the data tables in `mappings/` (shipped in the package as `ing2gw._mappings`).

In a source checkout with an editable install the tables are read from the top-level
`mappings/` folder; in an installed wheel from the `ing2gw._mappings` package. The intent
vocabulary, the controller tables and the implementation target tables (`targets/<t>`) that
`ing2gw.mapping_schema` describes are checked as they are loaded: a malformed row raises
`TableError` naming the file and line. The shipped tables are checked once, when `python -m
ing2gw.parsed_data` prepares them (it refuses an invalid table); a table whose text differs from
the prepared one (an edit, a copy) is parsed and checked when it is loaded.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importlib.abc imports importlib.resources: ~2 % of a small run
    from importlib.abc import Traversable

from ing2gw.datafile import parse_data, parsed
from ing2gw.errors import Problem

if TYPE_CHECKING:
    from ing2gw.mapping_schema import Intent

#: Controller tables without a schema in SPECS whose policy rows must still name their intent.
_INTENT_CHECKED = frozenset({"ingress-nginx"})


def mappings_dir() -> Traversable:
    """The folder holding the mapping tables: `ing2gw/_mappings` of an installed wheel, the
    checkout's `mappings/` (editable install), else wherever importlib.resources finds the
    package (imported only then: it costs a one-Ingress run ~3 % of its instructions)."""
    here = Path(__file__).resolve().parent
    for folder in (here / "_mappings", here.parent / "mappings"):
        if (folder / "controllers.yaml").is_file():
            return folder
    from importlib import resources

    try:
        return resources.files("ing2gw._mappings")
    except ModuleNotFoundError:
        return here.parent / "mappings"  # table() then says which table is missing where


@functools.cache
def table(name: str) -> Any:
    """A table by file name without extension, e.g. 'controllers', 'ingress-nginx', 'targets/envoy-gateway'."""
    node = mappings_dir()
    for part in f"{name}.yaml".split("/"):
        node = node.joinpath(part)
    if not node.is_file():
        raise FileNotFoundError(f"no mapping table {name}.yaml in {mappings_dir()}")
    text = node.read_text(encoding="utf-8")
    file = f"mappings/{name}.yaml"
    maker = parsed(text, file)
    if maker is not None:
        # prepared from exactly this text by `python -m ing2gw.parsed_data`, which validates
        # every table first and refuses an invalid one: checking it again would only cost time
        return maker()
    data = parse_data(text, file)
    validate(name, text, data, file)
    return data


def validate(name: str, text: str, data: Any, file: str) -> None:
    """Raise TableError when the table is malformed (the tables with a schema: the intents, the
    targets, the controllers in SPECS and ingress-nginx's intent column). The fast safe-loaded
    data is checked first; only when something is wrong is the file parsed again with line
    numbers for the message."""
    from ing2gw.mapping_schema import SPECS, TableError

    if not (name == "intents" or name in SPECS or name in _INTENT_CHECKED or name.startswith("targets/")):
        return
    if _problems(name, data, file):
        from ruamel.yaml import YAML

        raise TableError(_problems(name, YAML(typ="rt").load(text), file))


def _problems(name: str, data: Any, file: str) -> list[Problem]:
    from ing2gw.mapping_schema import check_intents, check_policy_intents, check_table, check_target_table

    if name == "intents":
        return check_intents(data, file)[1]
    if name.startswith("targets/"):
        return check_target_table(name, data, file, intents())
    if name in _INTENT_CHECKED:
        return check_policy_intents(data, file, intents())
    return check_table(name, data, file, intents())


def intents() -> dict[str, Intent]:
    """The shared intent vocabulary (`mappings/intents.yaml`), by name."""
    from ing2gw.mapping_schema import check_intents

    return check_intents(table("intents"), "mappings/intents.yaml")[0]


def target_names() -> list[str]:
    """The implementation targets with a table (`mappings/targets/<t>.yaml`), sorted."""
    d = mappings_dir().joinpath("targets")
    try:
        return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def target_rows(target: str) -> dict[str, dict[str, Any]]:
    """The rows of `target`'s table by intent (every intent of the vocabulary has one)."""
    return {str(r["intent"]): r for r in table(f"targets/{target}")["intents"]}


def generated_intents(target: str) -> frozenset[str]:
    """The intents whose `target` policies ing2gw writes today (rows with `generated: true`)."""
    try:
        rows = target_rows(target)
    except FileNotFoundError:
        return frozenset()
    return frozenset(i for i, r in rows.items() if r.get("generated"))


def lookup_row(controller: str, section: str, key: str) -> dict[str, Any] | None:
    """The row that governs `key` in `section` of a controller table.

    Annotation and flag keys are flat: only their own row counts. In the path sections
    (`PATH_SECTIONS`: Middleware, CRD and static fields) a field without a row of its own takes
    the row of its nearest ancestor (`a.b[].c` -> `a.b[]` -> `a`), and below a path listed in the
    table's `shared` map the shared spec's rows (e.g. `LoadBalancerSpec.port`) compete too: the
    row covering the longer part of `key` wins. None when no row covers the key."""
    from ing2gw.mapping_schema import PATH_SECTIONS

    data = table(controller)
    rows = {str(r["key"]): r for r in data.get(section) or []}
    if section not in PATH_SECTIONS:
        return rows.get(key)
    best: tuple[int, dict[str, Any]] | None = None
    for covered, candidate in _candidates(key, data.get("shared") or {} if section == "crd_fields" else {}):
        row = rows.get(candidate)
        if row is not None and (best is None or covered > best[0]):
            best = (covered, row)
    return None if best is None else best[1]


def _candidates(key: str, shared: dict[str, list[str]]) -> list[tuple[int, str]]:
    """(length of `key` covered, row key) for `key`, its ancestors, and shared-spec equivalents."""
    parts = key.split(".")
    out = [(len(".".join(parts[:n])), ".".join(parts[:n])) for n in range(len(parts), 0, -1)]
    for spec, anchors in shared.items():
        for anchor in anchors:
            if key.startswith(anchor + "."):
                rest = key[len(anchor) + 1:].split(".")
                out += [(len(anchor) + 1 + len(".".join(rest[:n])), f"{spec}." + ".".join(rest[:n]))
                        for n in range(len(rest), 0, -1)]
    return out


__all__ = ["generated_intents", "intents", "lookup_row", "mappings_dir", "table", "target_names",
           "target_rows"]
