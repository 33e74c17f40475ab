"""The mail records: inbound messages with their attachments, the outbox, and mailbox positions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, JSONData, StrEnumText, utcnow
from store.models import EMAIL, MESSAGE_ID, REMINDER_KIND, SHA256_HEX
from store.statuses import InboundStatus, OutboxStatus, Transport

# Attempts at processing a message before it is parked for a caseworker.
MAX_INBOUND_ATTEMPTS = 5


class InboundMessage(Base):
    """One email as received, stored before the mailbox is acknowledged.

    `status` is the lifecycle, and only the pipeline changes it:

    - `received`: stored (raw bytes and this row committed); nothing else done yet.
    - `processing`: claimed by a worker (`store.claim_inbound`); `next_attempt_at` is then the
      end of the claim's lease, after which another worker may take the message over.
    - `accepted`: a valid form was recorded (`submission_id`, `case_id` set); confirmation queued.
    - `rejected`: answered with every problem at once (`reasons`), the sender's PDF returned.
    - `quarantined`: held unopened for a person (a hostile or unreadable PDF, a suspected attack).
      A caseworker may release it (back to `received`, `released_by` set, its holds then waived)
      or reject it with a reason the sender is emailed (`rejected`).
    - `awaiting_verification`: a valid form from a sender not yet proven to own the address; a
      one-time code was emailed. The right code puts it back to `received` with
      `sender_verified = "code"`, and it is processed again from its raw bytes.
    - `ignored`: automatic mail (auto-replies, bounces, bulk, our own mail coming back); never
      answered, the reason recorded.
    - `duplicate`: the same message (`message_key`) or the same form and PDF as an earlier one;
      `duplicate_of_id` names the first.
    - `failed`: processing raised (a bug or an outage); retried from `next_attempt_at`.
    - `parked`: failed `MAX_INBOUND_ATTEMPTS` times (counting claims whose worker died); left for a
      caseworker, who may set it back to `received` (as they may a `failed` one) or reject it.

        received -> processing -> accepted | rejected | quarantined | awaiting_verification
                                  | ignored | duplicate | failed
        failed -> processing (retry) ... -> parked after MAX_INBOUND_ATTEMPTS
        awaiting_verification -> received (the right code) -> processing -> ...

    `reasons` holds the rejections as data, `[{"code", "step", "field", "params"}]`; `decisions`
    holds every screening rule's hit or miss, so any outcome can be explained afterwards.
    Exactly once: `(mailbox, uidvalidity, uid)` is unique for IMAP (NULLs for other transports
    never clash), and `message_key` (the normalised Message-ID, else a hash of body and
    attachments) is unique for every transport.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        # The caseworkers' queue: one status's messages, newest first, a page at a time.
        Index("ix_inbound_messages_status_received", "status", "received_at", "id"),
        # ... and one sender's messages (addresses are stored lower-cased).
        Index("ix_inbound_messages_from_address", "from_address", "status", "received_at"),
        # ... and one case's (searched by its reference); also every lookup by case.
        Index("ix_inbound_messages_case_status_received", "case_id", "status", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    transport: Mapped[Transport] = mapped_column(StrEnumText(Transport))
    mailbox: Mapped[str | None] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    message_key: Mapped[str] = mapped_column(String(MESSAGE_ID), unique=True)
    raw_sha256: Mapped[str] = mapped_column(String(SHA256_HEX))
    size: Mapped[int] = mapped_column(Integer)
    envelope_from: Mapped[str | None] = mapped_column(String(EMAIL))
    envelope_to: Mapped[list[str]] = mapped_column(JSONData, default=list)
    from_address: Mapped[str | None] = mapped_column(String(EMAIL))
    subject: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InboundStatus] = mapped_column(
        StrEnumText(InboundStatus), default=InboundStatus.RECEIVED, index=True
    )
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONData, default=list)
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSONData, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # use_alter: submissions also point here, and one of the two keys must come after both tables.
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", use_alter=True))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # How the sender was shown to own the From address: "dmarc" (our trusted receiving server
    # said so), "code" (they gave the one-time code we emailed) or "web" (uploaded by the account
    # signed in with its password and two-step code); None: not shown.
    sender_verified: Mapped[str | None] = mapped_column(String(10))
    # The caseworker who released the message from quarantine: processed again, it is not held
    # a second time for what they looked at (the holds are waived, every other check runs).
    released_by: Mapped[str | None] = mapped_column(String(EMAIL))
    # When the retention purge removed the raw mail and blanked the subject (`intake purge`):
    # the row stays, for the counts and the rows that point at it, with no child's data in it.
    purged_at: Mapped[datetime | None]

    attachments: Mapped[list[Attachment]] = relationship(back_populates="inbound_message")


class Attachment(Base):
    """A file that came with an inbound message; `listed` when the form's evidence list names it,
    `flag` when something about it needs a person's eye (wrong type, too big, unlisted)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    # Sanitised: no path parts or control characters, safe to show and to offer for download.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(SHA256_HEX))
    size: Mapped[int] = mapped_column(Integer)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    flag: Mapped[str | None] = mapped_column(Text)

    inbound_message: Mapped[InboundMessage] = relationship(back_populates="attachments")


def _where_set(column: str) -> dict[str, Any]:
    """An Index's options that keep it to the rows where `column` is set, on either database."""
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


class OutboxMessage(Base):
    """An email the service will send, written in the same transaction as its cause.

    `raw` is the composed message and `message_id` its Message-ID, both fixed when queued, so a
    retry sends the same bytes and a receiver can see a repeat for what it is. A row queued in
    bulk (the reminder run's) has its recipient, subject and Message-ID fixed but `raw` empty:
    the sender composes it, by `kind`, before the first attempt and keeps the bytes from then on.
    Statuses are in `OutboxStatus`; as with inbound mail, `next_attempt_at` of a `sending` row is
    its lease. `inbound_message_id`, `case_id` and `reminder_id` (a deadline warning) say what
    caused the email, and `reason` which refusal or notice it answers.

    An advice reminder is one email to one professional, so its row is also its claim:
    `advice_request_id`, `reminder_kind` (`due-in-14`, `due-in-3`, `due-today`, `overdue-N`) and
    `reminder_on` (the run's day) are set, and the unique key on the first two makes a second
    claim of the same reminder (a rerun, a restart, two runs at once) insert nothing.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "uq_outbox_advice_reminder",
            "advice_request_id",
            "reminder_kind",
            unique=True,
            **_where_set("advice_request_id"),
        ),
        # Most mail has no inbound message or no deadline warning behind it: indexed only where
        # it has (the keys' lookups, which never ask for NULL), so that a run queueing a
        # thousand reminders does not write a thousand NULL entries into each.
        Index(
            "ix_outbox_inbound_message_id",
            "inbound_message_id",
            **_where_set("inbound_message_id"),
        ),
        Index("ix_outbox_reminder_id", "reminder_id", **_where_set("reminder_id")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed for the rate limit, which counts a recipient's mail of the last hour on every
    # enqueue: without it, a scan of every email ever queued.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(80))  # the template's name
    to_address: Mapped[str] = mapped_column(String(EMAIL))
    subject: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(MESSAGE_ID), unique=True)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[OutboxStatus] = mapped_column(
        StrEnumText(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders_sent.id"))
    advice_request_id: Mapped[int | None] = mapped_column(ForeignKey("advice_requests.id"))
    reminder_kind: Mapped[str | None] = mapped_column(String(REMINDER_KIND))
    reminder_on: Mapped[date | None] = mapped_column(Date)
    # The reason code an automatic reply answers (`no-form-attached`, `awaiting-verification`):
    # the daily limit per recipient and reason counts these. None for mail that is not a refusal.
    reason: Mapped[str | None] = mapped_column(String(80))


class MailboxState(Base):
    """How far the IMAP watcher has read a mailbox; a new UIDVALIDITY means start again.
    `checked_at` is when a watcher last finished looking through it (each sweep, at least once
    a poll interval while it is connected): the metrics' IMAP lag, the same from every process."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    checked_at: Mapped[datetime | None]
