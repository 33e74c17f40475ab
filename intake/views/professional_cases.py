"""A professional's own cases, as their web pages show them: the children they asked an
assessment for or were asked to advise on ("select person"), and one case's progress as they
may see it: the timeline, their own submissions, their advice requests, the emails we sent them
about it, and the forms of theirs they may fetch again.

The rule of who is part of a case is `progress.is_part_of_case` (the requester, and anyone asked
for advice that was not withdrawn); the list below asks the database the same question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from documents import get_form, render_receipt
from intake.cases.advice_requests import advice_form, advice_type_choice
from intake.cases.progress import ADVICE_NOT_COUNTED, case_progress, is_part_of_case
from intake.cases.timeline import stage_name
from intake.child_documents import ChildDocument
from intake.replies import request_form_with_answers
from intake.services import Services
from notifier import Attachment
from store import (
    AdviceRequest,
    AdviceStatus,
    AuditEntry,
    Case,
    Child,
    InboundMessage,
    OutboxMessage,
    Professional,
    Submission,
)

# Advice forms still worth fetching: one not yet sent, or sent again as a new version.
ADVICE_FORM_OFFERED = (AdviceStatus.OPEN, AdviceStatus.RECEIVED)
# The emails listed on a progress page: the latest ones are what a person looks for.
EMAILS_SHOWN = 50


@dataclass(frozen=True)
class ChildRow:
    """One line of the "select person" list."""

    reference: str
    forename: str
    surname: str
    date_of_birth: date
    stage_name: str
    requested: bool
    advice_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdviceAsked:
    reference: str
    advice_type: str
    status: str
    sent_on: date | None
    due_on: date | None
    days_left: int | None
    form_offered: bool


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    kind: str
    version: int
    advice_reference: str | None
    received_at: datetime


@dataclass(frozen=True)
class EmailRow:
    subject: str
    queued_at: datetime
    status: str


@dataclass(frozen=True)
class CaseProgress:
    """What a professional's progress page shows for one case."""

    reference: str
    child: Child
    progress: dict
    requested: bool
    advice: list[AdviceAsked] = field(default_factory=list)
    submissions: list[SubmissionRow] = field(default_factory=list)
    emails: list[EmailRow] = field(default_factory=list)


def my_advice(professional: Professional):
    """The professional's advice requests that make them part of a case."""
    return select(AdviceRequest).where(
        AdviceRequest.professional_id == professional.id,
        AdviceRequest.status.not_in(ADVICE_NOT_COUNTED),
    )


def children_of(session: Session, professional: Professional) -> list[ChildRow]:
    """The cases `professional` is part of, by child's surname and forename."""
    # A union, not an OR: each half is one index's lookup (cases by requester, advice requests
    # by professional), where an OR across the two would read every case.
    mine = union(
        select(Case.id).where(Case.requested_by_id == professional.id),
        my_advice(professional).with_only_columns(AdviceRequest.case_id),
    )
    cases = session.execute(
        select(Case, Child)
        .join(Child, Child.id == Case.child_id)
        .where(Case.id.in_(mine))
        .order_by(Child.surname, Child.forename, Case.reference)
    ).all()
    types: dict[int, list[str]] = {}
    for request in session.scalars(my_advice(professional).order_by(AdviceRequest.id)):
        types.setdefault(request.case_id, []).append(advice_type_choice(request.advice_type))
    return [
        ChildRow(
            reference=case.reference,
            forename=child.forename,
            surname=child.surname,
            date_of_birth=child.date_of_birth,
            stage_name=stage_name(case.stage),
            requested=case.requested_by_id == professional.id,
            advice_types=tuple(types.get(case.id, ())),
        )
        for case, child in cases
    ]


def my_case(session: Session, professional: Professional, reference: str) -> Case | None:
    """The case with `reference` when `professional` is part of it; None otherwise, whether or
    not it exists, so a page cannot be used to find out which references exist."""
    case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    if case is None or not is_part_of_case(session, professional, case):
        return None
    return case


def case_progress_for(
    session: Session, case: Case, professional: Professional, today: date
) -> CaseProgress:
    """One case as `professional` may see it (they must be part of it: see `my_case`). It holds
    the child's details, so the view is audited, as `case_view.case_document` audits its own."""
    session.add(
        AuditEntry(
            actor=professional.email,
            action="case-viewed",
            subject_type="case",
            subject_id=case.reference,
            detail={"via": "web progress page"},
        )
    )
    email = func.lower(professional.email)
    advice = [
        AdviceAsked(
            reference=a.reference,
            advice_type=advice_type_choice(a.advice_type),
            status=str(a.status),
            sent_on=a.sent_on,
            due_on=a.due_on,
            days_left=(a.due_on - today).days if a.due_on else None,
            form_offered=a.status in ADVICE_FORM_OFFERED,
        )
        for a in session.scalars(
            select(AdviceRequest)
            .where(
                AdviceRequest.case_id == case.id, AdviceRequest.professional_id == professional.id
            )
            .order_by(AdviceRequest.id)
        )
    ]
    submitted = session.execute(
        select(Submission, AdviceRequest.reference)
        .join(InboundMessage, InboundMessage.id == Submission.inbound_message_id)
        .outerjoin(AdviceRequest, AdviceRequest.id == Submission.advice_request_id)
        .where(Submission.case_id == case.id, func.lower(InboundMessage.from_address) == email)
        .order_by(Submission.id)
    ).all()
    emails = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.case_id == case.id, func.lower(OutboxMessage.to_address) == email)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(EMAILS_SHOWN)
    )
    return CaseProgress(
        reference=case.reference,
        child=case.child,
        progress=case_progress(session, case, today),
        requested=case.requested_by_id == professional.id,
        advice=advice,
        submissions=[
            SubmissionRow(s.id, str(s.kind), s.version, advice_reference, s.created_at)
            for s, advice_reference in submitted
        ],
        emails=[EmailRow(e.subject, e.created_at, str(e.status)) for e in emails],
    )


def my_request_form(
    services: Services, session: Session, case: Case, professional: Professional
) -> Attachment | None:
    """The requester's own request form, its token and latest answers; None to anyone else (an
    advice giver on the case never gets the request's answers)."""
    if case.requested_by_id != professional.id:
        return None
    note_download(session, professional, case, "request")
    return request_form_with_answers(services, session, case.request_token, professional)


def my_advice_form(
    services: Services,
    session: Session,
    case: Case,
    professional: Professional,
    advice_reference: str,
    today: date,
) -> Attachment | None:
    """The advice form of one of the professional's advice requests on this case, pre-filled,
    with a token of its own; None when the request is not theirs or no longer wanted."""
    request = session.scalar(
        select(AdviceRequest).where(
            AdviceRequest.reference == advice_reference.strip().upper(),
            AdviceRequest.case_id == case.id,
            AdviceRequest.professional_id == professional.id,
            AdviceRequest.status.in_(ADVICE_FORM_OFFERED),
        )
    )
    if request is None:
        return None
    note_download(session, professional, case, "advice", advice=request.reference)
    _, attachment = advice_form(services, case, professional, request, today=today)
    return attachment


def my_receipt(
    session: Session, case: Case, professional: Professional, submission_id: int
) -> Attachment | None:
    """The receipt of one of the professional's own submissions on this case, as the
    confirmation email carried it (or withheld it, when it could not travel by email)."""
    found = session.execute(
        select(Submission, InboundMessage.received_at, AdviceRequest.reference)
        .join(InboundMessage, InboundMessage.id == Submission.inbound_message_id)
        .outerjoin(AdviceRequest, AdviceRequest.id == Submission.advice_request_id)
        .where(
            Submission.id == submission_id,
            Submission.case_id == case.id,
            func.lower(InboundMessage.from_address) == func.lower(professional.email),
        )
    ).first()
    if found is None:
        return None
    submission, received_at, advice_reference = found
    # The reference the confirmation gave: the advice request's for advice, else the case's.
    reference = advice_reference or case.reference
    receipt = render_receipt(
        get_form(str(submission.kind)),
        submission.answers,
        reference=reference,
        received=received_at,
    )
    note_download(session, professional, case, "receipt", version=str(submission.version))
    return ChildDocument(f"receipt-{reference}.pdf", "application/pdf", receipt)


def note_download(
    session: Session, professional: Professional, case: Case, form: str, **detail: str
) -> None:
    """A form holding a child's answers left the service: the audit log says to whom."""
    session.add(
        AuditEntry(
            actor=professional.email,
            action="form-downloaded",
            subject_type="case",
            subject_id=case.reference,
            detail={"form": form, "via": "web", **detail},
        )
    )
