"""Returned advice against the records: the checks that need them (`documents/forms/
advice_rules.py` lists them) and the advice kept as a new version with its documents.

The advice request the token names must exist, still be wanted and have been sent to this
professional, and the form's reference, advice type and child's date of birth must be those of
the request and its case. Every check runs, so the professional hears of every problem at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from documents import FormDefinition, Rejection
from intake.cases.advice_requests import advice_type_choice
from intake.cases.request_records import audit_submission, keep_attachments, listed_files
from intake.parse.message import Attachment as MailAttachment
from intake.services import Services
from store import AdviceRequest, AdviceStatus, InboundMessage, Submission, SubmissionKind

# Advice that will never come: not counted in "advice received: N of M".
NOT_EXPECTED = (AdviceStatus.COVERED, AdviceStatus.WITHDRAWN)
# Statuses that take advice: open, or received already (the reply is then a new version).
TAKES_ADVICE = (AdviceStatus.OPEN, AdviceStatus.RECEIVED)


@dataclass(frozen=True)
class ReturnedAdvice:
    """What the record checks look at: the request the token names and the form's answers."""

    request: AdviceRequest
    professional_id: int
    answers: Mapping[str, Any]
    received_on: date


RecordCheck = Callable[[ReturnedAdvice], Iterable[Rejection]]


def _issued_to_sender(given: ReturnedAdvice) -> Iterable[Rejection]:
    if given.request.professional_id != given.professional_id:
        yield Rejection("advice-request-not-yours", 1, "advice_request_ref")


def _still_wanted(given: ReturnedAdvice) -> Iterable[Rejection]:
    if given.request.status not in TAKES_ADVICE:
        params = {"reference": given.request.reference, "status": str(given.request.status)}
        yield Rejection("advice-request-closed", 1, "advice_request_ref", params)


def _same_reference(given: ReturnedAdvice) -> Iterable[Rejection]:
    written = str(given.answers.get("advice_request_ref") or "").strip().upper()
    if written != given.request.reference:
        params = {"value": written, "reference": given.request.reference}
        yield Rejection("advice-reference-mismatch", 1, "advice_request_ref", params)


def _same_advice_type(given: ReturnedAdvice) -> Iterable[Rejection]:
    expected = advice_type_choice(given.request.advice_type)
    if given.answers.get("advice_type") != expected:
        params = {"value": given.answers.get("advice_type"), "expected": expected}
        yield Rejection("advice-type-mismatch", 1, "advice_type", params)


def _same_child(given: ReturnedAdvice) -> Iterable[Rejection]:
    born = given.request.case.child.date_of_birth.isoformat()
    if given.answers.get("date_of_birth") != born:
        yield Rejection("date-of-birth-mismatch", 2, "date_of_birth")


def _received_after_sent(given: ReturnedAdvice) -> Iterable[Rejection]:
    received, sent = given.answers.get("date_request_received"), given.request.sent_on
    if sent and isinstance(received, str) and received < sent.isoformat():
        params = {"sent_on": sent.isoformat()}
        yield Rejection("received-before-sent", 1, "date_request_received", params)


def _late_reason_given(given: ReturnedAdvice) -> Iterable[Rejection]:
    due = given.request.due_on
    reason = given.answers.get("late_reason")
    if due and given.received_on > due and reason in (None, "", "Not late"):
        params = {"rule": "late-reason-required", "due_on": due.isoformat()}
        yield Rejection("required-because", 8, "late_reason", params)


# Every row runs, so the professional hears of every problem in one reply.
RECORD_CHECKS: tuple[tuple[str, RecordCheck], ...] = (
    ("issued-to-sender", _issued_to_sender),
    ("still-wanted", _still_wanted),
    ("same-reference", _same_reference),
    ("same-advice-type", _same_advice_type),
    ("same-child", _same_child),
    ("received-after-sent", _received_after_sent),
    ("late-reason-given", _late_reason_given),
)


def record_problems(
    request: AdviceRequest | None, professional_id: int, answers: Mapping[str, Any], received: date
) -> list[Rejection]:
    """What is wrong with returned advice against the records; empty when it can be recorded."""
    if request is None:
        return [Rejection("advice-request-unknown", 1, "advice_request_ref")]
    given = ReturnedAdvice(request, professional_id, answers, received)
    return [problem for _name, check in RECORD_CHECKS for problem in check(given)]


def record_advice(
    services: Services,
    session: Session,
    message: InboundMessage,
    request: AdviceRequest,
    *,
    form: FormDefinition,
    answers: dict[str, Any],
    token: str,
    pdf: MailAttachment,
    attachments: Sequence[MailAttachment],
) -> Submission:
    """Keep returned advice as the request's next version, with its documents; the request is
    then received."""
    version = (
        session.scalar(
            select(func.max(Submission.version)).where(Submission.advice_request_id == request.id)
        )
        or 0
    ) + 1
    submission = Submission(
        case_id=request.case_id,
        advice_request_id=request.id,
        kind=SubmissionKind.ADVICE,
        version=version,
        inbound_message_id=message.id,
        token=token,
        pdf_sha256=hashlib.sha256(pdf.data).hexdigest(),
        answers=answers,
    )
    session.add(submission)
    session.flush()
    audit_submission(session, message, request.case, submission, advice_request=request.reference)
    keep_attachments(
        services,
        session,
        message,
        submission,
        attachments,
        listed_files(form, answers),
        pdf,
        unlisted_flag="not listed in step 7",
    )
    request.status = AdviceStatus.RECEIVED
    session.flush()
    return submission


def advice_counts(session: Session, case_id: int) -> tuple[int, int]:
    """(received, expected): advice requests on the case answered, of those still wanted."""
    statuses = list(
        session.scalars(select(AdviceRequest.status).where(AdviceRequest.case_id == case_id))
    )
    expected = [s for s in statuses if s not in NOT_EXPECTED]
    return sum(s == AdviceStatus.RECEIVED for s in expected), len(expected)
