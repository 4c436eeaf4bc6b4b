"""emit returns its validated input dicts: they must equal what the models would dump."""

from __future__ import annotations

from pathlib import Path

from ing2gw.load import load
from ing2gw.model.gateway import validate_object
from ing2gw.translate import translate

ROOT = Path(__file__).resolve().parents[1]


def test_emitted_dicts_equal_the_models_dump() -> None:
    for case in sorted((ROOT / "golden" / "ingress-nginx").glob("*/input.yaml"))[:40]:
        result = translate(load([str(case)]))
        for obj in result.objects():
            assert validate_object(obj).to_dict() == obj, (case, obj["kind"], obj["metadata"]["name"])
