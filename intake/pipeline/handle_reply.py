"""Handling mail without a readable form of ours: STATUS answered, documents added to the case
a reply names, or the sender told what was found and sent the form they need.
"""

from __future__ import annotations

from sqlalchemy import select

from documents import FormDefinition, get_form
from intake.cases.advice_requests import advice_form
from intake.cases.progress import answer_status, is_part_of_case
from intake.cases.request_records import case_of_token, keep_attachments
from intake.cases.stages import record_event
from intake.pipeline.context import Context
from intake.pipeline.pending_accounts import is_active_sender
from intake.pipeline.routing import Match
from intake.pipeline.trust import proven_or_held, refuse_unproven_status, sender_is_proven
from intake.reasons import reason, worded
from intake.replies import (
    Thread,
    personal_request_form,
    request_form_with_answers,
    send_reply,
    specimen_form,
)
from notifier import Attachment
from store import AdviceRequest, Case, InboundStatus, Professional, TimelineKind

# Reader outcomes that suggest a hostile file: held for a person rather than answered.
HOSTILE_OUTCOMES = frozenset({"timeout", "too-much-memory", "too-much-data"})


def on_status(ctx: Context, found: Match) -> None:
    """A STATUS message: the timeline back to a proven professional on the case, a refusal
    otherwise."""
    if not sender_is_proven(ctx):
        refuse_unproven_status(ctx, found)
        return
    replied = replied_case(ctx, found)
    reasons = answer_status(
        ctx.services,
        ctx.session,
        found.sender if is_active_sender(found) else None,
        found.asked or "",
        ctx.thread,
        replied_case_id=replied.id if replied is not None else None,
    )
    sent = bool(reasons) and reasons[0].code == "status-sent"
    ctx.finish(InboundStatus.ACCEPTED if sent else InboundStatus.REJECTED, reasons)


def on_no_form(ctx: Context, found: Match) -> None:
    """No readable form of ours: documents for a request the reply names are added to it;
    otherwise say what we found and send the form they need."""
    hostile = not ctx.released and any(
        check.outcome in HOSTILE_OUTCOMES for _, check in found.unreadable
    )
    case = replied_case(ctx, found)
    if case is not None and ctx.parsed.attachments and not hostile:
        # Documents join a child's case: from a proven sender only, else they wait for the code.
        if proven_or_held(ctx, found.sender):
            add_documents(ctx, case)
        return
    reasons = [
        reason(
            "pdf-unreadable",
            file=pdf.filename,
            # The sentence names the attachment by its place: its file name may name the child.
            position=ctx.parsed.attachments.index(pdf) + 1,
            outcome=check.outcome,
            detail=check.detail,
        )
        for pdf, check in found.unreadable
    ]
    if not reasons:
        reasons = [reason("unknown-sender" if found.sender is None else "no-form-attached")]
    ctx.finish(InboundStatus.QUARANTINED if hostile else InboundStatus.REJECTED, reasons)
    if not ctx.can_reply() or hostile:
        return
    if found.sender is None:
        send_registration_form(ctx)
        return
    form, token, pdf = form_for_route(ctx, found)
    ctx.reply(
        "request_form",
        {"name": found.sender.name, "reasons": worded(reasons), "form_title": form.title},
        attachments=[pdf],
        token=token,
    )


def send_registration_form(ctx: Context) -> None:
    """To an address we have no account for: the registration form, nothing else."""
    _, pdf = specimen_form(ctx.services, "registration")
    ctx.reply("registration_form", {}, attachments=[pdf])


def replied_case(ctx: Context, found: Match) -> Case | None:
    """The case a reply names, by its plus-address or by our thread, when the sender is part of
    it: the professional who made the request, or one asked for advice on it. None for an
    account not active: nothing is added to a case by it, nor shown to it."""
    if not is_active_sender(found):
        return None
    verdict = found.token_check
    if verdict is not None and verdict.valid and verdict.kind == "request":
        if verdict.professional_id == found.sender.id:
            return case_of_token(ctx.session, found.token)
    if (advice := replied_advice_request(ctx, found)) is not None:
        return advice.case
    if found.thread_email is not None and found.thread_email.case_id:
        case = ctx.session.get(Case, found.thread_email.case_id)
        if case is not None and is_part_of_case(ctx.session, found.sender, case):
            return case
    return None


def replied_advice_request(ctx: Context, found: Match) -> AdviceRequest | None:
    """The sender's own advice request, when the reply went to its plus-address."""
    verdict = found.token_check
    if (
        not is_active_sender(found)
        or verdict is None
        or not verdict.valid
        or verdict.kind != "advice"
    ):
        return None
    request = ctx.session.get(AdviceRequest, verdict.subject_id)
    if request is None or request.professional_id != found.sender.id:
        return None
    return request


def form_for_route(ctx: Context, found: Match) -> tuple[FormDefinition, str, Attachment]:
    """The sender's own form back: their advice form when the reply names an advice request of
    theirs; their request form, with the same token and latest answers, when it names a request
    of theirs; else a fresh personal request form (always, to an account not active: no answers
    about a child go to it)."""
    if not is_active_sender(found):
        return get_form("request"), *personal_request_form(ctx.services, found.sender)
    if (advice := replied_advice_request(ctx, found)) is not None:
        today = ctx.services.today()
        token, pdf = advice_form(ctx.services, advice.case, found.sender, advice, today=today)
        return get_form("advice"), token, pdf
    form = get_form("request")
    verdict = found.token_check
    token = None
    if verdict is not None and verdict.valid and verdict.kind == "request":
        token = found.token if verdict.professional_id == found.sender.id else None
    case = replied_case(ctx, found) if token is None else None
    if case is not None and case.requested_by_id == found.sender.id:
        # Only the requester's own form: an advice giver on the case never gets its answers.
        token = case.request_token
    if token is None:
        return form, *personal_request_form(ctx.services, found.sender)
    return form, token, request_form_with_answers(ctx.services, ctx.session, token, found.sender)


def add_documents(ctx: Context, case: Case) -> None:
    """More documents for a recorded request, sent by replying to our email: kept with the
    case, the history noted, the sender thanked and the caseworkers told."""
    attachments = ctx.parsed.attachments
    keep_attachments(
        ctx.services,
        ctx.session,
        ctx.message,
        None,
        attachments,
        {},
        None,
        unlisted_flag="added by reply",
    )
    record_event(
        ctx.session,
        case,
        kind=TimelineKind.NOTE,
        on=ctx.received_on(),
        actor=ctx.message.from_address or "unknown",
        action="documents-added",
        subject=("case", case.reference),
        detail={"documents_added": len(attachments), "inbound_message_id": ctx.message.id},
    )
    added = reason("documents-added", count=len(attachments), reference=case.reference)
    ctx.finish(InboundStatus.ACCEPTED, [added], case_id=case.id)
    facts = {"reference": case.reference, "count": len(attachments)}
    ctx.reply("documents_added", facts, case_id=case.id)
    for caseworker in ctx.session.scalars(select(Professional).where(Professional.is_caseworker)):
        send_reply(
            ctx.services,
            ctx.session,
            "documents_added_caseworker",
            Thread(caseworker.email, None, (), ctx.message.id),
            facts,
            case_id=case.id,
            auto_submitted="auto-generated",
        )
