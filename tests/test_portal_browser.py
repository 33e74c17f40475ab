"""One person's whole way in, in headless Chromium (Debian's, driven by Playwright): register on
the web form, open the emailed activation link, set a password and email codes, sign out, sign in
again with the emailed code. Each page is saved as a screenshot for people to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import free_port
from web_client import PASSWORD, emailed_code, emailed_link, served

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "artifacts" / "screenshots"
EMAIL = "g.pryce@ysgol-tregaron.sch.uk"


@pytest.fixture
def database(sqlite_database):
    """One database is enough for the browser: the HTTP tests cover both."""
    return sqlite_database


@pytest.fixture
def browser_page():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        yield page
        browser.close()


def snap(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_register_activate_sign_out_and_sign_in_with_an_emailed_code(
    services, browser_page
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {SCREENSHOTS}")
    page = browser_page
    with served(services) as site:
        page.goto(f"{site}/")
        assert page.url == f"{site}/sign-in"
        snap(page, "01-sign-in")

        page.get_by_role("link", name="Register as a professional").click()
        page.get_by_role("button", name="Register").click()
        expect(page.locator(".error-summary")).to_be_visible()
        snap(page, "02-register-problems")
        page.get_by_label("Work email address").fill(EMAIL)
        page.get_by_label("Your full name").fill("Gwenllian Pryce")
        page.get_by_label("Your job title").fill("SENCO")
        page.get_by_label("Your role").select_option("SENCO")
        page.get_by_label("Organisation name").fill("Ysgol Tregaron")
        page.get_by_label("Organisation type").select_option("Maintained school")
        page.get_by_label("Work phone number").fill("0116 454 1000")
        page.get_by_label("Work address").fill("Ysgol Tregaron\nStation Road")
        page.get_by_label("Work postcode").fill("LE1 6ZG")
        page.get_by_label("I accept the terms of use").check()
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        snap(page, "03-register-sent")

        page.goto(site + emailed_link(services, "activation_link", "activate"))
        expect(page.get_by_text(EMAIL)).to_be_visible()
        expect(page.locator("svg.qr-code")).to_be_hidden()  # shown only for the app
        page.get_by_label("With an authenticator app on my phone").check()
        expect(page.locator("svg.qr-code")).to_be_visible()
        snap(page, "04-activate-app-chosen")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Type your password again").fill("not the same one")
        page.get_by_label("By email").check()
        page.get_by_role("button", name="Activate account").click()
        summary = page.locator(".error-summary")
        assert "The passwords do not match" in summary.inner_text()
        expect(summary).to_be_focused()  # keyboard users start from the list of problems
        snap(page, "05-activate-problems")
        summary.get_by_role("link").first.click()  # the summary's link moves to the field
        assert page.evaluate("document.activeElement.id") == "field-password-again"

        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Type your password again").fill(PASSWORD)
        page.get_by_label("By email").check()
        page.get_by_role("button", name="Activate account").click()
        # (The summary link's #fragment stays on through the redirect, as browsers do.)
        expect(page).to_have_url(re.compile(re.escape(f"{site}/") + "(#.*)?$"))
        expect(page.get_by_text("Your account is active")).to_be_visible()
        expect(page.get_by_role("heading", name="Signed in as Gwenllian Pryce")).to_be_visible()
        snap(page, "06-signed-in")

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
        snap(page, "07-signed-out")
        page.goto(f"{site}/")
        assert page.url == f"{site}/sign-in"

        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(f"{site}/sign-in/code")
        snap(page, "08-sign-in-code")
        page.get_by_label("Security code").fill(emailed_code(services))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{site}/")
        expect(page.get_by_role("heading", name="Signed in as Gwenllian Pryce")).to_be_visible()
        snap(page, "09-signed-in-again")
        cookies = page.context.cookies()
        session = next(c for c in cookies if c["name"] == "intake_session")
        assert session["httpOnly"] and session["sameSite"] == "Lax"


def test_a_caseworker_releases_a_quarantined_message_and_sees_the_case_appear(
    services, browser_page
) -> None:
    from test_portal_queue import CASEWORKER, caseworker_account, quarantined_request

    from intake.serve import RunningService
    from portal import WebServer, create_app

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    inbound_id = quarantined_request(services)
    caseworker_account(services)
    port = free_port()
    # The web pages and the pipeline worker together, as `intake serve` runs them.
    service = RunningService(
        services, smtp=False, imap=False, web=WebServer(create_app(services), "127.0.0.1", port)
    )
    service.start()
    site, page = f"http://127.0.0.1:{port}", browser_page
    try:
        page.goto(f"{site}/sign-in")
        page.get_by_label("Email address").fill(CASEWORKER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Security code").fill(emailed_code(services))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{site}/")

        page.get_by_role("link", name="Intake queue").click()
        page.get_by_role("link", name=re.compile("Quarantined")).click()
        row_link = page.get_by_role("link", name=f"Message {inbound_id}", exact=True)
        expect(row_link).to_be_visible()
        snap(page, "10-queue-quarantined")

        row_link.click()
        expect(page.get_by_role("heading", name="Why it ended here")).to_be_visible()
        expect(
            page.get_by_text("This form was issued to a different email address")
        ).to_be_visible()
        snap(page, "11-message-quarantined")
        page.get_by_label("Note for the audit log (optional)").fill("Checked with the school")
        page.get_by_role("button", name="Release from quarantine").click()
        expect(page.get_by_text("Released from quarantine.")).to_be_visible()

        for _ in range(40):  # the pipeline worker takes it within a second or two
            page.reload()
            if page.locator(".tag", has_text="Accepted").count():
                break
            page.wait_for_timeout(250)
        expect(page.locator("p.body .tag")).to_have_text("Accepted")
        reference = page.get_by_role("link", name=re.compile(r"^EHC-\d{4}-\d{6}$")).inner_text()
        snap(page, "12-message-released-accepted")

        page.get_by_role("link", name="Intake queue").click()
        page.get_by_role("link", name=re.compile("New requests")).click()
        expect(page.get_by_role("link", name=reference, exact=True)).to_be_visible()
        snap(page, "13-queue-new-requests")
    finally:
        service.stop()
