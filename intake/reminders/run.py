"""The daily reminder run: reminders to professionals whose advice is due or overdue, and the
deadline watch that warns caseworkers of statutory dates at risk.

An open advice request gets a reminder 14 days before its due date, 3 days before, on the day, and
once it is overdue (`overdue-1` the day after, then weekly). Reminders go out on working days only
(`intake.reminders.working_days`: Monday to Friday in the configured time zone, less the bank
holidays of England and Wales and `INTAKE_CLOSED_DAYS`): a threshold falling on a weekend or holiday
waits for the next working day, and a run on such a day queues nothing. A run after missed days
sends each request only its most recent threshold, never a burst of old ones. `intake queue` shows
overdue advice from the requests themselves (`intake.cases.case_view.overdue_advice_rows`).

The deadline watch warns the caseworkers once per case and statutory milestone, when the
milestone is 7 days away or already missed (`deadline-<milestone>-<date>`).

Exactly once: each reminder is claimed by a row with a unique key, so a second claim (a second
run the same day, after a restart, or at the same moment) inserts nothing. An advice reminder is
one email, and its outbox row is its claim, unique per advice request and threshold
(`OutboxMessage.advice_request_id`, `reminder_kind`). A deadline warning goes to every
caseworker, so it is claimed first as a `ReminderSent` row, unique per case and warning, and its
emails point at that row. The run reads only the rows it needs: advice requests by the exact due
dates the day's thresholds imply, through an index on `due_on`.

Advice reminders are claimed and queued set-wise, in one INSERT ... SELECT ... ON CONFLICT DO
NOTHING (`intake.reminders.sql`), and composed by the outbox sender (`intake.reminders.mail`): a day
with a thousand due costs little more than selecting them. They skip the outbox's per-recipient
rate limit, a loop breaker they do not need: each is claimed once per request and threshold. A
real run's list of what it queued, and its count of those claimed already today, are read from
the store only when asked for (`ReminderReport.items`, `already_sent`); the scheduler asks only
for the counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Select,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Session

from intake.cases.timeline import STAGES, shown_date, statutory_milestones
from intake.reminders.sql import (
    advice_statements,
    dialect_of,
    message_id_parts,
    plan_document,
    rows_inserted,
    upsert_insert,
)
from intake.reminders.working_days import WorkingDays
from intake.services import Services
from notifier import RateLimit, compose_email, enqueue
from store import (
    Case,
    Professional,
    ReminderRun,
    ReminderSent,
)


@dataclass(frozen=True)
class Threshold:
    kind: str
    days_from_due: int


# Before and on the due date; after it, `overdue-N` falls on due + 1 + 7 * (N - 1).
THRESHOLDS_UP_TO_DUE: tuple[Threshold, ...] = (
    Threshold("due-in-14", -14),
    Threshold("due-in-3", -3),
    Threshold("due-today", 0),
)
OVERDUE_EVERY_DAYS = 7
# A year of weekly reminders; by then the caseworker queue has long shown the request.
MAX_OVERDUE_REMINDERS = 52
# Weekdays less the bank holidays, with no closure days of the council's own.
REGULAR_WORKING_DAYS = WorkingDays()
# How far back a run catches up after missed days (a week of outage).
CATCH_UP_DAYS = 7
DEADLINE_NOTICE = timedelta(days=7)
# Case.stage values after which no statutory date applies: the terminal stages, by code and by
# the display name stored before codes were.
CLOSED_STAGES = frozenset(value for s in STAGES if s.terminal for value in (s.code.value, s.name))
# Scheduled mail cannot loop (each reminder is claimed once), and a caseworker may rightly get
# dozens of deadline warnings in one run: the outbox's loop breaker is set well above that.
# Advice reminders, one per request and threshold, are queued without it.
SCHEDULED_RATE_LIMIT = RateLimit(per_hour=500)
# Rows per claiming INSERT: well under SQLite's 32766 bound parameters.
CLAIM_BATCH = 500


@dataclass(frozen=True)
class ReminderItem:
    """One reminder queued (or, in a dry run, that would be)."""

    kind: str
    case_reference: str
    advice_reference: str | None
    recipient_domain: str
    due_on: date
    outbox_id: int | None = None
    milestone: str | None = None

    def as_json(self) -> dict[str, Any]:
        row = asdict(self)
        row["due_on"] = self.due_on.isoformat()
        return row


@dataclass
class ReminderReport:
    today: date
    dry_run: bool
    working_day: bool
    # Thresholds on days after this one and up to `today` are sent by this run.
    window_start: date | None = None
    deadline_warnings: list[ReminderItem] = field(default_factory=list)
    # Deadline warnings due today but claimed already today (an earlier run, or another run at
    # the same time); `already_sent` adds the advice reminders.
    warnings_already_sent: int = 0
    advice_count: int = 0
    # A real run reads its advice reminders, and how many it found claimed already today, from
    # the store on first use (the scheduler needs the counts only); a dry run has them already.
    load_advice_reminders: Callable[[], list[ReminderItem]] = field(default=list, repr=False)
    load_advice_already_sent: Callable[[], int] = field(default=int, repr=False)

    @cached_property
    def advice_reminders(self) -> list[ReminderItem]:
        return self.load_advice_reminders()

    @cached_property
    def advice_already_sent(self) -> int:
        return self.load_advice_already_sent()

    @property
    def already_sent(self) -> int:
        return self.advice_already_sent + self.warnings_already_sent

    @property
    def items(self) -> list[ReminderItem]:
        return [*self.advice_reminders, *self.deadline_warnings]


def latest_threshold(due_on: date, today: date) -> tuple[str, date] | None:
    """The most recent threshold of a request due on `due_on` that has come by `today`."""
    if today > due_on:
        number = (today - due_on - timedelta(days=1)).days // OVERDUE_EVERY_DAYS + 1
        if number > MAX_OVERDUE_REMINDERS:
            return None
        on = due_on + timedelta(days=1 + OVERDUE_EVERY_DAYS * (number - 1))
        return f"overdue-{number}", on
    for threshold in reversed(THRESHOLDS_UP_TO_DUE):
        on = due_on + timedelta(days=threshold.days_from_due)
        if on <= today:
            return threshold.kind, on
    return None


def window_start(
    last_run: date | None, today: date, working_days: WorkingDays = REGULAR_WORKING_DAYS
) -> date:
    """The day after which thresholds are this run's to send: the last finished run, at most
    `CATCH_UP_DAYS` back; with no run yet, the previous working day."""
    if last_run is None:
        last_run = working_days.previous(today)
    return max(last_run, today - timedelta(days=CATCH_UP_DAYS))


def due_dates_for(start: date, today: date) -> list[date]:
    """Every due date whose request has a threshold on a day in (`start`, `today`]."""
    dues: set[date] = set()
    day = start + timedelta(days=1)
    while day <= today:
        dues.update(day - timedelta(days=t.days_from_due) for t in THRESHOLDS_UP_TO_DUE)
        dues.update(
            day - timedelta(days=1 + OVERDUE_EVERY_DAYS * n) for n in range(MAX_OVERDUE_REMINDERS)
        )
        day += timedelta(days=1)
    return sorted(dues)


def advice_thresholds(start: date, today: date) -> dict[date, tuple[str, date]]:
    """Due date to (reminder kind, the day its threshold fell) for every due date whose latest
    threshold falls in (`start`, `today`]: the reminders this run is to send."""
    thresholds = {}
    for due_on in due_dates_for(start, today):
        threshold = latest_threshold(due_on, today)
        if threshold is not None and start < threshold[1] <= today:
            thresholds[due_on] = threshold
    return thresholds


def run_reminders(services: Services, today: date, *, dry_run: bool = False) -> ReminderReport:
    """Queue the reminders and deadline warnings due on `today` (a date in the configured time
    zone), in one transaction; a dry run works out the same list and writes nothing."""
    working_days = WorkingDays(services.settings.closed_days)
    report = ReminderReport(today=today, dry_run=dry_run, working_day=today in working_days)
    if not report.working_day:
        return report
    with services.db.session() as session:
        last_run = session.scalar(
            select(func.max(ReminderRun.run_on)).where(ReminderRun.run_on < today)
        )
        report.window_start = window_start(last_run, today, working_days)
        _remind_advice_givers(services, session, report)
        _watch_deadlines(services, session, report)
        if not dry_run:
            session.execute(
                upsert_insert(dialect_of(session), ReminderRun)
                .values(run_on=today, finished_at=services.now())
                .on_conflict_do_nothing()
            )
    return report


def _remind_advice_givers(services: Services, session: Session, report: ReminderReport) -> None:
    today, start = report.today, report.window_start
    assert start is not None
    thresholds = advice_thresholds(start, today)
    if not thresholds:
        return
    statements = advice_statements(dialect_of(session))
    params = {
        "plan": plan_document(thresholds, today),
        "due_dates": sorted(thresholds),
        "today": today,
        "now": services.now(),
    }
    if report.dry_run:
        _list_advice_reminders(session, report, statements.listing, params)
        return
    params |= message_id_parts(services)
    report.advice_count = rows_inserted(session, session.execute(statements.claim, params))

    def claimed() -> list[ReminderItem]:
        with services.db.session() as reading:
            rows = reading.execute(statements.claimed, params).all()
        return [
            ReminderItem(kind, case_reference, reference, _domain(address), due_on, outbox_id)
            for kind, case_reference, reference, address, due_on, outbox_id in rows
        ]

    def claimed_before() -> int:
        with services.db.session() as reading:
            return reading.scalar(statements.claimed_on_the_day, params) - report.advice_count

    report.load_advice_reminders = claimed
    report.load_advice_already_sent = claimed_before


def _list_advice_reminders(
    session: Session, report: ReminderReport, listing: Select[Any], params: dict[str, Any]
) -> None:
    """What a real run would claim now: the owed reminders not claimed before."""
    items, already_sent = [], 0
    for kind, case_reference, reference, address, due_on, claimed_on in session.execute(
        listing, params
    ):
        if claimed_on is None:
            items.append(ReminderItem(kind, case_reference, reference, _domain(address), due_on))
        elif claimed_on == report.today:
            already_sent += 1
    report.load_advice_reminders = lambda: items
    report.load_advice_already_sent = lambda: already_sent
    report.advice_count = len(items)


def _watch_deadlines(services: Services, session: Session, report: ReminderReport) -> None:
    today = report.today
    # The milestones as (label, days from day 0), day 0 itself left out.
    offsets = [
        (m.label, (m.due - today).days) for m in statutory_milestones(today) if m.due > today
    ]
    if not offsets:
        return
    first_days = min(days for _, days in offsets)
    last_label = max(offsets, key=lambda offset: offset[1])[0]
    # Cases whose first milestone is within notice, which are not closed and have not yet
    # been warned of their last milestone: the live caseload, never the finished cases.
    warned_of_last = exists().where(
        ReminderSent.case_id == Case.id,
        ReminderSent.kind.like(f"deadline-{_slug(last_label)}-%"),
        ReminderSent.sent_on < today,  # warned today: still seen, so a rerun counts it
    )
    statement = (
        select(Case.id, Case.reference, Case.day0)
        .where(
            Case.stage.not_in(CLOSED_STAGES),
            Case.day0 <= today + DEADLINE_NOTICE - timedelta(days=first_days),
            ~warned_of_last,
        )
        .order_by(Case.id)
    )
    planned = []
    for case in session.execute(statement):
        milestone = _milestone_at_risk(case.day0, today)
        if milestone is not None:
            label, due = milestone
            kind = f"deadline-{_slug(label)}-{due.isoformat()}"
            planned.append((case.id, kind, (case, label, due)))
    claimed = _claim_warnings(services, session, report, planned)
    recipients = _caseworker_addresses(services, session) if planned else []
    domains = ", ".join(sorted({_domain(a) for a in recipients}))
    for case_id, kind, (case, label, due) in planned:
        item = ReminderItem(kind, case.reference, None, domains, due, milestone=label)
        if report.dry_run:
            report.deadline_warnings.append(item)
        elif (case_id, kind) in claimed:
            context = {
                "service_name": services.settings.service_name,
                "case_reference": case.reference,
                "milestone": label,
                "due_on": shown_date(due),
                "days_left": (due - today).days,
                "days_overdue": (today - due).days,
            }
            reminder_id = claimed[case_id, kind]
            outbox_ids = [
                _queue_warning(services, session, address, context, case_id, reminder_id)
                for address in recipients
            ]
            first = next((i for i in outbox_ids if i is not None), None)
            report.deadline_warnings.append(replace(item, outbox_id=first))


def _milestone_at_risk(day0: date, today: date) -> tuple[str, date] | None:
    """The latest milestone whose notice has begun: 7 days to go, or missed. Earlier ones are
    behind it (their warning went out when their notice began)."""
    at_risk = None
    for m in statutory_milestones(day0):
        if m.due > day0 and m.due - DEADLINE_NOTICE <= today:
            at_risk = (m.label, m.due)
    return at_risk


def _caseworker_addresses(services: Services, session: Session) -> list[str]:
    addresses = session.scalars(
        select(Professional.email)
        .where(Professional.is_caseworker.is_(True), Professional.is_active.is_(True))
        .order_by(Professional.id)
    ).all()
    return list(addresses) or [services.settings.address]


def _queue_warning(
    services: Services,
    session: Session,
    to: str,
    context: dict[str, Any],
    case_id: int,
    reminder_id: int,
) -> int | None:
    email = compose_email(
        "deadline_warning",
        context,
        sender=services.settings.address,
        to=to,
        instance=services.instance,
        auto_submitted="auto-generated",
    )
    row = enqueue(
        session,
        email,
        kind="deadline_warning",
        case_id=case_id,
        reminder_id=reminder_id,
        rate_limit=SCHEDULED_RATE_LIMIT,
    )
    return row.id if row is not None else None


def _claim_warnings(
    services: Services,
    session: Session,
    report: ReminderReport,
    planned: list[tuple[int, str, Any]],
) -> dict[tuple[int, str], int]:
    """Claim the planned deadline warnings, (case id, kind, ...), not yet sent; `planned` keeps
    only those not sent before.

    Returns the claimed ones, (case id, kind) to the new row's id. In a dry run nothing is
    claimed. The claim is one INSERT ... ON CONFLICT DO NOTHING per batch: a warning another run
    claimed between our look and our insert comes back missing, and on PostgreSQL our insert
    waits for that run's transaction first, then finds the row taken.
    """
    sent = _warnings_sent(session, [case_id for case_id, _, _ in planned])
    today = report.today
    report.warnings_already_sent += sum(1 for key in planned if sent.get(key[:2]) == today)
    planned[:] = [p for p in planned if p[:2] not in sent]
    if report.dry_run or not planned:
        return {}
    now = services.now()
    rows = [
        {"case_id": case_id, "kind": kind, "sent_on": today, "created_at": now}
        for case_id, kind, _ in planned
    ]
    claimed = {}
    for first in range(0, len(rows), CLAIM_BATCH):
        batch = rows[first : first + CLAIM_BATCH]
        statement = (
            upsert_insert(dialect_of(session), ReminderSent).values(batch).on_conflict_do_nothing()
        )
        returned = statement.returning(ReminderSent.id, ReminderSent.case_id, ReminderSent.kind)
        claimed.update({(sid, kind): rid for rid, sid, kind in session.execute(returned)})
    report.warnings_already_sent += len(planned) - len(claimed)
    return claimed


def _warnings_sent(session: Session, case_ids: Iterable[int]) -> dict[tuple[int, str], date]:
    """The deadline warnings already claimed for these cases, with the day each was sent."""
    case_ids = sorted(set(case_ids))
    if not case_ids:
        return {}
    rows = session.execute(
        select(ReminderSent.case_id, ReminderSent.kind, ReminderSent.sent_on).where(
            ReminderSent.case_id.in_(case_ids)
        )
    )
    return {(case_id, kind): sent_on for case_id, kind, sent_on in rows}


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:60]
