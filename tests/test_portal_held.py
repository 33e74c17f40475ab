"""A form held for its sender's code, released by the code entered on the web: only by the
professional it came from, with the code we emailed them, and then recorded as usual."""

from __future__ import annotations

import pytest
from mail_factory import form_reply, supporting_file
from sqlalchemy import func, select
from web_client import Visitor, active_account, code_in, emails, problems_on, served, sign_in

from documents import get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from store import InboundMessage, InboundStatus, Submission, Transport

OWNER = "h.michalowska@glanwy.sch.uk"
OTHER = "other.senco@school2.example.org"
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]


@pytest.fixture
def site(services):
    with served(services) as base_url:
        yield base_url


def held_form(services, owner, message_id: str = "<held-1@glanwy.sch.uk>") -> int:
    """A valid request form from `owner` with no DMARC pass: held for its code."""
    token, _ = personal_request_form(services, owner)
    pdf = render_form(get_form("request"), values=REQUEST_EXAMPLE, token=token)
    raw = form_reply(pdf, sender=owner.email, message_id=message_id, files=LISTED, dmarc=None)
    inbound_id = capture_message(services, raw, Transport.FILE).inbound_id
    process_all(services)
    with services.db.session() as session:
        assert session.get(InboundMessage, inbound_id).status == InboundStatus.AWAITING_VERIFICATION
    return inbound_id


def submission_code(services) -> str:
    [code_email] = [m for m in emails(services, "one_time_code") if m["To"] == OWNER]
    return code_in(code_email)


def status_of(services, inbound_id: int) -> InboundStatus:
    with services.db.session() as session:
        return session.get(InboundMessage, inbound_id).status


def test_the_owner_releases_a_held_form_with_the_emailed_code(site, services) -> None:
    owner = active_account(services, OWNER)
    held = held_form(services, owner)
    code = submission_code(services)
    visitor = Visitor(site)
    try:
        sign_in(visitor, services, OWNER)
        page = visitor.get("/held")
        assert page.status_code == 200 and f'action="/held/{held}"' in page.text
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        refused = visitor.post(f"/held/{held}", {f"code-{held}": wrong})
        assert refused.status_code == 400
        assert problems_on(refused.text) == [
            f"#field-code-{held} The code is not right: check it and try again"
        ]
        assert status_of(services, held) == InboundStatus.AWAITING_VERIFICATION
        released = visitor.post(f"/held/{held}", {f"code-{held}": code})
        assert released.status_code == 303 and released.headers["location"] == "/held"
        assert "Nothing is waiting for a code" in visitor.get("/held").text
    finally:
        visitor.close()
    process_all(services)
    assert status_of(services, held) == InboundStatus.ACCEPTED
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_another_professional_cannot_release_it_even_with_the_code(site, services) -> None:
    owner = active_account(services, OWNER)
    held = held_form(services, owner)
    code = submission_code(services)
    active_account(services, OTHER)
    visitor = Visitor(site)
    try:
        sign_in(visitor, services, OTHER)
        assert f'action="/held/{held}"' not in visitor.get("/held").text
        refused = visitor.post(f"/held/{held}", {f"code-{held}": code})
        assert refused.status_code == 400
        assert "no longer waiting for a code" in problems_on(refused.text)[0]
    finally:
        visitor.close()
    assert status_of(services, held) == InboundStatus.AWAITING_VERIFICATION
