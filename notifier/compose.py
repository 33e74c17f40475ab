"""Compose an outgoing email from a template pair (`email/NAME.txt` and `email/NAME.html`).

The text template's first line is `Subject: ...`. Every message we send carries
`Auto-Submitted` (RFC 3834), threading headers and our own marker header, so that no
auto-responder, and not we ourselves, can start a mail loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import jinja2

import templates

# Mail carrying this header came from an intake instance; screening ignores it coming back.
OWN_MAIL_HEADER = "X-EHCP-Intake"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ComposedEmail:
    """A message ready for the outbox: its Message-ID is fixed now, not at delivery."""

    to: str
    subject: str
    message_id: str
    raw: bytes


def compose_email(
    template: str,
    context: Mapping[str, Any],
    *,
    sender: str,
    to: str,
    instance: str,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    attachments: Sequence[Attachment] = (),
    auto_submitted: str = "auto-replied",
    now: datetime | None = None,
) -> ComposedEmail:
    env = templates.environment()
    text = env.get_template(f"email/{template}.txt").render(context)
    first_line, _, body = text.partition("\n")
    if not first_line.startswith("Subject: "):
        raise jinja2.TemplateError(f"email/{template}.txt must start with 'Subject: '")
    subject = first_line.removeprefix("Subject: ").strip()
    html = _render_optional(env, f"email/{template}.html", {**context, "subject": subject})

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    message_id = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg["Message-ID"] = message_id
    if reply_to:
        msg["Reply-To"] = reply_to
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [*references, *([in_reply_to] if in_reply_to and in_reply_to not in references else [])]
    if refs:
        msg["References"] = " ".join(refs)
    msg["Auto-Submitted"] = auto_submitted
    # Asks auto-responders (Exchange, Gmail vacation) not to answer us.
    msg["X-Auto-Response-Suppress"] = "All"
    msg[OWN_MAIL_HEADER] = instance
    msg.set_content(body.lstrip("\n"))
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return ComposedEmail(to=to, subject=subject, message_id=message_id, raw=msg.as_bytes())


def _render_optional(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str | None:
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        return None
    return template.render(context)
