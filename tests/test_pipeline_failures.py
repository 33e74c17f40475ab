"""Conversation tests for failure: a message that cannot be processed (its raw bytes gone from the
content-addressed store) fails alone, is retried a bounded number of times and then parked,
while the other messages in the same batch are answered as usual.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from conftest import SENCO
from mail_factory import build_message, form_reply, supporting_file
from sqlalchemy import select, update

from documents import get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.outcomes import outcome_of
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from intake.views.case import queue_rows
from store import (
    MAX_INBOUND_ATTEMPTS,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Transport,
    utcnow,
)

LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]


def inbound(services, inbound_id: int) -> InboundMessage:
    with services.db.session() as session:
        return session.get(InboundMessage, inbound_id)


def replies_to(services, inbound_id: int) -> list[str]:
    with services.db.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.inbound_message_id == inbound_id)
            )
        )


def make_retry_due(services, inbound_id: int) -> None:
    with services.db.session() as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == inbound_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


def test_a_message_that_cannot_be_read_fails_alone_then_is_parked(services, senco):
    token, _ = personal_request_form(services, senco)
    form = render_form(get_form("request"), values=REQUEST_EXAMPLE, token=token)
    batch = [
        form_reply(form, sender=SENCO, message_id="<b1@a>", files=LISTED),
        build_message(headers={"From": SENCO}, message_id="<b2@a>", body="Lost, I fear.\n"),
        build_message(headers={"From": SENCO}, message_id="<b3@a>", body="A form, please.\n"),
    ]
    first, lost, last = (capture_message(services, raw, Transport.FILE).inbound_id for raw in batch)
    services.raw.path_for(inbound(services, lost).raw_sha256).unlink()

    assert process_all(services) == 3

    failed = inbound(services, lost)
    assert (failed.status, failed.attempts) == (InboundStatus.FAILED, 1)
    assert failed.last_error.startswith("FileNotFoundError")
    assert failed.next_attempt_at > utcnow()
    assert replies_to(services, lost) == []
    assert inbound(services, first).status == InboundStatus.ACCEPTED
    assert replies_to(services, first) == ["confirmation"]
    assert inbound(services, last).status == InboundStatus.REJECTED
    assert replies_to(services, last) == ["request_form"]
    # Not due yet: a second run leaves it alone.
    assert process_all(services) == 0

    for attempt in range(2, MAX_INBOUND_ATTEMPTS + 1):
        make_retry_due(services, lost)
        assert process_all(services) == 1
        again = inbound(services, lost)
        assert again.attempts == attempt
        expected = InboundStatus.PARKED if attempt == MAX_INBOUND_ATTEMPTS else InboundStatus.FAILED
        assert again.status == expected

    parked = inbound(services, lost)
    assert parked.next_attempt_at is None
    assert parked.last_error.startswith("FileNotFoundError")
    assert process_all(services) == 0
    assert replies_to(services, lost) == []
    outcome = outcome_of(services, lost)
    assert outcome.status == "parked"
    assert [r["code"] for r in outcome.reasons] == ["processing-failed"]
    assert outcome.reasons[0]["message"].startswith("FileNotFoundError")


def test_a_message_put_back_after_its_raw_bytes_return_is_processed(services, senco):
    raw = build_message(headers={"From": SENCO}, message_id="<c1@a>", body="A form, please.\n")
    lost = capture_message(services, raw, Transport.FILE).inbound_id
    services.raw.path_for(inbound(services, lost).raw_sha256).unlink()
    process_all(services)
    assert inbound(services, lost).status == InboundStatus.FAILED

    # Capturing the same message again restores its bytes but makes no second row.
    assert capture_message(services, raw, Transport.FILE).inbound_id == lost
    make_retry_due(services, lost)
    process_all(services)

    done = inbound(services, lost)
    assert (done.status, done.attempts, done.last_error) == (InboundStatus.REJECTED, 2, None)
    assert replies_to(services, lost) == ["request_form"]


def test_a_reply_held_by_the_rate_limit_is_shown_in_the_queue(services, senco):
    # 21 emails without a form in one hour: the 21st answer is held by the loop breaker, and
    # the caseworker queue says so rather than letting it vanish. (The daily limit per reason,
    # which would hold the sixth, is raised out of the way: tests/test_trust.py covers it.)
    settings = dataclasses.replace(services.settings, replies_per_reason_per_day=100)
    services = dataclasses.replace(services, settings=settings)
    ids = []
    for n in range(21):
        raw = build_message(
            headers={"From": SENCO, "Subject": "Question"},
            body="Is this the right address?\n",
            message_id=f"<question-{n}@glanwy.sch.uk>",
        )
        ids.append(capture_message(services, raw, Transport.FILE).inbound_id)
    process_all(services)
    assert [len(replies_to(services, i)) for i in ids] == [1] * 20 + [0]
    [held] = [row for row in queue_rows(services, None) if row["type"] == "held-mail"]
    assert (held["status"], held["from"], held["reference"]) == (
        "rate-limited",
        SENCO,
        f"inbound_message {ids[-1]}",
    )
    assert "limit 20" in held["summary"]
    assert not [row for row in queue_rows(services, "all") if row["type"] == "held-mail"]
