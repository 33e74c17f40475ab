"""Asking a professional for advice on a case (reg 6), and closing a request that is no longer
needed: covered by existing advice (reg 6(4)) or withdrawn.

Each advice request has its own clock: due six weeks from the day the professional receives the
request (reg 8(1)); the service takes that as the day it sends it. The email carries the case and
advice references and the due date only; the child's details travel in the attached advice form,
pre-filled and carrying a token for this advice request alone. Reminders go only to requests
still `open`, so covering or withdrawing one stops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import get_form, issue_token, prefill_values
from intake.cases.accounts import known_about
from intake.cases.timeline import STAGE_BY_CODE, shown_date, stage_code
from intake.errors import CommandFailed
from intake.replies import Thread, form_pdf, send_reply
from intake.services import Services
from notifier import Attachment
from store import (
    ADVICE_PREFIX,
    AdviceRequest,
    AdviceStatus,
    AuditEntry,
    Case,
    Professional,
    next_reference,
)

# Reg 8(1): six weeks from the day the request is received.
ADVICE_PERIOD = timedelta(weeks=6)

# The CLI's short words (reg 6(1)(b)-(h)) to the advice form's `advice_type` choices. The short
# word is what `AdviceRequest.advice_type` stores; the choice text is what the form shows.
ADVICE_TYPES: Mapping[str, str] = {
    "educational": "Educational 6(1)(b)",
    "medical": "Medical/health 6(1)(c)",
    "psychological": "Psychological 6(1)(d)",
    "social-care": "Social care 6(1)(e)",
    "other": "Other requested by LA 6(1)(f)",
    "preparing-for-adulthood": "Preparing for adulthood 6(1)(g)",
    "family": "Requested by family 6(1)(h)",
}


def advice_type_choice(advice_type: str) -> str:
    """The advice form's choice text for a stored short word (or a choice text, as it is)."""
    return ADVICE_TYPES.get(advice_type, advice_type)


def short_advice_type(given: str) -> str:
    """The short word for a type given as a short word, with spaces, or as the form's text."""
    word = "-".join(given.strip().casefold().replace("_", " ").split())
    if word in ADVICE_TYPES:
        return word
    for short, choice in ADVICE_TYPES.items():
        if given.strip().casefold() == choice.casefold():
            return short
    raise CommandFailed(f"advice type {given!r} is not one of: {', '.join(ADVICE_TYPES)}")


def request_advice(
    services: Services,
    session: Session,
    case: Case,
    professional: Professional,
    advice_type: str,
    *,
    due: date | None = None,
    today: date,
    actor: str = "system",
) -> AdviceRequest:
    """Record an advice request and queue its email with the pre-filled advice form, in
    `session`'s transaction; CommandFailed says why a request cannot be made."""
    short = short_advice_type(advice_type)
    if not professional.is_active:
        # The form carries the child's details: it goes only to an activated account.
        raise CommandFailed(f"{professional.email} has no active account")
    code = stage_code(case.stage)
    if code is not None and STAGE_BY_CODE[code].terminal:
        raise CommandFailed(f"case {case.reference} is closed ({STAGE_BY_CODE[code].name})")
    due_on = due or today + ADVICE_PERIOD
    if due_on <= today:
        raise CommandFailed(f"due date {due_on.isoformat()} is not after {today.isoformat()}")
    request = AdviceRequest(
        reference=next_reference(session, ADVICE_PREFIX, today.year),
        case_id=case.id,
        professional_id=professional.id,
        advice_type=short,
        sent_on=today,
        due_on=due_on,
        status=AdviceStatus.OPEN,
    )
    session.add(request)
    session.flush()
    _audit(session, actor, "advice-requested", request, case=case.reference, to=professional.email)
    token, attachment = advice_form(services, case, professional, request, today=today)
    form = get_form("advice")
    send_reply(
        services,
        session,
        "advice_request",
        Thread(professional.email, None, (), None),
        {
            "name": professional.name,
            "case_reference": case.reference,
            "advice_reference": request.reference,
            "advice_type": advice_type_choice(short),
            "sent_on": shown_date(today),
            "due_on": shown_date(due_on),
            "form_title": form.title,
        },
        attachments=[attachment],
        token=token,
        case_id=case.id,
        auto_submitted="auto-generated",
    )
    return request


def advice_form(
    services: Services,
    case: Case,
    professional: Professional,
    request: AdviceRequest,
    *,
    today: date,
) -> tuple[str, Attachment]:
    """The advice form for one request: its own token, the child and the request filled in."""
    form = get_form("advice")
    token = issue_token(services.key, form.kind, professional.id, request.id, today=today)
    values = prefill_values(form, advice_form_facts(case, professional, request))
    return token, form_pdf(form, token, values)


def advice_form_facts(
    case: Case, professional: Professional, request: AdviceRequest
) -> dict[str, Any]:
    """What the advice form may be pre-filled with, by the form's prefill keys."""
    child = case.child
    return {
        **known_about(professional),
        "advice.reference": request.reference,
        "advice.type": advice_type_choice(request.advice_type),
        "advice.received": request.sent_on.isoformat() if request.sent_on else None,
        "child.forename": child.forename,
        "child.surname": child.surname,
        "child.date_of_birth": child.date_of_birth.isoformat(),
        "child.nhs_number": child.nhs_number,
        "child.upn": child.upn,
    }


def mark_covered(
    session: Session, request: AdviceRequest, *, actor: str = "system", note: str | None = None
) -> AdviceRequest:
    """Existing advice already covers this request (reg 6(4)): it is closed, unanswered."""
    return _close(session, request, AdviceStatus.COVERED, "advice-covered", actor, note)


def withdraw(
    session: Session, request: AdviceRequest, *, actor: str = "system", note: str | None = None
) -> AdviceRequest:
    """The service no longer needs this advice: it is closed, unanswered."""
    return _close(session, request, AdviceStatus.WITHDRAWN, "advice-withdrawn", actor, note)


def _close(
    session: Session,
    request: AdviceRequest,
    status: AdviceStatus,
    action: str,
    actor: str,
    note: str | None,
) -> AdviceRequest:
    if request.status != AdviceStatus.OPEN:
        raise CommandFailed(f"advice request {request.reference} is {request.status}, not open")
    request.status = status
    _audit(session, actor, action, request, note=note)
    return request


def find_advice_request(session: Session, reference: str) -> AdviceRequest | None:
    return session.scalar(
        select(AdviceRequest).where(AdviceRequest.reference == reference.strip().upper())
    )


def find_case(session: Session, reference: str) -> Case | None:
    return session.scalar(select(Case).where(Case.reference == reference.strip().upper()))


def advice_summary(request: AdviceRequest, today: date | None = None) -> dict[str, Any]:
    """One advice request as `intake advice list --json` prints it."""
    return {
        "reference": request.reference,
        "case": request.case.reference,
        "professional": request.professional.email,
        "advice_type": request.advice_type,
        "status": str(request.status),
        "sent_on": request.sent_on.isoformat() if request.sent_on else None,
        "due_on": request.due_on.isoformat() if request.due_on else None,
        "days_left": (request.due_on - today).days if today and request.due_on else None,
    }


def _audit(
    session: Session, actor: str, action: str, request: AdviceRequest, **detail: Any
) -> None:
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_type="advice_request",
            subject_id=request.reference,
            detail={"status": str(request.status), **{k: v for k, v in detail.items() if v}},
        )
    )
