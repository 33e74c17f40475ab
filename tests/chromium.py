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


# --- what keyboard and screen reader users need ----------------------------------------------

# Every problem found on the page, as a sentence; none on a good page.
ACCESSIBILITY_SCAN = """() => {
  const problems = [];
  const text = el => (el.textContent || "").replace(/\\s+/g, " ").trim();
  const byId = id => document.getElementById(id);

  if (!document.documentElement.lang) problems.push("the page has no lang");
  if (!document.title.trim()) problems.push("the page has no title");
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 headings, not one`);
  if (document.querySelectorAll("main").length !== 1) problems.push("not one <main>");
  let level = 1;
  document.querySelectorAll("main h1, main h2, main h3, main h4").forEach(h => {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`heading "${text(h)}" skips from h${level} to h${next}`);
    level = next;
  });

  const focusable = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const first = document.querySelector(focusable);
  if (!first || !first.classList.contains("skip-link")) {
    problems.push("the first stop for Tab is not a skip link");
  } else {
    const target = byId(first.getAttribute("href").slice(1));
    if (!target || target.tagName !== "MAIN") problems.push("the skip link misses <main>");
  }

  const seen = {};
  document.querySelectorAll("[id]").forEach(el => { seen[el.id] = (seen[el.id] || 0) + 1; });
  Object.entries(seen).forEach(([id, n]) => { if (n > 1) problems.push(`id "${id}" used ${n} times`); });

  document.querySelectorAll("input, select, textarea").forEach(el => {
    if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) return;
    const labels = [...(el.labels || [])].filter(label => text(label));
    const labelledBy = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(byId);
    if (!labels.length && !el.getAttribute("aria-label") && !labelledBy.length) {
      problems.push(`${el.tagName.toLowerCase()} "${el.name}" has no label`);
    }
    if ((el.type === "radio" || el.type === "checkbox") && document.getElementsByName(el.name).length > 1) {
      const group = el.closest("fieldset");
      if (!group || !group.querySelector("legend")) problems.push(`the ${el.name} choices have no fieldset and legend`);
    }
  });
  document.querySelectorAll("[aria-describedby]").forEach(el => {
    el.getAttribute("aria-describedby").split(/\\s+/).forEach(id => {
      if (!byId(id)) problems.push(`aria-describedby points at a missing #${id}`);
    });
  });
  document.querySelectorAll("button, a[href]").forEach(el => {
    if (!text(el) && !el.getAttribute("aria-label")) problems.push(`a ${el.tagName.toLowerCase()} has no text`);
  });
  document.querySelectorAll("img:not([alt])").forEach(() => problems.push("an image has no alt"));

  const summary = document.querySelector(".error-summary");
  if (summary) {
    if (!document.title.startsWith("Error: ")) problems.push('the title does not begin "Error: "');
    const links = summary.querySelectorAll("a[href^='#']");
    if (!links.length) problems.push("the error summary links to nothing");
    links.forEach(link => {
      const target = byId(link.getAttribute("href").slice(1));
      if (!target) problems.push(`"${text(link)}" links to a missing ${link.getAttribute("href")}`);
      else if (!target.matches("input, select, textarea, main")) {
        problems.push(`"${text(link)}" links to a ${target.tagName.toLowerCase()}, not a field`);
      } else if (target.tagName !== "MAIN") {
        const group = target.closest("fieldset") || target;  // radios say it on their fieldset
        const describedBy = [target, group]
          .flatMap(el => (el.getAttribute("aria-describedby") || "").split(/\\s+/));
        const told = describedBy.some(id => byId(id) && byId(id).classList.contains("error-message"));
        if (!told) problems.push(`the field for "${text(link)}" does not say its error`);
      }
    });
  }

  document.querySelectorAll("table").forEach((table, i) => {
    const name = table.caption ? `"${text(table.caption)}"` : `number ${i + 1}`;
    if (!text(table.caption || document.createElement("x")) && !table.getAttribute("aria-labelledby")) {
      problems.push(`table ${name} has no caption`);
    }
    const heads = table.querySelectorAll("thead th[scope=col]");
    if (!heads.length) problems.push(`table ${name} has no column headers`);
    heads.forEach(th => { if (!text(th)) problems.push(`table ${name} has an empty column header`); });
    table.querySelectorAll("tbody th:not([scope=row])").forEach(() => {
      problems.push(`table ${name} has a row header without scope="row"`);
    });
  });
  return problems;
}"""


def accessibility_problems(page) -> list[str]:
    return page.evaluate(ACCESSIBILITY_SCAN)


def assert_accessible(page) -> None:
    problems = accessibility_problems(page)
    assert problems == [], f"{page.url}: {problems}"
