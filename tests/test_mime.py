"""Parsing raw email into a ParsedMessage: addresses and ids, body and quoted history, attachments
(forwards, winmail.dat, odd names and types), and defects noted instead of exceptions raised.
"""

from __future__ import annotations

import base64
import os
import time
from email import message_from_bytes, policy
from pathlib import Path

import mail_factory as factory
import pytest

from intake.parse.message import (
    OWN_MAIL_HEADER,
    ParsedMessage,
    message_key,
    normalise_message_id,
    parse_message,
)
from intake.parse.parts import (
    LARGE_BASE64_CHARS,
    MAX_WALK_DEPTH,
    decoded_payload,
    sanitise_filename,
)
from intake.parse.text import split_quoted


def test_reply_with_pdf_gives_addresses_ids_and_the_pdf():
    parsed = parse_message(factory.reply_with_pdf())
    assert parsed.message_id == "reply-1@school.example.org"
    assert parsed.from_address == "jane.senco@school.example.org"
    assert parsed.from_name == "Jane SENCO"
    assert parsed.to == ["intake@council.example.gov.uk"]
    assert parsed.subject == "Re: Request for advice"
    assert parsed.date is not None and parsed.date.year == 2025
    assert [pdf.filename for pdf in parsed.pdfs] == ["advice-form.pdf"]
    pdf = parsed.pdfs[0]
    assert pdf.data == factory.PDF_BYTES and pdf.size == len(factory.PDF_BYTES)
    assert not pdf.inline and not pdf.from_nested
    assert parsed.text_body == "Please find the completed form attached."
    assert parsed.defects == [] and parsed.readable


def test_outlook_reply_octet_stream_upper_case_pdf_and_threading_headers():
    parsed = parse_message(factory.fixture("outlook-reply-octet-stream.eml"))
    assert [(a.filename, a.content_type) for a in parsed.pdfs] == [
        ("ADVICE FORM.PDF", "application/octet-stream")
    ]
    assert parsed.message_id == "AM0PR01MB1234.ABCD@am0pr01mb1234.eurprd01.prod.outlook.com"
    assert parsed.in_reply_to == "out-77@council.example.gov.uk"
    assert parsed.references == ["out-70@council.example.gov.uk", "out-77@council.example.gov.uk"]
    assert parsed.from_name == "Senco, Jane"
    assert parsed.reply_to == "senco-team@school.example.org"
    assert parsed.cc == ["office@school.example.org"]
    assert parsed.subject == "RE: Advice request – ref EHC-0042"
    # Outlook's From/Sent block starts the quoted history (data-protection point 6).
    assert parsed.text_body == "Hello, the completed advice form is attached.\nKind regards, Jane"
    assert parsed.quoted.startswith("From: EHCP Intake")
    assert "EHC-0042" not in parsed.text_body


def test_pdf_recognised_by_its_magic_whatever_the_label():
    raw = factory.build_message(
        files=[
            ("scan.bin", "application/octet-stream", factory.PDF_BYTES),
            ("photo.bin", "application/octet-stream", b"\x89PNG\r\n"),
        ]
    )
    parsed = parse_message(raw)
    assert len(parsed.attachments) == 2
    assert [pdf.filename for pdf in parsed.pdfs] == ["scan.bin"]


def test_pdf_recognised_by_an_upper_case_name_when_type_and_magic_say_nothing():
    # Readers accept junk before %PDF, so a real PDF need not start with its magic.
    data = b"\r\n" + factory.PDF_BYTES
    parsed = parse_message(factory.reply_with_pdf("SCAN.PDF", "application/octet-stream", data))
    assert [pdf.filename for pdf in parsed.pdfs] == ["SCAN.PDF"]


def test_rfc2231_and_rfc2047_names_decoded_and_paths_removed():
    parsed = parse_message(factory.fixture("rfc2231-filename.eml"))
    assert [a.filename for a in parsed.attachments] == [
        "Gesundheitsübersicht été.pdf",
        "Förm Zwei.pdf",
        "passwd.pdf",
    ]
    assert len(parsed.pdfs) == 3


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        ("..\\..\\windows\\evil.pdf", "application/pdf", "evil.pdf"),
        ("form\u202efdp.exe", "application/pdf", "formfdp.exe"),
        ("bad\x00\x07name\r\n.pdf", "application/pdf", "badname.pdf"),
        ("...hidden.pdf", "application/pdf", "hidden.pdf"),
        ("", "application/pdf", "part-4.pdf"),
        (None, "text/plain", "part-4.txt"),
        ("/", "application/x-unknown-thing", "part-4.bin"),
    ],
)
def test_sanitise_filename(raw, content_type, expected):
    assert sanitise_filename(raw, content_type, 4) == expected


def test_sanitise_filename_truncates_long_names_keeping_the_extension():
    name = sanitise_filename("a" * 300 + ".pdf", "application/pdf", 1)
    assert len(name) == 120 and name.endswith("a.pdf")


def test_forwarded_message_attachments_are_marked_nested():
    parsed = parse_message(factory.forward(factory.reply_with_pdf(filename="inner.pdf")))
    assert [(a.filename, a.from_nested) for a in parsed.attachments] == [("inner.pdf", True)]
    assert parsed.text_body == "Forwarding the form my colleague sent."
    assert parsed.message_id == "fwd-1@school.example.org"


def test_forwards_inside_forwards_are_read_to_the_bottom():
    parsed = parse_message(factory.forward_raw(factory.reply_with_pdf(), depth=3))
    assert [(a.filename, a.from_nested) for a in parsed.pdfs] == [("advice-form.pdf", True)]
    assert parsed.depth == 7  # three (multipart -> message/rfc822) pairs, then the inner multipart
    assert parsed.text_body == "See below."


def test_inline_image_is_inline_and_html_body_is_stripped_of_markup_and_quotes():
    parsed = parse_message(factory.fixture("inline-image.eml"))
    assert [(a.filename, a.inline) for a in parsed.attachments] == [
        ("logo.gif", True),
        ("advice.pdf", False),
    ]
    assert parsed.text_body == "Form attached & signed."
    assert "color" not in parsed.text_body
    assert parsed.quoted.endswith("> Please send your advice.")


def test_winmail_dat_is_unpacked():
    stream = factory.tnef([("Advice Form.PDF", factory.PDF_BYTES), ("notes.txt", b"hello")])
    parsed = parse_message(factory.winmail_reply(stream))
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("Advice Form.PDF", "application/pdf"),
        ("notes.txt", "text/plain"),
    ]
    assert parsed.attachments[1].data == b"hello"
    assert len(parsed.pdfs) == 1
    assert parsed.defects == []


def test_unreadable_winmail_dat_is_kept_with_a_defect():
    parsed = parse_message(factory.winmail_reply(b"not a tnef stream at all"))
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert any(d.startswith("winmail.dat unreadable") for d in parsed.defects)


def test_unknown_charset_decoded_with_a_defect():
    parsed = parse_message(factory.fixture("unknown-charset.eml"))
    assert parsed.text_body == "Café meeting on Monday."
    assert "undecodable charset x-unknown: decoded as latin-1" in parsed.defects


def test_eight_bit_headers_are_read_as_utf8():
    raw = factory.raw_message(
        "From: José <jose@example.org>\nSubject: Ça va\nMessage-ID: <8bit@example.org>",
        "hi",
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Ça va"
    assert parsed.from_name == "José"


def test_broken_base64_noted_and_data_kept():
    parsed = parse_message(factory.fixture("broken-base64.eml"))
    assert [a.filename for a in parsed.attachments] == ["form.pdf"]
    assert parsed.attachments[0].data.startswith(b"%PDF-1.7")
    assert "broken base64 (invalid characters)" in parsed.defects


def test_missing_content_type_is_plain_text_with_a_defect():
    parsed = parse_message(factory.fixture("missing-content-type.eml"))
    assert parsed.text_body == "Just a note with no MIME headers at all."
    assert parsed.message_id is None
    assert "missing Content-Type: read as text/plain" in parsed.defects


def test_bad_content_type_noted_and_part_still_an_attachment():
    parsed = parse_message(factory.fixture("bad-content-type.eml"))
    assert [a.filename for a in parsed.pdfs] == ["report.pdf"]
    assert any(d.startswith("bad Content-Type 'pdf;") for d in parsed.defects)


def test_missing_boundary_noted():
    raw = factory.raw_message(
        "From: a@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed",
        "--x\nContent-Type: text/plain\n\nhello\n--x--\n",
    )
    parsed = parse_message(raw)
    assert "missing boundary" in parsed.defects
    assert "hello" in parsed.text_body


def test_group_address_the_default_policy_cannot_read_falls_back_to_compat32():
    raw = factory.raw_message(
        "From: a@example.org\nTo: undisclosed-recipients:; (no To-header on input)\n"
        "Cc: B <B@Example.org>",
        "hi",
    )
    parsed = parse_message(raw)
    assert parsed.to == []
    assert parsed.cc == ["b@example.org"]
    assert any("header To unreadable" in d for d in parsed.defects)


def test_quoted_history_split_from_fresh_text():
    body = (
        "Thanks, the code is 482913.\n\n"
        "On Mon, 1 Dec 2025 at 10:00, EHCP Intake <intake@council.example.gov.uk>\n"
        "wrote:\n"
        "> Your one-time code was requested for child A.B.\n"
    )
    fresh, quoted = split_quoted(body)
    assert fresh == "Thanks, the code is 482913."
    assert quoted.startswith("On Mon, 1 Dec 2025") and "child A.B." in quoted


def test_interleaved_quote_lines_go_to_quoted():
    parsed = parse_message(factory.build_message(body="> your question\nmy answer\n"))
    assert parsed.text_body == "my answer"
    assert parsed.quoted == "> your question"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02\xff" * 1000,
        b"From: \r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Subject: " + b"x" * 200_000 + b"\r\n\r\nbody",
        b"Content-Type: text/plain; charset=zlib\r\n\r\nhello",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
    ],
)
def test_never_raises_on_hostile_bytes(raw):
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    assert parsed.part_count >= 1


def test_nesting_beyond_the_walk_limit_is_cut_and_noted():
    parsed = parse_message(factory.nested_multiparts(MAX_WALK_DEPTH + 20))
    assert parsed.depth == MAX_WALK_DEPTH + 1
    assert parsed.pdfs == []
    assert f"nesting deeper than {MAX_WALK_DEPTH}: inner parts not read" in parsed.defects


def test_a_message_the_parser_gives_up_on_keeps_its_headers_so_it_can_be_answered():
    # Python's parser recurses once per level of nesting and raises RecursionError near 1,000:
    # the sender must still be known, to be told the message could not be read.
    parsed = parse_message(factory.nested_multiparts(3000))
    assert parsed.readable is False
    assert parsed.defects == ["message unparseable (RecursionError)"]
    assert parsed.from_address == "jane.senco@school.example.org"


def test_an_id_with_a_nul_byte_is_no_id_to_thread_a_reply_under():
    # Found by the hostile corpus: the NUL reached our reply's In-Reply-To and References.
    raw = factory.raw_message(
        "From: a@example.org\nMessage-ID: <nul\x00x@example.org>\n"
        "References: <a\x00b@example.org> <ok@example.org>",
        "Hello.",
    )
    parsed = parse_message(raw)
    assert (parsed.message_id, parsed.message_id_as_sent) == (None, None)
    assert parsed.references == parsed.references_as_sent == ["ok@example.org"]


def test_a_nul_in_a_header_is_shown_as_a_replacement_character():
    # Found by the hostile corpus: PostgreSQL refused the subject, and capture answered 451.
    raw = factory.raw_message("From: a@example.org\nSubject: Re: form\x00attached", "Hello.")
    assert parse_message(raw).subject == "Re: form\ufffdattached"


def test_base64_encoded_forward_is_still_read():
    inner = factory.reply_with_pdf(filename="deep.pdf")
    raw = factory.multipart_raw(
        "From: a@example.org",
        [
            "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
            + base64.encodebytes(inner).decode()
        ],
    )
    parsed = parse_message(raw)
    assert [(a.filename, a.from_nested) for a in parsed.pdfs] == [("deep.pdf", True)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("<Abc.DEF@Mail.Example.ORG>", "Abc.DEF@mail.example.org"),
        ("  <a@b.C> (comment)", "a@b.c"),
        ("no-brackets@Example.org", "no-brackets@example.org"),
        ("<>", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_message_id(header, expected):
    assert normalise_message_id(header) == expected


def test_message_key_is_the_message_id_when_present():
    raw = factory.reply_with_pdf()
    assert message_key(parse_message(raw), raw) == "reply-1@school.example.org"


def test_message_key_without_id_is_the_same_for_imap_and_smtp_copies():
    smtp_copy = factory.reply_with_pdf(message_id=None)
    imap_copy = (
        b"Return-Path: <jane.senco@school.example.org>\r\n"
        b"Received: from mx by imap; Mon, 01 Dec 2025 10:00:05 +0000\r\n" + smtp_copy
    )
    other_pdf = factory.reply_with_pdf(message_id=None, data=factory.PDF_BYTES + b"%changed\n")
    keys = [message_key(parse_message(raw), raw) for raw in (smtp_copy, imap_copy, other_pdf)]
    assert keys[0].startswith("sha256:")
    assert keys[0] == keys[1]
    assert keys[0] != keys[2]


def test_message_key_of_unparsed_message_hashes_the_raw_bytes():
    unreadable = ParsedMessage(readable=False, defects=["message unparseable (RecursionError)"])
    assert message_key(unreadable, b"one") != message_key(unreadable, b"two")


def test_our_marker_header_name_matches_what_the_notifier_writes():
    compose = pytest.importorskip("notifier.compose")
    assert OWN_MAIL_HEADER == compose.OWN_MAIL_HEADER


# Shapes that make Python's email parsers run for minutes (measured: 100 s and more before the
# guard); each must now finish fast with the shortcut noted.
HOSTILE_SHAPES = {
    "two-megabyte subject": (
        b"From: a@example.org\r\nSubject: " + b"word " * 400_000 + b"\r\n\r\nhi",
        "read with compat32: a header of",
        True,
    ),
    "a hundred thousand encoded words": (
        b"From: a@example.org\r\nSubject: " + b"=?utf-8?q?caf=C3=A9?= " * 100_000 + b"\r\n\r\nhi",
        "read with compat32: 100000 encoded words",
        True,
    ),
    "a megabyte of parameters": (
        b"From: a@example.org\r\nContent-Type: multipart/mixed; "
        + b"; ".join(b"p%d=v" % n for n in range(100_000))
        + b"\r\n\r\nhi",
        "a Content header of",
        False,
    ),
    "twenty thousand parts": (
        factory.multipart_raw("From: a@example.org", ["Content-Type: text/plain\n\nx"] * 20_000),
        "20001 boundary lines: body not read",
        False,
    ),
}


@pytest.mark.parametrize("shape", HOSTILE_SHAPES)
def test_hostile_header_shapes_are_parsed_quickly_with_the_shortcut_noted(shape):
    raw, defect, readable = HOSTILE_SHAPES[shape]
    started = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - started < 10
    assert any(d.startswith(defect) for d in parsed.defects), parsed.defects
    assert parsed.readable is readable
    assert parsed.from_address == "a@example.org"


def test_a_long_subject_is_cut_not_lost():
    parsed = parse_message(HOSTILE_SHAPES["two-megabyte subject"][0])
    assert parsed.subject.startswith("word word")
    assert len(parsed.subject) <= 16 * 1024


# --- large base64 parts, decoded in slices --------------------------------------------------------


def _base64_part(text: str) -> bytes:
    return (
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + text
    ).encode("ascii")


def _both_ways(raw: bytes) -> tuple[bytes, bytes]:
    part = message_from_bytes(raw, policy=policy.default)
    expected = part.get_payload(decode=True)
    return decoded_payload(message_from_bytes(raw, policy=policy.default)), expected


@pytest.mark.parametrize("extra", [0, 1, 2])
def test_large_base64_decodes_as_the_email_package_does(extra: int) -> None:
    data = os.urandom(LARGE_BASE64_CHARS + extra)  # no padding, "==", then "="
    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    mine, theirs = _both_ways(_base64_part(encoded))
    assert mine == theirs == data


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[:-7] + "\r\n",  # letters not in groups of four
        lambda text: text[:1000] + "*!" + text[1000:],  # not base64 at all
        lambda text: text[:1000] + "==" + text[1000:],  # padding in the middle
    ],
)
def test_damaged_large_base64_falls_back_to_the_email_package(damage) -> None:
    encoded = base64.encodebytes(os.urandom(LARGE_BASE64_CHARS)).decode()
    mine, theirs = _both_ways(_base64_part(damage(encoded)))
    assert mine == theirs


CORPUS_MAIL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "mail"


@pytest.mark.skipif(not CORPUS_MAIL.is_dir(), reason="shared corpus not present")
def test_every_corpus_leaf_part_decodes_the_same(monkeypatch) -> None:
    # With the threshold at zero every base64 part takes the sliced path.
    monkeypatch.setattr("intake.parse.parts.LARGE_BASE64_CHARS", 0)
    compared = 0
    for path in sorted(CORPUS_MAIL.rglob("*.eml")):
        try:
            message = message_from_bytes(path.read_bytes(), policy=policy.compat32)
            parts = [p for p in message.walk() if not p.is_multipart()]
        except Exception:
            continue  # unparseable mail has its own tests
        for part in parts:
            try:
                expected = part.get_payload(decode=True) or b""
            except Exception:
                continue
            assert decoded_payload(part) == expected, path.name
            compared += 1
    assert compared > 200
