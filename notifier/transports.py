"""Transports hand one message to the world and either succeed or raise:

    DeliveryError                 a message could not be handed over
    ├── TemporaryFailure          4xx reply, relay unreachable, timeout, disk full: try again later
    └── PermanentFailure          5xx reply: the row is failed and shown to a person

`SmtpRelay` sends through the configured relay; `EmlFolder` writes .eml files when none is set.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

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


class Transport(Protocol):
    def send(self, envelope_from: str, to: str, raw: bytes) -> None: ...

    def check(self) -> None:
        """Raise TemporaryFailure when a message could not be sent now (/healthz asks)."""


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
        except (smtplib.SMTPException, OSError) as exc:
            raise self._session_failure(exc) from None

    def check(self) -> None:
        """Connect, greet (EHLO, STARTTLS and log in as configured), NOOP and QUIT: the relay
        would take a message now. TemporaryFailure says why not, never with the password."""
        connection = self._open()
        try:
            with connection:
                code, text = connection.noop()
                if code != 250:
                    raise _by_reply_code(code, text)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._session_failure(exc) from None

    def _session_failure(self, exc: smtplib.SMTPException | OSError) -> DeliveryError:
        """What a relay's reply (by its code) or a lost session means for the message."""
        if isinstance(exc, smtplib.SMTPResponseException):
            return _by_reply_code(exc.smtp_code, exc.smtp_error)
        return TemporaryFailure(
            f"relay {self.host}:{self.port} dropped the session: {describe_error(exc)}",
            transport_down=True,
        )

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
                f"cannot reach relay {self.host}:{self.port}: {describe_error(exc)}",
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
                f"relay {self.host}:{self.port} setup failed: {describe_error(exc)}",
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

    def check(self) -> None:
        """The folder exists (or can be made) and a file can be written in it now."""
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path):
                pass
        except OSError as exc:
            raise TemporaryFailure(
                f"cannot write to {self.path}: {describe_error(exc)}", transport_down=True
            ) from None

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
                f"cannot write to {self.path}: {describe_error(exc)}", transport_down=True
            ) from None


def _by_reply_code(code: int, text: bytes | str) -> DeliveryError:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    reason = f"{code} {text}".strip()
    if 500 <= code < 600:
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


def describe_error(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _file_safe_message_id(raw: bytes) -> str:
    headers = BytesHeaderParser().parsebytes(raw)
    message_id = str(headers.get("Message-ID", "")).strip().strip("<>")
    safe = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id)[:100]
    return safe or os.urandom(8).hex()
