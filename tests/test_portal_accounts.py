"""The account pages over HTTP against a real uvicorn server, on both databases: registration,
activation with either two-step method, signing in with a code, the lock, and a forgotten
password; each driven as a person would, with the links and codes read from the emails sent."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select
from web_client import (
    PASSWORD,
    Visitor,
    active_account,
    emailed_code,
    emailed_link,
    emails,
    problems_on,
    served,
    sign_in,
)

from documents import get_form
from intake.accounts.codes import MAX_WRONG_CODES
from intake.accounts.document_passwords import document_password
from intake.cases.accounts import find_professional
from store import AuditEntry, Professional

NEW = "g.pryce@ysgol-tregaron.sch.uk"
ANNE = "anne.senco@glanwy.sch.uk"
NEW_PASSWORD = "seven lanterns over the Teifi"
DOCUMENT = "otters under Tregaron bridge"
REGISTRATION = {
    "email": NEW,
    "name": "Gwenllian Pryce",
    "job_title": "SENCO",
    "role": "SENCO",
    "organisation_name": "Ysgol Tregaron",
    "organisation_type": "Maintained school",
    "organisation_id": "120345",
    "work_phone": "0116 454 1000",
    "work_address": "Ysgol Tregaron\nStation Road",
    "work_postcode": "LE1 6ZG",
    "terms_accepted": "yes",
}


@pytest.fixture
def site(services):
    with served(services) as base_url:
        yield base_url


@pytest.fixture
def visitor(site):
    person = Visitor(site)
    yield person
    person.close()


def account(services, email: str) -> Professional:
    with services.db.session() as session:
        found = find_professional(session, email)
        session.expunge(found)
        return found


def registered(visitor, services) -> str:
    """Register NEW through the web form; the path of the emailed activation link."""
    visitor.get("/register")
    sent = visitor.post("/register", REGISTRATION)
    assert sent.status_code == 200 and "Check your email" in sent.text, problems_on(sent.text)
    return emailed_link(services, "activation_link", "activate")


def test_the_registration_page_asks_the_registration_forms_questions(visitor) -> None:
    page = visitor.get("/register").text
    for field in (f for s in get_form("registration").steps for f in s.fields):
        assert f'id="field-{field.name.replace("_", "-")}"' in page, field.name
        assert field.label in page
    assert 'id="field-email"' in page


def test_registration_shows_every_problem_at_once_linked_to_its_field(visitor, services) -> None:
    visitor.get("/register")
    refused = visitor.post("/register", {"email": "not an address", "work_postcode": "XX"})
    assert refused.status_code == 400
    problems = problems_on(refused.text)
    anchors = [p.split(" ", 1)[0] for p in problems]
    for field in ("email", "name", "job-title", "role", "work-postcode", "terms-accepted"):
        assert f"#field-{field}" in anchors, problems
    assert any("postcode" in p for p in problems)
    assert 'class="error-message" id="field-work-postcode-error"' in refused.text
    assert 'value="XX"' in refused.text  # what was typed is kept
    assert emails(services, "activation_link") == []


def test_registering_opens_a_pending_account_and_emails_its_link(visitor, services) -> None:
    link = registered(visitor, services)
    assert link.startswith("/activate/")
    pending = account(services, NEW)
    assert not pending.is_active and pending.organisation_name == "Ysgol Tregaron"
    assert pending.phone and pending.phone.startswith("+44")


def test_registering_an_address_with_an_account_says_only_check_your_email(
    visitor, services
) -> None:
    active_account(services, ANNE)
    visitor.get("/register")
    page = visitor.post("/register", {**REGISTRATION, "email": ANNE})
    assert page.status_code == 200 and "Check your email" in page.text
    assert "already" not in page.text.split("<main", 1)[1].split("If this address")[0]
    assert emails(services, "activation_link") == []


def test_registering_too_often_is_refused_with_the_reason(visitor, services) -> None:
    pages = []
    for _ in range(4):
        visitor.get("/register")
        pages.append(visitor.post("/register", REGISTRATION))
    assert all("Check your email" in p.text for p in pages[:3])
    assert len(emails(services, "activation_link")) == 3  # the pending account's link again
    refused = pages[3]
    assert refused.status_code == 400
    assert "too many times today" in " ".join(problems_on(refused.text))


def test_activation_with_email_codes_signs_the_new_professional_in(visitor, services) -> None:
    link = registered(visitor, services)
    page = visitor.get(link)
    assert page.status_code == 200 and NEW in page.text
    assert "<svg" in page.text  # the app's QR code is there, for those who choose the app
    done = visitor.post(
        link, {"password": PASSWORD, "password_again": PASSWORD, "two_factor": "email"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    home = visitor.get("/")
    assert "Your account is active" in home.text and "Signed in as Gwenllian Pryce" in home.text
    activated = account(services, NEW)
    assert activated.is_active and activated.two_factor == "email"
    assert visitor.get(link).status_code == 404  # the link worked once


def test_activation_problems_are_shown_and_leave_the_link_usable(visitor, services) -> None:
    link = registered(visitor, services)
    visitor.get(link)
    short = visitor.post(link, {"password": "short", "password_again": "short"})
    assert short.status_code == 400
    assert problems_on(short.text) == [
        "#field-password Your password must be at least 10 characters long",
        "#field-two-factor Choose how you want to get your security codes",
    ]
    differ = visitor.post(
        link, {"password": PASSWORD, "password_again": PASSWORD + "!", "two_factor": "email"}
    )
    assert problems_on(differ.text) == [
        "#field-password-again The passwords do not match: type the same password twice"
    ]
    assert PASSWORD not in differ.text  # a password is never sent back in the page
    assert not account(services, NEW).is_active
    assert visitor.get(link).status_code == 200


def test_activation_with_an_app_needs_the_apps_code(visitor, services) -> None:
    link = registered(visitor, services)
    page = visitor.get(link).text
    shown = re.search(r'<p class="secret-key"><code>([A-Z2-7 ]+)</code>', page).group(1)
    secret = shown.replace(" ", "")
    again = visitor.get(link).text
    assert shown in again  # reloading keeps the secret an app may already hold
    choice = {"password": PASSWORD, "password_again": PASSWORD, "two_factor": "app"}
    wrong = visitor.post(link, {**choice, "app_code": "000000"})
    assert problems_on(wrong.text)[0].startswith("#field-app-code The code from the app")
    done = visitor.post(link, {**choice, "app_code": pyotp.TOTP(secret).now()})
    assert done.status_code == 303, problems_on(done.text)
    activated = account(services, NEW)
    assert activated.two_factor == "app" and activated.totp_secret == secret


def test_activation_sets_the_document_password_forms_are_encrypted_with(visitor, services) -> None:
    link = registered(visitor, services)
    visitor.get(link)
    choice = {"password": PASSWORD, "password_again": PASSWORD, "two_factor": "email"}
    same = visitor.post(
        link, {**choice, "document_password": PASSWORD, "document_password_again": PASSWORD}
    )
    assert problems_on(same.text) == [
        "#field-document-password Choose a document password that is not your sign-in password"
    ]
    differ = visitor.post(
        link, {**choice, "document_password": DOCUMENT, "document_password_again": "other one!"}
    )
    assert problems_on(differ.text) == [
        "#field-document-password-again The document passwords do not match: type the same "
        "one twice"
    ]
    assert DOCUMENT not in differ.text
    done = visitor.post(
        link, {**choice, "document_password": DOCUMENT, "document_password_again": DOCUMENT}
    )
    assert done.status_code == 303, problems_on(done.text)
    activated = account(services, NEW)
    stored = activated.document_password
    assert stored and DOCUMENT not in stored  # kept encrypted, never as typed
    assert document_password(services, activated) == DOCUMENT


def test_an_unknown_activation_link_says_it_no_longer_works(visitor) -> None:
    gone = visitor.get("/activate/" + "A" * 43)
    assert gone.status_code == 404 and "This link no longer works" in gone.text


def test_sign_in_with_an_emailed_code(visitor, services) -> None:
    active_account(services, ANNE)
    visitor.get("/sign-in")
    step = visitor.post("/sign-in", {"email": ANNE.upper(), "password": PASSWORD})
    assert step.headers["location"] == "/sign-in/code"
    assert "emailed you a 6-digit code" in visitor.get("/sign-in/code").text
    wrong = visitor.post("/sign-in/code", {"code": "000000"})
    assert problems_on(wrong.text) == ["#field-code The code is not right: check it and try again"]
    assert visitor.get("/").headers["location"] == "/sign-in"  # not signed in yet
    visitor.get("/sign-in/code")
    right = visitor.post("/sign-in/code", {"code": emailed_code(services)})
    assert right.headers["location"] == "/"
    assert "Signed in as" in visitor.get("/").text
    with services.db.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "sign-in" in actions


def test_a_wrong_password_and_an_unknown_address_read_the_same(visitor, services) -> None:
    active_account(services, ANNE)
    visitor.get("/sign-in")
    wrong = problems_on(visitor.post("/sign-in", {"email": ANNE, "password": "guess"}).text)
    unknown = problems_on(
        visitor.post("/sign-in", {"email": "nobody@x.example", "password": "guess"}).text
    )
    assert wrong == unknown and len(wrong) == 1
    assert emails(services, "one_time_code") == []
    empty = problems_on(visitor.post("/sign-in", {"email": "", "password": ""}).text)
    assert [p.split(" ", 1)[0] for p in empty] == ["#field-email", "#field-password"]


def test_sign_in_with_an_authenticator_app(visitor, services) -> None:
    secret = pyotp.random_base32()
    active_account(services, ANNE, two_factor="app", totp_secret=secret)
    visitor.get("/sign-in")
    visitor.post("/sign-in", {"email": ANNE, "password": PASSWORD})
    assert "authenticator app" in visitor.get("/sign-in/code").text
    assert emails(services, "one_time_code") == []
    right = visitor.post("/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    assert right.headers["location"] == "/"


def test_five_wrong_codes_lock_the_account_and_say_so(visitor, services) -> None:
    active_account(services, ANNE)
    visitor.get("/sign-in")
    visitor.post("/sign-in", {"email": ANNE, "password": PASSWORD})
    visitor.get("/sign-in/code")
    for _ in range(MAX_WRONG_CODES - 1):
        visitor.post("/sign-in/code", {"code": "000000"})
    locked = visitor.post("/sign-in/code", {"code": "000000"})
    said = " ".join(problems_on(locked.text))
    assert "Your account is locked" in said, said
    assert len(emails(services, "account_locked")) == 1
    visitor.get("/sign-in")
    again = visitor.post("/sign-in", {"email": ANNE, "password": PASSWORD})
    assert "Your account is locked" in " ".join(problems_on(again.text))
    guess = visitor.post("/sign-in", {"email": ANNE, "password": "a wrong guess"})
    assert "locked" not in " ".join(problems_on(guess.text))  # only for the right password


def test_a_new_code_can_be_asked_for_and_retires_the_old(visitor, services) -> None:
    active_account(services, ANNE)
    visitor.get("/sign-in")
    visitor.post("/sign-in", {"email": ANNE, "password": PASSWORD})
    first = emailed_code(services)
    visitor.get("/sign-in/code")
    resent = visitor.post("/sign-in/new-code", {})
    assert "We have sent you a new code" in resent.text
    second = emailed_code(services)
    if first != second:
        old = visitor.post("/sign-in/code", {"code": first})
        assert "#field-code" in " ".join(problems_on(old.text))
    assert visitor.post("/sign-in/code", {"code": second}).headers["location"] == "/"


def test_a_forgotten_password_is_reset_by_the_emailed_link(site, visitor, services) -> None:
    active_account(services, ANNE)
    elsewhere = Visitor(site)
    sign_in(elsewhere, services, ANNE)
    visitor.get("/forgot-password")
    sent = visitor.post("/forgot-password", {"email": ANNE})
    assert "Check your email" in sent.text
    link = emailed_link(services, "password_reset_link", "reset-password")
    visitor.get(link)
    differ = visitor.post(link, {"password": NEW_PASSWORD, "password_again": "other"})
    assert problems_on(differ.text)[0].startswith("#field-password-again")
    done = visitor.post(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert "Your password has been changed" in done.text
    assert visitor.get(link).status_code == 404  # used once
    # The session made with the old password is over.
    assert elsewhere.get("/").headers["location"] == "/sign-in"
    elsewhere.close()
    visitor.get("/sign-in")
    old = visitor.post("/sign-in", {"email": ANNE, "password": PASSWORD})
    assert old.status_code == 400
    new = visitor.post("/sign-in", {"email": ANNE, "password": NEW_PASSWORD})
    assert new.headers["location"] == "/sign-in/code"


def test_forgot_password_says_the_same_for_an_unknown_address(visitor, services) -> None:
    visitor.get("/forgot-password")
    page = visitor.post("/forgot-password", {"email": "nobody@x.example"})
    assert page.status_code == 200 and "Check your email" in page.text
    assert emails(services, "password_reset_link") == []
