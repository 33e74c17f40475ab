"""The routing table: an ordered, first-match list of routes, each a name, a matcher and the
handler that ends the message.

code-reply               a reply to our one-time-code email: the code for a held message
form-token               a PDF of ours is attached: its signed token says what it answers
status                   STATUS asked by email: the timeline, to someone on the case
plus-address             sent to intake+TOKEN@...: a reply to a personal form, without it
our-thread               References name one of our emails: a reply to us, without a form
registered-professional  from an account's address, with no form of ours
unknown-sender           anyone else (the catch-all)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from intake.pipeline.context import Context
from intake.pipeline.handle_form import on_form
from intake.pipeline.handle_reply import on_no_form, on_status
from intake.pipeline.routing import (
    Match,
    RoutingInput,
    by_form_token,
    by_our_thread,
    by_plus_address,
    by_registered_sender,
    by_status_command,
    routing_input,
    unknown_sender,
    unreadable_pdfs,
)
from intake.pipeline.trust import by_code_reply, on_code_reply
from intake.screening.attachments import active_form_reason
from store import InboundStatus


@dataclass(frozen=True)
class Route:
    name: str
    match: Callable[[RoutingInput], Match | None]
    handle: Callable[[Context, Match], None]


ROUTES: tuple[Route, ...] = (
    Route("code-reply", by_code_reply, on_code_reply),
    Route("form-token", by_form_token, on_form),
    Route("status", by_status_command, on_status),
    Route("plus-address", by_plus_address, on_no_form),
    Route("our-thread", by_our_thread, on_no_form),
    Route("registered-professional", by_registered_sender, on_no_form),
    Route("unknown-sender", unknown_sender, on_no_form),
)


def first_match(given: RoutingInput, routes: Sequence[Route] = ROUTES) -> tuple[Route, Match]:
    for row in routes:
        found = row.match(given)
        if found is not None:
            return row, replace(found, unreadable=unreadable_pdfs(given))
    raise AssertionError("the routing table ends with a catch-all")


def route_and_handle(
    ctx: Context, envelope_to: Sequence[str], decisions: list[dict[str, Any]]
) -> Match:
    """Find the message's route, note it in the decisions, and let its handler end it."""
    given = routing_input(ctx.services, ctx.session, ctx.parsed, envelope_to)
    row, found = first_match(given)
    decisions.append({"check": "route", "hit": True, "detail": row.name})
    # Our forms never carry scripts or automatic actions: a form that does was changed since we
    # sent it, so it is held unopened for a person, whatever route it took.
    if (held := active_form_reason(found.pdf)) is not None and not ctx.released:
        decisions.append({"check": "form-active-content", "hit": True, "detail": held.detail})
        ctx.finish(InboundStatus.QUARANTINED, [held], decisions=decisions)
        return found
    ctx.message.decisions = decisions
    row.handle(ctx, found)
    return found
