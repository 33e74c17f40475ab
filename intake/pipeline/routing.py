"""Routing: which form, case or person a message answers. An ordered, first-match table:

form-token               a PDF of ours is attached: its signed token says what it answers
plus-address             sent to intake+TOKEN@...: a reply to a personal form, without it
our-thread               References name one of our emails: a reply to us, without a form
registered-professional  from an account's address, with no form of ours
unknown-sender           anyone else (the catch-all)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import FormCheck, TokenCheck, check_pdf, verify_token
from intake.cases.accounts import find_professional
from intake.parse.message import Attachment, ParsedMessage
from intake.services import Services
from store import OutboxMessage, Professional

# documents.tokens: TOKEN_LENGTH, and LEGACY_TOKEN_LENGTH for forms sent before nonces.
_PLUS_TOKEN = re.compile(r"\+([a-z2-7]{42}|[a-z2-7]{36})@", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    name: str
    sender: Professional | None
    form: FormCheck | None = None
    pdf: Attachment | None = None
    token: str | None = None
    token_check: TokenCheck | None = None
    thread_email: OutboxMessage | None = None
    # PDFs that were attached but are not readable forms of ours, with what each turned out to be.
    unreadable: list[tuple[Attachment, FormCheck]] = field(default_factory=list)


@dataclass(frozen=True)
class RoutingInput:
    services: Services
    session: Session
    parsed: ParsedMessage
    envelope_to: Sequence[str]
    sender: Professional | None
    checks: list[tuple[Attachment, FormCheck]]


def by_form_token(given: RoutingInput) -> Route | None:
    for pdf, check in given.checks:
        if check.readable:
            return Route("form-token", given.sender, check, pdf, check.token_text, check.token)
    return None


def by_plus_address(given: RoutingInput) -> Route | None:
    for address in [*given.envelope_to, *given.parsed.to, *given.parsed.cc]:
        if m := _PLUS_TOKEN.search(address):
            token = m.group(1).lower()
            verdict = verify_token(given.services.key, token, today=given.services.today())
            return Route("plus-address", given.sender, token=token, token_check=verdict)
    return None


def by_our_thread(given: RoutingInput) -> Route | None:
    ids = [given.parsed.in_reply_to, *given.parsed.references]
    wanted = [f"<{i}>" if not i.startswith("<") else i for i in ids if i]
    if not wanted:
        return None
    email = given.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id.in_(wanted)).limit(1)
    )
    return Route("our-thread", given.sender, thread_email=email) if email else None


def by_registered_sender(given: RoutingInput) -> Route | None:
    return Route("registered-professional", given.sender) if given.sender else None


def unknown_sender(given: RoutingInput) -> Route:
    return Route("unknown-sender", None)


ROUTES: tuple[tuple[str, Callable[[RoutingInput], Route | None]], ...] = (
    ("form-token", by_form_token),
    ("plus-address", by_plus_address),
    ("our-thread", by_our_thread),
    ("registered-professional", by_registered_sender),
    ("unknown-sender", unknown_sender),
)


def route(
    services: Services, session: Session, parsed: ParsedMessage, envelope_to: Sequence[str]
) -> Route:
    checks = [
        (
            pdf,
            check_pdf(pdf.data, key=services.key, today=services.today(), sandbox=services.sandbox),
        )
        for pdf in parsed.pdfs
    ]
    given = RoutingInput(
        services,
        session,
        parsed,
        envelope_to,
        find_professional(session, parsed.from_address),
        checks,
    )
    unreadable = [(pdf, check) for pdf, check in checks if not check.readable]
    for _name, match in ROUTES:
        found = match(given)
        if found is not None:
            return Route(**{**found.__dict__, "unreadable": unreadable})
    raise AssertionError("the routing table ends with a catch-all")
