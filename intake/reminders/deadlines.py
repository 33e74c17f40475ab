"""The deadline watch: warn the caseworkers once per case and statutory milestone, when the
milestone is 7 days away or already missed (`deadline-<milestone>-<date>`).

A milestone the case has met never warns: the case is at a stage that meets it, or past one
(`intake.cases.timeline.STAGES_MEETING`), whether it was met on time or late. A closed case gets
no warning at all. A warning goes to every caseworker, so it is claimed first as a
`ReminderSent` row, unique per case and warning, and its emails point at that row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from intake.cases.timeline import (
    CLOSED_STAGE_VALUES,
    STAGES_MEETING,
    shown_date,
    stage_code,
    statutory_milestones,
)
from intake.reminders.report import Queued, ReminderItem, domain_of
from intake.reminders.sql import dialect_of, upsert_insert
from intake.services import Services
from intake.views.queue import DEADLINE_NOTICE
from notifier import RateLimit, compose_email, enqueue
from store import Case, Professional, ReminderSent

# Scheduled mail cannot loop (each warning is claimed once), and a caseworker may rightly get
# dozens of deadline warnings in one run: the outbox's loop breaker is set well above that.
SCHEDULED_RATE_LIMIT = RateLimit(per_hour=500)
# Rows per claiming INSERT: well under SQLite's 32766 bound parameters.
CLAIM_BATCH = 500


@dataclass(frozen=True)
class DeadlineWarning:
    """A warning one case is owed today."""

    case_id: int
    case_reference: str
    milestone: str
    due: date

    @property
    def kind(self) -> str:
        return f"deadline-{_slug(self.milestone)}-{self.due.isoformat()}"

    @property
    def key(self) -> tuple[int, str]:
        return self.case_id, self.kind


def watch_deadlines(services: Services, session: Session, today: date, *, dry_run: bool) -> Queued:
    """Claim and queue the deadline warnings owed on `today`; a dry run lists them."""
    owed = _warnings_owed(session, today)
    sent = _warnings_sent(session, [w.case_id for w in owed])
    already_today = sum(1 for w in owed if sent.get(w.key) == today)
    unsent = [w for w in owed if w.key not in sent]
    if not unsent:
        return Queued((), already_today)
    recipients = _caseworker_addresses(services, session)
    domains = ", ".join(sorted({domain_of(a) for a in recipients}))

    def item(w: DeadlineWarning, outbox_id: int | None = None) -> ReminderItem:
        return ReminderItem(w.kind, w.case_reference, None, domains, w.due, outbox_id, w.milestone)

    if dry_run:
        return Queued(tuple(item(w) for w in unsent), already_today)
    claimed = _claim_warnings(services, session, today, unsent)
    items = []
    for w in unsent:
        if w.key in claimed:
            outbox_ids = [
                _queue_warning(services, session, address, w, today, claimed[w.key])
                for address in recipients
            ]
            items.append(item(w, next((i for i in outbox_ids if i is not None), None)))
    # Claimed by another run between our look and our claim.
    return Queued(tuple(items), already_today + len(unsent) - len(claimed))


def _warnings_owed(session: Session, today: date) -> list[DeadlineWarning]:
    # The milestones as (label, days from day 0), day 0 itself left out.
    offsets = [
        (m.label, (m.due - today).days) for m in statutory_milestones(today) if m.due > today
    ]
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
        select(Case.id, Case.reference, Case.day0, Case.stage)
        .where(
            Case.stage.not_in(CLOSED_STAGE_VALUES),
            Case.day0 <= today + DEADLINE_NOTICE - timedelta(days=first_days),
            ~warned_of_last,
        )
        .order_by(Case.id)
    )
    owed = []
    for case_id, reference, day0, stage in session.execute(statement):
        at_risk = milestone_at_risk(day0, stage, today)
        if at_risk is not None:
            owed.append(DeadlineWarning(case_id, reference, *at_risk))
    return owed


def milestone_at_risk(day0: date, stage: str | None, today: date) -> tuple[str, date] | None:
    """The latest milestone not met at `stage` whose notice has begun: 7 days to go, or
    missed. Earlier ones are behind it (their warning went out when their notice began)."""
    code = stage_code(stage)
    met = {limit for limit, meeting in STAGES_MEETING.items() if code in meeting}
    at_risk = None
    for m in statutory_milestones(day0):
        if m.due > day0 and m.code not in met and m.due - DEADLINE_NOTICE <= today:
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
    warning: DeadlineWarning,
    today: date,
    reminder_id: int,
) -> int | None:
    context: dict[str, Any] = {
        "service_name": services.settings.service_name,
        "case_reference": warning.case_reference,
        "milestone": warning.milestone,
        "due_on": shown_date(warning.due),
        "days_left": (warning.due - today).days,
        "days_overdue": (today - warning.due).days,
    }
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
        case_id=warning.case_id,
        reminder_id=reminder_id,
        rate_limit=SCHEDULED_RATE_LIMIT,
    )
    return row.id if row is not None else None


def _claim_warnings(
    services: Services, session: Session, today: date, unsent: list[DeadlineWarning]
) -> dict[tuple[int, str], int]:
    """Claim the warnings not sent before; returns those claimed, (case id, kind) to the new
    row's id.

    The claim is one INSERT ... ON CONFLICT DO NOTHING per batch: a warning another run claimed
    between our look and our insert comes back missing, and on PostgreSQL our insert waits for
    that run's transaction first, then finds the row taken.
    """
    now = services.now()
    rows = [
        {"case_id": w.case_id, "kind": w.kind, "sent_on": today, "created_at": now} for w in unsent
    ]
    claimed = {}
    for first in range(0, len(rows), CLAIM_BATCH):
        batch = rows[first : first + CLAIM_BATCH]
        statement = (
            upsert_insert(dialect_of(session), ReminderSent).values(batch).on_conflict_do_nothing()
        )
        returned = statement.returning(ReminderSent.id, ReminderSent.case_id, ReminderSent.kind)
        claimed.update({(sid, kind): rid for rid, sid, kind in session.execute(returned)})
    return claimed


def _warnings_sent(session: Session, case_ids: list[int]) -> dict[tuple[int, str], date]:
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


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:60]
