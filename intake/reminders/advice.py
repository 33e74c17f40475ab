"""Advice reminders: which reminder each open advice request is owed on a day, and the claim
that queues them.

An open advice request gets a reminder 14 days before its due date, 3 days before, on the day,
and once it is overdue (`overdue-1` the day after, then weekly). Reminders go out on working days
only (`intake.reminders.working_days`). A threshold falling on a weekend, bank holiday or closure
day waits for the next working day, except "due today": a reminder on the due date that came
after it would be no reminder, so it goes out on the last working day before the due date. The
reminders before the due date wait, as they still reach the professional before it (a wait that
reaches the due date folds into "due today"); an overdue reminder cannot come before the date
it is overdue from. A run after missed days sends each request only its most recent threshold,
never a burst of old ones.

The claim is one INSERT ... SELECT ... ON CONFLICT DO NOTHING (`intake.reminders.sql`) whose
RETURNING clause gives back what the run queued; the outbox sender composes the emails later
(`intake.reminders.mail`). They skip the outbox's per-recipient rate limit, a loop breaker they
do not need: each is claimed once per request and threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from intake.reminders.report import Queued, ReminderItem, domain_of
from intake.reminders.sql import advice_statements, dialect_of, message_id_parts, plan_document
from intake.reminders.working_days import REGULAR_WORKING_DAYS, WorkingDays
from intake.services import Services


@dataclass(frozen=True)
class Threshold:
    kind: str
    days_from_due: int
    # On a day with no reminders: the working day before, rather than the one after.
    brought_forward: bool = False


# Before and on the due date; after it, `overdue-N` falls on due + 1 + 7 * (N - 1).
THRESHOLDS_UP_TO_DUE: tuple[Threshold, ...] = (
    Threshold("due-in-14", -14),
    Threshold("due-in-3", -3),
    Threshold("due-today", 0, brought_forward=True),
)
OVERDUE_EVERY_DAYS = 7
# A year of weekly reminders; by then the caseworker queue has long shown the request.
MAX_OVERDUE_REMINDERS = 52


def threshold_day(threshold: Threshold, due_on: date, working_days: WorkingDays) -> date:
    """The day a threshold before the due date falls, as the run reads it: its calendar day
    (a run on the next working day sends it), or the last working day on or before it for one
    brought forward."""
    day = due_on + timedelta(days=threshold.days_from_due)
    return working_days.on_or_before(day) if threshold.brought_forward else day


def latest_threshold(
    due_on: date, today: date, working_days: WorkingDays = REGULAR_WORKING_DAYS
) -> tuple[str, date] | None:
    """The most recent threshold of a request due on `due_on` that has come by `today`."""
    if today > due_on:
        number = (today - due_on - timedelta(days=1)).days // OVERDUE_EVERY_DAYS + 1
        if number > MAX_OVERDUE_REMINDERS:
            return None
        on = due_on + timedelta(days=1 + OVERDUE_EVERY_DAYS * (number - 1))
        return f"overdue-{number}", on
    # The nearest to the due date first: "due today" brought forward may fall before the
    # calendar day of "due in 3", and then stands for both.
    for threshold in reversed(THRESHOLDS_UP_TO_DUE):
        on = threshold_day(threshold, due_on, working_days)
        if on <= today:
            return threshold.kind, on
    return None


def due_dates_for(
    start: date, today: date, working_days: WorkingDays = REGULAR_WORKING_DAYS
) -> list[date]:
    """Every due date whose request may have a threshold on a day in (`start`, `today`]: a
    superset, which `advice_thresholds` narrows."""
    dues: set[date] = set()
    day = start + timedelta(days=1)
    while day <= today:
        for threshold in THRESHOLDS_UP_TO_DUE:
            due_on = day - timedelta(days=threshold.days_from_due)
            dues.add(due_on)
            # Brought forward to `day`: due dates whose threshold falls on the days with no
            # reminders that follow it.
            following = due_on + timedelta(days=1)
            while threshold.brought_forward and following not in working_days:
                dues.add(following)
                following += timedelta(days=1)
        dues.update(
            day - timedelta(days=1 + OVERDUE_EVERY_DAYS * n) for n in range(MAX_OVERDUE_REMINDERS)
        )
        day += timedelta(days=1)
    return sorted(dues)


def advice_thresholds(
    start: date, today: date, working_days: WorkingDays = REGULAR_WORKING_DAYS
) -> dict[date, tuple[str, date]]:
    """Due date to (reminder kind, the day its threshold fell) for every due date whose latest
    threshold falls in (`start`, `today`]: the reminders this run is to send."""
    thresholds = {}
    for due_on in due_dates_for(start, today, working_days):
        threshold = latest_threshold(due_on, today, working_days)
        if threshold is not None and start < threshold[1] <= today:
            thresholds[due_on] = threshold
    return thresholds


def remind_advice_givers(
    services: Services,
    session: Session,
    today: date,
    start: date,
    working_days: WorkingDays,
    *,
    dry_run: bool,
    first_run_today: bool,
) -> Queued:
    """Claim and queue the advice reminders owed on `today` for thresholds after `start`; a dry
    run lists them and claims nothing. `first_run_today`: no other run has claimed anything
    today, so none of the owed reminders can have been claimed today before this run."""
    thresholds = advice_thresholds(start, today, working_days)
    if not thresholds:
        return Queued()
    statements = advice_statements(dialect_of(session))
    params: dict[str, Any] = {
        "plan": plan_document(thresholds, today),
        "due_dates": sorted(thresholds),
        "today": today,
        "now": services.now(),
    }
    if dry_run:
        return _list_owed(session, statements.listing, params, today)
    params |= message_id_parts(services)
    # In advice request order, as a dry run lists them; by the id alone (comparing whole rows
    # costs more than the claim).
    claimed = sorted(session.execute(statements.claim, params).all(), key=itemgetter(0))
    items = tuple(
        ReminderItem(kind, case_reference, reference, domain_of(address), due_on, outbox_id)
        for _, kind, case_reference, reference, address, due_on, outbox_id in claimed
    )
    if first_run_today:
        return Queued(items, 0)
    claimed_today = session.scalar(statements.claimed_on_the_day, params)
    return Queued(items, claimed_today - len(items))


def _list_owed(session: Session, listing: Any, params: dict[str, Any], today: date) -> Queued:
    """What a real run would claim now: the owed reminders not claimed before."""
    items, already_sent = [], 0
    for kind, case_reference, reference, address, due_on, claimed_on in session.execute(
        listing, params
    ):
        if claimed_on is None:
            items.append(ReminderItem(kind, case_reference, reference, domain_of(address), due_on))
        elif claimed_on == today:
            already_sent += 1
    return Queued(tuple(items), already_sent)
