"""Progress by email: the note a stage change sends to everyone on the case, delivered through a
real SMTP relay, and the STATUS command, which answers only the professionals on the case.
No email may carry the child's name or date of birth.
"""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from mail_factory import body_texts, build_message
from mail_servers import RelaySink, relay_sink  # noqa: F401 (fixture)
from sqlalchemy import select
from test_timeline import DAY0, REQUESTER, WALK, add_advice_giver, move, new_case

from intake.cases.progress import answer_status, status_request
from intake.cases.timeline import StageCode
from intake.parse.message import parse_message
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import Thread
from intake.services import Services
from notifier import OutboxSender, SmtpRelay
from store import (
    AdviceStatus,
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Professional,
    Transport,
)

S = StageCode
ADVISER = "ep@ep.example.org"
HEALTH = "paediatrician@nhs.example.net"
STRANGER = "someone@elsewhere.example.com"
# What the test case's child is called and when born: none of it may appear in an email.
CHILD_DATA = ("Gruffydd", "Nowak-Pryce", "2017-03-14", "14/03/2017", "14 March 2017")


def outbox(services: Services, kind: str | None = None) -> list[tuple[OutboxMessage, EmailMessage]]:
    with services.db.session() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            statement = statement.where(OutboxMessage.kind == kind)
        rows = list(session.scalars(statement))
        session.expunge_all()
    return [(row, message_from_bytes(row.raw, policy=policy.default)) for row in rows]


def assert_no_child_data(message: EmailMessage) -> None:
    for text in [message["Subject"], *body_texts(message)]:
        for item in CHILD_DATA:
            assert item not in text, item


def professional(services: Services, email: str) -> Professional:
    with services.db.session() as session:
        found = session.scalar(select(Professional).where(Professional.email == email))
        if found is None:
            found = Professional(
                email=email, name="Someone", role="Other", organisation_name="Elsewhere"
            )
            session.add(found)
            session.flush()
        session.expunge(found)
        return found


# --- progress emails ----------------------------------------------------------------------------


def test_a_stage_change_emails_the_requester_and_each_advice_giver_once(
    services: Services,
) -> None:
    reference = new_case(services)
    add_advice_giver(services, reference, ADVISER)
    add_advice_giver(services, reference, ADVISER)  # a second request to the same person
    add_advice_giver(services, reference, REQUESTER)  # the school also gives educational advice
    add_advice_giver(services, reference, HEALTH, AdviceStatus.WITHDRAWN)
    assert move(services, reference, S.DECISION_TO_ASSESS_DUE, 20).done

    sent = outbox(services, "progress")
    assert sorted(row.to_address.lower() for row, _ in sent) == [ADVISER, REQUESTER]
    for _, message in sent:
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Subject"] == f'Progress: {reference} is now at "Decision whether to assess"'
        text, html = body_texts(message)
        assert "A panel is looking at the evidence" in text
        assert "What comes next:\n  Assessment agreed" in text
        assert "Decision whether to carry out an assessment: by 16/02/2026 (22 days" in text
        assert "Final EHC plan issued: by 25/05/2026" in text
        assert "Advice received: 0 of 3" in text
        assert f"STATUS {reference}" in text and reference in html
        assert_no_child_data(message)
    with services.db.session() as session:
        case_id = session.scalar(select(Case.id).where(Case.reference == reference))
    assert {row.case_id for row, _ in sent} == {case_id}


def test_progress_emails_reach_the_relay_for_every_stage_of_the_walk(
    services: Services,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    reference = new_case(services)
    add_advice_giver(services, reference, ADVISER)
    for code, days in WALK:
        assert move(services, reference, code, days).done
    sender = OutboxSender(
        services.db,
        SmtpRelay(relay_sink.url),
        envelope_from=services.settings.address,
        batch=2 * len(WALK),
    )
    report = sender.send_due()
    assert (report.sent, report.failed) == (2 * len(WALK), 0)
    delivered = relay_sink.wait_for(2 * len(WALK))
    assert sorted({rcpt.lower() for m in delivered for rcpt in m.rcpt_tos}) == [ADVISER, REQUESTER]
    messages = [message_from_bytes(m.data, policy=policy.default) for m in delivered]
    for message in messages:
        assert_no_child_data(message)
    final = [m for m in messages if "Final plan issued" in m["Subject"]]
    assert len(final) == 2
    text = body_texts(final[0])[0]
    assert "This case is now closed" in text
    assert "Final EHC plan issued: done 20/05/2026" in text
    assert "(late)" not in text


def test_a_late_milestone_is_shown_as_late_and_the_next_date_as_missed(services: Services) -> None:
    reference = new_case(services)
    assert move(services, reference, S.DECISION_TO_ASSESS_DUE, 10).done
    assert move(services, reference, S.ASSESSMENT_AGREED, 50).done
    assert move(services, reference, S.ADVICE_REQUESTED, 120).done
    text = body_texts(outbox(services, "progress")[-1][1])[0]
    assert "Decision whether to carry out an assessment: done 24/02/2026 (late)" in text
    assert "Decision if a plan is not to be issued: was due by 27/04/2026; we are working" in text


# --- STATUS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Subject": "STATUS EHC-2026-000123"}, "", "EHC-2026-000123"),
        ({"Subject": "status: ehc-2026-000123"}, "", "EHC-2026-000123"),
        ({"Subject": "Re: STATUS EHC-2026-000123"}, "thanks", "EHC-2026-000123"),
        ({"Subject": "Question"}, "\n  Status EHC-2026-000123\nThanks, Jane", "EHC-2026-000123"),
        ({"Subject": "Re: Progress", "In-Reply-To": "<p1@council>"}, "status\n\n> quoted", ""),
        ({"Subject": "Re: Progress", "References": "<p1@council>"}, "Status.", ""),
        ({"Subject": "Status"}, "Where are we?", None),  # bare, and not a reply: no case to name
        ({"Subject": "Re: Progress", "In-Reply-To": "<p1@council>"}, "status of my form?", None),
        ({"Subject": "Re: Request for advice"}, "Please find the form attached.", None),
    ],
)
def test_status_request_finds_the_reference_or_a_bare_status_reply(
    headers: dict[str, str], body: str, expected: str | None
) -> None:
    assert status_request(parse_message(build_message(headers=headers, body=body))) == expected


def ask_status(
    services: Services, sender: str, reference: str, *, references: tuple[str, ...] = ()
) -> tuple[list[dict], EmailMessage]:
    asker = professional(services, sender) if sender != STRANGER else None
    thread = Thread(sender, "<ask-1@elsewhere.example>", references, None)
    with services.db.session() as session:
        reasons = answer_status(
            services, session, asker, reference, thread, today=DAY0 + timedelta(days=30)
        )
    row, message = outbox(services, "status")[-1]
    assert row.to_address == sender
    assert message["In-Reply-To"] == "<ask-1@elsewhere.example>"
    assert_no_child_data(message)
    return reasons, message


def test_status_answers_the_requester_and_an_advice_giver_with_the_timeline(
    services: Services,
) -> None:
    reference = new_case(services)
    add_advice_giver(services, reference, ADVISER)
    assert move(services, reference, S.REQUEST_ACKNOWLEDGED, 3).done
    for asker in (REQUESTER, ADVISER):
        reasons, message = ask_status(services, asker, reference.lower())
        assert [(r.code, dict(r.params)) for r in reasons] == [
            ("status-sent", {"reference": reference})
        ]
        assert message["Subject"] == f'Status: {reference} is at "Acknowledged"'
        text = body_texts(message)[0]
        assert "Decision whether to carry out an assessment: by 16/02/2026 (12 days left)" in text
    with services.db.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "status-sent"))
        assert sorted(a.actor for a in audit) == [ADVISER, REQUESTER]


def test_status_refuses_anyone_else_without_saying_whether_the_case_exists(
    services: Services,
) -> None:
    reference = new_case(services)
    professional(services, "other.senco@school2.example.org")
    add_advice_giver(services, reference, HEALTH, AdviceStatus.WITHDRAWN)
    answers = {}
    for sender, asked in [
        ("other.senco@school2.example.org", reference),
        ("other.senco@school2.example.org", "EHC-2026-999999"),
        (STRANGER, reference),
        (HEALTH, reference),  # asked once, the request withdrawn: no longer on the case
    ]:
        reasons, message = ask_status(services, sender, asked)
        assert [r.code for r in reasons] == ["status-not-shared"]
        assert message["Subject"] == "Your status request"
        answers[(sender, asked)] = body_texts(message)[0].replace(asked, "REF")
        assert "Request received" not in answers[(sender, asked)]
    assert len(set(answers.values())) == 1
    assert all(row.case_id is None for row, _ in outbox(services, "status"))


def test_a_bare_status_reply_to_our_email_gets_the_timeline_of_that_case(
    services: Services,
) -> None:
    first = new_case(services)
    second = new_case(services)
    assert move(services, second, S.REQUEST_ACKNOWLEDGED, 3).done
    [(progress_row, _)] = outbox(services, "progress")
    reasons, message = ask_status(
        services, REQUESTER, "", references=("<unrelated@x>", progress_row.message_id)
    )
    assert [r.params["reference"] for r in reasons] == [second]
    assert second in message["Subject"] and first not in message["Subject"]
    # A reply to our email by someone not on the case learns nothing, not even the reference.
    reasons, message = ask_status(
        services, "other.senco@school2.example.org", "", references=(progress_row.message_id,)
    )
    assert reasons[0].code == "status-not-shared"
    assert second not in body_texts(message)[0]


def test_a_status_email_goes_through_the_pipeline_and_is_answered(services: Services) -> None:
    reference = new_case(services)
    delivered = {}
    for sender in (REQUESTER, STRANGER):
        raw = build_message(
            headers={"From": sender, "Subject": f"STATUS {reference}"},
            body="Thank you.\n",
            message_id=f"<status-{len(delivered)}@Example.org>",
        )
        captured = capture_message(services, raw, Transport.FILE)
        process_all(services)
        delivered[sender] = captured.inbound_id
    with services.db.session() as session:
        asked = {s: session.get(InboundMessage, i) for s, i in delivered.items()}
        outcome = {s: (m.status, [r["code"] for r in m.reasons]) for s, m in asked.items()}
    assert outcome == {
        REQUESTER: (InboundStatus.ACCEPTED, ["status-sent"]),
        STRANGER: (InboundStatus.REJECTED, ["status-not-shared"]),
    }
    answers = {row.to_address: message for row, message in outbox(services, "status")}
    assert set(answers) == {REQUESTER, STRANGER}
    assert answers[REQUESTER]["In-Reply-To"] == "<status-0@Example.org>"
    assert reference in answers[REQUESTER]["Subject"]
    assert "Request received" in body_texts(answers[REQUESTER])[0]
    assert "Request received" not in body_texts(answers[STRANGER])[0]
    for message in answers.values():
        assert_no_child_data(message)
