"""Password checks of Traefik's basicAuth middleware (github.com/abbot/go-http-auth CheckSecret).

A user's secret is `{SHA}` + base64(sha1(password)) (what Traefik builds from a
`kubernetes.io/basic-auth` Secret), a bcrypt hash (`$2a$`, `$2b$`, `$2x$`, `$2y$`), or else an
MD5-crypt hash `$magic$salt$hash` (`$apr1$` from `htpasswd -m`, `$1$`); anything else never
matches. bcrypt cannot be checked without a bcrypt implementation: `check` answers None then.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_ITOA64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _to64(value: int, n: int) -> bytes:
    out = bytearray()
    for _ in range(n):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return bytes(out)


def md5_crypt(password: bytes, salt: bytes, magic: bytes) -> bytes:
    """The MD5-based crypt of Poul-Henning Kamp (FreeBSD `$1$`, Apache `$apr1$`)."""
    salt = salt[:8]
    alt = hashlib.md5(password + salt + password).digest()
    ctx = hashlib.md5(password + magic + salt)
    n = len(password)
    while n > 0:
        ctx.update(alt[:min(16, n)])
        n -= 16
    i = len(password)
    while i:
        ctx.update(b"\x00" if i & 1 else password[:1])
        i >>= 1
    final = ctx.digest()
    for r in range(1000):
        c = hashlib.md5()
        c.update(password if r & 1 else final)
        if r % 3:
            c.update(salt)
        if r % 7:
            c.update(password)
        c.update(final if r & 1 else password)
        final = c.digest()
    enc = bytearray()
    for a, b, d in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)):
        enc += _to64((final[a] << 16) | (final[b] << 8) | final[d], 4)
    enc += _to64(final[11], 2)
    return magic + salt + b"$" + bytes(enc)


def check(password: str, secret: str) -> bool | None:
    """Whether `password` matches the stored `secret` (None: cannot be decided offline)."""
    pw = password.encode("utf-8")
    if secret.startswith("{SHA}"):
        digest = base64.b64encode(hashlib.sha1(pw).digest()).decode()
        return hmac.compare_digest(digest, secret[5:])
    if secret.startswith(("$2a$", "$2b$", "$2x$", "$2y$")):
        return None
    parts = secret.encode("utf-8").split(b"$", 3)
    if len(parts) != 4:
        return False
    magic = b"$" + parts[1] + b"$"
    return hmac.compare_digest(md5_crypt(pw, parts[2], magic), secret.encode("utf-8"))
