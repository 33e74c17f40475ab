"""The reminder run's set-wise statements: the day's plan of due dates, the INSERT ... SELECT that
claims the advice reminders it owes by queueing their emails, and the dry run's listing.

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
    any_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from intake.reminders.mail import ADVICE_REMINDER, subject_parts
from intake.services import Services
from notifier.compose import mail_domain
from store import (
    AdviceRequest,
    AdviceStatus,
    Case,
    OutboxMessage,
    OutboxStatus,
    Professional,
)

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


def planned_advice(dialect: str, plan: FromClause) -> Select[Any]:
    """Advice requests due on the dates of `plan`, whatever their state, with their cases and
    professionals (selecting nothing yet: callers choose the columns)."""
    selected = (
        select()
        .select_from(AdviceRequest)
        .join(plan, plan.c.due_on == AdviceRequest.due_on)
        .join(Case, Case.id == AdviceRequest.case_id)
        .join(Professional, Professional.id == AdviceRequest.professional_id)
    )
    if dialect == "postgresql":
        # PostgreSQL guesses 100 rows for any JSON recordset and so reads the whole table; the
        # same dates as an array (:due_dates) it estimates from its statistics, through the
        # due-date index. SQLite's plan already starts from the plan's dates.
        dates = bindparam("due_dates", type_=postgresql.ARRAY(Date))
        selected = selected.where(AdviceRequest.due_on == any_(dates))
    return selected


def owed_advice(dialect: str, plan: FromClause) -> Select[Any]:
    """The open advice requests of `planned_advice` owed a reminder by `plan`: none for a
    threshold on or before the day the request went out."""
    return planned_advice(dialect, plan).where(
        open_request(dialect),
        or_(AdviceRequest.sent_on.is_(None), AdviceRequest.sent_on < plan.c.fell_on),
    )


def open_request(dialect: str) -> Any:
    """`status = 'open'`. On SQLite written `+status`, which SQLite's planner takes as a sign to
    serve the test from no index: it has no statistics on the plan's dates, and given the queue's
    index on (status, due_on) it would read every open request in due-date order (600 ms for
    100,000) instead of starting from the plan's few dates (8 ms)."""
    if dialect == "sqlite":
        return literal_column(f"+{AdviceRequest.__tablename__}.status") == AdviceStatus.OPEN.value
    return AdviceRequest.status == AdviceStatus.OPEN


@dataclass(frozen=True)
class AdviceStatements:
    """The run's statements for one database dialect, built once: executed with the parameters
    plan, due_dates (the plan's), today, now and `message_id_parts` (each uses those it names),
    they are compiled once per process.

    - `claim` claims and queues the owed reminders and returns those it claimed
      (`advice_reminder_claim`);
    - `listing` lists the owed reminders, with the day each was claimed if it was (a dry run);
    - `claimed_on_the_day` counts the plan's reminders claimed on `today`, by any run.
    """

    claim: Any
    listing: Select[Any]
    claimed_on_the_day: Select[Any]


@functools.cache
def advice_statements(dialect: str) -> AdviceStatements:
    plan = reminder_plan(dialect)
    claimed_by = and_(
        OutboxMessage.advice_request_id == AdviceRequest.id,
        OutboxMessage.reminder_kind == plan.c.kind,
    )
    described = (
        plan.c.kind,
        Case.reference,
        AdviceRequest.reference,
        Professional.email,
        AdviceRequest.due_on,
    )
    listing = (
        owed_advice(dialect, plan)
        .add_columns(*described, OutboxMessage.reminder_on)
        .outerjoin(OutboxMessage, claimed_by)
        .order_by(AdviceRequest.id)
    )
    # What was claimed stays claimed, whatever became of the request since: not `owed_advice`.
    claimed_on_the_day = (
        planned_advice(dialect, plan)
        .add_columns(func.count())
        .join(OutboxMessage, claimed_by)
        .where(OutboxMessage.reminder_on == bindparam("today", type_=Date))
    )
    return AdviceStatements(
        advice_reminder_claim(dialect, plan, owed_advice(dialect, plan)),
        listing,
        claimed_on_the_day,
    )


def message_id_parts(services: Services) -> dict[str, str]:
    """The parameters around a reminder's advice request id in its Message-ID:
    `<reminder.RANDOM.ID@domain>`, with a fresh random part per run, so ids are unique across
    runs and installations too; never the instance marker (which marks our own mail when it
    comes back, and so stays private). The run's part comes first so that its ids sit together
    in the Message-ID index rather than scattered among earlier runs' ids: fewer pages written.
    """
    return {
        "message_id_prefix": f"<reminder.{secrets.token_hex(8)}.",
        "message_id_suffix": f"@{mail_domain(services.settings.address)}>",
    }


def advice_reminder_claim(dialect: str, plan: FromClause, owed: Select[Any]) -> Any:
    """The statement that claims and queues the advice reminders `plan` owes, one outbox row
    each, in one INSERT ... SELECT ... ON CONFLICT DO NOTHING: the row's unique key (advice
    request, reminder kind) turns a reminder claimed before into nothing, and the RETURNING
    clause gives back each row inserted, as (advice request id, kind, case reference, advice
    reference, recipient, due date, outbox id). Each row gets its recipient, subject and
    Message-ID, and no body: the outbox sender composes it (`intake.reminders.mail`). `owed` is
    the run's selection of advice requests (`owed_advice`), driven from the plan's due dates
    through the due-date index. Parameters: plan, due_dates, today, now and `message_id_parts`.
    """
    columns = {
        "created_at": bindparam("now", type_=OutboxMessage.created_at.type),
        "kind": literal(ADVICE_REMINDER),
        "to_address": Professional.email,
        "subject": plan.c.subject_before
        + AdviceRequest.reference
        + " for case "
        + Case.reference
        + plan.c.subject_after,
        # One reminder per request in a run, and a fresh random part each run: unique.
        "message_id": bindparam("message_id_prefix", type_=String)
        + cast(AdviceRequest.id, String)
        + bindparam("message_id_suffix", type_=String),
        "raw": null(),
        "status": literal(OutboxStatus.PENDING.value),
        "attempts": literal(0),
        "case_id": AdviceRequest.case_id,
        "advice_request_id": AdviceRequest.id,
        "reminder_kind": plan.c.kind,
        "reminder_on": bindparam("today", type_=Date),
    }
    outbox = OutboxMessage.__table__

    def looked_up(wanted: Any, model: Any, by: str) -> Any:
        # A subquery by primary key per row returned, as a RETURNING clause names only the
        # table inserted into (a second statement to read the references would cost a query).
        # Spelt out, table and all: SQLAlchemy writes RETURNING's columns without their table,
        # which would make both sides of the comparison the subquery's own.
        key = literal_column(f"{model.__tablename__}.id")
        return (
            select(wanted)
            .select_from(model)
            .where(key == literal_column(f"{outbox.name}.{by}"))
            .scalar_subquery()
        )

    # On the table: executed with parameters, the ORM would take them for rows to insert.
    return (
        upsert_insert(dialect, outbox)
        .from_select(list(columns), owed.add_columns(*columns.values()))
        .on_conflict_do_nothing()
        .returning(
            outbox.c.advice_request_id,
            outbox.c.reminder_kind,
            looked_up(Case.reference, Case, "case_id"),
            looked_up(AdviceRequest.reference, AdviceRequest, "advice_request_id"),
            outbox.c.to_address,
            looked_up(AdviceRequest.due_on, AdviceRequest, "advice_request_id"),
            outbox.c.id,
        )
    )


def dialect_of(session: Session) -> str:
    """ "sqlite" or "postgresql": the statements above differ between them."""
    return session.get_bind().dialect.name


def upsert_insert(dialect: str, model: Any) -> Any:
    """An INSERT into `model` that can take ON CONFLICT DO NOTHING (each dialect has its own)."""
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)
