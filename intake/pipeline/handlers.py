"""What the pipeline does with a routed message: one handler per route, each ending in a final
status, its reasons as data, and the replies queued in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import (
    FormCheck,
    FormDefinition,
    Rejection,
    describe,
    get_form,
    prefill_values,
    render_receipt,
)
from intake.cases.accounts import known_about
from intake.cases.advice_requests import advice_form
from intake.cases.progress import answer_status, is_part_of_case, status_request
from intake.cases.request_records import (
    attachment_problems,
    case_of_token,
    find_duplicate,
    keep_attachments,
    record_request,
)
from intake.cases.stages import record_event
from intake.cases.timeline import timeline_rows
from intake.parse.message import ParsedMessage
from intake.pipeline.advice_reply import record_advice
from intake.pipeline.routing import Route
from intake.reasons import from_rejection, reason, worded
from intake.replies import Thread, form_pdf, personal_request_form, send_reply, specimen_form
from intake.services import Services
from notifier import Attachment
from store import (
    AdviceRequest,
    Case,
    InboundMessage,
    InboundStatus,
    Professional,
    Submission,
    TimelineKind,
)

# Reader outcomes that suggest a hostile file: held for a person rather than answered.
HOSTILE_OUTCOMES = frozenset({"timeout", "too-much-memory"})


@dataclass
class Context:
    services: Services
    session: Session
    message: InboundMessage
    parsed: ParsedMessage
    thread: Thread

    def finish(
        self,
        status: InboundStatus,
        reasons: Sequence[dict[str, Any]] = (),
        *,
        decisions: list[dict[str, Any]] | None = None,
        case_id: int | None = None,
        submission_id: int | None = None,
        duplicate_of: int | None = None,
    ) -> None:
        m = self.message
        m.status = status
        m.reasons = list(reasons)
        if decisions is not None:
            m.decisions = decisions
        m.case_id = case_id
        m.submission_id = submission_id
        m.duplicate_of_id = duplicate_of
        m.processed_at = self.services.now()
        m.next_attempt_at = None
        m.last_error = None

    def finish_duplicate(self, earlier: Submission) -> None:
        """The same form with the same answers again: nothing new is recorded or answered."""
        self.finish(
            InboundStatus.DUPLICATE,
            [reason("duplicate-submission")],
            case_id=earlier.case_id,
            submission_id=earlier.id,
            duplicate_of=earlier.inbound_message_id,
        )

    def can_reply(self) -> bool:
        return bool(self.thread.address)

    def refuse(self, reasons: Sequence[dict[str, Any]], decisions: list[dict[str, Any]]) -> None:
        """Screening refused the message: say why, once, to a person who can act on it."""
        self.finish(InboundStatus.REJECTED, reasons, decisions=decisions)
        if self.can_reply():
            text = " ".join(
                worded(
                    [
                        reason("message-refused", detail=r["params"].get("detail", r["code"]))
                        for r in reasons
                    ]
                )
            )
            send_reply(
                self.services,
                self.session,
                "not_accepted",
                self.thread,
                {"reason": text, "fresh_form": False},
            )

    def received_on(self):
        return self.message.received_at.astimezone(ZoneInfo(self.services.settings.timezone)).date()


def handle_route(ctx: Context, found: Route, decisions: list[dict[str, Any]]) -> None:
    ctx.message.decisions = decisions
    if found.name == "form-token":
        on_form(ctx, found)
        return
    asked = status_request(ctx.parsed)
    if asked is not None:
        on_status(ctx, found, asked)
        return
    on_no_form(ctx, found)


def on_status(ctx: Context, found: Route, asked: str) -> None:
    """A STATUS message: the timeline back to a professional on the case, a refusal otherwise."""
    replied = replied_case(ctx, found)
    reasons = answer_status(
        ctx.services,
        ctx.session,
        found.sender,
        asked,
        ctx.thread,
        replied_case_id=replied.id if replied is not None else None,
    )
    sent = reasons and reasons[0]["code"] == "status-sent"
    ctx.finish(InboundStatus.ACCEPTED if sent else InboundStatus.REJECTED, reasons)


def on_no_form(ctx: Context, found: Route) -> None:
    """No readable form of ours: documents for a request the reply names are added to it;
    otherwise say what we found and send the form they need."""
    hostile = any(check.outcome in HOSTILE_OUTCOMES for _, check in found.unreadable)
    case = replied_case(ctx, found)
    if case is not None and ctx.parsed.attachments and not hostile:
        add_documents(ctx, case)
        return
    reasons = [
        reason("pdf-unreadable", file=pdf.filename, detail=check.detail, outcome=check.outcome)
        for pdf, check in found.unreadable
    ]
    if not reasons:
        reasons = [reason("unknown-sender" if found.sender is None else "no-form-attached")]
    ctx.finish(InboundStatus.QUARANTINED if hostile else InboundStatus.REJECTED, reasons)
    if not ctx.can_reply() or hostile:
        return
    if found.sender is None:
        _, pdf = specimen_form(ctx.services, "registration")
        send_reply(
            ctx.services, ctx.session, "registration_form", ctx.thread, {}, attachments=[pdf]
        )
        return
    form, token, pdf = form_for_route(ctx, found)
    lead = " ".join(worded(reasons)) + " Your form is attached: fill it in and reply with it."
    send_reply(
        ctx.services,
        ctx.session,
        "request_form",
        ctx.thread,
        {"name": found.sender.name, "lead": lead, "form_title": form.title},
        attachments=[pdf],
        token=token,
    )


def replied_case(ctx: Context, found: Route) -> Case | None:
    """The case a reply names, by its plus-address or by our thread, when the sender is part of
    it: the professional who made the request, or one asked for advice on it."""
    if found.sender is None:
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


def replied_advice_request(ctx: Context, found: Route) -> AdviceRequest | None:
    """The sender's own advice request, when the reply went to its plus-address."""
    verdict = found.token_check
    if found.sender is None or verdict is None or not verdict.valid or verdict.kind != "advice":
        return None
    request = ctx.session.get(AdviceRequest, verdict.subject_id)
    if request is None or request.professional_id != found.sender.id:
        return None
    return request


def form_for_route(ctx: Context, found: Route) -> tuple[FormDefinition, str, Attachment]:
    """The sender's own form back: their advice form when the reply names an advice request of
    theirs; their request form, with the same token and latest answers, when it names a request
    of theirs; else a fresh personal request form."""
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
    latest = ctx.session.scalar(
        select(Submission).where(Submission.token == token).order_by(Submission.version.desc())
    )
    values = latest.answers if latest else prefill_values(form, known_about(found.sender))
    return form, token, form_pdf(form, token, values)


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
    paragraphs = worded([added])
    send_reply(
        ctx.services,
        ctx.session,
        "notice",
        ctx.thread,
        {"subject_line": f"Documents added to {case.reference}", "paragraphs": paragraphs},
        case_id=case.id,
    )
    for caseworker in ctx.session.scalars(select(Professional).where(Professional.is_caseworker)):
        send_reply(
            ctx.services,
            ctx.session,
            "notice",
            Thread(caseworker.email, None, (), ctx.message.id),
            {"subject_line": f"New documents for {case.reference}", "paragraphs": paragraphs},
            case_id=case.id,
            auto_submitted="auto-generated",
        )


def on_form(ctx: Context, found: Route) -> None:
    check: FormCheck = found.form
    form, token = check.form, check.token
    if form.kind == "registration":
        on_registration(ctx, found)
        return
    if not token.valid:
        ctx.finish(InboundStatus.REJECTED, [reason(f"token-{token.reason}")])
        _answer_with_fresh_form(ctx, found, f"token-{token.reason}")
        return
    if token.specimen:
        ctx.finish(InboundStatus.REJECTED, [reason("specimen-form")])
        _answer_with_fresh_form(ctx, found, "specimen-form")
        return
    issued_to = ctx.session.get(Professional, token.professional_id)
    if issued_to is None or found.sender is None or found.sender.id != issued_to.id:
        ctx.finish(
            InboundStatus.QUARANTINED, [reason("sender-mismatch", issued_to=token.professional_id)]
        )
        if ctx.can_reply():
            send_reply(
                ctx.services,
                ctx.session,
                "not_accepted",
                ctx.thread,
                {"reason": worded([reason("sender-mismatch")])[0], "fresh_form": False},
            )
        return
    if form.kind == "advice":
        record_advice(ctx, found)
        return
    on_request(ctx, found)


def _answer_with_fresh_form(ctx: Context, found: Route, code: str) -> None:
    if not ctx.can_reply():
        return
    if found.sender is None:
        _, pdf = specimen_form(ctx.services, "registration")
        send_reply(
            ctx.services, ctx.session, "registration_form", ctx.thread, {}, attachments=[pdf]
        )
        return
    token, pdf = personal_request_form(ctx.services, found.sender)
    send_reply(
        ctx.services,
        ctx.session,
        "not_accepted",
        ctx.thread,
        {"reason": worded([reason(code)])[0], "fresh_form": True},
        attachments=[pdf],
        token=token,
    )


def problems_reply(
    ctx: Context,
    form: FormDefinition,
    token: str | None,
    answers: dict[str, Any],
    problems: Sequence[Rejection],
) -> None:
    steps = []
    for s in form.steps:
        here = [describe(p, form) for p in problems if p.step == s.number]
        if here:
            steps.append({"number": s.number, "title": s.title, "messages": here})
    send_reply(
        ctx.services,
        ctx.session,
        "problems",
        ctx.thread,
        {"count": len(problems), "steps": steps, "form_name": f"{form.kind} form"},
        attachments=[form_pdf(form, token or "", answers)],
        token=token,
    )


def on_request(ctx: Context, found: Route) -> None:
    check = found.form
    form, answers = check.form, dict(check.validation.answers)
    others = [a for a in ctx.parsed.attachments if a is not found.pdf]
    problems = [*check.validation.rejections, *attachment_problems(form, answers, others)]
    if problems:
        ctx.finish(InboundStatus.REJECTED, [from_rejection(p, form) for p in problems])
        problems_reply(ctx, form, check.token_text, answers, problems)
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
    send_reply(
        ctx.services,
        ctx.session,
        "confirmation",
        ctx.thread,
        {
            "reference": case.reference,
            "version": recorded.submission.version,
            "joined_open_case": recorded.joined_open_case,
            "form_title": form.title,
            "form_name": "request",
            "timeline": timeline_rows(case.day0),
        },
        attachments=[Attachment(f"receipt-{case.reference}.pdf", "application/pdf", receipt)],
        token=check.token_text,
        case_id=case.id,
    )


def on_registration(ctx: Context, found: Route) -> None:
    check = found.form
    form, answers = check.form, dict(check.validation.answers)
    problems = list(check.validation.rejections)
    if problems:
        ctx.finish(InboundStatus.REJECTED, [from_rejection(p, form) for p in problems])
        problems_reply(ctx, form, check.token_text, answers, problems)
        return
    if found.sender is not None:
        ctx.finish(InboundStatus.REJECTED, [reason("already-registered")])
        token, pdf = personal_request_form(ctx.services, found.sender)
        send_reply(
            ctx.services,
            ctx.session,
            "request_form",
            ctx.thread,
            {
                "name": found.sender.name,
                "lead": worded([reason("already-registered")])[0],
                "form_title": get_form("request").title,
            },
            attachments=[pdf],
            token=token,
        )
        return
    ctx.finish(InboundStatus.QUARANTINED, [reason("registration-received")])
    send_reply(
        ctx.services,
        ctx.session,
        "notice",
        ctx.thread,
        {
            "subject_line": "Registration received",
            "paragraphs": worded([reason("registration-received")]),
        },
    )
