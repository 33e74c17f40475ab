"""The processing pipeline: parse -> screen -> route -> verify sender -> validate -> apply.

Each message is processed in one transaction that sets its final status, writes what it
changed (case, submission, attachments, timeline) and queues every reply in the outbox. Only
the pipeline changes a message's status. A failure rolls the transaction back and marks the
message `failed` for a bounded retry; one bad message never blocks the others.
"""

from __future__ import annotations

import logging

from intake.parse.message import ParsedMessage, parse_message
from intake.pipeline.context import Context
from intake.pipeline.routes import route_and_handle
from intake.replies import Thread
from intake.screening.checks import reply_address, screen, waive_holds
from intake.services import Services
from store import (
    InboundMessage,
    InboundStatus,
    claim_inbound,
    record_inbound_failure,
)

logger = logging.getLogger("intake.pipeline")


def process_pending(services: Services, limit: int = 20) -> int:
    """Process up to `limit` messages waiting (new, or due a retry); returns how many.

    Claimed one at a time, just before each is processed: a claim counts an attempt, and a
    worker killed mid-batch must not have spent attempts of messages it never started (five
    such kills parked good mail for a caseworker; tests/test_crash_safety.py)."""
    done = 0
    while done < limit:
        with services.db.session() as session:
            ids = [m.id for m in claim_inbound(session, 1)]
        if not ids:
            break
        process_claimed(services, ids[0])
        done += 1
    return done


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
    ctx = Context(services, session, message, parsed, reply_thread(parsed, message.id))
    if ctx.released:
        screening = waive_holds(screening)
        decisions.append({"check": "released", "hit": True, "detail": message.released_by})
    if screening.verdict == "ignore":
        ctx.finish(InboundStatus.IGNORED, screening.reasons, decisions=decisions)
        return
    if screening.verdict == "hold":
        ctx.finish(InboundStatus.QUARANTINED, screening.reasons, decisions=decisions)
        return
    if screening.verdict == "reject":
        ctx.refuse(screening.reasons, decisions)
        return
    route_and_handle(ctx, message.envelope_to or [], decisions)


def reply_thread(parsed: ParsedMessage, inbound_id: int) -> Thread:
    """Where an answer to the message goes and threads: "" as the address when the sender is no
    single valid mailbox, and then nothing is ever sent back."""
    return Thread(
        address=reply_address(parsed),
        message_id=f"<{parsed.message_id_as_sent}>" if parsed.message_id_as_sent else None,
        references=tuple(f"<{r}>" for r in parsed.references_as_sent),
        inbound_id=inbound_id,
    )
