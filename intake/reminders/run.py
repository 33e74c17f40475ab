"""The daily reminder run: the advice reminders (`intake.reminders.advice`) and the deadline
watch (`intake.reminders.deadlines`) for one day, in one transaction, and the report of both.

Reminders go out on working days only (`intake.reminders.working_days`: Monday to Friday in the
configured time zone, less the bank holidays of England and Wales and `INTAKE_CLOSED_DAYS`): a
run on any other day queues nothing. A run sends the thresholds that fell after the last
finished run (at most `CATCH_UP_DAYS` back) and up to its day. `intake queue` shows overdue
advice from the requests themselves (`intake.views.queue.overdue_advice`).

Exactly once: each reminder is claimed by a row with a unique key, so a second claim (a second
run the same day, after a restart, or at the same moment) inserts nothing. An advice reminder is
one email, and its outbox row is its claim, unique per advice request and threshold
(`OutboxMessage.advice_request_id`, `reminder_kind`); a deadline warning is claimed as a
`ReminderSent` row. The run reads only the rows it needs: advice requests by the exact due dates
the day's thresholds imply, through an index on `due_on`. The report is complete when the run
returns: what each part queued comes back from its claim, and no part reads the store later.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intake.reminders.advice import remind_advice_givers
from intake.reminders.deadlines import watch_deadlines
from intake.reminders.report import ReminderItem, ReminderReport
from intake.reminders.sql import dialect_of, upsert_insert
from intake.reminders.working_days import REGULAR_WORKING_DAYS, WorkingDays
from intake.services import Services
from store import ReminderRun

__all__ = ["ReminderItem", "ReminderReport", "run_reminders", "window_start"]

# How far back a run catches up after missed days (a week of outage).
CATCH_UP_DAYS = 7


def window_start(
    last_run: date | None, today: date, working_days: WorkingDays = REGULAR_WORKING_DAYS
) -> date:
    """The day after which thresholds are this run's to send: the last finished run, at most
    `CATCH_UP_DAYS` back; with no run yet, the previous working day."""
    if last_run is None:
        last_run = working_days.previous(today)
    return max(last_run, today - timedelta(days=CATCH_UP_DAYS))


def run_reminders(services: Services, today: date, *, dry_run: bool = False) -> ReminderReport:
    """Queue the reminders and deadline warnings due on `today` (a date in the configured time
    zone), in one transaction; a dry run works out the same list and writes nothing."""
    working_days = WorkingDays(services.settings.closed_days)
    if today not in working_days:
        return ReminderReport(today=today, dry_run=dry_run, working_day=False)
    with services.db.session() as session:
        last_run = session.scalar(
            select(func.max(ReminderRun.run_on)).where(ReminderRun.run_on < today)
        )
        start = window_start(last_run, today, working_days)
        first_run_today = dry_run or _record_run(services, session, today)
        advice = remind_advice_givers(
            services,
            session,
            today,
            start,
            working_days,
            dry_run=dry_run,
            first_run_today=first_run_today,
        )
        deadlines = watch_deadlines(services, session, today, dry_run=dry_run)
        if not dry_run:
            _count_items(session, today, len(advice.items) + len(deadlines.items))
    return ReminderReport(today, dry_run, True, start, advice, deadlines)


def _count_items(session: Session, today: date, queued: int) -> None:
    """Add what this run queued to the day's count (a second run the same day adds its own),
    in the run's transaction: the metrics' items of the last run."""
    session.execute(
        update(ReminderRun)
        .where(ReminderRun.run_on == today)
        .values(items=func.coalesce(ReminderRun.items, 0) + queued)
    )


def _record_run(services: Services, session: Session, today: date) -> bool:
    """Record today's run, in its transaction, before it claims anything; True when no other
    run recorded today first.

    The row is seen by others only when the run commits, so it still marks a finished run. Made
    first, it orders the runs of one day: on PostgreSQL a second run at the same moment waits
    here for the first to commit (SQLite's writers queue already), so a run that records first
    knows that none of its reminders was claimed today before it, and need not count them.
    """
    recorded = session.execute(
        upsert_insert(dialect_of(session), ReminderRun)
        .values(run_on=today, finished_at=services.now())
        .on_conflict_do_nothing()
    )
    return recorded.rowcount == 1
