"""Accounts not yet active, in the pipeline: a registration form returned from an address with no
active account registers that sending address; a form from (or issued to) an account not yet
active is refused, and nothing holding a child's data is sent to it.
"""

from __future__ import annotations

from sqlalchemy import select

from intake.accounts.registration import register
from intake.pipeline.context import Context
from intake.pipeline.routing import Match
from intake.reasons import Reason, reason
from store import InboundStatus, OutboxMessage, Professional

# Outcomes whose sentence the sender is told in a reply of its own; an activation link (new or
# sent again) is its own reply, and a rate limit is never answered, so that a forged From cannot
# turn registration into a way to fill someone's inbox.
TOLD_BY_REPLY = frozenset({"registration-declined", "registration-address-invalid"})


def register_by_email(ctx: Context, found: Match) -> None:
    """A complete registration form: the address it came from (never one typed in it) gets a
    pending account and its activation link."""
    answers = found.form.validation.answers
    sender = ctx.parsed.from_address or ""
    notes = address_notes(ctx, sender)
    professional, reasons = register(
        ctx.services,
        ctx.session,
        email=sender,
        name=answers.get("name") or "",
        role=answers.get("role") or "",
        organisation=answers.get("organisation_name") or "",
        organisation_type=answers.get("organisation_type"),
        phone=answers.get("work_phone"),
        organisation_id=answers.get("organisation_id"),
        via="email",
        thread=ctx.thread,
        notes=notes,
    )
    status = InboundStatus.ACCEPTED if professional is not None else InboundStatus.REJECTED
    ctx.finish(status, [*reasons, *notes])
    told = [r for r in reasons if r.code in TOLD_BY_REPLY]
    if told and ctx.can_reply():
        ctx.reply("not_accepted", {"reason": told[0].sentence(), "fresh_form": False})


def address_notes(ctx: Context, sender: str) -> list[Reason]:
    """When the reply comes from another address than the one our registration email went to,
    say which address was registered."""
    ids = [ctx.parsed.in_reply_to, *ctx.parsed.references]
    wanted = [i if i.startswith("<") else f"<{i}>" for i in ids if i]
    if not wanted or not sender:
        return []
    asked = ctx.session.scalar(
        select(OutboxMessage.to_address).where(OutboxMessage.message_id.in_(wanted)).limit(1)
    )
    if asked is None or asked.strip().lower() == sender.strip().lower():
        return []
    return [reason("registered-sending-address", address=sender, asked=asked)]


def refuse_if_not_active(ctx: Context, professional: Professional) -> bool:
    """A form from an account not yet active is not recorded; its sender is told to activate.
    True when the message was ended here."""
    if professional.is_active:
        return False
    ctx.finish(InboundStatus.REJECTED, [reason("account-not-active")])
    if ctx.can_reply():
        ctx.reply("account_not_active", {})
    return True


def is_active_sender(found: Match) -> bool:
    return found.sender is not None and found.sender.is_active
