"""A professional's own pages over HTTP against a real uvicorn server, on both databases: who may
use each (anonymous, another professional, the requester, the advice giver, a caseworker), the
children list and progress page, forms fetched again, the two-step change, and an upload that
goes through the same pipeline as email (same checks, same reply)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyotp
import pypdf
import pytest
from fill_engines import fill_with_pypdf
from mail_factory import form_reply, supporting_file
from sqlalchemy import select
from web_client import PASSWORD, Visitor, active_account, problems_on, served, sign_in

from documents import check_pdf, get_form, pdf_values
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cases.advice_requests import request_advice
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from portal.professional import ROUTES
from store import (
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    Professional,
    Submission,
    Transport,
)

REQUESTER = "anne.senco@glanwy.sch.uk"
ADVISER = "ben.ep@eps.example.org"
OTHER = "carys.senco@ysgol.example.org"
CASEWORKER = "dewi.worker@council.example.gov.uk"
REQUEST = get_form("request")
ANSWERS = dict(REQUEST_EXAMPLE)
# The documents the form lists: they come with it, by email or by upload.
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
# Another professional's child (valid identifiers of their own, so not matched to ours).
OTHER_CHILD = {
    "child_forename": "Aneira",
    "child_surname": "Baptiste-Olsen",
    "child_known_as": "",
    "date_of_birth": "2017-09-02",
    "upn": "Y856234517045",
    "nhs_number": "4857773406",
}
HOSTILE = "<img src=x onerror=alert(1)>"


@dataclass
class World:
    site: str
    services: object
    reference: str  # the requester's case, with advice asked of the adviser
    advice: str
    submission: int  # the requester's request on it
    other_reference: str  # another professional's case


def deliver_request(services, professional: Professional, answers: dict, message_id: str) -> int:
    """A request form emailed by `professional`, through capture and the whole pipeline."""
    _, personal = personal_request_form(services, professional)
    pdf = fill_with_pypdf(personal.data, pdf_values(REQUEST, answers))
    raw = form_reply(pdf, sender=professional.email, message_id=message_id, files=LISTED)
    inbound_id = capture_message(services, raw, Transport.FILE).inbound_id
    process_all(services)
    return inbound_id


def case_of(services, inbound_id: int) -> str:
    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        assert message.status == InboundStatus.ACCEPTED, message.reasons
        return session.get(Case, message.case_id).reference


@pytest.fixture
def world(services) -> Iterator[World]:
    requester = active_account(services, REQUESTER)
    adviser = active_account(services, ADVISER)
    other = active_account(services, OTHER)
    caseworker = active_account(services, CASEWORKER)
    with services.db.session() as session:
        session.get(Professional, caseworker.id).is_caseworker = True
    reference = case_of(services, deliver_request(services, requester, ANSWERS, "<a1@glanwy>"))
    theirs = {**ANSWERS, **OTHER_CHILD}
    other_reference = case_of(services, deliver_request(services, other, theirs, "<c1@ysgol>"))
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        asked = request_advice(
            services,
            session,
            case,
            session.get(Professional, adviser.id),
            "psychological",
            today=services.today(),
        )
        advice = asked.reference
        submission = session.scalar(select(Submission.id).where(Submission.case_id == case.id))
    with served(services) as site:
        yield World(site, services, reference, advice, submission, other_reference)


@pytest.fixture
def visitors(world) -> Iterator[dict[str, Visitor]]:
    people = {}
    for who, email in [
        ("anonymous", None),
        ("other", OTHER),
        ("requester", REQUESTER),
        ("adviser", ADVISER),
        ("caseworker", CASEWORKER),
    ]:
        people[who] = Visitor(world.site)
        if email:
            sign_in(people[who], world.services, email)
        else:
            people[who].get("/sign-in")  # for a CSRF token
    yield people
    for person in people.values():
        person.close()


def path_of(world: World, path: str) -> str:
    path = path.replace("{reference}", world.reference).replace("{advice}", world.advice)
    return path.replace("{submission}", str(world.submission))


# Every route of these pages, asked with an empty form where it takes one:
# (anonymous, another professional, the requester, the advice giver, a caseworker) -> status.
# Another professional and a caseworker are told a case is not found, whether or not it exists.
EXPECTED = {
    ("GET", "/account"): (303, 200, 200, 200, 200),
    ("GET", "/account/two-step"): (303, 200, 200, 200, 200),
    ("POST", "/account/two-step"): (303, 400, 400, 400, 400),
    ("GET", "/account/document-password"): (303, 200, 200, 200, 200),
    ("POST", "/account/document-password"): (303, 400, 400, 400, 400),
    ("GET", "/children"): (303, 200, 200, 200, 200),
    ("GET", "/children/{reference}"): (303, 404, 200, 200, 404),
    ("GET", "/children/{reference}/request-form"): (303, 404, 200, 404, 404),
    ("GET", "/children/{reference}/advice-form/{advice}"): (303, 404, 404, 200, 404),
    ("GET", "/children/{reference}/receipt/{submission}"): (303, 404, 200, 404, 404),
    ("POST", "/children/{reference}/upload"): (303, 404, 400, 400, 404),
}
WHO = ("anonymous", "other", "requester", "adviser", "caseworker")


def test_every_route_answers_each_kind_of_visitor_as_it_should(world, visitors) -> None:
    assert set(EXPECTED) == {(method, path) for method, path, _ in ROUTES}
    got = {}
    for method, path, _ in ROUTES:
        statuses = []
        for who in WHO:
            visitor = visitors[who]
            if method == "GET":
                statuses.append(visitor.get(path_of(world, path)).status_code)
            else:
                visitor.get("/account" if who != "anonymous" else "/sign-in")
                response = visitor.http.post(
                    path_of(world, path), files={"csrf_token": (None, visitor.csrf())}
                )
                statuses.append(response.status_code)
        got[(method, path)] = tuple(statuses)
    assert got == EXPECTED
    anonymous = visitors["anonymous"].get(path_of(world, "/children/{reference}"))
    assert anonymous.headers["location"] == "/sign-in"


def test_a_case_not_shared_is_not_found_like_one_that_does_not_exist(world, visitors) -> None:
    requester = visitors["requester"]
    theirs = requester.get(f"/children/{world.other_reference}")
    missing = requester.get("/children/EHC-2099-999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    assert "Aneira" not in theirs.text


def test_the_children_list_shows_only_the_professionals_own_children(world, visitors) -> None:
    page = visitors["requester"].get("/children").text
    assert "Gruffydd Nowak-Pryce" in page and world.reference in page
    assert "14 May 2016" in page and "You asked for the assessment" in page
    assert "Aneira" not in page and world.other_reference not in page

    advised = visitors["adviser"].get("/children").text
    assert "Gruffydd Nowak-Pryce" in advised
    assert "Advice asked of you: Psychological 6(1)(d)" in advised
    assert "You asked for the assessment" not in advised

    other = visitors["other"].get("/children").text
    assert "Aneira Baptiste-Olsen" in other and "Gruffydd" not in other
    assert "You have no children here yet" in visitors["caseworker"].get("/children").text


def test_withdrawn_advice_takes_the_adviser_off_the_case(world, visitors) -> None:
    from intake.cases.advice_requests import find_advice_request, withdraw

    with world.services.db.session() as session:
        withdraw(session, find_advice_request(session, world.advice), actor=CASEWORKER)
    adviser = visitors["adviser"]
    assert "Gruffydd" not in adviser.get("/children").text
    assert adviser.get(f"/children/{world.reference}").status_code == 404


def test_the_progress_page_shows_timeline_submissions_advice_and_emails(world, visitors) -> None:
    page = visitors["requester"].get(f"/children/{world.reference}").text
    assert '<h1 class="heading-l">Gruffydd Nowak-Pryce</h1>' in page
    assert "What is happening now" in page and "Request received" in page
    assert "Request for an assessment</td>" in page  # the submission, version 1
    assert f"Received: {world.reference}" in page  # the confirmation we emailed
    assert f'href="/children/{world.reference}/request-form"' in page
    assert "advice-form" not in page  # the advice asked is the adviser's, not hers

    advised = visitors["adviser"].get(f"/children/{world.reference}").text
    assert world.advice in advised and "Psychological 6(1)(d)" in advised
    assert f"/children/{world.reference}/advice-form/{world.advice}" in advised
    assert "request-form" not in advised
    assert "We have not received a form from you for this child yet" in advised


def read_form(services, pdf: bytes):
    return check_pdf(pdf, key=services.key, today=services.today(), sandbox=services.sandbox)


def test_forms_fetched_again_carry_their_tokens_and_answers(world, visitors) -> None:
    response = visitors["requester"].get(f"/children/{world.reference}/request-form")
    assert response.headers["content-type"] == "application/pdf"
    assert (
        f'filename="{world.reference}-request-form.pdf"' in response.headers["content-disposition"]
    )
    read = read_form(world.services, response.content)
    with world.services.db.session() as session:
        token = session.scalar(select(Case.request_token).where(Case.reference == world.reference))
    assert read.token_text == token and read.ok
    assert read.validation.answers["child_forename"] == "Gruffydd"

    advice = visitors["adviser"].get(f"/children/{world.reference}/advice-form/{world.advice}")
    read = read_form(world.services, advice.content)
    assert read.form.kind == "advice" and read.token.valid
    assert read.validation.answers["child_surname"] == "Nowak-Pryce"
    with world.services.db.session() as session:
        downloads = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "form-downloaded")
        ).all()
        assert [(d.actor, d.detail["form"]) for d in downloads] == [
            (REQUESTER, "request"),
            (ADVISER, "advice"),
        ]


def test_changing_to_an_authenticator_app_needs_the_password_and_a_code(world, visitors) -> None:
    requester = visitors["requester"]
    page = requester.get("/account/two-step").text
    assert 'class="qr-code"' in page
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).now()
    wrong = requester.post(
        "/account/two-step",
        {"two_factor": "app", "app_code": code, "current_password": "not my password"},
    )
    assert wrong.status_code == 400
    assert problems_on(wrong.text) == [
        "#field-current-password Enter your current password: the one you gave is not right"
    ]
    done = requester.post(
        "/account/two-step",
        {"two_factor": "app", "app_code": code, "current_password": PASSWORD},
    )
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert "your security codes come from your authenticator app" in requester.get("/account").text
    with world.services.db.session() as session:
        account = session.scalar(select(Professional).where(Professional.email == REQUESTER))
        assert (account.two_factor, account.totp_secret) == ("app", secret)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("two-step-%"))
        ).all()
    assert actions == ["two-step-change-refused", "two-step-changed"]


def test_a_receipt_waits_on_the_page_for_its_own_sender_only(world, visitors) -> None:
    path = f"/children/{world.reference}/receipt/{world.submission}"
    receipt = visitors["requester"].get(path)
    assert receipt.headers["content-type"] == "application/pdf"
    text = pdf_text(receipt.content)
    assert f"Reference {world.reference}" in text and "Gruffydd" in text
    assert f'filename="receipt-{world.reference}.pdf"' in receipt.headers["content-disposition"]
    # The adviser is on the case, but the request and its receipt are not theirs.
    assert visitors["adviser"].get(path).status_code == 404
    assert visitors["requester"].get(f"/children/{world.reference}/receipt/x1").status_code == 404
    other = f"/children/{world.other_reference}/receipt/{world.submission}"
    assert visitors["requester"].get(other).status_code == 404


def pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_each_view_of_a_progress_page_is_audited(world, visitors) -> None:
    visitors["requester"].get(f"/children/{world.reference}")
    visitors["adviser"].get(f"/children/{world.reference}")
    visitors["other"].get(f"/children/{world.reference}")  # not found: nothing seen
    with world.services.db.session() as session:
        views = session.execute(
            select(AuditEntry.actor, AuditEntry.subject_id).where(
                AuditEntry.action == "case-viewed"
            )
        ).all()
    assert sorted(views) == sorted([(REQUESTER, world.reference), (ADVISER, world.reference)])


def test_a_document_password_is_kept_after_the_sign_in_password_is_given(world, visitors) -> None:
    from intake.accounts.document_passwords import document_password

    requester = visitors["requester"]
    # The tests' trusted domains hold her address: forms come to her as they are anyway.
    assert "Not needed: your email address is in a domain" in requester.get("/account").text
    requester.get("/account/document-password")
    chosen = "a different kettle entirely"
    refused = requester.post(
        "/account/document-password",
        {
            "document_password": PASSWORD,
            "document_password_again": PASSWORD,
            "current_password": "wrong",
        },
    )
    assert refused.status_code == 400
    assert problems_on(refused.text) == [
        "#field-document-password Choose a document password that is not your sign-in password",
        "#field-current-password Enter your current password: the one you gave is not right",
    ]
    saved = requester.post(
        "/account/document-password",
        {
            "document_password": chosen,
            "document_password_again": chosen,
            "current_password": PASSWORD,
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/account"
    assert "Your document password is saved" in requester.get("/account").text
    with world.services.db.session() as session:
        account = session.scalar(select(Professional).where(Professional.email == REQUESTER))
        assert document_password(world.services, account) == chosen
        assert chosen not in account.document_password  # kept encrypted
        assert (
            session.scalar(
                select(AuditEntry.actor).where(AuditEntry.action == "document-password-set")
            )
            == REQUESTER
        )
