"""Advice reminders as outbox rows: queued in bulk by the reminder run, composed when sent.

The run claims and queues a day's reminders with one INSERT ... SELECT: each row gets its
recipient, its subject, a Message-ID built from its advice request's id and the run, the advice
request, the reminder's kind and the run's day, and no body. The outbox sender composes the body
before the first attempt (`outbox_composer`), from the row and its advice request, as of the day
the reminder was claimed (`OutboxMessage.reminder_on`). So a run that queues a thousand reminders
writes a thousand short rows instead of rendering a thousand emails inside its transaction, and
each email is still fixed once, before it is first sent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from documents import issue_token
from intake.cases.timeline import shown_date
from intake.replies import plus_address
from intake.services import Services
from notifier import ComposedEmail, compose_email
from notifier.sender import Composer
from store import (
    AdviceRequest,
    Case,
    OutboxMessage,
    Professional,
)

ADVICE_REMINDER = "advice_reminder"


def subject_parts(kind: str, due_on: date, today: date) -> tuple[str, str]:
    """The subject of an advice reminder around its two references, which are all it names:
    `<before>ADV-… for case EHC-…<after>`."""
    before = "Overdue: advice " if kind.startswith("overdue-") else "Reminder: advice "
    if today > due_on:
        after = f" was due on {shown_date(due_on)}"
    elif today == due_on:
        after = " is due today"
    else:
        after = f" is due on {shown_date(due_on)}"
    return before, after


def compose_advice_reminder(
    services: Services, session: Session, row: OutboxMessage
) -> ComposedEmail:
    """The email of one queued advice reminder, as of the day it was claimed."""
    request = session.get(AdviceRequest, row.advice_request_id) if row.advice_request_id else None
    day, threshold = row.reminder_on, row.reminder_kind
    if request is None or day is None or threshold is None:
        raise LookupError(f"outbox row {row.id} names no advice reminder")
    professional = session.get(Professional, request.professional_id)
    case_reference = session.scalar(select(Case.reference).where(Case.id == request.case_id))
    # The Reply-To carries this request's token, so a reply without the form still finds it.
    token = issue_token(services.key, "advice", professional.id, request.id, today=day)
    context: dict[str, Any] = {
        "service_name": services.settings.service_name,
        "subject": row.subject,
        "name": professional.name,
        "threshold": threshold,
        "case_reference": case_reference,
        "advice_reference": request.reference,
        "due_on": shown_date(request.due_on),
        "days_left": (request.due_on - day).days,
        "days_overdue": (day - request.due_on).days,
    }
    return compose_email(
        ADVICE_REMINDER,
        context,
        sender=services.settings.address,
        to=row.to_address,
        instance=services.instance,
        reply_to=plus_address(services, token),
        auto_submitted="auto-generated",
        message_id=row.message_id,
    )


def outbox_composer(services: Services) -> Composer:
    """What the outbox sender composes rows queued without a body with, by their kind."""
    by_kind = {ADVICE_REMINDER: compose_advice_reminder}

    def compose(session: Session, row: OutboxMessage) -> ComposedEmail:
        composer = by_kind.get(row.kind)
        if composer is None:
            raise LookupError(f"no way to compose a queued {row.kind!r} email")
        return composer(services, session, row)

    return compose
