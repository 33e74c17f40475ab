"""A professional's way through their own pages in headless Chromium (Debian's, driven by
Playwright): sign in with the emailed code, see only their own children, open a child's progress
page, upload their request form with a mistake and see the problems by step, upload it corrected
(by keyboard) and see the confirmation. Each page is saved as a screenshot for people to look at.
"""

from __future__ import annotations

import pytest
from fill_engines import fill_with_pypdf
from test_portal_browser import SCREENSHOTS, browser_page, database, snap  # noqa: F401 (fixtures)
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
from web_client import PASSWORD, active_account, emailed_code, served

from documents import pdf_values

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect


def documents_to_upload() -> list[dict]:
    return [{"name": name, "mimeType": kind, "buffer": data} for name, kind, data in LISTED]


def test_a_professional_sees_only_their_children_and_uploads_a_corrected_form(
    services,
    browser_page,  # noqa: F811
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser_page
    requester = active_account(services, REQUESTER)
    other = active_account(services, OTHER)
    reference = case_of(services, deliver_request(services, requester, ANSWERS, "<a1@glanwy>"))
    theirs = {**ANSWERS, **OTHER_CHILD}
    other_reference = case_of(services, deliver_request(services, other, theirs, "<c1@ysgol>"))
    with served(services) as site:
        page.goto(f"{site}/sign-in")
        page.get_by_label("Email address").fill(REQUESTER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Security code").fill(emailed_code(services))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{site}/")

        page.get_by_role("link", name="Your children").click()
        expect(page.get_by_role("heading", name="Your children")).to_be_visible()
        table = page.locator("table.table")
        expect(table.get_by_role("link", name="Gruffydd Nowak-Pryce")).to_be_visible()
        assert "Aneira" not in table.inner_text() and other_reference not in page.content()
        snap(page, "20-my-children")

        page.get_by_role("link", name="Gruffydd Nowak-Pryce").click()
        expect(page).to_have_url(f"{site}/children/{reference}")
        expect(page.get_by_role("heading", name="What is happening now")).to_be_visible()
        snap(page, "21-child-progress")

        # The form as the page offers it: their token and the answers we last received.
        download = page.context.request.get(f"{site}/children/{reference}/request-form")
        assert download.headers["content-type"] == "application/pdf"
        form = download.body()
        wrong = fill_with_pypdf(form, pdf_values(REQUEST, {**ANSWERS, "postcode": ""}))
        page.get_by_label("Completed PDF form").set_input_files(
            {"name": "request-form.pdf", "mimeType": "application/pdf", "buffer": wrong}
        )
        page.get_by_label("Supporting documents (optional)").set_input_files(documents_to_upload())
        page.get_by_role("button", name="Upload form").click()
        expect(page.get_by_role("heading", name="Your form was not recorded")).to_be_visible()
        expect(page.get_by_role("heading", name="Step 2")).to_be_visible()
        snap(page, "22-upload-problems")

        page.get_by_role("link", name=f"Back to the progress page for {reference}").click()
        right = fill_with_pypdf(form, pdf_values(REQUEST, {**ANSWERS, "postcode": "LE3 9QR"}))
        page.get_by_label("Completed PDF form").set_input_files(
            {"name": "request-form.pdf", "mimeType": "application/pdf", "buffer": right}
        )
        page.get_by_label("Supporting documents (optional)").set_input_files(documents_to_upload())
        page.get_by_label("Supporting documents (optional)").focus()
        page.keyboard.press("Tab")  # the next stop is the upload button
        assert page.evaluate("document.activeElement.textContent").strip() == "Upload form"
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Form received")).to_be_visible()
        expect(page.locator(".panel")).to_contain_text(reference)
        snap(page, "23-upload-received")

        page.goto(f"{site}/children/{reference}")
        expect(page.locator("text=Request for an assessment")).to_have_count(2)
        snap(page, "24-child-progress-version-2")

        page.goto(f"{site}/account")
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        snap(page, "25-my-account")
        page.get_by_role("link", name="Change how you get security codes").click()
        expect(page.locator("svg.qr-code")).to_be_hidden()  # shown only once the app is chosen
        page.get_by_label("With an authenticator app on my phone").check()
        expect(page.locator("svg.qr-code")).to_be_visible()
        snap(page, "26-change-two-step")
