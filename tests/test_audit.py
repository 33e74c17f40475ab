"""The audit log records every submission, every view of a case's data, every stage change (and
the first stage, when a request opens a case), with who and when; and the service cannot change
or remove an entry: the ORM refuses UPDATE and DELETE of audit rows, one by one or in bulk.
(Sign-ins are audited where they happen, by the portal.)
"""

from __future__ import annotations

import getpass
from datetime import timedelta

import pytest
from conftest import SENCO
from fill_engines import fill_with_pypdf
from mail_factory import attached_files, form_reply, supporting_file
from sqlalchemy import delete, select, update
from test_advice import (  # noqa: F401 (adviser is a fixture)
    ADVICE,
    ADVISER,
    REPORTS,
    advice_request,
    adviser,
    ask,
    make_case,
    prefilled_names,
    returned_answers,
)
from test_child_documents import deliver, replies
from test_cli import initialised_home, run

from documents import get_form, pdf_values
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cases.stages import move_case
from intake.replies import personal_request_form
from intake.views.case import case_document
from store import AuditEntry, AuditEntryImmutable, Case, Database, InboundStatus

REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
CASEWORKER = "cw@council.example.gov.uk"


def entries(services, **where) -> list[AuditEntry]:
    with services.db.session() as session:
        found = list(session.scalars(select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)))
        session.expunge_all()
        return found


def send_request(services, senco) -> str:
    _, personal = personal_request_form(services, senco)
    pdf = fill_with_pypdf(personal.data, pdf_values(REQUEST, REQUEST_EXAMPLE))
    message = deliver(services, form_reply(pdf, sender=SENCO, files=LISTED))
    assert message.status == InboundStatus.ACCEPTED
    with services.db.session() as session:
        return session.get(Case, message.case_id).reference


# --- what is recorded ---------------------------------------------------------------------------


def test_a_request_submission_and_the_case_it_opens_are_audited(services, senco) -> None:
    reference = send_request(services, senco)

    [opened] = entries(services, action="case-opened")
    [submitted] = entries(services, action="submission-recorded")
    assert (opened.actor, opened.subject_type, opened.subject_id) == (SENCO, "case", reference)
    assert opened.detail["stage"] == "REQUEST_RECEIVED"
    assert (submitted.actor, submitted.subject_type, submitted.subject_id) == (
        SENCO,
        "case",
        reference,
    )
    assert {k: submitted.detail[k] for k in ("kind", "version")} == {
        "kind": "request",
        "version": 1,
    }
    assert submitted.at is not None and submitted.detail["inbound_message_id"]


def test_an_advice_submission_is_audited(services, adviser) -> None:  # noqa: F811
    case_reference = make_case(services)
    request = advice_request(services, ask(services, case_reference))
    [email] = replies(services, "advice_request")
    [form] = attached_files(email).values()
    mine = {k: v for k, v in returned_answers(request).items() if k not in prefilled_names()}
    reply = form_reply(
        fill_with_pypdf(form, pdf_values(ADVICE, mine)),
        sender=ADVISER,
        to=email["Reply-To"],
        files=REPORTS,
    )
    assert deliver(services, reply).status == InboundStatus.ACCEPTED

    [submitted] = entries(services, action="submission-recorded")
    assert (submitted.actor, submitted.subject_id) == (ADVISER, case_reference)
    assert submitted.detail["kind"] == "advice"
    assert submitted.detail["advice_request"] == request.reference


def test_every_view_of_a_case_is_audited_with_who_viewed_it(services, senco) -> None:
    reference = send_request(services, senco)
    case_document(services, reference, viewer=CASEWORKER)
    case_document(services, reference, viewer="someone.else@council.example.gov.uk")
    assert case_document(services, "EHC-2020-999999", viewer=CASEWORKER) is None

    viewed = entries(services, action="case-viewed")
    assert [(v.actor, v.subject_id) for v in viewed] == [
        (CASEWORKER, reference),
        ("someone.else@council.example.gov.uk", reference),
    ]


def test_intake_case_show_is_audited(tmp_path, pdf_sandbox) -> None:
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        reference = make_case(services)
    finally:
        services.close()

    shown = run(tmp_path, "case", "show", reference, "--json")
    assert shown.returncode == 0, shown.stderr
    assert run(tmp_path, "case", "show", "EHC-2020-999999").returncode == 1

    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        [viewed] = entries(services, action="case-viewed")
    finally:
        services.close()
    # The command has no signed-in person: it names the computer account that ran it.
    assert (viewed.actor, viewed.subject_id) == (f"cli:{getpass.getuser()}", reference)
    assert viewed.detail == {"via": "intake case show"}


def test_a_stage_change_is_audited(services, senco) -> None:
    reference = send_request(services, senco)
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        move = move_case(services, session, case, "PARTIES_NOTIFIED", actor=CASEWORKER)
        assert move.refusal is None, move
    [moved] = entries(services, action="case-stage-moved")
    assert (moved.actor, moved.subject_id) == (CASEWORKER, reference)


# --- what cannot be done ------------------------------------------------------------------------


def add_entry(database: Database) -> None:
    with database.session() as session:
        session.add(
            AuditEntry(actor=CASEWORKER, action="case-viewed", subject_type="case", subject_id="1")
        )


def test_an_audit_entry_cannot_be_changed_or_removed_through_the_orm(database: Database) -> None:
    add_entry(database)
    with pytest.raises(AuditEntryImmutable):
        with database.session() as session:
            session.scalars(select(AuditEntry)).one().actor = "someone.else@example.org"
    with pytest.raises(AuditEntryImmutable):
        with database.session() as session:
            entry = session.scalars(select(AuditEntry)).one()
            entry.at = entry.at - timedelta(days=1)
    with pytest.raises(AuditEntryImmutable):
        with database.session() as session:
            session.delete(session.scalars(select(AuditEntry)).one())
    with database.session() as session:
        [entry] = session.scalars(select(AuditEntry)).all()
        assert (entry.actor, entry.action) == (CASEWORKER, "case-viewed")


def test_audit_entries_cannot_be_changed_or_removed_in_bulk(database: Database) -> None:
    add_entry(database)
    with pytest.raises(AuditEntryImmutable):
        with database.session() as session:
            session.execute(update(AuditEntry).values(actor="nobody"))
    with pytest.raises(AuditEntryImmutable):
        with database.session() as session:
            session.execute(delete(AuditEntry))
    with pytest.raises(AuditEntryImmutable):
        with database.session() as session:
            session.execute(delete(AuditEntry).where(AuditEntry.action == "case-viewed"))
    with database.session() as session:
        assert [e.actor for e in session.scalars(select(AuditEntry))] == [CASEWORKER]
