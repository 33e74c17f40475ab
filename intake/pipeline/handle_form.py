"""Handling a form of ours: its token judged, then a request or registration recorded or answered
with every problem at once (advice forms go on to `handle_advice`).
"""

from __future__ import annotations

from dataclasses import replace

from documents import FormCheck, render_receipt
from intake.cases.request_records import attachment_problems, find_duplicate, record_request
from intake.cases.timeline import timeline_rows
from intake.child_documents import ChildDocument
from intake.pipeline.context import Context
from intake.pipeline.handle_advice import on_advice
from intake.pipeline.handle_reply import send_registration_form
from intake.pipeline.pending_accounts import refuse_if_not_active, register_by_email
from intake.pipeline.problems import problems_reply
from intake.pipeline.routing import Match
from intake.pipeline.trust import kept_to_its_child, proven_or_held
from intake.reasons import Reason, reason
from intake.replies import Thread, personal_request_form, send_request_form
from store import InboundStatus, Professional


def on_form(ctx: Context, found: Match) -> None:
    check: FormCheck = found.form
    form, token = check.form, check.token
    if form.kind == "registration":
        on_registration(ctx, found)
        return
    if not token.valid:
        # Tampered, expired or damaged: held for the SEND team, and a fresh form to the sender.
        ctx.finish(InboundStatus.QUARANTINED, [reason(f"token-{token.reason}")])
        answer_with_fresh_form(ctx, found, f"token-{token.reason}")
        return
    if token.specimen:
        ctx.finish(InboundStatus.REJECTED, [reason("specimen-form")])
        answer_with_fresh_form(ctx, found, "specimen-form")
        return
    issued_to = ctx.session.get(Professional, token.professional_id)
    if issued_to is not None and ctx.released:
        answer_its_owner(ctx, issued_to)
        found = replace(found, sender=issued_to)
    if issued_to is None or found.sender is None or found.sender.id != issued_to.id:
        ctx.finish(
            InboundStatus.QUARANTINED, [reason("sender-mismatch", issued_to=token.professional_id)]
        )
        if ctx.can_reply():
            ctx.reply(
                "not_accepted",
                {"reason": reason("sender-mismatch").sentence(), "fresh_form": False},
            )
        return
    if refuse_if_not_active(ctx, issued_to):
        return
    if not proven_or_held(ctx, issued_to):
        return
    if form.kind == "advice":
        on_advice(ctx, found)
        return
    on_request(ctx, found)


def answer_its_owner(ctx: Context, owner: Professional) -> None:
    """A caseworker released the message: the form is the professional's it was issued to, who
    hears what becomes of it, whoever sent it (another address, or no single mailbox at all)."""
    sent_by_owner = ctx.thread.address.lower() == owner.email.lower()
    ctx.thread = (
        replace(ctx.thread, address=owner.email)
        if sent_by_owner
        else Thread(owner.email, None, (), ctx.message.id)
    )


def answer_with_fresh_form(ctx: Context, found: Match, code: str) -> None:
    """A form we cannot take as it is: the sender's own fresh form back (or, to a stranger, the
    registration form), with the reason."""
    if not ctx.can_reply():
        return
    if found.sender is None:
        send_registration_form(ctx)
        return
    token, pdf = personal_request_form(ctx.services, found.sender)
    ctx.reply(
        "not_accepted",
        {"reason": reason(code).sentence(), "fresh_form": True},
        attachments=[pdf],
        token=token,
    )


def on_request(ctx: Context, found: Match) -> None:
    check = found.form
    form, answers = check.form, dict(check.validation.answers)
    others = [a for a in ctx.parsed.attachments if a is not found.pdf]
    problems = [*check.validation.rejections, *attachment_problems(form, answers, others)]
    if problems:
        ctx.finish(InboundStatus.REJECTED, [Reason.from_rejection(p, form) for p in problems])
        problems_reply(ctx, form, check.token_text, answers, problems)
        return
    if not kept_to_its_child(ctx, found, answers):
        answer_with_fresh_form(ctx, found, "token-other-case")
        return
    earlier = find_duplicate(ctx.session, check.token_text, found.pdf.data)
    if earlier is not None:
        ctx.finish_duplicate(earlier)
        return
    recorded = record_request(
        ctx.services,
        ctx.session,
        ctx.message,
        form=form,
        answers=answers,
        token=check.token_text,
        professional_id=found.sender.id,
        pdf=found.pdf,
        attachments=ctx.parsed.attachments,
        received_on=ctx.received_on(),
    )
    case = recorded.case
    ctx.finish(InboundStatus.ACCEPTED, case_id=case.id, submission_id=recorded.submission.id)
    receipt = render_receipt(
        form, answers, reference=case.reference, received=ctx.message.received_at
    )
    ctx.reply(
        "confirmation",
        {
            "reference": case.reference,
            "version": recorded.submission.version,
            "joined_open_case": recorded.joined_open_case,
            "form_title": form.title,
            "form_name": "request",
            "timeline": timeline_rows(case.day0),
        },
        attachments=[ChildDocument(f"receipt-{case.reference}.pdf", "application/pdf", receipt)],
        token=check.token_text,
        case_id=case.id,
    )


def on_registration(ctx: Context, found: Match) -> None:
    check = found.form
    form, answers = check.form, dict(check.validation.answers)
    problems = list(check.validation.rejections)
    if problems:
        ctx.finish(InboundStatus.REJECTED, [Reason.from_rejection(p, form) for p in problems])
        problems_reply(ctx, form, check.token_text, answers, problems)
        return
    if found.sender is not None and found.sender.is_active:
        already = reason("already-registered")
        ctx.finish(InboundStatus.REJECTED, [already])
        send_request_form(ctx.services, ctx.session, found.sender, ctx.thread, [already])
        return
    register_by_email(ctx, found)
