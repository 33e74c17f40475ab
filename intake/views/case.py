"""Cases as `intake case show` (and the web) shows them; the intake queue is in
`intake.views.queue` and `intake.views.queue_lists`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from intake.cases.timeline import (
    REQUEST_RECEIVED,
    allowed_moves,
    case_clock,
    stage_code,
    stage_name,
)
from intake.services import Services
from intake.views.queue_lists import queue_rows as queue_rows
from store import (
    AdviceRequest,
    Attachment,
    AuditEntry,
    Case,
    Submission,
    TimelineEvent,
)


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
        submissions = list(
            session.scalars(
                select(Submission).where(Submission.case_id == case.id).order_by(Submission.id)
            )
        )
        files = attachments_by_submission(session, [s.id for s in submissions])
        advice = session.scalars(
            select(AdviceRequest)
            .where(AdviceRequest.case_id == case.id)
            .order_by(AdviceRequest.id)
            .options(selectinload(AdviceRequest.professional))
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
            "legal_hold": _legal_hold(case),
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
                        for a in files.get(s.id, [])
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


def attachments_by_submission(
    session: Session, submission_ids: list[int]
) -> dict[int, list[Attachment]]:
    """The files of these submissions, oldest first under each: one query for them all, not one
    per submission (a busy case has dozens)."""
    found: dict[int, list[Attachment]] = {}
    if submission_ids:
        for attachment in session.scalars(
            select(Attachment)
            .where(Attachment.submission_id.in_(submission_ids))
            .order_by(Attachment.id)
        ):
            found.setdefault(attachment.submission_id, []).append(attachment)
    return found


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


def _legal_hold(case: Case) -> dict | None:
    if case.legal_hold_at is None:
        return None
    return {
        "since": case.legal_hold_at.isoformat(),
        "by": case.legal_hold_by,
        "reason": case.legal_hold_reason,
    }
