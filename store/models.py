"""The people and case records: professionals, children, cases, advice requests, submissions,
the timeline, the audit log and the counters behind reference numbers.

Mail records (inbound messages, attachments, the outbox) are in `store.mail_models`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, relationship

from store.base import Base, JSONData, StrEnumText, utcnow
from store.statuses import AdviceStatus, SubmissionKind, TimelineKind

EMAIL = 320  # RFC 5321: 64 + 1 + 255
MESSAGE_ID = 998  # RFC 5322's longest line
REMINDER_KIND = 100  # `due-in-14`, `overdue-12`, `deadline-<milestone>-<date>`
SHA256_HEX = 64


class Professional(Base):
    """Anyone with an account: a professional who requests or advises, or an SES caseworker.

    Email addresses are unique whatever their case (`Ann@X` and `ann@x` are one account), through
    an index on `lower(email)`; the address is kept as the person wrote it.
    """

    __tablename__ = "professionals"
    __table_args__ = (Index("uq_professionals_email_lower", func.lower("email"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100))
    organisation_name: Mapped[str] = mapped_column(String(200))
    organisation_type: Mapped[str | None] = mapped_column(String(50))
    # A DfE URN, NHS ODS code or similar, when the organisation has one.
    organisation_id: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(default=False)
    is_caseworker: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Two-step verification: "email" (a code by email) or "app" (an authenticator's TOTP).
    two_factor: Mapped[str | None] = mapped_column(String(10))
    # Wrong codes in a row; five lock the account until `locked_until`.
    failed_codes: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # The password PDFs holding a child's data are encrypted with, itself encrypted with the
    # service's key (it must be recoverable to encrypt with); None: no encrypted forms.
    document_password: Mapped[str | None] = mapped_column(String(500))
    # A registration a caseworker declined, and why (the account stays inactive).
    declined_at: Mapped[datetime | None]
    declined_reason: Mapped[str | None] = mapped_column(String(500))
    # Signing out ends every web session of the account begun before this moment: the session
    # cookie is signed, not stored, so a copy of it would otherwise outlive the sign-out.
    sessions_ended_at: Mapped[datetime | None]


class Child(Base):
    """A child or young person named in a request."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    postcode: Mapped[str | None] = mapped_column(String(10))
    upn: Mapped[str | None] = mapped_column(String(13))
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    sex: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The stage values of a closed case, by code and by the display name stored before codes were:
# `intake.cases.timeline.CLOSED_STAGE_VALUES`, written out here because the store imports nothing
# of ours (tests/test_queue_plans.py holds the two equal). Sorted, and `open_case` below writes
# them as literals, because SQLite uses a partial index only for a query that repeats its
# condition exactly.
CLOSED_CASE_STAGES = (
    "Decision: no plan",
    "Decision: not assessing",
    "FINAL_ISSUED",
    "Final plan issued",
    "NOT_ISSUING",
    "REFUSED_TO_ASSESS",
    "Request withdrawn",
    "WITHDRAWN",
)
_OPEN_CASE_SQL = "stage NOT IN ({})".format(", ".join(f"'{v}'" for v in CLOSED_CASE_STAGES))


class Case(Base):
    """One request for an EHC needs assessment and everything that follows it.

    `request_token` is unique: the token in a request form stands for one request, so a second
    reply with the same form is an edit of this case, never a second case. `stage` is the latest
    stage code of the timeline (`domain/timeline.md` section 7); `day0` starts the statutory clock.
    """

    __tablename__ = "cases"
    # The caseworkers' queue: new requests newest first, and the deadlines at risk by day 0,
    # among open cases only (old closed ones are most of the table, and grow every year).
    __table_args__ = (
        Index("ix_cases_stage_created", "stage", "created_at", "id"),
        Index("ix_cases_day0", "day0"),
        Index(
            "ix_cases_open_day0",
            "day0",
            "id",
            "stage",
            sqlite_where=text(_OPEN_CASE_SQL),
            postgresql_where=text(_OPEN_CASE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), index=True)
    request_token: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[str] = mapped_column(String(40))
    day0: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A legal hold (a complaint, a tribunal, an inquiry) keeps the case, its mail and its files
    # from every purge until it is released; who placed it and why are in the audit log too.
    legal_hold_reason: Mapped[str | None] = mapped_column(String(500))
    legal_hold_by: Mapped[str | None] = mapped_column(String(EMAIL))
    legal_hold_at: Mapped[datetime | None]

    child: Mapped[Child] = relationship()
    requested_by: Mapped[Professional] = relationship()
    timeline: Mapped[list[TimelineEvent]] = relationship(
        back_populates="case", order_by="(TimelineEvent.occurred_on, TimelineEvent.id)"
    )
    advice_requests: Mapped[list[AdviceRequest]] = relationship(back_populates="case")
    submissions: Mapped[list[Submission]] = relationship(back_populates="case")


def open_case() -> Any:
    """The condition of `ix_cases_open_day0`, as a query must write it for SQLite to use it."""
    closed = bindparam("closed_stages", CLOSED_CASE_STAGES, expanding=True, literal_execute=True)
    return Case.stage.not_in(closed)


class AdviceRequest(Base):
    """The service asking one professional for one kind of advice on a case (reg 6), with its own
    six-week clock (reg 8) from `sent_on` to `due_on`."""

    __tablename__ = "advice_requests"
    # The caseworkers' queue: open requests past their due date.
    __table_args__ = (Index("ix_advice_requests_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), index=True)
    advice_type: Mapped[str] = mapped_column(String(40))
    sent_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[AdviceStatus] = mapped_column(
        StrEnumText(AdviceStatus), default=AdviceStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="advice_requests")
    professional: Mapped[Professional] = relationship()


class Submission(Base):
    """One accepted filled form: a request (or an edit of it) or a piece of advice.

    Versions count up per form: per case for the request, per advice request for advice. The
    same token with the same PDF bytes is the same submission sent twice (unique
    `(token, pdf_sha256)`), which the pipeline records as a duplicate, not a new version.
    A request has no advice request and advice always has one; two partial unique indexes keep
    version numbers unique, because a plain unique key would let rows with a NULL
    `advice_request_id` repeat.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("token", "pdf_sha256"),
        Index(
            "uq_submissions_request_version",
            "case_id",
            "kind",
            "version",
            unique=True,
            sqlite_where=text("advice_request_id IS NULL"),
            postgresql_where=text("advice_request_id IS NULL"),
        ),
        Index(
            "uq_submissions_advice_version",
            "case_id",
            "kind",
            "advice_request_id",
            "version",
            unique=True,
            sqlite_where=text("advice_request_id IS NOT NULL"),
            postgresql_where=text("advice_request_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    advice_request_id: Mapped[int | None] = mapped_column(ForeignKey("advice_requests.id"))
    kind: Mapped[SubmissionKind] = mapped_column(StrEnumText(SubmissionKind))
    version: Mapped[int] = mapped_column(Integer)
    # NULL when the form came through the web rather than by email.
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id"), index=True
    )
    token: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(SHA256_HEX))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONData)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(back_populates="submissions")


class TimelineEvent(Base):
    """One dated fact in a case's history: a stage reached, a statutory exception, or a note.

    Immutable: SEN2 reporting relies on stage dates never being rewritten, so a correction is a
    new event. The ORM refuses updates (see `_refuse_timeline_update`); a raw SQL UPDATE is not
    stopped by the database.
    """

    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[TimelineKind] = mapped_column(StrEnumText(TimelineKind))
    stage: Mapped[str | None] = mapped_column(String(40))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An email address, or "system" for the pipeline and scheduled jobs.
    actor: Mapped[str] = mapped_column(String(EMAIL))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)

    case: Mapped[Case] = relationship(back_populates="timeline")


class TimelineEventImmutable(Exception):
    """Something tried to change a recorded timeline event."""


@event.listens_for(TimelineEvent, "before_update")
def _refuse_timeline_update(mapper: Mapper[Any], connection: Any, target: TimelineEvent) -> None:
    raise TimelineEventImmutable(f"timeline event {target.id} cannot be changed; add a new one")


@event.listens_for(Session, "do_orm_execute")
def _refuse_timeline_bulk_update(state: Any) -> None:
    # session.execute(update(TimelineEvent)) bypasses before_update, so it is caught here too.
    if state.is_update and state.bind_mapper is not None:
        if state.bind_mapper.class_ is TimelineEvent:
            raise TimelineEventImmutable("timeline events cannot be changed; add a new one")


class AuditEntry(Base):
    """Who did what to which record, for data protection and complaints.

    Append-only: the ORM refuses to change or delete an entry, one by one or in bulk (see
    `_refuse_audit_change`); a raw SQL statement is not stopped by the database.
    """

    __tablename__ = "audit_log"
    # A record's trail; and one action's entries since a moment (the queue's held mail).
    __table_args__ = (
        Index(None, "subject_type", "subject_id"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(EMAIL))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONData, default=dict)


class AuditEntryImmutable(Exception):
    """Something tried to change or remove an audit entry."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_change(mapper: Mapper[Any], connection: Any, target: AuditEntry) -> None:
    raise AuditEntryImmutable(f"audit entry {target.id} cannot be changed or removed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_audit_bulk_change(state: Any) -> None:
    # session.execute(update(...)) or delete(...) bypasses the mapper events: caught here too.
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry:
            raise AuditEntryImmutable("audit entries cannot be changed or removed")


class ReferenceCounter(Base):
    """The last number handed out for a reference prefix and year (see `store.references`)."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)
