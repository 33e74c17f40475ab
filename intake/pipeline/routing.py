"""Routing: which form, case or person a message answers. The matchers of the routing table
(`intake.pipeline.routes`), each looking at a message one way and returning a `Match` or None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import FormCheck, TokenCheck, check_pdf, verify_token
from intake.accounts.document_passwords import sender_document_passwords
from intake.cases.accounts import find_professional
from intake.cases.progress import status_request
from intake.parse.message import Attachment, ParsedMessage
from intake.services import Services
from store import OutboxMessage, Professional

# documents.tokens: TOKEN_LENGTH, and LEGACY_TOKEN_LENGTH for forms sent before nonces.
_PLUS_TOKEN = re.compile(r"\+([a-z2-7]{42}|[a-z2-7]{36})@", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    """What a matcher found: the route's name and whatever it learnt on the way."""

    name: str
    sender: Professional | None
    form: FormCheck | None = None
    pdf: Attachment | None = None
    token: str | None = None
    token_check: TokenCheck | None = None
    thread_email: OutboxMessage | None = None
    # PDFs that were attached but are not readable forms of ours, with what each turned out to be.
    unreadable: list[tuple[Attachment, FormCheck]] = field(default_factory=list)
    # For a STATUS command: the reference asked about (may be empty).
    asked: str | None = None


@dataclass(frozen=True)
class RoutingInput:
    services: Services
    session: Session
    parsed: ParsedMessage
    envelope_to: Sequence[str]
    sender: Professional | None
    checks: list[tuple[Attachment, FormCheck]]


def by_form_token(given: RoutingInput) -> Match | None:
    for pdf, check in given.checks:
        if check.readable:
            return Match("form-token", given.sender, check, pdf, check.token_text, check.token)
    return None


def by_plus_address(given: RoutingInput) -> Match | None:
    for address in [*given.envelope_to, *given.parsed.to, *given.parsed.cc]:
        if m := _PLUS_TOKEN.search(address):
            token = m.group(1).lower()
            verdict = verify_token(given.services.key, token, today=given.services.today())
            return Match("plus-address", given.sender, token=token, token_check=verdict)
    return None


def by_our_thread(given: RoutingInput) -> Match | None:
    ids = [given.parsed.in_reply_to, *given.parsed.references]
    wanted = [f"<{i}>" if not i.startswith("<") else i for i in ids if i]
    if not wanted:
        return None
    email = given.session.scalar(
        select(OutboxMessage).where(OutboxMessage.message_id.in_(wanted)).limit(1)
    )
    return Match("our-thread", given.sender, thread_email=email) if email else None


def by_status_command(given: RoutingInput) -> Match | None:
    """STATUS in the subject or first line; the case it names comes from the plus-address or our
    thread when the reply carries one."""
    asked = status_request(given.parsed)
    if asked is None:
        return None
    found = by_plus_address(given) or by_our_thread(given) or Match("status", given.sender)
    return replace(found, name="status", asked=asked)


def by_registered_sender(given: RoutingInput) -> Match | None:
    return Match("registered-professional", given.sender) if given.sender else None


def unknown_sender(given: RoutingInput) -> Match:
    return Match("unknown-sender", None)


def routing_input(
    services: Services, session: Session, parsed: ParsedMessage, envelope_to: Sequence[str]
) -> RoutingInput:
    """Everything the matchers look at, with every attached PDF read once."""
    sender = find_professional(session, parsed.from_address)
    # The token is inside an encrypted form, so only the sending account's password is tried.
    passwords = sender_document_passwords(services, sender)
    checks = [
        (
            pdf,
            check_pdf(
                pdf.data,
                key=services.key,
                today=services.today(),
                sandbox=services.sandbox,
                passwords=passwords,
            ),
        )
        for pdf in parsed.pdfs
    ]
    return RoutingInput(services, session, parsed, envelope_to, sender, checks)


def unreadable_pdfs(given: RoutingInput) -> list[tuple[Attachment, FormCheck]]:
    return [(pdf, check) for pdf, check in given.checks if not check.readable]
