"""The intake queue: what needs a caseworker, as lists of one kind each (held mail, mail waiting
for its sender's code, forms sent back with problems, failed mail, overdue advice, new requests,
deadlines at risk, mail we could not send), newest first. `intake queue` and the web queue read
the same statements; the web takes one page of one list at a time, with every list's count.

Each list is one indexed statement (store/migrations 0009): a page of 50 and a count cost the
rows of that list, not the million messages or hundred thousand cases around them. The text
search narrows a list by a case or advice reference or a whole address (along an index), or by
part of a sender's address, which reads the whole of the list it narrows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from intake.cases.timeline import (
    REQUEST_RECEIVED,
    STAGE_BY_CODE,
    STAGES_MEETING,
    STATUTORY_LIMITS,
    StageCode,
)
from intake.outcomes import outcome_from
from notifier import RATE_LIMITED_ACTION
from store import (
    AdviceRequest,
    AdviceStatus,
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Professional,
    open_case,
)

PAGE_SIZE = 50
# A new case's stage: its code, or its display name as stored before codes were.
NOT_YET_DECIDED = (StageCode.REQUEST_RECEIVED.value, REQUEST_RECEIVED)
# What a caseworker must look at: held mail, mail that failed, and forms waiting for proof.
NEEDS_A_PERSON = (
    InboundStatus.QUARANTINED,
    InboundStatus.AWAITING_VERIFICATION,
    InboundStatus.FAILED,
    InboundStatus.PARKED,
)
# A statutory milestone is at risk from 7 days before it is due until the case meets it; the
# reminder run's deadline watch warns on the same rule.
DEADLINE_NOTICE = timedelta(days=7)
# Mail the outbox's loop breaker held back, or that failed for good, is shown for a week: long
# enough to be seen and acted on, short enough that a mail loop long stopped (or a relay fault
# long mended) does not fill the queue for ever. `intake outbox --status failed` lists them all.
HELD_MAIL_SHOWN_FOR = timedelta(days=7)
REFERENCE = re.compile(r"^(EHC|ADV)-\d{4}-\d{6}$")
WHOLE_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Asked:
    """What a list is asked for: the day and moment it is read, and the search, if any."""

    today: date
    now: datetime
    search: str = ""

    @property
    def reference(self) -> str | None:
        wanted = self.search.strip().upper()
        return wanted if REFERENCE.match(wanted) else None

    @property
    def address_part(self) -> str:
        return self.search.strip().lower()

    @property
    def whole_address(self) -> str | None:
        wanted = self.address_part
        return wanted if WHOLE_ADDRESS.fullmatch(wanted) else None


def queue_row(
    kind: str,
    row_id: object,
    status: str,
    at: datetime | date,
    sender: str | None,
    summary: str,
    reference: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """One line of `intake queue --json`: every kind of row has these keys (a case has no
    `reference` but itself); messages add their subject and reasons."""
    row = {"type": kind, "id": row_id, "status": status, "received_at": at.isoformat()}
    row["from"] = sender
    if reference is not None:
        row["reference"] = reference
    return {**row, **more, "summary": summary}


# --- messages ---------------------------------------------------------------------------------


def _messages_where(statuses: tuple[InboundStatus, ...] | None, asked: Asked) -> list[Any]:
    where = [] if statuses is None else [InboundMessage.status.in_(statuses)]
    if asked.reference:
        case_id = select(Case.id).where(Case.reference == asked.reference).scalar_subquery()
        where.append(InboundMessage.case_id == case_id)
    elif asked.whole_address:
        # Along the sender's index: a whole address costs that sender's messages.
        where.append(InboundMessage.from_address == asked.whole_address)
    elif asked.address_part:
        sender = func.lower(InboundMessage.from_address)
        where.append(sender.contains(asked.address_part, autoescape=True))
    return where


NEWEST_FIRST = (InboundMessage.received_at.desc(), InboundMessage.id.desc())


def messages_of(statuses: tuple[InboundStatus, ...] | None) -> Callable[[Asked], Select]:
    """The statement for messages of `statuses` (None: every message), newest first."""

    def statement(asked: Asked) -> Select:
        return (
            select(InboundMessage, Case.reference)
            .outerjoin(Case, Case.id == InboundMessage.case_id)
            .where(*_messages_where(statuses, asked))
            .order_by(*NEWEST_FIRST)
        )

    return statement


def messages_counted(statuses: tuple[InboundStatus, ...]) -> Callable[[Asked], Select]:
    """The messages of `statuses` to count: without the join to their case's reference, which
    changes no count but made SQLite read each message's row, not just the status index."""

    def statement(asked: Asked) -> Select:
        return select(InboundMessage.id).where(*_messages_where(statuses, asked))

    return statement


def page_of_messages(statuses: tuple[InboundStatus, ...]) -> Callable[[Asked, int, int], Select]:
    """One page of messages of several statuses: the newest of each status taken along its own
    index and merged, so the page costs its rows, not a sort of every message of the list."""

    def statement(asked: Asked, limit: int, offset: int) -> Select:
        newest = [
            select(InboundMessage.id, InboundMessage.received_at)
            .where(*_messages_where((status,), asked))
            .order_by(*NEWEST_FIRST)
            .limit(offset + limit)
            .subquery()
            for status in statuses
        ]
        merged = union_all(*(select(n.c.id) for n in newest)).subquery()
        return (
            messages_of(None)(Asked(asked.today, asked.now))
            .where(InboundMessage.id.in_(select(merged.c.id)))
            .limit(limit)
            .offset(offset)
        )

    return statement


def message_rows(found: list[tuple[InboundMessage, str | None]]) -> list[dict[str, Any]]:
    rows = []
    for message, reference in found:
        outcome = outcome_from(message, reference)
        summary = "; ".join(r["message"] for r in outcome.reasons)[:300]
        row = queue_row(
            "message", message.id, outcome.status, message.received_at, message.from_address,
            summary,
        )  # fmt: skip
        row.update(
            subject=message.subject,
            reference=outcome.reference,
            reasons=outcome.as_dict()["reasons"],
        )
        rows.append(row)
    return rows


# --- cases and advice -------------------------------------------------------------------------


def cases_searched(found: Select, asked: Asked) -> Select:
    if asked.reference:
        return found.where(Case.reference == asked.reference)
    if asked.address_part:
        requester = select(Professional.id).where(
            func.lower(Professional.email).contains(asked.address_part, autoescape=True)
        )
        return found.where(Case.requested_by_id.in_(requester))
    return found


def new_requests(asked: Asked) -> Select:
    """Cases not yet decided, newest first."""
    found = select(Case).where(Case.stage.in_(NOT_YET_DECIDED))
    found = cases_searched(found, asked)
    return found.order_by(Case.created_at.desc(), Case.id.desc())


def case_rows(cases: list[Case]) -> list[dict[str, Any]]:
    return [
        queue_row(
            "case", c.reference, c.stage, c.created_at, c.requested_by.email,
            f"day 0 {c.day0.isoformat()}",
        )
        for c in cases
    ]  # fmt: skip


def stage_values(codes) -> list[str]:
    return sorted(v for code in codes for v in (code.value, STAGE_BY_CODE[code].name))


def deadlines_at_risk(asked: Asked) -> Select:
    """Open cases with a statutory milestone within DEADLINE_NOTICE or missed and not met at
    their stage, newest first; `milestone` is the latest such milestone's code."""
    at_risk = [
        (
            limit.code,
            and_(
                Case.stage.not_in(stage_values(STAGES_MEETING[limit.code])),
                Case.day0 <= asked.today + DEADLINE_NOTICE - timedelta(weeks=limit.weeks),
            ),
        )
        for limit in STATUTORY_LIMITS
    ]
    milestone = case(*((condition, literal(code)) for code, condition in reversed(at_risk)))
    found = select(Case, milestone.label("milestone")).where(
        open_case(), or_(*(c for _, c in at_risk))
    )
    found = cases_searched(found, asked)
    return found.order_by(Case.day0.desc(), Case.id.desc())


def deadline_rows(found: list[tuple[Case, str]], today: date) -> list[dict[str, Any]]:
    limits = {limit.code: limit for limit in STATUTORY_LIMITS}
    rows = []
    for c, code in found:
        limit = limits[code]
        due = c.day0 + timedelta(weeks=limit.weeks)
        state = f"{(today - due).days} day(s) overdue" if due < today else f"due {due.isoformat()}"
        rows.append(
            queue_row(
                "deadline", c.reference, "at-risk", c.created_at, c.requested_by.email,
                f"{limit.label}: {state}", milestone=code, due=due.isoformat(),
            )
        )  # fmt: skip
    return rows


def overdue_advice(asked: Asked) -> Select:
    """Advice requests still open after their due date, the most recently due first.

    Joined to their case only to search by its reference: every advice request has its case, so
    the join changes no row, but PostgreSQL, guessing many overdue, hashed every case to count
    them."""
    found = select(AdviceRequest).where(
        AdviceRequest.status == AdviceStatus.OPEN, AdviceRequest.due_on < asked.today
    )
    if asked.reference:
        asked_for = aliased(Case)
        found = found.join(asked_for, asked_for.id == AdviceRequest.case_id).where(
            or_(AdviceRequest.reference == asked.reference, asked_for.reference == asked.reference)
        )
    elif asked.address_part:
        adviser = select(Professional.id).where(
            func.lower(Professional.email).contains(asked.address_part, autoescape=True)
        )
        found = found.where(AdviceRequest.professional_id.in_(adviser))
    return found.order_by(AdviceRequest.due_on.desc(), AdviceRequest.id.desc())


def advice_rows(requests: list[AdviceRequest], today: date) -> list[dict[str, Any]]:
    return [
        queue_row(
            "advice",
            a.reference,
            "overdue",
            a.sent_on,
            a.professional.email,
            f"{a.advice_type} advice for {a.case.reference} was due {a.due_on.isoformat()}:"
            f" {(today - a.due_on).days} day(s) overdue",
            a.case.reference,
        )
        for a in requests
    ]


# --- mail we could not send -------------------------------------------------------------------


def held_mail(now: datetime) -> Select:
    """The audit entries of replies held back lately (along the index on action and time)."""
    return (
        select(AuditEntry)
        .where(AuditEntry.action == RATE_LIMITED_ACTION, AuditEntry.at >= now - HELD_MAIL_SHOWN_FOR)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def held_mail_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Replies the per-recipient rate limit held back: never sent, so a person must look."""
    held = session.scalars(held_mail(now))
    return [
        queue_row(
            "held-mail",
            entry.id,
            "rate-limited",
            entry.at,
            entry.detail.get("recipient"),
            f"{entry.detail.get('kind')} email to {entry.detail.get('recipient')} not sent:"
            f" {held_because(entry.detail)}",
            f"{entry.subject_type} {entry.subject_id}",
        )
        for entry in held
    ]


def held_because(detail: dict[str, Any]) -> str:
    """Which rate limit held an email back, from its audit entry (`notifier.outbox.enqueue`)."""
    if (
        detail.get("per_hour") is not None
        and detail.get("queued_last_hour", 0) >= detail["per_hour"]
    ):
        return (
            f"{detail['queued_last_hour']} already queued to them in an hour"
            f" (limit {detail['per_hour']})"
        )
    return (
        f"{detail.get('same_reason_last_day')} replies for {detail.get('reason')} already queued"
        f" to them in a day (limit {detail.get('per_reason_per_day')})"
    )


def undelivered_mail_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Outbox mail that failed for good (refused by the relay, out of retries, or impossible to
    compose): the professional never got it, so a person must look."""
    failed = session.execute(
        select(OutboxMessage, Case.reference)
        .outerjoin(Case, Case.id == OutboxMessage.case_id)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.created_at >= now - HELD_MAIL_SHOWN_FOR,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    return [
        queue_row(
            "undelivered-mail",
            row.id,
            "failed",
            row.created_at,
            row.to_address,
            f"{row.kind} email to {row.to_address} not delivered: {row.last_error}",
            case_reference
            or (f"inbound_message {row.inbound_message_id}" if row.inbound_message_id else None),
        )
        for row, case_reference in failed
    ]


def unsent_mail_rows(session: Session, asked: Asked) -> list[dict[str, Any]]:
    """Held and undelivered mail of the last week (a short list: it is searched here)."""
    rows = held_mail_rows(session, asked.now) + undelivered_mail_rows(session, asked.now)
    wanted = asked.reference or asked.address_part
    if wanted:
        rows = [
            r
            for r in rows
            if wanted == (r.get("reference") or "").upper() or wanted in (r["from"] or "").lower()
        ]
    return sorted(rows, key=lambda r: r["received_at"], reverse=True)
