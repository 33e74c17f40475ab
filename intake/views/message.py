"""One inbound message as a caseworker sees it: what arrived (sender, envelope, transport, proof
of sender, attachments with their flags and sizes), why it ended where it did (each reason in the
professional's words with the technical detail beside it, every screening decision), what we sent
back, and its audit trail.

The attachments are those recorded with the message when it was recorded; otherwise they are
read again from the raw bytes (the message is parsed, never opened in a PDF reader).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake.parse.message import parse_message
from intake.reasons import Reason
from intake.services import Services
from store import (
    Attachment,
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
)

SUBJECT_TYPE = "inbound_message"
# Reason parameters that are the caseworker's technical detail rather than part of a sentence.
TECHNICAL = ("detail", "check")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def worded_reason(row: dict[str, Any]) -> dict[str, Any]:
    """A stored reason: its code and where it points, the sentence the sender read, and what the
    check measured."""
    reason = Reason.from_row(row)
    return {
        "code": reason.code,
        "step": reason.step,
        "field": reason.field,
        "sentence": reason.sentence(),
        "detail": reason.detail,
        "params": {k: v for k, v in reason.params.items() if k not in TECHNICAL},
    }


def raw_of(services: Services, message: InboundMessage) -> bytes | None:
    """The message's raw bytes, or None when they are no longer kept."""
    try:
        return services.raw.get(message.raw_sha256)
    except FileNotFoundError:
        return None


def arrived_files(services: Services, session, message: InboundMessage) -> list[dict[str, Any]]:
    recorded = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.inbound_message_id == message.id)
            .order_by(Attachment.id)
        )
    )
    if recorded:
        return [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "flags": [f for f in (a.flag or "").split("; ") if f],
                "listed": a.listed,
            }
            for a in recorded
        ]
    raw = raw_of(services, message)
    if raw is None:
        return []
    return [
        {
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "flags": a.content.flags,
            "listed": None,
        }
        for a in parse_message(raw).attachments
    ]


def message_view(services: Services, inbound_id: int) -> dict[str, Any] | None:
    """The message `inbound_id` for the caseworker's page, or None if there is no such message."""
    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        if message is None:
            return None
        reference = None
        if message.case_id:
            reference = session.scalar(select(Case.reference).where(Case.id == message.case_id))
        replies = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.inbound_message_id == message.id)
            .order_by(OutboxMessage.id)
        )
        audit = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.subject_type == SUBJECT_TYPE, AuditEntry.subject_id == str(inbound_id)
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
        failed = message.status in (InboundStatus.FAILED, InboundStatus.PARKED)
        return {
            "id": message.id,
            "status": str(message.status),
            "reference": reference,
            "received_at": _iso(message.received_at),
            "processed_at": _iso(message.processed_at),
            "transport": str(message.transport),
            "mailbox": message.mailbox,
            "uid": message.uid,
            "size": message.size,
            "envelope_from": message.envelope_from,
            "envelope_to": list(message.envelope_to or []),
            "from": message.from_address,
            "subject": message.subject,
            "message_key": message.message_key,
            "sender_verified": message.sender_verified,
            "released_by": message.released_by,
            "attempts": message.attempts,
            "last_error": message.last_error if failed else None,
            "duplicate_of_id": message.duplicate_of_id,
            "raw_kept": services.raw.path_for(message.raw_sha256).exists(),
            "processing_failed": failed,
            "reasons": [worded_reason(r) for r in message.reasons or []],
            "decisions": [dict(d) for d in message.decisions or []],
            "attachments": arrived_files(services, session, message),
            "replies": [
                {
                    "kind": r.kind,
                    "to": r.to_address,
                    "status": str(r.status),
                    "created_at": _iso(r.created_at),
                }
                for r in replies
            ],
            "audit": [
                {"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
                for e in audit
            ],
        }
