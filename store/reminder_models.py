"""The scheduled runs' memory: which deadline warning went out for which case, and on which days
the reminder run ran.

`ReminderSent` is the exactly-once guard of deadline warnings. A run claims a warning by
inserting its row before it queues the emails (one per caseworker); the unique key
`(case_id, kind)` makes a second claim fail, so two runs at once, a run repeated on the same day
or a run after a restart never warn twice. An advice reminder, one email to one professional,
needs no row here: its outbox row is its claim (`OutboxMessage.advice_request_id`).

`ReminderRun` records the working days a run has finished, so that the next run knows which days
it missed and can catch up with the most recent threshold only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.models import REMINDER_KIND, AdviceRequest


class ReminderSent(Base):
    """One deadline warning (`deadline-<milestone>-<date>`), claimed once. The emails it queued
    point back at it (`OutboxMessage.reminder_id`): one per caseworker, none for a warning the
    outbox's rate limit held back (the audit log records it)."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(REMINDER_KIND))
    sent_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderRun(Base):
    """A working day on which the reminder run finished (dry runs are not recorded), and how
    many reminders and warnings the day's runs queued (None: recorded before the count was)."""

    __tablename__ = "reminder_runs"

    run_on: Mapped[date] = mapped_column(Date, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    items: Mapped[int | None] = mapped_column(Integer)


class ReminderRunFailure(Base):
    """A scheduled reminder run that raised: its work was rolled back, and the next working
    day's run catches up. Kept for the metrics; `error` is the exception's type, never its
    text, which may quote a row."""

    __tablename__ = "reminder_run_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_on: Mapped[date] = mapped_column(Date)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    error: Mapped[str] = mapped_column(String(200))


# The reminder run selects open advice requests by their exact due dates; without this index it
# would read every advice request each day. It belongs to `advice_requests` and is declared here
# only because this module brought the query (same name as `index=True` on the column would give).
ADVICE_DUE_ON_INDEX = Index("ix_advice_requests_due_on", AdviceRequest.__table__.c.due_on)
