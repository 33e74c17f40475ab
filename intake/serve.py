"""`intake serve` wiring: the SMTP listener, the IMAP watcher, the pipeline worker and the outbox
sender, started together and stopped together.

New mail wakes the pipeline at once, and queued replies wake the sender, so a confirmation
goes out within a second of the form's arrival; slow timers are only a safety net.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select

from intake.pipeline.process import process_pending
from intake.receive.capture import capture_message
from intake.receive.imap import ImapWatcher, TransportKey
from intake.receive.smtp import SmtpIntakeHandler, start_smtp_listener
from intake.reminders.mail import outbox_composer
from intake.reminders.scheduler import start_scheduler
from intake.services import Services
from notifier import EmlFolder, OutboxSender, SmtpRelay, Transport
from store import MailboxState
from store import Transport as Arrival

logger = logging.getLogger("intake.service")


class MailboxStateInStore:
    """The IMAP watcher's place in each mailbox, kept in the database."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def load(self, mailbox: str) -> tuple[int, int] | None:
        with self.services.db.session() as session:
            row = session.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
            return (row.uidvalidity, row.last_uid) if row else None

    def save(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with self.services.db.session() as session:
            row = session.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
            if row is None:
                session.add(
                    MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid)
                )
            else:
                row.uidvalidity, row.last_uid = uidvalidity, last_uid


def outbound_transport(services: Services, *, timeout: float | None = None) -> Transport:
    """The relay when one is set (each network call limited to `timeout` seconds when given);
    otherwise .eml files under INTAKE_HOME/outbox-sent/."""
    if services.settings.smtp_url:
        if timeout is not None:
            return SmtpRelay(services.settings.smtp_url, timeout=timeout)
        return SmtpRelay(services.settings.smtp_url)
    return EmlFolder(Path(services.settings.home) / "outbox-sent")


def outbox_sender(services: Services, transport: Transport | None = None) -> OutboxSender:
    """The sender of our outbox through `transport` (default: `outbound_transport`), able to
    compose the mail the reminder run queues without a body."""
    return OutboxSender(
        services.db,
        transport or outbound_transport(services),
        envelope_from=services.settings.address,
        composer=outbox_composer(services),
    )


def accepts_recipient(services: Services) -> Callable[[str], bool]:
    """Our intake address and its plus-addresses (`intake+TOKEN@...`), nothing else."""
    local, _, domain = services.settings.address.lower().partition("@")

    def accepts(address: str) -> bool:
        their_local, _, their_domain = address.lower().strip("<>").rpartition("@")
        return their_domain == domain and (
            their_local == local or their_local.startswith(local + "+")
        )

    return accepts


def without_password(url: str) -> str:
    """`url` as it may be shown in a log: the user name kept, the password starred out."""
    parts = urlsplit(url)
    userinfo, at, host_port = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return urlunsplit(parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{host_port}"))


class WebPart(Protocol):
    """The web face (portal.WebServer), handed in by the command: intake imports no portal."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def describe(self) -> str: ...


class RunningService:
    """Everything `intake serve` runs; `start()` returns once all parts are up."""

    def __init__(
        self,
        services: Services,
        *,
        smtp: bool = True,
        imap: bool = True,
        scheduler: bool = False,
        web: WebPart | None = None,
    ) -> None:
        self.services = services
        self.stop_event = threading.Event()
        self._pipeline_woken = threading.Event()
        self.sender = outbox_sender(services)
        services.wake_pipeline = self._pipeline_woken.set
        services.wake_sender = self.sender.wake
        self._threads: list[threading.Thread] = []
        self._smtp = None
        self._want_smtp = smtp
        self._want_imap = imap and bool(services.settings.imap_url)
        self._want_scheduler = scheduler
        self._scheduler = None
        self._web = web

    def capture_from_smtp(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> object:
        # As a delivering MTA does: the envelope sender becomes Return-Path, so screening sees
        # a null sender (bounces) arriving over SMTP just as it does through IMAP.
        raw = (
            b"Return-Path: <"
            + envelope_from.strip("<>").encode("ascii", "replace")
            + b">\r\n"
            + raw
        )
        captured = capture_message(
            self.services, raw, Arrival.SMTP, envelope_from=envelope_from, envelope_to=envelope_to
        )
        self._pipeline_woken.set()
        return captured

    def capture_from_imap(self, raw: bytes, key: TransportKey) -> object:
        captured = capture_message(self.services, raw, Arrival.IMAP, key=key)
        self._pipeline_woken.set()
        return captured

    def start(self) -> None:
        self._spawn("pipeline", self._run_pipeline)
        self._spawn("outbox", lambda: self.sender.run(self.stop_event))
        if self._want_imap:
            watcher = ImapWatcher(
                self.services.settings.imap_url,
                self.capture_from_imap,
                MailboxStateInStore(self.services),
            )
            self._spawn("imap", lambda: watcher.run(self.stop_event))
        if self._want_smtp:
            host, port = self.services.settings.smtp_listen
            handler = SmtpIntakeHandler(
                self.capture_from_smtp,
                accepts_recipient(self.services),
                self.services.settings.max_message_bytes,
            )
            self._smtp = start_smtp_listener(host, port, handler)
        if self._want_scheduler:
            hour, minute = self.services.settings.reminder_time
            self._scheduler = start_scheduler(self.services, hour=hour, minute=minute)
        if self._web is not None:
            self._web.start()

    def describe(self) -> str:
        """Every listener and where our mail goes, for the start line; passwords hidden."""
        settings = self.services.settings
        parts = []
        if self._want_smtp:
            host, port = settings.smtp_listen
            parts.append(f"SMTP on {host}:{port}")
        if self._web is not None:
            parts.append(self._web.describe())
        if self._want_imap:
            parts.append(f"IMAP {without_password(settings.imap_url)}")
        if settings.smtp_url:
            parts.append(f"outbound mail through {without_password(settings.smtp_url)}")
        else:
            parts.append(f"outbound mail to {(Path(settings.home) / 'outbox-sent').resolve()}/")
        return "; ".join(parts)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"intake-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _run_pipeline(self) -> None:
        while not self.stop_event.is_set():
            try:
                if process_pending(self.services):
                    continue
            except Exception:
                # The database may be briefly away: log, wait, try again; nothing is lost.
                logger.exception("pipeline round failed")
            self._pipeline_woken.wait(1.0)
            self._pipeline_woken.clear()

    def stop(self) -> None:
        if self._web is not None:
            self._web.stop()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        if self._smtp is not None:
            self._smtp.stop()
        self.stop_event.set()
        self._pipeline_woken.set()
        self.sender.wake()
        for thread in self._threads:
            thread.join(timeout=10)
