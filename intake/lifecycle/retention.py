"""What the retention schedule says is due to go on a given day (docs/architecture.md, "Data
lifecycle"); `intake.lifecycle.purge` removes it.

Two clocks, from `INTAKE_RETAIN_MAIL_DAYS` and `INTAKE_RETAIN_CASES_YEARS`:

- raw mail, once its message is finished (`accepted`, `rejected`, `ignored`, `duplicate`), is
  transient: after the set days its raw bytes go, its subject is blanked, and files that came
  with it and joined no case go too; so do the bytes of sent mail (replies carry the sender's
  form and receipts). A message still waiting for anyone (`received`, `processing`,
  `quarantined`, `awaiting_verification`, `failed`, `parked`) is never purged;
- a case is the council's record: it goes whole (answers, timeline, advice requests, files, its
  mail) once the child is `retain_cases_years` old, the EHC file's date of birth + 31 years.

A case under legal hold, and its mail, stays whatever its age; a case with mail still waiting
stays until that mail is finished. The audit log is never purged: it names references, not
children.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from intake.services import Services
from store import Case, Child, InboundMessage, InboundStatus, OutboxMessage, OutboxStatus

FINISHED = (
    InboundStatus.ACCEPTED,
    InboundStatus.REJECTED,
    InboundStatus.IGNORED,
    InboundStatus.DUPLICATE,
)


@dataclass(frozen=True)
class CaseDue:
    id: int
    reference: str


@dataclass
class PurgePlan:
    """What is due on `today`: ids and references only, never a child's details."""

    today: date
    mail_finished_before: datetime
    born_on_or_before: date
    cases: list[CaseDue] = field(default_factory=list)
    # Due by age but kept: on legal hold, or with mail still waiting for someone.
    kept_on_hold: list[str] = field(default_factory=list)
    kept_for_mail: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    sent_mail: list[int] = field(default_factory=list)


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes the 28th. A child born on 29 February
    is so due on 1 March in a year with no 29th, never early."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def start_of(services: Services, today: date) -> datetime:
    """The first moment of `today` in the service's time zone, in UTC."""
    local = datetime.combine(today, time(0), tzinfo=ZoneInfo(services.settings.timezone))
    return local.astimezone(UTC)


def plan_purge(services: Services, session: Session, today: date) -> PurgePlan:
    settings = services.settings
    plan = PurgePlan(
        today=today,
        mail_finished_before=start_of(services, today) - timedelta(days=settings.retain_mail_days),
        born_on_or_before=years_before(today, settings.retain_cases_years),
    )
    _plan_cases(session, plan)
    _plan_mail(session, plan)
    return plan


def _plan_cases(session: Session, plan: PurgePlan) -> None:
    waiting = exists().where(
        InboundMessage.case_id == Case.id, InboundMessage.status.not_in(FINISHED)
    )
    rows = session.execute(
        select(Case.id, Case.reference, Case.legal_hold_at, waiting.label("waiting"))
        .join(Child, Child.id == Case.child_id)
        .where(Child.date_of_birth <= plan.born_on_or_before)
        .order_by(Case.id)
    )
    for case_id, reference, held_at, mail_waiting in rows:
        if held_at is not None:
            plan.kept_on_hold.append(reference)
        elif mail_waiting:
            plan.kept_for_mail.append(reference)
        else:
            plan.cases.append(CaseDue(case_id, reference))


def _plan_mail(session: Session, plan: PurgePlan) -> None:
    going = {case.id for case in plan.cases}
    held = select(Case.id).where(Case.legal_hold_at.is_not(None))
    finished_at = func.coalesce(InboundMessage.processed_at, InboundMessage.received_at)
    rows = session.execute(
        select(InboundMessage.id, InboundMessage.case_id)
        .where(
            InboundMessage.purged_at.is_(None),
            InboundMessage.status.in_(FINISHED),
            finished_at < plan.mail_finished_before,
            (InboundMessage.case_id.is_(None)) | InboundMessage.case_id.not_in(held),
        )
        .order_by(InboundMessage.id)
    )
    # A case that goes whole takes its mail with it: counted there, not twice.
    plan.messages = [message_id for message_id, case_id in rows if case_id not in going]
    held_message = select(InboundMessage.id).where(InboundMessage.case_id.in_(held))
    sent = session.execute(
        select(OutboxMessage.id, OutboxMessage.case_id)
        .where(
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.raw.is_not(None),
            OutboxMessage.sent_at < plan.mail_finished_before,
            (OutboxMessage.case_id.is_(None)) | OutboxMessage.case_id.not_in(held),
            (OutboxMessage.inbound_message_id.is_(None))
            | OutboxMessage.inbound_message_id.not_in(held_message),
        )
        .order_by(OutboxMessage.id)
    )
    plan.sent_mail = [outbox_id for outbox_id, case_id in sent if case_id not in going]
