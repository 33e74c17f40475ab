"""A reply to one of our one-time-code emails: the code in its fresh text judged for the message
it was sent about, which is released (processed again, as from a proven sender) on the right code.

The reply itself ends `accepted` when the code was right, `rejected` otherwise; a wrong code is
counted towards the account's lock (`intake.accounts.codes`), and a code no longer live asks for
the form again.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from intake.accounts.codes import CodeResult
from intake.pipeline.context import Context
from intake.pipeline.routing import Match, RoutingInput
from intake.pipeline.trust import release_held_submission
from intake.reasons import reason
from store import InboundStatus, OutboxMessage

CODE_EMAIL = "one_time_code"
# Six digits, perhaps written in two groups of three ("123 456").
_CODE = re.compile(r"(?<!\d)(\d{3}) ?(\d{3})(?!\d)")

# What each outcome is called on the reply message, and whether the sender is told.
OUTCOMES = {
    CodeResult.OK: ("code-accepted", InboundStatus.ACCEPTED, False),
    CodeResult.WRONG: ("code-wrong", InboundStatus.REJECTED, True),
    CodeResult.EXPIRED: ("code-expired", InboundStatus.REJECTED, True),
    # The owner was emailed when the account locked; nothing more is sent.
    CodeResult.LOCKED: ("code-locked", InboundStatus.REJECTED, False),
}


def by_code_reply(given: RoutingInput) -> Match | None:
    """A reply whose In-Reply-To or References name a code email we sent about a message."""
    ids = [given.parsed.in_reply_to, *given.parsed.references]
    wanted = [i if i.startswith("<") else f"<{i}>" for i in ids if i]
    if not wanted:
        return None
    email = given.session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.message_id.in_(wanted),
            OutboxMessage.kind == CODE_EMAIL,
            OutboxMessage.inbound_message_id.is_not(None),
        )
        .limit(1)
    )
    return Match("code-reply", given.sender, thread_email=email) if email else None


def code_in(text: str) -> str | None:
    """The code in a reply's fresh text; the quoted history (our own email) is never read, so
    quoting the code email back is not taken as giving the code."""
    found = _CODE.search(text)
    return found.group(1) + found.group(2) if found else None


def on_code_reply(ctx: Context, found: Match) -> None:
    email = found.thread_email
    sender = found.sender
    # Only from the address the code went to: another account's reply cannot release it.
    if sender is None or sender.email.lower() != email.to_address.lower():
        ctx.finish(InboundStatus.REJECTED, [reason("code-not-yours")])
        return
    code = code_in(ctx.parsed.text_body)
    if code is None:
        ctx.finish(InboundStatus.REJECTED, [reason("code-missing")])
        ctx.reply("code_reply", {"reason": reason("code-missing").sentence()})
        return
    result = release_held_submission(
        ctx.services, ctx.session, sender, code, email.inbound_message_id
    )
    code_name, status, tell = OUTCOMES[result]
    outcome = reason(code_name, held_message=email.inbound_message_id)
    ctx.finish(status, [outcome])
    if tell and ctx.can_reply():
        ctx.reply("code_reply", {"reason": outcome.sentence()})
