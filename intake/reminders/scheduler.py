"""The daily scheduled run: APScheduler fires `run_reminders` on working days at a set time in
the configured time zone.

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

from intake.reminders.run import ReminderReport, run_reminders
from intake.services import Services

logger = logging.getLogger("intake.scheduler")

JOB_ID = "reminders"
# Any fixed number, the same in every process, different from the migration lock's.
LEADER_LOCK_KEY = 0x1E_4C_2E_31
# A run delayed (a busy or sleeping machine) still runs within the hour; a later one waits for
# the next day, whose run catches up with the most recent thresholds.
MISFIRE_GRACE_SECONDS = 3600


def run_scheduled(services: Services) -> ReminderReport | None:
    """One scheduled run for today in the configured zone; None when another process leads."""
    today = services.today()
    if services.db.dialect != "postgresql":
        return _run_and_log(services, today)
    with services.db.engine.connect() as connection:
        lead = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
        ).scalar_one()
        connection.commit()
        if not lead:
            logger.info("reminder run for %s: another process leads, skipped", today)
            return None
        try:
            return _run_and_log(services, today)
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK_KEY})
            connection.commit()


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
    except Exception:
        # The next working day's run catches up; a failure must not stop the scheduler.
        logger.exception("reminder run failed")


def start_scheduler(services: Services, *, hour: int = 7, minute: int = 0) -> BackgroundScheduler:
    """Start a background scheduler running the reminder run Monday to Friday at hour:minute in
    `settings.timezone` (on a bank holiday or closure day the run itself does nothing); the
    caller stops it with `shutdown()`."""
    zone = ZoneInfo(services.settings.timezone)
    scheduler = BackgroundScheduler(timezone=zone)
    scheduler.add_job(
        _run_logging_failures,
        CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=zone),
        args=[services],
        id=JOB_ID,
        name="advice reminders and deadline watch",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        replace_existing=True,
    )
    scheduler.start()
    return scheduler
