"""Unit tests of the pieces implementation models share: htpasswd checks, quantities, the
registry and attachment helpers, and the router's fast path without implementation objects."""

from __future__ import annotations

import base64
import hashlib
import warnings

import pytest

from ing2gw.load import load_text
from ing2gw.simulate.gateway import GatewayRouter
from ing2gw.simulate.gateway_policies import CONTROLLERS, GROUPS, TARGETS
from ing2gw.simulate.gateway_policies.base import duration_seconds, quantity
from ing2gw.simulate.gateway_policies.htpasswd import (basic_credentials, hash_format, md5_crypt, parse_htpasswd,
                                                       verify)
from ing2gw.simulate.gateway_policies.steps import python_replacement
from ing2gw.simulate.request import Request

ALL = frozenset({"sha", "ssha", "plain", "md5crypt", "bcrypt", "crypt"})


class TestHtpasswd:
    def test_md5_crypt_matches_libc(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            crypt = pytest.importorskip("crypt")
        for pw, salt in (("secret", "abcdefgh"), ("", "x"), ("a" * 40, "saltsalt"), ("pässword", "Q1w2")):
            assert md5_crypt(pw.encode(), salt.encode(), b"$1$") == crypt.crypt(pw, f"$1${salt}$")

    def test_formats(self) -> None:
        sha = "{SHA}" + base64.b64encode(hashlib.sha1(b"test1").digest()).decode()
        salt = b"NaCl"
        ssha = "{SSHA}" + base64.b64encode(hashlib.sha1(b"test1" + salt).digest() + salt).decode()
        apr1 = md5_crypt(b"test1", b"abcdefgh", b"$apr1$")
        for stored in (sha, ssha, "{PLAIN}test1", apr1):
            assert verify("test1", stored, ALL) is True, stored
            assert verify("test2", stored, ALL) is False, stored
        assert verify("test1", apr1, frozenset({"sha"})) is False  # a format the proxy does not accept
        assert verify("test1", "$2y$05$abcdefghijklmnopqrstuu5s3o0yQ0nNq0S6tUq6g8Wb1aH2RC4Lq", ALL) is None
        assert hash_format("$6$salt$x") == "crypt" and hash_format("$2b$10$x") == "bcrypt"

    def test_parse(self) -> None:
        users, bad = parse_htpasswd("alice:{SHA}x\r\n# c\n\nbroken\nalice:{SHA}y\n")
        assert users == {"alice": "{SHA}x"} and bad == ["broken"]

    def test_credentials(self) -> None:
        token = base64.b64encode(b"u:p:q").decode()
        assert basic_credentials(f"Basic {token}", True) == ("u", "p:q")
        assert basic_credentials(f"basic {token}", True) is None
        assert basic_credentials(f"basic {token}", False) == ("u", "p:q")
        assert basic_credentials("Basic !!!", False) is None
        assert basic_credentials("Bearer x", False) is None


def test_quantities_and_durations() -> None:
    assert quantity("1Ki") == 1024 and quantity("10Mi") == 10 * 1024 ** 2 and quantity("1G") == 10 ** 9
    assert quantity(2048) == 2048 and quantity("lots") is None and quantity(True) is None
    assert duration_seconds("10m") == 600 and duration_seconds("1h30m") == 5400 and duration_seconds("x") is None


def test_replacement_syntax() -> None:
    assert python_replacement(r"\2/instance/\1") == r"\g<2>/instance/\g<1>"


def test_registry_is_consistent() -> None:
    assert set(CONTROLLERS.values()) <= set(TARGETS)
    assert set(GROUPS.values()) <= set(TARGETS)


PLAIN = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: some-class
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: gw, namespace: infra}]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: t}}]
    backendRefs: [{name: web, port: 80}]
"""


def test_no_implementation_objects_keeps_plain_gateway_api() -> None:
    r = GatewayRouter(load_text(PLAIN.split("---")[0] + "---\n" + PLAIN.split("---")[1].replace(
        "  - filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Thing, name: t}}]\n    backendRefs",
        "  - backendRefs"), "x.yaml"))
    assert r._policy_index.empty
    a = r.route(Request.parse_line("GET http://a.test/ | X_Y: 1 | @client=1.2.3.4"))
    assert a.status == 200 and not a.unmodelled


def test_unknown_extension_ref_is_unmodelled_not_ignored() -> None:
    r = GatewayRouter(load_text(PLAIN, "x.yaml"))
    a = r.route(Request.parse_line("GET http://a.test/"))
    assert a.status == 200 and any("ExtensionRef filter example.com/Thing t" in u for u in a.unmodelled)
