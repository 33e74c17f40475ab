"""Recording a returned advice form: judged against the records, then kept as a new version of
the advice with its documents, the case timeline noted and the professional sent a receipt.

The pipeline calls `record_advice` for an advice form whose token is valid and whose sender is
the professional it was issued to. The form's own rules were judged when it was read; the checks
here need the records (`documents/forms/advice_rules.py` lists them): the advice request the token
names exists, is still wanted and was sent to this professional, and the form's reference, advice
type and child's date of birth are those of the request and its case. Every problem is answered
at once with the professional's own form returned. The same token with the same PDF again is a
duplicate; a new PDF for advice already received is its next version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from documents import FormDefinition, Rejection, render_receipt
from intake.cases.advice_requests import advice_type_choice
from intake.cases.request_records import (
    attachment_problems,
    find_duplicate,
    keep_attachments,
    listed_files,
)
from intake.cases.stages import record_event
from intake.reasons import from_rejection
from intake.replies import send_reply
from notifier import Attachment
from store import (
    AdviceRequest,
    AdviceStatus,
    InboundStatus,
    Submission,
    SubmissionKind,
    TimelineKind,
)

if TYPE_CHECKING:
    from intake.pipeline.handlers import Context
    from intake.pipeline.routing import Route

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


def record_advice(ctx: Context, found: Route) -> None:
    """Judge, then record or answer, one advice form; ends the message with its final status."""
    # handlers dispatches to this module, so its names are taken when called, not when loaded.
    from intake.pipeline.handlers import problems_reply

    check = found.form
    form, answers, token = check.form, dict(check.validation.answers), check.token
    session = ctx.session
    request = session.get(AdviceRequest, token.subject_id)
    earlier = find_duplicate(session, check.token_text, found.pdf.data)
    if earlier is not None:
        ctx.finish_duplicate(earlier)
        return
    others = [a for a in ctx.parsed.attachments if a is not found.pdf]
    problems = [
        *check.validation.rejections,
        *record_problems(request, token.professional_id, answers, ctx.received_on()),
        *attachment_problems(form, answers, others),
    ]
    if problems:
        ctx.finish(
            InboundStatus.REJECTED,
            [from_rejection(p, form) for p in problems],
            case_id=request.case_id if request is not None else None,
        )
        problems_reply(ctx, form, check.token_text, answers, problems)
        return
    submission = _record(ctx, found, request, form, answers)
    received, expected = advice_counts(session, request.case_id)
    detail = {
        "note": f"advice received: {received} of {expected}",
        "advice_request": request.reference,
        "version": submission.version,
        "received": received,
        "expected": expected,
        "inbound_message_id": ctx.message.id,
    }
    record_event(
        session,
        request.case_id,
        kind=TimelineKind.NOTE,
        on=ctx.received_on(),
        actor=ctx.message.from_address or "unknown",
        action="advice-received",
        subject=("advice_request", request.reference),
        detail=detail,
    )
    ctx.finish(InboundStatus.ACCEPTED, case_id=request.case_id, submission_id=submission.id)
    receipt = render_receipt(
        form, answers, reference=request.reference, received=ctx.message.received_at
    )
    send_reply(
        ctx.services,
        session,
        "advice_received",
        ctx.thread,
        {
            "advice_reference": request.reference,
            "case_reference": request.case.reference,
            "version": submission.version,
            "documents": len(others),
            "received": received,
            "expected": expected,
        },
        attachments=[Attachment(f"receipt-{request.reference}.pdf", "application/pdf", receipt)],
        token=check.token_text,
        case_id=request.case_id,
    )


def _record(
    ctx: Context,
    found: Route,
    request: AdviceRequest,
    form: FormDefinition,
    answers: dict[str, Any],
) -> Submission:
    session = ctx.session
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
        inbound_message_id=ctx.message.id,
        token=found.form.token_text,
        pdf_sha256=hashlib.sha256(found.pdf.data).hexdigest(),
        answers=answers,
    )
    session.add(submission)
    session.flush()
    keep_attachments(
        ctx.services,
        session,
        ctx.message,
        submission,
        ctx.parsed.attachments,
        listed_files(form, answers),
        found.pdf,
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
