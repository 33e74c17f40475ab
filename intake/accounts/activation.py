"""Activating an account, resetting its password and checking it at sign-in.

Activation redeems the single-use "activate" link once every choice is valid (so a mistyped
password does not spend the link): a scrypt password and two-step verification, by emailed code
or by an authenticator app whose first code proved it was set up. Every outcome is in the audit
log (`intake.accounts.audit`), never the password.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.accounts.audit import SERVICE_ACTOR, record_account_event
from intake.accounts.codes import is_locked, totp_matches
from intake.accounts.links import LIFETIMES, issue_link, peek_link, redeem_link
from intake.accounts.passwords import MIN_LENGTH, hash_password, password_problem, verify_password
from intake.cases.accounts import find_professional
from intake.reasons import Reason, reason
from intake.replies import Thread, send_reply
from intake.services import Services
from store import AuditEntry, Professional

TWO_FACTOR_METHODS = ("email", "app")
RESETS_PER_HOUR = 3
# Checked against when there is no account or no password, so that a wrong address takes as
# long to answer as a wrong password and does not tell who has an account.
_NOBODY_HASH = hash_password(secrets.token_urlsafe(24))


def activate(
    services: Services,
    session: Session,
    secret: str,
    *,
    password: str,
    two_factor: str | None,
    totp_secret: str | None = None,
    totp_code: str | None = None,
) -> tuple[Professional | None, list[Reason]]:
    """The account made active, or None and every reason why not (the link still usable)."""
    owner = peek_link(services, session, secret, "activate")
    if owner is None or owner.declined_at is not None:
        record_account_event(session, "activation-refused", owner, at=services.now(), why="link")
        return None, [reason("activation-link-unusable")]
    problems = [
        *_password_problems(password),
        *_two_factor_problems(two_factor, totp_secret, totp_code),
    ]
    if problems:
        why = ",".join(p.code for p in problems)
        record_account_event(session, "activation-refused", owner, at=services.now(), why=why)
        return None, problems
    if redeem_link(services, session, secret, "activate") is None:
        return None, [reason("activation-link-unusable")]
    owner.password_hash = hash_password(password)
    owner.two_factor = two_factor
    owner.totp_secret = totp_secret if two_factor == "app" else None
    owner.is_active = True
    owner.activated_at = services.now()
    owner.failed_codes = 0
    record_account_event(session, "activated", owner, at=services.now(), two_factor=two_factor)
    session.flush()
    return owner, [reason("account-activated")]


def start_password_reset(services: Services, session: Session, email: str) -> None:
    """Email a reset link to an active account; for any other address, nothing (the page says
    the same either way). At most `RESETS_PER_HOUR` links an hour for one account."""
    owner = find_professional(session, email)
    if owner is None or not owner.is_active:
        return
    if _resets_in_last_hour(services, session, owner) >= RESETS_PER_HOUR:
        record_account_event(session, "password-reset-limited", owner, at=services.now())
        return
    link = issue_link(services, session, owner, "reset-password")
    record_account_event(session, "password-reset-requested", owner, at=services.now())
    send_reply(
        services,
        session,
        "password_reset_link",
        Thread(owner.email, None, (), None),
        {
            "name": owner.name,
            "link": link,
            "minutes": int(LIFETIMES["reset-password"].total_seconds() // 60),
        },
        auto_submitted="auto-generated",
    )


def reset_password(
    services: Services, session: Session, secret: str, password: str
) -> tuple[Professional | None, list[Reason]]:
    """A new password through a reset link, used once; None and why not otherwise."""
    owner = peek_link(services, session, secret, "reset-password")
    if owner is None or not owner.is_active:
        return None, [reason("reset-link-unusable")]
    problems = _password_problems(password)
    if problems:
        return None, problems
    if redeem_link(services, session, secret, "reset-password") is None:
        return None, [reason("reset-link-unusable")]
    owner.password_hash = hash_password(password)
    record_account_event(session, "password-reset", owner, at=services.now())
    session.flush()
    return owner, [reason("password-changed")]


def check_password(
    services: Services, session: Session, email: str, password: str
) -> Professional | None:
    """The account when `password` is its password and it may sign in (active, not locked);
    None otherwise, after the same scrypt work whether or not the address has an account."""
    owner = find_professional(session, email)
    stored = owner.password_hash if owner is not None and owner.password_hash else _NOBODY_HASH
    matches = verify_password(stored, password) and stored is not _NOBODY_HASH
    why = _refusal(services, owner, matches)
    actor = owner.email if owner is not None else (email or "")[:320] or SERVICE_ACTOR
    if why is not None:
        record_account_event(
            session, "sign-in-refused", owner, actor=actor, at=services.now(), why=why
        )
        session.flush()
        return None
    record_account_event(session, "password-accepted", owner, at=services.now())
    session.flush()
    return owner


def _refusal(services: Services, owner: Professional | None, matches: bool) -> str | None:
    if owner is None:
        return "unknown-address"
    if not owner.is_active:
        return "not-active"
    if is_locked(services, owner):
        return "locked"
    if not matches:
        return "wrong-password"
    return None


def _password_problems(password: str) -> list[Reason]:
    code = password_problem(password or "")
    return [reason(code, minimum=MIN_LENGTH)] if code else []


def _two_factor_problems(
    method: str | None, totp_secret: str | None, totp_code: str | None
) -> list[Reason]:
    if method not in TWO_FACTOR_METHODS:
        return [reason("two-factor-required")]
    if method == "app" and not (totp_secret and totp_code and totp_matches(totp_secret, totp_code)):
        return [reason("two-factor-app-unproven")]
    return []


def _resets_in_last_hour(services: Services, session: Session, owner: Professional) -> int:
    return session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.subject_type == "professional",
            AuditEntry.subject_id == str(owner.id),
            AuditEntry.action == "password-reset-requested",
            AuditEntry.at > services.now() - timedelta(hours=1),
        )
    )
