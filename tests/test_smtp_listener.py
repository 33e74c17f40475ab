"""The SMTP listener against a real client: 250 only after capture, 550, 451, 552, exact bytes."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from mail_servers import RelaySink, free_port, relay_sink  # noqa: F401 (fixture)

from intake.receive.smtp import SmtpIntakeHandler, start_smtp_listener

INTAKE = "intake@send.example.gov.uk"
SENDER = "senco@school.example.org"
MAX_BYTES = 64 * 1024


def make_message(
    subject: str = "EHC needs assessment request", body: str = "Form attached."
) -> bytes:
    # CRLF throughout, as on the wire; the leading dots check that dot-stuffing is undone.
    lines = [
        f"From: {SENDER}",
        f"To: {INTAKE}",
        f"Subject: {subject}",
        "Message-ID: <test-1@school.example.org>",
        "",
        body,
        ".a line that starts with a dot",
        "..two dots",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


@dataclass
class CaptureLog:
    """A capture that records what it was given, and can be made to fail or to wait."""

    calls: list[tuple[bytes, str, list[str]]] = field(default_factory=list)
    fail: bool = False
    release: threading.Event | None = None

    def __call__(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> object:
        if self.release is not None:
            self.release.wait(10)
        if self.fail:
            raise OSError("disk full")
        self.calls.append((raw, envelope_from, envelope_to))
        return len(self.calls)


@pytest.fixture
def capture() -> CaptureLog:
    return CaptureLog()


@pytest.fixture
def listener(capture: CaptureLog) -> Iterator[tuple[str, int]]:
    handler = SmtpIntakeHandler(capture, lambda address: address.lower() == INTAKE, MAX_BYTES)
    port = free_port()
    controller = start_smtp_listener("127.0.0.1", port, handler)
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()


def send(address: tuple[str, int], raw: bytes, to: str = INTAKE) -> dict:
    with smtplib.SMTP(*address, timeout=10) as client:
        return client.sendmail(SENDER, [to], raw)


def test_an_accepted_message_is_captured_before_250(listener, capture: CaptureLog) -> None:
    raw = make_message()
    send(listener, raw)
    assert capture.calls == [(raw, SENDER, [INTAKE])]


def test_250_waits_for_capture_to_return(listener, capture: CaptureLog) -> None:
    capture.release = threading.Event()
    replies: list[object] = []
    sender = threading.Thread(target=lambda: replies.append(send(listener, make_message())))
    sender.start()
    sender.join(0.5)
    assert sender.is_alive() and replies == []
    capture.release.set()
    sender.join(10)
    assert replies == [{}] and len(capture.calls) == 1


def test_the_event_loop_keeps_serving_while_capture_is_slow(listener, capture: CaptureLog) -> None:
    capture.release = threading.Event()
    sender = threading.Thread(target=send, args=(listener, make_message()))
    sender.start()
    try:
        # Capture runs in a worker thread, so a second session still gets its greeting and EHLO.
        with smtplib.SMTP(*listener, timeout=2) as other:
            code, _ = other.ehlo()
            assert code == 250
    finally:
        capture.release.set()
        sender.join(10)


def test_unknown_recipient_is_refused_at_rcpt(listener, capture: CaptureLog) -> None:
    with smtplib.SMTP(*listener, timeout=10) as client:
        client.ehlo()
        client.mail(SENDER)
        code, text = client.rcpt("nobody@send.example.gov.uk")
    assert code == 550 and text.startswith(b"5.1.1")
    assert capture.calls == []


def test_a_failing_capture_answers_451_and_claims_nothing(listener, capture: CaptureLog) -> None:
    capture.fail = True
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(listener, make_message())
    assert refused.value.smtp_code == 451
    assert refused.value.smtp_error.startswith(b"4.3.0")
    assert capture.calls == []


def test_oversize_messages_are_refused_with_552(listener, capture: CaptureLog) -> None:
    with smtplib.SMTP(*listener, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size") and int(client.esmtp_features["size"]) == MAX_BYTES
        big = make_message(body=("y" * 900 + "\r\n") * 80)
        assert len(big) > MAX_BYTES
        # Without the SIZE parameter the server must still stop it once the data runs over.
        client.mail(SENDER)
        client.rcpt(INTAKE)
        code, _ = client.data(big)
    assert code == 552
    assert capture.calls == []


def test_smtplib_declares_size_and_is_refused_at_mail_from(listener, capture) -> None:
    big = make_message(body=("z" * 900 + "\r\n") * 80)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(listener, big)
    assert refused.value.smtp_code == 552
    assert capture.calls == []


def test_bytes_arrive_exactly_as_sent(listener, capture: CaptureLog) -> None:
    raw = make_message(body="Caf\u00e9 \u2013 8-bit UTF-8 in the body")
    assert max(raw) > 127
    send(listener, raw)
    ((captured, _, _),) = capture.calls
    assert captured == raw  # no Received, X-Peer or other header added


def test_relay_sink_records_and_fails_on_request(relay_sink: RelaySink) -> None:  # noqa: F811
    address = (relay_sink.host, relay_sink.port)
    relay_sink.fail_with(451, "4.3.0 try later", count=2)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(address, make_message())
        assert refused.value.smtp_code == 451
    relay_sink.fail_with(554, "5.7.1 rejected")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(address, make_message())
    assert refused.value.smtp_code == 554
    raw = make_message(subject="third time lucky")
    send(address, raw, to="someone@example.org")
    (message,) = relay_sink.wait_for(1, timeout=5)
    assert (message.mail_from, message.rcpt_tos, message.data) == (
        SENDER,
        ["someone@example.org"],
        raw,
    )
    assert len(relay_sink.refused) == 3
