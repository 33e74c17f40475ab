"""A caseworker in headless Chromium (Debian's, driven by Playwright): signs in with the emailed
code, opens a case the pipeline opened, asks a professional for advice, and the advice request
email reaches the relay sink through the outbox sender. The case and compliance pages are saved
as screenshots for people to look at."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from casework import CASEWORKER, HOSTILE_NAME, caseworker_account, opened_case
from mail_servers import relay_sink  # noqa: F401 (fixture)
from test_compliance import five_cases
from test_portal_browser import SCREENSHOTS, browser_page, snap  # noqa: F401 (fixture)
from web_client import PASSWORD, active_account, emailed_code, served

from intake.serve import outbox_sender
from notifier import SmtpRelay

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

ADVISER = "ffion.ep@eps.example.gov.uk"


@pytest.fixture
def database(sqlite_database):
    """One database is enough for the browser: the HTTP tests cover both."""
    return sqlite_database


def test_a_caseworker_opens_a_case_requests_advice_and_the_email_reaches_the_sink(
    services,
    senco,
    browser_page,  # noqa: F811 (a fixture)
    relay_sink,  # noqa: F811 (a fixture)
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reference = opened_case(services, senco)
    caseworker_account(services)
    active_account(services, ADVISER)
    page = browser_page
    with served(services) as site:
        page.goto(f"{site}/sign-in")
        page.get_by_label("Email address").fill(CASEWORKER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Security code").fill(emailed_code(services))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{site}/")

        page.goto(f"{site}/cases/{reference}")
        expect(page.get_by_role("heading", name="Gruffydd Nowak-Pryce")).to_be_visible()
        # The attack in the file name is a link's text, and nothing ran.
        expect(page.get_by_role("link", name=HOSTILE_NAME)).to_be_visible()
        assert page.locator("img").count() == 0
        snap(page, "20-case")
        # The answers wait folded by step; a step opens from the keyboard.
        step_one = page.locator("summary").filter(has_text="Step 1:").first
        step_one.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_text("Hélène Michałowska").first).to_be_visible()

        page.get_by_role("button", name="Request advice").click()
        expect(page.locator(".error-summary")).to_be_focused()
        snap(page, "21-case-advice-problems")
        page.get_by_label("Professional's email address").fill(ADVISER)
        page.get_by_label("Type of advice").select_option("psychological")
        page.get_by_role("button", name="Request advice").click()
        expect(page.get_by_text("has been sent")).to_be_visible()
        expect(page.get_by_role("cell", name=ADVISER)).to_be_visible()
        snap(page, "22-case-advice-requested")

        five_cases(services)  # decided and issued in 2026, some late
        page.goto(f"{site}/compliance")
        expect(page.get_by_role("heading", name="Compliance with the time limits")).to_be_visible()
        expect(page.get_by_role("row", name="2026-02")).to_contain_text("75% (3)")
        snap(page, "23-compliance")

    sender = outbox_sender(services, SmtpRelay(relay_sink.url))
    sender.send_due()
    arrived = [
        message_from_bytes(m.data, policy=policy.default)
        for m in relay_sink.messages
        if ADVISER in m.rcpt_tos
    ]
    assert len(arrived) == 1
    assert reference in arrived[0]["Subject"]
    assert any(p.get_filename() for p in arrived[0].iter_attachments())
