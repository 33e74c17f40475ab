"""Issue #12's acceptance, one test per person's story, in headless Chromium (Debian's, driven by
Playwright) against the service as `intake serve` runs it: the web pages, the pipeline worker and
the outbox sender, our mail going out through a real SMTP relay (the aiosmtpd sink), on SQLite
and on PostgreSQL. Each step is written in the issue's words, so a reader can tick them off.

Each page is checked for keyboard and screen reader users and saved as a full-page screenshot
under tests/artifacts/screenshots/ (tests/chromium.py); the keyboard-only story and the pages
with problems are in test_portal_browser_keyboard.py.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from casework import CASEWORKER, HOSTILE_NAME, caseworker_account
from chromium import assert_accessible, sign_in_in_browser, snap
from fill_engines import fill_with_pypdf
from mail_servers import relay_sink, wait_until  # noqa: F401 (relay_sink is a fixture)
from test_compliance import five_cases
from test_portal_held import held_form
from test_portal_professional import (
    ANSWERS,
    LISTED,
    OTHER,
    OTHER_CHILD,
    REQUEST,
    REQUESTER,
    case_of,
    deliver_request,
)
from test_portal_queue import pending_registration, quarantined_request
from web_client import PASSWORD, active_account, code_in, relayed_to, served_with_mail

from documents import pdf_values
from store import InboundMessage, InboundStatus

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

ADVISER = "ffion.ep@eps.example.gov.uk"
WAITING = "g.pryce@ysgol-tregaron.sch.uk"  # registered, not yet activated
OTHER_CHILD_NAME = f"{OTHER_CHILD['child_forename']} {OTHER_CHILD['child_surname']}"
CHILD_NAME = f"{ANSWERS['child_forename']} {ANSWERS['child_surname']}"


def relayed_mail(sink, address: str, subject: str):
    """The latest email for `address` that reached the relay with `subject` in its Subject,
    waiting for the outbox sender to deliver it."""
    return wait_until(
        lambda: [m for m in relayed_to(sink, address) if subject in m["Subject"]][-1:],
        f"an email to {address} about {subject!r} reached the relay",
    )[0]


def test_a_caseworker_releases_a_quarantined_message_and_requests_advice_on_its_case(
    services,
    browser_page,
    relay_sink,  # noqa: F811 (a fixture)
) -> None:
    inbound_id = quarantined_request(
        services, files=[(HOSTILE_NAME, "application/pdf", b"%PDF-1.4\n%%EOF\n")]
    )
    caseworker_account(services)
    active_account(services, ADVISER)
    pending_registration(services, WAITING, "Gwenllian Pryce")
    page = browser_page
    with served_with_mail(services, relay_sink.url) as site:
        # A caseworker signs in with two-step: password, then the code from the email.
        page.goto(f"{site}/")
        expect(page).to_have_url(f"{site}/sign-in")
        snap(page, "caseworker-1-sign-in")
        page.get_by_label("Email address").fill(CASEWORKER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        snap(page, "caseworker-2-code")
        code_email = relayed_mail(relay_sink, CASEWORKER, "Your code")
        page.get_by_label("Security code").fill(code_in(code_email))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Signed in as Carys Worker")).to_be_visible()

        # ... finds a quarantined message in the queue ...
        page.get_by_role("link", name="Intake queue").click()
        page.get_by_role("link", name=re.compile("Quarantined")).click()
        row_link = page.get_by_role("link", name=f"Message {inbound_id}", exact=True)
        expect(row_link).to_be_visible()
        snap(page, "caseworker-3-queue-quarantined")
        row_link.click()
        expect(page.get_by_text("This form was issued to a different email")).to_be_visible()
        expect(page.get_by_role("cell", name=HOSTILE_NAME)).to_be_visible()  # shown, never run
        assert page.locator("main img").count() == 0
        snap(page, "caseworker-4-message-quarantined")

        # ... releases it ...
        page.get_by_label("Note for the audit log (optional)").fill("Checked with the school")
        page.get_by_role("button", name="Release from quarantine").click()
        expect(page.get_by_text("Released from quarantine.")).to_be_visible()

        # ... sees the case appear (the pipeline worker takes the message within a second) ...
        status, reasons = wait_until(lambda: settled(services, inbound_id), "release processed")
        assert status == InboundStatus.ACCEPTED, reasons
        page.reload()
        expect(page.locator("main p.body .tag")).to_have_text("Accepted")
        reference = page.get_by_role("link", name=re.compile(r"^EHC-\d{4}-\d{6}$")).inner_text()
        page.get_by_role("link", name="Intake queue").click()
        page.get_by_role("link", name=re.compile("New requests")).click()
        page.get_by_role("link", name=reference, exact=True).click()
        expect(page).to_have_url(f"{site}/cases/{reference}")
        expect(page.get_by_role("heading", name=CHILD_NAME)).to_be_visible()
        snap(page, "caseworker-5-case")

        # ... requests advice ...
        page.get_by_label("Professional's email address").fill(ADVISER)
        page.get_by_label("Type of advice").select_option("psychological")
        page.get_by_role("button", name="Request advice").click()
        expect(page.get_by_text("has been sent")).to_be_visible()
        expect(page.get_by_role("cell", name=ADVISER)).to_be_visible()
        snap(page, "caseworker-6-case-advice-requested")

        # ... and the email reaches the sink, delivered by the outbox sender.
        advice_email = relayed_mail(relay_sink, ADVISER, reference)
        assert advice_email["Subject"].startswith("You are required to submit information")
        assert any(part.get_filename() for part in advice_email.iter_attachments())

        # The caseworkers' other main pages, reached from their navigation.
        five_cases(services)  # decided and issued in 2026, some late
        page.get_by_role("link", name="Compliance").click()
        expect(page.get_by_role("heading", name="Compliance with the time limits")).to_be_visible()
        expect(page.get_by_role("row", name="2026-02")).to_contain_text("75% (3)")
        snap(page, "caseworker-7-compliance")
        page.get_by_role("link", name="Registrations waiting").click()
        expect(page.get_by_role("cell", name=WAITING, exact=True)).to_be_visible()
        snap(page, "caseworker-8-registrations")


def settled(services, inbound_id: int) -> tuple[InboundStatus, list] | None:
    """The message's status and reasons once the pipeline has decided; None until then."""
    waiting = (InboundStatus.RECEIVED, InboundStatus.PROCESSING)
    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        return None if message.status in waiting else (message.status, message.reasons)


def test_a_professional_sees_only_their_own_children_and_uploads_a_corrected_form(
    services,
    browser_page,
    relay_sink,  # noqa: F811 (a fixture)
) -> None:
    secret = pyotp.random_base32()
    requester = active_account(services, REQUESTER, two_factor="app", totp_secret=secret)
    other = active_account(services, OTHER)
    reference = case_of(services, deliver_request(services, requester, ANSWERS, "<a1@glanwy>"))
    theirs = {**ANSWERS, **OTHER_CHILD}
    other_reference = case_of(services, deliver_request(services, other, theirs, "<c1@ysgol>"))
    page = browser_page
    with served_with_mail(services, relay_sink.url) as site:
        # A professional signs in (password, then the code from their authenticator app) ...
        sign_in_in_browser(page, site, REQUESTER, PASSWORD, code=lambda: pyotp.TOTP(secret).now())
        page.get_by_role("link", name="Your account").click()
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        snap(page, "professional-1-my-account")

        # ... sees only their own children ...
        page.get_by_role("link", name="Your children").click()
        table = page.get_by_role("table")
        expect(table.get_by_role("link", name=CHILD_NAME)).to_be_visible()
        expect(table.get_by_role("row")).to_have_count(2)  # the headings and their one child
        assert OTHER_CHILD_NAME not in page.content() and other_reference not in page.content()
        snap(page, "professional-2-my-children")

        # ... (another professional's child is not reachable by typing its URL either) ...
        typed = page.goto(f"{site}/children/{other_reference}")
        assert typed.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        assert OTHER_CHILD_NAME not in page.content()
        assert_accessible(page)
        page.go_back()

        page.get_by_role("link", name=CHILD_NAME).click()
        expect(page).to_have_url(f"{site}/children/{reference}")
        expect(page.get_by_role("heading", name="What is happening now")).to_be_visible()
        snap(page, "professional-3-child-progress")

        # ... uploads their form with a mistake and sees the problems by step ...
        download = page.context.request.get(f"{site}/children/{reference}/request-form")
        assert download.headers["content-type"] == "application/pdf"
        form = download.body()
        wrong = fill_with_pypdf(form, pdf_values(REQUEST, {**ANSWERS, "postcode": ""}))
        upload(page, wrong)
        expect(page.get_by_role("heading", name="Your form was not recorded")).to_be_visible()
        expect(page.get_by_role("heading", name="Step 2")).to_be_visible()
        snap(page, "professional-4-upload-problems")

        # ... uploads a corrected PDF and sees the confirmation, on the page ...
        page.get_by_role("link", name=f"Back to the progress page for {reference}").click()
        corrected = fill_with_pypdf(form, pdf_values(REQUEST, {**ANSWERS, "postcode": "LE3 9QR"}))
        upload(page, corrected)
        expect(page.get_by_role("heading", name="Form received")).to_be_visible()
        expect(page.locator(".panel")).to_contain_text(reference)
        snap(page, "professional-5-upload-received")

        # ... and the confirmation email reaches the sink.
        confirmation = relayed_mail(relay_sink, REQUESTER, "(version 2)")
        assert confirmation["Subject"].startswith(f"Received: {reference}, your request")

        page.goto(f"{site}/children/{reference}")
        expect(page.get_by_role("cell", name="Request for an assessment")).to_have_count(2)

        # A form of theirs held for a code: they give the code we emailed them, on the page.
        held = held_form(services, requester)
        page.get_by_role("link", name="SEND service").click()
        page.get_by_role("link", name="Forms waiting for your code").click()
        expect(page.get_by_label("Code from the email")).to_be_visible()
        snap(page, "professional-6-held")
        code_email = relayed_mail(relay_sink, REQUESTER, "Your code")
        page.get_by_label("Code from the email").fill(code_in(code_email))
        page.get_by_role("button", name="Confirm I sent it").click()
        expect(page.get_by_text("the form is being checked now")).to_be_visible()
        status, reasons = wait_until(lambda: settled(services, held), "the held form processed")
        assert status == InboundStatus.ACCEPTED, reasons


def upload(page, pdf: bytes) -> None:
    """On the progress page: the completed form and the documents it lists, then Upload."""
    page.get_by_label("Completed PDF form").set_input_files(
        {"name": "request-form.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    page.get_by_label("Supporting documents (optional)").set_input_files(
        [{"name": name, "mimeType": kind, "buffer": data} for name, kind, data in LISTED]
    )
    page.get_by_role("button", name="Upload form").click()
