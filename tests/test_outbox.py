"""The outbox: queueing in the caller's transaction, the per-recipient limit, and delivery with
retries to a real SMTP relay (the aiosmtpd sink), a closed port, and a folder of .eml files."""

from __future__ import annotations

import email
import logging
import smtplib
import stat
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from mail_servers import RelaySink, free_port, relay_sink  # noqa: F401 (fixture)
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from intake.views.case import queue_rows
from notifier import (
    RATE_LIMITED_ACTION,
    ComposedEmail,
    EmlFolder,
    OutboxSender,
    RateLimit,
    SendReport,
    SmtpRelay,
    TemporaryFailure,
    enqueue,
    outbox_rows,
    pending,
)
from notifier.outbox import mail_queued_since
from store import AuditEntry, Database, OutboxMessage, OutboxStatus

NOW = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
SENDER = "intake@send.example.gov.uk"
ANN = "ann.smith@school.example.org"


def composed(to: str = ANN, reference: str = "EHC-2025-0001") -> ComposedEmail:
    """A confirmation-like message, built here so that template wording cannot break these tests;
    the dash makes the body 8-bit, as composed mail often is."""
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = f"Received: {reference}"
    message["Message-ID"] = make_msgid(domain="send.example.gov.uk")
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(f"Thank you \N{EM DASH} we have received your request.\n\n{reference}\n")
    return ComposedEmail(
        to=to, subject=message["Subject"], message_id=message["Message-ID"], raw=message.as_bytes()
    )


def queue(database: Database, count: int = 1, *, to: str = ANN, now: datetime = NOW) -> list[int]:
    """Queue `count` confirmations in one committed transaction; their row ids."""
    with database.session() as session:
        rows = [
            enqueue(session, composed(to, f"EHC-2025-{n:04d}"), kind="confirmation", now=now)
            for n in range(count)
        ]
        return [row.id for row in rows if row is not None]


def outbox_row(database: Database, row_id: int) -> OutboxMessage:
    with database.session() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


def message_id_of(data: bytes) -> str:
    return email.message_from_bytes(data, policy=default_policy)["Message-ID"]


def test_enqueue_rolls_back_with_the_transaction_that_caused_it(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        row = enqueue(session, composed(), kind="confirmation", now=NOW)
        assert row is not None and row.id is not None  # written in the transaction...
        raise RuntimeError("the submission failed to save")
    with database.session() as session:  # ...and gone with it
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0

    (row_id,) = queue(database)
    with database.session() as session:
        assert [row.id for row in pending(session)] == [row_id]
        (listed,) = outbox_rows(session)
    assert listed == {
        "id": row_id,
        "kind": "confirmation",
        "to": ANN,
        "subject": "Received: EHC-2025-0000",
        "message_id": listed["message_id"],
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
        "sent_at": None,
    }
    assert listed["message_id"].startswith("<") and listed["message_id"].endswith(">")


def test_rate_limit_holds_at_per_hour_and_is_audited(database: Database) -> None:
    limit = RateLimit(per_hour=3)
    with database.session() as session:
        # An hour and more ago: no longer counted.
        for n in range(3):
            old = composed(ANN, f"EHC-2025-1{n:03d}")
            earlier = NOW - timedelta(minutes=61)
            assert enqueue(session, old, kind="confirmation", now=earlier, rate_limit=limit)
        for n in range(3):
            recent = composed(ANN.upper(), f"EHC-2025-2{n:03d}")  # any case is one mailbox
            assert enqueue(session, recent, kind="confirmation", now=NOW, rate_limit=limit)
        held = enqueue(session, composed(), kind="problems", now=NOW, rate_limit=limit)
        assert held is None
        bob = composed("Bob <bob@gp.example.nhs.uk>")
        other = enqueue(session, bob, kind="confirmation", now=NOW, rate_limit=limit)
        assert other is not None
    with database.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 7
        (entry,) = session.scalars(select(AuditEntry)).all()
    assert entry.action == RATE_LIMITED_ACTION
    assert entry.detail["kind"] == "problems"
    assert entry.detail["recipient"] == ANN
    assert entry.detail["queued_last_hour"] == 3


def test_replies_for_one_reason_are_limited_per_day_and_others_still_go(database: Database) -> None:
    limit = RateLimit(per_hour=100, per_reason_per_day=2)
    with database.session() as session:
        # A day and more ago: no longer counted.
        stale = composed(ANN, "EHC-2025-3000")
        day_ago = NOW - timedelta(hours=25)
        assert enqueue(session, stale, kind="problems", now=day_ago, rate_limit=limit, reason="r")
        for n in range(2):
            again = composed(ANN.upper(), f"EHC-2025-3{n + 1:03d}")
            assert enqueue(session, again, kind="problems", now=NOW, rate_limit=limit, reason="r")
        held = enqueue(session, composed(), kind="problems", now=NOW, rate_limit=limit, reason="r")
        assert held is None
        # Another reason, mail that answers no refusal, and another address are not held.
        other = composed(ANN, "EHC-2025-3100")
        assert enqueue(session, other, kind="problems", now=NOW, rate_limit=limit, reason="s")
        plain = composed(ANN, "EHC-2025-3200")
        assert enqueue(session, plain, kind="confirmation", now=NOW, rate_limit=limit)
        bob = composed("Bob <bob@gp.example.nhs.uk>")
        assert enqueue(session, bob, kind="problems", now=NOW, rate_limit=limit, reason="r")
    with database.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 6
        (entry,) = session.scalars(select(AuditEntry)).all()
    assert (entry.detail["reason"], entry.detail["same_reason_last_day"]) == ("r", 2)
    assert entry.detail["per_reason_per_day"] == 2


def test_the_rate_limit_reads_the_last_hour_through_an_index(sqlite_database: Database) -> None:
    """Every enqueue counts the recipient's last hour: through the index on created_at, not a
    scan of every email ever queued (SQLite's plan; PostgreSQL chooses by table size)."""
    statement = mail_queued_since(ANN, NOW - timedelta(hours=1))
    compiled = statement.compile(sqlite_database.engine, compile_kwargs={"literal_binds": True})
    with sqlite_database.engine.connect() as connection:
        plan = " ".join(
            row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        )
    assert "USING INDEX ix_outbox_created_at" in plan, plan


def test_relay_failing_twice_then_recovering_delivers_once(
    database: Database,
    relay_sink: RelaySink,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    (row_id,) = queue(database)
    relay_sink.fail_with(451, "4.3.0 try again later", count=2)
    sender = OutboxSender(database, SmtpRelay(relay_sink.url), envelope_from=SENDER)

    assert sender.send_due(NOW) == SendReport(retried=1)
    first = outbox_row(database, row_id)
    assert first.status == OutboxStatus.PENDING
    assert first.last_error == "451 4.3.0 try again later"
    assert first.next_attempt_at == NOW + timedelta(seconds=30)
    # Not due yet: nothing is tried before the backoff ends.
    assert sender.send_due(NOW + timedelta(seconds=29)) == SendReport()

    assert sender.send_due(NOW + timedelta(seconds=30)) == SendReport(retried=1)
    assert outbox_row(database, row_id).next_attempt_at == NOW + timedelta(seconds=90)
    with caplog.at_level(logging.INFO, logger="intake.outbox"):
        assert sender.send_due(NOW + timedelta(seconds=90)) == SendReport(sent=1)

    (delivered,) = relay_sink.wait_for(1)
    row = outbox_row(database, row_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 3
    assert row.sent_at == NOW + timedelta(seconds=90)
    assert delivered.rcpt_tos == [ANN] and delivered.mail_from == SENDER
    # The same bytes as queued, 8-bit body intact, with the CRLF line ends SMTP requires.
    assert delivered.data.replace(b"\r\n", b"\n") == row.raw and b"\r\n" in delivered.data
    ids = {message_id_of(m.data) for m in [*relay_sink.refused, delivered]}
    assert ids == {row.message_id}
    assert len(relay_sink.refused) == 2 and len(relay_sink.messages) == 1
    # The log names the domain, never the person.
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert f"outbox {row_id} confirmation sent to @school.example.org" in logged
    assert "ann.smith" not in logged


def test_permanent_refusal_fails_the_row_and_is_not_retried(
    database: Database,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    (row_id,) = queue(database)
    relay_sink.fail_with(550, "5.1.1 <ann.smith@school.example.org>: no such user")
    sender = OutboxSender(database, SmtpRelay(relay_sink.url), envelope_from=SENDER)

    assert sender.send_due(NOW) == SendReport(failed=1)
    assert sender.send_due(NOW + timedelta(days=1)) == SendReport()
    row = outbox_row(database, row_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert row.last_error == "550 5.1.1 <ann.smith@school.example.org>: no such user"
    assert len(relay_sink.refused) == 1 and relay_sink.messages == []
    with database.session() as session:
        assert pending(session) == []
        assert outbox_rows(session, status="failed")[0]["last_error"] == row.last_error


def test_closed_port_is_temporary_and_holds_back_the_rest_of_the_batch(
    database: Database,
) -> None:
    first, second = queue(database, 2)
    relay = SmtpRelay(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(TemporaryFailure):
        relay.send(SENDER, ANN, composed().raw)

    report = OutboxSender(database, relay, envelope_from=SENDER).send_due(NOW)
    assert report == SendReport(retried=1, deferred=1)
    tried, untried = outbox_row(database, first), outbox_row(database, second)
    assert tried.status == OutboxStatus.PENDING and tried.attempts == 1
    assert "cannot reach relay" in (tried.last_error or "")
    # Not tried, so not counted; it waits as long as the failed one.
    assert untried.status == OutboxStatus.PENDING and untried.attempts == 0
    assert untried.next_attempt_at == NOW + timedelta(seconds=30)


def test_temporary_failures_give_up_after_max_attempts(
    database: Database,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    (row_id,) = queue(database)
    relay_sink.fail_with(421, "4.4.2 busy", count=10)
    sender = OutboxSender(database, SmtpRelay(relay_sink.url), envelope_from=SENDER, max_attempts=3)
    reports = [sender.send_due(NOW + timedelta(hours=n)) for n in range(4)]
    retried, failed = SendReport(retried=1), SendReport(failed=1)
    assert reports == [retried, retried, failed, SendReport()]
    row = outbox_row(database, row_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert row.last_error == "gave up after 3 attempts: 421 4.4.2 busy"


def test_eml_folder_writes_private_parseable_messages(database: Database, tmp_path: Path) -> None:
    (row_id,) = queue(database)
    folder = tmp_path / "outbox-sent"
    sender = OutboxSender(database, EmlFolder(folder), envelope_from=SENDER)
    assert sender.send_due(NOW) == SendReport(sent=1)

    (written,) = folder.iterdir()
    row = outbox_row(database, row_id)
    assert written.name.endswith(".eml")
    assert row.message_id.strip("<>") in written.name
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    parsed = email.message_from_bytes(written.read_bytes(), policy=default_policy)
    assert parsed["Message-ID"] == row.message_id
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert "we have received your request" in parsed.get_body(("plain",)).get_content()
    assert written.read_bytes() == row.raw


def test_two_senders_on_postgresql_never_send_a_row_twice(
    postgres_database: Database,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    queued = 60
    with postgres_database.session() as session:
        for n in range(queued):
            enqueue(session, composed(f"caseworker{n}@send.example.gov.uk"), kind="deadline")
    senders = [
        OutboxSender(postgres_database, SmtpRelay(relay_sink.url), envelope_from=SENDER, batch=3)
        for _ in range(2)
    ]
    # Each round starts both claims together, so they overlap in time as often as they can.
    rounds = threading.Barrier(2)
    sent_by: list[int] = [0, 0]

    def drain(index: int) -> None:
        while True:
            try:
                rounds.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass  # the other sender found nothing left; go on alone
            report = senders[index].send_due()
            sent_by[index] += report.sent
            if not report.claimed:
                rounds.abort()
                return

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert sum(sent_by) == queued and all(sent_by), sent_by
    assert len(relay_sink.messages) == queued
    copies = Counter(message_id_of(m.data) for m in relay_sink.messages)
    assert set(copies.values()) == {1}
    with postgres_database.session() as session:
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT}


def test_wake_sends_at_once_without_waiting_for_the_interval(
    sqlite_database: Database,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    sender = OutboxSender(sqlite_database, SmtpRelay(relay_sink.url), envelope_from=SENDER)
    stop = threading.Event()
    loop = threading.Thread(target=sender.run, args=(stop,), kwargs={"interval": 60.0})
    loop.start()
    try:
        relay_sink.messages.clear()
        queue(sqlite_database, 1)
        sender.wake()
        (delivered,) = relay_sink.wait_for(1, timeout=5)
        assert delivered.rcpt_tos == [ANN]
    finally:
        stop.set()
        sender.wake()
        loop.join(timeout=10)
    assert not loop.is_alive()


class LoginRelay:
    """An aiosmtpd relay that demands a login (without TLS, as a test may)."""

    def __init__(self, username: str, password: str) -> None:
        self.credentials = (username.encode(), password.encode())
        self.received: list[bytes] = []
        self.port = free_port()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.authenticate,
            auth_required=True,
            auth_require_tls=False,
        )

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
        ok = isinstance(auth_data, LoginPassword) and (
            (auth_data.login, auth_data.password) == self.credentials
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.received.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def login_relay() -> Iterator[LoginRelay]:
    relay = LoginRelay("ses@council", "p@ss word")
    relay.controller.start()
    try:
        yield relay
    finally:
        relay.controller.stop()


# aiosmtpd warns, rightly, that AUTH without TLS is unsafe; this relay lives for one test.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_url_credentials_log_in(login_relay: LoginRelay) -> None:
    raw = composed().raw
    good = f"smtp://ses%40council:p%40ss%20word@127.0.0.1:{login_relay.port}"
    SmtpRelay(good).send(SENDER, ANN, raw)
    assert [message_id_of(data) for data in login_relay.received] == [message_id_of(raw)]
    # A wrong password is the configuration's fault: the mail waits rather than failing.
    wrong = f"smtp://ses%40council:nope@127.0.0.1:{login_relay.port}"
    started = time.monotonic()
    with pytest.raises(TemporaryFailure, match="setup failed: .*535") as refused:
        SmtpRelay(wrong).send(SENDER, ANN, raw)
    assert time.monotonic() - started < 5  # refused, not timed out
    assert refused.value.transport_down
    assert "nope" not in repr(SmtpRelay(wrong))
    with pytest.raises(smtplib.SMTPException):  # the relay really does demand a login
        with smtplib.SMTP("127.0.0.1", login_relay.port) as plain:
            plain.sendmail(SENDER, [ANN], raw)


def _queue_without_body(database: Database, kind: str) -> int:
    """A row as the reminder run queues it: recipient, subject and Message-ID, no body."""
    with database.session() as session:
        row = OutboxMessage(
            created_at=NOW, kind=kind, to_address=ANN, subject=f"queued {kind}",
            message_id=f"<{kind}-1@send.example.gov.uk>", raw=None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def test_rows_without_a_body_are_composed_once_or_failed_with_the_reason(
    database: Database, tmp_path: Path
) -> None:
    waiting = _queue_without_body(database, "reminder")
    broken = _queue_without_body(database, "broken")
    (ready,) = queue(database)
    calls = []

    def composer(session, row: OutboxMessage) -> ComposedEmail:
        calls.append(row.id)
        if row.kind == "broken":
            raise ValueError("no template for this")
        email_ = composed()
        return ComposedEmail(to=row.to_address, subject="Composed", message_id=row.message_id,
                             raw=email_.raw.replace(email_.message_id.encode(),
                                                    row.message_id.encode()))  # fmt: skip

    folder = tmp_path / "sent"
    sender = OutboxSender(database, EmlFolder(folder), envelope_from=SENDER, composer=composer)
    assert sender.send_due(NOW) == SendReport(sent=2, failed=1)
    assert sorted(calls) == sorted([waiting, broken])
    sent = outbox_row(database, waiting)
    assert sent.status == OutboxStatus.SENT and sent.subject == "Composed"
    assert message_id_of(sent.raw) == sent.message_id
    assert {p.read_bytes() for p in folder.iterdir()} == {sent.raw, outbox_row(database, ready).raw}
    failed = outbox_row(database, broken)
    assert failed.status == OutboxStatus.FAILED and failed.raw is None
    assert failed.last_error == "could not be composed: no template for this"

    # A sender that cannot compose fails such a row rather than sending nothing forever.
    later = _queue_without_body(database, "later")
    plain = OutboxSender(database, EmlFolder(folder), envelope_from=SENDER)
    assert plain.send_due(NOW) == SendReport(failed=1)
    assert "cannot compose" in outbox_row(database, later).last_error


def test_mail_that_failed_for_good_is_shown_in_the_caseworker_queue(
    services,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    now = services.now()
    (failed_id,) = queue(services.db, now=now)
    (kept_id,) = queue(services.db, to="bob@school.example.org", now=now + timedelta(seconds=1))
    relay_sink.fail_with(550, "5.1.1 no such user")
    sender = OutboxSender(services.db, SmtpRelay(relay_sink.url), envelope_from=SENDER, batch=1)
    assert sender.send_due(now) == SendReport(failed=1)
    [shown] = [r for r in queue_rows(services, None) if r["type"] == "undelivered-mail"]
    assert (shown["id"], shown["status"], shown["from"]) == (failed_id, "failed", ANN)
    assert shown["summary"] == f"confirmation email to {ANN} not delivered: 550 5.1.1 no such user"
    # Only mail that failed: the row still waiting is not there, nor in a queue of one status.
    assert kept_id != failed_id and outbox_row(services.db, kept_id).status == OutboxStatus.PENDING
    assert not [r for r in queue_rows(services, "all") if r["type"] == "undelivered-mail"]


def test_a_database_fault_while_composing_leaves_the_row_to_try_again(
    database: Database, tmp_path: Path
) -> None:
    waiting = _queue_without_body(database, "reminder")

    def composer(session, row: OutboxMessage) -> ComposedEmail:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    sender = OutboxSender(database, EmlFolder(tmp_path), envelope_from=SENDER, composer=composer)
    with pytest.raises(OperationalError):
        sender.send_due(NOW)
    row = outbox_row(database, waiting)
    assert (row.status, row.attempts, row.raw) == (OutboxStatus.PENDING, 0, None)
