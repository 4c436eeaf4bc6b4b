"""Every golden case: the translation must equal the reviewed expectation, and the expected
objects must pass the strict models (the shared validator runs over them in .ci/run)."""

from __future__ import annotations

import pytest

from golden_harness import (Case, actual_files, actual_reports, compare, compare_reports, discover, expected_files,
                            expected_reports, run, write_expected)

CASES = discover()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, update_golden: bool) -> None:
    result = run(case)
    files = actual_files(result)
    reports = actual_reports(case, result)
    if update_golden:
        write_expected(case, {**files, **reports})
        pytest.skip("expectation rewritten; review the diff")
    assert case.expected.is_dir(), f"{case.id} has no expected/ folder: run pytest --update-golden and review"
    diff = compare(expected_files(case), files)
    assert not diff, f"{case.id} differs from its expectation:\n{diff}"
    rdiff = compare_reports(expected_reports(case), reports)
    assert not rdiff, f"{case.id}: the report differs from its expectation:\n{rdiff}"


def test_golden_cases_exist() -> None:
    assert len(CASES) >= 1
