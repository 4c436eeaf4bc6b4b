"""providers/registry.py: every part a controller's entry names exists, and the entries are
exactly the controllers mappings/controllers.yaml translates."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from ing2gw import mappings
from ing2gw.load import load_text
from ing2gw.model.inputs import classify
from ing2gw.options import Options
from ing2gw.providers import PROVIDERS, provider_for
from ing2gw.providers.detect import default_table
from ing2gw.providers.registry import REGISTRY, ControllerEntry, OldSide, OptionGroup, controllers, entry
from ing2gw.simulate import ROUTERS

DATA = Path(__file__).resolve().parents[1] / "ing2gw" / "data"
OPTION_FIELDS = {f.name for f in dataclasses.fields(Options)}


def _load(spec: str) -> object:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def entry_problems(e: ControllerEntry) -> list[str]:
    """What is missing for an entry, one line each."""
    out = []
    try:
        cls = _load(e.provider)
        if not callable(getattr(cls, "build", None)):
            out.append(f"{e.provider} has no build()")
    except (ImportError, AttributeError) as exc:
        out.append(f"provider {e.provider}: {exc}")
    if ("ingress", e.simulator) not in ROUTERS:
        out.append(f"simulator {e.simulator!r} is not in simulate.ROUTERS")
    for table in e.mappings:
        try:
            mappings.table(table)
        except FileNotFoundError:
            out.append(f"mapping table {table}.yaml is missing")
    if not (DATA / f"codes-{e.codes}.yaml").is_file():
        out.append(f"codes file codes-{e.codes}.yaml is missing")
    out += [f"option {f!r} is not an Options field" for f in e.option_group.fields if f not in OPTION_FIELDS]
    if e.old_side is not None:
        try:
            if not callable(_load(e.old_side)):
                out.append(f"old_side {e.old_side} is not callable")
        except (ImportError, AttributeError) as exc:
            out.append(f"old_side {e.old_side}: {exc}")
    if e.report_view is not None:
        try:
            if not callable(getattr(_load(e.report_view), "build", None)):
                out.append(f"report_view {e.report_view} has no build()")
        except (ImportError, AttributeError) as exc:
            out.append(f"report_view {e.report_view}: {exc}")
    return out


@pytest.mark.parametrize("controller", sorted(REGISTRY))
def test_every_part_of_an_entry_exists(controller: str) -> None:
    e = REGISTRY[controller]
    assert e.controller == controller
    assert entry_problems(e) == []
    assert type(provider_for(controller)).__name__ == e.provider.rpartition(":")[2]


def test_entries_are_the_translated_controllers() -> None:
    assert set(controllers()) == set(default_table().translated) == set(PROVIDERS)
    assert entry("traefik-typo") is None and provider_for("traefik-typo") is None


def test_option_groups_do_not_overlap() -> None:
    seen: dict[str, str] = {}
    for c, e in REGISTRY.items():
        for f in e.option_group.fields:
            assert f not in seen, f"{f} is in the option groups of {seen[f]} and {c}"
            seen[f] = c


def test_nginx_old_side_reads_flags_prefix_and_configmap() -> None:
    inputs = classify(load_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ingress-nginx-controller, "
                                "namespace: ingress-nginx}\ndata: {use-forwarded-headers: 'true'}\n", "cm.yaml"))
    old_side = _load(REGISTRY["ingress-nginx"].old_side or "")
    assert callable(old_side)
    got = old_side(inputs, Options(annotations_prefix="custom.example.com", nginx_flags=("--disable-catch-all",)), [])
    assert got == OldSide(flags=("--disable-catch-all", "--annotations-prefix=custom.example.com"),
                          configmap={"use-forwarded-headers": "true"})


def test_entry_problems_can_fail() -> None:
    bad = ControllerEntry(controller="nowhere", provider="ing2gw.providers.nowhere:Provider", simulator="nowhere",
                          mappings=("nowhere",), codes="nowhere", option_group=OptionGroup("x", ("no_such_field",)),
                          old_side="ing2gw.providers.registry:entry_missing",
                          report_view="ing2gw.providers.registry:OptionGroup")
    problems = entry_problems(bad)
    assert len(problems) == 7, problems
