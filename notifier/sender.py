"""Delivering outbox rows through a transport, with retries, outside any database transaction.

Transports (`notifier.transports`: `SmtpRelay`, `EmlFolder`) take one message and either succeed
or raise a `DeliveryError`: temporary (try again later) or permanent (failed, shown to a person).

A row queued without its body (see `store.OutboxMessage`) is composed by the sender's `composer`
inside the claim, so its bytes are fixed before the first attempt and a retry resends them.

`OutboxSender.send_due` claims due rows in one short transaction, sends each with no transaction
open (a slow relay must not hold row locks or SQLite's write lock), and records each outcome in
another short transaction. Mail is sent at least once: a sender that dies between handing a
message over and recording it sends it again after the claim's lease, with the same Message-ID.
That window is kept as small as it can be: "sent" is one UPDATE, committed as soon as the relay
has answered DATA (before QUIT). What remains is the relay's 250 in flight and that commit, a
few milliseconds; a crash inside it sends the message twice, a receiver can tell by its
Message-ID (tests/test_crash_safety.py measures how often random kills land there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from notifier.compose import ComposedEmail
from notifier.transports import (
    PermanentFailure,
    TemporaryFailure,
    Transport,
    describe_error,
)
from store import Database, OutboxMessage, OutboxStatus, claim_outbox, utcnow

logger = logging.getLogger("intake.outbox")

FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
# With 30 s doubling to a 1 h cap, 20 attempts span about 14 hours of relay trouble.
MAX_ATTEMPTS = 20
DEFAULT_BATCH = 20


# Composes a row queued without its body, from what the store holds; raises if it cannot.
Composer: TypeAlias = Callable[[Session, OutboxMessage], ComposedEmail]


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
            recorded: list[bool] = []

            def record_sent(row: _Claimed = row, recorded: list[bool] = recorded) -> None:
                recorded.append(True)
                self._record_sent(row, now)

            try:
                self.transport.send(
                    self.envelope_from, row.to_address, row.raw, accepted=record_sent
                )
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
                if not recorded:  # a transport that does not say when it was taken
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
                reason = f"could not be composed: {describe_error(exc)}"
            else:
                row.raw, row.subject = email.raw, email.subject
                return True
        row.status = OutboxStatus.FAILED
        row.next_attempt_at = None
        row.last_error = reason
        return False

    def _record_sent(self, claimed: _Claimed, now: datetime | None) -> None:
        # One conditional UPDATE (one round trip, then the commit): this is the window in which a
        # crash sends the message twice, so it does nothing else.
        with self.database.session() as session:
            recorded = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == claimed.id,
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.attempts == claimed.attempts,
                )
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=now or utcnow(),
                    next_attempt_at=None,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
        if recorded.rowcount != 1:
            logger.warning("outbox %d: claim lost before its outcome was recorded", claimed.id)
            return
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
