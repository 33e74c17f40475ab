"""Removing a case whose retention has run out: every row that holds or points at its child's
data, in an order the foreign keys allow, leaving one audit entry that names only the reference.

The rows go (a tombstone would keep the child's identity for nothing: the SEN2 return counts a
year's cases, and a 31-year-old case is in no return). The files go after the commit, by
`intake.lifecycle.purge`, which is given the digests this returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from intake.lifecycle.retention import CaseDue
from store import (
    AdviceRequest,
    Attachment,
    AuditEntry,
    Case,
    Child,
    InboundMessage,
    OneTimeCode,
    OutboxMessage,
    ReminderSent,
    Submission,
    TimelineEvent,
)

PURGE_ACTOR = "intake purge"


@dataclass
class Removed:
    """The files the removed rows named, for deletion once the rows are gone for good."""

    raw: set[str] = field(default_factory=set)
    attachments: set[str] = field(default_factory=set)


def remove_case(session: Session, case: CaseDue, rule: str, removed: Removed) -> dict[str, int]:
    """Delete `case` and what hangs from it; the counts, as written in its audit entry."""
    child_id = session.scalar(select(Case.child_id).where(Case.id == case.id))
    submission_ids = _ids(session, select(Submission.id).where(Submission.case_id == case.id))
    advice_ids = _ids(session, select(AdviceRequest.id).where(AdviceRequest.case_id == case.id))
    reminder_ids = _ids(session, select(ReminderSent.id).where(ReminderSent.case_id == case.id))
    messages = session.execute(
        select(InboundMessage.id, InboundMessage.raw_sha256, InboundMessage.purged_at).where(
            or_(
                InboundMessage.case_id == case.id,
                InboundMessage.submission_id.in_(submission_ids),
                InboundMessage.id.in_(
                    select(Submission.inbound_message_id).where(Submission.case_id == case.id)
                ),
            )
        )
    ).all()
    message_ids = [m.id for m in messages]
    removed.raw.update(m.raw_sha256 for m in messages if m.purged_at is None)
    files = session.execute(
        select(Attachment.id, Attachment.sha256).where(
            or_(
                Attachment.inbound_message_id.in_(message_ids),
                Attachment.submission_id.in_(submission_ids),
            )
        )
    ).all()
    removed.attachments.update(f.sha256 for f in files)

    session.execute(
        delete(OutboxMessage).where(
            or_(
                OutboxMessage.case_id == case.id,
                OutboxMessage.advice_request_id.in_(advice_ids),
                OutboxMessage.reminder_id.in_(reminder_ids),
                OutboxMessage.inbound_message_id.in_(message_ids),
            )
        )
    )
    session.execute(delete(Attachment).where(Attachment.id.in_([f.id for f in files])))
    session.execute(delete(OneTimeCode).where(OneTimeCode.inbound_message_id.in_(message_ids)))
    # Keys that point into what goes, from rows that stay (a later copy of a message) or that
    # go in a different order (a message and its submission point at each other).
    _unlink(session, InboundMessage.duplicate_of_id, message_ids)
    _unlink(session, InboundMessage.submission_id, submission_ids)
    session.execute(delete(Submission).where(Submission.id.in_(submission_ids)))
    session.execute(delete(InboundMessage).where(InboundMessage.id.in_(message_ids)))
    session.execute(delete(TimelineEvent).where(TimelineEvent.case_id == case.id))
    session.execute(delete(ReminderSent).where(ReminderSent.id.in_(reminder_ids)))
    session.execute(delete(AdviceRequest).where(AdviceRequest.id.in_(advice_ids)))
    session.execute(delete(Case).where(Case.id == case.id))
    others = select(Case.id).where(Case.child_id == child_id).limit(1)
    if session.scalar(others) is None:
        session.execute(delete(Child).where(Child.id == child_id))
    counts = {
        "submissions": len(submission_ids),
        "advice_requests": len(advice_ids),
        "messages": len(message_ids),
        "files": len(files),
    }
    session.add(
        AuditEntry(
            actor=PURGE_ACTOR,
            action="case-purged",
            subject_type="case",
            subject_id=case.reference,
            detail={"rule": rule, **counts},
        )
    )
    return counts


def _ids(session: Session, query) -> list[int]:
    return list(session.scalars(query))


def _unlink(session: Session, column, ids: Sequence[int]) -> None:
    if ids:
        session.execute(
            update(column.class_)
            .where(column.in_(ids))
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )
