"""Basic authentication as HAProxy checks it (`http_auth_group(<group>)`, haproxy-semantics.md H-G6).

The `Authorization: Basic <base64 user:password>` header is decoded (scheme name compared
without case) and the password checked with crypt(3) against the user's hash, as HAProxy's
userlist `password` does. Python's `crypt` module wraps the same libc/libxcrypt function (DES,
MD5 `$1$`, SHA-256 `$5$`, SHA-512 `$6$`); it was removed in Python 3.13, where checking a
password becomes a behaviour this model cannot decide (`CannotCheck`).
"""

from __future__ import annotations

import base64
import binascii
import warnings
from typing import Callable, Mapping

from ing2gw.simulate.request import Request


class CannotCheck(Exception):
    """The password cannot be verified here (no crypt(3) available)."""


def _load_crypt() -> Callable[[str, str], str | None] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # noqa: PLC0415 - deprecated module, loaded only when needed
    except ImportError:  # pragma: no cover - Python >= 3.13
        return None
    fn: Callable[[str, str], str | None] = crypt.crypt
    return fn


_CRYPT: list[Callable[[str, str], str | None] | None] = []


def _crypt() -> Callable[[str, str], str | None] | None:
    if not _CRYPT:
        _CRYPT.append(_load_crypt())
    return _CRYPT[0]


def credentials(request: Request) -> tuple[str, str] | None:
    """(user, password) of a Basic Authorization header, or None."""
    raw = request.header("authorization")
    if raw is None:
        return None
    scheme, _, token = raw.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("latin-1")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def authenticated(request: Request, users: Mapping[str, bytes]) -> bool:
    """Whether the request's credentials match one of `users` (user -> crypt(3) hash).
    Raises CannotCheck when a hash would have to be computed and crypt(3) is unavailable."""
    creds = credentials(request)
    if creds is None:
        return False
    user, password = creds
    stored = users.get(user)
    if stored is None:
        return False
    fn = _crypt()
    if fn is None:  # pragma: no cover - Python >= 3.13
        raise CannotCheck("crypt(3) is not available in this Python")
    hashed = stored.decode("latin-1")
    return fn(password, hashed) == hashed
