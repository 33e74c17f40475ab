"""The caseworkers' case page and its actions over HTTP, against a real uvicorn server on both
databases, with a case the real pipeline opened: who may use each route, what the page shows
(escaped), the file download, moving the stage, recording an exception, asking for advice and
sending a reminder now."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from casework import (
    CASEWORKER,
    HOSTILE_BYTES,
    HOSTILE_NAME,
    opened_case,
    signed_in_caseworker,
)
from conftest import SENCO
from sqlalchemy import select
from web_client import PASSWORD, Visitor, active_account, problems_on, served, sign_in

from intake.lifecycle.holds import place_legal_hold
from intake.reminders.mail import ADVICE_REMINDER, outbox_composer
from intake.views.case_page import rag
from store import AdviceRequest, AdviceStatus, AuditEntry, Case, OutboxMessage

ADVISER = "ffion.ep@eps.example.gov.uk"
OTHER = "other.senco@ysgol.sch.uk"
ANOTHER_CHILD = {
    "child_forename": "Wiktoria",
    "date_of_birth": "2015-02-03",
    "upn": "Y856234517045",
    "nhs_number": "",
}


@pytest.fixture
def site(services):
    with served(services) as base_url:
        yield base_url


@pytest.fixture
def reference(services, senco):
    return opened_case(services, senco)


@pytest.fixture
def caseworker(site, services):
    visitor = signed_in_caseworker(site, services)
    yield visitor
    visitor.close()


def routes_of(reference: str, advice_reference: str, attachment_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/cases/{reference}"),
        ("GET", f"/cases/{reference}/files/{attachment_id}"),
        ("POST", f"/cases/{reference}/stage"),
        ("POST", f"/cases/{reference}/exception"),
        ("POST", f"/cases/{reference}/advice"),
        ("POST", f"/cases/{reference}/advice/{advice_reference}/remind"),
        ("GET", "/compliance"),
        ("GET", "/compliance.csv"),
    ]


def asked(visitor: Visitor, method: str, path: str) -> int:
    if method == "GET":
        return visitor.get(path).status_code
    visitor.get("/forgot-password")  # any page: this session's CSRF token
    return visitor.post(path, {}).status_code


def attachment_ids(caseworker: Visitor, reference: str) -> dict[str, int]:
    page = caseworker.get(f"/cases/{reference}").text
    return {
        html.unescape(name): int(number)
        for number, name in re.findall(
            rf'href="/cases/{reference}/files/(\d+)" download>([^<]+)<', page
        )
    }


def test_only_caseworkers_may_use_the_case_and_compliance_pages(
    site, services, senco, reference, caseworker
) -> None:
    files = attachment_ids(caseworker, reference)
    caseworker.post(
        f"/cases/{reference}/advice", {"professional": SENCO, "advice_type": "educational"}
    )
    with services.db.session() as session:
        advice_reference = session.scalar(select(AdviceRequest.reference))
    routes = routes_of(reference, advice_reference, files[HOSTILE_NAME])
    # The SENCO who made the request (their own case), another professional, and nobody.
    active_account(services, OTHER)
    owner, other, anonymous = Visitor(site), Visitor(site), Visitor(site)
    try:
        set_password(services, SENCO)
        sign_in(owner, services, SENCO)
        sign_in(other, services, OTHER)
        for method, path in routes:
            assert asked(anonymous, method, path) == 303, path
            assert anonymous.http.get(path).headers.get("location") in ("/sign-in", None)
            for person in (owner, other):
                assert asked(person, method, path) == 403, (person, path)
                assert "This page is for caseworkers" in person.page
        # Nothing was done by them: the stage and the advice requests are as they were.
        with services.db.session() as session:
            assert session.scalar(select(Case.stage)) == "REQUEST_RECEIVED"
            assert len(session.scalars(select(AdviceRequest)).all()) == 1
    finally:
        for person in (owner, other, anonymous):
            person.close()
    assert caseworker.get(f"/cases/{reference}").status_code == 200
    assert caseworker.get(f"/cases/{reference}/files/{files[HOSTILE_NAME]}").status_code == 200
    assert caseworker.get("/compliance").status_code == 200
    assert caseworker.get("/compliance.csv").status_code == 200


def set_password(services, email: str) -> None:
    from intake.accounts.passwords import hash_password
    from store import Professional

    with services.db.session() as session:
        row = session.scalar(select(Professional).where(Professional.email == email))
        row.password_hash = hash_password(PASSWORD)
        row.two_factor = "email"


def test_the_case_page_shows_the_child_clock_answers_and_files_escaped(
    services, reference, caseworker
) -> None:
    response = caseworker.get(f"/cases/{reference}")
    page = response.text
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert '<h1 class="heading-l">Gruffydd Nowak-Pryce</h1>' in page
    assert "2016-05-14" in page
    # The clock: day 0 today, so each statutory limit is green, with its due date.
    day0 = services.today()
    for weeks in (6, 16, 20):
        assert (day0 + timedelta(weeks=weeks)).isoformat() in page
    assert page.count("Green: on time") == 3
    # Answers grouped by the form's steps and labelled as the form labels them.
    assert re.search(r"<summary class=\"details__summary\">Step 1: [^<]+<", page)
    assert "Dr Owain Rees" in page and "Educational psychologist, Leicester City EPS" in page
    # The attack in the file name is shown as text, never as markup.
    assert HOSTILE_NAME not in page
    assert html.escape(HOSTILE_NAME) in page
    # Only the moves the timeline allows from here are offered.
    offered = re.findall(
        r'<option value="([A-Z_]+)"', page.split('name="stage"', 1)[1].split("</select>", 1)[0]
    )
    assert offered == [
        "REQUEST_ACKNOWLEDGED",
        "PARTIES_NOTIFIED",
        "DECISION_TO_ASSESS_DUE",
        "WITHDRAWN",
    ]
    # Looking at the case is in its audit trail, shown on the page.
    with services.db.session() as session:
        viewed = session.scalars(select(AuditEntry).where(AuditEntry.action == "case-viewed")).all()
    assert [(e.actor, e.subject_id) for e in viewed] == [(CASEWORKER, reference)]
    assert "case-viewed" in page


def test_a_case_on_legal_hold_says_so_with_its_reason(services, reference, caseworker) -> None:
    assert "Legal hold" not in caseworker.get(f"/cases/{reference}").text
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        placed = place_legal_hold(
            services, session, case, reason="Tribunal <appeal>", actor="records@council.example"
        )
    assert placed.done
    page = caseworker.get(f"/cases/{reference}").text
    assert "<dt>Legal hold</dt>" in page
    assert "placed by records@council.example: Tribunal &lt;appeal&gt;" in page


def test_a_file_downloads_as_an_attachment_with_its_stored_bytes(
    services, senco, reference, caseworker
) -> None:
    files = attachment_ids(caseworker, reference)
    response = caseworker.get(f"/cases/{reference}/files/{files[HOSTILE_NAME]}")
    assert response.status_code == 200
    assert response.content == HOSTILE_BYTES
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.pdf" in disposition
    assert response.headers["content-type"] == "application/octet-stream"
    # A file of another case is not this case's to give.
    other = opened_case(services, senco, message_id="<case-2@glanwy.sch.uk>", **ANOTHER_CHILD)
    assert other != reference
    other_files = attachment_ids(caseworker, other)
    assert (
        caseworker.get(f"/cases/{reference}/files/{other_files[HOSTILE_NAME]}").status_code == 404
    )
    assert caseworker.get("/cases/EHC-2099-999999").status_code == 404


def test_moving_the_stage_queues_progress_mail_and_a_refused_move_says_why(
    services, reference, caseworker
) -> None:
    caseworker.get(f"/cases/{reference}")
    moved = caseworker.post(f"/cases/{reference}/stage", {"stage": "DECISION_TO_ASSESS_DUE"})
    assert (moved.status_code, moved.headers["location"]) == (303, f"/cases/{reference}")
    page = caseworker.get(f"/cases/{reference}").text
    assert "The case has moved to Decision whether to assess." in page
    with services.db.session() as session:
        assert session.scalar(select(Case.stage)) == "DECISION_TO_ASSESS_DUE"
        assert (
            session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "case-stage-moved"))
            == CASEWORKER
        )
        kinds = session.scalars(select(OutboxMessage.kind)).all()
    assert "progress" in " ".join(kinds)

    refused = caseworker.post(f"/cases/{reference}/stage", {"stage": "FINAL_ISSUED"})
    assert refused.status_code == 400
    [line] = problems_on(refused.text)
    assert line.startswith("#field-stage ") and "cannot move from" in line
    future = (services.today() + timedelta(days=3)).isoformat()
    dated = caseworker.post(
        f"/cases/{reference}/stage", {"stage": "ASSESSMENT_AGREED", "on": future}
    )
    assert problems_on(dated.text) == [f"#field-stage the date {future} is in the future"]
    with services.db.session() as session:
        assert session.scalar(select(Case.stage)) == "DECISION_TO_ASSESS_DUE"


def test_an_exception_is_recorded_or_its_problems_listed(services, reference, caseworker) -> None:
    caseworker.get(f"/cases/{reference}")
    missing = caseworker.post(f"/cases/{reference}/exception", {"start": "2025-13-01"})
    assert problems_on(missing.text) == [
        "#field-ground Choose the ground for the exception",
        "#field-start Enter a real date, like 2027-01-04",
    ]
    start = services.today().isoformat()
    recorded = caseworker.post(
        f"/cases/{reference}/exception",
        {"ground": "PERSONAL_CIRCUMSTANCES", "start": start, "note": "<b>family illness</b>"},
    )
    assert recorded.status_code == 303
    page = caseworker.get(f"/cases/{reference}").text
    assert "PERSONAL_CIRCUMSTANCES" in page and "&lt;b&gt;family illness&lt;/b&gt;" in page
    before = (services.today() - timedelta(days=400)).isoformat()
    early = caseworker.post(
        f"/cases/{reference}/exception", {"ground": "SCHOOL_CLOSURE", "start": before}
    )
    assert "cannot start" in problems_on(early.text)[0]


def test_advice_is_requested_as_the_cli_does(services, reference, caseworker) -> None:
    active_account(services, ADVISER)
    caseworker.get(f"/cases/{reference}")
    unknown = caseworker.post(
        f"/cases/{reference}/advice", {"professional": "nobody@x.example", "advice_type": "medical"}
    )
    assert problems_on(unknown.text) == [
        "#field-professional There is no account with the email address nobody@x.example: "
        "the professional must register first"
    ]
    due = (services.today() + timedelta(weeks=5)).isoformat()
    sent = caseworker.post(
        f"/cases/{reference}/advice",
        {"professional": ADVISER, "advice_type": "psychological", "due": due},
    )
    assert sent.status_code == 303
    page = caseworker.get(f"/cases/{reference}").text
    with services.db.session() as session:
        advice = session.scalar(select(AdviceRequest))
        assert (advice.professional.email, advice.advice_type, advice.due_on.isoformat()) == (
            ADVISER, "psychological", due,
        )  # fmt: skip
        mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "advice_request"))
        assert mail.to_address == ADVISER
        actor = session.scalar(
            select(AuditEntry.actor).where(AuditEntry.action == "advice-requested")
        )
    assert actor == CASEWORKER
    assert f"Advice request {advice.reference} has been sent." in page
    assert "Green: on time" in page.split('id="advice"', 1)[1] and "35 days left" in page


def test_a_reminder_now_is_queued_as_the_reminder_run_queues_them(
    services, reference, caseworker
) -> None:
    active_account(services, ADVISER)
    caseworker.get(f"/cases/{reference}")
    caseworker.post(
        f"/cases/{reference}/advice", {"professional": ADVISER, "advice_type": "medical"}
    )
    with services.db.session() as session:
        advice_reference = session.scalar(select(AdviceRequest.reference))
    for _ in range(2):
        caseworker.get(f"/cases/{reference}")
        reminded = caseworker.post(f"/cases/{reference}/advice/{advice_reference}/remind", {})
        assert reminded.status_code == 303
    assert (
        f"A reminder for {advice_reference} has been queued."
        in caseworker.get(f"/cases/{reference}").text
    )
    compose = outbox_composer(services)
    with services.db.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == ADVICE_REMINDER)
            .order_by(OutboxMessage.id)
        ).all()
        assert [(r.reminder_kind, r.to_address, r.raw) for r in rows] == [
            ("by-hand-1", ADVISER, None), ("by-hand-2", ADVISER, None),
        ]  # fmt: skip
        email = message_from_bytes(compose(session, rows[0]).raw, policy=policy.default)
        session.rollback()
    assert email["Subject"] == (
        f"Reminder: advice {advice_reference} for case {reference} is due on "
        f"{(services.today() + timedelta(weeks=6)).day} "
        f"{(services.today() + timedelta(weeks=6)):%B %Y}"
    )
    assert (
        "This is a reminder that the advice we asked you for is due on"
        in email.get_body(("plain",)).get_content()
    )

    with services.db.session() as session:
        session.scalar(select(AdviceRequest)).status = AdviceStatus.WITHDRAWN
    caseworker.get(f"/cases/{reference}")
    closed = caseworker.post(f"/cases/{reference}/advice/{advice_reference}/remind", {})
    assert problems_on(closed.text) == [
        f"#main-content Advice request {advice_reference} is no longer open, "
        "so no reminder was sent"
    ]
    assert (
        caseworker.post(f"/cases/{reference}/advice/ADV-2099-000009/remind", {}).status_code == 404
    )


def test_red_amber_green() -> None:
    due = date(2027, 3, 1)
    assert rag(due, date(2027, 3, 1), date(2027, 5, 1)) == "green"  # met on the day
    assert rag(due, date(2027, 3, 2), date(2027, 5, 1)) == "red"  # met late
    assert rag(due, None, date(2027, 2, 21)) == "green"  # 8 days to go
    assert rag(due, None, date(2027, 2, 22)) == "amber"  # 7 days to go
    assert rag(due, None, date(2027, 3, 1)) == "amber"  # due today
    assert rag(due, None, date(2027, 3, 2)) == "red"  # missed
    assert rag(None, None, date(2027, 3, 2)) is None


def test_a_caseworkers_form_without_its_csrf_token_does_nothing(
    services, reference, caseworker
) -> None:
    active_account(services, ADVISER)
    caseworker.get(f"/cases/{reference}")
    for path, data in (
        (f"/cases/{reference}/stage", {"stage": "WITHDRAWN"}),
        (f"/cases/{reference}/advice", {"professional": ADVISER, "advice_type": "medical"}),
        (f"/cases/{reference}/exception", {"ground": "SCHOOL_CLOSURE", "start": "2025-12-01"}),
    ):
        refused = caseworker.post(path, data, token=False)
        assert refused.status_code == 403, path
        assert "Sorry, we could not do that" in refused.text
    with services.db.session() as session:
        assert session.scalar(select(Case.stage)) == "REQUEST_RECEIVED"
        assert session.scalars(select(AdviceRequest)).all() == []
        assert (
            session.scalar(select(AuditEntry).where(AuditEntry.action == "case-exception-recorded"))
            is None
        )
