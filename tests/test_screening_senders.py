"""Replies go only to a valid single mailbox: a From without a domain, with a full-width at-sign,
or naming several people, and an envelope sender that is no mailbox, are held for a caseworker
with the reason recorded, and nothing is sent to anyone.
"""

from __future__ import annotations

import mail_factory as factory
import pytest
from conftest import SENCO
from sqlalchemy import select

from intake.parse.message import parse_message
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.screening.checks import ScreenLimits, reply_address, screen
from intake.serve import RunningService
from store import InboundMessage, InboundStatus, OutboxMessage, Transport

LIMITS = ScreenLimits(intake_address=factory.INTAKE)

NOT_ONE_MAILBOX = {
    "no-domain": {"From": "script"},
    "full-width-at": {"From": "Jane <jane.senco＠school.example.org>"},
    "two-addresses": {"From": "jane.senco@school.example.org, other@elsewhere.example.com"},
    "envelope-no-domain": {"From": "jane.senco@school.example.org", "Return-Path": "<script>"},
}


def screened(headers: dict[str, str]):
    raw = factory.reply_with_pdf(headers=headers)
    return screen(parse_message(raw), len(raw), LIMITS)


@pytest.mark.parametrize("kind", sorted(NOT_ONE_MAILBOX))
def test_a_sender_that_is_not_one_valid_mailbox_is_held(kind):
    result = screened(NOT_ONE_MAILBOX[kind])
    assert result.verdict == "hold"
    assert [hit.code for hit in result.reasons] == ["sender-not-a-mailbox"]
    assert reply_address(parse_message(factory.reply_with_pdf(headers=NOT_ONE_MAILBOX[kind]))) == ""


def test_two_from_fields_are_held_too():
    raw = factory.reply_with_pdf()
    raw = b"From: other@elsewhere.example.com\r\n" + raw
    result = screen(parse_message(raw), len(raw), LIMITS)
    assert (result.verdict, [hit.code for hit in result.reasons]) == (
        "hold",
        ["sender-not-a-mailbox"],
    )


def test_an_ordinary_sender_passes_and_is_the_reply_address():
    raw = factory.reply_with_pdf(headers={"Return-Path": "<jane.senco@school.example.org>"})
    assert screen(parse_message(raw), len(raw), LIMITS).verdict == "pass"
    assert reply_address(parse_message(raw)) == "jane.senco@school.example.org"


def test_a_null_envelope_sender_is_still_ignored_not_held():
    assert [hit.code for hit in screened({"Return-Path": "<>"}).reasons] == ["null-return-path"]
    assert screened({"Return-Path": "<>"}).verdict == "ignore"


def test_hold_wins_over_reject_so_no_rejection_goes_to_a_doubtful_address():
    raw = factory.reply_with_pdf(filename="setup.exe", headers={"From": "script"})
    result = screen(parse_message(raw), len(raw), LIMITS)
    assert [hit.code for hit in result.reasons] == [
        "sender-not-a-mailbox",
        "attachment-type-refused",
    ]
    assert result.verdict == "hold"


@pytest.mark.parametrize("kind", sorted(NOT_ONE_MAILBOX))
def test_mail_from_no_single_mailbox_is_quarantined_and_never_answered(services, senco, kind):
    headers = {"From": SENCO, **NOT_ONE_MAILBOX[kind]}
    raw = factory.build_message(headers=headers, body="A form, please.\n")
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)

    with services.db.session() as session:
        message = session.get(InboundMessage, captured.inbound_id)
        sent = list(session.scalars(select(OutboxMessage)))
    assert message.status == InboundStatus.QUARANTINED
    assert [r["code"] for r in message.reasons] == ["sender-not-a-mailbox"]
    assert message.reasons[0]["params"]["detail"]
    assert sent == []


@pytest.mark.parametrize(
    ("envelope_from", "status", "code"),
    [
        ("script", InboundStatus.QUARANTINED, "sender-not-a-mailbox"),
        ("", InboundStatus.IGNORED, "null-return-path"),
    ],
)
def test_the_smtp_envelope_sender_is_checked_too(services, senco, envelope_from, status, code):
    # The listener's own capture: it writes MAIL FROM as Return-Path, as a delivering MTA does.
    service = RunningService(services, smtp=False, imap=False)
    raw = factory.build_message(headers={"From": SENCO}, body="A form, please.\n")
    captured = service.capture_from_smtp(raw, envelope_from, [services.settings.address])
    process_all(services)

    with services.db.session() as session:
        message = session.get(InboundMessage, captured.inbound_id)
        sent = list(session.scalars(select(OutboxMessage)))
    assert (message.status, [r["code"] for r in message.reasons]) == (status, [code])
    assert sent == []
