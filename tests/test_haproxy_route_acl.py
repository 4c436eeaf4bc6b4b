"""route-acl -> HTTPRoute matches (providers/haproxy/route_acl.py): which ACLs convert, and why
the others do not."""

from __future__ import annotations

import pytest

from ing2gw import ir
from ing2gw.providers.haproxy.route_acl import AclMatch, convert


@pytest.mark.parametrize("acl, expected", [
    ("hdr(x-channel) beta", (AclMatch(header=ir.HeaderMatch("x-channel", "beta")),)),
    ("req.hdr(X-Env) -m str a b a", (AclMatch(header=ir.HeaderMatch("X-Env", "a")),
                                     AclMatch(header=ir.HeaderMatch("X-Env", "b")))),
    ("req.fhdr(x) -- v", (AclMatch(header=ir.HeaderMatch("x", "v")),)),
    ("method POST PUT", (AclMatch(method="POST"), AclMatch(method="PUT"))),
])
def test_exact_forms_convert(acl: str, expected: tuple[AclMatch, ...]) -> None:
    assert convert(acl) == (expected, "")


@pytest.mark.parametrize("acl, why", [
    ("hdr(x) -m found", "-m found"),
    ("hdr(x) -i beta", "-i"),
    ("hdr(x) -m beg be", "-m beg"),
    ("hdr(x)", "without patterns"),
    ("hdr(x,1) v", "occurrence"),
    ("cookie(staging) -m found", "the fetch cookie"),
    ("rand(100) lt 25", "the fetch rand"),
    ("src 10.0.0.0/8", "the fetch src"),
    ("method FOO", "Gateway API methods"),
    ("hdr(x) \"a b\"", "quoted"),
    ("", "empty"),
])
def test_other_forms_say_why(acl: str, why: str) -> None:
    alternatives, reason = convert(acl)
    assert alternatives == () and why in reason
