"""Hostile mail by quantity: thousands of parts or attachments, nesting hundreds deep, huge
headers, and mail or files past the size limits. Each is built from repeated chunks, so even the
10,000-part and 26 MB cases take milliseconds to make.
"""

from __future__ import annotations

from functools import partial

from hostile import Case, Kit
from hostile.mime_cases import NO_FORM, REJECTED, _from_professional
from hostile.writing import (
    SCAN,
    attachment_part,
    base64_lines,
    head,
    message,
    multipart,
    text_part,
)

TINY_PART = b"Content-Type: text/plain\r\n\r\nx"
MB = 1024 * 1024


def _many_parts(case_id: str, kit: Kit, count: int, kind: str) -> bytes:
    h = _from_professional(case_id, kit)
    if kind == "text":
        return multipart(h, [TINY_PART] * count)
    if kind == "empty":
        return multipart(h, [b""] * count)
    if kind == "attachments":
        return multipart(h, [attachment_part(f"scan-{n}.pdf", SCAN) for n in range(count)])
    raise ValueError(kind)


def _nested_multiparts(case_id: str, kit: Kit, depth: int) -> bytes:
    inner = b"Content-Type: application/pdf\r\n\r\n" + SCAN
    for level in range(depth - 1):
        boundary = f"b{level}".encode()
        inner = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--'
            + boundary + b"\r\n" + inner + b"\r\n--" + boundary + b"--\r\n"
        )  # fmt: skip
    return multipart(_from_professional(case_id, kit), [inner], boundary=f"b{depth}")


def _nested_forwards(case_id: str, kit: Kit, depth: int) -> bytes:
    current = message(_from_professional(case_id, kit), b"The innermost note.\r\n")
    for level in range(depth):
        h = head(f"{case_id}-{level}", kit.professional, kit.intake, subject=f"Fwd: {level}")
        forwarded = b"Content-Type: message/rfc822\r\n\r\n" + current
        current = multipart(h, [text_part("See below.\r\n"), forwarded], boundary=f"fwd-{level}")
    return current


def _huge_header(case_id: str, kit: Kit, shape: str) -> bytes:
    h = _from_professional(case_id, kit)
    pdf = [attachment_part("form.pdf", SCAN)]
    if shape == "subject-100k":
        return message([*h, ("X-Subject-Too", "A" * 100_000)])
    if shape == "one-header-1mb":
        return message([*h, ("X-Big", "b" * MB)])
    if shape == "headers-10000":
        return message([*h, *((f"X-H-{n}", "v") for n in range(10_000))])
    if shape == "encoded-words-5000":
        return message([*h, ("Comments", "\r\n ".join(["=?utf-8?q?a=C3=A9?="] * 5000))])
    if shape == "received-1000":
        hop = "from relay.example ([192.0.2.1]) by mx.example; Mon, 1 Dec 2025 10:00:00 +0000"
        return message([("Received", hop)] * 1000 + h)
    if shape == "content-type-5kb":
        long_type = "text/plain; " + "; ".join(f"p{n}=v" for n in range(1200))
        return message([*h, ("MIME-Version", "1.0"), ("Content-Type", long_type)])
    if shape == "content-disposition-300-params":
        params = "".join(f'; a{n}="b"' for n in range(300))
        part = f"Content-Type: application/pdf\r\nContent-Disposition: attachment{params}"
        return multipart(h, [part.encode() + b'; filename="f.pdf"\r\n\r\n' + SCAN])
    if shape == "content-headers-2mb":
        part = f'Content-Type: text/plain; x="{"c" * 3900}"\r\n\r\nx'.encode()
        return multipart(h, [part] * 600)
    if shape == "references-10000":
        ids = " ".join(f"<ref-{n}@elsewhere.example>" for n in range(10_000))
        return message([*h, ("References", ids)])
    if shape == "to-10000":
        to = ", ".join(f"r{n}@elsewhere.example" for n in range(10_000))
        return message([*h, ("Cc", to)])
    if shape == "folded-100k-lines":
        return message([*h, ("X-Folded", "\r\n x" * 100_000)])
    if shape == "message-id-100k":
        h = [item for item in h if item[0] != "Message-ID"]
        return message([*h, ("Message-ID", f"<{'m' * 100_000}@hostile.example>")])
    if shape == "rfc2231-1000-continuations":
        name = "".join(f'; filename*{n}="p{n}"' for n in range(1000))
        return multipart(h, [b"Content-Type: application/pdf\r\nContent-Disposition: attachment"
                             + name.encode() + b"\r\n\r\n" + SCAN])  # fmt: skip
    if shape == "header-name-10k":
        return message([*h, ("X-" + "n" * 10_000, "v")])
    if shape == "many-headers-and-parts":
        return multipart([*h, *((f"X-H-{n}", "v") for n in range(2000))], [TINY_PART] * 90 + pdf)
    raise ValueError(shape)


HUGE_HEADERS = {
    "subject-100k": NO_FORM,
    "one-header-1mb": NO_FORM,
    "headers-10000": NO_FORM,
    "encoded-words-5000": NO_FORM,
    "received-1000": NO_FORM,
    "content-type-5kb": ("message-unreadable",),
    "content-disposition-300-params": ("pdf-unreadable",),
    "content-headers-2mb": ("message-unreadable",),
    "references-10000": NO_FORM,
    "to-10000": NO_FORM,
    "folded-100k-lines": NO_FORM,
    "message-id-100k": NO_FORM,
    "rfc2231-1000-continuations": ("message-unreadable",),  # a 4 KB Content header
    "header-name-10k": NO_FORM,
    "many-headers-and-parts": ("pdf-unreadable",),
}


def _oversize(case_id: str, kit: Kit, shape: str) -> bytes:
    h = _from_professional(case_id, kit)
    if shape == "message-26mb":
        return multipart(h, [text_part(), attachment_part("scan.pdf", SCAN + bytes(19_700_000))])
    if shape == "attachment-11mb":
        return multipart(h, [text_part(), attachment_part("scan.pdf", SCAN + bytes(11 * MB))])
    if shape == "attachment-11mb-unnamed":
        part = (
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        )
        return multipart(h, [text_part(), part + base64_lines(bytes(11 * MB))])
    raise ValueError(shape)


OVERSIZE = {
    "message-26mb": ("message-too-large",),
    "attachment-11mb": ("attachment-too-large",),
    "attachment-11mb-unnamed": ("attachment-too-large",),
}

PART_COUNTS = (101, 150, 250, 500, 1000, 1001, 2000, 5000, 9999, 10_000, 10_001, 10_002, 15_000)


def cases() -> list[Case]:
    made = []
    for count in PART_COUNTS:
        for kind in ("text", "empty"):
            name = f"{kind}-{count}"
            build = partial(_many_parts, f"many-parts/{name}", count=count, kind=kind)
            made.append(Case("many-parts", name, build, REJECTED, ("too-many-parts",)))
    for count in (31, 40, 60, 98):
        name = f"attachments-{count}"
        build = partial(_many_parts, f"many-parts/{name}", count=count, kind="attachments")
        made.append(Case("many-parts", name, build, REJECTED, ("too-many-attachments",)))
    for depth in (11, 12, 20, 50, 99, 200, 500, 1000, 3000):
        name = f"multipart-{depth}"
        build = partial(_nested_multiparts, f"deep-nesting/{name}", depth=depth)
        # Python's parser recurses once per level and gives up (RecursionError) near 1,000.
        codes = ("nesting-too-deep",) if depth < 1000 else ("message-unreadable",)
        made.append(Case("deep-nesting", name, build, REJECTED, codes))
    for depth in (11, 15, 30, 60, 150, 400):
        name = f"forwards-{depth}"
        build = partial(_nested_forwards, f"deep-nesting/{name}", depth=depth)
        made.append(Case("deep-nesting", name, build, REJECTED, ("nesting-too-deep",)))
    for shape, codes in HUGE_HEADERS.items():
        build = partial(_huge_header, f"huge-headers/{shape}", shape=shape)
        made.append(Case("huge-headers", shape, build, REJECTED, codes))
    for shape, codes in OVERSIZE.items():
        build = partial(_oversize, f"oversize/{shape}", shape=shape)
        made.append(Case("oversize", shape, build, REJECTED, codes))
    return made
