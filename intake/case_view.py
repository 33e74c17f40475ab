"""Cases and the intake queue as the CLI (and later the dashboard) shows them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from store import Attachment, Case, InboundMessage, InboundStatus, Submission, TimelineEvent

from .pipeline import outcome_of
from .services import Services
from .timeline import REQUEST_RECEIVED, statutory_milestones

# What a caseworker must look at: held mail, mail that failed, and forms waiting for proof.
NEEDS_A_PERSON = (
    InboundStatus.QUARANTINED,
    InboundStatus.AWAITING_VERIFICATION,
    InboundStatus.FAILED,
    InboundStatus.PARKED,
)


def queue_rows(services: Services, status: str | None) -> list[dict[str, Any]]:
    """Messages needing a person (or of one status, or all), then cases not yet decided."""
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
                    select(Case).where(Case.stage == REQUEST_RECEIVED).order_by(Case.id)
                )
            )
        )
        case_rows = [
            {
                "type": "case",
                "id": c.reference,
                "status": c.stage,
                "received_at": c.created_at.isoformat(),
                "from": c.requested_by.email,
                "summary": f"day 0 {c.day0.isoformat()}",
            }
            for c in cases
        ]
        ids = [(m.id, m.received_at, m.from_address, m.subject) for m in messages]
    rows = []
    for inbound_id, received_at, sender, subject in ids:
        outcome = outcome_of(services, inbound_id)
        rows.append(
            {
                "type": "message",
                "id": inbound_id,
                "status": outcome.status,
                "received_at": received_at.isoformat(),
                "from": sender,
                "subject": subject,
                "reference": outcome.reference,
                "summary": "; ".join(r["message"] for r in outcome.reasons)[:300],
                "reasons": outcome.as_dict()["reasons"],
            }
        )
    return rows + case_rows


def case_document(services: Services, reference: str, today: date | None = None) -> dict | None:
    today = today or services.today()
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
        if case is None:
            return None
        events = session.scalars(
            select(TimelineEvent).where(TimelineEvent.case_id == case.id).order_by(TimelineEvent.id)
        )
        submissions = session.scalars(
            select(Submission).where(Submission.case_id == case.id).order_by(Submission.id)
        )
        return {
            "reference": case.reference,
            "stage": case.stage,
            "day0": case.day0.isoformat(),
            "requested_by": case.requested_by.email,
            "child": {
                "forename": case.child.forename,
                "surname": case.child.surname,
                "date_of_birth": case.child.date_of_birth.isoformat(),
            },
            "milestones": [
                {"label": m.label, "due": m.due.isoformat(), "days_left": (m.due - today).days}
                for m in statutory_milestones(case.day0)
            ],
            "timeline": [
                {
                    "kind": str(e.kind),
                    "stage": e.stage,
                    "occurred_on": e.occurred_on.isoformat(),
                    "recorded_at": e.recorded_at.isoformat(),
                    "actor": e.actor,
                }
                for e in events
            ],
            "submissions": [
                {
                    "version": s.version,
                    "kind": str(s.kind),
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
        }
