"""`intake serve` wiring: the SMTP listener, the IMAP watcher, the pipeline worker and the outbox
sender, started together and stopped together.

New mail wakes the pipeline at once, and queued replies wake the sender, so a confirmation
goes out within a second of the form's arrival; slow timers are only a safety net.
On PostgreSQL the IMAP watcher and the scheduler are leader roles (`intake.leaders`): each runs
in the one process of the deployment that holds its lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select

from intake.leaders import (
    IMAP_WATCHER,
    SCHEDULER,
    LeaderRole,
    Role,
    StartPart,
    lock_engine,
    thread_part,
)
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
# Messages a worker claims at once on PostgreSQL (see `_run_pipeline`).
CLAIM_BATCH = 1


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

    def mark_swept(self, mailbox: str, uidvalidity: int) -> None:
        """A watcher has just looked through `mailbox`: the IMAP lag the metrics report."""
        with self.services.db.session() as session:
            row = session.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox))
            if row is None:
                # Nothing captured from it yet: last_uid 0 is what `load` of no row means too.
                row = MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0)
                session.add(row)
            row.checked_at = self.services.now()


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
        pipeline: bool = True,
    ) -> None:
        """`pipeline=False` leaves out the work on mail (pipeline, outbox, IMAP, scheduler): the
        process serving `--workers N` keeps the listeners while worker processes do the work."""
        self.services = services
        self.stop_event = threading.Event()
        self._pipeline_woken = threading.Event()
        self.sender = outbox_sender(services)
        services.wake_pipeline = self._pipeline_woken.set
        services.wake_sender = self.sender.wake
        self._threads: list[threading.Thread] = []
        self._smtp = None
        self._want_smtp = smtp
        self._want_pipeline = pipeline
        self._want_imap = pipeline and imap and bool(services.settings.imap_url)
        self._want_scheduler = pipeline and scheduler
        self._web = web
        self._lock_engine = None
        self.roles: dict[Role, LeaderRole] = {}
        self._stop_parts: list[Callable[[], None]] = []

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
        if self._want_pipeline:
            self._spawn("pipeline", self._run_pipeline)
            self._spawn("outbox", lambda: self.sender.run(self.stop_event))
        if self._want_imap:
            state = MailboxStateInStore(self.services)
            watcher = ImapWatcher(
                self.services.settings.imap_url,
                self.capture_from_imap,
                state,
                on_swept=state.mark_swept,
            )
            self._start_part(IMAP_WATCHER, thread_part("imap", watcher.run))
        if self._want_smtp:
            host, port = self.services.settings.smtp_listen
            handler = SmtpIntakeHandler(
                self.capture_from_smtp,
                accepts_recipient(self.services),
                self.services.settings.max_message_bytes,
            )
            self._smtp = start_smtp_listener(host, port, handler)
        if self._want_scheduler:
            self._start_part(SCHEDULER, self._start_scheduler)
        if self._web is not None:
            self._web.start()

    def _start_scheduler(self) -> Callable[[], None]:
        hour, minute = self.services.settings.reminder_time
        scheduler = start_scheduler(self.services, hour=hour, minute=minute)
        return lambda: scheduler.shutdown(wait=True)

    def _start_part(self, role: Role, start: StartPart) -> None:
        """On SQLite (one process) start the part here and now; on PostgreSQL compete for its
        role in a thread, the part running while this process holds it."""
        if self.services.db.dialect != "postgresql":
            self._stop_parts.append(start())
            return
        if self._lock_engine is None:
            self._lock_engine = lock_engine(self.services.db.url)
        leader = LeaderRole(
            self._lock_engine, role, start, self.services.settings.leader_retry_seconds
        )
        self.roles[role] = leader
        self._spawn(f"leader-{role.key:x}", lambda: leader.run(self.stop_event))

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
        if not self._want_pipeline:
            return "; ".join(parts)
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
        # Where other workers may share the queue (PostgreSQL), claim one message at a time: a
        # batch claimed is a batch the others cannot start, and the last batches of a backlog
        # would leave them idle. One process on SQLite saves the round trips.
        batch = CLAIM_BATCH if self.services.db.dialect == "postgresql" else 20
        while not self.stop_event.is_set():
            try:
                if process_pending(self.services, limit=batch):
                    continue
            except Exception:
                # The database may be briefly away: log, wait, try again; nothing is lost.
                logger.exception("pipeline round failed")
            self._pipeline_woken.wait(1.0)
            self._pipeline_woken.clear()

    def stop(self) -> None:
        if self._web is not None:
            self._web.stop()
        for stop_part in reversed(self._stop_parts):
            stop_part()
        if self._smtp is not None:
            self._smtp.stop()
        self.stop_event.set()
        self._pipeline_woken.set()
        self.sender.wake()
        for thread in self._threads:
            thread.join(timeout=15)
        if self._lock_engine is not None:
            self._lock_engine.dispose()
