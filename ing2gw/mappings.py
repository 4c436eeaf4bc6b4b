"""Load the data tables in `mappings/` (shipped in the package as `ing2gw._mappings`).

In a source checkout with an editable install the tables are read from the top-level
`mappings/` folder; in an installed wheel from the `ing2gw._mappings` package.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


def mappings_dir() -> Traversable:
    """The folder holding the mapping tables."""
    try:
        pkg = resources.files("ing2gw._mappings")
        if pkg.joinpath("controllers.yaml").is_file():
            return pkg
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "mappings"


@functools.cache
def table(name: str) -> Any:
    """A table by file name without extension, e.g. 'controllers', 'ingress-nginx', 'targets/envoy-gateway'."""
    node = mappings_dir()
    for part in f"{name}.yaml".split("/"):
        node = node.joinpath(part)
    if not node.is_file():
        raise FileNotFoundError(f"no mapping table {name}.yaml in {mappings_dir()}")
    return YAML(typ="safe").load(node.read_text(encoding="utf-8"))
