"""Composed email read back by the standard library, as a mail program would: names and
subjects outside ASCII, attachments, threading and the headers that stop mail loops."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from notifier import Attachment, compose_email

CONTEXT = {
    "subject_line": "Cais Tŷ Dŵr: ł and é",
    "paragraphs": ["Diolch — thank you.", "Line with ŵ and a long " + "word " * 40],
    "service_name": "Gwasanaeth SEND",
    "address": "intake@send.example.gov.uk",
}


def compose(**changes):
    options = {
        "sender": "Gwasanaeth SEND <intake@send.example.gov.uk>",
        "to": "Hélène Michałowska <h.michalowska@glanwy.sch.uk>",
        "instance": "instance-1",
        "in_reply_to": "<AB12@EXCH01.Glanwy.sch.uk>",
        "references": ["<first@Glanwy.sch.uk>"],
        **changes,
    }
    composed = compose_email("notice", CONTEXT, **options)
    return composed, message_from_bytes(composed.raw, policy=default_policy)


def test_headers_outside_ascii_are_encoded_and_read_back() -> None:
    composed, message = compose()
    assert composed.raw.isascii()
    assert message["Subject"] == composed.subject == "Cais Tŷ Dŵr: ł and é"
    [to] = message["To"].addresses
    assert (to.display_name, to.addr_spec) == (
        "Hélène Michałowska",
        "h.michalowska@glanwy.sch.uk",
    )
    assert message["From"].addresses[0].addr_spec == "intake@send.example.gov.uk"
    assert message["Message-ID"] == composed.message_id
    assert composed.message_id.endswith("@send.example.gov.uk>")


def test_threading_and_loop_headers() -> None:
    _, message = compose(auto_submitted="auto-generated")
    assert message["In-Reply-To"] == "<AB12@EXCH01.Glanwy.sch.uk>"
    assert message["References"].split() == ["<first@Glanwy.sch.uk>", "<AB12@EXCH01.Glanwy.sch.uk>"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["X-EHCP-Intake"] == "instance-1"


def test_text_and_html_alternatives_keep_every_letter() -> None:
    _, message = compose()
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for text in (plain, html):
        assert "Diolch — thank you." in text
        assert "ŵ" in text
    assert message.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("receipt-EHC-2026-000001.pdf", "application/pdf"), ("Adroddiad Dŵr.docx", "image/png")],
)
def test_attachments_keep_their_name_type_and_bytes(filename: str, content_type: str) -> None:
    data = bytes(range(256)) * 40
    _, message = compose(attachments=[Attachment(filename, content_type, data)])
    assert message.get_content_type() == "multipart/mixed"
    [part] = list(message.iter_attachments())
    assert (part.get_filename(), part.get_content_type()) == (filename, content_type)
    assert part.get_content() == data
    assert "ŵ" in message.get_body(("plain",)).get_content()
