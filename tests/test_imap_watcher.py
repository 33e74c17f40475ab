"""The IMAP watcher against a real Dovecot: IDLE, capture before move, restarts, UIDVALIDITY."""

from __future__ import annotations

import smtplib
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from imapclient import IMAPClient
from mail_servers import (  # noqa: F401 (fixtures)
    CAPABILITY_WITHOUT_MOVE,
    PASSWORD,
    Dovecot,
    dovecot,
    dovecot_server,
)

from intake.receive.imap import ImapWatcher, MailboxAddress, TransportKey

WAIT_SECONDS = 10


def make_message(n: int) -> bytes:
    return (
        f"From: senco@school.example.org\r\nTo: intake@send.example.gov.uk\r\n"
        f"Message-ID: <m{n}@school.example.org>\r\nSubject: reply {n}\r\n\r\nbody {n}\r\n"
    ).encode()


class DictStateStore:
    """The MailboxStateStore protocol over a dict, as the database-backed one will behave."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[int, int]] = {}

    def load(self, mailbox: str) -> tuple[int, int] | None:
        return self.saved.get(mailbox)

    def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        self.saved[mailbox] = (uidvalidity, last_uid)


@dataclass
class Captures:
    """A capture that records each call with its time; `fail_next` makes the next calls raise."""

    calls: list[tuple[bytes, TransportKey, float]] = field(default_factory=list)
    fail_next: int = 0
    after: Callable[[], None] | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, raw: bytes, key: TransportKey) -> object:
        with self.changed:
            if self.fail_next:
                self.fail_next -= 1
                raise OSError("database unavailable")
            self.calls.append((raw, key, time.monotonic()))
            self.changed.notify_all()
        if self.after is not None:
            self.after()
        return len(self.calls)

    @property
    def keys(self) -> list[TransportKey]:
        return [key for _, key, _ in self.calls]

    @property
    def bodies(self) -> list[bytes]:
        return [raw for raw, _, _ in self.calls]

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.calls) >= count, timeout):
                raise TimeoutError(f"{len(self.calls)} of {count} messages captured")


@dataclass
class Mailbox:
    """One test's own user on the Dovecot server, reached directly with imapclient."""

    server: Dovecot
    user: str

    def url(self, folder: str = "INBOX") -> str:
        return self.server.url(self.user, folder)

    @property
    def name(self) -> str:
        return f"{self.user}@{self.server.host}/INBOX"

    def client(self) -> IMAPClient:
        client = IMAPClient(self.server.host, self.server.port, ssl=False, timeout=10)
        client.login(self.user, PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            client.append(folder, raw)

    def contents(self, folder: str) -> list[tuple[bytes, tuple]]:
        """Each message's bytes and flags, read without marking anything seen."""
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            fetched = client.fetch(client.search(), ["BODY.PEEK[]", "FLAGS"])
            return [(fetched[uid][b"BODY[]"], fetched[uid][b"FLAGS"]) for uid in sorted(fetched)]


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:  # noqa: F811
    return Mailbox(dovecot, dovecot.new_user())


@pytest.fixture
def errors() -> list[tuple[str, BaseException]]:
    return []


@pytest.fixture
def start_watcher() -> Iterator[Callable[[ImapWatcher], None]]:
    """Runs watchers in threads; each must stop within a few seconds of being told to."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(watcher: ImapWatcher) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))

    yield start
    for stop, _ in running:
        stop.set()
    for _, thread in running:
        thread.join(5)
        assert not thread.is_alive(), "the watcher did not stop within 5 s of being told to"


def make_watcher(url: str, capture: Captures, errors: list, **options) -> ImapWatcher:
    return ImapWatcher(
        url, capture, DictStateStore(), on_error=lambda *report: errors.append(report), **options
    )


def test_idle_captures_new_mail_within_seconds_then_moves_it(
    mailbox: Mailbox, start_watcher, errors
) -> None:
    capture = Captures()
    # A poll far away: only IDLE can bring these messages in time.
    start_watcher(make_watcher(mailbox.url(), capture, errors, poll_seconds=600))
    time.sleep(0.5)
    latencies = []
    for n in range(10):
        appended_at = time.monotonic()
        mailbox.append(make_message(n))
        capture.wait_for(n + 1)
        latencies.append(capture.calls[n][2] - appended_at)
    median = statistics.median(latencies)
    worst = max(latencies)
    print(f"IDLE latency over {len(latencies)} appends: median {median:.3f}s, max {worst:.3f}s")
    assert median < 2.0
    assert capture.bodies == [make_message(n) for n in range(10)]
    deadline = time.monotonic() + WAIT_SECONDS
    while mailbox.contents("INBOX") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mailbox.contents("INBOX") == []
    processed = mailbox.contents("Processed")
    assert [raw for raw, _ in processed] == capture.bodies
    # Fetched with BODY.PEEK: nobody's unread mail is marked read by the watcher.
    assert all(b"\\Seen" not in flags for _, flags in processed)
    assert errors == []


def test_messages_waiting_before_start_are_swept(mailbox: Mailbox, errors) -> None:
    for n in range(3):
        mailbox.append(make_message(n))
    capture = Captures()
    watcher = make_watcher(mailbox.url(), capture, errors)
    outcome = watcher.sweep_once()
    uidvalidity = outcome.captured[0].uidvalidity
    assert outcome.captured == [TransportKey(mailbox.name, uidvalidity, uid) for uid in (1, 2, 3)]
    assert capture.keys == outcome.captured and outcome.failed == []
    assert capture.bodies == [make_message(n) for n in range(3)]
    assert watcher.state.load(mailbox.name) == (uidvalidity, 3)
    assert mailbox.contents("INBOX") == []
    assert len(mailbox.contents("Processed")) == 3
    # A second pass finds nothing new.
    assert watcher.sweep_once().captured == []
    assert len(capture.calls) == 3


def test_a_failed_capture_leaves_the_message_for_the_next_sweep(mailbox: Mailbox, errors) -> None:
    mailbox.append(make_message(1))
    mailbox.append(make_message(2))
    capture = Captures(fail_next=1)
    watcher = make_watcher(mailbox.url(), capture, errors)
    first = watcher.sweep_once()
    assert [key.uid for key in first.failed] == [1]
    assert [key.uid for key in first.captured] == [2]
    assert [raw for raw, _ in mailbox.contents("INBOX")] == [make_message(1)]
    assert len(errors) == 1 and isinstance(errors[0][1], OSError)
    # The gap at UID 1 holds the saved position back, so the next sweep fetches it again.
    assert watcher.state.load(mailbox.name) is None
    second = watcher.sweep_once()
    assert [key.uid for key in second.captured] == [1]
    assert capture.bodies == [make_message(2), make_message(1)]
    assert mailbox.contents("INBOX") == []
    # UID 2 left in the first sweep, so the saved position stops at the retried UID 1.
    assert watcher.state.load(mailbox.name) == (first.failed[0].uidvalidity, 1)


def test_a_connection_lost_between_capture_and_move_captures_again(
    mailbox: Mailbox, errors
) -> None:
    mailbox.append(make_message(1))
    capture = Captures()

    def lose_connection() -> None:
        mailbox.server.kick(mailbox.user)
        time.sleep(0.3)

    capture.after = lose_connection
    watcher = make_watcher(mailbox.url(), capture, errors)
    with pytest.raises((OSError, IMAPClient.Error)):
        watcher.sweep_once()
    assert len(capture.calls) == 1
    assert [raw for raw, _ in mailbox.contents("INBOX")] == [make_message(1)]
    capture.after = None
    again = watcher.sweep_once()
    # The same transport key both times: the upstream unique key records the message once.
    assert capture.keys == [again.captured[0], again.captured[0]]
    assert mailbox.contents("INBOX") == []


def test_mail_arriving_during_a_sweep_is_taken_in_the_same_sweep(mailbox: Mailbox, errors) -> None:
    mailbox.append(make_message(1))
    capture = Captures()
    # Delivered after the SEARCH: the server announces it inside the FETCH or MOVE response,
    # which IDLE would never repeat.
    capture.after = lambda: (mailbox.append(make_message(2)), setattr(capture, "after", None))
    outcome = make_watcher(mailbox.url(), capture, errors).sweep_once()
    assert [key.uid for key in outcome.captured] == [1, 2]
    assert capture.bodies == [make_message(1), make_message(2)]


def test_imap_urls_are_read_with_defaults() -> None:
    plain = MailboxAddress.from_url("imap://intake:s%40cret@mail.example.gov.uk")
    assert (plain.port, plain.tls, plain.password, plain.folder) == (143, False, "s@cret", "INBOX")
    tls = MailboxAddress.from_url("imaps://intake:pw@mail.example.gov.uk:1993/SEND%20replies")
    assert (tls.port, tls.tls, tls.folder) == (1993, True, "SEND replies")
    assert tls.mailbox == "intake@mail.example.gov.uk/SEND replies"
    for bad in ("pop3://u:p@host/", "imap://host/INBOX", "imap://u@host/INBOX"):
        with pytest.raises(ValueError):
            MailboxAddress.from_url(bad)


def test_a_changed_uidvalidity_makes_every_message_new(mailbox: Mailbox, errors) -> None:
    with mailbox.client() as client:
        client.create_folder("Intake")
    mailbox.append(make_message(1), folder="Intake")
    mailbox.append(make_message(2), folder="Intake")
    capture = Captures()
    watcher = make_watcher(mailbox.url("Intake"), capture, errors)
    before = watcher.sweep_once().captured
    assert [key.uid for key in before] == [1, 2]
    with mailbox.client() as client:
        client.delete_folder("Intake")
        client.create_folder("Intake")
    mailbox.append(make_message(3), folder="Intake")
    after = watcher.sweep_once().captured
    # UID 1 again, below the saved last UID 2: only the UIDVALIDITY check lets it through.
    assert [key.uid for key in after] == [1]
    assert after[0].uidvalidity != before[0].uidvalidity
    assert capture.bodies[-1] == make_message(3)
    assert watcher.state.load(f"{mailbox.user}@{mailbox.server.host}/Intake") == (
        after[0].uidvalidity,
        1,
    )


def test_idle_is_renewed_and_still_hears_new_mail(mailbox: Mailbox, start_watcher, errors) -> None:
    capture = Captures()
    start_watcher(
        make_watcher(mailbox.url(), capture, errors, poll_seconds=600, idle_renew_seconds=1)
    )
    time.sleep(3.5)
    appended_at = time.monotonic()
    mailbox.append(make_message(1))
    capture.wait_for(1, timeout=5)
    assert capture.calls[0][2] - appended_at < 2.0
    assert errors == []


@pytest.fixture(scope="module")
def old_dovecot() -> Iterator[Dovecot]:
    """A server that advertises neither MOVE nor IDLE, as some older ones do."""
    server = Dovecot(capability=CAPABILITY_WITHOUT_MOVE.replace(" IDLE", ""))
    server.start()
    try:
        yield server
    finally:
        server.remove()


def test_without_move_the_watcher_copies_then_expunges(old_dovecot: Dovecot, errors) -> None:
    mailbox = Mailbox(old_dovecot, old_dovecot.new_user())
    mailbox.append(make_message(1))
    with mailbox.client() as client:
        assert not client.has_capability("MOVE") and client.has_capability("UIDPLUS")
    capture = Captures()
    make_watcher(mailbox.url(), capture, errors).sweep_once()
    assert len(capture.calls) == 1
    assert mailbox.contents("INBOX") == []
    assert [raw for raw, _ in mailbox.contents("Processed")] == [make_message(1)]
    # Dovecot's mail_log: copied, then expunged carrying the \\Deleted flag that STORE set
    # (a MOVE expunges the message with its flags untouched).
    own = [line for line in old_dovecot.log_lines() if f"imap({mailbox.user})" in line]
    assert any("copy from INBOX: box=Processed, uid=1," in line for line in own)
    assert any("expunge: box=INBOX, uid=1, flags=(\\Deleted" in line for line in own)


def test_with_move_no_deleted_flag_is_ever_set(mailbox: Mailbox, errors) -> None:
    mailbox.append(make_message(1))
    make_watcher(mailbox.url(), Captures(), errors).sweep_once()
    own = [line for line in mailbox.server.log_lines() if f"imap({mailbox.user})" in line]
    expunged = [line for line in own if "expunge: box=INBOX, uid=1," in line]
    assert expunged and not any("\\Deleted" in line for line in expunged)


def test_without_idle_the_poll_sweep_finds_new_mail(
    old_dovecot: Dovecot, start_watcher, errors
) -> None:
    mailbox = Mailbox(old_dovecot, old_dovecot.new_user())
    capture = Captures()
    start_watcher(make_watcher(mailbox.url(), capture, errors, poll_seconds=1))
    time.sleep(0.5)
    mailbox.append(make_message(1))
    capture.wait_for(1, timeout=5)
    assert capture.bodies == [make_message(1)]


def test_the_watcher_reconnects_after_the_server_restarts(start_watcher, errors) -> None:
    server = Dovecot()
    server.start()
    try:
        mailbox = Mailbox(server, server.new_user())
        capture = Captures()
        start_watcher(make_watcher(mailbox.url(), capture, errors, poll_seconds=600))
        mailbox.append(make_message(1))
        capture.wait_for(1)
        server.stop()
        server.start()
        restarted_at = time.monotonic()
        mailbox.append(make_message(2))
        capture.wait_for(2, timeout=20)
        print(f"captured {time.monotonic() - restarted_at:.1f}s after the restart")
        assert capture.bodies == [make_message(1), make_message(2)]
        assert errors and all(isinstance(error, OSError | IMAPClient.Error) for _, error in errors)
    finally:
        server.remove()


def test_mail_delivered_by_lmtp_is_swept(mailbox: Mailbox, errors) -> None:
    with smtplib.LMTP(str(mailbox.server.lmtp_socket)) as lmtp:
        lmtp.sendmail("senco@school.example.org", [f"{mailbox.user}@localhost"], make_message(1))
    capture = Captures()
    make_watcher(mailbox.url(), capture, errors).sweep_once()
    # Dovecot's LMTP adds Return-Path and Delivered-To above the message as sent.
    assert len(capture.calls) == 1 and capture.bodies[0].endswith(make_message(1))


def test_an_unreachable_server_gives_one_log_line_per_retry(
    start_watcher, caplog: pytest.LogCaptureFixture
) -> None:
    from conftest import free_port

    closed_port = free_port()  # nothing listens there: every connection is refused
    url = f"imap://intake:{PASSWORD}@127.0.0.1:{closed_port}/INBOX"
    caplog.set_level("INFO", logger="intake.imap")
    start_watcher(ImapWatcher(url, Captures(), DictStateStore()))  # the default error report
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
        if len(retries) >= 2:
            break
        time.sleep(0.1)
    assert len(retries) >= 2, caplog.text
    for record in retries:
        assert record.exc_info is None and record.exc_text is None, caplog.text
        assert "\n" not in caplog.handler.format(record)
        assert "refused" in record.getMessage() and PASSWORD not in record.getMessage()
