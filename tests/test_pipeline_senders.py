"""Conversation tests for who writes and what they send: forms from the wrong sender, specimens,
mail without a form, unreadable PDFs and automatic mail, each through the real pipeline, with
the reply (or the silence) that follows.

Every test runs on SQLite and PostgreSQL, and after each one no queued email may name the child.
"""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage
from typing import Any

import hostile_pdfs
import pytest
from mail_factory import (
    attached_files,
    body_texts,
    build_message,
    child_data_in_mail,
    fixture,
    form_reply,
    read_email,
    reply_with_pdf,
    supporting_file,
)
from sqlalchemy import func, select

from documents import SPECIMEN, check_pdf, get_form, issue_token, render_form, tokens
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cases.accounts import add_professional
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form, plus_address
from store import (
    Attachment,
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Submission,
    Transport,
)

REQUEST = get_form("request")
SENCO = "h.michalowska@glanwy.sch.uk"
COLLEAGUE = "o.rees@glanwy.sch.uk"
STRANGER = "someone@elsewhere.example.com"
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
CHILD_DATA = ("Gruffydd", "Gruff", "Nowak-Pryce", "2016-05-14", "14/05/2016")


def register(services, email: str, name: str) -> Any:
    return add_professional(
        services,
        email=email,
        name=name,
        role="SENCO",
        organisation="Glan Ŵy Primary School",
        organisation_type="Maintained school",
        activate=True,
    )


@pytest.fixture
def senco(services):
    return register(services, SENCO, "Hélène Michałowska")


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert child_data_in_mail(services, CHILD_DATA) == []


def deliver(services, raw: bytes, envelope_to: tuple[str, ...] = ()) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE, envelope_to=envelope_to)
    process_all(services)
    with services.db.session() as session:
        return session.get(InboundMessage, captured.inbound_id)


def outbox(services, inbound_id: int | None = None) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if inbound_id is not None:
            query = query.where(OutboxMessage.inbound_message_id == inbound_id)
        return list(session.scalars(query))


def the_reply(services, message: InboundMessage) -> tuple[OutboxMessage, EmailMessage]:
    rows = outbox(services, message.id)
    assert len(rows) == 1, [r.kind for r in rows]
    return rows[0], read_email(rows[0].raw)


def codes(message: InboundMessage) -> list[str]:
    return [r["code"] for r in message.reasons]


def route_of(message: InboundMessage) -> str:
    return next(d["detail"] for d in message.decisions if d["check"] == "route")


def nothing_recorded(services) -> bool:
    with services.db.session() as session:
        return all(
            session.scalar(select(func.count()).select_from(model)) == 0
            for model in (Case, Submission, Attachment)
        )


def read_back(services, pdf: bytes):
    return check_pdf(pdf, key=services.key, today=services.today(), sandbox=services.sandbox)


def valid_form(token: str) -> bytes:
    return render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)


def test_a_valid_form_from_another_sender_is_quarantined_and_not_recorded(services, senco):
    register(services, COLLEAGUE, "Owain Rees")
    token, _ = personal_request_form(services, senco)

    message = deliver(services, form_reply(valid_form(token), sender=COLLEAGUE, files=LISTED))

    assert message.status == InboundStatus.QUARANTINED
    assert message.reasons == [
        {
            "code": "sender-mismatch",
            "step": None,
            "field": None,
            "form": None,
            "params": {"issued_to": senco.id},
        }
    ]
    assert (message.case_id, message.submission_id) == (None, None)
    assert nothing_recorded(services)
    row, reply = the_reply(services, message)
    assert (row.kind, reply["To"]) == ("not_accepted", COLLEAGUE)
    assert "issued to a different email address" in body_texts(reply)[0]
    assert attached_files(reply) == {}


def test_a_specimen_is_answered_with_a_personal_form(services, senco):
    specimen = issue_token(services.key, "request", SPECIMEN, today=services.today())

    message = deliver(services, form_reply(valid_form(specimen), sender=SENCO, files=LISTED))

    assert (message.status, codes(message)) == (InboundStatus.REJECTED, ["specimen-form"])
    assert nothing_recorded(services)
    row, reply = the_reply(services, message)
    assert row.kind == "not_accepted"
    assert "was a specimen" in body_texts(reply)[0]
    personal = read_back(services, attached_files(reply)["request-form.pdf"])
    assert personal.token.valid and not personal.token.specimen
    assert (personal.token.kind, personal.token.professional_id) == ("request", senco.id)
    assert personal.validation.answers["referrer_name"] == "Hélène Michałowska"
    assert reply["Reply-To"] == plus_address(services, personal.token_text)


@pytest.mark.parametrize("with_specimen", [True, False], ids=["specimen", "no-form"])
def test_an_unknown_sender_is_sent_the_registration_form(services, with_specimen):
    specimen = issue_token(services.key, "request", SPECIMEN, today=services.today())
    raw = (
        form_reply(valid_form(specimen), sender=STRANGER)
        if with_specimen
        else build_message(headers={"From": STRANGER}, body="How do I ask for an assessment?\n")
    )

    message = deliver(services, raw)

    assert message.status == InboundStatus.REJECTED
    assert codes(message) == (["specimen-form"] if with_specimen else ["unknown-sender"])
    assert nothing_recorded(services)
    row, reply = the_reply(services, message)
    assert (row.kind, reply["To"]) == ("registration_form", STRANGER)
    assert reply["Subject"] == "Register to send forms to the SEND service"
    registration = read_back(services, attached_files(reply)["registration-form.pdf"])
    assert registration.form.kind == "registration"
    assert registration.token.specimen


def test_a_registered_professional_without_a_form_gets_one_filled_in(services, senco):
    message = deliver(
        services, build_message(headers={"From": SENCO}, body="Please send me the form\n")
    )

    assert (message.status, codes(message)) == (InboundStatus.REJECTED, ["no-form-attached"])
    assert route_of(message) == "registered-professional"
    row, reply = the_reply(services, message)
    assert row.kind == "request_form"
    assert "Dear Hélène Michałowska" in body_texts(reply)[0]
    form = read_back(services, attached_files(reply)["request-form.pdf"])
    assert (form.token.professional_id, form.token.specimen) == (senco.id, False)
    assert reply["Reply-To"] == plus_address(services, form.token_text)
    assert {
        name: form.validation.answers[name]
        for name in ("referrer_name", "referrer_role", "organisation_name", "work_email")
    } == {
        "referrer_name": "Hélène Michałowska",
        "referrer_role": "SENCO",
        "organisation_name": "Glan Ŵy Primary School",
        "work_email": SENCO,
    }


def test_a_reply_to_our_email_without_a_form_gets_the_request_back(services, senco):
    token, _ = personal_request_form(services, senco)
    accepted = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))
    confirmation, _ = the_reply(services, accepted)
    raw = build_message(
        headers={
            "From": SENCO,
            "Subject": f"Re: {confirmation.subject}",
            "In-Reply-To": confirmation.message_id,
            "References": f"<r1@glanwy.sch.uk> {confirmation.message_id}",
        },
        message_id="<r2@glanwy.sch.uk>",
        body="I forgot to attach the form, sorry.\n",
    )

    message = deliver(services, raw)

    assert route_of(message) == "our-thread"
    assert (message.status, codes(message)) == (InboundStatus.REJECTED, ["no-form-attached"])
    row, reply = the_reply(services, message)
    assert row.kind == "request_form"
    assert reply["In-Reply-To"] == "<r2@glanwy.sch.uk>"
    back = read_back(services, attached_files(reply)["request-form.pdf"])
    assert back.token_text == token
    assert back.validation.answers["outcomes_sought"] == REQUEST_EXAMPLE["outcomes_sought"]


def test_mail_to_the_plus_address_without_a_form_gets_that_form_back(services, senco):
    token, _ = personal_request_form(services, senco)
    address = plus_address(services, token)
    raw = build_message(headers={"From": SENCO, "To": address}, body="Which form do I use?\n")

    message = deliver(services, raw, envelope_to=(address,))

    assert route_of(message) == "plus-address"
    assert (message.status, codes(message)) == (InboundStatus.REJECTED, ["no-form-attached"])
    row, reply = the_reply(services, message)
    assert row.kind == "request_form"
    back = read_back(services, attached_files(reply)["request-form.pdf"])
    assert back.token_text == token
    assert back.validation.answers["referrer_name"] == "Hélène Michałowska"
    assert reply["Reply-To"] == address


def test_a_plus_address_token_issued_before_nonces_still_routes(services, senco):
    # A version 1 token (36 characters), as on forms sent before tokens carried a nonce.
    payload = tokens._PAYLOAD_V1.pack(1, tokens.KIND_CODES["request"], senco.id, 0, 3000)
    legacy = tokens._encode(payload + tokens._tag(services.key, payload))
    address = plus_address(services, legacy)
    raw = build_message(headers={"From": SENCO, "To": address}, body="Which form do I use?\n")

    message = deliver(services, raw, envelope_to=(address,))

    assert (len(legacy), route_of(message)) == (36, "plus-address")
    _, reply = the_reply(services, message)
    assert read_back(services, attached_files(reply)["request-form.pdf"]).token_text == legacy


# What each reply says: in words for the professional, never the reader's technical finding.
UNREADABLE = {
    "encrypted": (
        hostile_pdfs.encrypted("user-secret"),
        "encrypted",
        "is protected with a password",
    ),
    "flattened": (hostile_pdfs.flattened(), "no-fields", "has no form fields left"),
    "not-a-pdf": (hostile_pdfs.NOT_PDFS["text"], "not-pdf", "is not a PDF file"),
}


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_unreadable_pdf_is_rejected_with_what_was_wrong(services, senco, kind):
    data, outcome, words = UNREADABLE[kind]

    message = deliver(
        services, reply_with_pdf("completed-form.pdf", data=data, headers={"From": SENCO})
    )

    assert message.status == InboundStatus.REJECTED
    [reason] = message.reasons
    assert reason["code"] == "pdf-unreadable"
    assert reason["params"]["file"] == "completed-form.pdf"
    assert reason["params"]["outcome"] == outcome
    assert len(reason["params"]["detail"]) > 10
    assert nothing_recorded(services)
    row, reply = the_reply(services, message)
    assert row.kind == "request_form"
    text = " ".join(body_texts(reply)[0].split())
    # Named by its place, not by its file name, which may name the child.
    assert f"Attachment 1 {words}" in text and "completed-form.pdf" not in text
    assert reason["params"]["detail"] not in text
    assert "request-form.pdf" in attached_files(reply)


def test_a_pdf_inflating_past_the_cap_is_held_for_a_person_and_not_answered(services, senco):
    bombs = hostile_pdfs.bombs_in_many_fields()

    message = deliver(
        services, reply_with_pdf("completed-form.pdf", data=bombs, headers={"From": SENCO})
    )

    assert message.status == InboundStatus.QUARANTINED
    [reason] = message.reasons
    assert (reason["code"], reason["params"]["outcome"]) == ("pdf-unreadable", "too-much-data")
    assert outbox(services, message.id) == []
    assert nothing_recorded(services)


def dsn_bounce() -> bytes:
    """A delivery-status report, without the Auto-Submitted and null Return-Path it also has,
    so that only its report type and its MAILER-DAEMON sender give it away."""
    lines = fixture("delivery-status-bounce.eml").splitlines(keepends=True)
    return b"".join(
        line for line in lines if not line.startswith((b"Auto-Submitted:", b"Return-Path:"))
    )


@pytest.mark.parametrize("kind", ["auto-replied", "bounce", "our-own-mail"])
def test_automatic_mail_is_ignored_and_never_answered(services, senco, kind):
    token, _ = personal_request_form(services, senco)
    raw = {
        "auto-replied": lambda: form_reply(
            valid_form(token),
            sender=SENCO,
            files=LISTED,
            headers={"Auto-Submitted": "auto-replied"},
        ),
        "bounce": dsn_bounce,
        "our-own-mail": lambda: form_reply(
            valid_form(token),
            sender=SENCO,
            files=LISTED,
            headers={"X-EHCP-Intake": services.instance},
        ),
    }[kind]()

    message = deliver(services, raw)

    assert message.status == InboundStatus.IGNORED
    assert (
        codes(message)
        == {
            "auto-replied": ["auto-submitted"],
            "bounce": ["delivery-report", "daemon-sender"],
            "our-own-mail": ["own-mail"],
        }[kind]
    )
    assert all(r["params"]["detail"] for r in message.reasons)
    assert outbox(services) == []
    assert nothing_recorded(services)


def test_an_oversize_message_is_rejected_with_the_limit(services, senco):
    services.screen_limits = dataclasses.replace(services.screen_limits, max_bytes=50_000)
    token, _ = personal_request_form(services, senco)
    raw = form_reply(valid_form(token), sender=SENCO, files=LISTED)
    assert len(raw) > 50_000

    message = deliver(services, raw)

    assert (message.status, codes(message)) == (InboundStatus.REJECTED, ["message-too-large"])
    assert message.reasons[0]["params"]["detail"] == f"{len(raw)} bytes, limit 50000"
    assert nothing_recorded(services)
    row, reply = the_reply(services, message)
    assert row.kind == "not_accepted"
    # What the check measured is for the caseworker; the professional reads what to do.
    text = body_texts(reply)[0]
    assert "bytes" not in text and "50000" not in text and "limit" not in text
    assert "too large" in text
