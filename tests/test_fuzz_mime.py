"""Fuzzing the MIME entry (intake/parse/, then screening, then the whole pipeline) with
structured mutations of real messages: bytes and mail syntax inserted, cut, repeated, headers
added with hostile values. Whatever comes in, no exception escapes and every message ends with
a verdict and a reason worded for a person. Profiles: tests/fuzz_profiles.py (INTAKE_FUZZ=long).
"""

from __future__ import annotations

import re

import mail_factory as factory
import pytest
from fuzz_profiles import examples
from hostile.checks import FINAL_STATUSES
from hypothesis import example, given
from hypothesis import strategies as st

from intake.outcomes import outcome_of
from intake.parse.message import ParsedMessage, message_key, parse_headers, parse_message
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.screening.checks import reply_address, screen
from store import Transport

SEEDS = [
    factory.reply_with_pdf(),
    factory.forward(factory.reply_with_pdf(filename="inner.pdf")),
    factory.winmail_reply(factory.tnef([("form.pdf", factory.PDF_BYTES)])),
    factory.build_message(html="<p>Hello <b>there</b></p>"),
    *(path.read_bytes() for path in sorted(factory.FIXTURES.glob("*.eml"))),
]
# Mail syntax worth putting anywhere: line ends, NUL, boundaries, encoded words, parameters,
# nested types, hostile file names, address punctuation.
TOKENS = [
    b"\r\n", b"\n", b"\r", b"\x00", b"\r\n\r\n", b"--", b"--XYZ\r\n", b"--XYZ--",
    b"=?utf-8?b?", b"=?utf-8?q?=0D=0ABcc:_x@evil.example?=", b"?=", b'; boundary="XYZ"',
    b"Content-Type: multipart/mixed; boundary=XYZ\r\n", b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n", b"filename*=utf-8''..%2F..%2Fx.pdf",
    b'filename="../../x.pdf"', b"<", b">", b"@", b",", b":", b";", b'"', b"\\", b"%PDF-1.7",
    b"\xff\xfe", b" ", b"\t", b"\xe2\x80\xa8", b"(", b")",
]  # fmt: skip
HEADERS = [
    b"From", b"To", b"Cc", b"Reply-To", b"Subject", b"Message-ID", b"In-Reply-To", b"References",
    b"Content-Type", b"Content-Disposition", b"Content-Transfer-Encoding", b"Return-Path",
    b"Auto-Submitted", b"Authentication-Results", b"MIME-Version",
]  # fmt: skip
VERDICTS = {"pass", "ignore", "hold", "reject"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

pieces = st.one_of(st.sampled_from(TOKENS), st.binary(max_size=24))


@st.composite
def mutated_messages(draw) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "repeat", "cut", "header"]))
        at = draw(st.integers(0, len(raw)))
        span = draw(st.integers(1, 300))
        if kind == "insert":
            raw[at:at] = draw(pieces)
        elif kind == "delete":
            del raw[at : at + span]
        elif kind == "replace":
            raw[at : at + span] = draw(pieces)
        elif kind == "repeat":
            raw[at:at] = raw[at : at + span] * draw(st.integers(2, 40))
        elif kind == "cut":
            del raw[at:]
        else:
            value = b"".join(draw(st.lists(pieces, max_size=8)))
            raw[0:0] = draw(st.sampled_from(HEADERS)) + b": " + value + b"\r\n"
    return bytes(raw)


def assert_parsed_and_screened(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMessage)
    assert parse_headers(raw) is None or isinstance(parse_headers(raw), ParsedMessage)
    assert message_key(parsed, raw)
    screening = screen(parsed, len(raw))
    assert screening.verdict in VERDICTS
    if screening.verdict != "pass":
        assert screening.reasons
    for reason in screening.reasons:
        assert f"(reference: {reason.code})" not in reason.sentence()
    # What our reply copies from the message: never a line break or NUL (header injection).
    for copied in (parsed.message_id_as_sent, *parsed.references_as_sent, reply_address(parsed)):
        assert not _CONTROL.search(copied or ""), copied
    # What capture stores: PostgreSQL refuses a NUL in a text column.
    assert "\x00" not in parsed.subject and "\x00" not in (parsed.from_address or "")


@example(b"From: a@b.example\r\nMessage-ID: <x\x00y@b.example>\r\n\r\nhi")  # NUL in an id
@example(b"From: a@b.example\r\nSubject: a\x00b\r\n\r\nhi")  # NUL in the subject
@example(factory.nested_multiparts(1500))  # the parser's RecursionError
@given(mutated_messages())
@examples(100)
def test_any_mutated_message_is_parsed_and_screened_to_a_verdict(raw):
    assert_parsed_and_screened(raw)


@pytest.fixture
def database(sqlite_database):
    """SQLite only for the pipeline fuzz: it is about the input, and each example is a message."""
    return sqlite_database


@given(raw=mutated_messages())
@examples(15, fixtures=True)
def test_any_mutated_message_ends_with_a_status_and_a_reason(services, senco, raw):
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    outcome = outcome_of(services, captured.inbound_id).as_dict()
    assert outcome["status"] in FINAL_STATUSES, outcome
    for reason in outcome["reasons"]:
        assert reason["message"] and f"(reference: {reason['code']})" not in reason["message"]
    if outcome["status"] != "accepted":
        assert outcome["reasons"], outcome
