"""Recording a valid request form: the child, the case and its day 0, the submission version,
and the attachments the email carried.

A request form's token stands for one request: the first valid submission makes the case, a
later one with the same token is a new version of it, and the same token with the same PDF is
a duplicate of the submission already recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from documents import FormDefinition, Rejection
from intake.cases.timeline import StageCode
from intake.parse.message import Attachment as MailAttachment
from intake.services import Services
from store import (
    CASE_PREFIX,
    Attachment,
    Case,
    Child,
    InboundMessage,
    Submission,
    SubmissionKind,
    TimelineEvent,
    TimelineKind,
    next_reference,
)


@dataclass(frozen=True)
class Recorded:
    case: Case
    submission: Submission
    new_case: bool


def listed_files(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, str]:
    """Step 6 file names (folded for comparison) to the field that lists each."""
    return {
        str(answers[f.name]).strip().casefold(): f.name
        for f in form.fields()
        if f.group == "documents" and f.name.endswith(".file") and answers.get(f.name)
    }


def attachment_problems(
    form: FormDefinition, answers: Mapping[str, Any], attachments: Sequence[MailAttachment]
) -> list[Rejection]:
    """A file listed in the form's documents step (6 of the request, 7 of the advice) that the
    email does not carry is a problem with that row."""
    present = {a.filename.strip().casefold() for a in attachments}
    return [
        Rejection("file-not-attached", form.step_of(field), field, {"file": answers[field]})
        for name, field in listed_files(form, answers).items()
        if name not in present
    ]


def find_duplicate(session: Session, token: str, pdf: bytes) -> Submission | None:
    digest = hashlib.sha256(pdf).hexdigest()
    return session.scalar(
        select(Submission).where(Submission.token == token, Submission.pdf_sha256 == digest)
    )


def record_request(
    services: Services,
    session: Session,
    message: InboundMessage,
    *,
    form: FormDefinition,
    answers: Mapping[str, Any],
    token: str,
    professional_id: int,
    pdf: MailAttachment,
    attachments: Sequence[MailAttachment],
    received_on: date,
) -> Recorded:
    case = session.scalar(select(Case).where(Case.request_token == token))
    new_case = case is None
    if case is None:
        child = match_child(session, answers) or new_child(session, answers)
        case = Case(
            reference=next_reference(session, CASE_PREFIX, received_on.year),
            child_id=child.id,
            requested_by_id=professional_id,
            request_token=token,
            stage=StageCode.REQUEST_RECEIVED,
            day0=received_on,
        )
        session.add(case)
        session.flush()
        session.add(
            TimelineEvent(
                case_id=case.id,
                kind=TimelineKind.STAGE,
                stage=StageCode.REQUEST_RECEIVED,
                occurred_on=received_on,
                actor=message.from_address or "unknown",
                detail={"inbound_message_id": message.id},
            )
        )
    version = (
        session.scalar(
            select(func.max(Submission.version)).where(
                Submission.case_id == case.id, Submission.kind == SubmissionKind.REQUEST
            )
        )
        or 0
    ) + 1
    submission = Submission(
        case_id=case.id,
        kind=SubmissionKind.REQUEST,
        version=version,
        inbound_message_id=message.id,
        token=token,
        pdf_sha256=hashlib.sha256(pdf.data).hexdigest(),
        answers=dict(answers),
    )
    session.add(submission)
    session.flush()
    keep_attachments(
        services, session, message, submission, attachments, listed_files(form, answers), pdf
    )
    return Recorded(case, submission, new_case)


def keep_attachments(
    services: Services,
    session: Session,
    message: InboundMessage,
    submission: Submission | None,
    attachments: Sequence[MailAttachment],
    listed: Mapping[str, str],
    form_pdf: MailAttachment | None,
    *,
    unlisted_flag: str = "not listed in step 6",
) -> None:
    """Every attachment is kept; one the form does not list is flagged for the caseworker."""
    for item in attachments:
        is_form = form_pdf is not None and item is form_pdf
        is_listed = item.filename.strip().casefold() in listed
        session.add(
            Attachment(
                inbound_message_id=message.id,
                submission_id=submission.id if submission else None,
                filename=item.filename,
                content_type=item.content_type,
                sha256=services.attachments.put(item.data),
                size=item.size,
                listed=is_listed or is_form,
                flag=None if is_listed or is_form else unlisted_flag,
            )
        )


def match_child(session: Session, answers: Mapping[str, Any]) -> Child | None:
    """The same child by UPN, else NHS number, else name, date of birth and postcode."""
    if answers.get("upn"):
        found = session.scalar(select(Child).where(Child.upn == answers["upn"]))
        if found:
            return found
    if answers.get("nhs_number"):
        found = session.scalar(select(Child).where(Child.nhs_number == answers["nhs_number"]))
        if found:
            return found
    born = date.fromisoformat(answers["date_of_birth"])
    for child in session.scalars(select(Child).where(Child.date_of_birth == born)):
        same_name = _fold(child.forename) == _fold(answers["child_forename"]) and _fold(
            child.surname
        ) == _fold(answers["child_surname"])
        if same_name and _fold(child.postcode or "") == _fold(answers.get("postcode") or ""):
            return child
    return None


def case_of_another_child(
    session: Session, token: str | None, answers: Mapping[str, Any]
) -> Case | None:
    """The case this request token already made, when the answers are about a different child:
    another date of birth, or a UPN or NHS number other than the one held. A name alone may be
    corrected in a later version; the date of birth and the child's numbers may not."""
    case = session.scalar(select(Case).where(Case.request_token == token)) if token else None
    if case is None:
        return None
    child = case.child
    if str(answers.get("date_of_birth") or "") != child.date_of_birth.isoformat():
        return case
    for column in ("upn", "nhs_number"):
        held, given = getattr(child, column), answers.get(column)
        if held and given and _fold(str(held)) != _fold(str(given)):
            return case
    return None


def new_child(session: Session, answers: Mapping[str, Any]) -> Child:
    child = Child(
        forename=answers["child_forename"],
        surname=answers["child_surname"],
        date_of_birth=date.fromisoformat(answers["date_of_birth"]),
        postcode=answers.get("postcode"),
        upn=answers.get("upn"),
        nhs_number=answers.get("nhs_number"),
        sex=answers.get("sex"),
    )
    session.add(child)
    session.flush()
    return child


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())
