"""Every golden case: the translation must equal the reviewed expectation, and the expected
objects must pass the strict models (the shared validator runs over them in .ci/run)."""

from __future__ import annotations

import pytest

from golden_harness import Case, actual_files, compare, discover, expected_files, run, write_expected

CASES = discover()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, update_golden: bool) -> None:
    files = actual_files(run(case))
    if update_golden:
        write_expected(case, files)
        pytest.skip("expectation rewritten; review the diff")
    assert case.expected.is_dir(), f"{case.id} has no expected/ folder: run pytest --update-golden and review"
    diff = compare(expected_files(case), files)
    assert not diff, f"{case.id} differs from its expectation:\n{diff}"


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 1
