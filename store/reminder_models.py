"""The scheduled runs' memory: which reminder or deadline warning went out for what, and on which
days the reminder run ran.

`ReminderSent` is the exactly-once guard. A run claims a reminder by inserting its row before it
queues the email; the unique keys `(advice_request_id, kind)` and `(case_id, kind)` make a second
claim fail, so two runs at once, a run repeated on the same day or a run after a restart never
queue one reminder twice. Exactly one of `advice_request_id` and `case_id` is set: an advice
reminder names its advice request (`due-in-14`, `due-in-3`, `due-today`, `overdue-N`), a deadline
warning its case (`deadline-<milestone>-<date>`). A NULL never clashes in a unique key, which is
why an advice reminder leaves `case_id` empty.

`ReminderRun` records the working days a run has finished, so that the next run knows which days
it missed and can catch up with the most recent threshold only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow
from store.models import AdviceRequest

REMINDER_KIND = 100


class ReminderSent(Base):
    """One reminder or deadline warning, claimed once. The emails it queued point back at it
    (`OutboxMessage.reminder_id`): one for an advice reminder, one per caseworker for a deadline
    warning, none for a warning the outbox's rate limit held back (the audit log records it)."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint("advice_request_id", "kind"),
        UniqueConstraint("case_id", "kind"),
        CheckConstraint("(advice_request_id IS NULL) <> (case_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advice_request_id: Mapped[int | None] = mapped_column(ForeignKey("advice_requests.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(REMINDER_KIND))
    sent_on: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderRun(Base):
    """A working day on which the reminder run finished (dry runs are not recorded)."""

    __tablename__ = "reminder_runs"

    run_on: Mapped[date] = mapped_column(Date, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


# The reminder run selects open advice requests by their exact due dates; without this index it
# would read every advice request each day. It belongs to `advice_requests` and is declared here
# only because this module brought the query (same name as `index=True` on the column would give).
ADVICE_DUE_ON_INDEX = Index("ix_advice_requests_due_on", AdviceRequest.__table__.c.due_on)
