"""Conversation tests for request forms: a professional emails a filled request form through the
real pipeline (capture, screen, route, validate, record) and we read the reply that comes back.

Every test runs on SQLite and PostgreSQL, and after each one no queued email may name the child.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pypdf
import pytest
from conftest import SENCO
from fill_engines import fill_with_pdfium, fill_with_pypdf
from mail_factory import (
    attached_files,
    body_texts,
    child_data_in_mail,
    form_reply,
    read_email,
    supporting_file,
)
from sqlalchemy import func, select

from documents import check_pdf, get_form, pdf_values, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.outcomes import outcome_of
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
    TimelineEvent,
    TimelineKind,
    Transport,
)

REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
# What no email body or subject may carry (docs/architecture.md, "Trust": least data in mail).
CHILD_DATA = ("Gruffydd", "Gruff", "Nowak-Pryce", "2016-05-14", "14/05/2016", "14.05.2016")


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert_no_child_data(services)


def assert_no_child_data(services) -> None:
    assert child_data_in_mail(services, CHILD_DATA) == []


def deliver(services, raw: bytes) -> int:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    return captured.inbound_id


def inbound(services, inbound_id: int) -> InboundMessage:
    with services.db.session() as session:
        return session.get(InboundMessage, inbound_id)


def outbox(services, inbound_id: int | None = None) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if inbound_id is not None:
            query = query.where(OutboxMessage.inbound_message_id == inbound_id)
        return list(session.scalars(query))


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def answers(**changes: Any) -> dict[str, Any]:
    return {**REQUEST_EXAMPLE, **changes}


def filled(token: str, values: Mapping[str, Any]) -> bytes:
    return render_form(REQUEST, values=values, token=token)


def the_reply(services, inbound_id: int):
    rows = outbox(services, inbound_id)
    assert len(rows) == 1, [r.kind for r in rows]
    return rows[0], read_email(rows[0].raw)


def read_back(services, pdf: bytes):
    return check_pdf(pdf, key=services.key, today=services.today(), sandbox=services.sandbox)


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_a_valid_request_opens_a_case_and_is_confirmed_in_the_same_thread(services, senco):
    token, personal = personal_request_form(services, senco)
    # Filled the way a script or viewer fills the PDF we sent, not re-rendered by us.
    pdf = fill_with_pypdf(personal.data, pdf_values(REQUEST, REQUEST_EXAMPLE))
    raw = form_reply(
        pdf, sender=f"Hélène Michałowska <{SENCO}>", message_id="<r1@glanwy.sch.uk>", files=LISTED
    )

    message = inbound(services, deliver(services, raw))

    assert (message.status, message.reasons) == (InboundStatus.ACCEPTED, [])
    assert {"check": "route", "hit": True, "detail": "form-token"} in message.decisions
    today = services.today()
    with services.db.session() as session:
        case = session.get(Case, message.case_id)
        assert case.reference == f"EHC-{today.year}-000001"
        assert (case.stage, case.day0, case.requested_by_id) == (
            "REQUEST_RECEIVED",
            today,
            senco.id,
        )
        assert (case.child.forename, case.child.surname) == ("Gruffydd", "Nowak-Pryce")
        [submission] = case.submissions
        assert (submission.version, submission.token, submission.id) == (
            1,
            token,
            message.submission_id,
        )
        assert submission.answers["outcomes_sought"] == REQUEST_EXAMPLE["outcomes_sought"]
        [event] = case.timeline
        assert (event.kind, event.stage, event.occurred_on) == (
            TimelineKind.STAGE,
            "REQUEST_RECEIVED",
            today,
        )
        kept = {a.filename: a for a in session.scalars(select(Attachment))}
    assert count(services, TimelineEvent) == 1
    assert set(kept) == {"request-form.pdf", *(name for name, _, _ in LISTED)}
    for name, _, data in LISTED:
        assert (kept[name].listed, kept[name].flag, kept[name].submission_id) == (
            True,
            None,
            submission.id,
        )
        assert services.attachments.get(kept[name].sha256) == data

    row, reply = the_reply(services, message.id)
    assert row.kind == "confirmation"
    assert reply["To"] == SENCO
    assert reply["Subject"] == f"Received: {case.reference}, your request"
    assert reply["In-Reply-To"] == "<r1@glanwy.sch.uk>"
    assert "<r1@glanwy.sch.uk>" in reply["References"]
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["X-EHCP-Intake"] == services.instance
    assert reply["Reply-To"] == plus_address(services, token)
    assert f"Request received: {today:%d/%m/%Y}" in body_texts(reply)[0]
    receipt = attached_files(reply)[f"receipt-{case.reference}.pdf"]
    assert case.reference in pdf_text(receipt)


def test_the_reply_threads_under_the_message_id_exactly_as_sent(services, senco):
    token, _ = personal_request_form(services, senco)
    raw = form_reply(
        filled(token, REQUEST_EXAMPLE),
        sender=SENCO,
        message_id="<AB12@EXCH01.Glanwy.sch.uk>",
        files=LISTED,
    )
    _, reply = the_reply(services, deliver(services, raw))
    assert reply["In-Reply-To"] == "<AB12@EXCH01.Glanwy.sch.uk>"


def test_every_mistake_is_listed_at_once_and_the_corrected_form_is_accepted(services, senco):
    token, _ = personal_request_form(services, senco)
    wrong = answers(work_phone="12345", postcode="LE3 9Q")
    sent = filled(token, wrong)

    first = inbound(
        services,
        deliver(services, form_reply(sent, sender=SENCO, message_id="<m1@a>", files=LISTED)),
    )

    assert first.status == InboundStatus.REJECTED
    assert first.case_id is None
    assert sorted((r["code"], r["step"], r["field"]) for r in first.reasons) == [
        ("phone-invalid", 1, "work_phone"),
        ("postcode-invalid", 2, "postcode"),
    ]
    row, reply = the_reply(services, first.id)
    assert row.kind == "problems"
    assert reply["Subject"] == "Please correct your form: 2 problems to fix"
    assert reply["In-Reply-To"] == "<m1@a>"
    assert reply["Reply-To"] == plus_address(services, token)
    text = body_texts(reply)[0]
    assert "Step 1: Your work details and role" in text
    assert "not a UK phone number" in text
    assert "Step 2: About the child or young person" in text
    assert "not a valid UK postcode" in text
    returned = read_back(services, attached_files(reply)["request-form.pdf"])
    assert returned.token_text == token
    assert returned.validation.answers == read_back(services, sent).validation.answers
    assert (
        returned.validation.answers["interventions_and_impact"]
        == (REQUEST_EXAMPLE["interventions_and_impact"])
    )
    assert count(services, Submission) == 0

    corrected = filled(token, REQUEST_EXAMPLE)
    second = inbound(
        services,
        deliver(services, form_reply(corrected, sender=SENCO, message_id="<m2@a>", files=LISTED)),
    )

    assert (second.status, second.reasons) == (InboundStatus.ACCEPTED, [])
    assert the_reply(services, second.id)[0].kind == "confirmation"
    assert count(services, Case) == 1


def first_page_text(pdf: bytes) -> str:
    return " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def test_the_returned_form_marks_the_problems_and_corrected_in_chrome_is_accepted(services, senco):
    token, _ = personal_request_form(services, senco)
    sent = filled(token, answers(work_phone="12345", postcode="LE3 9Q"))
    first = deliver(services, form_reply(sent, sender=SENCO, message_id="<m1@a>", files=LISTED))
    _, reply = the_reply(services, first)
    returned = attached_files(reply)["request-form.pdf"]

    # The first page lists what the email lists, step by step, with the same sentences.
    listing = first_page_text(returned)
    assert listing.startswith("What to correct in this form")
    email = body_texts(reply)[0]
    for heading in (
        "Step 1: Your work details and role",
        "Step 2: About the child or young person",
    ):
        assert heading in listing and heading in email
    sentences = [line.strip()[2:] for line in email.splitlines() if line.strip().startswith("- ")]
    assert len(sentences) == 2
    for sentence in sentences:
        assert f"• {sentence}" in listing
    assert len(pypdf.PdfReader(io.BytesIO(returned)).pages) == 1 + len(
        pypdf.PdfReader(io.BytesIO(sent)).pages
    )
    back = read_back(services, returned)
    assert back.token_text == token
    assert back.validation.answers == read_back(services, sent).validation.answers

    # Corrected in the returned form itself, as Chrome or Edge would, and sent back.
    fixes = pdf_values(REQUEST, {k: REQUEST_EXAMPLE[k] for k in ("work_phone", "postcode")})
    corrected = fill_with_pdfium(returned, fixes)
    second = deliver(
        services, form_reply(corrected, sender=SENCO, message_id="<m2@a>", files=LISTED)
    )

    assert (inbound(services, second).status, inbound(services, second).reasons) == (
        InboundStatus.ACCEPTED,
        [],
    )
    assert count(services, Case) == 1


def test_a_changed_form_is_version_2_and_the_same_form_again_is_a_duplicate(services, senco):
    token, _ = personal_request_form(services, senco)
    first = deliver(
        services,
        form_reply(filled(token, REQUEST_EXAMPLE), sender=SENCO, message_id="<v1@a>", files=LISTED),
    )
    changed = filled(token, answers(outcomes_sought="To read independently by the end of Year 6."))
    raw_v2 = form_reply(changed, sender=SENCO, message_id="<v2@a>", files=LISTED)

    second = inbound(services, deliver(services, raw_v2))

    assert second.status == InboundStatus.ACCEPTED
    assert second.case_id == inbound(services, first).case_id
    with services.db.session() as session:
        versions = session.execute(
            select(Submission.version, Submission.answers["outcomes_sought"].as_string())
            .where(Submission.case_id == second.case_id)
            .order_by(Submission.version)
        ).all()
    assert [v for v, _ in versions] == [1, 2]
    assert versions[1][1] == "To read independently by the end of Year 6."
    row, reply = the_reply(services, second.id)
    assert reply["Subject"].endswith("your request (version 2)")
    assert "This is version 2 of the request" in body_texts(reply)[0]

    again = inbound(
        services,
        deliver(services, form_reply(changed, sender=SENCO, message_id="<v3@a>", files=LISTED)),
    )

    assert again.status == InboundStatus.DUPLICATE
    assert [r["code"] for r in again.reasons] == ["duplicate-submission"]
    assert (again.duplicate_of_id, again.case_id) == (second.id, second.case_id)
    assert outbox(services, again.id) == []
    assert count(services, Submission) == 2

    captured = capture_message(services, raw_v2, Transport.FILE)
    assert (captured.inbound_id, captured.new) == (second.id, False)
    assert process_all(services) == 0
    with services.db.session() as session:
        assert session.scalar(select(func.count()).where(InboundMessage.message_key == "v2@a")) == 1
    assert len(outbox(services)) == 2


def test_a_listed_file_missing_is_named_on_its_row(services, senco):
    token, _ = personal_request_form(services, senco)
    raw = form_reply(filled(token, REQUEST_EXAMPLE), sender=SENCO, files=LISTED[:1])

    message = inbound(services, deliver(services, raw))

    assert message.status == InboundStatus.REJECTED
    assert [(r["code"], r["step"], r["field"], r["params"]) for r in message.reasons] == [
        ("file-not-attached", 6, "documents[2].file", {"file": "ep-consultation-record.docx"})
    ]
    _, reply = the_reply(services, message.id)
    text = body_texts(reply)[0]
    assert "Step 6: Upload documents" in text
    # Named by its row, not by its file name, which may name the child.
    assert "no attachment with the file name given in" in text
    assert "ep-consultation-record.docx" not in text
    assert "row 2" in text
    assert count(services, Submission) == 0


def test_a_file_attached_but_not_listed_is_kept_and_flagged(services, senco):
    token, _ = personal_request_form(services, senco)
    extra = supporting_file("annual-review-notes.pdf")
    raw = form_reply(filled(token, REQUEST_EXAMPLE), sender=SENCO, files=[*LISTED, extra])

    message = inbound(services, deliver(services, raw))

    assert message.status == InboundStatus.ACCEPTED
    with services.db.session() as session:
        kept = {a.filename: a for a in session.scalars(select(Attachment))}
    assert (kept[extra[0]].listed, kept[extra[0]].flag) == (False, "not listed in step 6")
    assert services.attachments.get(kept[extra[0]].sha256) == extra[2]
    assert {name: a.flag for name, a in kept.items() if name != extra[0]} == {
        "request-form.pdf": None,
        **{name: None for name, _, _ in LISTED},
    }


def test_mistakes_in_the_childs_details_are_explained_without_repeating_them(services, senco):
    token, _ = personal_request_form(services, senco)
    wrong = answers(date_of_birth="2036-05-14")
    message = inbound(
        services, deliver(services, form_reply(filled(token, wrong), sender=SENCO, files=LISTED))
    )

    assert message.status == InboundStatus.REJECTED
    assert ("date-in-future", "date_of_birth") in {(r["code"], r["field"]) for r in message.reasons}
    _, reply = the_reply(services, message.id)
    text = body_texts(reply)[0]
    assert "The date in “What is the child's date of birth?” is in the future" in text
    for shown in (text, body_texts(reply)[1], str(reply["Subject"])):
        assert "2036" not in shown
    # The returned form does carry the child's details: only an attachment may.
    returned = read_back(services, attached_files(reply)["request-form.pdf"])
    assert returned.validation.answers["child_forename"] == "Gruffydd"
    assert returned.validation.answers["date_of_birth"] == "2036-05-14"


def test_outcome_of_a_rejected_message_words_each_reason(services, senco):
    token, _ = personal_request_form(services, senco)
    wrong = filled(token, answers(work_phone="12345", postcode="LE3 9Q"))
    rejected = deliver(services, form_reply(wrong, sender=SENCO, message_id="<o1@a>", files=LISTED))
    accepted = deliver(
        services,
        form_reply(filled(token, REQUEST_EXAMPLE), sender=SENCO, message_id="<o2@a>", files=LISTED),
    )

    outcome = outcome_of(services, rejected).as_dict()

    assert (outcome["status"], outcome["message_id"], outcome["reference"]) == (
        "rejected",
        "o1@a",
        None,
    )
    worded = {r["field"]: r for r in outcome["reasons"]}
    assert set(worded) == {"work_phone", "postcode"}
    assert worded["postcode"]["step"] == 2
    assert worded["postcode"]["message"].startswith("The answer to")
    assert "not a valid UK postcode" in worded["postcode"]["message"]
    assert "not a UK phone number we recognise" in worded["work_phone"]["message"]
    assert all("{" not in r["message"] for r in outcome["reasons"])
    done = outcome_of(services, accepted)
    assert (done.status, done.reasons) == ("accepted", [])
    assert done.reference == f"EHC-{services.today().year}-000001"


# A second child, as a second request from the same school would name.
OTHER_CHILD = {
    "child_forename": "Aneira",
    "child_surname": "Baptiste-Olsen",
    "child_known_as": "",
    "date_of_birth": "2017-09-02",
    "upn": "Y856234517045",
    "nhs_number": "4857773406",
}
OTHER_CHILD_DATA = ("Aneira", "Baptiste-Olsen", "2017-09-02", "02/09/2017")


def test_two_forms_sent_one_day_carry_two_tokens_and_make_two_cases(services, senco):
    first_token, _ = personal_request_form(services, senco)
    second_token, _ = personal_request_form(services, senco)
    assert first_token != second_token

    first = inbound(
        services,
        deliver(
            services,
            form_reply(filled(first_token, REQUEST_EXAMPLE), sender=SENCO, message_id="<t1@a>",
                       files=LISTED),
        ),
    )  # fmt: skip
    second = inbound(
        services,
        deliver(
            services,
            form_reply(filled(second_token, answers(**OTHER_CHILD)), sender=SENCO,
                       message_id="<t2@a>", files=LISTED),
        ),
    )  # fmt: skip

    assert (first.status, second.status) == (InboundStatus.ACCEPTED, InboundStatus.ACCEPTED)
    assert first.case_id != second.case_id and count(services, Case) == 2
    for message in (first, second):
        _, reply = the_reply(services, message.id)
        assert "version" not in reply["Subject"]
    assert child_data_in_mail(services, OTHER_CHILD_DATA) == []
