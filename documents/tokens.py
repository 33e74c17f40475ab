"""Signed form tokens: who a form was issued to, for what, and until when, and which form.

A token is 26 bytes (a 16-byte payload and an 80-bit HMAC-SHA256 tag) written as 42 lower-case
base32 characters, short enough for the local part of a plus-address (`intake+TOKEN@...`, RFC 5321
allows 64) and immune to mail systems that change the case of addresses. The payload ends with a
random 32-bit nonce, so that each form issued has its own token: two request forms sent to one
professional on one day are two requests, never versions of one. A form sent back to be
corrected keeps the token it came with (the caller passes it on; nothing here reissues it).

Tokens of version 1 (36 characters, no nonce) were issued before; they verify until they expire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

TOKEN_VERSION = 2
KIND_CODES = {"request": 1, "advice": 2, "registration": 3}
KIND_NAMES = {code: kind for kind, code in KIND_CODES.items()}
DEFAULT_LIFETIME = timedelta(days=180)

_EPOCH = date(2020, 1, 1)
# Version, kind, professional id, subject id, expiry day; then, from version 2, the nonce.
_PAYLOAD_V1 = struct.Struct(">BBIIH")
_PAYLOAD = struct.Struct(">BBIIHI")
_TAG_BYTES = 10
TOKEN_LENGTH = 42
LEGACY_TOKEN_LENGTH = 36
# Characters long to payload layout, by the version it must declare.
_LAYOUTS = {TOKEN_LENGTH: (_PAYLOAD, TOKEN_VERSION), LEGACY_TOKEN_LENGTH: (_PAYLOAD_V1, 1)}

# Professional id 0: a specimen, issued to nobody, so a reply with it is answered, not recorded.
SPECIMEN = 0


@dataclass(frozen=True)
class TokenCheck:
    """What a token says and whether it can be trusted; `reason` says why not."""

    valid: bool
    reason: str | None = None
    kind: str | None = None
    professional_id: int | None = None
    subject_id: int | None = None
    expires: date | None = None

    @property
    def specimen(self) -> bool:
        return self.valid and self.professional_id == SPECIMEN

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "reason": self.reason,
            "kind": self.kind,
            "professional_id": self.professional_id,
            "subject_id": self.subject_id,
            "expires": self.expires.isoformat() if self.expires else None,
            "specimen": self.specimen,
        }


def issue_token(
    key: bytes,
    kind: str,
    professional_id: int = SPECIMEN,
    subject_id: int = 0,
    *,
    today: date,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    """A new token for one form of `kind` sent to a professional about a case or advice
    request: every call gives a different token."""
    expiry_day = (today + lifetime - _EPOCH).days
    nonce = secrets.randbits(32)
    payload = _PAYLOAD.pack(
        TOKEN_VERSION, KIND_CODES[kind], professional_id, subject_id, expiry_day, nonce
    )
    return _encode(payload + _tag(key, payload))


def verify_token(key: bytes, token: str | None, *, today: date) -> TokenCheck:
    """Check a token's form, signature and expiry; never raises on bad input."""
    if not token or not token.strip():
        return TokenCheck(False, "missing")
    text = token.strip()
    layout, expected_version = _LAYOUTS.get(len(text), (None, None))
    raw = _decode(text) if layout is not None else None
    if layout is None or raw is None or len(raw) != layout.size + _TAG_BYTES:
        return TokenCheck(False, "malformed")
    payload, tag = raw[: layout.size], raw[layout.size :]
    if not hmac.compare_digest(tag, _tag(key, payload)):
        # A wrong key and a tampered token look the same from here, and should.
        return TokenCheck(False, "bad-signature")
    version, kind_code, professional_id, subject_id, expiry_day = layout.unpack(payload)[:5]
    if version != expected_version or kind_code not in KIND_NAMES:
        return TokenCheck(False, "malformed")
    expires = _EPOCH + timedelta(days=expiry_day)
    fields = {
        "kind": KIND_NAMES[kind_code],
        "professional_id": professional_id,
        "subject_id": subject_id,
        "expires": expires,
    }
    if today > expires:
        return TokenCheck(False, "expired", **fields)
    return TokenCheck(True, None, **fields)


def _tag(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"ehcp-intake-form-token" + payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _decode(text: str) -> bytes | None:
    try:
        raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return None
    # The last character carries one bit of data and four unused ones that the decoder ignores:
    # without this, several spellings would decode to the same token and a changed character
    # could go unnoticed.
    if _encode(raw) != text.lower():
        return None
    return raw
