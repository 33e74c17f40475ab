"""The store on SQLite and PostgreSQL: every model survives a round trip, unique keys refuse
duplicates, foreign keys hold, timeline events cannot be changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

import store
from store import (
    AdviceRequest,
    AdviceStatus,
    Attachment,
    AuditEntry,
    Case,
    Child,
    Database,
    InboundMessage,
    InboundStatus,
    MailboxState,
    OutboxMessage,
    OutboxStatus,
    Professional,
    Submission,
    SubmissionKind,
    TimelineEvent,
    TimelineEventImmutable,
    TimelineKind,
    Transport,
)

WHEN = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
# The same instant as WHEN, written in another zone: it must come back as WHEN in UTC.
WHEN_ELSEWHERE = WHEN.astimezone(timezone(timedelta(hours=-5)))


def add_professional(session: Session, email: str = "senco@school.example.sch.uk") -> Professional:
    professional = Professional(
        email=email, name="Sam Senco", role="SENCO", organisation_name="Hill Primary"
    )
    session.add(professional)
    session.flush()
    return professional


def add_case(session: Session, token: str = "t" * 36, reference: str = "EHC-2026-000001") -> Case:
    child = Child(forename="Ada", surname="Lovelace", date_of_birth=date(2016, 5, 1))
    case = Case(
        reference=reference,
        child=child,
        requested_by=add_professional(session, f"{token[:8]}@school.example"),
        request_token=token,
        stage="REQUEST_RECEIVED",
        day0=date(2026, 3, 2),
    )
    session.add(case)
    session.flush()
    return case


def add_inbound(session: Session, key: str, **values: object) -> InboundMessage:
    message = InboundMessage(
        transport=values.pop("transport", Transport.SMTP),
        message_key=key,
        raw_sha256="0" * 64,
        size=100,
        **values,
    )
    session.add(message)
    session.flush()
    return message


def add_submission(session: Session, case: Case, version: int, **values: object) -> Submission:
    submission = Submission(
        case_id=case.id,
        kind=values.pop("kind", SubmissionKind.REQUEST),
        version=version,
        token=values.pop("token", case.request_token),
        pdf_sha256=values.pop("pdf_sha256", f"{version:064d}"),
        answers={"child_forename": "Ada"},
        **values,
    )
    session.add(submission)
    session.flush()
    return submission


def test_every_model_survives_a_round_trip(database: Database) -> None:
    with database.session() as session:
        case = add_case(session)
        case.child.nhs_number = "9434765919"
        case.requested_by.activated_at = WHEN_ELSEWHERE
        advice = AdviceRequest(
            reference="ADV-2026-000001",
            case_id=case.id,
            professional_id=case.requested_by_id,
            advice_type="educational",
            sent_on=date(2026, 4, 1),
            due_on=date(2026, 5, 13),
        )
        session.add(advice)
        session.flush()
        inbound = add_inbound(
            session,
            "<abc@mail.example>",
            transport=Transport.IMAP,
            mailbox="INBOX",
            uidvalidity=2**32 - 1,
            uid=7,
            envelope_to=["intake@send.example.gov.uk"],
            reasons=[{"code": "required", "step": 2, "field": "upn", "params": {}}],
            decisions=[{"rule": "max-size", "hit": False}],
            next_attempt_at=WHEN_ELSEWHERE,
        )
        submission = add_submission(
            session,
            case,
            1,
            kind=SubmissionKind.ADVICE,
            advice_request_id=advice.id,
            inbound_message_id=inbound.id,
        )
        inbound.submission_id, inbound.case_id = submission.id, case.id
        session.add_all(
            [
                Attachment(
                    inbound_message_id=inbound.id,
                    submission_id=submission.id,
                    filename="report.pdf",
                    content_type="application/pdf",
                    sha256="a" * 64,
                    size=1234,
                    listed=True,
                ),
                TimelineEvent(
                    case_id=case.id,
                    kind=TimelineKind.EXCEPTION,
                    occurred_on=date(2026, 7, 20),
                    actor="caseworker@send.example.gov.uk",
                    detail={"code": "SCHOOL_CLOSURE", "end": "2026-09-01"},
                ),
                OutboxMessage(
                    kind="confirmation",
                    to_address="senco@school.example",
                    subject="EHC-2026-000001 received",
                    message_id="<out-1@send.example.gov.uk>",
                    raw=b"Subject: x\r\n\r\n\x00\xff body",
                    case_id=case.id,
                    inbound_message_id=inbound.id,
                ),
                AuditEntry(
                    actor="system", action="case.create", subject_type="case", subject_id="1"
                ),
                MailboxState(mailbox="imap://intake@mail/INBOX", uidvalidity=99, last_uid=7),
            ]
        )

    with database.session() as session:
        case = session.scalars(select(Case)).one()
        assert case.child.date_of_birth == date(2016, 5, 1)
        assert case.child.nhs_number == "9434765919"
        assert case.requested_by.activated_at == WHEN
        assert case.requested_by.activated_at.tzinfo is not None
        assert case.requested_by.activated_at.utcoffset() == timedelta(0)
        assert case.requested_by.is_active is False
        assert case.advice_requests[0].status is AdviceStatus.OPEN
        inbound = session.scalars(select(InboundMessage)).one()
        assert (inbound.mailbox, inbound.uidvalidity, inbound.uid) == ("INBOX", 2**32 - 1, 7)
        assert inbound.transport is Transport.IMAP
        assert inbound.status is InboundStatus.RECEIVED
        assert inbound.envelope_to == ["intake@send.example.gov.uk"]
        assert inbound.reasons[0]["field"] == "upn"
        assert inbound.decisions == [{"rule": "max-size", "hit": False}]
        assert inbound.next_attempt_at == WHEN
        assert inbound.received_at.tzinfo is not None
        assert inbound.submission_id == case.submissions[0].id
        assert inbound.attachments[0].listed is True
        submission = case.submissions[0]
        assert submission.kind is SubmissionKind.ADVICE
        assert submission.answers == {"child_forename": "Ada"}
        event = case.timeline[0]
        assert event.kind is TimelineKind.EXCEPTION and event.stage is None
        assert event.detail["code"] == "SCHOOL_CLOSURE"
        outbox = session.scalars(select(OutboxMessage)).one()
        assert outbox.raw == b"Subject: x\r\n\r\n\x00\xff body"
        assert outbox.status is OutboxStatus.PENDING and outbox.attempts == 0
        assert session.scalars(select(AuditEntry)).one().detail == {}
        assert session.scalars(select(MailboxState)).one().last_uid == 7


def test_times_order_by_instant_whatever_zone_they_were_given_in(database: Database) -> None:
    with database.session() as session:
        # 10:00 at UTC-5 is later than 14:00 UTC: stored as text without a zone it would not be.
        add_inbound(
            session, "<late>", received_at=datetime(2026, 1, 1, 10, tzinfo=WHEN_ELSEWHERE.tzinfo)
        )
        add_inbound(session, "<early>", received_at=datetime(2026, 1, 1, 14, tzinfo=UTC))
    with database.session() as session:
        keys = session.scalars(
            select(InboundMessage.message_key).order_by(InboundMessage.received_at)
        )
        assert list(keys) == ["<early>", "<late>"]


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        with database.session() as session:
            add_inbound(session, "<naive>", received_at=datetime(2026, 1, 1, 12))


def test_an_unknown_status_is_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="not a valid InboundStatus"):
        with database.session() as session:
            add_inbound(session, "<odd>", status="lost")


def test_a_failed_session_leaves_nothing_behind(database: Database) -> None:
    with pytest.raises(RuntimeError):
        with database.session() as session:
            add_professional(session)
            raise RuntimeError("after the insert")
    with database.session() as session:
        assert session.scalars(select(Professional)).all() == []


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        with database.session() as session:
            session.add(AuditEntry(actor="x", action="y", subject_type="z", subject_id="1"))
            session.add(
                Case(
                    reference="EHC-2026-000009",
                    child_id=999,
                    requested_by_id=999,
                    request_token="x" * 36,
                    stage="REQUEST_RECEIVED",
                    day0=date(2026, 1, 1),
                )
            )


def test_professional_email_is_unique_whatever_its_case(database: Database) -> None:
    with database.session() as session:
        add_professional(session, "Ann.Smith@School.example")
    with pytest.raises(IntegrityError):
        with database.session() as session:
            add_professional(session, "ann.smith@school.EXAMPLE")


def test_one_imap_message_is_stored_once(database: Database) -> None:
    with database.session() as session:
        add_inbound(session, "<a>", transport=Transport.IMAP, mailbox="INBOX", uidvalidity=1, uid=5)
        # Other transports have no UID; their NULLs never clash.
        add_inbound(session, "<b>")
        add_inbound(session, "<c>")
        # A new UIDVALIDITY numbers the mailbox afresh.
        add_inbound(session, "<d>", transport=Transport.IMAP, mailbox="INBOX", uidvalidity=2, uid=5)
    with pytest.raises(IntegrityError):
        with database.session() as session:
            add_inbound(
                session, "<e>", transport=Transport.IMAP, mailbox="INBOX", uidvalidity=1, uid=5
            )


def test_one_message_key_is_stored_once(database: Database) -> None:
    with database.session() as session:
        add_inbound(session, "<same@mail.example>")
    with pytest.raises(IntegrityError):
        with database.session() as session:
            add_inbound(session, "<same@mail.example>", transport=Transport.FILE)


def test_the_same_form_and_pdf_is_one_submission(database: Database) -> None:
    with database.session() as session:
        case = add_case(session)
        add_submission(session, case, 1, pdf_sha256="f" * 64)
        add_submission(session, case, 2, pdf_sha256="e" * 64)  # an edit: another PDF
    with pytest.raises(IntegrityError):
        with database.session() as session:
            case = session.scalars(select(Case)).one()
            add_submission(session, case, 3, pdf_sha256="f" * 64)


def test_a_request_version_is_taken_once(database: Database) -> None:
    # advice_request_id is NULL for requests: a plain unique key would let this through.
    with database.session() as session:
        add_submission(session, add_case(session), 1)
    with pytest.raises(IntegrityError):
        with database.session() as session:
            case = session.scalars(select(Case)).one()
            add_submission(session, case, 1, pdf_sha256="9" * 64)


def test_an_advice_version_is_taken_once_per_advice_request(database: Database) -> None:
    with database.session() as session:
        case = add_case(session)
        advice_ids = []
        for n in (1, 2):
            advice = AdviceRequest(
                reference=f"ADV-2026-00000{n}",
                case_id=case.id,
                professional_id=case.requested_by_id,
                advice_type="psychological",
            )
            session.add(advice)
            session.flush()
            advice_ids.append(advice.id)
        for n, advice_id in enumerate(advice_ids):
            add_submission(
                session,
                case,
                1,
                kind=SubmissionKind.ADVICE,
                advice_request_id=advice_id,
                token=f"{n}" * 36,
            )
    with pytest.raises(IntegrityError):
        with database.session() as session:
            case = session.scalars(select(Case)).one()
            add_submission(
                session,
                case,
                1,
                kind=SubmissionKind.ADVICE,
                advice_request_id=advice_ids[0],
                token="2" * 36,
            )


def test_a_request_token_makes_one_case(database: Database) -> None:
    with database.session() as session:
        add_case(session, token="k" * 36, reference="EHC-2026-000001")
    with pytest.raises(IntegrityError):
        with database.session() as session:
            add_case(session, token="k" * 35 + "j", reference="EHC-2026-000001")
    with pytest.raises(IntegrityError):
        with database.session() as session:
            add_case(session, token="k" * 36, reference="EHC-2026-000002")


def test_timeline_events_cannot_be_changed(database: Database) -> None:
    with database.session() as session:
        case = add_case(session)
        session.add(
            TimelineEvent(
                case_id=case.id,
                kind=TimelineKind.STAGE,
                stage="REQUEST_RECEIVED",
                occurred_on=date(2026, 3, 2),
                actor="system",
            )
        )
    with pytest.raises(TimelineEventImmutable):
        with database.session() as session:
            session.scalars(select(TimelineEvent)).one().occurred_on = date(2026, 1, 1)
    with pytest.raises(TimelineEventImmutable):
        with database.session() as session:
            session.execute(update(TimelineEvent).values(stage="FINAL_ISSUED"))
    with database.session() as session:
        event = session.scalars(select(TimelineEvent)).one()
        assert (event.occurred_on, event.stage) == (date(2026, 3, 2), "REQUEST_RECEIVED")


def test_sqlite_connections_use_wal_and_wait_for_locks(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert store.normalise_url("postgresql://u:p%40ss@h:5433/db") == (
        "postgresql+psycopg://u:p%40ss@h:5433/db"
    )
    assert store.normalise_url("sqlite:///var/intake.db") == "sqlite:///var/intake.db"
