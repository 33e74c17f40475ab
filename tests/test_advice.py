"""The advice round trip: a caseworker asks a professional for advice, the professional fills in
the advice form we emailed (with another viewer's engine) and replies, and the service records
it against the advice request and the case, or answers every problem at once.

The full trip runs against the real mail servers (Dovecot for the intake mailbox, an aiosmtpd
relay sink for what we send); the record checks run through the real pipeline; the commands run
in a subprocess. Every database test runs on SQLite and PostgreSQL, and no email we queue may
name the child.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import SECRET_KEY
from fill_engines import fill_with_pdfium, fill_with_pikepdf
from mail_factory import (
    attached_files,
    body_texts,
    build_message,
    child_data_in_mail,
    form_reply,
    read_email,
    supporting_file,
)
from mail_servers import (  # noqa: F401 (fixtures)
    PASSWORD,
    WAIT_SECONDS,
    Dovecot,
    Mailbox,
    RelaySink,
    dovecot,
    dovecot_server,
    relay_sink,
    wait_until,
)
from sqlalchemy import func, select
from test_cli import initialised_home, run

from documents import check_pdf, get_form, issue_token, pdf_values, render_form
from documents.forms.advice_example import ADVICE_EXAMPLE
from intake.cases.accounts import add_professional
from intake.cases.advice_records import record_problems
from intake.cases.advice_requests import (
    ADVICE_TYPES,
    find_advice_request,
    find_case,
    mark_covered,
    request_advice,
    withdraw,
)
from intake.errors import CommandFailed
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import plus_address
from intake.serve import RunningService
from intake.views.case import queue_rows
from store import (
    AdviceRequest,
    AdviceStatus,
    Attachment,
    AuditEntry,
    Case,
    Child,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Professional,
    Submission,
    SubmissionKind,
    TimelineEvent,
    TimelineKind,
    Transport,
)

ADVICE = get_form("advice")
ADVISER = ADVICE_EXAMPLE["work_email"]
SENCO = "h.michalowska@glanwy.sch.uk"
BORN = date(2016, 5, 14)
CHILD_DATA = ("Gruffydd", "Nowak-Pryce", "2016-05-14", "14/05/2016", "14 May 2016", "4857773457")
REPORTS = [supporting_file(ADVICE_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
FIXED_DAY = date(2025, 12, 1)


# --- the records a test starts from -------------------------------------------------------------


def make_case(services, *, stage: str = "ADVICE_REQUESTED") -> str:
    """A case as the pipeline records it, for the child of the advice form's example."""
    with services.db.session() as session:
        senco = session.scalar(select(Professional).where(Professional.email == SENCO))
        if senco is None:
            senco = Professional(
                email=SENCO, name="Hélène Michałowska", role="SENCO",
                organisation_name="Glan Ŵy Primary School", is_active=True,
            )  # fmt: skip
            session.add(senco)
        child = Child(
            forename="Gruffydd", surname="Nowak-Pryce", date_of_birth=BORN,
            nhs_number=ADVICE_EXAMPLE["nhs_number"], upn=ADVICE_EXAMPLE["upn"],
        )  # fmt: skip
        session.add(child)
        session.flush()
        number = session.scalar(select(func.count()).select_from(Case)) + 1
        day0 = services.today() - timedelta(days=40)
        case = Case(
            reference=f"EHC-{day0.year}-{number:06d}", child_id=child.id,
            requested_by_id=senco.id, request_token=f"request-token-{number}", stage=stage,
            day0=day0,
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            TimelineEvent(
                case_id=case.id, kind=TimelineKind.STAGE, stage=stage, occurred_on=day0,
                actor=SENCO,
            )
        )  # fmt: skip
        return case.reference


@pytest.fixture
def adviser(services) -> Professional:
    return add_professional(
        services,
        email=ADVISER,
        name=ADVICE_EXAMPLE["author_name"],
        role=ADVICE_EXAMPLE["author_role"],
        organisation=ADVICE_EXAMPLE["organisation"],
        activate=True,
    )


def ask(
    services,
    reference: str,
    *,
    email: str = ADVISER,
    advice_type: str = "psychological",
    today: date | None = None,
    due: date | None = None,
) -> str:
    with services.db.session() as session:
        case = find_case(session, reference)
        professional = session.scalar(select(Professional).where(Professional.email == email))
        request = request_advice(
            services, session, case, professional, advice_type,
            today=today or services.today(), due=due, actor="cw@council.example.gov.uk",
        )  # fmt: skip
        return request.reference


def advice_request(services, reference: str) -> AdviceRequest:
    with services.db.session() as session:
        found = session.scalar(select(AdviceRequest).where(AdviceRequest.reference == reference))
        session.expunge_all()
        return found


def rows(services, model, **where) -> list:
    with services.db.session() as session:
        found = list(session.scalars(select(model).order_by(model.id).filter_by(**where)))
        session.expunge_all()
        return found


def assert_no_child_data(services) -> None:
    assert child_data_in_mail(services, CHILD_DATA) == []


def request_email(services, advice_reference: str):
    [row] = [
        r
        for r in rows(services, OutboxMessage, kind="advice_request")
        if advice_reference in read_email(r.raw)["Subject"]
    ]
    return row, read_email(row.raw)


def returned_answers(request: AdviceRequest, **changes: Any) -> dict[str, Any]:
    """The example advice, made to answer `request`: its reference, type and dates."""
    sent = request.sent_on.isoformat()
    return {
        **ADVICE_EXAMPLE,
        "advice_request_ref": request.reference,
        "advice_type": ADVICE_TYPES[request.advice_type],
        "date_request_received": sent,
        "signed_date": sent,
        **changes,
    }


def prefilled_names() -> set[str]:
    return {f.name for f in ADVICE.fields() if f.prefill is not None}


# --- asking for advice ---------------------------------------------------------------------------


def test_a_request_for_advice_emails_the_prefilled_form_with_its_own_token(services, adviser):
    case_reference = make_case(services)
    reference = ask(services, case_reference, today=FIXED_DAY)

    request = advice_request(services, reference)
    assert reference == "ADV-2025-000001"
    assert (request.sent_on, request.due_on, request.status, request.advice_type) == (
        FIXED_DAY,
        date(2026, 1, 12),  # reg 8: six weeks
        AdviceStatus.OPEN,
        "psychological",
    )
    [audit] = rows(services, AuditEntry, subject_id=reference)
    assert (audit.action, audit.actor) == ("advice-requested", "cw@council.example.gov.uk")

    row, email = request_email(services, reference)
    assert (row.to_address, email["To"], row.case_id) == (ADVISER, ADVISER, request.case_id)
    assert email["Subject"] == (
        f"You are required to submit information: advice {reference} for case {case_reference}"
    )
    text = body_texts(email)[0]
    assert case_reference in text and reference in text and "12 January 2026" in text
    assert email["Auto-Submitted"] == "auto-generated"
    [pdf] = attached_files(email).values()
    check = check_pdf(pdf, key=services.key, today=FIXED_DAY, sandbox=services.sandbox)
    assert check.form.kind == "advice"
    assert (check.token.valid, check.token.kind) == (True, "advice")
    assert (check.token.professional_id, check.token.subject_id) == (adviser.id, request.id)
    assert email["Reply-To"] == plus_address(services, check.token_text)
    answers = check.validation.answers
    assert {name: answers[name] for name in prefilled_names() if answers[name]} == {
        "advice_request_ref": reference,
        "advice_type": "Psychological 6(1)(d)",
        "author_name": adviser.name,
        "author_role": "Educational psychologist",
        "organisation": ADVICE_EXAMPLE["organisation"],
        "work_email": ADVISER,
        "date_request_received": "2025-12-01",
        "child_forename": "Gruffydd",
        "child_surname": "Nowak-Pryce",
        "date_of_birth": "2016-05-14",
        "nhs_number": ADVICE_EXAMPLE["nhs_number"],
        "upn": ADVICE_EXAMPLE["upn"],
    }
    assert_no_child_data(services)


def test_each_advice_request_carries_a_token_for_itself_alone(services, adviser):
    case_reference = make_case(services)
    first = ask(services, case_reference, today=FIXED_DAY)
    second = ask(services, case_reference, advice_type="family", today=FIXED_DAY)
    tokens = {}
    for reference in (first, second):
        _, email = request_email(services, reference)
        [pdf] = attached_files(email).values()
        check = check_pdf(pdf, key=services.key, today=FIXED_DAY, sandbox=services.sandbox)
        tokens[reference] = (check.token_text, check.token.subject_id)
    assert tokens[first][0] != tokens[second][0]
    assert tokens[first][1] == advice_request(services, first).id
    assert tokens[second][1] == advice_request(services, second).id
    assert advice_request(services, second).advice_type == "family"


def test_a_due_date_given_replaces_the_six_weeks(services, adviser):
    reference = ask(services, make_case(services), today=FIXED_DAY, due=date(2025, 12, 19))
    assert advice_request(services, reference).due_on == date(2025, 12, 19)


@pytest.mark.parametrize(
    ("advice_type", "active", "stage", "reason"),
    [
        ("astrology", True, "ADVICE_REQUESTED", "advice type 'astrology' is not one of"),
        ("medical", False, "ADVICE_REQUESTED", f"{ADVISER} has no active account"),
        ("medical", True, "WITHDRAWN", "is closed (Request withdrawn)"),
    ],
)
def test_advice_that_cannot_be_asked_for_is_refused_and_nothing_is_kept(
    services, advice_type, active, stage, reason
):
    add_professional(
        services, email=ADVISER, name="Dr Owain Rees", role="Educational psychologist",
        organisation="EPS", activate=active,
    )  # fmt: skip
    case_reference = make_case(services, stage=stage)
    with pytest.raises(CommandFailed, match=reason.replace("(", r"\(").replace(")", r"\)")):
        ask(services, case_reference, advice_type=advice_type, today=FIXED_DAY)
    assert rows(services, AdviceRequest) == [] and rows(services, OutboxMessage) == []


def test_covered_and_withdrawn_requests_are_closed_once_and_audited(services, adviser):
    case_reference = make_case(services)
    covered, withdrawn = (ask(services, case_reference, today=FIXED_DAY) for _ in range(2))
    with services.db.session() as session:
        mark_covered(session, find_advice_request(session, covered))
        withdraw(
            session,
            find_advice_request(session, withdrawn),
            actor="cw@council.example.gov.uk",
            note="the family asked for a different service",
        )
    assert advice_request(services, covered).status == AdviceStatus.COVERED
    assert advice_request(services, withdrawn).status == AdviceStatus.WITHDRAWN
    [audit] = [a for a in rows(services, AuditEntry) if a.action == "advice-withdrawn"]
    assert (audit.subject_id, audit.actor) == (withdrawn, "cw@council.example.gov.uk")
    assert audit.detail["note"] == "the family asked for a different service"
    for reference, close in ((covered, withdraw), (withdrawn, mark_covered)):
        with services.db.session() as session:
            request = find_advice_request(session, reference)
            with pytest.raises(CommandFailed, match=f"{reference} is .*, not open"):
                close(session, request)


def test_overdue_advice_is_raised_in_the_caseworker_queue_until_it_is_closed(services, adviser):
    case_reference = make_case(services)
    today = services.today()
    late = ask(services, case_reference, today=today - timedelta(days=50))
    ask(services, case_reference, today=today - timedelta(days=10))  # due in 32 days
    withdrawn = ask(services, case_reference, today=today - timedelta(days=60))
    with services.db.session() as session:
        withdraw(session, find_advice_request(session, withdrawn), actor="cw@council.example")
    raised = [r for r in queue_rows(services, None) if r["type"] == "advice"]
    assert [(r["id"], r["status"], r["from"], r["reference"]) for r in raised] == [
        (late, "overdue", ADVISER, case_reference)
    ]
    assert raised[0]["summary"].endswith("8 day(s) overdue")
    assert not [r for r in queue_rows(services, "all") if r["type"] == "advice"]


# --- the checks against records, through the pipeline ---------------------------------------------


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    return rows(services, InboundMessage, id=captured.inbound_id)[0]


def reply_with(
    services, reference: str, *, sender: str = ADVISER, message_id: str, **changes: Any
) -> bytes:
    """The professional fills the form we emailed for `reference` (pikepdf) and replies."""
    request = advice_request(services, reference)
    row, email = request_email(services, reference)
    [pdf] = attached_files(email).values()
    filled = fill_with_pikepdf(pdf, pdf_values(ADVICE, returned_answers(request, **changes)))
    return form_reply(
        filled,
        sender=sender,
        to=email["Reply-To"],
        message_id=message_id,
        filename="advice-form.pdf",
        files=REPORTS,
        headers={"In-Reply-To": row.message_id, "References": row.message_id},
    )


def reason_codes(message: InboundMessage) -> list[tuple[str, int | None, str | None]]:
    return [(r["code"], r["step"], r["field"]) for r in message.reasons]


@pytest.mark.parametrize(
    ("changes", "close", "expected"),
    [
        (
            {"advice_request_ref": "ADV-2020-999999"},
            None,
            ("advice-reference-mismatch", 1, "advice_request_ref"),
        ),
        ({"advice_type": "Educational 6(1)(b)"}, None, ("advice-type-mismatch", 1, "advice_type")),
        ({"date_of_birth": "2016-05-15"}, None, ("date-of-birth-mismatch", 2, "date_of_birth")),
        ({}, withdraw, ("advice-request-closed", 1, "advice_request_ref")),
        ({}, mark_covered, ("advice-request-closed", 1, "advice_request_ref")),
    ],
    ids=["reference", "type", "date-of-birth", "withdrawn", "covered"],
)
def test_advice_that_does_not_match_its_request_is_answered_with_the_form(
    services, adviser, changes, close, expected
):
    reference = ask(services, make_case(services))
    if close is not None:
        with services.db.session() as session:
            close(session, find_advice_request(session, reference))
    raw = reply_with(services, reference, message_id="<mismatch@eps.example.gov.uk>", **changes)

    message = deliver(services, raw)

    assert message.status == InboundStatus.REJECTED
    assert reason_codes(message) == [expected]
    assert rows(services, Submission) == []
    [row] = rows(services, OutboxMessage, inbound_message_id=message.id)
    reply = read_email(row.raw)
    assert (row.kind, reply["To"], reply["Subject"]) == (
        "problems",
        ADVISER,
        "Please correct your form: 1 problem to fix",
    )
    [returned] = attached_files(reply).values()
    back = check_pdf(returned, key=services.key, today=services.today(), sandbox=services.sandbox)
    assert back.token.subject_id == advice_request(services, reference).id
    assert_no_child_data(services)


def test_a_form_for_someone_elses_advice_request_is_not_recorded(services, adviser):
    other = add_professional(
        services, email="speech@nhs.example.uk", name="Siân Price",
        role="Speech and language therapist", organisation="NHS SLT", activate=True,
    )  # fmt: skip
    case_reference = make_case(services)
    theirs = ask(services, case_reference, email=other.email)
    ours = ask(services, case_reference)
    # Our adviser's own token, naming the other professional's advice request: forged, or a
    # bug in whoever issued it; either way the records must refuse it.
    token = issue_token(
        services.key, "advice", adviser.id, advice_request(services, theirs).id,
        today=services.today(),
    )  # fmt: skip
    pdf = render_form(ADVICE, values=returned_answers(advice_request(services, ours)), token=token)
    raw = form_reply(pdf, sender=ADVISER, message_id="<forged@eps.example.gov.uk>", files=REPORTS)

    message = deliver(services, raw)

    # The form names our adviser's own request, the token another: held for the SEND team.
    assert message.status == InboundStatus.QUARANTINED
    assert reason_codes(message) == [("token-other-request", None, None)]
    assert advice_request(services, theirs).status == AdviceStatus.OPEN
    assert rows(services, Submission) == []


def test_an_advice_token_used_for_another_advice_request_is_not_recorded(services, adviser):
    # Two requests to the same adviser; the first one's form, filled in for the second.
    first = ask(services, make_case(services))
    second = ask(services, make_case(services))
    row, email = request_email(services, first)
    [pdf] = attached_files(email).values()
    answers = returned_answers(advice_request(services, second))
    filled = fill_with_pikepdf(pdf, pdf_values(ADVICE, answers))
    raw = form_reply(
        filled, sender=ADVISER, message_id="<replayed@eps.example.gov.uk>", files=REPORTS
    )

    message = deliver(services, raw)

    assert (message.status, reason_codes(message)) == (
        InboundStatus.QUARANTINED,
        [("token-other-request", None, None)],
    )
    assert rows(services, Submission) == []
    assert {advice_request(services, ref).status for ref in (first, second)} == {AdviceStatus.OPEN}
    [row] = rows(services, OutboxMessage, inbound_message_id=message.id)
    assert (row.kind, row.to_address) == ("not_accepted", ADVISER)
    assert attached_files(read_email(row.raw)) == {}
    assert_no_child_data(services)


def test_a_listed_report_missing_from_the_email_is_named_on_its_step_7_row(services, adviser):
    reference = ask(services, make_case(services))
    raw = reply_with(services, reference, message_id="<nofile@eps.example.gov.uk>")
    raw = raw.replace(b'filename="assessment-scores.png"', b'filename="other-name.png"')

    message = deliver(services, raw)

    assert reason_codes(message) == [("file-not-attached", 7, "documents[2].file")]


def test_late_advice_needs_its_reason_and_a_receipt_date_before_sending_is_questioned(services):
    # The two checks that depend on the day the advice arrives, judged with that day given.
    case = Case(reference="EHC-2025-000001", child=Child(date_of_birth=BORN))
    request = AdviceRequest(
        reference="ADV-2025-000001", case=case, professional_id=7, advice_type="psychological",
        sent_on=FIXED_DAY, due_on=FIXED_DAY + timedelta(weeks=6), status=AdviceStatus.OPEN,
    )  # fmt: skip
    on_time = returned_answers(request)
    assert record_problems(request, 7, on_time, request.due_on) == []
    late = record_problems(request, 7, on_time, request.due_on + timedelta(days=1))
    assert [(p.code, p.step, p.field) for p in late] == [("required-because", 8, "late_reason")]
    excused = {**on_time, "late_reason": "Child missed appointment"}
    assert record_problems(request, 7, excused, request.due_on + timedelta(days=1)) == []
    early = {**on_time, "date_request_received": "2025-11-30"}
    assert [p.code for p in record_problems(request, 7, early, FIXED_DAY)] == [
        "received-before-sent"
    ]
    assert [p.code for p in record_problems(None, 7, on_time, FIXED_DAY)] == [
        "advice-request-unknown"
    ]


def test_a_reply_without_the_form_gets_the_advice_form_back_and_documents_are_added(
    services, adviser
):
    case_reference = make_case(services)
    reference = ask(services, case_reference)
    row, asked = request_email(services, reference)
    thread = {"In-Reply-To": row.message_id, "References": row.message_id}

    # "I cannot find the form": their own advice form comes back, not a request form.
    lost = build_message(
        headers={"From": f"Dr Owain Rees <{ADVISER}>", "To": asked["Reply-To"], **thread},
        body="I cannot find the form, could you send it again?\n",
        message_id="<lost-form@eps.example.gov.uk>",
    )
    message = deliver(services, lost)
    assert (message.status, reason_codes(message)) == (
        InboundStatus.REJECTED,
        [("no-form-attached", None, None)],
    )
    answer = read_email(rows(services, OutboxMessage, inbound_message_id=message.id)[0].raw)
    [(name, pdf)] = attached_files(answer).items()
    assert name == "advice-form.pdf" and ADVICE.title in answer["Subject"]
    checked = check_pdf(pdf, key=SECRET_KEY, today=services.today())
    assert (checked.token.kind, checked.token.subject_id) == (
        "advice",
        advice_request(services, reference).id,
    )
    assert checked.validation.answers["advice_request_ref"] == reference

    # A report sent later by replying is kept with the case, and the caseworker told.
    report = supporting_file("Further observations.pdf")
    later = build_message(
        headers={"From": ADVISER, "To": asked["Reply-To"], **thread},
        body="One more report.\n",
        files=[report],
        message_id="<more-docs@eps.example.gov.uk>",
    )
    message = deliver(services, later)
    assert (message.status, message.case_id) == (
        InboundStatus.ACCEPTED,
        advice_request(services, reference).case_id,
    )
    assert [r["code"] for r in message.reasons] == ["documents-added"]
    [kept] = rows(services, Attachment, inbound_message_id=message.id)
    assert (kept.filename, kept.flag) == ("Further observations.pdf", "added by reply")
    assert_no_child_data(services)


# --- the full round trip against the real mail servers -------------------------------------------


@pytest.fixture
def running(services, dovecot: Dovecot, relay_sink: RelaySink) -> Iterator[Mailbox]:  # noqa: F811
    """The service watching a fresh Dovecot mailbox and sending to the relay sink."""
    mailbox = Mailbox(dovecot, dovecot.new_user())
    settings = replace(
        services.settings, smtp_url=relay_sink.url, imap_url=dovecot.url(mailbox.user)
    )
    service = RunningService(replace(services, settings=settings))
    service.start()
    try:
        yield mailbox
    finally:
        service.stop()


def settled(services, count: int) -> list[InboundMessage]:
    waiting = (InboundStatus.RECEIVED, InboundStatus.PROCESSING)
    return wait_until(
        lambda: (
            len(found := rows(services, InboundMessage)) == count
            and all(m.status not in waiting for m in found)
            and found
        ),
        f"{count} message(s) captured and processed",
    )


def test_advice_round_trip_over_imap_and_smtp(services, adviser, running, relay_sink):  # noqa: F811
    case_reference = make_case(services)
    reference = ask(services, case_reference)
    request = advice_request(services, reference)

    # 1. The request reaches the professional, with the form attached.
    [sent] = relay_sink.wait_for(1, timeout=WAIT_SECONDS)
    asked = read_email(sent.data)
    assert sent.rcpt_tos == [ADVISER] and reference in asked["Subject"]
    [form_pdf] = attached_files(asked).values()

    # 2. Filled in Chrome's engine: only what we did not fill in already, the rest kept.
    answers = returned_answers(request)
    mine = {k: v for k, v in answers.items() if k not in prefilled_names()}
    filled = fill_with_pdfium(form_pdf, pdf_values(ADVICE, mine))
    reply = form_reply(
        filled,
        sender=f"Dr Owain Rees <{ADVISER}>",
        to=asked["Reply-To"],
        message_id="<advice-1@eps.example.gov.uk>",
        filename="advice-form.pdf",
        files=REPORTS,
        headers={"In-Reply-To": asked["Message-ID"], "References": asked["Message-ID"]},
    )
    running.append(reply)

    # 3. Recorded against the advice request and the case, and confirmed.
    [message] = settled(services, 1)
    assert (message.status, message.reasons) == (InboundStatus.ACCEPTED, [])
    assert message.case_id == request.case_id
    [submission] = rows(services, Submission)
    assert (submission.kind, submission.advice_request_id, submission.version) == (
        SubmissionKind.ADVICE,
        request.id,
        1,
    )
    assert (submission.case_id, submission.id) == (request.case_id, message.submission_id)
    assert submission.answers["date_of_birth"] == "2016-05-14"  # prefilled, kept by PDFium
    assert submission.answers["background"] == ADVICE_EXAMPLE["background"]
    assert advice_request(services, reference).status == AdviceStatus.RECEIVED
    kept = {a.filename: a for a in rows(services, Attachment)}
    assert set(kept) == {"advice-form.pdf", *(name for name, _, _ in REPORTS)}
    assert all(a.submission_id == submission.id and a.flag is None for a in kept.values())
    notes = [e for e in rows(services, TimelineEvent) if e.kind == TimelineKind.NOTE]
    assert [n.detail["note"] for n in notes] == ["advice received: 1 of 1"]
    assert (notes[0].case_id, notes[0].actor) == (request.case_id, ADVISER)

    [_, confirmed] = relay_sink.wait_for(2, timeout=WAIT_SECONDS)
    confirmation = read_email(confirmed.data)
    assert confirmed.rcpt_tos == [ADVISER]
    assert confirmation["Subject"] == f"Received: advice {reference} for case {case_reference}"
    assert confirmation["In-Reply-To"] == "<advice-1@eps.example.gov.uk>"
    assert "Advice received on this case so far: 1 of 1." in body_texts(confirmation)[0]
    assert f"receipt-{reference}.pdf" in attached_files(confirmation)

    # 4. The same form again is a duplicate: nothing new, no second confirmation.
    running.append(reply.replace(b"<advice-1@", b"<advice-1-again@"))
    [_, again] = settled(services, 2)
    assert (again.status, again.submission_id) == (InboundStatus.DUPLICATE, submission.id)
    assert len(rows(services, Submission)) == 1
    assert_no_child_data(services)


def test_invalid_advice_gets_its_step_by_step_reply_over_the_mail_servers(
    services,
    adviser,
    running,
    relay_sink,  # noqa: F811
):
    reference = ask(services, make_case(services))
    request = advice_request(services, reference)
    [sent] = relay_sink.wait_for(1, timeout=WAIT_SECONDS)
    asked = read_email(sent.data)
    [form_pdf] = attached_files(asked).values()
    # Two mistakes: a date of birth not the case's (records), no signature (the form's rules).
    wrong = returned_answers(request, date_of_birth="2016-05-15", signed_name="")
    filled = fill_with_pikepdf(form_pdf, pdf_values(ADVICE, wrong))
    running.append(
        form_reply(
            filled,
            sender=ADVISER,
            to=asked["Reply-To"],
            message_id="<advice-bad@eps.example.gov.uk>",
            filename="advice-form.pdf",
            files=REPORTS,
        )
    )

    [message] = settled(services, 1)
    assert message.status == InboundStatus.REJECTED
    assert sorted(reason_codes(message)) == [
        ("date-of-birth-mismatch", 2, "date_of_birth"),
        ("required", 8, "signed_name"),
    ]
    [_, answered] = relay_sink.wait_for(2, timeout=WAIT_SECONDS)
    problems = read_email(answered.data)
    assert problems["Subject"] == "Please correct your form: 2 problems to fix"
    text = body_texts(problems)[0]
    assert text.index("Step 2: Child details") < text.index("Step 8: Summary and declaration")
    [returned] = attached_files(problems).values()
    back = check_pdf(returned, key=services.key, today=services.today(), sandbox=services.sandbox)
    assert back.token.subject_id == request.id
    assert back.validation.answers["involvement_summary"] == ADVICE_EXAMPLE["involvement_summary"]
    assert advice_request(services, reference).status == AdviceStatus.OPEN
    assert rows(services, Submission) == []
    assert_no_child_data(services)


# --- the commands -------------------------------------------------------------------------------


def test_advice_commands(tmp_path, pdf_sandbox):
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        case_reference = make_case(services)
    finally:
        services.close()
    added = run(
        tmp_path, "professional", "add", "--email", ADVISER, "--name", "Dr Owain Rees",
        "--role", "Educational psychologist", "--organisation", "EPS", "--activate",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    asked = run(
        tmp_path, "advice", "request", case_reference, "--professional", ADVISER,
        "--type", "social care", "--on", "2026-01-05", "--json",
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    shown = json.loads(asked.stdout)
    assert (shown["case"], shown["advice_type"], shown["status"]) == (
        case_reference,
        "social-care",
        "open",
    )
    assert (shown["sent_on"], shown["due_on"]) == ("2026-01-05", "2026-02-16")
    second = run(
        tmp_path, "advice", "request", case_reference.lower(), "--professional", ADVISER.upper(),
        "--type", "medical", "--on", "2026-01-05", "--due", "2026-03-01",
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().endswith("due 2026-03-01")

    # The same advice form by hand, for the caseworker to send another way; a request form too.
    rendered = tmp_path / "advice.pdf"
    made = run(
        tmp_path, "forms", "render", "advice", "--advice-request", shown["reference"],
        "--out", str(rendered),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert f"for {shown['reference']}, issued to {ADVISER}" in made.stderr
    checked = json.loads(run(tmp_path, "forms", "check", str(rendered), "--json").stdout)
    assert checked["token"]["valid"] and not checked["token"]["specimen"]
    assert checked["fields"]["advice_request_ref"] == shown["reference"]
    assert checked["fields"]["date_of_birth"] == BORN.isoformat()
    personal = tmp_path / "request.pdf"
    made = run(
        tmp_path, "forms", "render", "request", "--professional", ADVISER, "--out", str(personal)
    )
    assert made.returncode == 0, made.stderr
    checked = json.loads(run(tmp_path, "forms", "check", str(personal), "--json").stdout)
    assert checked["fields"]["work_email"] == ADVISER and checked["token"]["valid"]
    for args, reason in (
        (("advice", "--advice-request", "ADV-2020-000009"), "no advice request ADV-2020-000009"),
        (("advice", "--professional", ADVISER), "give --advice-request REF"),
        (("request", "--professional", "nobody@x.example"), "no professional with the address"),
        (("registration", "--professional", ADVISER), "someone without an account"),
        (("advice", "--advice-request", shown["reference"], "--professional", SENCO),
         f"was sent to {ADVISER}"),
    ):  # fmt: skip
        refused = run(tmp_path, "forms", "render", *args, "--out", str(tmp_path / "x.pdf"))
        assert refused.returncode == 1 and reason in refused.stderr, refused.stderr

    for args, reason in (
        (("EHC-2020-999999", "--professional", ADVISER, "--type", "medical"),
         "intake: no case EHC-2020-999999"),
        ((case_reference, "--professional", "nobody@x.example", "--type", "medical"),
         "intake: no professional with the address nobody@x.example"),
    ):  # fmt: skip
        refused = run(tmp_path, "advice", "request", *args)
        assert (refused.returncode, refused.stderr.strip()) == (1, reason)
    # An unknown type is a bad choice, a usage error like any other.
    refused = run(
        tmp_path, "advice", "request", case_reference, "--professional", ADVISER,
        "--type", "astrology",
    )  # fmt: skip
    assert refused.returncode == 2
    assert "invalid choice: 'astrology' (choose from " + ", ".join(ADVICE_TYPES) in refused.stderr

    listed = run(tmp_path, "advice", "list", "--case", case_reference, "--json")
    assert listed.returncode == 0, listed.stderr
    found = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["reference"] for r in found] == [shown["reference"], found[1]["reference"]]
    first, other = shown["reference"], found[1]["reference"]

    assert run(tmp_path, "advice", "covered", first).returncode == 0
    withdrawn = run(tmp_path, "advice", "withdraw", other, "--json")
    assert json.loads(withdrawn.stdout)["status"] == "withdrawn"
    again = run(tmp_path, "advice", "withdraw", first)
    assert (again.returncode, again.stderr.strip()) == (
        1,
        f"intake: advice request {first} is covered, not open",
    )
    unknown = run(tmp_path, "advice", "covered", "ADV-2020-000009")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "intake: no advice request ADV-2020-000009",
    )
    statuses = run(tmp_path, "advice", "list", "--json")
    assert [json.loads(line)["status"] for line in statuses.stdout.splitlines()] == [
        "covered",
        "withdrawn",
    ]
    outbox = run(tmp_path, "outbox", "--json")
    assert [json.loads(line)["kind"] for line in outbox.stdout.splitlines()] == [
        "advice_request",
        "advice_request",
    ]
