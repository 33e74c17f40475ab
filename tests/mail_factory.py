"""Build test emails as raw bytes: a professional's reply with a PDF, forwards, Outlook winmail.dat,
automatic mail, and hand-written odd encodings that mail programs really send.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import parseaddr
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "mail"

SENDER = "Jane SENCO <Jane.Senco@School.Example.org>"
INTAKE = "intake@council.example.gov.uk"
# The receiving server the tests' service trusts (INTAKE_TRUSTED_AUTHSERV in conftest.py): mail
# built here carries its DMARC pass for the From domain unless told otherwise, so that tests of
# forms keep testing forms; tests of sender verification pass `dmarc=None` or their own header.
TRUSTED_AUTHSERV = "mx.send.example.gov.uk"

# Small but PDF by its magic; the parser only looks at the first bytes.
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

File = tuple[str, str, bytes]  # (file name, content type, data)


def fixture(name: str) -> bytes:
    """The bytes of one of our own .eml fixtures."""
    return (FIXTURES / name).read_bytes()


def build_message(
    *,
    body: str = "Please find the completed form attached.\n",
    html: str | None = None,
    files: Iterable[File] = (),
    headers: Mapping[str, str] | None = None,
    message_id: str | None = "<reply-1@School.Example.org>",
    dmarc: str | None = "pass",
) -> bytes:
    """A well-formed message; `headers` are added or replace the defaults. Our receiving
    server's Authentication-Results header comes first, with `dmarc` for the From domain (None:
    no such header)."""
    message = EmailMessage()
    defaults = {
        "From": SENDER,
        "To": INTAKE,
        "Subject": "Re: Request for advice",
        "Date": "Mon, 01 Dec 2025 10:00:00 +0000",
    }
    if message_id:
        defaults["Message-ID"] = message_id
    chosen = {**defaults, **(headers or {})}
    if dmarc is not None:
        message["Authentication-Results"] = authentication_results(chosen["From"], dmarc)
    for name, value in chosen.items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=SMTP)


def authentication_results(
    from_value: str, dmarc: str = "pass", authserv_id: str = TRUSTED_AUTHSERV
) -> str:
    """An Authentication-Results value as a receiving server writes it for a From address."""
    domain = parseaddr(from_value)[1].rpartition("@")[2].lower()
    return f"{authserv_id}; dmarc={dmarc} (p=quarantine) header.from={domain}"


def reply_with_pdf(
    filename: str = "advice-form.pdf",
    content_type: str = "application/pdf",
    data: bytes = PDF_BYTES,
    **options: object,
) -> bytes:
    """A professional's reply with the completed form attached."""
    return build_message(files=[(filename, content_type, data)], **options)  # type: ignore[arg-type]


def forward(inner: bytes, *, note: str = "Forwarding the form my colleague sent.\n") -> bytes:
    """A forward that attaches the whole original message as message/rfc822."""
    message = EmailMessage()
    message["From"] = "Head Teacher <head@school.example.org>"
    message["To"] = INTAKE
    message["Subject"] = "Fwd: Request for advice"
    message["Message-ID"] = "<fwd-1@school.example.org>"
    message.set_content(note)
    original = message_from_bytes(inner, policy=default)
    message.add_attachment(original, disposition="attachment")
    return message.as_bytes(policy=SMTP)


def forward_raw(inner: bytes, depth: int = 1) -> bytes:
    """`depth` forwards wrapped one inside another, written out by hand."""
    current = inner
    for level in range(depth):
        boundary = f"fwd-boundary-{level}"
        current = (
            (
                f"From: relay{level}@school.example.org\r\n"
                f"To: {INTAKE}\r\n"
                f"Subject: Fwd: level {level}\r\n"
                f"Message-ID: <fwd-{level}@school.example.org>\r\n"
                "MIME-Version: 1.0\r\n"
                f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
                f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
            ).encode()
            + current
            + f"\r\n--{boundary}--\r\n".encode()
        )
    return current


def nested_multiparts(depth: int) -> bytes:
    """Multiparts nested `depth` levels deep with a PDF at the bottom."""
    inner = b"Content-Type: application/pdf\r\n\r\n" + PDF_BYTES
    for level in range(depth):
        boundary = f"b{level}"
        inner = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'.encode()
            + inner
            + f"\r\n--{boundary}--\r\n".encode()
        )
    return f"From: {SENDER}\r\nMIME-Version: 1.0\r\n".encode() + inner


def tnef(files: Iterable[tuple[str, bytes]]) -> bytes:
    """A minimal Outlook TNEF stream (winmail.dat) carrying the given files."""

    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return (
            struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)
        )

    stream = struct.pack("<IH", 0x223E9F78, 1)
    stream += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x10000))  # TNEF version
    for filename, data in files:
        stream += attribute(2, 0x9002, 0x0006, bytes(14))  # rendering data opens an attachment
        stream += attribute(2, 0x8010, 0x0001, filename.encode() + b"\0")  # attachment title
        stream += attribute(2, 0x800F, 0x0006, data)  # attachment data
    return stream


def winmail_reply(stream: bytes) -> bytes:
    """An Outlook reply whose attachments travel inside winmail.dat."""
    return build_message(files=[("winmail.dat", "application/ms-tnef", stream)])


def raw_message(headers: str, body: str | bytes) -> bytes:
    """A message written by hand, CRLF line ends, for encodings no library would produce."""
    head = "\r\n".join(headers.strip("\n").splitlines()).encode()
    data = body if isinstance(body, bytes) else "\r\n".join(body.splitlines()).encode()
    return head + b"\r\n\r\n" + data


def multipart_raw(headers: str, parts: Iterable[str | bytes], boundary: str = "XYZ") -> bytes:
    """A multipart/mixed message from hand-written parts (each: its headers, a blank line, body)."""
    chunks = [f"--{boundary}\r\n".encode() + _crlf(part) for part in parts]
    body = b"\r\n".join(chunks) + f"\r\n--{boundary}--\r\n".encode()
    head = (
        headers.strip("\n")
        + f'\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"'
    )
    return raw_message(head, body)


def _crlf(text: str | bytes) -> bytes:
    data = text if isinstance(text, bytes) else text.encode()
    return b"\r\n".join(data.split(b"\n")).replace(b"\r\r\n", b"\r\n")


def form_reply(
    form_pdf: bytes,
    *,
    sender: str = SENDER,
    to: str = INTAKE,
    message_id: str | None = "<reply-1@School.Example.org>",
    filename: str = "request-form.pdf",
    files: Iterable[File] = (),
    headers: Mapping[str, str] | None = None,
    body: str = "Please find the completed form attached.\n",
    dmarc: str | None = "pass",
) -> bytes:
    """A professional's reply carrying a filled form of ours, then any supporting files."""
    return build_message(
        body=body,
        files=[(filename, "application/pdf", form_pdf), *files],
        headers={"From": sender, "To": to, **(headers or {})},
        message_id=message_id,
        dmarc=dmarc,
    )


def read_email(raw: bytes) -> EmailMessage:
    """A message as a mail program would show it: headers decoded, parts walkable."""
    return message_from_bytes(raw, policy=default)  # type: ignore[return-value]


def body_texts(message: EmailMessage) -> list[str]:
    """The text/plain and text/html bodies of a message, attachments left out."""
    return [
        part.get_content()
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
    ]


def child_data_in_mail(services, child_data: Sequence[str]) -> list[tuple[str, str]]:
    """(email kind, what it gave away) for each queued email whose subject or text and HTML
    bodies name the child (docs/architecture.md, "Trust": least data in mail); attachments may hold
    child data. Rows queued without a body are composed first, as the outbox sender would."""
    from sqlalchemy import select

    from intake.reminders.mail import outbox_composer
    from store import OutboxMessage

    compose = outbox_composer(services)
    found = []
    with services.db.session() as session:
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            email = read_email(row.raw if row.raw is not None else compose(session, row).raw)
            for shown in [str(email["Subject"]), *body_texts(email)]:
                found += [
                    (row.kind, item) for item in child_data if item.casefold() in shown.casefold()
                ]
        session.rollback()
    return found


def attached_files(message: EmailMessage) -> dict[str, bytes]:
    """A message's attachments by file name."""
    return {
        part.get_filename(): part.get_content()
        for part in message.iter_attachments()
        if part.get_filename()
    }


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def supporting_file(filename: str) -> File:
    """A small supporting document with a plausible type for its name (not one of our forms)."""
    if filename.lower().endswith(".pdf"):
        return (filename, "application/pdf", b"%PDF-1.4\n% a scanned report\n%%EOF\n")
    if filename.lower().endswith(".docx"):
        return (filename, DOCX, b"PK\x03\x04 a Word document " + filename.encode())
    return (filename, "application/octet-stream", b"a document " + filename.encode())
