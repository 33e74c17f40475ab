"""The families of hostile mail (PDFs aside): broken MIME, thousands of parts, deep nesting,
header injection, path traversal in file names, NUL bytes, huge headers and oversize mail.

Mail from the professional (`kit.professional`, an active account) without a form of ours is
rejected with `no-form-attached`; mail from an address with no account with `unknown-sender`
(each such case writes from an address of its own, so that the reply limits per address never
hold back the replies the header-injection checks look at).
"""

from __future__ import annotations

import random
import zlib
from functools import partial

from hostile import Case, Kit
from hostile.writing import (
    SCAN,
    attachment_part,
    head,
    message,
    multipart,
    text_part,
)

REJECTED, QUARANTINED, IGNORED, ACCEPTED = "rejected", "quarantined", "ignored", "accepted"
NO_FORM = ("no-form-attached",)


def _from_professional(case_id: str, kit: Kit, **options) -> list:
    return head(case_id, kit.professional, kit.intake, **options)


def stranger(case_id: str) -> str:
    """An address of its own for a case from someone with no account."""
    return f"stranger-{zlib.crc32(case_id.encode()):08x}@outside.example.net"


# --- broken MIME ----------------------------------------------------------------------------


def _broken(case_id: str, kit: Kit, shape: str) -> bytes:
    h = _from_professional(case_id, kit)
    pdf = attachment_part("form.pdf", SCAN)
    mime = [("MIME-Version", "1.0")]
    if shape == "unterminated-multipart":
        return multipart(h, [text_part(), pdf], close=False)
    if shape == "no-boundary-parameter":
        return message([*h, *mime, ("Content-Type", "multipart/mixed")], text_part())
    if shape == "boundary-never-used":
        return message([*h, *mime, ("Content-Type", 'multipart/mixed; boundary="absent"')], b"x")
    if shape == "bad-base64":
        part = b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!**"
        return multipart(h, [text_part(), part + bytes(range(128, 256))])
    if shape == "unknown-transfer-encoding":
        part = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nUryyb"
        return multipart(h, [part])
    if shape == "broken-quoted-printable":
        part = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n="
        return multipart(h, [part + b"ZZ=\r\n=4"])
    if shape == "no-blank-line":
        return b"".join(f"{n}: {v}\r\n".encode() for n, v in h) + b"Just text, no blank line\r\n"
    if shape == "bare-lf":
        return multipart(h, [text_part(), pdf]).replace(b"\r\n", b"\n")
    if shape == "bare-cr":
        return multipart(h, [text_part(), pdf]).replace(b"\r\n", b"\r")
    if shape == "unknown-charset":
        part = b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe\xfd"
        return multipart(h, [part])
    if shape == "raw-8bit-headers":
        return message([*h, ("X-Note", "caf\xe9".encode("latin-1"))], "Gr\xfc\xdfe\r\n")
    if shape == "multipart-on-plain-body":
        top = ("Content-Type", 'multipart/mixed; boundary="b"')
        return message([*h, *mime, top], b"no parts here at all\r\n")
    if shape == "same-boundary-nested":
        inner = b'Content-Type: multipart/mixed; boundary="hostile-boundary"\r\n\r\n'
        inner += b"--hostile-boundary\r\n" + text_part() + b"\r\n--hostile-boundary--"
        return multipart(h, [inner, pdf])
    if shape == "garbage-content-type":
        return message([*h, *mime, ("Content-Type", "////;;;===\"'")], b"text\r\n")
    if shape == "empty-rfc822":
        return multipart(h, [b"Content-Type: message/rfc822\r\n\r\n"])
    if shape == "garbage-rfc822":
        return multipart(h, [b"Content-Type: message/rfc822\r\n\r\n" + bytes(range(256)) * 4])
    if shape == "pdf-type-text-body":
        return multipart(h, [text_part(), b"Content-Type: application/pdf\r\n\r\nnot a pdf"])
    if shape == "duplicate-content-type":
        extra = [("Content-Type", "text/html"), ("Content-Type", "application/pdf")]
        return message([*h, *mime, *extra], b"<p>which?</p>")
    if shape == "header-line-without-colon":
        return message([*h[:2], ("this line has no colon and a space", "")], b"body\r\n")
    if shape == "megabyte-line":
        return message(h, b"x" * (1024 * 1024))
    if shape == "empty-alternative":
        return multipart(h, [], subtype="alternative")
    if shape == "preamble-only":
        return message([*h, *mime, ("Content-Type", 'multipart/mixed; boundary="q"')], b"pre\r\n")
    if shape == "mime-version-99":
        return multipart([*h, ("MIME-Version", "99.9")], [text_part()])
    if shape == "garbage-winmail":
        part = attachment_part(
            "winmail.dat", b"\x78\x9f\x3e\x22" + bytes(500), "application/ms-tnef"
        )
        return multipart(h, [text_part(), part])
    if shape == "boundary-in-body-text":
        return multipart(h, [text_part("--hostile-boundary inside\r\n--hostile-boundary--"), pdf])
    if shape == "null-parameter-values":
        ct = b"Content-Type: application/pdf; name=; =x; ;;\r\nContent-Disposition: ;\r\n\r\n"
        return multipart(h, [ct + SCAN])
    raise ValueError(shape)


BROKEN_SHAPES = {
    "unterminated-multipart": (REJECTED, ("pdf-unreadable",)),
    "no-boundary-parameter": (REJECTED, NO_FORM),
    "boundary-never-used": (REJECTED, NO_FORM),
    "bad-base64": (REJECTED, ("pdf-unreadable",)),
    "unknown-transfer-encoding": (REJECTED, NO_FORM),
    "broken-quoted-printable": (REJECTED, NO_FORM),
    "no-blank-line": (REJECTED, NO_FORM),
    "bare-lf": (REJECTED, ("pdf-unreadable",)),
    "bare-cr": (REJECTED, ("pdf-unreadable",)),  # a lone CR ends a line to Python too
    "unknown-charset": (REJECTED, NO_FORM),
    "raw-8bit-headers": (REJECTED, NO_FORM),
    "multipart-on-plain-body": (REJECTED, NO_FORM),
    "same-boundary-nested": (REJECTED, NO_FORM),  # the inner close ends the outer
    "garbage-content-type": (REJECTED, NO_FORM),
    "empty-rfc822": (REJECTED, NO_FORM),
    "garbage-rfc822": (REJECTED, NO_FORM),
    "pdf-type-text-body": (REJECTED, ("pdf-unreadable",)),
    "duplicate-content-type": (REJECTED, NO_FORM),
    "header-line-without-colon": (REJECTED, NO_FORM),
    "megabyte-line": (REJECTED, NO_FORM),
    "empty-alternative": (REJECTED, NO_FORM),
    "preamble-only": (REJECTED, NO_FORM),
    "mime-version-99": (REJECTED, NO_FORM),
    "garbage-winmail": (REJECTED, NO_FORM),
    "boundary-in-body-text": (REJECTED, NO_FORM),  # the text closes the multipart
    "null-parameter-values": (REJECTED, ("pdf-unreadable",)),
}


def _not_mail(case_id: str, kit: Kit, shape: str) -> bytes:
    rng = random.Random(case_id)
    if shape == "empty":
        return b""
    if shape == "random-bytes":
        return rng.randbytes(4096)
    if shape == "zeros":
        return bytes(1024 * 1024)
    if shape == "newlines-then-text":
        return b"\r\n" * 10_000 + b"no headers at all"
    if shape == "pdf-as-message":
        return SCAN
    raise ValueError(shape)


def _senders(case_id: str, kit: Kit, shape: str) -> bytes:
    h = [v for v in _from_professional(case_id, kit) if v[0] != "From"]
    values = {
        "no-from": [],
        "from-without-domain": [("From", "script")],
        "from-two-fields": [("From", kit.professional), ("From", "other@outside.example.net")],
        "from-two-addresses": [("From", f"{kit.professional}, b@outside.example.net")],
        "from-full-width-at": [("From", "a\uff20outside.example.net")],
        "from-garbage-return-path": [("From", kit.professional), ("Return-Path", "<not mail>")],
        "from-empty-group": [("From", "undisclosed-recipients:;")],
    }[shape]
    return message([*values, *h], b"Hello.\r\n")


SENDER_SHAPES = {
    "no-from": (REJECTED, ("sender-missing",)),
    "from-without-domain": (QUARANTINED, ("sender-not-a-mailbox",)),
    "from-two-fields": (QUARANTINED, ("sender-not-a-mailbox",)),
    "from-two-addresses": (QUARANTINED, ("sender-not-a-mailbox",)),
    "from-full-width-at": (QUARANTINED, ("sender-not-a-mailbox",)),
    "from-garbage-return-path": (QUARANTINED, ("sender-not-a-mailbox",)),
    "from-empty-group": (REJECTED, ("sender-missing",)),
}

NOT_MAIL_SHAPES = {
    "empty": (REJECTED, ("sender-missing",)),
    "random-bytes": (REJECTED, ("sender-missing",)),
    "zeros": (REJECTED, ("sender-missing",)),
    "newlines-then-text": (REJECTED, ("sender-missing",)),
    "pdf-as-message": (REJECTED, ("sender-missing",)),
}


def broken_mime() -> list[Case]:
    made = []
    for table, maker in ((BROKEN_SHAPES, _broken), (SENDER_SHAPES, _senders)):
        for shape, (status, codes) in table.items():
            case_id = f"broken-mime/{shape}"
            made.append(
                Case("broken-mime", shape, partial(maker, case_id, shape=shape), status, codes)
            )
    for shape, (status, codes) in NOT_MAIL_SHAPES.items():
        case_id = f"not-mail/{shape}"
        made.append(
            Case("not-mail", shape, partial(_not_mail, case_id, shape=shape), status, codes)
        )
    return made


def cases() -> list[Case]:
    from hostile import mime_floods, mime_injection

    return [*broken_mime(), *mime_floods.cases(), *mime_injection.cases()]
