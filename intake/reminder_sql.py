"""The reminder run's set-wise statements: the day's plan of due dates, the claim of the advice
reminders it owes, the INSERT ... SELECT that queues their emails, and the dry run's listing.

The plan travels as one JSON parameter, unpacked by the database (json_each on SQLite,
json_to_recordset on PostgreSQL), and every statement is built once per dialect and run with
parameters: a run in `intake serve` neither rebuilds nor recompiles them.
"""

from __future__ import annotations

import functools
import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    FromClause,
    Select,
    String,
    and_,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from notifier.compose import mail_domain
from store import (
    AdviceRequest,
    AdviceStatus,
    Case,
    OutboxMessage,
    OutboxStatus,
    Professional,
    ReminderSent,
)

from .reminder_mail import ADVICE_REMINDER, subject_parts
from .services import Services

PLAN_COLUMNS = ("due_on", "kind", "fell_on", "subject_before", "subject_after")


def plan_document(thresholds: dict[date, tuple[str, date]], today: date) -> str:
    """The plan's rows as the JSON document `reminder_plan` unpacks: each due date's reminder
    kind, the day its threshold fell, and the subject's text around the references."""
    rows = []
    for due_on, (kind, fell_on) in thresholds.items():
        values = (
            due_on.isoformat(),
            kind,
            fell_on.isoformat(),
            *subject_parts(kind, due_on, today),
        )
        rows.append(dict(zip(PLAN_COLUMNS, values, strict=True)))
    return json.dumps(rows)


def reminder_plan(dialect: str) -> FromClause:
    """The plan (`plan_document`, bound as :plan when the statement runs) as a relation to join
    advice requests to by due date. One JSON parameter, unpacked by the database (json_each on
    SQLite, json_to_recordset on PostgreSQL), gives the run's statements one shape every day."""
    document = bindparam("plan", type_=String)
    if dialect == "postgresql":
        types = {"due_on": Date, "fell_on": Date}
        columns = [column(name, types.get(name, String)) for name in PLAN_COLUMNS]
        return (
            func.json_to_recordset(cast(document, JSON))
            .table_valued(*columns)
            .render_derived(name="plan", with_types=True)
        )
    # SQLite keeps dates as ISO text, which compares as the dates do. Materialised, so that
    # each row's JSON is read once rather than for every advice request joined to it.
    each = func.json_each(document).table_valued("value")
    return (
        select(*(func.json_extract(each.c.value, f"$.{name}").label(name) for name in PLAN_COLUMNS))
        .cte("plan")
        .prefix_with("MATERIALIZED")
    )


def owed_advice(plan: FromClause) -> Select[Any]:
    """Open advice requests owed a reminder by `plan` (selecting nothing yet: callers choose
    the columns); none for a threshold on or before the day the request went out."""
    return (
        select()
        .select_from(AdviceRequest)
        .join(plan, plan.c.due_on == AdviceRequest.due_on)
        .where(
            AdviceRequest.status == AdviceStatus.OPEN,
            or_(AdviceRequest.sent_on.is_(None), AdviceRequest.sent_on < plan.c.fell_on),
        )
    )


@dataclass(frozen=True)
class AdviceStatements:
    """The run's statements for one database dialect, built once: executed with the parameters
    plan, today, now (and for `queue`, message_id_suffix), they are compiled once per process."""

    claim: Any
    queue: Any
    listing: Select[Any]


@functools.cache
def advice_statements(dialect: str) -> AdviceStatements:
    plan = reminder_plan(dialect)
    owed = owed_advice(plan).add_columns(
        AdviceRequest.id,
        plan.c.kind,
        bindparam("today", type_=ReminderSent.sent_on.type),
        bindparam("now", type_=ReminderSent.created_at.type),
    )
    claim = (
        upsert_insert(dialect, ReminderSent.__table__)
        .from_select(["advice_request_id", "kind", "sent_on", "created_at"], owed)
        .on_conflict_do_nothing()
        .returning(ReminderSent.id)
    )
    listing = (
        owed_advice(plan)
        .add_columns(
            AdviceRequest.reference,
            AdviceRequest.due_on,
            Case.reference,
            Professional.email,
            plan.c.kind,
            ReminderSent.sent_on,
        )
        .join(Case, Case.id == AdviceRequest.case_id)
        .join(Professional, Professional.id == AdviceRequest.professional_id)
        .outerjoin(
            ReminderSent,
            and_(
                ReminderSent.advice_request_id == AdviceRequest.id,
                ReminderSent.kind == plan.c.kind,
            ),
        )
        .order_by(AdviceRequest.id)
    )
    return AdviceStatements(claim, advice_reminder_rows(plan, owed_advice(plan)), listing)


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


def dialect_of(session: Session) -> str:
    """ "sqlite" or "postgresql": the statements above differ between them."""
    return session.get_bind().dialect.name


def upsert_insert(dialect: str, model: Any) -> Any:
    """An INSERT into `model` that can take ON CONFLICT DO NOTHING (each dialect has its own)."""
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)
