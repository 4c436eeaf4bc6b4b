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

from ing2gw.simulate.md5crypt import md5_crypt


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
    return hmac.compare_digest(md5_crypt(pw, parts[2], magic).encode("latin-1"), secret.encode("utf-8"))
