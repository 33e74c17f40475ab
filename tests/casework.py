"""Cases and caseworkers for the caseworkers' page tests: a case opened by the real pipeline
(a SENCO's emailed request form with its supporting files, one named like an attack, as names
arrive by email today), and a caseworker's account signed in through the pages."""

from __future__ import annotations

from conftest import SENCO
from mail_factory import form_reply, supporting_file
from sqlalchemy import select
from web_client import Visitor, active_account, sign_in

from documents import get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from intake.services import Services
from store import Case, InboundMessage, InboundStatus, Professional, Transport

HOSTILE_NAME = "<img src=x onerror=alert(1)>.pdf"
HOSTILE_BYTES = b"%PDF-1.4\n% a report whose name is an attack\n%%EOF\n"
CASEWORKER = "c.worker@send.example.gov.uk"


def opened_case(
    services: Services, senco, *, message_id: str = "<case-1@glanwy.sch.uk>", **changes
) -> str:
    """A case opened by the pipeline from a valid request with two supporting files (answers
    changed by `changes`: another child's name opens another case)."""
    token, _ = personal_request_form(services, senco)
    answers = {**REQUEST_EXAMPLE, "documents[1].file": HOSTILE_NAME, **changes}
    files = [
        (HOSTILE_NAME, "application/pdf", HOSTILE_BYTES),
        supporting_file(REQUEST_EXAMPLE["documents[2].file"]),
    ]
    pdf = render_form(get_form("request"), values=answers, token=token)
    raw = form_reply(pdf, sender=SENCO, message_id=message_id, files=files)
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    with services.db.session() as session:
        message = session.get(InboundMessage, captured.inbound_id)
        assert message.status == InboundStatus.ACCEPTED, message.reasons
        return session.scalar(select(Case.reference).where(Case.id == message.case_id))


def caseworker_account(services: Services, email: str = CASEWORKER) -> None:
    active_account(services, email)
    with services.db.session() as session:
        row = session.scalar(select(Professional).where(Professional.email == email))
        row.is_caseworker = True
        row.name = "Carys Worker"


def signed_in_caseworker(site: str, services: Services, email: str = CASEWORKER) -> Visitor:
    caseworker_account(services, email)
    visitor = Visitor(site)
    sign_in(visitor, services, email)
    return visitor
