"""The service's metrics, counted by the database so that every process reports the same:
inbound messages by status, the outbox's depth, how far behind the mailbox is, and the reminder
runs. Counts, ages and times only: no address, name, subject or reference is ever part of one.

`intake metrics` prints them (Prometheus text, or `--json`); the web serves the text at
`/metrics` (portal/metrics.py). Each figure is one statement along an index: counting the
statuses reads the status index, not the messages; the oldest waiting message or email is the
first entry of its status in an index; the rest read a row or two.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import (
    InboundMessage,
    InboundStatus,
    MailboxState,
    OutboxMessage,
    OutboxStatus,
    ReminderRun,
    ReminderRunFailure,
)

# Captured and not yet finished with: the pipeline still owes these an outcome.
UNPROCESSED = (InboundStatus.RECEIVED, InboundStatus.PROCESSING, InboundStatus.FAILED)
# Waiting to go out (including retries after a 4xx) or being sent now.
QUEUED = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class MailboxLag:
    mailbox: str
    # Seconds since a watcher last finished looking through it; None: never, since 0011.
    last_checked_seconds: float | None


@dataclass(frozen=True)
class Metrics:
    inbound_by_status: dict[str, int]
    oldest_unprocessed_seconds: float
    outbox_queued: int
    outbox_sending: int
    outbox_failed: int
    oldest_queued_seconds: float
    mailboxes: list[MailboxLag] = field(default_factory=list)
    last_reminder_run_on: date | None = None
    last_reminder_run_at: datetime | None = None
    last_reminder_run_items: int | None = None
    reminder_run_failures: int = 0
    last_reminder_failure_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        for name in ("last_reminder_run_on", "last_reminder_run_at", "last_reminder_failure_at"):
            if row[name] is not None:
                row[name] = row[name].isoformat()
        return row


def read_metrics(session: Session, now: datetime) -> Metrics:
    """Every figure as of `now` (aware, UTC)."""
    by_status = {status.value: 0 for status in InboundStatus}
    for status, count in session.execute(
        select(InboundMessage.status, func.count()).group_by(InboundMessage.status)
    ):
        by_status[str(status)] = count
    outbox = dict.fromkeys(OutboxStatus, 0)
    for status, count in session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_([*QUEUED, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.status)
    ):
        outbox[status] = count
    last_run = session.execute(
        select(ReminderRun.run_on, ReminderRun.finished_at, ReminderRun.items)
        .order_by(ReminderRun.run_on.desc())
        .limit(1)
    ).first()
    failures, last_failure = session.execute(
        select(func.count(), func.max(ReminderRunFailure.failed_at))
    ).one()
    return Metrics(
        inbound_by_status=by_status,
        oldest_unprocessed_seconds=_age(now, _oldest_inbound(session)),
        outbox_queued=outbox[OutboxStatus.PENDING],
        outbox_sending=outbox[OutboxStatus.SENDING],
        outbox_failed=outbox[OutboxStatus.FAILED],
        oldest_queued_seconds=_age(now, _oldest_queued(session)),
        mailboxes=[
            MailboxLag(mailbox, _age(now, checked_at) if checked_at else None)
            for mailbox, checked_at in session.execute(
                select(MailboxState.mailbox, MailboxState.checked_at).order_by(MailboxState.mailbox)
            )
        ],
        last_reminder_run_on=last_run.run_on if last_run else None,
        last_reminder_run_at=last_run.finished_at if last_run else None,
        last_reminder_run_items=last_run.items if last_run else None,
        reminder_run_failures=failures,
        last_reminder_failure_at=_aware(last_failure),
    )


def _oldest_inbound(session: Session) -> datetime | None:
    # One MIN per status, each the first entry of (status, received_at, id): an IN list over
    # the three would read every row of them, which after an outage may be many.
    oldest = [
        session.scalar(
            select(func.min(InboundMessage.received_at)).where(InboundMessage.status == status)
        )
        for status in UNPROCESSED
    ]
    return min((_aware(t) for t in oldest if t is not None), default=None)


def _oldest_queued(session: Session) -> datetime | None:
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(QUEUED))
    )
    return _aware(oldest)


def _aware(value: datetime | None) -> datetime | None:
    # An aggregate's result skips the column type, so SQLite's text comes back as it is.
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _age(now: datetime, then: datetime | None) -> float:
    """Seconds from `then` to `now`; 0 when there is nothing waiting."""
    return 0.0 if then is None else round(max(0.0, (now - then).total_seconds()), 3)


# (name, type, help) of every metric, in the order printed.
PROMETHEUS_METRICS = (
    ("intake_inbound_messages", "gauge", "Inbound messages by lifecycle status."),
    (
        "intake_inbound_oldest_unprocessed_seconds",
        "gauge",
        "Age of the oldest message received, processing or failed (waiting to retry); 0: none.",
    ),
    ("intake_outbox_messages", "gauge", "Emails pending, being sent, or failed (5xx)."),
    (
        "intake_outbox_oldest_queued_seconds",
        "gauge",
        "Age of the oldest email pending or being sent; 0: none.",
    ),
    (
        "intake_imap_last_checked_seconds",
        "gauge",
        "Seconds since an IMAP watcher last finished looking through the mailbox.",
    ),
    (
        "intake_reminder_last_run_timestamp_seconds",
        "gauge",
        "When the last reminder run finished (Unix time).",
    ),
    (
        "intake_reminder_last_run_items",
        "gauge",
        "Reminders and deadline warnings queued by the last day's reminder runs.",
    ),
    ("intake_reminder_run_failures_total", "counter", "Scheduled reminder runs that failed."),
    (
        "intake_reminder_last_failure_timestamp_seconds",
        "gauge",
        "When a scheduled reminder run last failed (Unix time).",
    ),
)


def prometheus_text(metrics: Metrics) -> str:
    """The metrics in Prometheus's text format (version 0.0.4); a figure not known yet (no
    reminder run, a mailbox never looked through) is left out rather than given as 0."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {
        "intake_inbound_messages": [
            ({"status": status}, count) for status, count in metrics.inbound_by_status.items()
        ],
        "intake_inbound_oldest_unprocessed_seconds": [({}, metrics.oldest_unprocessed_seconds)],
        "intake_outbox_messages": [
            ({"status": OutboxStatus.PENDING.value}, metrics.outbox_queued),
            ({"status": OutboxStatus.SENDING.value}, metrics.outbox_sending),
            ({"status": OutboxStatus.FAILED.value}, metrics.outbox_failed),
        ],
        "intake_outbox_oldest_queued_seconds": [({}, metrics.oldest_queued_seconds)],
        "intake_imap_last_checked_seconds": [
            ({"mailbox": lag.mailbox}, lag.last_checked_seconds)
            for lag in metrics.mailboxes
            if lag.last_checked_seconds is not None
        ],
        "intake_reminder_last_run_timestamp_seconds": _known(_unix(metrics.last_reminder_run_at)),
        "intake_reminder_last_run_items": _known(metrics.last_reminder_run_items),
        "intake_reminder_run_failures_total": [({}, metrics.reminder_run_failures)],
        "intake_reminder_last_failure_timestamp_seconds": _known(
            _unix(metrics.last_reminder_failure_at)
        ),
    }
    lines = []
    for name, kind, help_text in PROMETHEUS_METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples[name]:
            lines.append(f"{name}{_labels(labels)} {_number(value)}")
    return "\n".join(lines) + "\n"


def _known(value: float | None) -> list[tuple[dict[str, str], float]]:
    return [] if value is None else [({}, value)]


def _unix(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _escape(value: str) -> str:
    """A label value as the text format wants it: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
