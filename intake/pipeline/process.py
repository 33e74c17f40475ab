"""The processing pipeline: parse -> screen -> route -> verify sender -> validate -> apply.

Each message is processed in one transaction that sets its final status, writes what it
changed (case, submission, attachments, timeline) and queues every reply in the outbox. Only
the pipeline changes a message's status. A failure rolls the transaction back and marks the
message `failed` for a bounded retry; one bad message never blocks the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from documents import FORMS, Rejection, describe
from intake.parse.message import parse_message
from intake.pipeline.attachment_checks import active_form_reason
from intake.pipeline.handlers import Context, handle_route
from intake.pipeline.routing import route
from intake.pipeline.screening import reply_address, screen, screen_reasons
from intake.replies import Thread
from intake.services import Services
from store import (
    Case,
    InboundMessage,
    InboundStatus,
    claim_inbound,
    record_inbound_failure,
)

logger = logging.getLogger("intake.pipeline")


@dataclass(frozen=True)
class Outcome:
    """What became of one message, as `intake ingest --json` prints it."""

    inbound_id: int
    message_id: str | None
    status: str
    reference: str | None
    reasons: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "inbound_id": self.inbound_id,
            "message_id": self.message_id,
            "status": self.status,
            "reference": self.reference,
            "reasons": [
                {
                    "code": r["code"],
                    "step": r.get("step"),
                    "field": r.get("field"),
                    "message": r.get("message", ""),
                }
                for r in self.reasons
            ],
        }


def process_pending(services: Services, limit: int = 20) -> int:
    """Process up to `limit` messages waiting (new, or due a retry); returns how many."""
    with services.db.session() as session:
        ids = [m.id for m in claim_inbound(session, limit)]
    for inbound_id in ids:
        process_claimed(services, inbound_id)
    return len(ids)


def process_all(services: Services) -> int:
    total = 0
    while count := process_pending(services):
        total += count
    return total


def process_claimed(services: Services, inbound_id: int) -> None:
    try:
        with services.db.session() as session:
            message = session.get(InboundMessage, inbound_id)
            process_message(services, session, message)
    except Exception as exc:  # a bug or an outage: retried later, never lost
        logger.exception("message %s failed", inbound_id)
        with services.db.session() as session:
            message = session.get(InboundMessage, inbound_id)
            record_inbound_failure(message, f"{type(exc).__name__}: {exc}"[:2000])
    if services.wake_sender is not None:
        services.wake_sender()


def process_message(services: Services, session, message: InboundMessage) -> None:
    raw = services.raw.get(message.raw_sha256)
    parsed = parse_message(raw)
    screening = screen(parsed, message.size, services.screen_limits)
    decisions = [dict(d) for d in screening.decisions]
    thread = Thread(
        # "" when the sender is no single valid mailbox: then nothing is ever sent back.
        address=reply_address(parsed),
        message_id=f"<{parsed.message_id_as_sent}>" if parsed.message_id_as_sent else None,
        references=tuple(f"<{r}>" for r in parsed.references_as_sent),
        inbound_id=message.id,
    )
    ctx = Context(services, session, message, parsed, thread)
    hits = screen_reasons(screening)
    if screening.verdict == "ignore":
        ctx.finish(InboundStatus.IGNORED, hits, decisions=decisions)
        return
    if screening.verdict == "hold":
        ctx.finish(InboundStatus.QUARANTINED, hits, decisions=decisions)
        return
    if screening.verdict == "reject":
        ctx.refuse(hits, decisions)
        return
    found = route(services, session, parsed, message.envelope_to or [])
    decisions.append({"check": "route", "hit": True, "detail": found.name})
    if (held := active_form_reason(found.pdf)) is not None:
        decisions.append(
            {"check": "form-active-content", "hit": True, "detail": held["params"]["where"]}
        )
        ctx.finish(InboundStatus.QUARANTINED, [held], decisions=decisions)
        return
    handle_route(ctx, found, decisions)


def outcome_of(services: Services, inbound_id: int) -> Outcome:
    """The recorded outcome of a message, reasons worded for a person."""
    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        reference = None
        if message.case_id:
            reference = session.scalar(select(Case.reference).where(Case.id == message.case_id))
        reasons = [
            {**r, "message": describe(_as_rejection(r), _form_of(r))} for r in message.reasons or []
        ]
        if message.status in (InboundStatus.FAILED, InboundStatus.PARKED) and message.last_error:
            reasons.append({"code": "processing-failed", "message": message.last_error})
        parsed_id = message.message_key if not message.message_key.startswith("sha256:") else None
        return Outcome(message.id, parsed_id, str(message.status), reference, reasons)


def _as_rejection(r: dict[str, Any]) -> Rejection:
    return Rejection(r["code"], r.get("step"), r.get("field"), r.get("params") or {})


def _form_of(r: dict[str, Any]):
    return FORMS.get(r.get("form") or "")
