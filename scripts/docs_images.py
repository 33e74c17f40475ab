"""Make the pictures in docs/images/ again from the real service, so the guides stay in step with
it: our forms as `intake forms render` makes them, the demo's form returned with its problems
marked and its receipt, pages turned into small PNGs by pdftoppm (poppler-utils); and the
caseworkers' dashboard over the demo's own database, photographed by Debian's Chromium driven by
Playwright (as the browser tests run it).

Run `scripts/docs-images` (it calls this with the project's venv). Needs poppler-utils and
chromium (`scripts/setup --test` installs both). Nothing outside docs/images/ is changed; the
demo runs in a temporary folder with its own database and no network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import select  # noqa: E402

from intake.accounts.passwords import hash_password  # noqa: E402
from intake.cases.accounts import add_professional  # noqa: E402
from intake.services import open_services  # noqa: E402
from intake.settings import load_settings  # noqa: E402
from portal import WebServer, create_app  # noqa: E402
from store import InboundMessage, InboundStatus, OutboxMessage, Professional  # noqa: E402

IMAGES = ROOT / "docs" / "images"
# Wide enough to read a field's label, small enough that all the pictures stay a few hundred KB.
PAGE_WIDTH = 560
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
CASEWORKER = "c.worker@council.example.gov.uk"
# Only ever this script's: the account exists in the throwaway demo database alone.
PASSWORD = "docs pictures only, never a real account"
CASE = "EHC-2026-000001"


def intake(env: dict[str, str], *args: str) -> None:
    # The demo narrates its story on stdout: not wanted here.
    subprocess.run(
        [sys.executable, "-m", "intake.cli.main", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def page_png(pdf: Path, page: int, name: str) -> Path:
    """Page `page` of `pdf` as docs/images/NAME.png, PAGE_WIDTH pixels wide."""
    out = IMAGES / name
    subprocess.run(
        ["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile"]
        + ["-scale-to-x", str(PAGE_WIDTH), "-scale-to-y", "-1", str(pdf), str(out)],
        check=True,
    )
    return out.with_suffix(".png")


def render_forms(env: dict[str, str], work: Path) -> list[Path]:
    made = []
    for kind in ("request", "advice", "registration"):
        pdf = work / f"{kind}.pdf"
        intake(env, "forms", "render", kind, "--out", str(pdf))
        made.append(page_png(pdf, 1, f"{kind}-form"))
    return made


def demo_pictures(env: dict[str, str], demo: Path) -> list[Path]:
    """The demo's story: its returned form (problems listed on page 1, the fields at fault
    framed in red on the page they are on) and the receipt of the corrected one."""
    intake(env, "demo", "--out", str(demo))
    returned = demo / "2-returned-form.pdf"
    return [
        page_png(returned, 1, "returned-form-problems"),
        page_png(returned, problem_page(returned), "returned-form-marked"),
        page_png(demo / "3-receipt.pdf", 1, "receipt"),
    ]


def problem_page(pdf: Path) -> int:
    """The first page after the list of problems that names the postcode (the demo's mistake)."""
    pages = int(re.search(r"Pages:\s+(\d+)", pdfinfo(pdf)).group(1))
    for page in range(2, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        if "ostcode" in text:
            return page
    return 2


def pdfinfo(pdf: Path) -> str:
    return subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout


def dashboard_pictures(service_home: Path) -> list[Path]:
    """The caseworker's pages over the demo's database, signed in as a person does."""
    from playwright.sync_api import sync_playwright

    settings = load_settings(
        environ={"INTAKE_HOME": str(service_home)},
        toml_path=None,
    )
    services = open_services(settings)
    add_caseworker(services)
    server = WebServer(create_app(services), "127.0.0.1", free_port())
    server.start()
    site = f"http://127.0.0.1:{server.port}"
    made = []
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.goto(f"{site}/sign-in")
            page.fill("input[name=email]", CASEWORKER)
            page.fill("input[name=password]", PASSWORD)
            page.get_by_role("button", name="Continue").click()
            page.fill("input[name=code]", emailed_code(services))
            page.get_by_role("button", name="Sign in").click()
            for path, name in (
                ("/queue", "dashboard-queue"),
                (f"/messages/{first_sent_back(services)}", "dashboard-message"),
                (f"/cases/{CASE}", "dashboard-case"),
                ("/compliance", "dashboard-compliance"),
            ):
                page.goto(site + path)
                out = IMAGES / f"{name}.png"
                page.screenshot(path=str(out))
                made.append(out)
            browser.close()
    finally:
        server.stop()
        services.close()
    return made


def first_sent_back(services) -> int:
    """The demo's form with two mistakes, as the caseworker's message page shows it."""
    with services.db.session() as session:
        return session.scalar(
            select(InboundMessage.id)
            .where(InboundMessage.status == InboundStatus.REJECTED)
            .order_by(InboundMessage.id)
        )


def add_caseworker(services) -> None:
    add_professional(
        services,
        email=CASEWORKER,
        name="Carys Worker",
        role="Other",
        organisation="SEND service",
        activate=True,
    )
    with services.db.session() as session:
        row = session.scalar(select(Professional).where(Professional.email == CASEWORKER))
        row.password_hash = hash_password(PASSWORD)
        row.two_factor = "email"
        row.is_caseworker = True


def emailed_code(services) -> str:
    with services.db.session() as session:
        raw = session.scalars(
            select(OutboxMessage.raw)
            .where(OutboxMessage.kind == "one_time_code")
            .order_by(OutboxMessage.id.desc())
        ).first()
    text = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return re.search(r"^\s+(\d{6})$", text, re.M).group(1)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            print(f"docs-images: {tool} is missing (poppler-utils)", file=sys.stderr)
            return 1
    if not os.access(CHROMIUM, os.X_OK):
        print(f"docs-images: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="intake-docs-images-") as folder:
        work = Path(folder)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
            "INTAKE_HOME": str(work / "home"),
            "PYTHONPATH": str(ROOT),
        }
        made = render_forms(env, work)
        made += demo_pictures(env, work / "demo")
        made += dashboard_pictures(work / "demo" / "service")
    total = 0
    for path in made:
        size = path.stat().st_size
        total += size
        print(f"{path.relative_to(ROOT)}  {size // 1024} KB")
    print(f"{len(made)} pictures, {total // 1024} KB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
