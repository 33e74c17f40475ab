"""One-time codes: six digits emailed to a professional, or read from their authenticator app
(TOTP), for signing in, enrolling an app, or proving they sent a submission.

Every code is single use and expires. Wrong codes are counted on the account: the fifth in a row
locks it for `LOCK_FOR` and emails its owner, and no code, right or wrong, is accepted while it is
locked. Codes are stored as an HMAC under the service's key, so the store alone cannot yield them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import StrEnum

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.accounts.audit import SERVICE_ACTOR, record_account_event
from intake.replies import Thread, send_reply
from intake.services import Services
from store import OneTimeCode, Professional

MAX_WRONG_CODES = 5
LOCK_FOR = timedelta(minutes=30)
LIFETIMES = {
    "sign-in": timedelta(minutes=10),
    "enrol-app": timedelta(minutes=10),
    # A professional answers a held submission from their inbox, perhaps hours later.
    "submission": timedelta(hours=48),
}
# An authenticator code is accepted one 30-second step either side, for clocks a little off.
TOTP_WINDOW = 1


class CodeResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # not the code (counted towards the lock)
    EXPIRED = "expired"  # no live code: never sent, used, or expired
    LOCKED = "locked"  # the account is locked; nothing was checked


def send_email_code(
    services: Services,
    session: Session,
    professional: Professional,
    purpose: str,
    *,
    inbound_message_id: int | None = None,
    thread: Thread | None = None,
    reason: str | None = None,
) -> bool:
    """Email a fresh code for `purpose`; earlier unused codes for the same purpose (and message)
    stop working. Queued in the outbox inside the caller's transaction; False when a rate limit
    held the email back (`reason` counts it against the daily limit for that reason)."""
    now = services.now()
    _spend_earlier(session, professional, purpose, inbound_message_id, now)
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        OneTimeCode(
            professional_id=professional.id,
            purpose=purpose,
            code_hash=_code_hash(services.key, professional.id, purpose, code),
            inbound_message_id=inbound_message_id,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    session.flush()
    minutes = int(LIFETIMES[purpose].total_seconds() // 60)
    queued = send_reply(
        services,
        session,
        "one_time_code",
        thread or Thread(professional.email, None, (), inbound_message_id),
        {"code": code, "purpose": purpose, "minutes": minutes, "name": professional.name},
        auto_submitted="auto-generated",
        reason=reason,
    )
    return queued is not None


def check_code(
    services: Services,
    session: Session,
    professional: Professional,
    code: str,
    purpose: str,
    *,
    inbound_message_id: int | None = None,
) -> CodeResult:
    """Judge a code; a right one is spent, a wrong one counted. For signing in with an app, the
    app's current code (each accepted once)."""
    now = services.now()
    if professional.locked_until is not None and professional.locked_until > now:
        return CodeResult.LOCKED
    code = "".join(code.split())
    if purpose == "sign-in" and professional.two_factor == "app":
        result = _check_totp(services, session, professional, code)
    else:
        result = _check_emailed(services, session, professional, code, purpose, inbound_message_id)
    if result is CodeResult.OK:
        professional.failed_codes = 0
    elif result is CodeResult.WRONG:
        _count_wrong(services, session, professional)
    session.flush()
    return result


def is_locked(services: Services, professional: Professional) -> bool:
    return professional.locked_until is not None and professional.locked_until > services.now()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(services: Services, professional: Professional, secret: str) -> str:
    """The otpauth:// address an authenticator app enrols from (shown as a QR code)."""
    issuer = services.settings.service_name
    return pyotp.TOTP(secret).provisioning_uri(name=professional.email, issuer_name=issuer)


def totp_matches(secret: str, code: str, at_time=None) -> bool:
    """Whether `code` is the app's code now (enrolment: the first code proves the app works)."""
    return pyotp.TOTP(secret).verify(
        "".join(code.split()), for_time=at_time, valid_window=TOTP_WINDOW
    )


def _check_emailed(
    services: Services,
    session: Session,
    professional: Professional,
    code: str,
    purpose: str,
    inbound_message_id: int | None,
) -> CodeResult:
    live = session.scalars(
        select(OneTimeCode).where(
            OneTimeCode.professional_id == professional.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.inbound_message_id.is_(None)
            if inbound_message_id is None
            else OneTimeCode.inbound_message_id == inbound_message_id,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > services.now(),
        )
    ).all()
    if not live:
        return CodeResult.EXPIRED
    wanted = _code_hash(services.key, professional.id, purpose, code)
    for row in live:
        if hmac.compare_digest(row.code_hash, wanted):
            spent = session.execute(
                update(OneTimeCode)
                .where(OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None))
                .values(used_at=services.now())
            )
            return CodeResult.OK if spent.rowcount == 1 else CodeResult.EXPIRED
        row.attempts += 1
    return CodeResult.WRONG


def _check_totp(
    services: Services, session: Session, professional: Professional, code: str
) -> CodeResult:
    if not professional.totp_secret:
        return CodeResult.EXPIRED
    totp = pyotp.TOTP(professional.totp_secret)
    now = services.now()
    for offset in range(-TOTP_WINDOW, TOTP_WINDOW + 1):
        at = now + timedelta(seconds=30 * offset)
        if hmac.compare_digest(totp.at(at), code):
            # Single use: the step's code is recorded as spent, so a replay is refused.
            step = f"totp:{totp.timecode(at)}"
            marker = _code_hash(services.key, professional.id, "totp", step)
            used = session.scalar(
                select(OneTimeCode.id).where(
                    OneTimeCode.professional_id == professional.id,
                    OneTimeCode.purpose == "totp-used",
                    OneTimeCode.code_hash == marker,
                )
            )
            if used is not None:
                return CodeResult.EXPIRED
            session.add(
                OneTimeCode(
                    professional_id=professional.id,
                    purpose="totp-used",
                    code_hash=marker,
                    created_at=now,
                    expires_at=now + timedelta(minutes=2),
                    used_at=now,
                )
            )
            return CodeResult.OK
    return CodeResult.WRONG


def _count_wrong(services: Services, session: Session, professional: Professional) -> None:
    professional.failed_codes = (professional.failed_codes or 0) + 1
    if professional.failed_codes < MAX_WRONG_CODES:
        return
    professional.failed_codes = 0
    professional.locked_until = services.now() + LOCK_FOR
    record_account_event(
        session, "account-locked", professional, actor=SERVICE_ACTOR, at=services.now()
    )
    send_reply(
        services,
        session,
        "account_locked",
        Thread(professional.email, None, (), None),
        {"name": professional.name, "minutes": int(LOCK_FOR.total_seconds() // 60)},
        auto_submitted="auto-generated",
    )


def _spend_earlier(
    session: Session,
    professional: Professional,
    purpose: str,
    inbound_message_id: int | None,
    now,
) -> None:
    session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.professional_id == professional.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.inbound_message_id.is_(None)
            if inbound_message_id is None
            else OneTimeCode.inbound_message_id == inbound_message_id,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=now)
    )


def _code_hash(key: bytes, professional_id: int, purpose: str, code: str) -> str:
    message = f"{professional_id}:{purpose}:{code}".encode()
    return hmac.new(hashlib.sha256(b"one-time-code" + key).digest(), message, "sha256").hexdigest()
