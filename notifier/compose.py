"""Compose an outgoing email from a template pair (`email/NAME.txt` and `email/NAME.html`).

The text template's first line is `Subject: ...`. Every message we send carries
`Auto-Submitted` (RFC 3834), threading headers and our own marker header, so that no
auto-responder, and not we ourselves, can start a mail loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid
from typing import Any

import jinja2

import templates

# Mail carrying this header came from an intake instance; screening ignores it coming back.
OWN_MAIL_HEADER = "X-EHCP-Intake"


# Built with the compat32 classes, not EmailMessage: the default policy parses every header it
# is given, which made composing a reminder four times slower (1.8 ms against 0.45 ms), and the
# daily run composes one per reminder. Text goes as quoted-printable UTF-8, readable as sent.
_UTF8_QP = charset.Charset("utf-8")
_UTF8_QP.header_encoding = charset.QP
_UTF8_QP.body_encoding = charset.QP


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
    message_id: str | None = None,
) -> ComposedEmail:
    """`template`'s text (and HTML, where there is one) rendered with `context`, as a message
    from `sender` to `to`. `message_id` is a new one unless given: a row queued before it was
    composed has its Message-ID fixed already."""
    env = templates.environment()
    text = env.get_template(f"email/{template}.txt").render(context)
    first_line, _, body = text.partition("\n")
    if not first_line.startswith("Subject: "):
        raise jinja2.TemplateError(f"email/{template}.txt must start with 'Subject: '")
    subject = first_line.removeprefix("Subject: ").strip()
    html = _render_optional(env, f"email/{template}.html", {**context, "subject": subject})

    body = body.lstrip("\n")
    parts = [_text_part(body, "plain"), *([_text_part(html, "html")] if html is not None else [])]
    msg: Message = parts[0] if len(parts) == 1 else _multipart("alternative", parts)
    if attachments:
        msg = _multipart("mixed", [msg, *(_attachment_part(item) for item in attachments)])
    msg["From"] = _header(sender)
    msg["To"] = _header(to)
    msg["Subject"] = _header(subject)
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    message_id = message_id or make_msgid(domain=mail_domain(sender))
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
    return ComposedEmail(to=to, subject=subject, message_id=message_id, raw=msg.as_bytes())


def mail_domain(address: str) -> str:
    """The domain our Message-IDs name: the sending address's, else "localhost"."""
    return address.rpartition("@")[2].strip(">") or "localhost"


def _render_optional(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str | None:
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        return None
    return template.render(context)


def _header(value: str) -> str | Header:
    """ASCII as it is; anything else RFC 2047-encoded (an address's name, a Welsh subject).

    An address keeps its addr-spec outside the encoded words, as RFC 2047 requires."""
    if value.isascii():
        return value
    name, bracket, rest = value.rpartition(" <")
    if bracket and rest.endswith(">") and rest.isascii():
        encoded = Header(name.strip().strip('"'), _UTF8_QP).encode()
        return f"{encoded} <{rest}"
    return Header(value, _UTF8_QP)


def _text_part(text: str, subtype: str) -> MIMEText:
    return MIMEText(text, subtype, _UTF8_QP)


def _multipart(subtype: str, parts: Sequence[Message]) -> MIMEMultipart:
    container = MIMEMultipart(subtype)
    for part in parts:
        container.attach(part)
    return container


def _attachment_part(item: Attachment) -> Message:
    maintype, _, subtype = item.content_type.partition("/")
    if maintype == "text":
        part: Message = MIMEText(item.data.decode("utf-8", "replace"), subtype, _UTF8_QP)
    else:
        part = MIMEApplication(item.data, subtype or "octet-stream")
        if maintype != "application":
            part.replace_header("Content-Type", item.content_type)
    filename = item.filename if item.filename.isascii() else ("utf-8", "", item.filename)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part
