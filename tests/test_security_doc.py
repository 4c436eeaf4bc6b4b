"""SECURITY.md names the tests that prove each promise: every name it cites exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_security_md_cites_exists() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    files = set(re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text))
    assert files, "SECURITY.md cites no test"
    sources = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py")}
    for path, name in files:
        assert (ROOT / path).is_file(), path
        if name:
            assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), f"{path}::{name}"
    cited = set(re.findall(r"`(test_\w+)`", text))
    assert len(cited) > 20
    missing = [n for n in cited if not any(f"def {n}(" in src for src in sources.values())]
    assert not missing, missing
