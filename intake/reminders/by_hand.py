"""A reminder a caseworker sends now, by hand, for one open advice request: queued as the reminder
run queues its own (an `advice_reminder` outbox row without a body, composed by the outbox sender
through `intake.reminders.mail`), so it reads and threads like any other reminder.

Its kind is `by-hand-N`, N counting this request's reminders sent by hand, so it never takes the
place of a threshold the run still owes; the unique key (advice request, kind) makes a form sent
twice at once queue one email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.reminders.mail import ADVICE_REMINDER, subject_parts
from intake.reminders.sql import dialect_of, message_id_parts, upsert_insert
from intake.services import Services
from store import AdviceRequest, AdviceStatus, AuditEntry, Case, OutboxMessage, OutboxStatus

BY_HAND = "by-hand-"
SENT_BY_HAND_ACTION = "advice-reminder-sent-by-hand"


@dataclass(frozen=True)
class ReminderByHand:
    """The outbox row queued, or why none was: `not-open` (answered, covered or withdrawn) or
    `just-queued` (the same form sent twice at once: the other queued it)."""

    outbox_id: int | None
    kind: str | None = None
    refusal: str | None = None


def send_reminder_now(
    services: Services, session: Session, request: AdviceRequest, *, actor: str, today: date
) -> ReminderByHand:
    """Queue a reminder for `request` in `session`'s transaction, if it is still open."""
    if request.status != AdviceStatus.OPEN or request.due_on is None:
        return ReminderByHand(None, refusal="not-open")
    sent_before = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.advice_request_id == request.id,
            OutboxMessage.reminder_kind.like(BY_HAND + "%"),
        )
    )
    kind = f"{BY_HAND}{sent_before + 1}"
    case_reference = session.scalar(select(Case.reference).where(Case.id == request.case_id))
    before, after = subject_parts(kind, request.due_on, today)
    parts = message_id_parts(services)
    outbox_id = session.scalar(
        upsert_insert(dialect_of(session), OutboxMessage)
        .values(
            created_at=services.now(),
            kind=ADVICE_REMINDER,
            to_address=request.professional.email,
            subject=f"{before}{request.reference} for case {case_reference}{after}",
            message_id=f"{parts['message_id_prefix']}{request.id}{parts['message_id_suffix']}",
            raw=None,
            status=OutboxStatus.PENDING,
            attempts=0,
            case_id=request.case_id,
            advice_request_id=request.id,
            reminder_kind=kind,
            reminder_on=today,
        )
        .on_conflict_do_nothing()
        .returning(OutboxMessage.id)
    )
    if outbox_id is None:
        return ReminderByHand(None, refusal="just-queued")
    session.add(
        AuditEntry(
            actor=actor,
            action=SENT_BY_HAND_ACTION,
            subject_type="advice_request",
            subject_id=request.reference,
            detail={"kind": kind, "outbox_id": outbox_id},
        )
    )
    return ReminderByHand(outbox_id, kind)
