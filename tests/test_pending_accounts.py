"""Accounts not yet activated, through the real pipeline: nothing from them is recorded and no
form holding a child's answers goes to them (docs/architecture.md, "Identity and trust").

Every test runs on SQLite and PostgreSQL, and after each one no queued email may name the child.
"""

from __future__ import annotations

import pytest
from mail_factory import (
    attached_files,
    body_texts,
    build_message,
    child_data_in_mail,
    form_reply,
    read_email,
    supporting_file,
)
from sqlalchemy import func, select, update

from documents import check_pdf, get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cases.accounts import add_professional
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form, plus_address
from store import (
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Professional,
    Submission,
    Transport,
)

REQUEST = get_form("request")
PENDING = "new.senco@glanwy.sch.uk"
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
CHILD_DATA = ("Gruffydd", "Gruff", "Nowak-Pryce", "2016-05-14", "14/05/2016")


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert child_data_in_mail(services, CHILD_DATA) == []


@pytest.fixture
def pending(services):
    """An account added but never activated (as `intake professional add` without --activate)."""
    return add_professional(
        services,
        email=PENDING,
        name="Nia Pending",
        role="SENCO",
        organisation="Glan Ŵy Primary School",
        organisation_type="Maintained school",
    )


def deliver(services, raw: bytes, envelope_to: tuple[str, ...] = ()) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE, envelope_to=envelope_to)
    process_all(services)
    with services.db.session() as session:
        return session.get(InboundMessage, captured.inbound_id)


def replies_to(services, message: InboundMessage) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.inbound_message_id == message.id)
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def read_back(services, pdf: bytes):
    return check_pdf(pdf, key=services.key, today=services.today(), sandbox=services.sandbox)


def test_a_valid_request_from_an_account_not_yet_active_is_not_recorded(services, pending):
    token, _ = personal_request_form(services, pending)
    form = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)

    message = deliver(services, form_reply(form, sender=PENDING, files=LISTED))

    assert message.status == InboundStatus.REJECTED
    assert [r["code"] for r in message.reasons] == ["account-not-active"]
    assert (count(services, Case), count(services, Submission)) == (0, 0)
    [row] = replies_to(services, message)
    reply = read_email(row.raw)
    assert (row.kind, reply["To"]) == ("account_not_active", PENDING)
    assert "activation link" in body_texts(reply)[0]
    assert attached_files(reply) == {}


def test_a_reply_without_its_form_to_an_inactive_account_never_carries_the_answers(services, senco):
    token, _ = personal_request_form(services, senco)
    form = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    accepted = deliver(services, form_reply(form, sender=senco.email, files=LISTED))
    assert accepted.status == InboundStatus.ACCEPTED
    with services.db.session() as session:
        # The account is no longer active (its activation undone by the SEND team).
        session.execute(update(Professional).values(is_active=False))
    address = plus_address(services, token)
    raw = build_message(
        headers={"From": senco.email, "To": address},
        body="Can I have my form back?\n",
        message_id="<again@glanwy.sch.uk>",
    )

    message = deliver(services, raw, envelope_to=(address,))

    rows = replies_to(services, message)
    assert rows
    for row in rows:
        for name, data in attached_files(read_email(row.raw)).items():
            if name.endswith(".pdf"):
                back = read_back(services, data)
                assert back.readable, (row.kind, name, back.outcome, back.detail)
                answers = back.validation.answers
                assert answers.get("child_surname") in (None, ""), (row.kind, name)
