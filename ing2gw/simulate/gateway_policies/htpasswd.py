"""htpasswd files and the password hashes each proxy accepts.

`verify(password, stored, accepts)` answers True/False, or None when the hash cannot be checked
here (bcrypt: no pure-Python implementation fast enough; crypt(3) formats when Python's `crypt`
module is missing). The callers mark such answers unmodelled instead of guessing.

Formats (the `accepts` set names them):

* `sha`: `{SHA}` + base64(SHA-1(password)), Apache's unsalted SHA (Envoy's basic_auth filter
  accepts only this one);
* `ssha`: `{SSHA}` + base64(SHA-1(password + salt) + salt) (nginx);
* `plain`: `{PLAIN}password` (nginx);
* `md5crypt`: `$apr1$` (Apache) and `$1$` (FreeBSD/glibc) MD5-crypt, computed here;
* `bcrypt`: `$2a$`, `$2b$`, `$2x$`, `$2y$` (cannot be checked: None);
* `crypt`: any other crypt(3) string (DES, `$5$`, `$6$`), through Python's `crypt` module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import warnings
from typing import Callable

from ing2gw.simulate.md5crypt import md5_crypt

BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2x$", "$2y$")


def parse_htpasswd(text: str) -> tuple[dict[str, str], list[str]]:
    """`user:hash` lines (blank lines and `#` comments skipped; CRLF accepted) -> users, and the
    lines that are not `user:hash`. The first line of a user wins."""
    users: dict[str, str] = {}
    bad: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, stored = line.partition(":")
        if not sep or not user:
            bad.append(line)
            continue
        users.setdefault(user, stored)
    return users, bad


def hash_format(stored: str) -> str:
    """The format name of a stored hash (see the module docstring)."""
    if stored.startswith("{SHA}"):
        return "sha"
    if stored.startswith("{SSHA}"):
        return "ssha"
    if stored.startswith("{PLAIN}"):
        return "plain"
    if stored.startswith(("$apr1$", "$1$")):
        return "md5crypt"
    if stored.startswith(BCRYPT_PREFIXES):
        return "bcrypt"
    return "crypt"


def _system_crypt() -> Callable[[str, str], str | None] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # noqa: PLC0415 - deprecated, removed in Python 3.13
    except ImportError:  # pragma: no cover - Python >= 3.13
        return None
    fn: Callable[[str, str], str | None] = crypt.crypt
    return fn


def verify(password: str, stored: str, accepts: frozenset[str]) -> bool | None:
    """Does `password` match `stored`? False for a format the proxy does not accept; None when
    it cannot be checked here."""
    fmt = hash_format(stored)
    if fmt not in accepts:
        return False
    pw = password.encode("utf-8")
    if fmt == "sha":
        return base64.b64encode(hashlib.sha1(pw).digest()).decode() == stored[5:]
    if fmt == "ssha":
        try:
            raw = base64.b64decode(stored[6:], validate=True)
        except (binascii.Error, ValueError):
            return False
        digest, salt = raw[:20], raw[20:]
        return len(digest) == 20 and hashlib.sha1(pw + salt).digest() == digest
    if fmt == "plain":
        return stored[7:] == password
    if fmt == "md5crypt":
        magic = b"$apr1$" if stored.startswith("$apr1$") else b"$1$"
        salt = stored[len(magic):].encode("latin-1")
        return md5_crypt(pw, salt, magic) == stored
    if fmt == "bcrypt":
        return None
    fn = _system_crypt()
    if fn is None:  # pragma: no cover - Python >= 3.13
        return None
    return fn(password, stored) == stored


def basic_credentials(value: str | None, scheme_case_sensitive: bool) -> tuple[str, str] | None:
    """(user, password) of an `Authorization: Basic <base64>` value, or None when there is none
    or it cannot be read. Envoy compares the scheme `Basic ` exactly; Go's net/http and nginx
    compare it without case."""
    if value is None:
        return None
    v = value.strip() if not scheme_case_sensitive else value
    scheme, sep, token = v.partition(" ")
    if not sep or (scheme != "Basic" if scheme_case_sensitive else scheme.lower() != "basic"):
        return None
    token = token.strip()
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None
