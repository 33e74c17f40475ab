"""Screening: automatic mail is ignored, oversize or dangerous mail rejected, a professional's
reply passes, and every check's hit or miss is recorded in table order.
"""

from __future__ import annotations

import mail_factory as factory
import pytest

from intake.parse.message import ParsedMessage, parse_message
from intake.screening.checks import CHECKS, ScreenLimits, screen

OUR_MARKER = "council-test-1"
LIMITS = ScreenLimits(own_marker=OUR_MARKER, intake_address=factory.INTAKE)


def screened(raw: bytes, limits: ScreenLimits = LIMITS):
    return screen(parse_message(raw), len(raw), limits)


def codes(raw: bytes, limits: ScreenLimits = LIMITS) -> list[str]:
    return [hit.code for hit in screened(raw, limits).reasons]


def test_a_professionals_reply_passes_with_every_check_recorded_as_a_miss():
    result = screened(factory.fixture("outlook-reply-octet-stream.eml"))
    assert result.verdict == "pass"
    assert result.reasons == []
    assert [d["check"] for d in result.decisions] == [check.name for check in CHECKS]
    assert not any(d["hit"] for d in result.decisions)


def test_check_names_are_kebab_case_with_descriptions_and_ignores_say_never_answered():
    for check in CHECKS:
        assert check.name == check.name.lower() and " " not in check.name
        assert check.description
        if check.verdict == "ignore":
            assert "ignored, never answered" in check.description


@pytest.mark.parametrize("value", ["auto-replied", "auto-generated", "auto-notified; owner=x"])
def test_auto_submitted_is_ignored(value):
    raw = factory.reply_with_pdf(headers={"Auto-Submitted": value})
    result = screened(raw)
    assert result.verdict == "ignore"
    assert [hit.code for hit in result.reasons] == ["auto-submitted"]
    assert value in result.reasons[0].detail


def test_auto_submitted_no_passes():
    assert screened(factory.reply_with_pdf(headers={"Auto-Submitted": "no"})).verdict == "pass"


def test_delivery_status_bounce_is_ignored_for_every_sign_it_carries():
    result = screened(factory.fixture("delivery-status-bounce.eml"))
    assert result.verdict == "ignore"
    assert codes(factory.fixture("delivery-status-bounce.eml")) == [
        "auto-submitted",
        "delivery-report",
        "daemon-sender",
        "null-return-path",
    ]
    assert result.reasons[1].detail == "multipart/report; report-type=delivery-status"


@pytest.mark.parametrize(
    "headers",
    [
        {"From": "postmaster@school.example.org"},
        {"From": "MAILER-DAEMON"},
        {"X-Failed-Recipients": "someone@school.example.org"},
    ],
)
def test_daemon_senders_are_ignored(headers):
    result = screened(factory.reply_with_pdf(headers=headers))
    assert result.verdict == "ignore"
    assert result.reasons[0].code == "daemon-sender"


@pytest.mark.parametrize("value", ["bulk", "List", "junk"])
def test_precedence_bulk_list_junk_is_ignored(value):
    assert codes(factory.reply_with_pdf(headers={"Precedence": value})) == ["precedence-bulk"]


def test_precedence_first_class_passes():
    assert screened(factory.reply_with_pdf(headers={"Precedence": "first-class"})).verdict == "pass"


def test_list_mail_is_ignored():
    assert codes(factory.fixture("mailing-list.eml")) == ["precedence-bulk", "mailing-list"]
    raw = factory.reply_with_pdf(headers={"List-Unsubscribe": "<mailto:leave@example.org>"})
    assert codes(raw) == ["mailing-list"]


def test_vacation_headers_are_ignored():
    assert codes(factory.fixture("vacation-autoreply.eml")) == ["auto-reply"]
    assert codes(factory.reply_with_pdf(headers={"X-Autorespond": "on"})) == ["auto-reply"]


def test_an_automatic_looking_subject_alone_passes():
    raw = factory.reply_with_pdf(headers={"Subject": "Automatic reply: out of office (not really)"})
    assert screened(raw).verdict == "pass"
    assert screened(factory.reply_with_pdf(headers={"X-Autoreply": "no"})).verdict == "pass"


def test_an_automatic_subject_with_exchanges_suppress_header_is_ignored():
    raw = factory.reply_with_pdf(
        headers={"Subject": "Automatic reply: Advice request", "X-Auto-Response-Suppress": "All"}
    )
    assert codes(raw) == ["auto-reply"]


def test_null_return_path_is_ignored():
    assert codes(factory.reply_with_pdf(headers={"Return-Path": "<>"})) == ["null-return-path"]
    assert screened(factory.fixture("outlook-reply-octet-stream.eml")).verdict == "pass"


def test_our_own_marker_coming_back_is_ignored_but_another_instances_is_not_ours():
    assert codes(factory.reply_with_pdf(headers={"X-EHCP-Intake": OUR_MARKER})) == ["own-mail"]
    assert codes(factory.reply_with_pdf(headers={"X-EHCP-Intake": "other-council"})) == []


def test_mail_from_our_intake_address_is_ignored_even_plus_addressed():
    raw = factory.reply_with_pdf(headers={"From": "Intake <INTAKE+tok@council.example.gov.uk>"})
    assert codes(raw) == ["own-mail"]
    assert codes(raw, ScreenLimits()) == []


def test_oversize_is_rejected():
    raw = factory.reply_with_pdf()
    result = screen(parse_message(raw), len(raw), ScreenLimits(max_bytes=len(raw) - 1))
    assert result.verdict == "reject"
    assert [hit.code for hit in result.reasons] == ["message-too-large"]
    assert screen(parse_message(raw), len(raw), ScreenLimits(max_bytes=len(raw))).verdict == "pass"


def test_default_size_limit_is_25_mib():
    parsed = parse_message(factory.reply_with_pdf())
    assert screen(parsed, 25 * 1024 * 1024).verdict == "pass"
    assert screen(parsed, 25 * 1024 * 1024 + 1).verdict == "reject"


def test_too_many_parts_is_rejected():
    files = [(f"note-{n}.txt", "text/plain", b"x") for n in range(100)]
    raw = factory.build_message(files=files)
    result = screened(raw, ScreenLimits(max_attachments=1000))
    assert [hit.code for hit in result.reasons] == ["too-many-parts"]
    assert result.reasons[0].detail == "102 parts, limit 100"


def test_too_many_attachments_is_rejected():
    files = [(f"page-{n}.pdf", "application/pdf", factory.PDF_BYTES) for n in range(31)]
    result = screened(factory.build_message(files=files))
    assert result.verdict == "reject"
    assert [hit.code for hit in result.reasons] == ["too-many-attachments"]
    assert screened(factory.build_message(files=files[:30])).verdict == "pass"


def test_nesting_too_deep_is_rejected():
    assert codes(factory.nested_multiparts(11)) == ["nesting-too-deep"]
    assert codes(factory.nested_multiparts(10)) == []


def test_forward_of_a_forward_of_a_forward_is_still_within_the_depth_limit():
    assert screened(factory.forward_raw(factory.reply_with_pdf(), depth=3)).verdict == "pass"


@pytest.mark.parametrize(
    "filename",
    ["setup.exe", "run.BAT", "invoice.pdf.js", "x.vbs", "s.scr", "c.cmd", "p.ps1", "a.jar",
     "i.msi", "budget.xlsm", "letter.docm", "trick.exe."],
)  # fmt: skip
def test_refused_attachment_types_are_rejected(filename):
    raw = factory.reply_with_pdf(filename=filename, content_type="application/octet-stream")
    result = screened(raw)
    assert result.verdict == "reject"
    assert [hit.code for hit in result.reasons] == ["attachment-type-refused"]


def test_refused_type_inside_winmail_dat_is_found():
    raw = factory.winmail_reply(factory.tnef([("form.pdf", factory.PDF_BYTES), ("a.exe", b"MZ")]))
    assert codes(raw) == ["attachment-type-refused"]


def test_ordinary_documents_are_not_refused():
    files = [
        ("report.docx", "application/octet-stream", b"PK"),
        ("data.xlsx", "application/octet-stream", b"PK"),
        ("photo.JPG", "image/jpeg", b"\xff\xd8"),
    ]
    assert screened(factory.build_message(files=files)).verdict == "pass"


def test_unreadable_message_is_rejected():
    parsed = ParsedMessage(readable=False, defects=["message unparseable (RecursionError)"])
    result = screen(parsed, 10, LIMITS)
    assert result.verdict == "reject"
    assert [hit.code for hit in result.reasons] == ["message-unreadable", "sender-missing"]


def test_ignore_wins_over_reject_so_automatic_mail_is_never_answered():
    raw = factory.reply_with_pdf(filename="virus.exe", headers={"Auto-Submitted": "auto-replied"})
    result = screened(raw)
    assert result.verdict == "ignore"
    assert [hit.code for hit in result.reasons] == ["auto-submitted", "attachment-type-refused"]
    hits = {d["check"]: d["hit"] for d in result.decisions}
    assert hits["auto-submitted"] and hits["refused-type"] and not hits["max-size"]


def test_a_bare_delivery_status_without_the_multipart_wrapper_is_ignored():
    raw = factory.raw_message(
        "From: a@mx.example.org\nMIME-Version: 1.0\nContent-Type: message/delivery-status",
        "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; x@example.org\n"
        "Action: failed\nStatus: 5.1.1\n",
    )
    assert codes(raw) == ["delivery-report"]


def test_a_message_without_a_from_address_is_rejected_and_one_without_a_mailbox_held():
    assert codes(factory.raw_message("To: intake@council.example.gov.uk\nSubject: x", "hi")) == [
        "sender-missing"
    ]
    raw = factory.reply_with_pdf(headers={"From": "just-a-name"})
    assert (screened(raw).verdict, codes(raw)) == ("hold", ["sender-not-a-mailbox"])


def test_a_body_too_hostile_to_parse_is_rejected_as_unreadable():
    raw = factory.multipart_raw("From: a@example.org", ["Content-Type: text/plain\n\nx"] * 20_000)
    assert codes(raw) == ["message-unreadable", "too-many-parts"]
