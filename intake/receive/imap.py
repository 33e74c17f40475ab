"""The IMAP watcher: takes new mail from a monitored mailbox, captures it, then moves it away.

Capture first (docs/architecture.md): a message leaves the watched folder for `Processed`
only after `capture` has returned, so a crash at any point leaves it where the next sweep finds
it. IDLE brings new mail within about a second; a slow poll and reconnects with backoff keep it
going when IDLE or the connection fail.
"""

from __future__ import annotations

import imaplib
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

logger = logging.getLogger("intake.imap")

DEFAULT_PORTS = {"imap": 143, "imaps": 993}
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 60.0
# RFC 2177: servers may drop an IDLE after 30 minutes, so renew well before.
LONGEST_IDLE_SECONDS = 29 * 60
# How often a blocked IDLE wakes to look at the stop event.
STOP_CHECK_SECONDS = 1
# Network calls other than IDLE should answer well within this.
COMMAND_TIMEOUT_SECONDS = 60
# Untagged responses during IDLE that mean mail arrived.
NEW_MAIL_RESPONSES = {b"EXISTS", b"RECENT"}

# What a lost or refused connection raises: imaplib's errors (IMAPClientError is one) and sockets'.
CONNECTION_ERRORS = (imaplib.IMAP4.error, OSError)


class TransportKey(NamedTuple):
    """Where a message was found: unique per message for as long as UIDVALIDITY stands."""

    mailbox: str
    uidvalidity: int
    uid: int


class MailboxStateStore(Protocol):
    """Remembers, per mailbox, its UIDVALIDITY and the highest UID captured without a gap."""

    def load(self, mailbox: str) -> tuple[int, int] | None: ...

    def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None: ...


Capture = Callable[[bytes, TransportKey], object]
ErrorReport = Callable[[str, BaseException], None]
# Told (mailbox, uidvalidity) after every finished sweep: the metrics' "last looked" time.
SweepReport = Callable[[str, int], None]


@dataclass(frozen=True)
class MailboxAddress:
    """An `imap://` or `imaps://` URL taken apart: `imap://user:pass@host:port/Folder`."""

    host: str
    port: int
    tls: bool
    username: str
    password: str
    folder: str

    @classmethod
    def from_url(cls, url: str) -> MailboxAddress:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError("an IMAP URL starts imap:// or imaps://")
        if not parts.hostname or parts.username is None or parts.password is None:
            raise ValueError("an IMAP URL names user, password and host: imap://u:p@host/INBOX")
        return cls(
            host=parts.hostname,
            port=parts.port or DEFAULT_PORTS[parts.scheme],
            tls=parts.scheme == "imaps",
            username=unquote(parts.username),
            password=unquote(parts.password),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
        )

    @property
    def mailbox(self) -> str:
        """The name transport keys and saved state use: no password, no port."""
        return f"{self.username}@{self.host}/{self.folder}"


@dataclass
class SweepOutcome:
    """What one pass over the folder did."""

    captured: list[TransportKey] = field(default_factory=list)
    failed: list[TransportKey] = field(default_factory=list)


def log_error(context: str, error: BaseException) -> None:
    """The default error report: one line for a connection refused, lost or timed out, which
    is the network's doing and repeats on every retry; a line with the traceback otherwise."""
    if isinstance(error, CONNECTION_ERRORS):
        logger.warning("%s: %s", context, error)
    else:
        logger.error("%s: %s", context, error, exc_info=error)


class ImapWatcher:
    """Watches one IMAP folder and captures every message that lands in it, exactly once."""

    def __init__(
        self,
        url: str,
        capture: Capture,
        state: MailboxStateStore,
        *,
        processed_folder: str = "Processed",
        poll_seconds: float = 60,
        idle_renew_seconds: float = 25 * 60,
        on_error: ErrorReport = log_error,
        on_swept: SweepReport | None = None,
    ) -> None:
        if not 0 < idle_renew_seconds <= LONGEST_IDLE_SECONDS:
            raise ValueError(
                f"idle_renew_seconds must be above 0 and at most {LONGEST_IDLE_SECONDS}"
            )
        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be above 0")
        self.address = MailboxAddress.from_url(url)
        self.capture = capture
        self.state = state
        self.processed_folder = processed_folder
        self.poll_seconds = poll_seconds
        self.idle_renew_seconds = idle_renew_seconds
        self.on_error = on_error
        self.on_swept = on_swept

    def sweep_once(self) -> SweepOutcome:
        """Connect, capture and move everything new, disconnect. Connection errors propagate."""
        with self._connected() as client:
            return self._sweep(client, stop=None)

    def run(self, stop: threading.Event) -> None:
        """Watch until `stop` is set: sweep, IDLE, sweep on news; reconnect with backoff."""
        retry_seconds = FIRST_RETRY_SECONDS
        while not stop.is_set():
            connected = False
            try:
                with self._connected() as client:
                    connected = True
                    self._sweep(client, stop)
                    retry_seconds = FIRST_RETRY_SECONDS
                    self._watch(client, stop)
            except Exception as error:
                # A service's watcher must outlive any one failure, a lost connection or an
                # outage of the state store alike: report it and start again after a pause.
                what = _what_went_wrong(error, connected)
                wait = _with_jitter(retry_seconds)
                self.on_error(f"IMAP {self.address.mailbox} {what}; retrying in {wait:.1f}s", error)
                stop.wait(wait)
                retry_seconds = min(retry_seconds * 2, LONGEST_RETRY_SECONDS)
        logger.info("stopped watching %s", self.address.mailbox)

    @contextmanager
    def _connected(self) -> Iterator[IMAPClient]:
        address = self.address
        client = IMAPClient(
            address.host,
            address.port,
            ssl=address.tls,
            ssl_context=ssl.create_default_context() if address.tls else None,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )
        try:
            client.login(address.username, address.password)
            logger.info("connected to %s:%d as %s", address.host, address.port, address.username)
            if not client.folder_exists(self.processed_folder):
                self._create_processed_folder(client)
            yield client
        finally:
            _close_quietly(client)

    def _create_processed_folder(self, client: IMAPClient) -> None:
        try:
            client.create_folder(self.processed_folder)
            logger.info("created folder %r", self.processed_folder)
        except IMAPClientError:
            # Another watcher of the same mailbox may have made it a moment ago.
            if not client.folder_exists(self.processed_folder):
                raise

    def _sweep(self, client: IMAPClient, stop: threading.Event | None) -> SweepOutcome:
        outcome = SweepOutcome()
        selected = client.select_folder(self.address.folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        _take_exists_reports(client)  # SELECT's own count; only later reports mean news
        while self._sweep_selected(client, uidvalidity, stop, outcome):
            # Mail delivered during the pass was announced inside another command's response,
            # where IDLE will never hear of it again: look once more before idling.
            logger.debug("more mail arrived during the sweep of %s", self.address.mailbox)
        if self.on_swept is not None:
            self.on_swept(self.address.mailbox, uidvalidity)
        return outcome

    def _sweep_selected(
        self,
        client: IMAPClient,
        uidvalidity: int,
        stop: threading.Event | None,
        outcome: SweepOutcome,
    ) -> bool:
        """One pass over the selected folder; True when the server reported newer mail."""
        mailbox = self.address.mailbox
        last_uid = self._last_uid(mailbox, uidvalidity)
        # "N:*" always matches the newest message, even one below N (RFC 3501 6.4.8): filter.
        new_uids = sorted(
            uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid
        )
        if new_uids:
            logger.info("%d new message(s) in %s", len(new_uids), mailbox)
        # last_uid only moves past messages that are captured and moved, so one that failed is
        # fetched again next sweep; those after it are taken now and are gone from the folder.
        gapless = True
        for uid in new_uids:
            if stop is not None and stop.is_set():
                break
            key = TransportKey(mailbox, uidvalidity, uid)
            if key in outcome.failed:
                gapless = False  # failed earlier in this sweep: leave it for the next one
            elif self._take(client, key):
                outcome.captured.append(key)
                if gapless:
                    last_uid = uid
                    self.state.save(mailbox, uidvalidity, last_uid)
            else:
                outcome.failed.append(key)
                gapless = False
        return _take_exists_reports(client) and not (stop is not None and stop.is_set())

    def _last_uid(self, mailbox: str, uidvalidity: int) -> int:
        saved = self.state.load(mailbox)
        if saved is None:
            return 0
        saved_uidvalidity, saved_last_uid = saved
        if saved_uidvalidity != uidvalidity:
            # Every UID now names a different message; take all again, dedupe upstream.
            logger.warning(
                "UIDVALIDITY of %s changed from %d to %d: treating every message as new",
                mailbox,
                saved_uidvalidity,
                uidvalidity,
            )
            return 0
        return saved_last_uid

    def _take(self, client: IMAPClient, key: TransportKey) -> bool:
        """Capture one message and move it to Processed; False leaves it where it is."""
        # BODY.PEEK: \Seen belongs to the people who read this mailbox, not to us.
        fetched = client.fetch([key.uid], ["BODY.PEEK[]"]).get(key.uid)
        if fetched is None or b"BODY[]" not in fetched:
            logger.info("message %s went away before it could be fetched", key)
            return False
        raw: bytes = fetched[b"BODY[]"]
        try:
            stored = self.capture(raw, key)
        except Exception as error:
            self.on_error(f"capture of {key} failed; it stays in {self.address.folder}", error)
            return False
        self._move_to_processed(client, key.uid)
        logger.info(
            "captured %s (%d bytes) as %r, moved to %s",
            key,
            len(raw),
            stored,
            self.processed_folder,
        )
        return True

    def _move_to_processed(self, client: IMAPClient, uid: int) -> None:
        if client.has_capability("MOVE"):
            client.move([uid], self.processed_folder)
            return
        client.copy([uid], self.processed_folder)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            # Without UIDPLUS, EXPUNGE also removes what others marked deleted; nothing better.
            client.expunge()

    def _watch(self, client: IMAPClient, stop: threading.Event) -> None:
        idle = client.has_capability("IDLE")
        if not idle:
            logger.warning(
                "%s has no IDLE: polling every %ss", self.address.host, self.poll_seconds
            )
        next_poll = time.monotonic() + self.poll_seconds
        while not stop.is_set():
            if idle:
                self._idle_until_news(client, stop, next_poll)
            else:
                stop.wait(max(0.0, next_poll - time.monotonic()))
            if stop.is_set():
                return
            self._sweep(client, stop)
            next_poll = time.monotonic() + self.poll_seconds

    def _idle_until_news(self, client: IMAPClient, stop: threading.Event, next_poll: float) -> None:
        """IDLE until mail arrives, the poll is due, IDLE needs renewing or `stop` is set."""
        renew_at = time.monotonic() + self.idle_renew_seconds
        deadline = min(renew_at, next_poll)
        client.idle()
        try:
            if _more_came_with_the_continuation(client):
                logger.debug("IDLE: news arrived with the continuation in %s", self.address.mailbox)
                return
            while not stop.is_set() and time.monotonic() < deadline:
                checked_at = time.monotonic()
                responses = client.idle_check(timeout=STOP_CHECK_SECONDS)
                if any(_is_new_mail(response) for response in responses):
                    logger.debug("IDLE: new mail in %s", self.address.mailbox)
                    return
                if any(response[0] == b"BYE" for response in responses):
                    return  # the server is closing; idle_done below fails and we reconnect
                if not responses and time.monotonic() - checked_at < STOP_CHECK_SECONDS / 2:
                    # imapclient answers "nothing" at once when the server has hung up (it
                    # swallows the EOF): ending IDLE tells a dead connection from a live one.
                    return
        finally:
            client.idle_done()


def _take_exists_reports(client: IMAPClient) -> bool:
    """True if the server sent EXISTS since the last call; imaplib keeps those it was not asked for.

    imapclient has no public way to read them, so this asks its imaplib connection, whose
    `response()` returns and clears what was kept for one response code.
    """
    _, data = client._imap.response("EXISTS")
    return bool(data) and data[0] is not None


def _more_came_with_the_continuation(client: IMAPClient) -> bool:
    """True if the server sent more than IDLE's "+ idling" in the same read.

    Mail that lands between a sweep and IDLE is announced right behind the continuation, and
    imaplib's buffered reader then holds that line where `idle_check()`'s poll() on the socket
    cannot see it: it would wait for the next poll. Whatever is waiting, ending IDLE and
    sweeping is cheap and `idle_done()` reads the buffered lines.
    """
    sock = client.socket()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))
    except OSError:  # nothing buffered and nothing on the socket (or TLS wants more bytes)
        return False
    finally:
        sock.settimeout(timeout)


def _is_new_mail(response: tuple) -> bool:
    return len(response) >= 2 and response[1] in NEW_MAIL_RESPONSES


def _what_went_wrong(error: BaseException, connected: bool) -> str:
    if not isinstance(error, CONNECTION_ERRORS):
        return "failed"
    return "connection lost" if connected else "connection failed"


def _with_jitter(seconds: float) -> float:
    # Between half and all of the delay, so many watchers do not reconnect in step.
    return seconds / 2 + random.uniform(0, seconds / 2)


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except CONNECTION_ERRORS:
        try:
            client.shutdown()
        except CONNECTION_ERRORS:
            pass
