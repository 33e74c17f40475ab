"""The closed sets of values the store keeps as plain strings: statuses and kinds.

They are `StrEnum`s stored as short strings (no database enum types), so adding a value needs no
migration and a member compares equal to its string.
"""

from __future__ import annotations

from enum import StrEnum


class InboundStatus(StrEnum):
    """Where an inbound message is in its lifecycle; `InboundMessage` explains each value."""

    RECEIVED = "received"
    PROCESSING = "processing"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"
    AWAITING_VERIFICATION = "awaiting_verification"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    PARKED = "parked"


class Transport(StrEnum):
    """How a message reached us."""

    SMTP = "smtp"
    IMAP = "imap"
    FILE = "file"
    # A completed form uploaded on a signed-in professional's progress page, as an email from them.
    WEB = "web"


class SubmissionKind(StrEnum):
    REQUEST = "request"
    ADVICE = "advice"


class TimelineKind(StrEnum):
    STAGE = "stage"
    EXCEPTION = "exception"
    NOTE = "note"


class AdviceStatus(StrEnum):
    """An advice request: open until advice arrives, or it is covered by existing advice
    (reg 6(4)), or the service withdraws it."""

    OPEN = "open"
    RECEIVED = "received"
    COVERED = "covered"
    WITHDRAWN = "withdrawn"


class OutboxStatus(StrEnum):
    """An outgoing email: `pending` (waiting, or waiting to retry after a 4xx at
    `next_attempt_at`), `sending` (claimed by a sender), `sent`, `failed` (5xx: a person looks)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
