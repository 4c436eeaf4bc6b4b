"""SHA-crypt (`$5$` SHA-256, `$6$` SHA-512): the crypt(3) hashes of Ulrich Drepper's
specification ("Unix crypt using SHA-256 and SHA-512", 2007/2008), which an HAProxy userlist
accepts through the C library. Python 3.13 removed the `crypt` module, so the simulators compute
it themselves. Written from the published specification; test vectors: tests/test_descrypt.py
(the specification's own, also in glibc's crypt/sha256c-test.c and sha512c-test.c).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ROUNDS_DEFAULT, _ROUNDS_MIN, _ROUNDS_MAX = 5000, 1000, 999_999_999
#: the byte triples of the final digest, as the specification writes them out (24 bits each)
_ORDER = {
    "5": ((0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5), (6, 16, 26), (27, 7, 17),
          (18, 28, 8), (9, 19, 29)),
    "6": ((0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26), (6, 27, 48), (28, 49, 7),
          (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13), (56, 14, 35),
          (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60), (40, 61, 19), (62, 20, 41)),
}


def _b64(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_ALPHABET[w & 0x3F])
        w >>= 6
    return "".join(out)


def _repeat(digest: bytes, length: int) -> bytes:
    return (digest * (length // len(digest) + 1))[:length]


@lru_cache(maxsize=256)
def sha_crypt(password: bytes, setting: str) -> str | None:
    """crypt(3) of `password` with a `$5$` or `$6$` setting (`$5$[rounds=N$]salt[$hash]`); None
    for a setting that is neither."""
    variant = setting[1:2]
    if not setting.startswith(("$5$", "$6$")):
        return None
    h = hashlib.sha256 if variant == "5" else hashlib.sha512
    rest = setting[3:]
    rounds, custom = _ROUNDS_DEFAULT, False
    if rest.startswith("rounds="):
        text, sep, after = rest[len("rounds="):].partition("$")
        if not sep or not text.isdigit():
            return None
        rounds, custom, rest = min(max(int(text), _ROUNDS_MIN), _ROUNDS_MAX), True, after
    salt = rest.split("$", 1)[0][:16].encode("latin-1")
    p = password
    b = h(p + salt + p).digest()
    ctx = h(p + salt + _repeat(b, len(p)))
    n = len(p)
    while n:
        ctx.update(b if n & 1 else p)
        n >>= 1
    a = ctx.digest()
    p_seq = _repeat(h(p * len(p)).digest(), len(p))
    s_seq = _repeat(h(salt * (16 + a[0])).digest(), len(salt))
    c = a
    for i in range(rounds):
        r = h(p_seq if i & 1 else c)
        if i % 3:
            r.update(s_seq)
        if i % 7:
            r.update(p_seq)
        r.update(c if i & 1 else p_seq)
        c = r.digest()
    body = "".join(_b64(c[x], c[y], c[z], 4) for x, y, z in _ORDER[variant])
    body += _b64(0, c[31], c[30], 3) if variant == "5" else _b64(0, 0, c[63], 2)
    head = f"${variant}$" + (f"rounds={rounds}$" if custom else "")
    return head + salt.decode("latin-1") + "$" + body
