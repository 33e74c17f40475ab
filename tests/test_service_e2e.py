"""The whole service end to end, as `intake serve` runs it: a RunningService watching a real
Dovecot mailbox through IDLE, taking mail on its own SMTP listener and sending replies to an
aiosmtpd relay sink that can be told to fail, on SQLite and on PostgreSQL.

Each test asserts outcomes a person would check: rows recorded once, where the message ended up
in the mailbox, and what reached the relay.
"""

from __future__ import annotations

import json
import os
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import SENCO
from imapclient import IMAPClient
from mail_factory import form_reply, read_email, supporting_file
from mail_servers import (  # noqa: F401 (fixtures)
    PASSWORD,
    WAIT_SECONDS,
    Dovecot,
    Mailbox,
    RelaySink,
    dovecot,
    dovecot_server,
    relay_sink,
    wait_until,
)
from sqlalchemy import func, select

from documents import get_form, issue_token, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cli import main as cli
from intake.receive.capture import capture_message
from intake.receive.imap import ImapWatcher
from intake.serve import MailboxStateInStore, RunningService
from store import (
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Transport,
    utcnow,
)

REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
SETTLED = {InboundStatus.RECEIVED, InboundStatus.PROCESSING}


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:  # noqa: F811
    return Mailbox(dovecot, dovecot.new_user())


@pytest.fixture
def running(
    services,
    mailbox: Mailbox,
    relay_sink: RelaySink,  # noqa: F811
) -> Iterator[Callable[..., RunningService]]:
    """Starts the service on the test's database, mailbox and relay; always stops it."""
    started: list[RunningService] = []

    def start(*, imap: bool = True) -> RunningService:
        settings = replace(
            services.settings,
            smtp_url=relay_sink.url,
            imap_url=mailbox.url if imap else None,
        )
        service = RunningService(replace(services, settings=settings))
        started.append(service)
        service.start()
        return service

    yield start
    for service in started:
        service.stop()
    for service in started:
        alive = [thread.name for thread in service._threads if thread.is_alive()]
        assert not alive, f"still running after stop(): {alive}"


def valid_reply(services, professional, message_id: str) -> bytes:
    """A professional's reply carrying a complete request form issued to them."""
    token = issue_token(services.key, REQUEST.kind, professional.id, today=services.today())
    pdf = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    return form_reply(
        pdf,
        sender=f"Hélène Michałowska <{SENCO}>",
        to=services.settings.address,
        message_id=message_id,
        files=LISTED,
    )


def rows(services, model, **where) -> list:
    with services.db.session() as session:
        query = select(model).order_by(model.id).filter_by(**where)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def settled_inbound(services) -> list[InboundMessage]:
    """Every inbound row, once none is waiting for the pipeline."""
    return wait_until(
        lambda: (
            (found := rows(services, InboundMessage))
            and all(m.status not in SETTLED for m in found)
            and found
        ),
        "the pipeline finished every captured message",
    )


def all_sent(services) -> list[OutboxMessage]:
    return wait_until(
        lambda: (
            (found := rows(services, OutboxMessage))
            and all(r.status == OutboxStatus.SENT for r in found)
            and found
        ),
        "every queued reply was sent",
    )


def smtp_deliver(service: RunningService, raw: bytes, to: list[str]) -> dict:
    host, port = service.services.settings.smtp_listen
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        return smtp.sendmail(SENCO, to, raw)


def assert_is_the_confirmation(delivered, row: OutboxMessage, message_id: str) -> None:
    email = read_email(delivered.data)
    assert delivered.rcpt_tos == [SENCO]
    assert email["Message-ID"] == row.message_id
    assert row.kind == "confirmation"
    assert email["In-Reply-To"] == message_id
    assert email["Auto-Submitted"] == "auto-replied"


def test_a_reply_in_the_mailbox_is_recorded_moved_and_confirmed(
    services,
    senco,
    mailbox: Mailbox,
    relay_sink: RelaySink,  # noqa: F811
    running,
) -> None:
    raw = valid_reply(services, senco, "<r1@glanwy.sch.uk>")
    running()
    mailbox.append(raw)

    [delivered] = relay_sink.wait_for(1, timeout=WAIT_SECONDS)
    [message] = settled_inbound(services)
    assert (message.status, message.reasons) == (InboundStatus.ACCEPTED, [])
    assert (message.transport, message.mailbox, message.uid) == (
        Transport.IMAP,
        f"{mailbox.user}@{mailbox.server.host}/INBOX",
        1,
    )
    [case] = rows(services, Case)
    assert message.case_id == case.id and case.requested_by_id == senco.id
    [row] = all_sent(services)
    assert (row.inbound_message_id, row.case_id, row.attempts) == (message.id, case.id, 1)
    assert_is_the_confirmation(delivered, row, "<r1@glanwy.sch.uk>")
    assert case.reference in read_email(delivered.data)["Subject"]
    # Captured, then moved: the watched folder is empty and the message kept whole.
    wait_until(lambda: not mailbox.contents("INBOX"), "the message left the INBOX")
    assert mailbox.contents("Processed") == [raw]


def test_one_message_by_imap_and_by_smtp_is_recorded_once(
    services,
    senco,
    mailbox: Mailbox,
    relay_sink: RelaySink,  # noqa: F811
    running,
) -> None:
    raw = valid_reply(services, senco, "<twice@glanwy.sch.uk>")
    service = running()
    # Both routes at once, as when the intake mailbox is also reached through the listener.
    mailbox.append(raw)
    assert smtp_deliver(service, raw, [services.settings.address]) == {}
    wait_until(lambda: mailbox.contents("Processed") == [raw], "the IMAP copy was taken")

    [message] = settled_inbound(services)
    assert message.status == InboundStatus.ACCEPTED
    assert count(services, Case) == 1
    [row] = all_sent(services)
    [delivered] = relay_sink.wait_for(1)
    assert_is_the_confirmation(delivered, row, "<twice@glanwy.sch.uk>")
    # Every outbox row is sent and there is only one: nothing more can reach the relay.
    assert len(relay_sink.messages) == 1 and relay_sink.refused == []
    assert mailbox.contents("INBOX") == []


def test_a_capture_cut_off_before_the_move_is_finished_once_after_a_restart(
    services,
    senco,
    mailbox: Mailbox,
    relay_sink: RelaySink,  # noqa: F811
    running,
) -> None:
    raw = valid_reply(services, senco, "<cut@glanwy.sch.uk>")
    mailbox.append(raw)
    captured = []

    def capture_then_lose_the_connection(data: bytes, key) -> object:
        # Committed, and then the connection dies before the watcher can move the message.
        captured.append(capture_message(services, data, Transport.IMAP, key=key))
        mailbox.server.kick(mailbox.user)
        time.sleep(0.3)
        return captured[-1]

    errors: list = []
    watcher = ImapWatcher(
        mailbox.url,
        capture_then_lose_the_connection,
        MailboxStateInStore(services),
        on_error=lambda *report: errors.append(report),
    )
    with pytest.raises((OSError, IMAPClient.Error)):
        watcher.sweep_once()
    [first] = captured
    [before] = rows(services, InboundMessage)
    assert (before.id, before.status) == (first.inbound_id, InboundStatus.RECEIVED)
    assert mailbox.contents("INBOX") == [raw]

    running()
    wait_until(lambda: mailbox.contents("Processed") == [raw], "the message was moved at last")
    [message] = settled_inbound(services)
    assert (message.id, message.status) == (first.inbound_id, InboundStatus.ACCEPTED)
    assert count(services, Case) == 1
    [row] = all_sent(services)
    [delivered] = relay_sink.wait_for(1)
    assert_is_the_confirmation(delivered, row, "<cut@glanwy.sch.uk>")
    assert len(relay_sink.messages) == 1
    assert mailbox.contents("INBOX") == []
    assert errors == []


def test_a_relay_outage_delays_the_confirmation_and_it_arrives_once(
    services,
    senco,
    relay_sink: RelaySink,  # noqa: F811
    running,
) -> None:
    refusals = 3
    relay_sink.fail_with(451, "4.3.0 Try again later", count=refusals)
    service = running(imap=False)
    assert (
        smtp_deliver(
            service,
            valid_reply(services, senco, "<late@glanwy.sch.uk>"),
            [services.settings.address],
        )
        == {}
    )

    # The service's own sender makes the first attempt; the retry is 30 s away.
    [row] = wait_until(
        lambda: [
            r
            for r in rows(services, OutboxMessage)
            if r.status == OutboxStatus.PENDING and r.attempts == 1
        ],
        "the first attempt was refused and the row waits for a retry",
    )
    assert row.last_error.startswith("451") and row.next_attempt_at > utcnow()
    # Later attempts driven with a clock hours ahead rather than waiting for the backoff.
    later = utcnow()
    for attempt in range(2, refusals + 2):
        later += timedelta(hours=2)
        report = service.sender.send_due(now=later)
        assert report.claimed == 1, (attempt, report)
    assert report.sent == 1

    [sent] = rows(services, OutboxMessage)
    assert (sent.status, sent.attempts, sent.message_id) == (
        OutboxStatus.SENT,
        refusals + 1,
        row.message_id,
    )
    assert service.sender.send_due(now=later + timedelta(days=30)).claimed == 0
    [delivered] = relay_sink.messages
    assert len(relay_sink.refused) == refusals
    # Every attempt carried the Message-ID fixed when the reply was queued.
    tried = [read_email(m.data)["Message-ID"] for m in [*relay_sink.refused, delivered]]
    assert tried == [row.message_id] * (refusals + 1)
    assert_is_the_confirmation(delivered, sent, "<late@glanwy.sch.uk>")


def test_a_refusing_relay_fails_the_reply_and_intake_outbox_shows_it(
    services,
    senco,
    relay_sink: RelaySink,  # noqa: F811
    running,
    monkeypatch,
    capsys,
    tmp_path,
) -> None:
    relay_sink.fail_with(550, "5.1.1 Mailbox unavailable")
    service = running(imap=False)
    smtp_deliver(
        service, valid_reply(services, senco, "<bounce@glanwy.sch.uk>"), [services.settings.address]
    )
    [failed] = wait_until(
        lambda: rows(services, OutboxMessage, status=OutboxStatus.FAILED),
        "the refused reply was marked failed",
    )
    assert relay_sink.messages == [] and len(relay_sink.refused) == 1

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
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [shown] = [r for r in listed if r["id"] == failed.id]
    assert (shown["status"], shown["to"], shown["attempts"]) == ("failed", SENCO, 1)
    assert shown["message_id"] == failed.message_id
    assert shown["last_error"].startswith("550")
    assert shown["next_attempt_at"] is None and shown["sent_at"] is None


def test_the_smtp_listener_takes_only_our_address_and_its_plus_addresses(
    services,
    senco,
    running,
) -> None:
    service = running(imap=False)
    raw = valid_reply(services, senco, "<plus@glanwy.sch.uk>")
    ours = services.settings.address
    local, _, domain = ours.partition("@")
    token = issue_token(services.key, REQUEST.kind, senco.id, today=services.today())
    plus = f"{local}+{token}@{domain.upper()}"
    strangers = [
        "someone@elsewhere.example.org",
        f"{local}@elsewhere.example.org",
        f"{local}x@{domain}",
        f"{local}-{token}@{domain}",
    ]
    host, port = service.services.settings.smtp_listen
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.ehlo()
        for stranger in strangers:
            smtp.mail(SENCO)
            assert smtp.rcpt(stranger)[0] == 550, stranger
            smtp.rset()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(SENCO, strangers, raw)
        assert rows(services, InboundMessage) == []
        refused = smtp.sendmail(SENCO, [strangers[0], plus], raw)
    assert set(refused) == {strangers[0]} and refused[strangers[0]][0] == 550

    [message] = rows(services, InboundMessage)
    assert (message.transport, message.envelope_to) == (Transport.SMTP, [plus.lower()])


def test_mail_arriving_just_before_idle_is_still_taken_within_seconds(
    services,
    senco,
    mailbox: Mailbox,
) -> None:
    first = valid_reply(services, senco, "<before-idle-1@glanwy.sch.uk>")
    second = valid_reply(services, senco, "<before-idle-2@glanwy.sch.uk>")

    class AppendOnFirstSave(MailboxStateInStore):
        """The real state store; its first save is where another delivery happens to land."""

        appended = False

        def save(self, mailbox_name: str, uidvalidity: int, last_uid: int) -> None:
            super().save(mailbox_name, uidvalidity, last_uid)
            if not self.appended:
                self.appended = True
                mailbox.append(second)  # after the MOVE's response, before IDLE is sent

    errors: list = []
    watcher = ImapWatcher(
        mailbox.url,
        lambda raw, key: capture_message(services, raw, Transport.IMAP, key=key),
        AppendOnFirstSave(services),
        poll_seconds=600,  # only IDLE can bring the second message in time
        on_error=lambda *report: errors.append(report),
    )
    mailbox.append(first)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(mailbox.contents("Processed")) == 2, "both messages were taken", 10)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and errors == []
    assert count(services, InboundMessage) == 2
