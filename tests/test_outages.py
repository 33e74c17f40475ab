"""Outages of what the service depends on, end to end with `RunningService`: the relay refusing
for ten (simulated) minutes, the mailbox server stopped and started, and the mailbox's
UIDVALIDITY changed under the watcher. Each ends with every message recorded once and every
reply delivered once.

The relay outage drives the outbox sender with a clock of its own (`send_due(now=...)`), as the
reminder tests pass `today`, rather than waiting ten real minutes.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import INTAKE_ADDRESS, free_port
from mail_factory import build_message, read_email
from mail_servers import (  # noqa: F401 (fixtures)
    Dovecot,
    Mailbox,
    RelaySink,
    relay_sink,
    wait_until,
)
from sqlalchemy import select

from intake.cli import main as cli
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.serve import RunningService, outbox_sender
from notifier.sender import FIRST_RETRY, retry_delay
from store import (
    InboundMessage,
    InboundStatus,
    MailboxState,
    OutboxMessage,
    OutboxStatus,
    Transport,
    utcnow,
)

OUTAGE = timedelta(minutes=10)
STEP = timedelta(seconds=15)


def question(number: int) -> bytes:
    """A message from a stranger, answered with the registration form (one reply each)."""
    return build_message(
        headers={
            "From": f"stranger{number}@outage.example.org",
            "To": INTAKE_ADDRESS,
            "Subject": f"Question {number}",
        },
        body="Hello, how do I ask for an assessment?\n",
        message_id=f"<question{number}@outage.example.org>",
    )


def rows(services, model) -> list:
    with services.db.session() as session:
        found = list(session.scalars(select(model).order_by(model.id)))
        session.expunge_all()
        return found


def outbox_listing(services, monkeypatch, capsys, tmp_path) -> list[dict]:
    """`intake outbox --json` as an operator runs it against the service's database."""
    settings = services.settings
    for name in [n for n in os.environ if n.startswith("INTAKE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("INTAKE_HOME", str(settings.home))
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INTAKE_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("INTAKE_ADDRESS", settings.address)
    monkeypatch.chdir(tmp_path)  # no stray intake.toml
    capsys.readouterr()
    assert cli.main(["outbox", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def attempts_by(elapsed: timedelta) -> int:
    """How many attempts the retry schedule makes within `elapsed` of the first."""
    attempts, at = 1, timedelta(0)
    while at + retry_delay(attempts) <= elapsed:
        at += retry_delay(attempts)
        attempts += 1
    return attempts


def test_ten_minutes_of_relay_refusals_delay_every_reply_and_lose_none(
    services,
    relay_sink: RelaySink,  # noqa: F811
    monkeypatch,
    capsys,
    tmp_path,
) -> None:
    count = 25  # more than one batch of the sender
    for number in range(count):
        capture_message(services, question(number), Transport.SMTP)
    process_all(services)
    settings = replace(services.settings, smtp_url=relay_sink.url)
    sender = outbox_sender(replace(services, settings=settings))
    relay_sink.fail_with(451, "4.3.0 Relay busy, try again later", count=10**6)

    started = utcnow()
    clock = started
    while clock - started < OUTAGE:
        sender.send_due(now=clock)
        assert relay_sink.messages == []
        clock += STEP
    # Meanwhile the operator sees every reply waiting, how often it was tried and why it failed.
    expected_attempts = attempts_by(clock - STEP - started)
    assert expected_attempts >= 5
    listed = outbox_listing(services, monkeypatch, capsys, tmp_path)
    assert len(listed) == count
    for shown in listed:
        assert (shown["status"], shown["attempts"]) == ("pending", expected_attempts), shown
        assert shown["last_error"].startswith("451 4.3.0 Relay busy"), shown
        assert shown["next_attempt_at"] is not None and shown["sent_at"] is None
    assert len(relay_sink.refused) == count * expected_attempts

    relay_sink.recover()
    last_due = started + OUTAGE + retry_delay(expected_attempts)
    while clock <= last_due + STEP:
        sender.send_due(now=clock)
        clock += STEP
    sent = rows(services, OutboxMessage)
    assert {row.status for row in sent} == {OutboxStatus.SENT}
    assert {row.attempts for row in sent} == {expected_attempts + 1}
    delivered = Counter(read_email(m.data)["Message-ID"] for m in relay_sink.messages)
    assert delivered == Counter(row.message_id for row in sent)
    assert set(delivered.values()) == {1}
    # Nothing more to send, however long the clock runs on.
    assert sender.send_due(now=clock + timedelta(days=30)).claimed == 0


def test_an_unreachable_relay_holds_the_batch_without_spending_its_attempts(services) -> None:
    count = 5
    for number in range(count):
        capture_message(services, question(number), Transport.SMTP)
    process_all(services)
    port = free_port()  # nobody listens there yet: every connection is refused
    settings = replace(services.settings, smtp_url=f"smtp://127.0.0.1:{port}")
    sender = outbox_sender(replace(services, settings=settings))

    started = clock = utcnow()
    rounds = 0
    while clock - started < OUTAGE:
        report = sender.send_due(now=clock)
        # One connection tried per round; the rest of the batch waits, its attempts uncounted.
        assert report.sent == report.failed == 0 and report.retried <= 1
        rounds += 1
        clock += STEP
    waiting = rows(services, OutboxMessage)
    assert {row.status for row in waiting} == {OutboxStatus.PENDING}
    tried = [row for row in waiting if row.attempts]
    assert tried and all(row.last_error.startswith("cannot reach relay") for row in tried)
    assert sum(row.attempts for row in waiting) <= rounds
    assert max(row.attempts for row in waiting) <= attempts_by(OUTAGE)

    recovered = RelaySink(port=port)
    recovered.start()
    try:
        while clock < started + OUTAGE + timedelta(hours=2):
            sender.send_due(now=clock)
            clock += FIRST_RETRY
        sent = rows(services, OutboxMessage)
        assert {row.status for row in sent} == {OutboxStatus.SENT}
        delivered = Counter(read_email(m.data)["Message-ID"] for m in recovered.messages)
        assert delivered == Counter(row.message_id for row in sent)
    finally:
        recovered.stop()


class QuitRefusingSink(RelaySink):
    """A relay that takes each message, then answers QUIT with a 421 as it shuts down."""

    async def handle_QUIT(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's)
        return "421 4.3.2 Service shutting down"


def test_a_relay_that_answers_quit_badly_gets_each_reply_once(services) -> None:
    capture_message(services, question(0), Transport.SMTP)
    process_all(services)
    relay = QuitRefusingSink()
    relay.start()
    try:
        settings = replace(services.settings, smtp_url=relay.url)
        sender = outbox_sender(replace(services, settings=settings))
        # The relay said 250 to DATA: the reply is its now, whatever it answers to QUIT.
        assert sender.send_due().sent == 1
        assert sender.send_due(now=utcnow() + timedelta(days=1)).claimed == 0
        [row] = rows(services, OutboxMessage)
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)
        assert len(relay.messages) == 1
    finally:
        relay.stop()


# --- the mailbox server ---------------------------------------------------------------------------


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of this test's own, which it may stop, start and tamper with."""
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def watching(
    services,
    relay_sink: RelaySink,  # noqa: F811
) -> Iterator[Callable[[Mailbox], RunningService]]:
    started: list[RunningService] = []

    def start(mailbox: Mailbox) -> RunningService:
        settings = replace(services.settings, smtp_url=relay_sink.url, imap_url=mailbox.url)
        service = RunningService(replace(services, settings=settings), smtp=False)
        started.append(service)
        service.start()
        return service

    yield start
    for service in started:
        service.stop()


def maildir(mailbox: Mailbox, folder: str = "INBOX") -> Path:
    root = mailbox.server.dir / "mail" / mailbox.user / "Maildir"
    return root if folder == "INBOX" else root / f".{folder}"


def deliver_to_maildir(mailbox: Mailbox, raw: bytes, name: str) -> None:
    """Mail written straight into the Maildir, as the MTA's delivery agent does while the IMAP
    server is down: a file in tmp/, renamed into new/."""
    folder = maildir(mailbox)
    nobody = pwd.getpwnam("nobody")
    tmp = folder / "tmp" / name
    tmp.write_bytes(raw)
    os.chown(tmp, nobody.pw_uid, nobody.pw_gid)
    tmp.rename(folder / "new" / name)


def answered_once(services, relay_sink: RelaySink, count: int) -> None:  # noqa: F811
    """`count` messages recorded, each answered by one reply, delivered once."""
    inbound = wait_until(
        lambda: (
            (found := rows(services, InboundMessage))
            and len(found) >= count
            and all(m.status == InboundStatus.REJECTED for m in found)
            and found
        ),
        f"{count} messages recorded and answered",
    )
    assert len(inbound) == count
    assert len({m.from_address for m in inbound}) == count
    sent = wait_until(
        lambda: (
            (found := rows(services, OutboxMessage))
            and len(found) >= count
            and all(row.status == OutboxStatus.SENT for row in found)
            and found
        ),
        "every reply sent",
    )
    assert sorted(row.inbound_message_id for row in sent) == [m.id for m in inbound]
    relay_sink.wait_for(count)
    delivered = Counter(read_email(m.data)["Message-ID"] for m in relay_sink.messages)
    assert delivered == Counter(row.message_id for row in sent)


def test_a_stopped_mailbox_server_misses_nothing_once_it_is_back(
    services,
    own_dovecot: Dovecot,
    relay_sink: RelaySink,  # noqa: F811
    watching,
    caplog,
) -> None:
    mailbox = Mailbox(own_dovecot, own_dovecot.new_user())
    mailbox.append(question(0))
    watching(mailbox)
    wait_until(lambda: len(mailbox.contents("Processed")) == 1, "the first message was taken")

    own_dovecot.stop()
    # Delivered while IMAP is away, and the watcher fails to reconnect meanwhile.
    for number in (1, 2):
        deliver_to_maildir(mailbox, question(number), f"outage{number}.eml")
    wait_until(
        lambda: any("connection failed" in r.getMessage() for r in caplog.records),
        "the watcher tried and failed to reconnect",
    )
    own_dovecot.start()
    mailbox.append(question(3))

    wait_until(lambda: len(mailbox.contents("Processed")) == 4, "every message was taken")
    assert mailbox.contents("INBOX") == []
    answered_once(services, relay_sink, 4)


def test_a_changed_uidvalidity_takes_restored_mail_again_without_recording_it_twice(
    services,
    own_dovecot: Dovecot,
    relay_sink: RelaySink,  # noqa: F811
    watching,
) -> None:
    mailbox = Mailbox(own_dovecot, own_dovecot.new_user())
    for number in (0, 1):
        mailbox.append(question(number))
    watching(mailbox)
    wait_until(lambda: len(mailbox.contents("Processed")) == 2, "both messages were taken")
    answered_once(services, relay_sink, 2)
    [before] = rows(services, MailboxState)

    # The mailbox restored from a backup: the messages already taken are back in the INBOX, one
    # more has arrived, and Dovecot, its UID list gone, numbers everything afresh.
    own_dovecot.stop()
    time.sleep(1.1)  # a new UIDVALIDITY is the time in seconds
    inbox = maildir(mailbox)
    processed = maildir(mailbox, "Processed")
    taken = [*(processed / "cur").iterdir(), *(processed / "new").iterdir()]
    assert len(taken) == 2
    for path in taken:
        shutil.copy2(path, inbox / "cur" / f"restored-{path.name}")
    for index in [*inbox.glob("dovecot-uidlist"), *inbox.glob("dovecot.index*")]:
        index.unlink()
    deliver_to_maildir(mailbox, question(2), "after-backup.eml")
    nobody = pwd.getpwnam("nobody")
    for path in (inbox / "cur").iterdir():
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    own_dovecot.start()

    wait_until(lambda: not mailbox.contents("INBOX"), "the restored INBOX was taken")
    wait_until(
        lambda: rows(services, MailboxState)[0].uidvalidity != before.uidvalidity,
        "the watcher took up the new UIDVALIDITY",
    )
    # The two restored messages are known by their Message-ID: one new record, one new reply.
    answered_once(services, relay_sink, 3)
    assert len(mailbox.contents("Processed")) == 5
