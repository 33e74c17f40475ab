"""Queueing outgoing email as outbox rows in the caller's transaction, and listing the outbox.

`enqueue` never commits: the row is written together with the change that caused it (a
submission accepted, a rejection recorded), so mail is sent if and only if that change happened.
A per-recipient hourly limit stops any loop between us and another automatic sender, and a
per-recipient daily limit for each reason code (`reason`: the refusal or notice a reply answers)
stops anyone who can write a From address from having one address answered again and again:
past either limit the message is not queued and an audit entry says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from notifier.compose import ComposedEmail
from store import AuditEntry, OutboxMessage, OutboxStatus, utcnow

RATE_LIMITED_ACTION = "outbox-rate-limited"
# Who the audit log names for what the service itself decides.
SERVICE_ACTOR = "intake"
DEFAULT_LISTING_LIMIT = 100


@dataclass(frozen=True)
class RateLimit:
    """At most `per_hour` messages queued to one recipient in any sliding hour, and at most
    `per_reason_per_day` replies to one recipient for the same reason in any sliding day."""

    per_hour: int = 20
    per_reason_per_day: int = 5


def recipient_address(to: str) -> str:
    """The bare address from a To value that may carry a display name (`Ann <ann@x>`)."""
    return parseaddr(to)[1] or to.strip()


def enqueue(
    session: Session,
    email: ComposedEmail,
    *,
    kind: str,
    inbound_message_id: int | None = None,
    case_id: int | None = None,
    reminder_id: int | None = None,
    now: datetime | None = None,
    rate_limit: RateLimit = RateLimit(),
    reason: str | None = None,
) -> OutboxMessage | None:
    """Add `email` to the outbox in `session`'s transaction; the caller commits.

    Returns the new row, or None when the recipient already has `rate_limit.per_hour` messages
    queued in the last hour, or (for a reply with a `reason`) `rate_limit.per_reason_per_day`
    replies for that reason in the last day; an `outbox-rate-limited` audit entry then records
    what was held.
    Two transactions queueing to one address at the same moment may each see the other's rows
    missing, so the limit can be passed by the number of concurrent writers; it is a loop
    breaker, not a quota.
    """
    now = now or utcnow()
    to_address = recipient_address(email.to)
    recent = _queued_since(session, to_address, now - timedelta(hours=1))
    same_reason = (
        _queued_since(session, to_address, now - timedelta(days=1), reason)
        if reason is not None
        else 0
    )
    if recent >= rate_limit.per_hour or same_reason >= rate_limit.per_reason_per_day:
        counts = {"queued_last_hour": recent, "per_hour": rate_limit.per_hour}
        if reason is not None:
            counts |= {
                "reason": reason,
                "same_reason_last_day": same_reason,
                "per_reason_per_day": rate_limit.per_reason_per_day,
            }
        entry = _rate_limited_entry(
            email, to_address, kind, counts, now, inbound_message_id, case_id
        )
        session.add(entry)
        session.flush()
        return None
    row = OutboxMessage(
        created_at=now,
        kind=kind,
        to_address=to_address,
        subject=email.subject,
        message_id=email.message_id,
        raw=email.raw,
        status=OutboxStatus.PENDING,
        attempts=0,
        inbound_message_id=inbound_message_id,
        case_id=case_id,
        reminder_id=reminder_id,
        reason=reason,
    )
    session.add(row)
    # Flushed so that the next enqueue in this transaction counts it against the limit.
    session.flush()
    return row


def pending(session: Session) -> list[OutboxMessage]:
    """What waits to be sent, oldest first: rows pending (perhaps until a retry time) or being
    sent by a sender right now."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return list(session.scalars(statement))


def outbox_rows(
    session: Session,
    status: OutboxStatus | str | None = None,
    limit: int = DEFAULT_LISTING_LIMIT,
) -> list[dict[str, Any]]:
    """The outbox for `intake outbox --json`, newest first: one JSON-ready dict per row.

    The message body is never included: it may carry a child's details in an attachment.
    """
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(OutboxMessage.status == OutboxStatus(status))
    return [_listing_row(row) for row in session.scalars(statement)]


def _listing_row(row: OutboxMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "to": row.to_address,
        "subject": row.subject,
        "message_id": row.message_id,
        "status": str(row.status),
        "attempts": row.attempts,
        "next_attempt_at": _iso(row.next_attempt_at),
        "last_error": row.last_error,
        "sent_at": _iso(row.sent_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def mail_queued_since(
    to_address: str, since: datetime, reason: str | None = None
) -> Select[tuple[int]]:
    """The count of mail queued to `to_address` after `since` (only replies for `reason`, when
    given), as the rate limits ask it on every enqueue: through the index on `created_at`, it
    reads the last hour's (or day's) rows only."""
    # Addresses are compared whatever their case: `Ann@X` and `ann@x` are one mailbox in practice.
    statement = select(func.count(OutboxMessage.id)).where(
        func.lower(OutboxMessage.to_address) == to_address.lower(),
        OutboxMessage.created_at > since,
    )
    if reason is not None:
        statement = statement.where(OutboxMessage.reason == reason)
    return statement


def _queued_since(
    session: Session, to_address: str, since: datetime, reason: str | None = None
) -> int:
    return session.scalar(mail_queued_since(to_address, since, reason)) or 0


def _rate_limited_entry(
    email: ComposedEmail,
    to_address: str,
    kind: str,
    counts: dict[str, Any],
    now: datetime,
    inbound_message_id: int | None,
    case_id: int | None,
) -> AuditEntry:
    # The entry hangs off whatever caused the mail, so a caseworker finds it on that record.
    if inbound_message_id is not None:
        subject_type, subject_id = "inbound_message", str(inbound_message_id)
    elif case_id is not None:
        subject_type, subject_id = "case", str(case_id)
    else:
        subject_type, subject_id = "outbox", kind[:64]
    return AuditEntry(
        at=now,
        actor=SERVICE_ACTOR,
        action=RATE_LIMITED_ACTION,
        subject_type=subject_type,
        subject_id=subject_id,
        detail={
            "kind": kind,
            "recipient": to_address,
            "subject": email.subject,
            "message_id": email.message_id,
            **counts,
        },
    )
