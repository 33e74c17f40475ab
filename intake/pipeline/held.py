"""What a caseworker may do with a message the pipeline could not finish on its own: release it
from quarantine, process a failed or parked one again, or reject it with a reason emailed to the
sender. Each is one change of status made only from the status it expects (two caseworkers, or a
caseworker and the pipeline, cannot both act on one message) and one entry in the audit log.

Release and process-again set the message back to `received`, so the pipeline takes it as any
new message; a released message then has its holds waived (`InboundMessage.released_by`).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from intake.cases.timeline import shown_date
from intake.parse.message import parse_message
from intake.pipeline.process import reply_thread
from intake.reasons import as_rows, reason
from intake.replies import send_reply
from intake.services import Services
from intake.views.message import SUBJECT_TYPE
from store import AuditEntry, InboundMessage, InboundStatus

RELEASABLE = (InboundStatus.QUARANTINED,)
TO_PROCESS_AGAIN = (InboundStatus.FAILED, InboundStatus.PARKED)
REJECTABLE = (InboundStatus.QUARANTINED, InboundStatus.FAILED, InboundStatus.PARKED)
REJECTION_TEMPLATE = "caseworker_rejection"


@dataclass(frozen=True)
class Action:
    """What came of a caseworker's action: `done`, and whether an email was queued."""

    done: bool
    emailed: bool = False


def record_message_event(session: Session, action: str, inbound_id: int, actor: str, **detail):
    """One audit entry about a message: viewed, downloaded, released, rejected..."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_type=SUBJECT_TYPE,
            subject_id=str(inbound_id),
            detail={k: v for k, v in detail.items() if v},
        )
    )


def _set_back_to_received(session: Session, inbound_id: int, expected, **values) -> bool:
    changed = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status.in_(expected))
        .values(
            status=InboundStatus.RECEIVED,
            attempts=0,
            next_attempt_at=None,
            processed_at=None,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1


def release_message(
    services: Services, session: Session, inbound_id: int, *, actor: str, note: str = ""
) -> Action:
    """A quarantined message back to `received`, released by `actor`: processed again, it is
    not held for what they looked at. In the caller's transaction; wake the pipeline after."""
    done = _set_back_to_received(session, inbound_id, RELEASABLE, released_by=actor)
    if done:
        record_message_event(session, "message-released", inbound_id, actor, note=note)
    return Action(done)


def process_again(
    services: Services, session: Session, inbound_id: int, *, actor: str, note: str = ""
) -> Action:
    """A failed or parked message back to `received`, its attempts counted from none again."""
    done = _set_back_to_received(session, inbound_id, TO_PROCESS_AGAIN)
    if done:
        record_message_event(session, "message-processed-again", inbound_id, actor, note=note)
    return Action(done)


def reject_message(
    services: Services, session: Session, inbound_id: int, *, actor: str, why: str
) -> Action:
    """The message `rejected` by `actor`, and `why` emailed to its sender, threaded under their
    message, when the sender is one mailbox we may answer."""
    message = session.get(InboundMessage, inbound_id)
    if message is None or message.status not in REJECTABLE:
        return Action(False)
    rejected = reason("caseworker-rejected", detail=why, by=actor)
    changed = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status == message.status)
        .values(
            status=InboundStatus.REJECTED,
            reasons=as_rows([rejected]),
            next_attempt_at=None,
            processed_at=services.now(),
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return Action(False)
    thread = reply_thread(parse_message(services.raw.get(message.raw_sha256)), inbound_id)
    emailed = bool(thread.address)
    if emailed:
        received = message.received_at.astimezone(ZoneInfo(services.settings.timezone)).date()
        send_reply(
            services,
            session,
            REJECTION_TEMPLATE,
            thread,
            {"why": why, "received": shown_date(received)},
        )
    record_message_event(session, "message-rejected", inbound_id, actor, why=why, emailed=emailed)
    return Action(True, emailed)
