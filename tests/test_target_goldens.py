"""Every policy intent ingress-nginx produces has a golden case for every implementation target
(issue 22): the intent carried by the target's policy, or the finding that says what it cannot
carry. The goldens themselves are checked by tests/test_golden.py (output, report, validation)."""

from __future__ import annotations

import re

import pytest

from golden_harness import discover
from ing2gw import mappings
from ing2gw.emit.targets import EMITTERS

#: intent -> the ingress-nginx annotation keys whose rows name it
NGINX_INTENTS: dict[str, frozenset[str]] = {}
for _section in ("annotations",):
    for _row in mappings.table("ingress-nginx").get(_section) or []:
        if _row.get("intent"):
            NGINX_INTENTS.setdefault(str(_row["intent"]), frozenset())
            NGINX_INTENTS[str(_row["intent"])] |= {str(_row["key"])}

#: (target, annotation keys used) of every ingress-nginx golden case run with --target
CASES: list[tuple[str, str, frozenset[str]]] = []
for _case in discover():
    if _case.path.parent.name != "ingress-nginx":
        continue
    flags = _case.flags()
    if "--target" not in flags:
        continue
    target = flags[flags.index("--target") + 1]
    keys = frozenset(re.findall(r"nginx\.ingress\.kubernetes\.io/([a-z0-9-]+):", _case.input.read_text(encoding="utf-8")))
    CASES.append((target, _case.path.name, keys))


@pytest.mark.parametrize("target", sorted(EMITTERS))
@pytest.mark.parametrize("intent", sorted(NGINX_INTENTS))
def test_every_intent_has_a_golden_per_target(target: str, intent: str) -> None:
    found = [name for t, name, keys in CASES if t == target and keys & NGINX_INTENTS[intent]]
    assert found, (f"no golden/ingress-nginx/target-{target}-* case uses an annotation of intent {intent} "
                   f"({', '.join(sorted(NGINX_INTENTS[intent]))})")


def test_the_intents_are_read() -> None:
    assert {"client-allow-list", "basic-auth", "external-auth", "rate-limit", "session-affinity"} <= set(NGINX_INTENTS)
    assert len(CASES) >= 20
