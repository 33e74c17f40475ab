"""A pytest plugin that fails any test whose emails give away a test child's name, date of birth
or identifiers (docs/architecture.md, "least data in mail").

Emails carry references, stages and dates only. Every email the service sends is an outbox row,
so the `services` fixture scans its database's outbox when a test ends, and the `relay_sink`
fixture scans every message it received: the subject and each text and HTML body, decoded; PDF
and other attachments are left out (what may travel there is decided elsewhere). A test that
sends child data on purpose, to show this check works, says so with
`@pytest.mark.child_data_in_mail`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from documents.forms.advice_example import ADVICE_EXAMPLE
from documents.forms.request_example import REQUEST_EXAMPLE

MARKER = "child_data_in_mail"

# The children of the forms' examples and of the test modules' own records.
_EXAMPLE_NAMES = ("child_forename", "child_surname", "child_known_as", "nhs_number", "upn")
_FACTORY_NAMES = (
    "Zephyrine",  # tests/test_reminders.py
    "Quillfeather",
    "Lovelace",  # tests/test_store.py ("Ada" alone is too common a word to look for)
)
_FACTORY_BIRTHDAYS = (
    date(2015, 3, 14),  # tests/test_reminders.py
    date(2017, 3, 14),  # tests/test_timeline.py
    date(2016, 5, 1),  # tests/test_store.py
)

_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def date_spellings(day: date) -> list[str]:
    """The ways a person or a program commonly writes `day`."""
    d, m, y = day.day, day.month, day.year
    month, short = _MONTHS[m - 1], _MONTHS[m - 1][:3]
    ordinal = f"{d}{'th' if 10 <= d % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"
    numeric = [
        f"{day_text}{sep}{month_text}{sep}{year_text}"
        for sep in "/.-"
        for day_text in {f"{d:02d}", str(d)}
        for month_text in {f"{m:02d}", str(m)}
        for year_text in (str(y), f"{y % 100:02d}")
    ]
    worded = [
        f"{day_text} {month_name}{comma} {y}"
        for day_text in {str(d), f"{d:02d}", ordinal}
        for month_name in (month, short)
        for comma in ("", ",")
    ]
    american = [
        f"{month_name} {day_text}, {y}"
        for month_name in (month, short)
        for day_text in {str(d), ordinal}
    ] + [f"{month} {d} {y}"]
    return [
        day.isoformat(),
        f"{y}/{m:02d}/{d:02d}",
        f"{y}{m:02d}{d:02d}",
        *numeric,
        *worded,
        *american,
    ]


def test_child_traces() -> tuple[str, ...]:
    """Every name, identifier and spelling of a birthday of the test children."""
    traces: list[str] = [*_FACTORY_NAMES]
    for example in (REQUEST_EXAMPLE, ADVICE_EXAMPLE):
        traces += [str(example[name]) for name in _EXAMPLE_NAMES if example.get(name)]
    birthdays = {
        date.fromisoformat(REQUEST_EXAMPLE["date_of_birth"]),
        date.fromisoformat(ADVICE_EXAMPLE["date_of_birth"]),
        *_FACTORY_BIRTHDAYS,
    }
    for birthday in sorted(birthdays):
        traces += date_spellings(birthday)
    return tuple(dict.fromkeys(traces))


test_child_traces.__test__ = False  # a helper, not a test, despite its name


def _pattern(traces: Iterable[str]) -> re.Pattern[str]:
    # Whole words only: "Gruff" must not be found inside "Gruffydd". A name is found inside a
    # file name too ("EP-advice-Gruffydd.pdf"); a date or number not inside a longer one.
    def alternatives(items: Iterable[str]) -> str:
        return "|".join(sorted({re.escape(t) for t in items}, key=len, reverse=True))

    traces = list(traces)
    names = [t for t in traces if not t[0].isdigit()]
    numbers = [t for t in traces if t[0].isdigit()]
    return re.compile(
        rf"(?<!\w)(?:{alternatives(names)})(?!\w)"
        rf"|(?<![\w/.-])(?:{alternatives(numbers)})(?![\w/-]|\.\d)",
        re.IGNORECASE,
    )


CHILD_TRACES = test_child_traces()
_CHILD_PATTERN = _pattern(CHILD_TRACES)


def shown_texts(raw: bytes) -> list[str]:
    """What a reader of the email sees: the subject and every text and HTML body, decoded
    (HTML entities too); attachments, PDFs included, are left out."""
    message: EmailMessage = message_from_bytes(raw, policy=default)  # type: ignore[assignment]
    texts = [str(message["Subject"] or "")]
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/plain", "text/html") and part.get_content_disposition() != "attachment":
            content = part.get_content()
            texts.append(html.unescape(content) if kind == "text/html" else content)
    return texts


def child_traces_in(raw: bytes, pattern: re.Pattern[str] = _CHILD_PATTERN) -> list[str]:
    """The test children's names, birthdays and identifiers the email shows, as written there,
    each once."""
    found = [m.group(0) for text in shown_texts(raw) for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Leak:
    """One email that gives a child away."""

    where: str  # "outbox row 3 (confirmation)" or "relay sink message 1"
    to: str
    found: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where} to {self.to}: {', '.join(self.found)}"


def leaks_in_outbox(services) -> list[Leak]:
    """Every outbox row of the services' database whose email names a test child. Rows queued
    without a body (reminders) are composed first, as the outbox sender would."""
    from sqlalchemy import inspect, select

    from intake.reminders.mail import outbox_composer
    from store import OutboxMessage

    with services.db.engine.connect() as connection:
        # A test that took the schema down (migration tests) leaves no outbox to scan.
        if not inspect(connection).has_table(OutboxMessage.__tablename__):
            return []
    compose = outbox_composer(services)
    leaks = []
    with services.db.session() as session:
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            raw = row.raw if row.raw is not None else compose(session, row).raw
            found = child_traces_in(raw)
            if found:
                leaks.append(
                    Leak(f"outbox row {row.id} ({row.kind})", row.to_address, tuple(found))
                )
        session.rollback()
    return leaks


def leaks_in_messages(raws: Sequence[tuple[str, bytes]]) -> list[Leak]:
    """The (recipient, raw email) pairs that name a test child."""
    leaks = []
    for number, (to, raw) in enumerate(raws, start=1):
        found = child_traces_in(raw)
        if found:
            leaks.append(Leak(f"relay sink message {number}", to, tuple(found)))
    return leaks


def fail_on_leaks(leaks: Sequence[Leak], request: pytest.FixtureRequest) -> None:
    """Fail the test that sent them, unless it sends child data on purpose."""
    if leaks and request.node.get_closest_marker(MARKER) is None:
        listed = "\n  ".join(str(leak) for leak in leaks)
        pytest.fail(f"emails give away a child's name or date of birth:\n  {listed}", False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: the test sends a child's details by email on purpose"
    )
