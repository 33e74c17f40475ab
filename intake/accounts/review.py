"""A caseworker's review of the registrations waiting: the accounts not yet active and not
declined, approved (a fresh activation link emailed) or declined with a reason (emailed, and
the account's links no longer open it). Each decision is made once and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.accounts.audit import record_account_event
from intake.accounts.registration import send_activation_link
from intake.replies import Thread, send_reply
from intake.services import Services
from store import LinkToken, Professional

DECLINED_TEMPLATE = "registration_declined"
# Professional.declined_reason's width.
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class Waiting:
    """One registration waiting, with when its latest activation link stops working."""

    professional: Professional
    link_expires_at: datetime | None


def waiting_condition():
    return Professional.is_active.is_(False) & Professional.declined_at.is_(None)


def count_waiting(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Professional).where(waiting_condition()))


def registrations_waiting(session: Session, *, limit: int, offset: int = 0) -> list[Waiting]:
    """Accounts waiting, newest first, each with its latest unused activation link's expiry."""
    latest_link = (
        select(LinkToken.professional_id, func.max(LinkToken.expires_at).label("expires_at"))
        .where(LinkToken.purpose == "activate", LinkToken.used_at.is_(None))
        .group_by(LinkToken.professional_id)
        .subquery()
    )
    rows = session.execute(
        select(Professional, latest_link.c.expires_at)
        .outerjoin(latest_link, latest_link.c.professional_id == Professional.id)
        .where(waiting_condition())
        .order_by(Professional.created_at.desc(), Professional.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [Waiting(professional, expires) for professional, expires in rows]


def _waiting(session: Session, professional_id: int) -> Professional | None:
    return session.scalar(
        select(Professional)
        .where(Professional.id == professional_id, waiting_condition())
        .with_for_update()
    )


def approve_registration(
    services: Services, session: Session, professional_id: int, *, actor: str
) -> Professional | None:
    """A fresh activation link emailed to the registration waiting; None if none waits."""
    professional = _waiting(session, professional_id)
    if professional is None:
        return None
    record_account_event(
        session, "registration-approved", professional, actor=actor, at=services.now()
    )
    send_activation_link(services, session, professional, None, ())
    return professional


def decline_registration(
    services: Services, session: Session, professional_id: int, *, actor: str, why: str
) -> Professional | None:
    """The registration declined for `why`, which is emailed to the person; None if none waits.
    The account stays, inactive, so the address cannot simply register again."""
    professional = _waiting(session, professional_id)
    if professional is None:
        return None
    professional.declined_at = services.now()
    professional.declined_reason = why[:MAX_REASON_LENGTH]
    record_account_event(
        session, "registration-declined", professional, actor=actor, at=services.now(), why=why
    )
    send_reply(
        services,
        session,
        DECLINED_TEMPLATE,
        Thread(professional.email, None, (), None),
        {"name": professional.name, "why": why},
        auto_submitted="auto-generated",
    )
    return professional
