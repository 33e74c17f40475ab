"""The daily scheduled runs: APScheduler fires `run_reminders` on working days at a set time in
the configured time zone, and the retention purge (`intake.lifecycle.purge`) every night at
`INTAKE_PURGE_TIME`.

Several processes may share one PostgreSQL database; one of them runs the scheduler (the leader
role of `intake.leaders`), and a run still takes a session advisory lock of its own, so that a
run begun by a holder that has just lost its role and one begun by its successor are not both
led. The unique keys the reminders are claimed by (`intake.reminders.run`) would keep a
reminder single anyway: the locks only save work.
On SQLite there is one process, and BEGIN IMMEDIATE serialises writers besides.
"""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text

from intake.lifecycle import PurgeReport, purge
from intake.reminders.run import ReminderReport, run_reminders
from intake.services import Services
from store import ReminderRunFailure

logger = logging.getLogger("intake.scheduler")

JOB_ID = "reminders"
PURGE_JOB_ID = "purge"
# Any fixed numbers, the same in every process, different from the migration lock's.
LEADER_LOCK_KEY = 0x1E_4C_2E_31
PURGE_LOCK_KEY = 0x1E_4C_2E_32
# A run delayed (a busy or sleeping machine) still runs within the hour; a later one waits for
# the next day, whose run catches up with the most recent thresholds.
MISFIRE_GRACE_SECONDS = 3600


def run_scheduled(services: Services) -> ReminderReport | None:
    """One scheduled run for today in the configured zone; None when another process leads."""
    today = services.today()
    return _as_leader(services, LEADER_LOCK_KEY, lambda: _run_and_log(services, today))


def purge_scheduled(services: Services) -> PurgeReport | None:
    """Tonight's retention purge; None when another process leads."""
    return _as_leader(services, PURGE_LOCK_KEY, lambda: _purge_and_log(services))


def _as_leader(services: Services, key: int, run):
    """`run()` in the process that holds advisory lock `key` (always, on SQLite); else None."""
    if services.db.dialect != "postgresql":
        return run()
    with services.db.engine.connect() as connection:
        lead = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        connection.commit()
        if not lead.scalar_one():
            logger.info("scheduled run (lock %#x): another process leads, skipped", key)
            return None
        try:
            return run()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def _purge_and_log(services: Services) -> PurgeReport:
    report = purge(services)
    logger.info(
        "retention purge for %s: %d cases, raw mail of %d messages, %d sent emails; "
        "%d cases on legal hold kept; %d orphan files",
        report.today,
        len(report.cases),
        len(report.messages),
        report.sent_mail,
        len(report.kept_on_legal_hold),
        report.orphans["raw"] + report.orphans["attachments"],
    )
    return report


def _run_and_log(services: Services, today: date) -> ReminderReport:
    report = run_reminders(services, today)
    logger.info(
        "reminder run for %s: %d advice reminders, %d deadline warnings, %d already sent",
        today,
        report.advice_count,
        len(report.deadline_warnings),
        report.already_sent,
    )
    return report


def _run_logging_failures(services: Services) -> None:
    try:
        run_scheduled(services)
    except Exception as error:
        # The next working day's run catches up; a failure must not stop the scheduler.
        logger.exception("reminder run failed")
        record_run_failure(services, error)


def record_run_failure(services: Services, error: BaseException) -> None:
    """Keep the failure for the metrics, in a transaction of its own (the run's was rolled
    back); when the database itself is what failed, the log line above has to do."""
    try:
        with services.db.session() as session:
            session.add(
                ReminderRunFailure(
                    run_on=services.today(),
                    failed_at=services.now(),
                    error=type(error).__name__[:200],
                )
            )
    except Exception:
        logger.warning("the reminder run's failure could not be recorded", exc_info=True)


def _purge_logging_failures(services: Services) -> None:
    try:
        purge_scheduled(services)
    except Exception:
        # Crash-safe by design: the next night finishes what this one left.
        logger.exception("retention purge failed")


def start_scheduler(services: Services, *, hour: int = 7, minute: int = 0) -> BackgroundScheduler:
    """Start a background scheduler running the reminder run Monday to Friday at hour:minute in
    `settings.timezone` (on a bank holiday or closure day the run itself does nothing), and the
    retention purge every day at `settings.purge_time`; the caller stops it with `shutdown()`."""
    zone = ZoneInfo(services.settings.timezone)
    scheduler = BackgroundScheduler(timezone=zone)
    jobs = [
        (JOB_ID, "advice reminders and deadline watch", _run_logging_failures,
         CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=zone)),
        (PURGE_JOB_ID, "retention purge", _purge_logging_failures,
         CronTrigger(hour=services.settings.purge_time[0],
                     minute=services.settings.purge_time[1], timezone=zone)),
    ]  # fmt: skip
    for job_id, name, run, trigger in jobs:
        scheduler.add_job(
            run,
            trigger,
            args=[services],
            id=job_id,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )
    scheduler.start()
    return scheduler
