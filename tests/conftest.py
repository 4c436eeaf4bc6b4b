"""Test fixtures: the --update-golden option. Test data lives in tests/data (see datapaths.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
