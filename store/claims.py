"""Handing work to workers: inbound messages to process and outbox rows to send.

On PostgreSQL several workers may claim at once: `FOR UPDATE SKIP LOCKED` gives each a disjoint
set of rows without waiting. On SQLite one process writes, and the claim is a plain select.
A claim is committed with the caller's session and lasts a lease: a row whose worker died is
claimed again once `next_attempt_at` (the lease's end) has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from store.base import utcnow
from store.mail_models import MAX_INBOUND_ATTEMPTS, InboundMessage, OutboxMessage
from store.statuses import InboundStatus, OutboxStatus

LEASE = timedelta(minutes=10)
Row = TypeVar("Row", InboundMessage, OutboxMessage)


def claim_inbound(
    session: Session, limit: int, now: datetime | None = None, lease: timedelta = LEASE
) -> list[InboundMessage]:
    """Up to `limit` messages to process, oldest first, now `processing` with `attempts` counted.

    Takes new messages, failed ones due for a retry, and ones whose worker's lease ran out.
    A message already tried `MAX_INBOUND_ATTEMPTS` times is parked instead of handed out, so a
    message that kills its worker cannot do so for ever.
    """
    now = now or utcnow()
    due = and_(
        InboundMessage.status.in_([InboundStatus.FAILED, InboundStatus.PROCESSING]),
        InboundMessage.next_attempt_at <= now,
    )
    claimed: list[InboundMessage] = []
    parked = True
    # A message parked here takes no place of the `limit`: look again until it is filled or
    # nothing more is due (each pass parks or claims every row it reads, so this ends).
    while parked and len(claimed) < limit:
        parked = False
        rows = _lock_rows(
            session,
            select(InboundMessage)
            .where(or_(InboundMessage.status == InboundStatus.RECEIVED, due))
            .order_by(InboundMessage.received_at, InboundMessage.id)
            .limit(limit - len(claimed)),
        )
        for message in rows:
            if message.attempts >= MAX_INBOUND_ATTEMPTS:
                message.status = InboundStatus.PARKED
                message.next_attempt_at = None
                message.last_error = message.last_error or "stopped while processing"
                parked = True
                continue
            message.status = InboundStatus.PROCESSING
            message.attempts += 1
            message.next_attempt_at = now + lease
            claimed.append(message)
        session.flush()
    return claimed


def claim_inbound_message(
    session: Session, inbound_id: int, now: datetime | None = None, lease: timedelta = LEASE
) -> InboundMessage | None:
    """The one message `inbound_id`, now `processing`, when it is still `received`; None when a
    worker has it already. One conditional UPDATE, so two claimers never both win."""
    now = now or utcnow()
    claimed = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.status == InboundStatus.RECEIVED)
        .values(
            status=InboundStatus.PROCESSING,
            attempts=InboundMessage.attempts + 1,
            next_attempt_at=now + lease,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    message = session.get(InboundMessage, inbound_id)
    session.refresh(message)
    return message


def record_inbound_failure(
    message: InboundMessage, error: str, now: datetime | None = None
) -> None:
    """Mark a message `failed` with a retry after a growing delay, or `parked` when it has had
    `MAX_INBOUND_ATTEMPTS` attempts."""
    now = now or utcnow()
    message.last_error = error
    if message.attempts >= MAX_INBOUND_ATTEMPTS:
        message.status = InboundStatus.PARKED
        message.next_attempt_at = None
    else:
        message.status = InboundStatus.FAILED
        message.next_attempt_at = now + timedelta(minutes=2 ** max(message.attempts - 1, 0))


def claim_outbox(
    session: Session, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[OutboxMessage]:
    """Up to `limit` emails due to be sent, oldest first, now `sending` with `attempts` counted."""
    due_pending = and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )
    lease_over = and_(
        OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.next_attempt_at <= now
    )
    rows = _lock_rows(
        session,
        select(OutboxMessage)
        .where(or_(due_pending, lease_over))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit),
    )
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.attempts += 1
        row.next_attempt_at = now + lease
    session.flush()
    return rows


def _lock_rows(session: Session, statement: Select[tuple[Row]]) -> list[Row]:
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(session.scalars(statement))
