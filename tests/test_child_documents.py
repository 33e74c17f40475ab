"""What may travel: a PDF holding a child's data (a receipt, a form returned with its answers, an
advice form pre-filled with the child's details) goes attached only to an activated account in a
trusted domain, or encrypted (AES-256) with the professional's document password, or not at all,
the email then saying it waits in the portal. Blank forms and specimens travel freely. An
encrypted form the professional fills in PDFium and saves is read back with their password.
"""

from __future__ import annotations

import dataclasses
import io

import pypdf
import pytest
from conftest import SENCO
from fill_engines import fill_with_pdfium, fill_with_pypdf
from mail_factory import (
    attached_files,
    body_texts,
    build_message,
    form_reply,
    read_email,
    supporting_file,
)
from sqlalchemy import select
from test_advice import (  # noqa: F401 (adviser is a fixture)
    ADVICE,
    ADVISER,
    REPORTS,
    advice_request,
    adviser,
    ask,
    make_case,
    prefilled_names,
    returned_answers,
)

from documents import get_form, pdf_values, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.accounts.document_passwords import (
    document_password,
    encrypt_pdf,
    set_document_password,
)
from intake.cases.accounts import add_professional
from intake.child_documents import Carriage, carriage, in_trusted_domain
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import Thread, personal_request_form, send_request_form
from intake.settings import SettingsError, load_settings
from store import InboundMessage, InboundStatus, OutboxMessage, Professional, Transport

REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
PASSWORD = "Kettle-Harbour-42"
BASE_URL = "https://send.example.gov.uk/portal"


def trust(services, *domains: str) -> None:
    """This test's INTAKE_TRUSTED_DOMAINS (and portal address)."""
    services.settings = dataclasses.replace(
        services.settings, trusted_domains=domains, base_url=BASE_URL
    )


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    with services.db.session() as session:
        message = session.get(InboundMessage, captured.inbound_id)
        session.expunge(message)
        return message


def replies(services, kind: str):
    with services.db.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        return [read_email(row.raw) for row in rows.all()]


def professional(services, email: str) -> Professional:
    with services.db.session() as session:
        found = session.scalar(select(Professional).where(Professional.email == email))
        session.expunge(found)
        return found


def send_valid_request(services, senco) -> InboundMessage:
    token, personal = personal_request_form(services, senco)
    pdf = fill_with_pypdf(personal.data, pdf_values(REQUEST, REQUEST_EXAMPLE))
    raw = form_reply(pdf, sender=SENCO, message_id="<r1@glanwy.sch.uk>", files=LISTED)
    return deliver(services, raw)


def is_aes_256(pdf: bytes) -> bool:
    encrypt = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Encrypt"].get_object()
    return (encrypt["/V"], encrypt["/R"]) == (5, 6)


def opens(pdf: bytes, password: str = "") -> bool:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return not reader.is_encrypted or reader.decrypt(password) != pypdf.PasswordType.NOT_DECRYPTED


# --- the setting and the domains -----------------------------------------------------------------


def test_trusted_domains_are_read_from_a_comma_separated_setting(tmp_path) -> None:
    def settings(value: str | None):
        environ = {"INTAKE_HOME": str(tmp_path)}
        if value is not None:
            environ["INTAKE_TRUSTED_DOMAINS"] = value
        return load_settings(environ=environ, toml_path=None)

    assert settings(None).trusted_domains == ()
    assert settings("nhs.net, *.gov.uk,*.SCH.uk").trusted_domains == (
        "nhs.net",
        "*.gov.uk",
        "*.sch.uk",
    )
    for bad in ("nhs..net", "*", "localhost", "a@nhs.net", "*.*.uk"):
        with pytest.raises(SettingsError, match="INTAKE_TRUSTED_DOMAINS"):
            settings(bad)


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("gp@nhs.net", True),
        ("Dr Ann <Ann@NHS.NET>", True),
        ("gp@practice.nhs.net", False),  # nhs.net itself, not its subdomains
        ("senco@glanwy.sch.uk", True),
        ("x@deep.down.sch.uk", True),
        ("x@sch.uk", False),  # "*.sch.uk" means a subdomain
        ("x@evilsch.uk", False),
        ("x@sch.uk.evil.example", False),
        ("x@gmail.com", False),
    ],
)
def test_a_domain_is_trusted_exactly_or_by_subdomain_wildcard(address, trusted) -> None:
    assert in_trusted_domain(address, ("nhs.net", "*.sch.uk")) is trusted


# --- the document password -----------------------------------------------------------------------


def test_the_document_password_is_kept_encrypted_with_the_service_key(services, senco) -> None:
    assert document_password(services, professional(services, SENCO)) is None
    assert set_document_password(services, senco, "short") == "password-too-short"
    assert set_document_password(services, senco, PASSWORD) is None

    stored = professional(services, SENCO)
    assert stored.document_password and PASSWORD not in stored.document_password
    assert document_password(services, stored) == PASSWORD
    # Another service's key cannot open it.
    other = dataclasses.replace(services, key=b"another key altogether")
    assert document_password(other, stored) is None


def test_an_encrypted_pdf_needs_the_password_and_is_aes_256() -> None:
    pdf = render_form(REQUEST, values=REQUEST_EXAMPLE, token="t" * 36)
    locked = encrypt_pdf(pdf, PASSWORD)
    assert is_aes_256(locked)
    assert not opens(locked) and not opens(locked, "wrong password")
    assert opens(locked, PASSWORD)
    assert b"Gruffydd" not in locked and b"Nowak" not in locked


# --- who gets a child's documents, and how --------------------------------------------------------


def test_a_receipt_goes_plain_to_a_trusted_domain(services, senco) -> None:
    trust(services, "*.sch.uk")
    assert send_valid_request(services, senco).status == InboundStatus.ACCEPTED
    [email] = replies(services, "confirmation")
    [receipt] = attached_files(email).values()
    assert not pypdf.PdfReader(io.BytesIO(receipt)).is_encrypted
    assert "A receipt listing your answers step by step is attached." in body_texts(email)[0]


def test_a_receipt_goes_encrypted_with_the_document_password(services, senco) -> None:
    trust(services, "nhs.net")
    set_document_password(services, senco, PASSWORD)
    assert send_valid_request(services, senco).status == InboundStatus.ACCEPTED
    [email] = replies(services, "confirmation")
    [receipt] = attached_files(email).values()
    assert is_aes_256(receipt) and opens(receipt, PASSWORD) and not opens(receipt)
    assert "open it with the document\npassword you chose" in body_texts(email)[0]


def test_without_trust_or_password_the_receipt_waits_in_the_portal(services, senco) -> None:
    trust(services)
    assert send_valid_request(services, senco).status == InboundStatus.ACCEPTED
    [email] = replies(services, "confirmation")
    assert attached_files(email) == {}
    text, html = body_texts(email)
    assert "is attached" not in text
    assert "waiting for you in the portal. Sign in at " + BASE_URL in text
    assert f'<a href="{BASE_URL}">Sign in</a>' in html


def test_a_form_returned_with_its_answers_is_withheld_too(services, senco) -> None:
    trust(services)
    token, personal = personal_request_form(services, senco)
    wrong = {**REQUEST_EXAMPLE, "date_of_birth": "2036-05-14"}
    pdf = fill_with_pypdf(personal.data, pdf_values(REQUEST, wrong))
    message = deliver(services, form_reply(pdf, sender=SENCO, message_id="<r2@glanwy.sch.uk>"))
    assert message.status == InboundStatus.REJECTED
    [email] = replies(services, "problems")
    assert attached_files(email) == {}
    assert "Your form holds the child's details, so it is not attached" in body_texts(email)[0]


def test_blank_forms_and_specimens_travel_freely(services, senco) -> None:
    trust(services)
    with services.db.session() as session:
        send_request_form(services, session, senco, Thread(SENCO, None, (), None))
    stranger = form_reply(b"%PDF-1.4\n%%EOF\n", sender="someone@elsewhere.example.com")
    deliver(services, stranger)
    [personal] = replies(services, "request_form")
    [registration] = replies(services, "registration_form")
    assert list(attached_files(personal)) == ["request-form.pdf"]
    assert list(attached_files(registration)) == ["registration-form.pdf"]
    assert not any(
        pypdf.PdfReader(io.BytesIO(pdf)).is_encrypted
        for email in (personal, registration)
        for pdf in attached_files(email).values()
    )


def test_an_account_not_yet_activated_gets_no_child_documents(services) -> None:
    trust(services, "*.sch.uk")
    pending = add_professional(
        services, email="new@school.sch.uk", name="N", role="SENCO", organisation="O"
    )
    set_document_password(services, pending, PASSWORD)
    with services.db.session() as session:
        assert carriage(services, session, "new@school.sch.uk") == (Carriage.WITHHELD, None)
        assert carriage(services, session, "nobody@school.sch.uk") == (Carriage.WITHHELD, None)
        assert carriage(services, session, SENCO.upper()) == (Carriage.WITHHELD, None)


# --- an encrypted advice form, filled in PDFium and sent back ---------------------------------


def ask_encrypted(services, adviser):  # noqa: F811
    trust(services, "*.sch.uk")  # not the adviser's (eps.example.gov.uk)
    set_document_password(services, adviser, PASSWORD)
    reference = ask(services, make_case(services))
    [email] = replies(services, "advice_request")
    [form] = attached_files(email).values()
    return advice_request(services, reference), email, form


def test_the_advice_form_goes_encrypted_and_comes_back_filled_in_pdfium(services, adviser) -> None:  # noqa: F811
    request, email, form = ask_encrypted(services, adviser)
    assert is_aes_256(form) and not opens(form) and opens(form, PASSWORD)

    mine = {k: v for k, v in returned_answers(request).items() if k not in prefilled_names()}
    filled = fill_with_pdfium(form, pdf_values(ADVICE, mine), password=PASSWORD)
    assert pypdf.PdfReader(io.BytesIO(filled)).is_encrypted  # PDFium saved it still encrypted
    reply = form_reply(
        filled, sender=ADVISER, to=email["Reply-To"], filename="advice-form.pdf", files=REPORTS
    )
    message = deliver(services, reply)

    assert (message.status, message.reasons) == (InboundStatus.ACCEPTED, [])
    [confirmation] = replies(services, "advice_received")
    [receipt] = attached_files(confirmation).values()
    assert opens(receipt, PASSWORD) and not opens(receipt)


def test_an_encrypted_form_from_another_account_is_not_opened_with_the_owners_password(
    services,
    adviser,  # noqa: F811
) -> None:
    request, email, form = ask_encrypted(services, adviser)
    colleague = add_professional(
        services, email="colleague@ep.example.org", name="C", role=ADVICE.example["author_role"],
        organisation="O", activate=True,
    )  # fmt: skip
    set_document_password(services, colleague, "a different password")
    mine = {k: v for k, v in returned_answers(request).items() if k not in prefilled_names()}
    filled = fill_with_pdfium(form, pdf_values(ADVICE, mine), password=PASSWORD)
    reply = form_reply(filled, sender=colleague.email, to=email["Reply-To"], files=REPORTS)

    message = deliver(services, reply)

    assert message.status == InboundStatus.REJECTED
    # The form and the report (a PDF that is not a form) both stay unread.
    assert [(r["code"], r["params"]["outcome"]) for r in message.reasons] == [
        ("pdf-unreadable", "encrypted"),
        ("pdf-unreadable", "malformed"),
    ]
    # The colleague gets a fresh form of their own, holding no child's data.
    [sent] = replies(services, "request_form")
    assert list(attached_files(sent)) == ["request-form.pdf"]
    assert "Attachment 1 is protected with a password" in " ".join(body_texts(sent)[0].split())


# --- file names are the sender's words, and often name the child --------------------------------


def test_a_missing_file_is_named_by_its_row_not_its_file_name(services, adviser) -> None:  # noqa: F811
    trust(services, "*.gov.uk")
    request = advice_request(services, ask(services, make_case(services)))
    [email] = replies(services, "advice_request")
    [form] = attached_files(email).values()
    mine = {k: v for k, v in returned_answers(request).items() if k not in prefilled_names()}
    filled = fill_with_pypdf(form, pdf_values(ADVICE, mine))
    # The form lists "EP-advice-Gruffydd-Nowak-Pryce.pdf" in step 7; only the other file comes.
    reply = form_reply(filled, sender=ADVISER, to=email["Reply-To"], files=REPORTS[1:])

    message = deliver(services, reply)

    assert [r["code"] for r in message.reasons] == ["file-not-attached"]
    [problems] = replies(services, "problems")
    text = " ".join(body_texts(problems)[0].split())
    assert (
        "no attachment with the file name given in “Documents attached to your email, row 1:"
        in text
    )


def test_the_requesters_own_form_sent_again_with_their_answers_is_withheld_too(
    services, senco
) -> None:
    trust(services)
    assert send_valid_request(services, senco).status == InboundStatus.ACCEPTED
    [confirmation] = replies(services, "confirmation")
    # A reply to our confirmation with no form: their form comes back with their latest answers.
    no_form = build_message(
        headers={"From": SENCO, "To": confirmation["Reply-To"],
                 "In-Reply-To": confirmation["Message-ID"]},
        message_id="<r3@glanwy.sch.uk>",
    )  # fmt: skip
    message = deliver(services, no_form)

    assert [r["code"] for r in message.reasons] == ["no-form-attached"]
    [email] = replies(services, "request_form")
    assert attached_files(email) == {}
    text = " ".join(body_texts(email)[0].split())
    assert "Your form is in the portal" in text and "waiting for you in the portal" in text
