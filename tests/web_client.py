"""The portal served for real in tests: uvicorn on a free port in a thread (portal.WebServer,
as `intake serve` runs it) over the test's `services`, alone or with the pipeline worker and the
outbox sender; an httpx client that behaves like a browser with one tab: it keeps its cookies and
reads each page's CSRF token; and the emails people read, from the outbox or the relay sink.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
from conftest import free_port
from sqlalchemy import select

from intake.accounts.passwords import hash_password
from intake.cases.accounts import add_professional
from intake.serve import RunningService
from intake.services import Services
from portal import WebServer, create_app
from store import OutboxMessage, Professional

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# A security code in our emails: six digits on a line of their own, indented (CRLF as relayed).
CODE = re.compile(r"^\s+(\d{6})\s*$", re.M)
PASSWORD = "a kettle, two robins and rain"


@contextmanager
def served(services: Services) -> Iterator[str]:
    """The portal over `services`, listening on a free port; its base URL."""
    port = free_port()
    server = WebServer(create_app(services), "127.0.0.1", port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def served_with_mail(services: Services, relay_url: str) -> Iterator[str]:
    """The portal, the pipeline worker and the outbox sender together, as `intake serve` runs
    them, our mail going out through the SMTP relay at `relay_url`; the portal's base URL."""
    sending = replace(services, settings=replace(services.settings, smtp_url=relay_url))
    port = free_port()
    web = WebServer(create_app(sending), "127.0.0.1", port)
    service = RunningService(sending, smtp=False, imap=False, web=web)
    service.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        service.stop()


class Visitor:
    """One person's browser: cookies kept, redirects shown (not followed) so tests see them."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        self.page = ""

    def get(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        self.page = response.text
        return response

    def csrf(self) -> str:
        found = CSRF.search(self.page)
        assert found, "the page has no CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], *, token: bool = True) -> httpx.Response:
        """Send a form from the page last seen, with its CSRF token unless `token` is False."""
        fields = {"csrf_token": self.csrf(), **data} if token else dict(data)
        response = self.http.post(path, data=fields)
        self.page = response.text
        return response

    def close(self) -> None:
        self.http.close()


def problems_on(page: str) -> list[str]:
    """The error summary's lines, with the field each links to: ["#field-email Enter ..."]."""
    return [
        f"{anchor} {text.strip()}"
        for anchor, text in re.findall(
            r'<li><a href="(#[^"]+)">([^<]+)</a></li>', page.split("error-summary", 1)[-1]
        )
    ]


def emails(services: Services, kind: str) -> list:
    with services.db.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).all()
        return [message_from_bytes(r.raw, policy=policy.default) for r in rows]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def code_in(message) -> str:
    """The security code an email of ours gives."""
    found = CODE.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


def emailed_code(services: Services) -> str:
    return code_in(emails(services, "one_time_code")[-1])


def relayed_to(sink, address: str) -> list[EmailMessage]:
    """What the relay sink (tests/mail_servers.py) accepted for `address`, oldest first."""
    return [
        message_from_bytes(m.data, policy=policy.default)
        for m in list(sink.messages)
        if address in m.rcpt_tos
    ]


def emailed_link(services: Services, kind: str, path: str) -> str:
    """The path part (`/activate/SECRET`) of the link in the latest email of `kind`."""
    found = re.search(rf"https?://[^/\s]+(/{path}/[\w-]+)", text_of(emails(services, kind)[-1]))
    assert found, text_of(emails(services, kind)[-1])
    return found.group(1)


def active_account(
    services: Services, email: str, *, two_factor: str = "email", totp_secret: str | None = None
) -> Professional:
    """An activated account with the password PASSWORD and the two-step method given."""
    professional = add_professional(
        services,
        email=email,
        name="Dr Ffion Ó Súilleabháin",
        role="Educational psychologist",
        organisation="Glan Ŵy Psychology Service",
        activate=True,
    )
    with services.db.session() as session:
        row = session.get(Professional, professional.id)
        row.password_hash = hash_password(PASSWORD)
        row.two_factor = two_factor
        row.totp_secret = totp_secret
    return professional


def sign_in(visitor: Visitor, services: Services, email: str) -> None:
    """Through the pages, password then the emailed code, as a person does."""
    visitor.get("/sign-in")
    assert visitor.post("/sign-in", {"email": email, "password": PASSWORD}).status_code == 303
    visitor.get("/sign-in/code")
    response = visitor.post("/sign-in/code", {"code": emailed_code(services)})
    assert response.headers["location"] == "/", visitor.page
