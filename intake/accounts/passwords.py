"""Passwords, hashed with scrypt (memory-hard, in the standard library) and never logged.

A stored hash reads `scrypt$n$r$p$salt$hash` (salt and hash in hex), so the cost can be raised
later without breaking the hashes already stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# 2**14 x 8 x 128 bytes = 16 MiB of memory per hash, about 50 ms here: costly to guess at scale.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; False for no hash or one we cannot read."""
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        got = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got, bytes.fromhex(digest))


def password_problem(password: str) -> str | None:
    """Why a new password will not do (a reason code), or None."""
    if len(password) < MIN_LENGTH:
        return "password-too-short"
    if password.strip() != password or not password.strip():
        return "password-spaces"
    return None


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32
    )
