"""Progress by email: the note sent when a case changes stage, and the answer to `STATUS`.

Both carry the case reference, the stage, what is happening now, what comes next and when, and
a small timeline; never the child's name, date of birth or needs. Only the professionals who
are part of a case (the one who made the request and those asked for advice) are told about it;
anyone else asking gets the same polite refusal whether or not the case exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.cases.timeline import (
    REQUEST_RECEIVED,
    STAGE_BY_CODE,
    CaseClock,
    MilestoneStatus,
    case_clock,
    main_path_next,
    stage_code,
    stage_name,
)
from intake.parse.message import ParsedMessage
from intake.reasons import reason
from intake.replies import Thread, send_reply
from intake.services import Services
from store import (
    AdviceRequest,
    AdviceStatus,
    AuditEntry,
    Case,
    OutboxMessage,
    Professional,
    TimelineEvent,
)

# "STATUS EHC-2026-000123", "status: ehc-2026-000123", or a bare "status" (only in a reply).
_STATUS_LINE = re.compile(
    r"^\s*status\b[\s:#.-]*(?P<reference>[a-z0-9][a-z0-9-]{2,29})?[\s.!]*$", re.I
)
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|vs)\s*(\[\d+\])?\s*:\s*)+", re.I)
# Advice that no longer needs to come does not make its professional part of the case.
_ADVICE_NOT_COUNTED = (AdviceStatus.WITHDRAWN,)
ADVICE_NOT_COUNTED = _ADVICE_NOT_COUNTED  # for the web pages' list of a professional's cases
_ADVICE_IN = (AdviceStatus.RECEIVED, AdviceStatus.COVERED)


def _when(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def _milestone_row(m: MilestoneStatus) -> dict[str, str]:
    if m.state == "met":
        when = f"done {_when(m.met_on)}" + ("" if m.on_time_including_exceptions else " (late)")
    elif m.state == "not-applicable":
        when = "no longer applies"
    elif m.state == "overdue":
        when = f"was due by {_when(m.due)}"
    else:
        when = f"by {_when(m.due)} ({m.days_left} days left)"
    return {"label": m.label, "when": when}


def progress_context(case: Case, clock: CaseClock, advice: Sequence[AdviceRequest]) -> dict:
    """What the progress and status templates show: no child data, by construction."""
    code = stage_code(case.stage)
    stage = STAGE_BY_CODE[code] if code else None
    following = main_path_next(code) if code and not clock.closed else None
    counted = [a for a in advice if a.status not in _ADVICE_NOT_COUNTED]
    return {
        "reference": case.reference,
        "stage_name": stage_name(case.stage),
        "now_text": stage.now_text if stage else "",
        "closed": clock.closed,
        "next_step": STAGE_BY_CODE[following].name if following else None,
        "next_label": clock.next_milestone.label if clock.next_milestone else None,
        "next_date": _when(clock.next_due) if clock.next_due else None,
        "days_left": clock.days_left,
        "days_overdue": clock.days_overdue,
        "rows": [
            {"label": REQUEST_RECEIVED, "when": _when(case.day0)},
            *(_milestone_row(m) for m in clock.milestones),
        ],
        "advice": (
            {"received": sum(a.status in _ADVICE_IN for a in counted), "total": len(counted)}
            if counted
            else None
        ),
    }


def _case_facts(session: Session, case: Case, today: date) -> tuple[CaseClock, list]:
    events = session.scalars(
        select(TimelineEvent).where(TimelineEvent.case_id == case.id).order_by(TimelineEvent.id)
    )
    advice = list(session.scalars(select(AdviceRequest).where(AdviceRequest.case_id == case.id)))
    return case_clock(case.day0, events, today), advice


def case_progress(session: Session, case: Case, today: date) -> dict:
    """The progress note's facts for `case` as of `today` (the web's progress page shows them)."""
    return progress_context(case, *_case_facts(session, case, today))


def case_professionals(session: Session, case: Case) -> list[Professional]:
    """The requester, then each advice giver once, in the order they were asked."""
    people = [case.requested_by]
    for request in session.scalars(
        select(AdviceRequest)
        .where(AdviceRequest.case_id == case.id)
        .where(AdviceRequest.status.not_in(_ADVICE_NOT_COUNTED))
        .order_by(AdviceRequest.id)
    ):
        people.append(request.professional)
    seen: set[str] = set()
    unique = []
    for person in people:
        if person.email.casefold() not in seen:
            seen.add(person.email.casefold())
            unique.append(person)
    return unique


def queue_progress_emails(
    services: Services, session: Session, case: Case, *, today: date
) -> list[str]:
    """Queue the progress note for everyone on the case; returns the addresses queued to."""
    clock, advice = _case_facts(session, case, today)
    context = progress_context(case, clock, advice)
    sent = []
    for person in case_professionals(session, case):
        send_reply(
            services,
            session,
            "progress",
            Thread(person.email, None, (), None),
            context,
            case_id=case.id,
            auto_submitted="auto-generated",
        )
        sent.append(person.email)
    return sent


def status_request(parsed: ParsedMessage) -> str | None:
    """The case reference a STATUS message asks about, "" for a bare "status" in a reply to us
    (the case is then the one our email was about), or None when the message is not one."""
    subject = _REPLY_PREFIX.sub("", parsed.subject or "")
    first_line = next((line for line in parsed.text_body.splitlines() if line.strip()), "")
    is_reply = bool(parsed.in_reply_to or parsed.references)
    for text in (subject, first_line):
        found = _STATUS_LINE.match(text)
        if found and found.group("reference"):
            return found.group("reference").upper()
    if is_reply and any(_STATUS_LINE.match(text) for text in (subject, first_line)):
        return ""
    return None


def _replied_case(session: Session, thread: Thread) -> Case | None:
    """The case our email was about, when the message replies to one of ours."""
    ids = [i for i in (*thread.references, thread.message_id) if i]
    if not ids:
        return None
    case_id = session.scalar(
        select(OutboxMessage.case_id)
        .where(OutboxMessage.message_id.in_(ids), OutboxMessage.case_id.is_not(None))
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    )
    return session.get(Case, case_id) if case_id else None


def is_part_of_case(session: Session, professional: Professional | None, case: Case) -> bool:
    if professional is None:
        return False
    return any(p.id == professional.id for p in case_professionals(session, case))


def answer_status(
    services: Services,
    session: Session,
    sender: Professional | None,
    reference: str,
    thread: Thread,
    *,
    replied_case_id: int | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Answer a STATUS message in `session`'s transaction: the timeline to a professional who
    is part of the case, a polite refusal to anyone else (the same whether or not the case
    exists). `reference` is what `status_request` returned; for "" the case is the one the
    replied-to email was about (`replied_case_id`, else found from the thread's References)."""
    today = today or services.today()
    if reference:
        case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    elif replied_case_id is not None:
        case = session.get(Case, replied_case_id)
    else:
        case = _replied_case(session, thread)
    actor = sender.email if sender else (thread.address or "unknown")
    if case is None or not is_part_of_case(session, sender, case):
        # Only what the sender typed is echoed: nothing here may tell them a case exists.
        _audit(session, actor, "status-refused", reference)
        if thread.address:
            send_reply(services, session, "status", thread, {"shared": False, "asked": reference})
        return [reason("status-not-shared", reference=reference)]
    clock, advice = _case_facts(session, case, today)
    _audit(session, actor, "status-sent", case.reference)
    send_reply(
        services,
        session,
        "status",
        thread,
        {"shared": True, "asked": reference, **progress_context(case, clock, advice)},
        case_id=case.id,
    )
    return [reason("status-sent", reference=case.reference)]


def _audit(session: Session, actor: str, action: str, reference: str) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_type="case",
            subject_id=reference or "-",
            detail={},
        )
    )
