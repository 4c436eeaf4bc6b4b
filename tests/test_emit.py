"""emit returns its validated input dicts: they must equal what the models would dump."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ing2gw.load import load
from ing2gw.model.gateway import validate_object
from ing2gw.translate import translate

ROOT = Path(__file__).resolve().parents[1]


def test_emitted_dicts_equal_the_models_dump() -> None:
    for case in sorted((ROOT / "golden" / "ingress-nginx").glob("*/input.yaml"))[:40]:
        result = translate(load([str(case)]))
        for obj in result.objects():
            assert validate_object(obj).to_dict() == obj, (case, obj["kind"], obj["metadata"]["name"])


def test_emit_constants_are_the_models() -> None:
    # emit/gateway.py repeats these so that a run need not import the pydantic models
    from ing2gw.emit import gateway as emit
    from ing2gw.model import gateway as gw

    assert emit.GATEWAY_API_VERSION == gw.GATEWAY_API_VERSION
    assert emit.ANNOTATIONS_MAX_BYTES == gw.ANNOTATIONS_MAX_BYTES


def test_the_suite_validates_every_emitted_object(monkeypatch: pytest.MonkeyPatch) -> None:
    from ing2gw.emit import objects as emit

    bad = {"metadata": {"name": "Not A Name", "namespace": "apps"}, "spec": {"parentRefs": [{"name": "g"}]}}
    assert emit.VALIDATE_OUTPUT and os.environ.get("ING2GW_VALIDATE_OUTPUT") == "1"  # tests/conftest.py
    with pytest.raises(emit.EmitError, match="built an invalid HTTPRoute apps/Not A Name"):
        emit._build("HTTPRoute", bad)
    monkeypatch.setattr(emit, "VALIDATE_OUTPUT", False)
    assert emit._build("HTTPRoute", bad)["kind"] == "HTTPRoute"  # a run trusts the construction
