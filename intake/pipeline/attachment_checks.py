"""Screening checks on attachments one file at a time: each finding names its file, with the
values its sentence needs (`params`) and the technical detail a caseworker needs (`detail`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intake.parse.message import ParsedMessage

if TYPE_CHECKING:
    from intake.pipeline.screening import ScreenLimits

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Finding:
    """What a check saw in one place: `detail` for the decisions, `params` for the reason."""

    detail: str
    params: dict[str, Any] = field(default_factory=dict)


def oversize_files(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> list[Finding]:
    limit = limits.max_attachment_bytes
    return [
        Finding(
            f"{attachment.filename}: {attachment.size} bytes, limit {limit}",
            {
                "file": attachment.filename,
                "limit": size_in_words(limit),
                "size_bytes": attachment.size,
                "limit_bytes": limit,
            },
        )
        for attachment in parsed.attachments
        if attachment.size > limit
    ]


def size_in_words(size: int) -> str:
    """A size as people write it: 10 MB, 2.5 MB, 512 KB (in units of 1024, as computers show)."""
    if size >= MIB:
        return f"{size // MIB} MB" if size % MIB == 0 else f"{size / MIB:.1f} MB"
    if size >= KIB:
        return f"{size // KIB} KB" if size % KIB == 0 else f"{size / KIB:.1f} KB"
    return f"{size} bytes"
