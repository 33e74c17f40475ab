"""Advice reminders as outbox rows: queued in bulk by the reminder run, composed when sent.

The run queues a day's reminders with one INSERT ... SELECT: each row gets its recipient, its
subject and a Message-ID built from its reminder's id, and no body. The outbox sender composes
the body before the first attempt (`outbox_composer`), from the reminder row and its advice
request, as they were on the day the reminder was claimed (`ReminderSent.sent_on`). So a run
that queues a thousand reminders writes a thousand short rows instead of rendering a thousand
emails inside its transaction, and each email is still fixed once, before it is first sent.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import (
    FromClause,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from documents import issue_token
from notifier import ComposedEmail, compose_email
from notifier.compose import mail_domain
from notifier.sender import Composer
from store import (
    AdviceRequest,
    Case,
    OutboxMessage,
    OutboxStatus,
    Professional,
    ReminderSent,
)

from .replies import plus_address
from .services import Services

ADVICE_REMINDER = "advice_reminder"


def shown_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


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


def message_id_suffix(services: Services) -> str:
    """What follows a queued reminder's id in its Message-ID: a fresh random part per run, so
    ids are unique across installations too, never the instance marker (which marks our own
    mail when it comes back, and so stays private)."""
    return f".{secrets.token_hex(8)}@{mail_domain(services.settings.address)}>"


def advice_reminder_rows(plan: FromClause, owed: Select[Any]) -> Any:
    """The statement that queues one email for each advice reminder of `plan` that is claimed
    but has no email yet: those the run has just claimed, since every earlier claim was queued
    in its own claim's transaction. `owed` is the run's selection of advice requests
    (`intake.reminders.owed_advice`), which drives it from the plan's due dates through the
    due-date index. Parameters: plan, now, message_id_suffix."""
    columns = {
        "created_at": bindparam("now", type_=OutboxMessage.created_at.type),
        "kind": literal(ADVICE_REMINDER),
        "to_address": Professional.email,
        "subject": plan.c.subject_before
        + AdviceRequest.reference
        + " for case "
        + Case.reference
        + plan.c.subject_after,
        "message_id": literal("<reminder-")
        + cast(ReminderSent.id, String)
        + bindparam("message_id_suffix", type_=String),
        "raw": null(),
        "status": literal(OutboxStatus.PENDING.value),
        "attempts": literal(0),
        "case_id": AdviceRequest.case_id,
        "reminder_id": ReminderSent.id,
    }
    rows = (
        owed.add_columns(*columns.values())
        .join(
            ReminderSent,
            and_(
                ReminderSent.advice_request_id == AdviceRequest.id,
                ReminderSent.kind == plan.c.kind,
            ),
        )
        .join(Case, Case.id == AdviceRequest.case_id)
        .join(Professional, Professional.id == AdviceRequest.professional_id)
        .where(~exists().where(OutboxMessage.reminder_id == ReminderSent.id))
    )
    # On the table: executed with parameters, the ORM would take them for rows to insert.
    return insert(OutboxMessage.__table__).from_select(list(columns), rows)


def compose_advice_reminder(
    services: Services, session: Session, row: OutboxMessage
) -> ComposedEmail:
    """The email of one queued advice reminder, as of the day it was claimed."""
    reminder = session.get(ReminderSent, row.reminder_id) if row.reminder_id else None
    request = session.get(AdviceRequest, reminder.advice_request_id) if reminder else None
    if reminder is None or request is None:
        raise LookupError(f"outbox row {row.id} names no advice reminder")
    professional = session.get(Professional, request.professional_id)
    case_reference = session.scalar(select(Case.reference).where(Case.id == request.case_id))
    day = reminder.sent_on
    # The Reply-To carries this request's token, so a reply without the form still finds it.
    token = issue_token(services.key, "advice", professional.id, request.id, today=day)
    context: dict[str, Any] = {
        "service_name": services.settings.service_name,
        "subject": row.subject,
        "name": professional.name,
        "threshold": reminder.kind,
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
