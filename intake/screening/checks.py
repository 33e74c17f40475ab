"""Screen a parsed message before routing: automatic mail is ignored and never answered; mail with
no single mailbox to answer is held for a caseworker; mail that is too big, too deeply nested or
carries refused file types is rejected. Every check runs, and each hit or miss is kept so the
verdict can be explained afterwards from the message row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypedDict

from intake.parse.message import ParsedMessage
from intake.reasons import Reason, reason
from intake.screening.attachments import (
    Finding,
    active_pdfs,
    mismatched_content,
    oversize_files,
    refused_by_name,
    refused_content,
)
from intake.screening.automatic_mail import (
    auto_reply,
    auto_submitted,
    daemon_sender,
    delivery_report,
    mailing_list,
    null_return_path,
    own_mail,
    precedence,
)
from intake.screening.senders import not_one_mailbox, reply_address

__all__ = [
    "CHECKS",
    "Check",
    "Finding",
    "ScreenLimits",
    "Screening",
    "reply_address",
    "screen",
    "waive_holds",
]

# "hold" quarantines the message for a caseworker, unanswered; "flag" only records what it saw
# (in the decisions and on the attachment rows) and lets the message go on.
Verdict = Literal["pass", "ignore", "hold", "reject", "flag"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class ScreenLimits:
    """Bounds and identity for screening; `own_marker` is this instance's X-EHCP-Intake value."""

    max_bytes: int = 25 * MIB
    max_attachment_bytes: int = 10 * MIB
    max_parts: int = 100
    max_attachments: int = 30
    max_depth: int = 10
    own_marker: str | None = None
    intake_address: str | None = None


class Decision(TypedDict):
    """One check's outcome as stored on the inbound message row."""

    check: str
    hit: bool
    detail: str


@dataclass(frozen=True)
class Screening:
    """The verdict, the hits behind it, and every check's decision in table order."""

    verdict: Verdict
    reasons: list[Reason]
    decisions: list[Decision]


# A test returns None (or an empty list) when it does not match; else what it saw, as one
# detail, or as a Finding per file, each then a reason of its own.
CheckTest = Callable[[ParsedMessage, int, ScreenLimits], "str | list[Finding] | None"]


@dataclass(frozen=True)
class Check:
    """A named screening check: `test` returns what it saw when it matches (see CheckTest)."""

    name: str
    description: str
    verdict: Verdict
    code: str
    test: CheckTest


# Reject checks: mail we will not read, answered with the reason.


def _unreadable(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    return None if parsed.readable else "; ".join(parsed.defects) or "unparseable"


def _no_sender(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    # A From that is there but no mailbox ("script", a full-width at-sign) is `sender-mailbox`'s.
    return None if parsed.from_address else "no From address"


def _max_size(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    if raw_size <= limits.max_bytes:
        return None
    return f"{raw_size} bytes, limit {limits.max_bytes}"


def _max_parts(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    if parsed.part_count <= limits.max_parts:
        return None
    return f"{parsed.part_count} parts, limit {limits.max_parts}"


def _max_attachments(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    count = len(parsed.attachments)
    return None if count <= limits.max_attachments else f"{count}, limit {limits.max_attachments}"


def _max_depth(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    if parsed.depth <= limits.max_depth:
        return None
    return f"nested {parsed.depth} deep, limit {limits.max_depth}"


def _refused_types(parsed: ParsedMessage, raw_size: int, limits: ScreenLimits) -> str | None:
    refused = [a.filename for a in parsed.attachments if refused_by_name(a)]
    return ", ".join(refused) if refused else None


IGNORED = "ignored, never answered"

CHECKS: tuple[Check, ...] = (
    Check(
        "auto-submitted",
        f"RFC 3834 Auto-Submitted with any value but 'no': {IGNORED}",
        "ignore",
        "auto-submitted",
        auto_submitted,
    ),
    Check(
        "delivery-report",
        f"A bounce or other report (multipart/report, e.g. delivery-status): {IGNORED}",
        "ignore",
        "delivery-report",
        delivery_report,
    ),
    Check(
        "daemon-sender",
        f"From MAILER-DAEMON or postmaster, or X-Failed-Recipients: a bounce, {IGNORED}",
        "ignore",
        "daemon-sender",
        daemon_sender,
    ),
    Check(
        "precedence",
        f"Precedence bulk, list, junk or auto_reply: {IGNORED}",
        "ignore",
        "precedence-bulk",
        precedence,
    ),
    Check(
        "mailing-list",
        f"List-Id or List-Unsubscribe: mailing-list mail, {IGNORED}",
        "ignore",
        "mailing-list",
        mailing_list,
    ),
    Check(
        "auto-reply",
        f"Vacation-program headers (X-Autoreply, X-Autorespond...): {IGNORED}",
        "ignore",
        "auto-reply",
        auto_reply,
    ),
    Check(
        "null-return-path",
        f"Return-Path <>: sent by a mail system, {IGNORED}",
        "ignore",
        "null-return-path",
        null_return_path,
    ),
    Check(
        "own-mail",
        f"Our own mail coming back (our X-EHCP-Intake marker or From our address): {IGNORED}",
        "ignore",
        "own-mail",
        own_mail,
    ),
    Check(
        "unreadable",
        "Bytes that do not parse as a message at all: rejected",
        "reject",
        "message-unreadable",
        _unreadable,
    ),
    Check(
        "no-sender",
        "No usable From address, so no one to verify or answer: rejected",
        "reject",
        "sender-missing",
        _no_sender,
    ),
    Check(
        "sender-mailbox",
        "From is not one valid mailbox (no domain, a full-width at-sign, several addresses or"
        " From fields), or the envelope sender is no mailbox: held for a caseworker, unanswered",
        "hold",
        "sender-not-a-mailbox",
        not_one_mailbox,
    ),
    Check(
        "max-size",
        "Message larger than max_bytes: rejected",
        "reject",
        "message-too-large",
        _max_size,
    ),
    Check(
        "max-parts",
        "More MIME parts than max_parts: rejected",
        "reject",
        "too-many-parts",
        _max_parts,
    ),
    Check(
        "max-attachments",
        "More attachments than max_attachments: rejected",
        "reject",
        "too-many-attachments",
        _max_attachments,
    ),
    Check(
        "max-depth",
        "Parts or forwarded messages nested deeper than max_depth: rejected",
        "reject",
        "nesting-too-deep",
        _max_depth,
    ),
    Check(
        "attachment-size",
        "A file larger than max_attachment_bytes: rejected, naming the file and the limit",
        "reject",
        "attachment-too-large",
        oversize_files,
    ),
    Check(
        "refused-type",
        "Executables, scripts or macro documents attached: rejected",
        "reject",
        "attachment-type-refused",
        _refused_types,
    ),
    Check(
        "refused-content",
        "Programs, scripts or macro documents by their bytes, whatever their names: rejected",
        "reject",
        "attachment-content-refused",
        refused_content,
    ),
    Check(
        "attachment-content",
        "Files whose bytes are another kind than their name says: flagged for the caseworker",
        "flag",
        "attachment-content-mismatch",
        mismatched_content,
    ),
    Check(
        "pdf-active-content",
        "PDFs with JavaScript, automatic actions, XFA, a zip after %%EOF or a web page before"
        " the header: flagged for the caseworker (a form with them is held after routing)",
        "flag",
        "pdf-active-content",
        active_pdfs,
    ),
)


def waive_holds(screening: Screening) -> Screening:
    """The verdict once a caseworker has released a held message: the holds waived, every other
    hit standing (a rejection still goes only to an address that is one mailbox)."""
    if screening.verdict != "hold":
        return screening
    holding = {check.name for check in CHECKS if check.verdict == "hold"}
    kept = [r for r in screening.reasons if r.params.get("check") not in holding]
    return Screening("reject" if kept else "pass", kept, screening.decisions)


def screen(
    parsed: ParsedMessage,
    raw_size: int,
    limits: ScreenLimits | None = None,
    checks: tuple[Check, ...] = CHECKS,
) -> Screening:
    """Run every check in table order. Ignore wins over hold and reject: automatic mail is never
    answered, not even with a rejection, or two robots could mail each other forever. Hold wins
    over reject: a rejection to an address that is no single mailbox could reach anyone."""
    limits = limits or ScreenLimits()
    reasons: list[Reason] = []
    decisions: list[Decision] = []
    for check in checks:
        seen = check.test(parsed, raw_size, limits)
        findings = [Finding(seen)] if isinstance(seen, str) else list(seen or [])
        detail = "; ".join(finding.detail for finding in findings)
        decisions.append(Decision(check=check.name, hit=bool(findings), detail=detail))
        if check.verdict != "flag":
            reasons += [
                reason(check.code, check=check.name, detail=f.detail, **f.params) for f in findings
            ]
    hit = {r.params["check"] for r in reasons}
    verdicts = {check.verdict for check in checks if check.name in hit}
    verdict: Verdict = next((v for v in ("ignore", "hold", "reject") if v in verdicts), "pass")
    return Screening(verdict, reasons, decisions)
