"""Findings: declared codes, frozen values, one exit-code function."""

from __future__ import annotations

import dataclasses

import pytest

from ing2gw.findings import EXIT_FINDINGS, EXIT_OK, Finding, Severity, codes, exit_code, sort_findings
from ing2gw.origin import Origin


def f(sev: str, code: str = "ING2GW-CORE-003", line: int = 1) -> Finding:
    return Finding(Severity(sev), code, "m", origin=Origin("a.yaml", line))


def test_undeclared_code_is_rejected() -> None:
    with pytest.raises(ValueError, match="undeclared finding code"):
        Finding(Severity.ERROR, "ING2GW-NOPE-999", "x")


def test_findings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        f("error").message = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("sevs,fail_on,expected", [
    ([], "error", EXIT_OK),
    (["warning"], "error", EXIT_OK),
    (["error"], "error", EXIT_FINDINGS),
    (["warning"], "warning", EXIT_FINDINGS),
    (["info"], "warning", EXIT_OK),
    (["info"], "info", EXIT_FINDINGS),
    (["error"], "never", EXIT_OK),
])
def test_exit_code(sevs: list[str], fail_on: str, expected: int) -> None:
    assert exit_code([f(s) for s in sevs], fail_on) == expected


def test_exit_code_rejects_unknown_threshold() -> None:
    with pytest.raises(ValueError):
        exit_code([], "fatal")


def test_sort_is_by_origin_then_code_and_dedupes() -> None:
    a, b, c = f("info", line=5), f("error", line=2), f("error", line=2)
    assert sort_findings([a, b, c]) == [b, a]


def test_every_code_has_an_explanation() -> None:
    for code, info in codes().items():
        assert code.startswith("ING2GW-") and info.title and info.explanation, code
        assert info.severity in ("error", "warning", "info"), code
