"""MD5-crypt (Poul-Henning Kamp's `$1$`, and Apache's `$apr1$` variant): the hash htpasswd
files hold, checked by several of the simulated proxies (Envoy Gateway's and kgateway's basic
auth, Traefik's basicAuth). Written from the published algorithm; no proxy code."""

from __future__ import annotations

import hashlib

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _to64(value: int, n: int) -> str:
    out = []
    for _ in range(n):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return "".join(out)


def md5_crypt(password: bytes, salt: bytes, magic: bytes) -> str:
    """Poul-Henning Kamp's MD5-crypt (`$1$`), and Apache's variant with magic `$apr1$`."""
    salt = salt.split(b"$", 1)[0][:8]
    alternate = hashlib.md5(password + salt + password).digest()
    ctx = hashlib.md5(password + magic + salt)
    n = len(password)
    while n > 0:
        ctx.update(alternate[:min(16, n)])
        n -= 16
    n = len(password)
    while n:
        ctx.update(b"\0" if n & 1 else password[:1])
        n >>= 1
    final = ctx.digest()
    for i in range(1000):
        c = hashlib.md5()
        c.update(password if i & 1 else final)
        if i % 3:
            c.update(salt)
        if i % 7:
            c.update(password)
        c.update(final if i & 1 else password)
        final = c.digest()
    f = final
    encoded = (_to64((f[0] << 16) | (f[6] << 8) | f[12], 4) + _to64((f[1] << 16) | (f[7] << 8) | f[13], 4)
               + _to64((f[2] << 16) | (f[8] << 8) | f[14], 4) + _to64((f[3] << 16) | (f[9] << 8) | f[15], 4)
               + _to64((f[4] << 16) | (f[10] << 8) | f[5], 4) + _to64(f[11], 2))
    return (magic + salt).decode("latin-1") + "$" + encoded
