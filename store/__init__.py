"""The store: SQLAlchemy models, opening and migrating the database, reference numbers and
claiming work. Other packages import only what is listed here."""

from store.account_models import LinkToken, OneTimeCode, RegistrationAttempt
from store.base import Base, UTCDateTime, utcnow
from store.claims import (
    LEASE,
    claim_inbound,
    claim_inbound_message,
    claim_outbox,
    record_inbound_failure,
)
from store.db import Database, alembic_config, normalise_url, open_database, upgrade
from store.mail_models import (
    MAX_INBOUND_ATTEMPTS,
    Attachment,
    InboundMessage,
    MailboxState,
    OutboxMessage,
)
from store.models import (
    CLOSED_CASE_STAGES,
    AdviceRequest,
    AuditEntry,
    AuditEntryImmutable,
    Case,
    Child,
    Professional,
    ReferenceCounter,
    Submission,
    TimelineEvent,
    TimelineEventImmutable,
    open_case,
)
from store.references import ADVICE_PREFIX, CASE_PREFIX, next_reference, next_reference_now
from store.reminder_models import ReminderRun, ReminderRunFailure, ReminderSent
from store.statuses import (
    AdviceStatus,
    InboundStatus,
    OutboxStatus,
    SubmissionKind,
    TimelineKind,
    Transport,
)

__all__ = [
    "ADVICE_PREFIX",
    "CLOSED_CASE_STAGES",
    "CASE_PREFIX",
    "LEASE",
    "MAX_INBOUND_ATTEMPTS",
    "AdviceRequest",
    "AdviceStatus",
    "Attachment",
    "AuditEntry",
    "AuditEntryImmutable",
    "Base",
    "Case",
    "Child",
    "Database",
    "InboundMessage",
    "InboundStatus",
    "LinkToken",
    "MailboxState",
    "OneTimeCode",
    "OutboxMessage",
    "OutboxStatus",
    "Professional",
    "ReferenceCounter",
    "RegistrationAttempt",
    "ReminderRun",
    "ReminderRunFailure",
    "ReminderSent",
    "Submission",
    "SubmissionKind",
    "TimelineEvent",
    "TimelineEventImmutable",
    "TimelineKind",
    "Transport",
    "UTCDateTime",
    "alembic_config",
    "claim_inbound",
    "claim_inbound_message",
    "claim_outbox",
    "next_reference",
    "next_reference_now",
    "normalise_url",
    "open_case",
    "open_database",
    "record_inbound_failure",
    "upgrade",
    "utcnow",
]
