"""Changing how a signed-in account proves it is its owner at sign-in: codes by email, or an
authenticator app enrolled afresh (its first code proves the new secret was scanned).

The account's password is asked again, so a session left open on a shared computer cannot
change it; every change, and every refusal, is in the audit log.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.accounts.activation import _two_factor_problems
from intake.accounts.audit import record_account_event
from intake.accounts.passwords import verify_password
from intake.reasons import Reason, reason
from intake.services import Services
from store import Professional


def change_two_step(
    services: Services,
    session: Session,
    professional: Professional,
    *,
    password: str,
    method: str | None,
    totp_secret: str | None = None,
    totp_code: str | None = None,
) -> list[Reason]:
    """Set the account's two-step method; [] when done, else every reason why not."""
    account = session.get(Professional, professional.id)
    problems = _two_factor_problems(method, totp_secret, totp_code)
    if not verify_password(account.password_hash, password or ""):
        problems.insert(0, reason("current-password-wrong", field="current_password"))
    if problems:
        why = ",".join(p.code for p in problems)
        record_account_event(
            session, "two-step-change-refused", account, at=services.now(), why=why
        )
        return problems
    account.two_factor = method
    account.totp_secret = totp_secret if method == "app" else None
    record_account_event(session, "two-step-changed", account, at=services.now(), two_factor=method)
    session.flush()
    return []
