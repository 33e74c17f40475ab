"""Cases and the intake queue as the CLI (and later the dashboard) shows them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from intake.cases.timeline import (
    REQUEST_RECEIVED,
    StageCode,
    allowed_moves,
    case_clock,
    stage_code,
    stage_name,
)
from intake.outcomes import outcome_of
from intake.services import Services
from notifier import RATE_LIMITED_ACTION
from store import (
    AdviceRequest,
    AdviceStatus,
    Attachment,
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Submission,
    TimelineEvent,
)

# A new case's stage: its code, or its display name as stored before codes were.
NOT_YET_DECIDED = (StageCode.REQUEST_RECEIVED.value, REQUEST_RECEIVED)

# What a caseworker must look at: held mail, mail that failed, and forms waiting for proof.
NEEDS_A_PERSON = (
    InboundStatus.QUARANTINED,
    InboundStatus.AWAITING_VERIFICATION,
    InboundStatus.FAILED,
    InboundStatus.PARKED,
)


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


def queue_rows(services: Services, status: str | None) -> list[dict[str, Any]]:
    """Messages needing a person (or of one status, or all), then, in the default queue, replies
    the rate limit held back, mail that could not be delivered, advice that is overdue, and
    cases not yet decided."""
    with services.db.session() as session:
        statement = select(InboundMessage).order_by(InboundMessage.received_at)
        if status and status != "all":
            statement = statement.where(InboundMessage.status == InboundStatus(status))
        elif not status:
            statement = statement.where(InboundMessage.status.in_(NEEDS_A_PERSON))
        messages = list(session.scalars(statement))
        cases = (
            []
            if status
            else list(
                session.scalars(
                    select(Case).where(Case.stage.in_(NOT_YET_DECIDED)).order_by(Case.id)
                )
            )
        )
        case_rows = [
            queue_row(
                "case", c.reference, c.stage, c.created_at, c.requested_by.email,
                f"day 0 {c.day0.isoformat()}",
            )
            for c in cases
        ]  # fmt: skip
        advice_rows = [] if status else overdue_advice_rows(session, services.today())
        held_rows = [] if status else held_mail_rows(session, services.now())
        held_rows += [] if status else undelivered_mail_rows(session, services.now())
        ids = [(m.id, m.received_at, m.from_address, m.subject) for m in messages]
    rows = []
    for inbound_id, received_at, sender, subject in ids:
        outcome = outcome_of(services, inbound_id)
        summary = "; ".join(r["message"] for r in outcome.reasons)[:300]
        row = queue_row("message", inbound_id, outcome.status, received_at, sender, summary)
        row.update(
            subject=subject, reference=outcome.reference, reasons=outcome.as_dict()["reasons"]
        )
        rows.append(row)
    return rows + held_rows + advice_rows + case_rows


# Mail the outbox's loop breaker held back, or that failed for good, is shown for a week: long
# enough to be seen and acted on, short enough that a mail loop long stopped (or a relay fault
# long mended) does not fill the queue for ever. `intake outbox --status failed` lists them all.
HELD_MAIL_SHOWN_FOR = timedelta(days=7)


def held_mail_rows(session, now: datetime) -> list[dict[str, Any]]:
    """Replies the per-recipient rate limit held back: never sent, so a person must look."""
    held = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == RATE_LIMITED_ACTION, AuditEntry.at >= now - HELD_MAIL_SHOWN_FOR)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return [
        queue_row(
            "held-mail",
            entry.id,
            "rate-limited",
            entry.at,
            entry.detail.get("recipient"),
            f"{entry.detail.get('kind')} email to {entry.detail.get('recipient')} not sent:"
            f" {entry.detail.get('queued_last_hour')} already queued to them in an hour"
            f" (limit {entry.detail.get('per_hour')})",
            f"{entry.subject_type} {entry.subject_id}",
        )
        for entry in held
    ]


def undelivered_mail_rows(session, now: datetime) -> list[dict[str, Any]]:
    """Outbox mail that failed for good (refused by the relay, out of retries, or impossible to
    compose): the professional never got it, so a person must look."""
    failed = session.execute(
        select(OutboxMessage, Case.reference)
        .outerjoin(Case, Case.id == OutboxMessage.case_id)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.created_at >= now - HELD_MAIL_SHOWN_FOR,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
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


def overdue_advice_rows(session, today: date) -> list[dict[str, Any]]:
    """Advice requests still open after their due date, longest overdue first."""
    overdue = session.scalars(
        select(AdviceRequest)
        .where(AdviceRequest.status == AdviceStatus.OPEN, AdviceRequest.due_on < today)
        .order_by(AdviceRequest.due_on, AdviceRequest.id)
    )
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
        for a in overdue
    ]


def case_document(
    services: Services,
    reference: str,
    today: date | None = None,
    *,
    viewer: str,
    via: str | None = None,
) -> dict | None:
    """A case as `intake case show --json` prints it: its stage, the statutory clock (due dates,
    days left or overdue, on-time flags), exceptions, timeline, submissions and advice requests.

    It holds the child's data, so each call is audited as a view by `viewer` (an address, or
    who ran a command), through `via` (the command or page)."""
    today = today or services.today()
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
        if case is None:
            return None
        session.add(
            AuditEntry(
                actor=viewer,
                action="case-viewed",
                subject_type="case",
                subject_id=case.reference,
                detail={"via": via} if via else {},
            )
        )
        events = list(
            session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.case_id == case.id)
                .order_by(TimelineEvent.id)
            )
        )
        submissions = session.scalars(
            select(Submission).where(Submission.case_id == case.id).order_by(Submission.id)
        )
        advice = session.scalars(
            select(AdviceRequest).where(AdviceRequest.case_id == case.id).order_by(AdviceRequest.id)
        )
        clock = case_clock(case.day0, events, today)
        code = stage_code(case.stage)
        return {
            "reference": case.reference,
            "stage": code.value if code else case.stage,
            "stage_name": stage_name(case.stage),
            "closed": clock.closed,
            "allowed_moves": [m.value for m in allowed_moves(code)] if code else [],
            "day0": case.day0.isoformat(),
            "today": today.isoformat(),
            "requested_by": case.requested_by.email,
            "child": {
                "forename": case.child.forename,
                "surname": case.child.surname,
                "date_of_birth": case.child.date_of_birth.isoformat(),
            },
            "next_due": _iso(clock.next_due),
            "next_milestone": clock.next_milestone.code if clock.next_milestone else None,
            "days_left": clock.days_left,
            "days_overdue": clock.days_overdue,
            "on_time_including_exceptions": clock.on_time_including_exceptions,
            "on_time_excluding_exceptions": clock.on_time_excluding_exceptions,
            # Day 0 first, as before, then the statutory limits.
            "milestones": [
                {
                    "code": "request-received",
                    "label": REQUEST_RECEIVED,
                    "due": case.day0.isoformat(),
                    "met_on": case.day0.isoformat(),
                    "state": "met",
                    "days_left": (case.day0 - today).days,
                    "on_time_including_exceptions": True,
                    "on_time_excluding_exceptions": True,
                    "excused_by": [],
                },
                *(
                    {
                        "code": m.code,
                        "label": m.label,
                        "due": m.due.isoformat(),
                        "met_on": _iso(m.met_on),
                        "state": m.state,
                        "days_left": (m.due - today).days,
                        "on_time_including_exceptions": m.on_time_including_exceptions,
                        "on_time_excluding_exceptions": m.on_time_excluding_exceptions,
                        "excused_by": list(m.excused_by),
                    }
                    for m in clock.milestones
                ),
            ],
            "exceptions": [
                {
                    "ground": n.ground,
                    "start": n.start.isoformat(),
                    "end": _iso(n.end),
                    "family_informed_on": _iso(n.family_informed_on),
                    "note": n.note,
                    "recorded_on": n.recorded_on.isoformat(),
                    "actor": n.actor,
                }
                for n in clock.exceptions
            ],
            "timeline": [
                {
                    "kind": str(e.kind),
                    "stage": e.stage,
                    "stage_name": stage_name(e.stage) if e.stage else None,
                    "occurred_on": e.occurred_on.isoformat(),
                    "recorded_at": e.recorded_at.isoformat(),
                    "actor": e.actor,
                    "detail": e.detail,
                }
                for e in events
            ],
            "submissions": [
                {
                    "version": s.version,
                    "kind": str(s.kind),
                    "advice_request_id": s.advice_request_id,
                    "created_at": s.created_at.isoformat(),
                    "inbound_message_id": s.inbound_message_id,
                    "attachments": [
                        {"filename": a.filename, "size": a.size, "listed": a.listed, "flag": a.flag}
                        for a in session.scalars(
                            select(Attachment).where(Attachment.submission_id == s.id)
                        )
                    ],
                }
                for s in submissions
            ],
            "advice_requests": [
                {
                    "id": a.id,
                    "reference": a.reference,
                    "professional": a.professional.email,
                    "advice_type": a.advice_type,
                    "status": str(a.status),
                    "sent_on": _iso(a.sent_on),
                    "due_on": _iso(a.due_on),
                    "days_left": (a.due_on - today).days if a.due_on else None,
                }
                for a in advice
            ],
        }


def form_version_label(submission: dict[str, Any], advice_requests: list[dict[str, Any]]) -> str:
    """`request v2`, or `advice ADV-2026-000001 v1`: advice versions count per advice request,
    so the version alone would not say which form it is (rows as `case_document` gives them)."""
    if submission["advice_request_id"] is None:
        return f"{submission['kind']} v{submission['version']}"
    references = {a["id"]: a["reference"] for a in advice_requests}
    answered = references.get(submission["advice_request_id"], "?")
    return f"{submission['kind']} {answered} v{submission['version']}"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
