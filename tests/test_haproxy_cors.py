"""HAProxy CORS annotations -> the HTTPRoute CORS filter, checked with requests of allowed and
refused origins (the generated probes carry only an origin no rule allows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ing2gw.equivalence.verification import verify_translation
from ing2gw.load import load_text
from ing2gw.options import Options
from ing2gw.providers.haproxy.features import _cors_origins, _go_seconds
from ing2gw.simulate.request import Request
from ing2gw.translate import translate

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "haproxy" / "cors-filter" / "input.yaml"


def _req(method: str, origin: str, preflight: bool = False) -> Request:
    headers = [("Origin", origin)] + ([("Access-Control-Request-Method", "POST")] if preflight else [])
    return Request(method=method, scheme="https", host="api.example.com", port=443, target="/x",
                   headers=tuple(headers), sni="api.example.com")


def test_allowed_and_refused_origins_differ_only_as_predicted() -> None:
    manifests = load_text(GOLDEN.read_text(encoding="utf-8"), str(GOLDEN))
    result = translate(manifests, Options())
    probes = [_req("GET", "https://app.example.com"), _req("GET", "https://admin.example.com:8443"),
              _req("GET", "https://app.example.com.evil.test"), _req("OPTIONS", "https://app.example.com", True)]
    v = verify_translation(result, manifests, Options(), extra_probes=probes)
    assert v.unexplained == 0
    by_request = {r.request.describe(): {c for c in r.explained_by} for r in v.differences}
    allowed = _req("GET", "https://app.example.com").describe()
    # HAProxy's allow-methods/-headers/max-age on an actual answer: predicted by 037, nothing else
    assert by_request.get(allowed, set()) <= {"ING2GW-HAPROXY-037", "ING2GW-HAPROXY-021"}
    preflight = _req("OPTIONS", "https://app.example.com", True).describe()
    assert "ING2GW-HAPROXY-038" in by_request[preflight]


@pytest.mark.parametrize("value, origins", [
    ("*", ("*",)),
    ("^https://a\\.example\\.com$", ("https://a.example.com",)),
    ("^(https://a\\.example\\.com|http://b:8080)$", ("https://a.example.com", "http://b:8080")),
    ("https://a\\.example\\.com", None),        # unanchored: a.example.com.evil.test matches too
    ("^https://a.example.com$", None),          # an unescaped dot is any character
    ("^https://.*\\.example\\.com$", None),
    ("^(https://a\\.example\\.com$", None),
])
def test_only_anchored_literal_origins_are_an_allow_list(value: str, origins: tuple[str, ...] | None) -> None:
    assert _cors_origins(value) == origins


@pytest.mark.parametrize("text, seconds", [("5s", 5), ("90s", 90), ("1500ms", 1), ("2h", 7200), ("1d", 86400),
                                           ("5", 0), ("1m30s", None), ("-1s", None), ("", None)])
def test_max_age_is_read_as_the_controller_reads_it(text: str, seconds: int | None) -> None:
    assert _go_seconds(text) == seconds



def test_allow_headers_that_are_no_header_names_leave_cors_unconverted() -> None:
    """Found by the fuzz campaign: such a value went into allowHeaders and the HTTPRoute was invalid."""
    text = GOLDEN.read_text(encoding="utf-8")
    assert 'cors-allow-headers: "X-Token' in text
    manifests = load_text(text.replace('cors-allow-headers: "X-Token', 'cors-allow-headers: "http://[::1, X-Token'),
                          str(GOLDEN))
    result = translate(manifests, Options())  # no EmitError: the filter is not written
    assert any(f.code == "ING2GW-HAPROXY-026" for f in result.findings)
    assert not any(r.get("filters") for objs in result.apps.values() for o in objs if o["kind"] == "HTTPRoute"
                   for r in o["spec"]["rules"] if any(f.get("type") == "CORS" for f in r.get("filters", [])))
