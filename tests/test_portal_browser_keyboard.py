"""The pages used by keyboard alone and with a screen reader (GOV.UK patterns), in headless
Chromium on SQLite and PostgreSQL: a caseworker signs in and releases a quarantined message with
only Tab, Enter, Space and typing; and every form that can come back with problems shows an
error summary that takes focus, leads to each field, and that the field itself announces.

Every page these tests see is also scanned (tests/accessibility_scan.js) and saved as a
screenshot: labelled controls, one h1, a skip link, tables with headers and captions.
"""

from __future__ import annotations

import re

import pytest
from casework import CASEWORKER, caseworker_account
from chromium import VIEWPORT, focused_name, press_to_go, sign_in_in_browser, snap, tab_to
from test_portal_held import held_form
from test_portal_professional import ANSWERS, REQUESTER, case_of, deliver_request
from test_portal_queue import pending_registration, quarantined_request, status_of
from web_client import PASSWORD, active_account, emailed_code, served

from intake.pipeline.process import process_all
from store import InboundStatus

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect


def test_a_caseworker_signs_in_and_releases_a_message_with_the_keyboard_alone(
    services, browser_page
) -> None:
    inbound_id = quarantined_request(services)
    caseworker_account(services)
    page, keys = browser_page, browser_page.keyboard
    with served(services) as site:
        page.goto(f"{site}/sign-in")
        keys.press("Tab")
        assert focused_name(page) == "Skip to main content"  # the first stop, as GOV.UK's
        keys.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main-content"

        tab_to(page, "Email address")
        keys.type(CASEWORKER)
        tab_to(page, "Password")
        keys.type(PASSWORD)
        press_to_go(page)  # Enter in a text field sends its form
        expect(page).to_have_url(f"{site}/sign-in/code")
        tab_to(page, "Security code")
        keys.type(emailed_code(services))
        tab_to(page, "Sign in")
        press_to_go(page)
        expect(page.get_by_role("heading", name="Signed in as Carys Worker")).to_be_visible()

        tab_to(page, "Intake queue")
        press_to_go(page)
        tab_to(page, re.compile(r"\d+ Quarantined"))
        press_to_go(page)
        tab_to(page, f"Message {inbound_id}")
        press_to_go(page)
        expect(page.get_by_role("heading", name="Why it ended here")).to_be_visible()
        tab_to(page, "Note for the audit log (optional)")
        keys.type("Checked with the school by phone")
        tab_to(page, "Release from quarantine")
        press_to_go(page, "Space")  # a button answers Space as well as Enter
        expect(page.get_by_text("Released from quarantine.")).to_be_visible()
        assert status_of(services, inbound_id) != InboundStatus.QUARANTINED

        process_all(services)  # as the pipeline worker would
        page.reload()
        tab_to(page, re.compile(r"EHC-\d{4}-\d{6}"))
        press_to_go(page)
        expect(page.get_by_role("heading", name="Submissions")).to_be_visible()
        # The answers wait folded by step; a step opens from the keyboard.
        tab_to(page, re.compile(r"Step 1: .*"))
        keys.press("Enter")
        expect(page.get_by_text(ANSWERS["child_forename"]).first).to_be_visible()


# (the page, the button sent with the form empty or wrong, the screenshot's name)
CASEWORKER_FORMS = [
    ("/cases/{reference}", "Move stage", "case-move-stage"),
    ("/cases/{reference}", "Record exception", "case-exception"),
    ("/cases/{reference}", "Request advice", "case-request-advice"),
    ("/messages/{message}", "Reject and email the sender", "message-reject"),
]
PROFESSIONAL_FORMS = [
    ("/held", "Confirm I sent it", "held-code"),
    ("/account/two-step", "Save", "account-two-step"),
    ("/account/document-password", "Save document password", "account-document-password"),
    ("/children/{reference}", "Upload form", "upload"),
]
ANYONE_FORMS = [
    ("/sign-in", "Continue", "sign-in"),
    ("/register", "Register", "register"),
    ("/forgot-password", "Send the link", "forgot-password"),
]


def test_each_form_sent_with_problems_leads_to_its_fields(services, browser) -> None:
    inbound_id = quarantined_request(services)
    caseworker_account(services)
    requester = active_account(services, REQUESTER)
    reference = case_of(services, deliver_request(services, requester, ANSWERS, "<a1@glanwy>"))
    held_form(services, requester)
    pending_registration(services, "g.pryce@ysgol-tregaron.sch.uk", "Gwenllian Pryce")
    with served(services) as site:
        anyone, caseworker, professional = (browser.new_page(viewport=VIEWPORT) for _ in range(3))
        for path, button, name in ANYONE_FORMS:
            send_with_problems(anyone, f"{site}{path}", button, name)
        anyone.goto(f"{site}/sign-in")
        anyone.get_by_label("Email address").fill(CASEWORKER)
        anyone.get_by_label("Password").fill(PASSWORD)
        anyone.get_by_role("button", name="Continue").click()
        anyone.get_by_label("Security code").fill("000000")
        anyone.get_by_role("button", name="Sign in").click()
        summary_leads_to_fields(anyone, "problems-sign-in-code")

        sign_in_in_browser(caseworker, site, CASEWORKER, PASSWORD, lambda: emailed_code(services))
        for path, button, name in CASEWORKER_FORMS:
            filled = path.format(reference=reference, message=inbound_id)
            send_with_problems(caseworker, f"{site}{filled}", button, name)
        caseworker.goto(f"{site}/registrations")
        caseworker.locator("summary", has_text="Decline").click()  # the reason box opens
        caseworker.get_by_role("button", name="Decline and email the reason").click()
        summary_leads_to_fields(caseworker, "problems-registrations-decline")

        sign_in_in_browser(professional, site, REQUESTER, PASSWORD, lambda: emailed_code(services))
        for path, button, name in PROFESSIONAL_FORMS:
            filled = path.format(reference=reference)
            send_with_problems(professional, f"{site}{filled}", button, name)


def send_with_problems(page, url: str, button: str, name: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=button).first.click()
    summary_leads_to_fields(page, f"problems-{name}")


def summary_leads_to_fields(page, name: str) -> None:
    """The error summary has focus (the scan checks where its links lead and that each field
    says its error); its first link, followed from the keyboard, puts focus in the field."""
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    snap(page, name)
    first = summary.get_by_role("link").first
    target = first.get_attribute("href").removeprefix("#")
    first.focus()
    page.keyboard.press("Enter")  # a link within the page: no new page to wait for
    if target != "main-content":
        assert page.evaluate("document.activeElement.id") == target, name
