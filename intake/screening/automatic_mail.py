"""Screening checks for automatic mail: auto-replies, bounces, bulk and list mail, and our own
mail coming back. Such mail is ignored and never answered: answering it could start a mail loop
(RFC 3834 section 2).
"""

from __future__ import annotations

import re
from typing import Protocol

from intake.parse.message import ParsedMessage


class OwnIdentity(Protocol):
    """What these checks read of screening's limits (`ScreenLimits` has it): how our own mail
    is known when it comes back."""

    @property
    def own_marker(self) -> str | None: ...

    @property
    def intake_address(self) -> str | None: ...


def auto_submitted(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    value = parsed.auto_submitted
    if value is None or value.split(";")[0].strip().lower() == "no":
        return None
    return f"Auto-Submitted: {value}"


REPORT_BODY_TYPES = frozenset(
    ("message/delivery-status", "message/disposition-notification", "message/feedback-report")
)


def delivery_report(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    if parsed.content_type == "multipart/report":
        return f"multipart/report; report-type={parsed.report_type or 'missing'}"
    # Some mail systems send the machine-readable report alone, without the multipart wrapper.
    return parsed.content_type if parsed.content_type in REPORT_BODY_TYPES else None


def daemon_sender(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    local = (parsed.from_address or "").rpartition("@")[0] or (parsed.from_address or "")
    if local in ("mailer-daemon", "postmaster"):
        return f"From: {parsed.from_address}"
    if parsed.failed_recipients:
        return f"X-Failed-Recipients: {parsed.failed_recipients}"
    return None


def precedence(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    value = (parsed.precedence or "").strip().lower()
    return f"Precedence: {value}" if value in ("bulk", "list", "junk", "auto_reply") else None


def mailing_list(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    if parsed.list_id:
        return f"List-Id: {parsed.list_id}"
    if parsed.list_unsubscribe:
        return "List-Unsubscribe present"
    return None


_AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|autoreply|abwesenheit)",
    re.IGNORECASE,
)
_NEGATIVE = ("", "no", "false", "0")


def auto_reply(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    headers = parsed.autoreply_headers
    for name, value in headers.items():
        if name != "X-Auto-Response-Suppress" and value.strip().lower() not in _NEGATIVE:
            return f"{name}: {value}"
    # A subject alone is not enough: a person may well write "Re: Automatic reply ...". Exchange
    # marks its out-of-office replies with X-Auto-Response-Suppress, which makes two signs.
    if "X-Auto-Response-Suppress" in headers and _AUTOMATIC_SUBJECT.match(parsed.subject):
        return f"Subject: {parsed.subject[:80]} with X-Auto-Response-Suppress"
    return None


def null_return_path(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    if parsed.return_path is None:
        return None
    return "Return-Path: <>" if "".join(parsed.return_path.split()) in ("<>", "") else None


def _base_address(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def own_mail(parsed: ParsedMessage, raw_size: int, limits: OwnIdentity) -> str | None:
    if limits.own_marker and parsed.own_marker == limits.own_marker:
        return f"X-EHCP-Intake: {parsed.own_marker}"
    if limits.intake_address and parsed.from_address:
        if _base_address(parsed.from_address) == _base_address(limits.intake_address):
            return f"From is our intake address {parsed.from_address}"
    return None
