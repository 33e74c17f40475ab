"""Who a message can be answered at: one valid mailbox in one From field, and an envelope sender
(Return-Path) that is null or a mailbox too. Anything else gets no reply from us at all.
"""

from __future__ import annotations

from documents import normalise_email
from intake.parse.message import ParsedMessage


def sender_problem(parsed: ParsedMessage) -> str | None:
    """What makes the sender no single valid mailbox, for the caseworker; None when it is one.
    A missing From is `sender-missing`'s to report, not this one's."""
    addresses = _from_addresses(parsed)
    if not addresses:
        return None
    if parsed.from_fields > 1 or len(addresses) > 1:
        count = max(len(addresses), parsed.from_fields)
        return f"{count} From addresses: {', '.join(addresses)[:300]}"
    # email-validator names the flaw: no @-sign, a full-width at-sign, no dot in the domain...
    if normalise_email(addresses[0]) is None:
        return f"From: {addresses[0][:300]}"
    envelope = _envelope_sender(parsed)
    # A null envelope sender marks a bounce, which `null-return-path` ignores; any other must be
    # a mailbox, or the message came from a script or a forger rather than a mail system.
    if envelope and normalise_email(envelope) is None:
        return f"Return-Path: <{envelope[:300]}>"
    return None


def not_one_mailbox(parsed: ParsedMessage, raw_size: int, limits: object) -> str | None:
    """The screening check: see `sender_problem`."""
    return sender_problem(parsed)


def reply_address(parsed: ParsedMessage) -> str:
    """The one mailbox our reply may go to, normalised; "" when there is none."""
    addresses = _from_addresses(parsed)
    if not addresses or sender_problem(parsed) is not None:
        return ""
    return normalise_email(addresses[0]) or ""


def _from_addresses(parsed: ParsedMessage) -> list[str]:
    if parsed.from_addresses:
        return parsed.from_addresses
    return [parsed.from_address] if parsed.from_address else []


def _envelope_sender(parsed: ParsedMessage) -> str:
    """The Return-Path's address: written by the delivering server (Dovecot's LMTP, or our SMTP
    listener from MAIL FROM), so it is the envelope sender."""
    return "".join((parsed.return_path or "").split()).strip("<>")
