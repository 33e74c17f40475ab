"""One person's whole way in, in headless Chromium (Debian's, driven by Playwright): register on
the web form, open the emailed activation link, set a password and email codes, sign out, sign in
again with the emailed code. Each page is saved as a screenshot for people to look at."""

from __future__ import annotations

import re

import pytest
from chromium import snap
from web_client import PASSWORD, emailed_code, emailed_link, served

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

EMAIL = "g.pryce@ysgol-tregaron.sch.uk"


def test_register_activate_sign_out_and_sign_in_with_an_emailed_code(
    services, browser_page
) -> None:
    page = browser_page
    with served(services) as site:
        page.goto(f"{site}/")
        assert page.url == f"{site}/sign-in"
        snap(page, "register-1-sign-in")

        page.get_by_role("link", name="Register as a professional").click()
        page.get_by_role("button", name="Register").click()
        expect(page.locator(".error-summary")).to_be_visible()
        snap(page, "register-2-problems")
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
        snap(page, "register-3-sent")

        page.goto(site + emailed_link(services, "activation_link", "activate"))
        expect(page.get_by_text(EMAIL)).to_be_visible()
        expect(page.locator("svg.qr-code")).to_be_hidden()  # shown only for the app
        page.get_by_label("With an authenticator app on my phone").check()
        expect(page.locator("svg.qr-code")).to_be_visible()
        snap(page, "register-4-activate-app-chosen")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Type your password again").fill("not the same one")
        page.get_by_label("By email").check()
        page.get_by_role("button", name="Activate account").click()
        summary = page.locator(".error-summary")
        assert "The passwords do not match" in summary.inner_text()
        expect(summary).to_be_focused()  # keyboard users start from the list of problems
        snap(page, "register-5-activate-problems")
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
        snap(page, "register-6-signed-in")

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
        snap(page, "register-7-signed-out")
        page.goto(f"{site}/")
        assert page.url == f"{site}/sign-in"

        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(f"{site}/sign-in/code")
        snap(page, "register-8-sign-in-code")
        page.get_by_label("Security code").fill(emailed_code(services))
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{site}/")
        expect(page.get_by_role("heading", name="Signed in as Gwenllian Pryce")).to_be_visible()
        snap(page, "register-9-signed-in-again")
        cookies = page.context.cookies()
        session = next(c for c in cookies if c["name"] == "intake_session")
        assert session["httpOnly"] and session["sameSite"] == "Lax"
