"""Registration: a pending account and its activation link, by email (the registration form
returned from an unknown address) and by the web form, with its rate limits; and the whole path by
email against the real mail servers, from a stranger's first email to their first request accepted.

Tests run on SQLite and PostgreSQL; after each one no queued email may name the child.
"""

from __future__ import annotations

import re

import pytest
from fill_engines import fill_with_pdfium
from mail_factory import (
    attached_files,
    body_texts,
    build_message,
    child_data_in_mail,
    form_reply,
    read_email,
)
from sqlalchemy import func, select

from documents import get_form, pdf_values
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from store import InboundMessage, InboundStatus, OutboxMessage, Professional, Transport

REGISTRATION = get_form("registration")
STRANGER = "siân.newcomer@glanwy.sch.uk"
CHILD_DATA = ("Gruffydd", "Gruff", "Nowak-Pryce", "2016-05-14", "14/05/2016")
LINK = re.compile(r"(https?://\S+/activate/[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert child_data_in_mail(services, CHILD_DATA) == []


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    with services.db.session() as session:
        return session.get(InboundMessage, captured.inbound_id)


def replies_to(services, message: InboundMessage) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.inbound_message_id == message.id)
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def accounts(services) -> list[Professional]:
    with services.db.session() as session:
        found = list(session.scalars(select(Professional).order_by(Professional.id)))
        session.expunge_all()
        return found


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def ask_to_register(services, sender: str = STRANGER) -> tuple[OutboxMessage, bytes]:
    """A stranger writes in; the reply with the registration PDF, and that PDF."""
    first = deliver(
        services,
        build_message(
            headers={"From": sender}, body="How do I send a request?\n", message_id="<q1@x.example>"
        ),
    )
    [row] = replies_to(services, first)
    assert row.kind == "registration_form"
    return row, attached_files(read_email(row.raw))["registration-form.pdf"]


def filled_registration(pdf: bytes, **changes) -> bytes:
    return fill_with_pdfium(pdf, pdf_values(REGISTRATION, {**REGISTRATION.example, **changes}))


def reply_with_registration(
    services, asked: OutboxMessage, pdf: bytes, sender: str = STRANGER, message_id="<r1@x.example>"
) -> InboundMessage:
    raw = form_reply(
        pdf,
        sender=sender,
        to=services.settings.address,
        filename="registration-form.pdf",
        message_id=message_id,
        headers={"In-Reply-To": asked.message_id, "Subject": f"Re: {asked.subject}"},
    )
    return deliver(services, raw)


def test_a_registration_form_returned_by_email_opens_a_pending_account_and_sends_the_link(
    services,
):
    asked, blank = ask_to_register(services)

    message = reply_with_registration(services, asked, filled_registration(blank))

    assert message.status == InboundStatus.ACCEPTED
    [account] = accounts(services)
    assert account.email == STRANGER and not account.is_active
    assert (account.name, account.role) == ("Siân Llewelyn-Łukasz", "SENCO")
    assert account.organisation_name == "Glan Ŵy Primary School"
    [row] = replies_to(services, message)
    email = read_email(row.raw)
    assert (row.kind, row.to_address, email["In-Reply-To"]) == (
        "activation_link",
        STRANGER,
        "<r1@x.example>",
    )
    text, html = body_texts(email)
    link = LINK.search(text).group(1)
    assert link.startswith(services.settings.base_url + "/activate/")
    assert link in html
    assert attached_files(email) == {}
