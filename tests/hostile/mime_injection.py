"""Hostile mail aimed at what the service writes: header injection (line breaks smuggled into
values our replies might copy), path traversal in attachment file names (which the service
keeps), and NUL bytes anywhere a C string or a database text column might choke on them.
"""

from __future__ import annotations

import base64
from functools import partial

from hostile import Case, Kit
from hostile.mime_cases import ACCEPTED, NO_FORM, REJECTED, _from_professional, stranger
from hostile.writing import (
    SCAN,
    attachment_part,
    head,
    header_block,
    message,
    multipart,
    text_part,
)

# What an injection tries to add to our reply: a hidden recipient and a header of its own.
INJECTED_HEADER = "X-Injected"
VICTIM = "victim@evil.example"
PAYLOADS = {
    "crlf": f"Hello\r\nBcc: {VICTIM}\r\n{INJECTED_HEADER}: yes",
    "lf": f"Hello\nBcc: {VICTIM}\n{INJECTED_HEADER}: yes",
    "cr": f"Hello\rBcc: {VICTIM}\r{INJECTED_HEADER}: yes",
    "nul": f"Hello\x00Bcc: {VICTIM}\r\n{INJECTED_HEADER}: yes",
    "unicode-separators": f"Hello\u2028Bcc: {VICTIM}\u0085{INJECTED_HEADER}: yes",
    "body-takeover": f"Hello\r\n\r\n{INJECTED_HEADER}: yes, and a body of our own",
}
TARGETS = ("subject-b", "subject-q", "from-name", "reply-to-name", "to-name", "message-id",
           "references", "in-reply-to")  # fmt: skip


def encoded_word(text: str, encoding: str = "b") -> str:
    data = text.encode("utf-8")
    if encoding == "b":
        return f"=?utf-8?b?{base64.b64encode(data).decode()}?="
    quoted = "".join(chr(b) if chr(b).isalnum() else f"={b:02X}" for b in data)
    return f"=?utf-8?q?{quoted}?="


def _injection(case_id: str, kit: Kit, target: str, payload: str) -> bytes:
    sender = stranger(case_id)
    words = encoded_word(PAYLOADS[payload], "q" if target == "subject-q" else "b")
    h = dict(head(case_id, sender, kit.intake, dmarc=False))
    if target.startswith("subject"):
        h["Subject"] = words
    elif target == "from-name":
        h["From"] = f"{words} <{sender}>"
    elif target == "reply-to-name":
        h["Reply-To"] = f"{words} <{sender}>"
    elif target == "to-name":
        h["To"] = f"{words} <{kit.intake}>"
    elif target == "message-id":
        h["Message-ID"] = h["Message-ID"] + "\r\n " + words
    else:
        header = "References" if target == "references" else "In-Reply-To"
        h[header] = f"<earlier@hostile.example>\r\n {words}"
    return message(list(h.items()))


def _folded_injection(case_id: str, kit: Kit, shape: str) -> bytes:
    sender = stranger(case_id)
    h = dict(head(case_id, sender, kit.intake, dmarc=False))
    if shape == "folded-bcc-in-subject":
        h["Subject"] = f"Hello\r\n Bcc: {VICTIM}\r\n\t{INJECTED_HEADER}: yes"
    elif shape == "percent-encoded":
        h["Subject"] = f"Hello%0d%0aBcc:%20{VICTIM}%0d%0a{INJECTED_HEADER}:%20yes"
    elif shape == "two-hundred-injections":
        h["Subject"] = "\r\n ".join([encoded_word(PAYLOADS["crlf"])] * 200)
    elif shape == "rfc2231-in-from":
        h["From"] = f'"Name\r\n {INJECTED_HEADER}: yes" <{sender}>'
    return message(list(h.items()))


def header_injection() -> list[Case]:
    made = []
    for target in TARGETS:
        for payload in PAYLOADS:
            name = f"{target}-{payload}"
            build = partial(_injection, f"header-injection/{name}", target=target, payload=payload)
            made.append(Case("header-injection", name, build, REJECTED, ("unknown-sender",)))
    for shape in ("folded-bcc-in-subject", "percent-encoded", "two-hundred-injections",
                  "rfc2231-in-from"):  # fmt: skip
        build = partial(_folded_injection, f"header-injection/{shape}", shape=shape)
        made.append(Case("header-injection", shape, build, REJECTED, ("unknown-sender",)))
    return made


# Where a file name might lead a careless writer: out of the attachment store, to an absolute
# path, to a device. ESCAPE names a folder a test checks was never made.
ESCAPE = "/tmp/ehcp-hostile-escape"
TRAVERSAL_NAMES = {
    "dot-dot-slash": "../../../../../../../../tmp/ehcp-hostile-escape/up.pdf",
    "dot-dot-backslash": "..\\..\\..\\..\\tmp\\ehcp-hostile-escape\\back.pdf",
    "absolute": f"{ESCAPE}/absolute.pdf",
    "absolute-etc": "/etc/cron.d/ehcp-hostile",
    "windows-drive": "C:\\ehcp-hostile-escape\\drive.pdf",
    "unc-path": "\\\\server\\share\\ehcp-hostile.pdf",
    "doubled-dots": "....//....//....//ehcp-hostile-doubled.pdf",
    "percent-encoded": "..%2f..%2f..%2fehcp-hostile-percent.pdf",
    "percent-encoded-dots": "%2e%2e%2f%2e%2e%2fehcp-hostile-dots.pdf",
    "only-dot-dot": "..",
    "only-dot": ".",
    "home": "~/.ssh/authorized_keys",
    "deep-climb": "../" * 300 + "ehcp-hostile-deep.pdf",
    "very-long": "a" * 5000 + ".pdf",
    "device-con": "CON",
    "device-aux": "aux.pdf",
    "dot-slash-climb": "./../ehcp-hostile-dot.pdf",
    "rtl-override": "\u202efdp.exe",
    "division-slash": "..\u2215..\u2215ehcp-hostile-division.pdf",
    "fullwidth-dots": "\uff0e\uff0e/\uff0e\uff0e/ehcp-hostile-fullwidth.pdf",
    "newline": "report\n../../ehcp-hostile-newline.pdf",
    "nul-then-climb": "report\x00../../ehcp-hostile-nul.pdf",
    "trailing-dot-space": "../ehcp-hostile-trailing.pdf. ",
    "symlink-like": "/proc/self/root/tmp/ehcp-hostile-proc.pdf",
    "mixed-separators": "..\\/..\\/ehcp-hostile-mixed.pdf",
}


def _traversal(case_id: str, kit: Kit, filename: str) -> bytes:
    h = head(case_id, kit.professional, kit.case_address, subject="More documents")
    files = [attachment_part(filename, SCAN, "application/octet-stream")]
    return multipart(h, [text_part("Two more reports for the request.\r\n"), *files])


# Names refused for what they are rather than kept: a 5,000-character name makes a Content
# header no mail program writes (the body is not read), and ".exe" stays a program when an
# RTL override makes it look like ".pdf" backwards.
REFUSED_NAMES = {
    "very-long": ("message-unreadable",),
    "rtl-override": ("attachment-type-refused",),
}


def path_traversal() -> list[Case]:
    made = []
    for name, filename in TRAVERSAL_NAMES.items():
        build = partial(_traversal, f"path-traversal/{name}", filename=filename)
        if name in REFUSED_NAMES:
            made.append(Case("path-traversal", name, build, REJECTED, REFUSED_NAMES[name]))
        else:
            made.append(Case("path-traversal", name, build, ACCEPTED, ("documents-added",)))
    return made


def _nul(case_id: str, kit: Kit, shape: str) -> bytes:
    h = _from_professional(case_id, kit)
    swap = dict(h)
    pdf_part = b"Content-Type: application/pdf\r\n\r\n" + SCAN
    if shape == "subject":
        swap["Subject"] = "Re: form\x00attached"
    elif shape == "from-name":
        swap["From"] = f"Jane\x00Senco <{kit.professional}>"
    elif shape == "message-id":
        swap["Message-ID"] = f"<nul\x00{swap['Message-ID'][1:]}"
    elif shape == "references":
        swap["References"] = "<a\x00b@hostile.example>"
    elif shape == "header-name":
        swap["X-\x00Nul"] = "v"
    elif shape == "body":
        return message(h, b"Dear team,\x00\x00\x00 the form.\r\n")
    elif shape == "boundary":
        return multipart(h, [text_part(), pdf_part], boundary="a\x00b")
    elif shape == "content-type":
        return multipart(h, [b"Content-Type: application/pdf\x00; name=x.pdf\r\n\r\n" + SCAN])
    elif shape == "charset":
        return multipart(h, [b'Content-Type: text/plain; charset="utf\x00-8"\r\n\r\ntext'])
    elif shape == "base64-body":
        part = b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        return multipart(h, [part + base64.b64encode(b"\x00" * 300) + b"\x00\x00"])
    elif shape == "filename-quoted":
        return multipart(h, [attachment_part("scan\x00.pdf", SCAN, raw_filename=True)])
    elif shape == "filename-rfc2231":
        return multipart(h, [attachment_part("scan\x00evil.pdf", SCAN)])
    elif shape == "line-between-headers":
        return header_block(h[:2]) + b"\x00\r\n" + message(h[2:])
    elif shape == "every-other-byte":
        return b"\x00".join(bytes([c]) for c in message(h))
    return message(list(swap.items()))


NUL_SHAPES = {
    "subject": NO_FORM,
    "from-name": NO_FORM,
    "message-id": NO_FORM,
    "references": NO_FORM,
    "header-name": NO_FORM,
    "body": NO_FORM,
    "boundary": ("pdf-unreadable",),
    "content-type": ("pdf-unreadable",),
    "charset": NO_FORM,
    "base64-body": ("pdf-unreadable",),
    "filename-quoted": ("pdf-unreadable",),
    "filename-rfc2231": ("pdf-unreadable",),
    "line-between-headers": NO_FORM,
    "every-other-byte": ("sender-missing",),
}


def nul_bytes() -> list[Case]:
    return [
        Case("nul-bytes", shape, partial(_nul, f"nul-bytes/{shape}", shape=shape), REJECTED, codes)
        for shape, codes in NUL_SHAPES.items()
    ]


def cases() -> list[Case]:
    return [*header_injection(), *path_traversal(), *nul_bytes()]
