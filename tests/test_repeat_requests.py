"""A second request for a child who already has an open case: added to that case as new
information (a new version of its request, noted on its timeline), never a second case; the
reply says so without naming the child. A closed case, or another child, makes a new case.

Every test runs on SQLite and PostgreSQL, and after each one no queued email may name the child.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SENCO
from mail_factory import body_texts, build_message, form_reply, supporting_file
from sqlalchemy import select
from test_pipeline_requests import (
    CHILD_DATA,
    LISTED,
    OTHER_CHILD,
    answers,
    assert_no_child_data,
    count,
    deliver,
    filled,
    inbound,
    the_reply,
)

from documents.forms.request_example import REQUEST_EXAMPLE
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form, plus_address
from store import Case, InboundStatus, Submission, TimelineEvent, TimelineKind, Transport


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert_no_child_data(services)


def send_request(services, senco, values: dict[str, Any], message_id: str):
    token, _ = personal_request_form(services, senco)
    raw = form_reply(filled(token, values), sender=SENCO, message_id=message_id, files=LISTED)
    return token, inbound(services, deliver(services, raw))


# The same child written another way, and how the match is made.
SAME_CHILD = {
    "upn": {"child_forename": "GRUFFYDD", "postcode": "LE1 6ZG", "nhs_number": ""},
    "nhs-number": {"upn": "", "organisation_type": "Alternative provision"},
    "name-and-date-of-birth": {
        "child_forename": " gruffydd ",
        "child_surname": "Nowak Pryce",  # no hyphen
        "postcode": "LE1 6ZG",  # the family moved
        "upn": "",
        "nhs_number": "",
        "organisation_type": "Alternative provision",
    },
}


@pytest.mark.parametrize("matched_by", sorted(SAME_CHILD))
def test_a_second_request_for_a_child_with_an_open_case_is_added_to_it(
    services, senco, matched_by: str
) -> None:
    first_token, first = send_request(services, senco, REQUEST_EXAMPLE, "<first@a>")
    second_token, second = send_request(
        services, senco, answers(**SAME_CHILD[matched_by]), "<second@a>"
    )

    assert (second.status, second.reasons) == (InboundStatus.ACCEPTED, [])
    assert second.case_id == first.case_id and count(services, Case) == 1
    with services.db.session() as session:
        versions = session.execute(
            select(Submission.version, Submission.token)
            .where(Submission.case_id == first.case_id)
            .order_by(Submission.version)
        ).all()
        notes = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.case_id == first.case_id, TimelineEvent.kind == TimelineKind.NOTE
            )
        ).all()
        reference = session.get(Case, first.case_id).reference
    assert [tuple(v) for v in versions] == [(1, first_token), (2, second_token)]
    assert [n.detail for n in notes] == [
        {
            "further_request": True,
            "matched_by": matched_by,
            "submission_version": 2,
            "inbound_message_id": second.id,
        }
    ]
    _, reply = the_reply(services, second.id)
    text = " ".join(body_texts(reply)[0].split())
    assert reply["Subject"] == f"Received: {reference}, your request (added to an open case)"
    assert "already an open case for this child" in text
    assert "added your request to it as new information" in text
    assert not [t for t in CHILD_DATA if t in text]


def test_a_corrected_second_request_stays_with_the_case_it_joined(services, senco) -> None:
    _, first = send_request(services, senco, REQUEST_EXAMPLE, "<first@a>")
    token, second = send_request(services, senco, answers(child_forename="GRUFFYDD"), "<2@a>")
    changed = answers(outcomes_sought="To join in with lunchtime clubs by the summer term.")
    raw = form_reply(filled(token, changed), sender=SENCO, message_id="<3@a>", files=LISTED)

    third = inbound(services, deliver(services, raw))

    assert third.status == InboundStatus.ACCEPTED
    assert first.case_id == second.case_id == third.case_id and count(services, Case) == 1
    assert count(services, Submission) == 3


def test_a_closed_case_or_another_child_makes_a_new_case(services, senco) -> None:
    _, first = send_request(services, senco, REQUEST_EXAMPLE, "<first@a>")
    _, other = send_request(services, senco, answers(**OTHER_CHILD), "<other@a>")
    assert other.case_id != first.case_id
    with services.db.session() as session:
        session.get(Case, first.case_id).stage = "REFUSED_TO_ASSESS"
    _, again = send_request(services, senco, REQUEST_EXAMPLE, "<again@a>")

    assert again.status == InboundStatus.ACCEPTED
    assert again.case_id not in (first.case_id, other.case_id) and count(services, Case) == 3
    _, reply = the_reply(services, again.id)
    assert "already an open case" not in body_texts(reply)[0]


def test_the_same_name_and_birthday_with_a_different_upn_is_another_child(services, senco):
    _, first = send_request(services, senco, REQUEST_EXAMPLE, "<first@a>")
    namesake = answers(upn=OTHER_CHILD["upn"], nhs_number="")
    _, second = send_request(services, senco, namesake, "<namesake@a>")
    assert second.case_id != first.case_id and count(services, Case) == 2


def test_documents_sent_to_the_joining_forms_address_reach_the_case(services, senco) -> None:
    _, first = send_request(services, senco, REQUEST_EXAMPLE, "<first@a>")
    token, _ = send_request(services, senco, answers(child_forename="GRUFFYDD"), "<2@a>")
    address = plus_address(services, token)
    raw = build_message(
        headers={"From": SENCO, "To": address},
        body="The speech and language report, as promised.\n",
        files=[supporting_file("salt-report.pdf")],
    )

    message = inbound(services, capture_and_process(services, raw, address))

    assert (message.status, message.case_id) == (InboundStatus.ACCEPTED, first.case_id)
    assert [r["code"] for r in message.reasons] == ["documents-added"]


def capture_and_process(services, raw: bytes, address: str) -> int:
    captured = capture_message(services, raw, Transport.FILE, envelope_to=(address,))
    process_all(services)
    return captured.inbound_id
