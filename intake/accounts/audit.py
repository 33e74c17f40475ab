"""The audit trail of accounts: who registered, activated, changed a password, signed in or
was locked out, and when. Never a password, a code or a link's secret.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store import AuditEntry, Professional

# The actor the audit log names for what the service decides on its own (as the outbox does).
SERVICE_ACTOR = "intake"


def record_account_event(
    session: Session,
    action: str,
    professional: Professional | None,
    *,
    actor: str | None = None,
    at=None,
    **detail: Any,
) -> None:
    """One audit entry about an account (or about an address with none, `professional` None):
    by default its owner is the actor."""
    session.add(
        AuditEntry(
            actor=actor or (professional.email if professional else SERVICE_ACTOR),
            action=action,
            subject_type="professional",
            subject_id=str(professional.id) if professional else "none",
            detail={k: v for k, v in detail.items() if v is not None},
            **({"at": at} if at is not None else {}),
        )
    )
