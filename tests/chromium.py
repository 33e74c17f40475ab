"""Headless Chromium for the browser tests (a pytest plugin): Debian's /usr/bin/chromium driven
by Playwright, a page per test, full-page screenshots under tests/artifacts/screenshots/, the
sign-in a person does, keyboard moves, and a scan of each page for what keyboard and screen
reader users need (GOV.UK patterns): labelled controls, one h1, a skip link, error summaries
that lead to their fields, tables with headers.

`playwright install` is not needed (and cannot download here): the Debian browser is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
VIEWPORT = {"width": 1000, "height": 900}


@pytest.fixture
def browser():
    """A headless Chromium of this test's own; `browser.new_page()` for each person."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup --test installs Debian's chromium")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser_page(browser) -> Iterator[object]:
    """One person's browser tab (a context of its own: its own cookies)."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


def snap(page, name: str) -> None:
    """Check the page for keyboard and screen reader users, then save it as `name`.png."""
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in_in_browser(page, site: str, email: str, password: str, code: Callable[[], str]):
    """Through the two pages as a person does: email and password, then the security code that
    `code()` reads (from the email that reached the relay, or an authenticator app)."""
    from playwright.sync_api import expect

    page.goto(f"{site}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{site}/sign-in/code")
    page.get_by_label("Security code").fill(code())
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site}/")


# --- the keyboard ----------------------------------------------------------------------------

# The accessible name of the focused element, near enough for a test: a control's label, else
# its aria-label, else its text (hidden words for screen readers included), spaces squeezed.
FOCUSED_NAME = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
  const name = label || el.getAttribute("aria-label") || el.textContent || el.value || "";
  return name.replace(/\\s+/g, " ").trim();
}"""

# GOV.UK's focus state: the yellow (#ffdd00) as an outline, background or shadow.
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  const yellow = "rgb(255, 221, 0)";
  return [style.outlineColor, style.backgroundColor, style.boxShadow, style.borderColor]
    .some(value => value.includes(yellow));
}"""


def focused_name(page) -> str:
    return page.evaluate(FOCUSED_NAME)


def tab_to(page, name: str | re.Pattern, *, limit: int = 80) -> None:
    """Press Tab until the focused element's name is `name` (a string or a pattern it matches
    whole); fail naming the stops passed if it never comes. The stop must show its focus."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused_name(page)
        if now == name if isinstance(name, str) else name.fullmatch(now):
            assert page.evaluate(FOCUS_SHOWN), f"{now!r} has focus but does not show it"
            return
        passed.append(now)
    pytest.fail(f"Tab never reached {name!r}; it passed {passed}")


def press_to_go(page, key: str = "Enter") -> None:
    """Press `key` on the focused link, button or field and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


# --- what keyboard and screen reader users need ----------------------------------------------

# The scan in JavaScript, run in the page: it evaluates to the list of problems it found.
ACCESSIBILITY_SCAN = (Path(__file__).parent / "accessibility_scan.js").read_text(encoding="utf-8")


def accessibility_problems(page) -> list[str]:
    return page.evaluate(ACCESSIBILITY_SCAN)


def assert_accessible(page) -> None:
    problems = accessibility_problems(page)
    assert problems == [], f"{page.url}: {problems}"
