"""Every policy intent ingress-nginx produces has a golden case for every implementation target
(issue 22): the intent carried by the target's policy, or the finding that says what it cannot
carry. The goldens themselves are checked by tests/test_golden.py (output, report, validation)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from golden_harness import discover, parse_flags
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


ALL_IN_ONE = Path(__file__).resolve().parents[1] / "golden" / "ingress-nginx" / "target-envoy-gateway-all" / "input.yaml"


@pytest.mark.parametrize("target", sorted(mappings.target_names()))
def test_the_all_in_one_input_for_every_target(target: str) -> None:
    """Issue 22's "done when": the input with every policy Envoy Gateway carries, converted for every
    other target, carries what that target can express and names what it cannot: the check finds
    no unexplained difference, and every annotation of the input has its finding (carried,
    partly converted or lost) — none is passed over in silence."""
    from ing2gw.cli.convert import build_options
    from ing2gw.equivalence.verification import verify_translation
    from ing2gw.load import load_text
    from ing2gw.translate import translate

    text = ALL_IN_ONE.read_text(encoding="utf-8")
    manifests = load_text(text, str(ALL_IN_ONE))
    options = build_options(parse_flags(["--target", target]))
    result = translate(manifests, options)
    v = verify_translation(result, manifests, options)
    assert v.unexplained == 0, [r.to_dict() for r in v.differences if not r.explained_by and not r.unverified][:3]
    keys = set(re.findall(r"(nginx\.ingress\.kubernetes\.io/[a-z0-9-]+):", text))
    named = {f.annotation for f in result.findings if f.annotation}
    assert keys and keys <= named, sorted(keys - named)
