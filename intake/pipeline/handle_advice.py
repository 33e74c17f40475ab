"""Handling a returned advice form whose token is valid and whose sender is the professional it
was issued to: judged against the records, then recorded with the case timeline noted and a
receipt sent, or answered with every problem and the professional's own form.

The same token with the same PDF again is a duplicate; a new PDF for advice already received is
its next version.
"""

from __future__ import annotations

from documents import render_receipt
from intake.cases.advice_records import advice_counts, record_advice, record_problems
from intake.cases.request_records import attachment_problems, find_duplicate
from intake.cases.stages import record_event
from intake.child_documents import ChildDocument
from intake.pipeline.context import Context
from intake.pipeline.problems import problems_reply
from intake.pipeline.routing import Match
from intake.reasons import Reason
from store import AdviceRequest, InboundStatus, TimelineKind


def on_advice(ctx: Context, found: Match) -> None:
    """Judge, then record or answer, one advice form; ends the message with its final status."""
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
            [Reason.from_rejection(p, form) for p in problems],
            case_id=request.case_id if request is not None else None,
        )
        problems_reply(ctx, form, check.token_text, answers, problems)
        return
    submission = record_advice(
        ctx.services,
        session,
        ctx.message,
        request,
        form=form,
        answers=answers,
        token=check.token_text,
        pdf=found.pdf,
        attachments=ctx.parsed.attachments,
    )
    received, expected = advice_counts(session, request.case_id)
    record_event(
        session,
        request.case_id,
        kind=TimelineKind.NOTE,
        on=ctx.received_on(),
        actor=ctx.message.from_address or "unknown",
        action="advice-received",
        subject=("advice_request", request.reference),
        detail={
            "note": f"advice received: {received} of {expected}",
            "advice_request": request.reference,
            "version": submission.version,
            "received": received,
            "expected": expected,
            "inbound_message_id": ctx.message.id,
        },
    )
    ctx.finish(InboundStatus.ACCEPTED, case_id=request.case_id, submission_id=submission.id)
    receipt = render_receipt(
        form, answers, reference=request.reference, received=ctx.message.received_at
    )
    ctx.reply(
        "advice_received",
        {
            "advice_reference": request.reference,
            "case_reference": request.case.reference,
            "version": submission.version,
            "documents": len(others),
            "received": received,
            "expected": expected,
        },
        attachments=[ChildDocument(f"receipt-{request.reference}.pdf", "application/pdf", receipt)],
        token=check.token_text,
        case_id=request.case_id,
    )
