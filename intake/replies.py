"""The emails the pipeline sends, each queued in the outbox inside the caller's transaction.

A reply threads under the message it answers, and when it carries a personal form its
Reply-To is the signed plus-address (`intake+TOKEN@...`), so an answer without the PDF still
finds its way back to the right form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import (
    SPECIMEN,
    FormDefinition,
    FormProblem,
    Rejection,
    describe,
    get_form,
    issue_token,
    prefill_values,
    render_form,
)
from intake.cases.accounts import known_about
from intake.child_documents import ChildDocument, carry, holds_child_data
from intake.reasons import Reason, worded
from intake.services import Services
from notifier import Attachment, RateLimit, compose_email, enqueue
from store import OutboxMessage, Professional, Submission


@dataclass(frozen=True)
class Thread:
    """Who we answer and where the answer threads."""

    address: str
    message_id: str | None
    references: tuple[str, ...]
    inbound_id: int | None


def plus_address(services: Services, token: str) -> str:
    local, _, domain = services.settings.address.partition("@")
    return f"{local}+{token}@{domain}"


def form_pdf(
    form: FormDefinition,
    token: str,
    values: Mapping[str, Any] | None = None,
    problems: Sequence[Rejection] = (),
) -> Attachment:
    """The form as a PDF attachment; a `ChildDocument` when its values hold a child's data.
    Sent back with `problems`, its first page lists them in the words the email uses and the
    fields at fault are framed."""
    marks = [FormProblem(p.step, p.field, describe(p, form)) for p in problems]
    pdf = render_form(form, values=values, token=token, problems=marks)
    kind = ChildDocument if holds_child_data(form, values) else Attachment
    return kind(f"{form.kind}-form.pdf", "application/pdf", pdf)


def personal_request_form(services: Services, professional: Professional) -> tuple[str, Attachment]:
    """A fresh request form for `professional`: a new token (one token, one request) and their
    work details filled in."""
    form = get_form("request")
    token = issue_token(services.key, form.kind, professional.id, today=services.today())
    values = prefill_values(form, known_about(professional))
    return token, form_pdf(form, token, values)


def request_form_with_answers(
    services: Services, session: Session, token: str, professional: Professional
) -> Attachment:
    """The request form of `token` again, filled with the answers last recorded with it (else
    with the professional's work details): sent back to its own requester only."""
    form = get_form("request")
    latest = session.scalar(
        select(Submission).where(Submission.token == token).order_by(Submission.version.desc())
    )
    values = latest.answers if latest else prefill_values(form, known_about(professional))
    return form_pdf(form, token, values)


def specimen_form(services: Services, kind: str) -> tuple[str, Attachment]:
    form = get_form(kind)
    token = issue_token(services.key, kind, SPECIMEN, today=services.today())
    return token, form_pdf(form, token)


def send_reply(
    services: Services,
    session: Session,
    template: str,
    thread: Thread,
    context: Mapping[str, Any],
    *,
    attachments: Sequence[Attachment] = (),
    token: str | None = None,
    case_id: int | None = None,
    auto_submitted: str = "auto-replied",
    reason: str | None = None,
) -> OutboxMessage | None:
    """Queue the email; None when a rate limit held it back (`notifier.outbox.enqueue`).
    `reason` is the refusal or notice the reply answers, for the daily limit per reason."""
    # A child's documents go only as `carry` allows; the template says where they are.
    carried = carry(services, session, thread.address, attachments)
    email = compose_email(
        template,
        {
            "service_name": services.settings.service_name,
            "child_documents": carried.child_documents,
            "portal_url": services.settings.base_url,
            **context,
        },
        sender=services.settings.address,
        to=thread.address,
        instance=services.instance,
        reply_to=plus_address(services, token) if token else None,
        in_reply_to=thread.message_id,
        references=thread.references,
        attachments=carried.attachments,
        auto_submitted=auto_submitted,
    )
    return enqueue(
        session,
        email,
        kind=template,
        inbound_message_id=thread.inbound_id,
        case_id=case_id,
        reason=reason,
        rate_limit=RateLimit(per_reason_per_day=services.settings.replies_per_reason_per_day),
    )


def send_request_form(
    services: Services,
    session: Session,
    professional: Professional,
    thread: Thread,
    reasons: Sequence[Reason] = (),
) -> None:
    """A fresh personal request form; `reasons` say why it is sent (none: it was asked for)."""
    token, pdf = personal_request_form(services, professional)
    send_reply(
        services,
        session,
        "request_form",
        thread,
        {
            "name": professional.name,
            "reasons": worded(reasons),
            "form_title": get_form("request").title,
        },
        attachments=[pdf],
        token=token,
        auto_submitted="auto-generated" if thread.inbound_id is None else "auto-replied",
    )
