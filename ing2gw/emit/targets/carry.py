"""Does target T carry intent I (with these parameters)? The one place that answers it.

A provider says what an Ingress *wants* in the vocabulary of `mappings/intents.yaml` (an intent
and its parameters); the answer comes from the target's table (`mappings/targets/<t>.yaml`):
an intent is carried when its row is marked `generated` (an emitter in this package writes
that policy) and the parameters are within what the emitter can express (`LIMITS`). A provider
never names a target's resources itself, and the tables are never keyed by annotation.

This module reads only the tables and the IR vocabulary, so providers may ask it (the one
import from `emit` that tests/test_layers.py allows them) without building anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from ing2gw import mappings

#: intent parameters as a provider passes them (name -> value)
Params = Mapping[str, str]
#: a limit of one target for one intent: the reason the parameters cannot be carried, or None
Limit = Callable[[Params], "str | None"]


@dataclass(frozen=True)
class Verdict:
    """The answer for one intent: whether the target's policy is written, as what, and why not."""

    target: str
    intent: str
    carried: bool
    #: the resources that carry it ("SecurityPolicy", ...), from the table; "" when not carried
    becomes: str = ""
    #: why it is not carried (parameters out of reach, or no generated row); "" when carried
    why_not: str = ""
    #: what stays lost although the policy is written (the table's `lost`), for the findings
    lost: str = ""

    def __bool__(self) -> bool:
        return self.carried


#: (target, intent) -> the limits of that target's emitter; a row not listed takes any parameters
LIMITS: dict[tuple[str, str], Limit] = {}


@functools.cache
def generated(target: str) -> frozenset[str]:
    """The intents whose policies ing2gw writes for `target` (rows marked `generated`)."""
    return mappings.generated_intents(target)


def verdict(target: str | None, intent: str | None, params: Params | Iterable[tuple[str, str]] = ()) -> Verdict:
    """Whether `target` carries `intent` with `params`, as what, and if not, why not."""
    t, i = target or "", intent or ""
    if not t or not i or i not in generated(t):
        return Verdict(t, i, False, why_not=f"ing2gw does not write {t or 'a'} policy for {i or 'this setting'}")
    p = dict(params)
    limit = LIMITS.get((t, i))
    reason = limit(p) if limit is not None else None
    row = mappings.target_rows(t)[i]
    kinds = ", ".join(dict.fromkeys(str(r["kind"]) for r in row.get("resources") or []))
    if reason is not None:
        return Verdict(t, i, False, becomes=kinds, why_not=reason)
    return Verdict(t, i, True, becomes=kinds, lost=str(row.get("lost") or ""))


def carries(target: str | None, intent: str | None, params: Params | Iterable[tuple[str, str]] = ()) -> bool:
    """True when ing2gw writes `target`'s policy for `intent` with `params`."""
    return verdict(target, intent, params).carried


__all__ = ["LIMITS", "Verdict", "carries", "generated", "verdict"]
