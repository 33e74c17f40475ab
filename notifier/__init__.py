"""Outbound mail: composing from templates, the outbox (queued in the caller's transaction) and
delivery with retries through an SMTP relay or, with no relay set, a folder of .eml files.
Other packages import only what is listed here."""

from notifier.compose import OWN_MAIL_HEADER, Attachment, ComposedEmail, compose_email
from notifier.outbox import (
    RATE_LIMITED_ACTION,
    RateLimit,
    enqueue,
    outbox_rows,
    pending,
    recipient_address,
)
from notifier.sender import OutboxSender, SendReport, retry_delay
from notifier.transports import (
    DeliveryError,
    EmlFolder,
    PermanentFailure,
    SmtpRelay,
    TemporaryFailure,
    Transport,
)

__all__ = [
    "OWN_MAIL_HEADER",
    "RATE_LIMITED_ACTION",
    "Attachment",
    "ComposedEmail",
    "DeliveryError",
    "EmlFolder",
    "OutboxSender",
    "PermanentFailure",
    "RateLimit",
    "SendReport",
    "SmtpRelay",
    "TemporaryFailure",
    "Transport",
    "compose_email",
    "enqueue",
    "outbox_rows",
    "pending",
    "recipient_address",
    "retry_delay",
]
