"""Several workers at once: reference numbers stay sequential and unique, claims hand each
worker different rows, and a claim's lease, retries and parking follow the documented lifecycle."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from db_servers import postgres_url
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from store import (
    LEASE,
    MAX_INBOUND_ATTEMPTS,
    Database,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Transport,
    claim_inbound,
    claim_outbox,
    next_reference,
    next_reference_now,
    open_database,
    record_inbound_failure,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_inbound_messages(database: Database, count: int) -> list[int]:
    with database.session() as session:
        messages = [
            InboundMessage(
                transport=Transport.SMTP,
                message_key=f"<{n}@mail.example>",
                raw_sha256="0" * 64,
                size=10,
                received_at=NOW + timedelta(seconds=n),
            )
            for n in range(count)
        ]
        session.add_all(messages)
        session.flush()
        return [message.id for message in messages]


def add_outbox(session: Session, key: str, **values: object) -> OutboxMessage:
    row = OutboxMessage(
        kind="confirmation",
        to_address="senco@school.example",
        subject="received",
        message_id=f"<{key}@send.example>",
        raw=b"x",
        **values,
    )
    session.add(row)
    session.flush()
    return row


def test_references_are_sequential_per_prefix_and_year(database: Database) -> None:
    with database.session() as session:
        taken = [next_reference(session, "EHC", 2026) for _ in range(3)]
        taken.append(next_reference(session, "ADV", 2026))
        taken.append(next_reference(session, "EHC", 2027))
    with database.session() as session:
        taken.append(next_reference(session, "EHC", 2026))
    assert taken == [
        "EHC-2026-000001",
        "EHC-2026-000002",
        "EHC-2026-000003",
        "ADV-2026-000001",
        "EHC-2027-000001",
        "EHC-2026-000004",
    ]


def test_a_rolled_back_reference_is_handed_out_again(database: Database) -> None:
    with pytest.raises(RuntimeError):
        with database.session() as session:
            assert next_reference(session, "EHC", 2026) == "EHC-2026-000001"
            raise RuntimeError("the case could not be saved")
    with database.session() as session:
        assert next_reference(session, "EHC", 2026) == "EHC-2026-000001"


def test_a_reference_taken_now_on_postgresql_holds_no_lock_and_is_skipped_on_failure(
    postgres_database: Database,
) -> None:
    with pytest.raises(RuntimeError):
        with postgres_database.session() as session:
            assert next_reference_now(session, "EHC", 2026) == "EHC-2026-000001"
            # Another worker is not kept waiting for this transaction to end.
            with postgres_database.session() as other:
                other.execute(text("SET LOCAL lock_timeout = '2s'"))
                assert next_reference(other, "EHC", 2026) == "EHC-2026-000002"
            raise RuntimeError("the case could not be saved")
    with postgres_database.session() as session:
        assert next_reference_now(session, "EHC", 2026) == "EHC-2026-000003"


def test_workers_taking_references_at_once_never_share_one(database: Database) -> None:
    workers, each = 6, 5
    # All start together, and the counter row does not exist yet: the first-of-year race too.
    start = threading.Barrier(workers)
    taken: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(each):
                with database.session() as session:
                    reference = next_reference(session, "EHC", 2026)
                taken.append(reference)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(taken) == [f"EHC-2026-{n:06d}" for n in range(1, workers * each + 1)]


def test_concurrent_claims_get_disjoint_rows(postgres_database: Database) -> None:
    ids = add_inbound_messages(postgres_database, 10)
    first = postgres_database.sessions()
    second = postgres_database.sessions()
    try:
        mine = claim_inbound(first, limit=4, now=NOW)
        # If the first claim's locks were not skipped this would wait; fail instead of hanging.
        second.execute(text("SET LOCAL lock_timeout = '3s'"))
        theirs = claim_inbound(second, limit=10, now=NOW)
        assert [m.id for m in mine] == ids[:4]
        assert [m.id for m in theirs] == ids[4:]
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    with postgres_database.session() as session:
        statuses = session.scalars(select(InboundMessage.status)).all()
        assert statuses == [InboundStatus.PROCESSING] * 10
        assert claim_inbound(session, limit=10, now=NOW) == []


def test_concurrent_outbox_claims_get_disjoint_rows(postgres_database: Database) -> None:
    with postgres_database.session() as session:
        ids = [
            add_outbox(session, str(n), created_at=NOW + timedelta(seconds=n)).id for n in range(6)
        ]
    first = postgres_database.sessions()
    second = postgres_database.sessions()
    try:
        mine = claim_outbox(first, NOW, limit=2)
        second.execute(text("SET LOCAL lock_timeout = '3s'"))
        theirs = claim_outbox(second, NOW, limit=10)
        assert [r.id for r in mine] == ids[:2] and [r.id for r in theirs] == ids[2:]
    finally:
        first.close()
        second.close()


def test_a_claim_lasts_its_lease_then_returns_the_message(database: Database) -> None:
    [message_id] = add_inbound_messages(database, 1)
    with database.session() as session:
        [claimed] = claim_inbound(session, limit=5, now=NOW)
        assert (claimed.status, claimed.attempts) == (InboundStatus.PROCESSING, 1)
        assert claimed.next_attempt_at == NOW + LEASE
    with database.session() as session:
        assert claim_inbound(session, limit=5, now=NOW + LEASE - timedelta(seconds=1)) == []
        # The worker died: once the lease is over another worker takes the message.
        [again] = claim_inbound(session, limit=5, now=NOW + LEASE)
        assert (again.id, again.attempts) == (message_id, 2)


def test_failures_are_retried_then_parked(database: Database) -> None:
    add_inbound_messages(database, 1)
    now = NOW
    for attempt in range(1, MAX_INBOUND_ATTEMPTS + 1):
        with database.session() as session:
            [message] = claim_inbound(session, limit=1, now=now)
            assert message.attempts == attempt
            record_inbound_failure(message, "database went away", now=now)
            expected = (
                InboundStatus.PARKED if attempt == MAX_INBOUND_ATTEMPTS else InboundStatus.FAILED
            )
            assert message.status is expected
            if message.next_attempt_at is not None:
                assert message.next_attempt_at > now
                assert claim_inbound(session, limit=1, now=now) == []
                now = message.next_attempt_at
    with database.session() as session:
        assert claim_inbound(session, limit=1, now=now + timedelta(days=30)) == []
        parked = session.scalars(select(InboundMessage)).one()
        assert (parked.status, parked.last_error) == (InboundStatus.PARKED, "database went away")


def test_a_message_whose_worker_keeps_dying_is_parked(database: Database) -> None:
    add_inbound_messages(database, 1)
    now = NOW
    for _ in range(MAX_INBOUND_ATTEMPTS):
        with database.session() as session:
            assert len(claim_inbound(session, limit=1, now=now)) == 1
        now += LEASE
    with database.session() as session:
        assert claim_inbound(session, limit=1, now=now) == []
        assert session.scalars(select(InboundMessage.status)).one() is InboundStatus.PARKED


def test_outbox_claims_take_only_mail_that_is_due(database: Database) -> None:
    with database.session() as session:
        due = add_outbox(session, "due")
        add_outbox(session, "later", next_attempt_at=NOW + timedelta(minutes=5))
        add_outbox(session, "sent", status=OutboxStatus.SENT)
        add_outbox(session, "failed", status=OutboxStatus.FAILED)
    with database.session() as session:
        [claimed] = claim_outbox(session, NOW, limit=10)
        assert (claimed.id, claimed.status, claimed.attempts) == (due.id, OutboxStatus.SENDING, 1)
        assert claim_outbox(session, NOW, limit=10) == []
    with database.session() as session:
        keys = [row.message_id for row in claim_outbox(session, NOW + timedelta(minutes=5), 10)]
        assert keys == ["<later@send.example>"]


def test_plain_postgresql_url_opens_with_psycopg() -> None:
    url = postgres_url().replace("postgresql+psycopg://", "postgresql://")
    database = open_database(url)
    try:
        assert database.engine.dialect.driver == "psycopg"
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        database.close()
