"""Basic authentication as HAProxy checks it (`http_auth_group(<group>)`, haproxy-semantics.md H-G6).

The `Authorization: Basic <base64 user:password>` header is decoded (scheme name compared
without case) and the password checked with crypt(3) against the user's hash, as HAProxy's
userlist `password` does. The traditional DES hash (13 characters, deprecated), MD5-crypt
(`$1$`) and SHA-crypt (`$5$`, `$6$`) are computed here (`simulate.descrypt`, `simulate.md5crypt`,
`simulate.shacrypt`), in every Python. Any other scheme (bcrypt `$2b$`, yescrypt `$y$`, ...) uses
Python's `crypt` module, which wraps the same libc/libxcrypt function; it was removed in Python
3.13, where checking such a password becomes a behaviour this model cannot decide
(`CannotCheck`).
"""

from __future__ import annotations

import base64
import binascii
import warnings
from typing import Callable, Mapping

from ing2gw.simulate.descrypt import des_crypt
from ing2gw.simulate.md5crypt import md5_crypt
from ing2gw.simulate.request import Request
from ing2gw.simulate.shacrypt import sha_crypt

#: the characters of a traditional DES hash (salt and hash)
_DES_CHARS = frozenset("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


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
    hashed = stored.decode("latin-1")
    if len(hashed) == 13 and set(hashed) <= _DES_CHARS:
        return des_crypt(password.encode("latin-1"), hashed[:2]) == hashed
    if hashed.startswith("$1$"):
        return md5_crypt(password.encode("latin-1"), hashed[3:].encode("latin-1"), b"$1$") == hashed
    if hashed.startswith(("$5$", "$6$")):
        return sha_crypt(password.encode("latin-1"), hashed) == hashed
    fn = _crypt()
    if fn is None:  # pragma: no cover - Python >= 3.13
        raise CannotCheck("crypt(3) is not available in this Python")
    return fn(password, hashed) == hashed
