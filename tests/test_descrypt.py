"""Traditional DES crypt(3) (simulate/descrypt.py), the deprecated hash an HAProxy userlist still
accepts, against published test vectors, and through the HAProxy model's basic auth.

Vectors (hash, password), none computed by the code under test:
* John the Ripper, src/DES_fmt.c `tests[]` (Solar Designer): CCNf8Sbh3HDfQ .. SDbsugeBiC58A;
  and its extended list (the `password` hashes with salts `./`, `0A`, `A9`);
* PHP, ext/standard/tests/strings/crypt.phpt and its configure check (`crypt("rasmuslerdorf",
  "rl")` = rl.3StKT.4T8M), also the example output of the PHP manual's crypt() page;
* passlib, tests/test_handlers.py `_des_crypt_test.known_correct_hashes` (`test`).

SHA-crypt (simulate/shacrypt.py) against the vectors of Ulrich Drepper's specification "Unix crypt
using SHA-256 and SHA-512" (also glibc's crypt/sha256c-test.c and sha512c-test.c).
"""

from __future__ import annotations

import base64

import pytest

from ing2gw.simulate.descrypt import des_crypt
from ing2gw.simulate.haproxy.auth import authenticated
from ing2gw.simulate.request import Request
from ing2gw.simulate.shacrypt import sha_crypt

SHA_VECTORS = [
    (b"Hello world!", "$5$saltstring", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    (b"Hello world!", "$5$rounds=10000$saltstringsaltstring",
     "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),
    (b"Hello world!", "$6$saltstring",
     "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
]


@pytest.mark.parametrize("password, setting, hashed", SHA_VECTORS, ids=[s for _, s, _ in SHA_VECTORS])
def test_sha_crypt_vectors(password: bytes, setting: str, hashed: str) -> None:
    assert sha_crypt(password, setting) == hashed
    assert sha_crypt(password, hashed) == hashed  # the stored hash is its own setting

VECTORS = [
    ("CCNf8Sbh3HDfQ", b"U*U*U*U*"),
    ("CCX.K.MFy4Ois", b"U*U***U"),
    ("CC4rMpbg9AMZ.", b"U*U***U*"),
    ("XXxzOu6maQKqQ", b"*U*U*U*U"),
    ("SDbsugeBiC58A", b""),
    ("./xZjzHv5vzVE", b"password"),
    ("0A2hXM1rXbYgo", b"password"),
    ("A9RXdR23Y.cY6", b"password"),
    ("rl.3StKT.4T8M", b"rasmuslerdorf"),
    ("N1tQbOFcM5fpg", b"test"),
]


@pytest.mark.parametrize("hashed, password", VECTORS, ids=[h for h, _ in VECTORS])
def test_published_vectors(hashed: str, password: bytes) -> None:
    assert des_crypt(password, hashed[:2]) == hashed


def test_only_the_first_eight_bytes_and_seven_bits_count() -> None:
    assert des_crypt(b"rasmusle", "rl") == des_crypt(b"rasmuslerdorf", "rl") == "rl.3StKT.4T8M"
    assert des_crypt(b"rasmusle", "rl") != des_crypt(b"rasmusl", "rl")
    # the high bit of each byte is shifted out
    assert des_crypt(bytes(c | 0x80 for c in b"U*U*U*U*"), "CC") == "CCNf8Sbh3HDfQ"


def _request(user: str, password: str) -> Request:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return Request(method="GET", scheme="http", host="a.test", port=80, target="/",
                   headers=(("Authorization", f"Basic {token}"),))


def test_basic_auth_checks_des_md5_and_sha_hashes_without_libc() -> None:
    users = {"php": b"rl.3StKT.4T8M", "john": b"CCNf8Sbh3HDfQ",
             # the MD5-crypt vector of the same PHP manual example
             "md5": b"$1$rasmusle$rISCgZzpwk3UhDidwXvin0",
             "sha": b"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"}
    assert authenticated(_request("php", "rasmuslerdorf"), users)
    assert not authenticated(_request("php", "rasmusXerdorf"), users)
    # DES reads eight bytes: what follows them does not count, as in HAProxy
    assert authenticated(_request("php", "rasmuslerdorX"), users)
    assert authenticated(_request("john", "U*U*U*U*"), users)
    assert authenticated(_request("md5", "rasmuslerdorf"), users)
    assert not authenticated(_request("md5", "rasmus"), users)
    assert authenticated(_request("sha", "Hello world!"), users)
    assert not authenticated(_request("sha", "Hello world"), users)
    assert not authenticated(_request("nobody", "x"), users)
