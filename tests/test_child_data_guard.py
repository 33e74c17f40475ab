"""The check every test runs at its end (tests/child_data_guard.py) finds a test child's name,
birthday or identifiers in the emails a test produced, and only there: attachments may hold them.
"""

from __future__ import annotations

from datetime import date

import pytest
from child_data_guard import (
    CHILD_TRACES,
    child_traces_in,
    date_spellings,
    leaks_in_messages,
    leaks_in_outbox,
)
from mail_servers import RelaySink, relay_sink  # noqa: F401 (a fixture)

from notifier import Attachment, SmtpRelay, compose_email, enqueue

pytestmark = pytest.mark.child_data_in_mail


def notice(paragraphs: list[str], subject: str = "Your case EHC-2025-000001", **options) -> bytes:
    return compose_email(
        "notice",
        {"service_name": "SEND service", "subject_line": subject, "paragraphs": paragraphs},
        sender="intake@send.example.gov.uk",
        to="ann@school.example.org",
        instance="test",
        **options,
    ).raw


def test_the_usual_spellings_of_a_birthday_are_looked_for() -> None:
    spellings = date_spellings(date(2017, 3, 14))
    for written in (
        "14/03/2017",
        "2017-03-14",
        "14 March 2017",
        "14.03.2017",
        "14/3/2017",
        "14th March 2017",
        "March 14, 2017",
        "14 Mar 2017",
        "14/03/17",
    ):
        assert written in spellings
    for example in ("Gruffydd", "Nowak-Pryce", "Gruff", "2016-05-14", "14 May 2016"):
        assert example in CHILD_TRACES


@pytest.mark.parametrize(
    ("subject", "paragraph", "found"),
    [
        ("Your case EHC-2025-000001", "About Gruffydd: his plan is ready.", ["Gruffydd"]),
        ("About GRUFF NOWAK-PRYCE", "Nothing here.", ["GRUFF", "NOWAK-PRYCE"]),
        ("Your case", "Born 14/05/2016.", ["14/05/2016"]),
        ("Your case", "We kept EP-advice-Gruffydd-Nowak-Pryce.pdf.", ["Gruffydd", "Nowak-Pryce"]),
        ("Your case", "Date of birth: 14th May 2016", ["14th May 2016"]),
        (
            "Your case",
            "Born 14 March 2017, NHS number 4857773457.",
            ["14 March 2017", "4857773457"],
        ),
    ],
)
def test_a_child_named_in_the_subject_or_a_body_is_found(subject, paragraph, found) -> None:
    raw = notice([paragraph], subject=subject)
    assert child_traces_in(raw) == found


def test_references_dates_and_words_that_only_look_alike_are_not_flagged() -> None:
    raw = notice(
        [
            "Case EHC-2016-000514 reached stage 3 on 14 May 2026; advice due 2016-05-15.",
            "The Gruffalo is on the reading list. Reference ADV-2025-000123.",
        ]
    )
    assert child_traces_in(raw) == []


def test_attachments_are_not_scanned() -> None:
    receipt = Attachment("receipt.pdf", "application/pdf", b"%PDF-1.7 Gruffydd 2016-05-14")
    note = Attachment("note.txt", "text/plain", b"Gruffydd Nowak-Pryce, born 14/05/2016")
    assert child_traces_in(notice(["A receipt is attached."], attachments=[receipt, note])) == []


def test_the_outbox_check_finds_the_email_that_names_the_child(services) -> None:
    with services.db.session() as session:
        email = compose_email(
            "notice",
            {"service_name": "x", "subject_line": "Hello", "paragraphs": ["Fine."]},
            sender="intake@send.example.gov.uk",
            to="ann@school.example.org",
            instance="test",
        )
        enqueue(session, email, kind="notice")
    assert leaks_in_outbox(services) == []
    with services.db.session() as session:
        leaky = compose_email(
            "notice",
            {"service_name": "x", "subject_line": "Gruffydd's plan", "paragraphs": ["Ready."]},
            sender="intake@send.example.gov.uk",
            to="bob@school.example.org",
            instance="test",
        )
        enqueue(session, leaky, kind="notice")
    [leak] = leaks_in_outbox(services)
    assert (leak.to, leak.found) == ("bob@school.example.org", ("Gruffydd",))
    assert "(notice)" in leak.where


def test_the_sink_check_finds_the_message_that_names_the_child(relay_sink: RelaySink) -> None:  # noqa: F811
    relay = SmtpRelay(relay_sink.url)
    relay.send("intake@x.example", "a@x.example", notice(["Nothing to see."]))
    relay.send("intake@x.example", "b@x.example", notice(["Born 2016-05-14."]))
    received = [(", ".join(m.rcpt_tos), m.data) for m in relay_sink.wait_for(2)]
    [leak] = leaks_in_messages(received)
    assert (leak.where, leak.to, leak.found) == (
        "relay sink message 2",
        "b@x.example",
        ("2016-05-14",),
    )


INNER_TEST = """
from notifier import compose_email, enqueue


def test_queues_an_email_naming_the_child(services):
    with services.db.session() as session:
        email = compose_email(
            "notice",
            {"service_name": "x", "subject_line": "Hello", "paragraphs": ["Gruff is fine."]},
            sender="intake@send.example.gov.uk",
            to="ann@school.example.org",
            instance="test",
        )
        enqueue(session, email, kind="notice")
"""


def test_a_test_whose_email_names_the_child_fails(pytester: pytest.Pytester) -> None:
    # The suite's own fixtures, in a run of one test file of its own.
    pytester.makepyfile(test_inner=INNER_TEST)
    result = pytester.runpytest("-p", "conftest", "-k", "sqlite")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*emails give away a child's name or date of birth:*",
            "*(notice) to ann@school.example.org: Gruff",
        ]
    )
