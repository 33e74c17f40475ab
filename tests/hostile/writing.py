"""Writing hostile mail by hand: header blocks, multiparts and attachments as raw bytes, since no
mail library would produce what these cases need (CRLF in values, NUL bytes, broken boundaries).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from email.utils import encode_rfc2231

from mail_factory import authentication_results

Header = tuple[str, str | bytes]

# Every case's mail is dated the same day; the identity of a case is its Message-ID.
DATE = "Mon, 01 Dec 2025 10:00:00 +0000"
# A small PDF by its magic: what a scanned supporting document looks like to the service.
SCAN = b"%PDF-1.4\n% a scanned report\n%%EOF\n"


def head(
    case_id: str,
    sender: str,
    to: str,
    *,
    subject: str = "Re: Request for advice",
    extra: Sequence[Header] = (),
    dmarc: bool = True,
) -> list[Header]:
    """The usual headers of a professional's reply, a Message-ID made from the case's name (so
    that no two cases are one message), and a trusted DMARC pass for the sender unless not."""
    headers: list[Header] = []
    if dmarc:
        headers.append(("Authentication-Results", authentication_results(sender)))
    headers += [
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("Date", DATE),
        ("Message-ID", f"<{message_id_part(case_id)}@hostile.example>"),
    ]
    return [*headers, *extra]


def message_id_part(case_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in case_id)


def header_block(headers: Sequence[Header]) -> bytes:
    lines = []
    for name, value in headers:
        data = value if isinstance(value, bytes) else value.encode("utf-8")
        lines.append(name.encode() + b": " + data)
    return b"\r\n".join(lines) + b"\r\n"


def message(headers: Sequence[Header], body: bytes | str = b"Hello.\r\n") -> bytes:
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return header_block(headers) + b"\r\n" + data


def multipart(
    headers: Sequence[Header],
    parts: Sequence[bytes],
    *,
    boundary: str = "hostile-boundary",
    subtype: str = "mixed",
    close: bool = True,
) -> bytes:
    """A multipart message of ready-made parts (each its own headers, blank line and body)."""
    content_type = ("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')
    top = [*headers, ("MIME-Version", "1.0"), content_type]
    delimiter = b"--" + boundary.encode()
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    if close:
        body += delimiter + b"--\r\n"
    return message(top, body)


def text_part(text: str = "Please find the form attached.\r\n") -> bytes:
    return b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text.encode("utf-8")


def attachment_part(
    filename: str,
    data: bytes,
    content_type: str = "application/pdf",
    *,
    raw_filename: bool = False,
) -> bytes:
    """A base64 attachment. The file name is written quoted when it is plain printable ASCII
    (or when `raw_filename` says to write it exactly as given), else in RFC 2231 form."""
    if raw_filename or _plain(filename):
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
        disposition = f'attachment; filename="{quoted}"'
    else:
        disposition = f"attachment; filename*={encode_rfc2231(filename, 'utf-8')}"
    headers = (
        f"Content-Type: {content_type}\r\n"
        f"Content-Disposition: {disposition}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return headers.encode("utf-8", "surrogateescape") + base64_lines(data)


def base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _plain(text: str) -> bool:
    return all(" " <= c <= "~" for c in text)
