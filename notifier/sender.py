"""Delivering outbox rows through a transport, with retries, outside any database transaction.

Transports (`SmtpRelay`, `EmlFolder`) take one message and either succeed or raise:

    DeliveryError                 a message could not be handed over
    ├── TemporaryFailure          4xx reply, relay unreachable, timeout, disk full: try again later
    └── PermanentFailure          5xx reply: the row is failed and shown to a person

A row queued without its body (see `store.OutboxMessage`) is composed by the sender's `composer`
inside the claim, so its bytes are fixed before the first attempt and a retry resends them.

`OutboxSender.send_due` claims due rows in one short transaction, sends each with no transaction
open (a slow relay must not hold row locks or SQLite's write lock), and records each outcome in
another short transaction. Mail is sent at least once: a sender that dies between handing a
message over and recording it sends it again after the claim's lease, with the same Message-ID.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol, TypeAlias
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from notifier.compose import ComposedEmail
from store import Database, OutboxMessage, OutboxStatus, claim_outbox, utcnow

logger = logging.getLogger("intake.outbox")

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# With 30 s doubling to a 1 h cap, 20 attempts span about 14 hours of relay trouble.
MAX_ATTEMPTS = 20
DEFAULT_BATCH = 20
# Kept well under the claim's lease (store.LEASE, 10 min) times a batch: 20 x 20 s.
SMTP_TIMEOUT_SECONDS = 20.0
BARE_LINE_END = re.compile(rb"\r?\n")


class DeliveryError(Exception):
    """A message could not be handed to the transport; `reason` says why, for `last_error`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryError):
    """Worth trying again later. `transport_down` when no message could get through now (the
    relay unreachable, the folder unwritable), so the rest of a batch waits too."""

    def __init__(self, reason: str, *, transport_down: bool = False) -> None:
        super().__init__(reason)
        self.transport_down = transport_down


class PermanentFailure(DeliveryError):
    """The relay refused this message for good (a 5xx reply)."""


# Composes a row queued without its body, from what the store holds; raises if it cannot.
Composer: TypeAlias = Callable[[Session, OutboxMessage], ComposedEmail]


class Transport(Protocol):
    def send(self, envelope_from: str, to: str, raw: bytes) -> None: ...


class SmtpRelay:
    """An SMTP relay named by a URL.

    `smtp://host:port` is plain SMTP, `smtp://host:port?starttls=1` upgrades with STARTTLS
    (and fails if the server does not offer it), `smtps://host:port` is TLS from the start.
    `user:password@` in the URL logs in. One connection per message: outbox traffic is light,
    and a fresh connection leaves no half-dead session behind after a relay restart.
    """

    def __init__(self, url: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"expected smtp://HOST:PORT or smtps://HOST:PORT, not {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        flag = parse_qs(parts.query).get("starttls", ["0"])[0].lower()
        self.starttls = flag in ("1", "true", "yes")
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout

    def __repr__(self) -> str:  # never the password
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"SmtpRelay({scheme}://{self.host}:{self.port})"

    def send(self, envelope_from: str, to: str, raw: bytes) -> None:
        # SMTP wants CRLF line ends (RFC 5321 2.3.8); smtplib passes bytes through untouched, and
        # composed mail has bare LF, which a relay reads as one over-long line.
        raw = BARE_LINE_END.sub(b"\r\n", raw)
        connection = self._open()
        try:
            with connection:
                # Our bodies may be 8-bit UTF-8 (email's default policy); say so when we can.
                eight_bit = not raw.isascii() and connection.has_extn("8bitmime")
                options = ["BODY=8BITMIME"] if eight_bit else []
                connection.sendmail(envelope_from, [to], raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _by_reply_code(code, text) from None
        except smtplib.SMTPResponseException as exc:
            raise _by_reply_code(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(
                f"relay {self.host}:{self.port} dropped the session: {_describe(exc)}",
                transport_down=True,
            ) from None

    def _open(self) -> smtplib.SMTP:
        """A connected, greeted (and, as configured, encrypted and logged-in) session."""
        context = ssl.create_default_context()
        try:
            if self.implicit_tls:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(
                f"cannot reach relay {self.host}:{self.port}: {_describe(exc)}",
                transport_down=True,
            ) from None
        try:
            connection.ehlo_or_helo_if_needed()
            if self.starttls:
                connection.starttls(context=context)
                connection.ehlo()
            if self.username is not None:
                connection.login(self.username, self.password)
        except (smtplib.SMTPException, OSError) as exc:
            connection.close()
            # A refused login or a missing STARTTLS is the configuration, not this message:
            # the mail waits (and so stays deliverable) while someone fixes INTAKE_SMTP_URL.
            raise TemporaryFailure(
                f"relay {self.host}:{self.port} setup failed: {_describe(exc)}",
                transport_down=True,
            ) from None
        return connection


class EmlFolder:
    """Writes each message to `<path>/<UTC timestamp>-<Message-ID>.eml`, readable only by us.

    The transport when no relay is set (`INTAKE_SMTP_URL` unset): nothing leaves the machine and
    every message can be opened in a mail program.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"EmlFolder({str(self.path)!r})"

    def send(self, envelope_from: str, to: str, raw: bytes) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.path / f"{stamp}-{_file_safe_message_id(raw)}.eml"
        partial = final.with_suffix(".eml.partial")
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            # O_EXCL and mode 0600: a message may hold a child's details.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(raw)
                out.flush()
                os.fsync(out.fileno())
            # Renamed only when whole, so a reader of *.eml never sees half a message.
            os.replace(partial, final)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise TemporaryFailure(
                f"cannot write to {self.path}: {_describe(exc)}", transport_down=True
            ) from None


@dataclass(frozen=True)
class SendReport:
    """What one `send_due` did: rows `sent`, `retried` later after a temporary failure, `failed`
    for good, and `deferred` untried because the transport was down (their attempt not counted)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred


@dataclass(frozen=True)
class _Claimed:
    """What a send needs from a claimed row, read before its transaction ends."""

    id: int
    kind: str
    to_address: str
    raw: bytes
    attempts: int

    @property
    def domain(self) -> str:
        return self.to_address.rpartition("@")[2]


class OutboxSender:
    """Sends due outbox rows through `transport` from `envelope_from` (the SMTP MAIL FROM)."""

    def __init__(
        self,
        database: Database,
        transport: Transport,
        *,
        envelope_from: str,
        batch: int = DEFAULT_BATCH,
        max_attempts: int = MAX_ATTEMPTS,
        composer: Composer | None = None,
    ) -> None:
        self.database = database
        self.composer = composer
        self.transport = transport
        self.envelope_from = envelope_from
        self.batch = batch
        self.max_attempts = max_attempts
        self._woken = threading.Event()

    def wake(self) -> None:
        """Send now rather than at the next interval: call after queueing mail."""
        self._woken.set()

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Send due mail until `stop` is set; set it and call `wake()` to stop at once."""
        while not stop.is_set():
            try:
                report = self.send_due()
            except Exception:
                # A database outage or a bug must not end delivery for good: log and go on.
                logger.exception("outbox send round failed")
                report = SendReport()
            if report.claimed >= self.batch and not report.deferred:
                continue  # more may be due right now
            self._woken.wait(interval)
            self._woken.clear()

    def send_due(self, now: datetime | None = None) -> SendReport:
        """Send up to one batch of due rows and record each outcome."""
        counts = {"sent": 0, "retried": 0, "failed": 0, "deferred": 0}
        claimed = []
        with self.database.session() as session:
            for row in claim_outbox(session, now or utcnow(), self.batch):
                if row.raw is None and not self._compose(session, row):
                    counts["failed"] += 1
                else:
                    claimed.append(_snapshot(row))
        for index, row in enumerate(claimed):
            try:
                self.transport.send(self.envelope_from, row.to_address, row.raw)
            except TemporaryFailure as exc:
                outcome = self._record_retry(row, exc.reason, now)
                counts[outcome] += 1
                if exc.transport_down:
                    rest = claimed[index + 1 :]
                    counts["deferred"] += self._release(rest, now)
                    break
            except PermanentFailure as exc:
                self._record_failure(row, exc.reason, now)
                counts["failed"] += 1
            else:
                self._record_sent(row, now)
                counts["sent"] += 1
        return SendReport(**counts)

    def _compose(self, session: Session, row: OutboxMessage) -> bool:
        """Give `row` its body, or fail it with the reason; whether it can be sent now."""
        if self.composer is None:
            reason = "queued to be composed when sent, but this sender cannot compose mail"
        else:
            try:
                email = self.composer(session, row)
            except SQLAlchemyError:
                raise  # the database, not the row: the round fails and the row is tried again
            except Exception as exc:  # a template or data fault: this row fails, not the batch
                logger.exception("outbox %d %s could not be composed", row.id, row.kind)
                reason = f"could not be composed: {_describe(exc)}"
            else:
                row.raw, row.subject = email.raw, email.subject
                return True
        row.status = OutboxStatus.FAILED
        row.next_attempt_at = None
        row.last_error = reason
        return False

    def _record_sent(self, claimed: _Claimed, now: datetime | None) -> None:
        with self.database.session() as session:
            row = _still_ours(session, claimed)
            if row is not None:
                row.status = OutboxStatus.SENT
                row.sent_at = now or utcnow()
                row.next_attempt_at = None
                row.last_error = None
        logger.info("outbox %d %s sent to @%s", claimed.id, claimed.kind, claimed.domain)

    def _record_retry(self, claimed: _Claimed, reason: str, now: datetime | None) -> str:
        """Pending again after a growing delay, or failed once out of attempts; which of
        `retried` or `failed` it was."""
        if claimed.attempts >= self.max_attempts:
            self._record_failure(
                claimed, f"gave up after {claimed.attempts} attempts: {reason}", now
            )
            return "failed"
        with self.database.session() as session:
            row = _still_ours(session, claimed)
            if row is not None:
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = (now or utcnow()) + retry_delay(claimed.attempts)
                row.last_error = reason
        logger.info(
            "outbox %d %s to @%s will be retried (attempt %d)",
            claimed.id,
            claimed.kind,
            claimed.domain,
            claimed.attempts,
        )
        return "retried"

    def _record_failure(self, claimed: _Claimed, reason: str, now: datetime | None) -> None:
        with self.database.session() as session:
            row = _still_ours(session, claimed)
            if row is not None:
                row.status = OutboxStatus.FAILED
                row.next_attempt_at = None
                row.last_error = reason
        logger.warning("outbox %d %s to @%s failed", claimed.id, claimed.kind, claimed.domain)

    def _release(self, rows: list[_Claimed], now: datetime | None) -> int:
        """Hand back rows not tried because the transport is down: pending, their attempt
        uncounted, due at the first retry time so the transport is not hammered."""
        if not rows:
            return 0
        with self.database.session() as session:
            for claimed in rows:
                row = _still_ours(session, claimed)
                if row is not None:
                    row.status = OutboxStatus.PENDING
                    row.attempts -= 1
                    row.next_attempt_at = (now or utcnow()) + FIRST_RETRY
        return len(rows)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th try failed: 30 s, doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _snapshot(row: OutboxMessage) -> _Claimed:
    return _Claimed(row.id, row.kind, row.to_address, row.raw, row.attempts)


def _still_ours(session: Session, claimed: _Claimed) -> OutboxMessage | None:
    """The row, if our claim still holds: a lease that ran out may have passed it to another
    sender, whose outcome is then the one to keep."""
    row = session.get(OutboxMessage, claimed.id, with_for_update=True)
    if row is None or row.status != OutboxStatus.SENDING or row.attempts != claimed.attempts:
        logger.warning("outbox %d: claim lost before its outcome was recorded", claimed.id)
        return None
    return row


def _by_reply_code(code: int, text: bytes | str) -> DeliveryError:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    reason = f"{code} {text}".strip()
    if 500 <= code < 600:
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _file_safe_message_id(raw: bytes) -> str:
    headers = BytesHeaderParser().parsebytes(raw)
    message_id = str(headers.get("Message-ID", "")).strip().strip("<>")
    safe = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id)[:100]
    return safe or os.urandom(8).hex()
