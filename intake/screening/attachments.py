"""Screening checks on attachments one file at a time: each finding names its file, with the
values its sentence needs (`params`) and the technical detail a caseworker needs (`detail`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from intake.parse.message import Attachment, ParsedMessage
from intake.reasons import Reason, reason


class FileLimits(Protocol):
    """What these checks read of screening's limits (`ScreenLimits` has it)."""

    @property
    def max_attachment_bytes(self) -> int: ...


KIB = 1024
MIB = 1024 * KIB

REFUSED_EXTENSIONS = frozenset(
    ".exe .bat .js .vbs .scr .cmd .ps1 .jar .msi .com .pif .hta .wsf .vbe .jse .lnk"
    " .docm .xlsm .pptm .dotm .xltm".split()
)
REFUSED_TYPES = frozenset(
    (
        "application/x-msdownload",
        "application/x-dosexec",
        "application/x-msdos-program",
        "application/x-ms-installer",
        "application/x-msi",
        "application/java-archive",
        "application/vnd.ms-word.document.macroenabled.12",
        "application/vnd.ms-excel.sheet.macroenabled.12",
    )
)


@dataclass(frozen=True)
class Finding:
    """What a check saw in one place: `detail` for the decisions, `params` for the reason."""

    detail: str
    params: dict[str, Any] = field(default_factory=dict)


def oversize_files(parsed: ParsedMessage, raw_size: int, limits: FileLimits) -> list[Finding]:
    limit = limits.max_attachment_bytes
    return [
        Finding(
            f"{attachment.filename}: {attachment.size} bytes, limit {limit}",
            {
                "file": attachment.filename,
                "position": position,
                "limit": size_in_words(limit),
                "size_bytes": attachment.size,
                "limit_bytes": limit,
            },
        )
        for position, attachment in enumerate(parsed.attachments, 1)
        if attachment.size > limit
    ]


def size_in_words(size: int) -> str:
    """A size as people write it: 10 MB, 2.5 MB, 512 KB (in units of 1024, as computers show)."""
    if size >= MIB:
        return f"{size // MIB} MB" if size % MIB == 0 else f"{size / MIB:.1f} MB"
    if size >= KIB:
        return f"{size // KIB} KB" if size % KIB == 0 else f"{size / KIB:.1f} KB"
    return f"{size} bytes"


def refused_by_name(attachment: Attachment) -> bool:
    """A program or macro document by its declared type or its name's extension."""
    # Windows ignores trailing dots and spaces, so "run.exe." still runs.
    extension = "." + attachment.filename.lower().rstrip(". ").rpartition(".")[2]
    return attachment.content_type in REFUSED_TYPES or extension in REFUSED_EXTENSIONS


def refused_content(parsed: ParsedMessage, raw_size: int, limits: FileLimits) -> list[Finding]:
    """Programs, scripts and macro documents by their bytes, whatever they are called; a file
    already refused by its name is left to that check, so the sender hears it once."""
    return [
        _content_finding(attachment, position)
        for position, attachment in enumerate(parsed.attachments, 1)
        if attachment.content.sniffed.refused and not refused_by_name(attachment)
    ]


def mismatched_content(parsed: ParsedMessage, raw_size: int, limits: FileLimits) -> list[Finding]:
    """Files whose bytes are another kind than their name (or type) says: flagged, kept."""
    return [
        _content_finding(attachment, position)
        for position, attachment in enumerate(parsed.attachments, 1)
        if attachment.content.sniffed.mismatch and not attachment.content.sniffed.refused
    ]


def _content_finding(attachment: Attachment, position: int) -> Finding:
    sniffed = attachment.content.sniffed
    expected = "/".join(sniffed.expected) or "nothing in particular"
    return Finding(
        f"{attachment.filename}: {sniffed.kind} by content (first bytes {sniffed.magic}),"
        f" name and type expect {expected}",
        {
            "file": attachment.filename,
            "position": position,
            "found": sniffed.kind,
            "magic": sniffed.magic,
        },
    )


def active_pdfs(parsed: ParsedMessage, raw_size: int, limits: FileLimits) -> list[Finding]:
    """PDFs with JavaScript, automatic actions, XFA or hidden data: flagged, kept."""
    return [
        Finding(
            f"{attachment.filename}: {attachment.content.active.detail}",
            {"file": attachment.filename, "found": list(attachment.content.active.findings)},
        )
        for attachment in parsed.attachments
        if attachment.content.active
    ]


def active_form_reason(form_pdf: Attachment | None) -> Reason | None:
    """The reason to hold a message whose form itself has active content, else None: our forms
    never carry any, so something has changed the file since we sent it."""
    if form_pdf is None or not form_pdf.content.active:
        return None
    active = form_pdf.content.active
    return reason(
        "form-active-content",
        file=form_pdf.filename,
        found=list(active.findings),
        detail=active.detail,
    )
