"""Kubernetes label selectors as the providers' `labelSelector` option uses them (equality-based
forms and `in`/`notin`/exists sets, k8s.io/apimachinery/pkg/labels)."""

from __future__ import annotations

import re
from typing import Mapping

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split(selector: str) -> list[str]:
    """Requirements separated by commas outside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for c in selector:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Whether `labels` satisfy every requirement of `selector` (ValueError when unparsable)."""
    for req in _split(selector):
        m = _SET.match(req)
        if m:
            values = {v.strip() for v in m.group(3).split(",") if v.strip()}
            present = m.group(1) in labels and labels[m.group(1)] in values
            if (m.group(2) == "in") != present:
                return False
            continue
        if req.startswith("!"):
            if req[1:].strip() in labels:
                return False
            continue
        for op in ("!=", "==", "="):
            if op in req:
                key, value = (s.strip() for s in req.split(op, 1))
                if op == "!=":
                    if labels.get(key) == value:
                        return False
                elif labels.get(key) != value:
                    return False
                break
        else:
            if not re.fullmatch(r"[\w./-]+", req):
                raise ValueError(f"cannot parse label selector requirement {req!r}")
            if req not in labels:
                return False
    return True
