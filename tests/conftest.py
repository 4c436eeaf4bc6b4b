"""Test fixtures: the --update-golden option. Test data lives in tests/data (see datapaths.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Every object the code under test emits is validated through the strict Gateway API models
# (ing2gw/emit/objects.py `_build`; a run skips them by default for speed). Set here, before
# any test runs, so that subprocesses (the CLI, the Kustomize plugin) inherit it too.
# The library reads the flag of emit.objects, which the CLI sets from the variable.
os.environ["ING2GW_VALIDATE_OUTPUT"] = "1"
import ing2gw.emit.objects  # noqa: E402

ing2gw.emit.objects.VALIDATE_OUTPUT = True

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden/*/*/expected from the current output (review the diff!)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _forget_loaded_texts() -> None:
    """`load.load_text` keeps the text of each non-file source by name so that an error can point
    at a field's line later. Tests reuse names such as "test.yaml" for different texts: forget
    them between tests, or one test's text gives another test's error a wrong line."""
    from ing2gw import load

    load._TEXTS.clear()
