"""The requests a Traefik rule may match (providers/traefik/scope.py), checked on paths by hand."""

from __future__ import annotations

import re

import pytest

from ing2gw.providers.traefik.scope import rule_scope


def _takes(rule: str, path: str) -> bool:
    return re.fullmatch(rule_scope(rule).path, path) is not None


@pytest.mark.parametrize(("rule", "path", "want"), [
    ("Host(`a.test`) && !PathPrefix(`/admin`)", "/x", True),
    ("Host(`a.test`) && !PathPrefix(`/admin`)", "/admin/x", False),
    ("Host(`a.test`) && !PathPrefix(`/admin`)", "/administrator", False),  # character-wise, as Traefik
    ("Host(`a.test`) && PathRegexp(`^/v[0-9]+/`)", "/v1/x", True),
    ("Host(`a.test`) && PathRegexp(`^/v[0-9]+/`)", "/x/v1/", False),
    ("Host(`a.test`) && PathRegexp(`/v[0-9]+/`)", "/x/v1/", True),  # unanchored: searched
    ("Host(`a.test`) && (Path(`/a`) || PathPrefix(`/b`))", "/b/c", True),
    ("Host(`a.test`) && (Path(`/a`) || PathPrefix(`/b`))", "/a/c", False),
    ("Host(`a.test`) && !(Path(`/a`) || Path(`/b`))", "/b", False),
    ("Host(`a.test`) && !(Path(`/a`) || Path(`/b`))", "/c", True),
    # a negated Header cannot be bounded: every path
    ("Host(`a.test`) && !Header(`X`, `1`)", "/anything", True),
    # a negated host-and-path conjunction neither
    ("Host(`a.test`) && !(Host(`b.test`) && Path(`/a`))", "/a", True),
])
def test_paths(rule: str, path: str, want: bool) -> None:
    assert _takes(rule, path) is want


def test_hosts() -> None:
    assert rule_scope("Host(`A.test`) && !Path(`/a`)").hosts == {"a.test"}
    assert rule_scope("Host(`a.test`) || Host(`b.test`) && PathRegexp(`x`)").hosts == {"a.test", "b.test"}
    assert rule_scope("HostRegexp(`.*`) && !Path(`/a`)").hosts is None
    assert rule_scope("!Host(`a.test`)").hosts is None
    assert rule_scope("Host(`a.test` ").hosts is None  # unreadable: every request
