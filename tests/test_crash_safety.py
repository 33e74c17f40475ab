"""Crash safety: `intake serve`, a real subprocess on PostgreSQL, killed with SIGKILL at random
moments while mail arrives through IMAP (Dovecot) and SMTP (its own listener), and restarted.

Afterwards every message is recorded exactly once, answered exactly once, and none is lost. The
test's SMTP sender behaves as a real MTA: a delivery refused or cut off while the service is down
is tried again until it gets its 250. IMAP mail simply waits in Dovecot.

One duplicate is unavoidable and allowed for, honestly: the relay has said 250 to a reply and
the service dies before it commits "sent" (see notifier/sender.py). The kills are not timed to
avoid it; a second copy at the relay sink passes only when the relay took the first copy before
the service was started again after a kill and, the service dead, its outbox row still said
`sending`: exactly that window. (Before the restart, not before the kill: bytes the dead service
wrote reach the relay after the signal, as they would over a network.) The test prints how many
there were and how long after the relay took the reply the service was started again.

CI runs `CI_MESSAGES` messages and `KILLS` kills; `INTAKE_LONG_TESTS=1` runs the issue's full
numbers (`LONG_MESSAGES`), marked `long`.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import INTAKE_ADDRESS, SECRET_KEY, TRUSTED_DOMAINS, free_port
from mail_factory import TRUSTED_AUTHSERV, build_message, form_reply, read_email, supporting_file
from mail_servers import (  # noqa: F401 (fixtures)
    Mailbox,
    RelaySink,
    dovecot,
    dovecot_server,
    relay_sink,
    wait_until,
)
from sqlalchemy import select, update

from documents import get_form, issue_token, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cases.accounts import add_professional
from store import InboundMessage, InboundStatus, OutboxMessage, OutboxStatus, utcnow

# The supporting documents the example form lists, attached as its evidence list says.
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
REPO = Path(__file__).resolve().parent.parent
INTAKE = [sys.executable, "-m", "intake.cli.main"]
LONG = os.environ.get("INTAKE_LONG_TESTS") == "1"
LONG_MESSAGES = 1000
CI_MESSAGES = 300
KILLS = 20
# SMTP senders delivering at once, as several MTAs would.
SMTP_SENDERS = 3
# Every so many messages is a valid form from a professional of its own (the rest are from
# strangers, answered with the registration form): both kinds of answer cross the crash.
FORM_EVERY = 25
# How long the service lives, chosen at random each time: most lives end a random moment after
# it says it is serving (capturing, processing, sending), some while it is still starting up.
LIFETIME = (0.1, 4.0)
KILLED_STARTING = 0.2
STARTING = (0.0, 2.0)
SETTLE_SECONDS = 300

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@dataclass
class Serve:
    """`intake serve` as a subprocess of its own process group, killed and restarted at will."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    kills: list[float] = field(default_factory=list)
    starts: int = 0
    # Where this life's lines begin in the log.
    offset: int = 0

    def start(self) -> None:
        self.offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*INTAKE, "serve"],
                cwd=self.log.parent,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL to the service alone, as the OOM killer or a power cut would deliver it."""
        assert self.process is not None and self.process.poll() is None, self.tail()
        self.process.send_signal(signal.SIGKILL)
        self.kills.append(time.monotonic())
        self.process.wait(10)
        # Its PDF reading worker must not outlive it (it ends on its pipe's end of file).
        group = self.process.pid
        wait_until(lambda: not live_members(group), f"the group of {group} ended", 10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                assert self.process.wait(60) == 0, self.tail()
            finally:
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait()

    def wait_serving(self) -> None:
        wait_until(
            lambda: b"intake: serving" in self.log.read_bytes()[self.offset :],
            f"the service started: {self.tail()}",
            120,
        )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def live_members(group: int) -> list[int]:
    """Processes of a process group that are still running (zombies awaiting a reaper aside)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(entry.name))
    return found


@dataclass
class Arrival:
    """One message of the run: how it travels and the address its answer goes to."""

    raw: bytes
    sender: str
    by_imap: bool
    form: bool


def arrivals(services, count: int) -> list[Arrival]:
    request = get_form("request")
    made = []
    for number in range(count):
        by_imap = number % 2 == 0
        if number % FORM_EVERY == 0:
            sender = f"senco{number}@school{number}.sch.uk"
            professional = add_professional(
                services,
                email=sender,
                name=f"Crash Senco {number}",
                role="SENCO",
                organisation=f"School {number}",
                activate=True,
            )
            token = issue_token(services.key, request.kind, professional.id, today=services.today())
            pdf = render_form(request, values=REQUEST_EXAMPLE, token=token)
            raw = form_reply(
                pdf,
                sender=sender,
                to=INTAKE_ADDRESS,
                message_id=f"<form{number}@crash.sch.uk>",
                files=LISTED,
            )
        else:
            sender = f"stranger{number}@crash{number % 7}.example.org"
            raw = build_message(
                headers={"From": sender, "To": INTAKE_ADDRESS, "Subject": f"Question {number}"},
                body="Hello, how do I ask for an assessment?\n",
                message_id=f"<question{number}@crash.example.org>",
            )
        made.append(Arrival(raw, sender, by_imap, number % FORM_EVERY == 0))
    return made


@dataclass
class Feeder:
    """Delivers every arrival: IMAP ones by APPEND to Dovecot in one thread, SMTP ones to the
    service's listener in `SMTP_SENDERS` threads, each retried, as an MTA would, until it is
    answered 250."""

    mailbox: Mailbox
    smtp_port: int
    todo: list[Arrival]
    smtp_retries: int = 0
    errors: list[BaseException] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        by_smtp: queue.SimpleQueue[Arrival] = queue.SimpleQueue()
        for arrival in self.todo:
            if not arrival.by_imap:
                by_smtp.put(arrival)
        work = [self._append_all] + [lambda: self._deliver_all(by_smtp)] * SMTP_SENDERS
        for number, target in enumerate(work):
            thread = threading.Thread(target=self._reporting(target), name=f"feeder{number}")
            thread.daemon = True
            thread.start()
            self._threads.append(thread)

    @property
    def done(self) -> bool:
        return not any(thread.is_alive() for thread in self._threads)

    def _reporting(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as error:  # reported by the test's thread
                self.errors.append(error)

        return run

    def _append_all(self) -> None:
        with self.mailbox.client() as imap:
            for arrival in self.todo:
                if arrival.by_imap:
                    imap.append("INBOX", arrival.raw)

    def _deliver_all(self, by_smtp: queue.SimpleQueue[Arrival]) -> None:
        while True:
            try:
                arrival = by_smtp.get_nowait()
            except queue.Empty:
                return
            while not self._delivered(arrival):
                self.smtp_retries += 1
                time.sleep(random.uniform(0.05, 0.3))

    def _delivered(self, arrival: Arrival) -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as smtp:
                return smtp.sendmail(arrival.sender, [INTAKE_ADDRESS], arrival.raw) == {}
        except (smtplib.SMTPException, OSError):
            return False  # refused (451, or nobody listening) or cut off: try again shortly


@pytest.fixture
def serve(services, dovecot, relay_sink, tmp_path) -> Iterator[tuple[Serve, Mailbox]]:  # noqa: F811
    mailbox = Mailbox(dovecot, dovecot.new_user())
    settings = services.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "INTAKE_HOME": str(settings.home),
        "INTAKE_DATABASE_URL": settings.database_url,
        "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
        "INTAKE_ADDRESS": INTAKE_ADDRESS,
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        "INTAKE_WEB_LISTEN": f"127.0.0.1:{free_port()}",
        "INTAKE_SMTP_URL": relay_sink.url,
        "INTAKE_IMAP_URL": mailbox.url,
        "INTAKE_TRUSTED_DOMAINS": TRUSTED_DOMAINS,
        "INTAKE_TRUSTED_AUTHSERV": TRUSTED_AUTHSERV,
        "INTAKE_LOG_LEVEL": "WARNING",
    }
    service = Serve(env, tmp_path / "serve.log")
    try:
        yield service, mailbox
    finally:
        if service.process is not None and service.process.poll() is None:
            service.process.kill()
            service.process.wait()


def still_sending(services) -> set[str]:
    """Message-IDs of the replies a dead service was sending, their outcome not recorded."""
    with services.db.session() as session:
        return set(
            session.scalars(
                select(OutboxMessage.message_id).where(OutboxMessage.status == OutboxStatus.SENDING)
            )
        )


def leases_run_out(services) -> None:
    """What ten minutes with the service down would do: the dead process's claims expire, so the
    next one takes its half-done messages and replies over (store.claims.LEASE)."""
    now = utcnow()
    with services.db.session() as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.status == InboundStatus.PROCESSING)
            .values(next_attempt_at=now)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(next_attempt_at=now)
        )


def everything_answered(services, expected: int) -> bool:
    with services.db.session() as session:
        statuses = list(session.scalars(select(InboundMessage.status)))
        outbox = list(session.scalars(select(OutboxMessage.status)))
    unsettled = {InboundStatus.RECEIVED, InboundStatus.PROCESSING, InboundStatus.FAILED}
    if InboundStatus.PARKED in statuses:
        return True  # given up on: nothing more will happen, and the checks below say so
    return (
        len(statuses) == expected
        and not unsettled & set(statuses)
        and len(outbox) >= expected
        and all(status == OutboxStatus.SENT for status in outbox)
    )


@pytest.mark.long
@pytest.mark.skipif(not LONG, reason="the full run: set INTAKE_LONG_TESTS=1")
def test_a_thousand_messages_across_twenty_kills(services, serve, relay_sink) -> None:  # noqa: F811
    run_with_kills(services, serve, relay_sink, LONG_MESSAGES, KILLS)


def test_messages_across_kills_are_recorded_and_answered_once(
    services,
    serve,
    relay_sink,  # noqa: F811
) -> None:
    run_with_kills(services, serve, relay_sink, CI_MESSAGES, KILLS)


def run_with_kills(services, serve, sink: RelaySink, count: int, kills: int) -> None:
    service, mailbox = serve
    todo = arrivals(services, count)
    smtp_port = int(service.env["INTAKE_SMTP_LISTEN"].rpartition(":")[2])
    feeder = Feeder(mailbox, smtp_port, todo)
    started = time.monotonic()
    service.start()
    feeder.start()
    # At each restart: when, and which replies the dead service had not recorded as sent.
    unrecorded: list[tuple[float, set[str]]] = []
    # Kill at a random moment of each life, until the feeder is through and enough kills done.
    while len(service.kills) < kills or not feeder.done:
        if random.random() < KILLED_STARTING:
            time.sleep(random.uniform(*STARTING))
        else:
            service.wait_serving()
            time.sleep(random.uniform(*LIFETIME))
        service.kill()
        sending = still_sending(services)
        leases_run_out(services)
        # Until now only the dead service can have handed the relay a copy.
        unrecorded.append((time.monotonic(), sending))
        service.start()
    assert feeder.errors == []
    killed_for = time.monotonic() - started
    service.wait_serving()
    wait_until(lambda: everything_answered(services, count), "every message answered", 300)
    service.stop()
    elapsed = time.monotonic() - started

    with services.db.session() as session:
        inbound = list(session.scalars(select(InboundMessage)))
        outbox = list(session.scalars(select(OutboxMessage)))
        session.expunge_all()
    # Recorded exactly once: one row per message, none missing, each ended as it should.
    by_sender = Counter(message.from_address for message in inbound)
    assert by_sender == Counter(arrival.sender.lower() for arrival in todo)
    ended = {message.from_address: message.status for message in inbound}
    for arrival in todo:
        wanted = InboundStatus.ACCEPTED if arrival.form else InboundStatus.REJECTED
        assert ended[arrival.sender.lower()] == wanted, arrival.sender
    # Answered exactly once: one reply per message, every one sent.
    replies = Counter(row.inbound_message_id for row in outbox)
    assert sorted(replies) == sorted(message.id for message in inbound)
    assert set(replies.values()) == {1}
    assert {row.status for row in outbox} == {OutboxStatus.SENT}

    # At the relay: every reply, to its sender, and a second copy only where a kill explains it.
    copies: dict[str, list[float]] = {}
    for delivered in sink.messages:
        copies.setdefault(read_email(delivered.data)["Message-ID"], []).append(delivered.at)
    assert set(copies) == {row.message_id for row in outbox}
    repeated = {mid: times for mid, times in copies.items() if len(times) > 1}
    gaps = []
    for message_id, times in repeated.items():
        first = times[0]
        after = [
            restart - first
            for restart, sending in unrecorded
            if restart >= first and message_id in sending
        ]
        assert len(after) >= len(times) - 1, f"{message_id} reached the relay {len(times)} times"
        gaps.append(min(after))
    assert len(repeated) <= len(service.kills)

    # IMAP: the inbox emptied and every message moved once.
    imap_count = sum(arrival.by_imap for arrival in todo)
    assert mailbox.contents("INBOX") == []
    assert len(mailbox.contents("Processed")) == imap_count
    print(
        f"\n{count} messages ({imap_count} by IMAP), {len(service.kills)} kills, "
        f"{service.starts} starts, {feeder.smtp_retries} SMTP retries by the sender, "
        f"{len(repeated)} reply(ies) sent twice, restarted "
        f"{', '.join(f'{gap * 1000:.0f}' for gap in gaps) or '-'} ms after the relay took it; "
        f"{elapsed:.0f} s ({killed_for:.0f} s of them killing)"
    )
