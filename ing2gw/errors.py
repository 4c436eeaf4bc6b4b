"""Typed errors. Library code raises these; only `cli` turns them into messages and exit codes.

A leaf module: every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with the input, with where it is and what to do about it."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class Ing2gwError(Exception):
    """Base class of every error ing2gw raises on purpose."""


class InputError(Ing2gwError):
    """The input cannot be used. Holds every problem found, not only the first (exit code 2)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid input")


class UsageError(Ing2gwError):
    """An option or combination of options that cannot work (exit code 2)."""
