"""What the Traefik simulator (the old side of the equivalence check) needs beyond the manifests:
Traefik's static configuration (`--traefik-static`, `--traefik-version`), as its `traefik`
context document. Named by the registry entry's `old_side`."""

from __future__ import annotations

from typing import Any, Sequence

from ing2gw.model.inputs import Inputs
from ing2gw.options import Options
from ing2gw.providers.detect import Verdict
from ing2gw.providers.registry import OldSide


def old_side(inputs: Inputs, options: Options, verdicts: Sequence[Verdict]) -> OldSide:
    """The static configuration the translation used; nothing when it assumed the Helm chart's
    (the simulator's default too)."""
    doc: dict[str, Any] = dict(options.traefik_static or {})
    if options.traefik_version is not None:
        doc["traefikVersion"] = options.traefik_version
    return OldSide(static=doc)
