"""Seed a database with what years of service leave behind, for benchmarks/portal.py: N cases
(default 100,000) over three years and M inbound messages (default 1,000,000), with the rows the
pipeline and the caseworkers' actions make for them (store/ models, written as the code writes
them): children, professionals, stage events along the timeline, advice requests and their
emails, submissions with real form answers and their files, the audit log, and the outbox.

Statuses are spread as a council's mailbox spreads them: most messages processed (accepted,
rejected, automatic mail ignored, duplicates), a little held for a person (quarantined, awaiting
a code, failed, parked). Most old cases are closed; recent ones are at every stage, some late.
One case is busy (25 advice requests, each answered twice, five versions of the request).

Rows go in by the table definitions of `store` in large batches: SQLAlchemy Core executemany on
SQLite, COPY on PostgreSQL (then VACUUM ANALYZE, as autovacuum would; SQLite is left without
statistics, as the service leaves it). Foreign keys are not checked while loading (inbound
messages and submissions point at each other); the rows are consistent by construction. Outbox
rows carry a short composed email: the real ones also attach PDFs, which no page measured reads.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Table, create_engine, event, insert, text
from sqlalchemy.pool import StaticPool

from documents.forms.advice_example import ADVICE_EXAMPLE
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.cases.timeline import StageCode as S
from notifier import RATE_LIMITED_ACTION
from store import (
    AdviceRequest,
    Attachment,
    AuditEntry,
    Case,
    Child,
    InboundMessage,
    OutboxMessage,
    Professional,
    ReferenceCounter,
    Submission,
    TimelineEvent,
    UTCDateTime,
)

SPAN_DAYS = 3 * 365
REQUESTERS = 3000
ADVISERS = 1000
CASEWORKERS = 20
BATCH = 20_000
ADVICE_KINDS = ("educational", "medical", "psychological", "social-care")
# Shares of all messages; accepted ones are the submissions the cases make, and what is left
# after them and these is rejected, ignored and duplicate mail in the proportions below.
HELD_SHARES = {"quarantined": 0.01, "awaiting_verification": 0.003, "failed": 0.001,
               "parked": 0.0015, "received": 0.0001}  # fmt: skip
PROCESSED_SHARES = {"rejected": 0.42, "ignored": 0.35, "duplicate": 0.23}
# How recent held mail is: a code is answered or expires within days, failures are retried.
HELD_WITHIN_DAYS = {"awaiting_verification": 14, "failed": 2, "parked": 60, "received": 0.01}
# The main path, in weeks from day 0; other fates branch off it.
MAIN_PATH = (
    (S.REQUEST_RECEIVED, 0), (S.REQUEST_ACKNOWLEDGED, 0.4), (S.DECISION_TO_ASSESS_DUE, 2),
    (S.ASSESSMENT_AGREED, 5), (S.ADVICE_REQUESTED, 6), (S.ADVICE_DUE, 7),
    (S.DECISION_TO_ISSUE_DUE, 13), (S.DRAFT_ISSUED, 15), (S.REPRESENTATIONS_OPEN, 17),
    (S.FINAL_ISSUED, 19),
)  # fmt: skip
CHECKS = (
    "auto-submitted delivery-report daemon-sender precedence mailing-list auto-reply "
    "null-return-path own-mail unreadable no-sender sender-mailbox max-size max-parts "
    "max-attachments max-depth attachment-size refused-type refused-content attachment-content "
    "pdf-active-content"
).split()


def decisions(hit: str | None = None, route: str | None = "form-token") -> list[dict]:
    """Every screening check's hit or miss, as the pipeline keeps them on the row."""
    rows = [{"check": c, "hit": c == hit, "detail": "matched" if c == hit else ""} for c in CHECKS]
    if route:
        rows.append({"check": "route", "hit": True, "detail": route})
        rows.append({"check": "sender-verified", "hit": True, "detail": "dmarc"})
    return rows


DECISIONS = {
    "accepted": decisions(), "rejected": decisions(), "duplicate": decisions(),
    "ignored": decisions("auto-submitted", None), "quarantined": decisions("pdf-active-content"),
    "awaiting_verification": decisions(), "failed": [], "parked": [], "received": [],
}  # fmt: skip
REASONS = {
    "rejected": [
        [{"code": "postcode-invalid", "step": 2, "field": "postcode", "form": "request",
          "params": {}},
         {"code": "required", "step": 8, "field": "signed_name", "form": "request", "params": {}}],
        [{"code": "no-form-attached", "step": None, "field": None, "form": None, "params": {}}],
        [{"code": "token-expired", "step": None, "field": None, "form": "advice", "params": {}}],
    ],
    "quarantined": [
        [{"code": "sender-mismatch", "step": None, "field": None, "form": "request",
          "params": {}}],
        [{"code": "pdf-active-content", "step": None, "field": None, "form": None,
          "params": {"file": "scan.pdf", "detail": "/JavaScript in object 12"}}],
    ],
}  # fmt: skip


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=str))


REQUEST_ANSWERS = _plain(REQUEST_EXAMPLE)
ADVICE_ANSWERS = _plain(ADVICE_EXAMPLE)
ENVELOPE_TO = ["intake@council.example.gov.uk"]
NO_REASONS: list[dict] = []


class Loader:
    """Rows gathered per table and written a batch at a time, with progress on the way."""

    def __init__(self, write: Callable[[Table, list[dict]], None], say: Callable[[str], None]):
        self.write, self.say = write, say
        self.waiting: dict[str, list[dict]] = defaultdict(list)
        self.tables: dict[str, Table] = {}
        self.written: dict[str, int] = defaultdict(int)
        self.started = time.perf_counter()

    def add(self, model: Any, **values: Any) -> None:
        table = model.__table__
        self.tables[table.name] = table
        rows = self.waiting[table.name]
        rows.append(values)
        if len(rows) >= BATCH:
            self.flush(table.name)

    def flush(self, name: str) -> None:
        rows = self.waiting.pop(name, [])
        if rows:
            self.write(self.tables[name], rows)
            before = self.written[name] // 200_000
            self.written[name] += len(rows)
            if self.written[name] // 200_000 > before:
                elapsed = time.perf_counter() - self.started
                self.say(f"  {name}: {self.written[name]:,} rows ({elapsed:.0f} s)")

    def finish(self) -> dict[str, int]:
        for name in list(self.waiting):
            self.flush(name)
        return dict(self.written)


Convert = Callable[[Any], Any] | None


def value_lists(table: Table, rows: list[dict], form: Callable[[Any], Convert]) -> list[tuple]:
    """The rows as lists in the table's column order (executemany and COPY take one column
    list): a column not given is NULL, or its plain default; `form(column)` says how a value
    is written (None: as it is)."""
    columns = []
    for column in table.columns:
        default = column.default.arg if column.default is not None else None
        fill = None if callable(default) else default
        if column.name not in rows[0] and fill is None and not column.nullable:
            raise ValueError(f"{table.name}.{column.name} needs a value")
        columns.append((column.name, fill, form(column)))
    lists = []
    for row in rows:
        values = []
        for name, fill, convert in columns:
            value = row.get(name, fill)
            values.append(value if convert is None or value is None else convert(value))
        lists.append(tuple(values))
    return lists


def sqlite_writer(url: str) -> tuple[Callable[[Table, list[dict]], None], Callable[[], None]]:
    """Core executemany at the driver, values in the form the store's column types write them,
    on an engine of its own: foreign keys unchecked, no fsync per batch."""
    engine = create_engine(url, poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def loading_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        # A large page cache: the indexes of million-row tables are updated at random places.
        dbapi_connection.execute("PRAGMA cache_size=-1000000")
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    def write(table: Table, rows: list[dict]) -> None:
        statement = str(insert(table).compile(dialect=engine.dialect))
        with engine.begin() as connection:
            connection.exec_driver_sql(statement, value_lists(table, rows, _sqlite_form))

    return write, engine.dispose


def postgresql_writer(url: str) -> tuple[Callable[[Table, list[dict]], None], Callable[[], None]]:
    """COPY through psycopg, each batch its own transaction, as the replica role (no foreign key
    triggers); then the sequences set past the ids given, and VACUUM ANALYZE. A batch whose
    connection is cut (a shared server's housekeeping) is sent again on a new one."""
    import psycopg

    def connect() -> Any:
        fresh = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        fresh.autocommit = True
        fresh.execute("SET session_replication_role = replica")
        return fresh

    held = [connect()]
    seen: set[str] = set()

    def copy_rows(table: Table, rows: list[dict]) -> None:
        names = ", ".join(c.name for c in table.columns)
        with held[0].cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for values in value_lists(table, rows, _copy_form):
                    copy.write_row(values)

    def write(table: Table, rows: list[dict]) -> None:
        seen.add(table.name)
        for attempt in range(3):
            try:
                copy_rows(table, rows)
                return
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                held[0].close()
                held[0] = connect()

    def close() -> None:
        connection = held[0]
        for name in seen:
            if name != ReferenceCounter.__tablename__:
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {name}))"
                )
        # As autovacuum leaves a table after bulk inserts: statistics, and the visibility map
        # that lets an index-only scan skip the table.
        connection.execute("VACUUM ANALYZE")
        connection.close()

    return write, close


# JSON values many rows share (form answers, screening decisions), serialised once.
_SHARED_JSON: dict[int, str] = {}


def _json(value: dict | list) -> str:
    found = _SHARED_JSON.get(id(value))
    return found if found is not None else json.dumps(value)


def share_json(*values: Any) -> None:
    for value in values:
        _SHARED_JSON[id(value)] = json.dumps(value)


def _copy_form(column: Any) -> Convert:
    return _json if isinstance(column.type, JSON) else None


def _sqlite_datetime(value: datetime) -> str:
    # Every moment here is made in UTC already.
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_form(column: Any) -> Convert:
    """As `store.base.UTCDateTime` and SQLAlchemy's SQLite types store values: naive UTC text
    with microseconds, ISO dates, JSON text, 0 or 1; the rest as it is."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _sqlite_datetime
    if isinstance(kind, JSON):
        return _json
    if isinstance(kind, Date):
        return date.isoformat
    if isinstance(kind, Boolean):
        return int
    return None


def at(day: date, minute: int) -> datetime:
    return datetime.combine(day, clock_time(8), UTC) + timedelta(minutes=minute % 600)


@dataclass
class Accepted:
    """An accepted message, known while its case is made; its id is given in time order later,
    and the rows naming it are written then."""

    received_at: datetime
    sender: str
    case_id: int
    reference: str
    kind: str  # "request" or "advice"
    submission: dict[str, Any]
    also: list[tuple[Any, dict[str, Any]]]  # (model, row) naming inbound_message_id


class Seeder:
    """Makes the rows: cases first (pass one), then every message in time order (pass two)."""

    def __init__(self, loader: Loader, cases: int, messages: int, now: datetime) -> None:
        self.load, self.cases, self.messages = loader, cases, messages
        self.now, self.today = now, now.date()
        self.random = random.Random(12)
        self.ids: dict[str, int] = defaultdict(int)
        self.accepted: list[Accepted] = []
        self.counters: dict[tuple[str, int], int] = defaultdict(int)
        self.busy_index = cases // 3
        self.requesters = [f"senco{n}@school{n % 700}.example.sch.uk" for n in range(REQUESTERS)]
        self.advisers = [f"adviser{n}@health{n % 90}.example.nhs.uk" for n in range(ADVISERS)]
        self.caseworkers = [f"cw{n}@council.example.gov.uk" for n in range(CASEWORKERS)]

    def next_id(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name]

    def reference(self, prefix: str, year: int) -> str:
        self.counters[(prefix, year)] += 1
        return f"{prefix}-{year}-{self.counters[(prefix, year)]:06d}"

    def audit(self, when: datetime, actor: str, action: str, about: str, subject: str, **detail):
        row = dict(id=self.next_id("audit"), at=when, actor=actor, action=action,
                   subject_type=about, subject_id=subject, detail=detail)  # fmt: skip
        self.load.add(AuditEntry, **row)

    def outbox(self, when: datetime, kind: str, to: str, subject: str, **more: Any) -> None:
        number = self.next_id("outbox")
        sent = when + timedelta(seconds=20)
        status, error = "sent", None
        if when > self.now - timedelta(days=7) and number % 400 == 0:
            status, error, sent = "failed", "550 5.1.1 mailbox unavailable", None
        raw = (
            f"From: intake@council.example.gov.uk\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{number}.bench@council.example.gov.uk>\r\nAuto-Submitted: auto-replied"
            "\r\n\r\nPlease see the attached form.\r\n"
        ).encode()
        self.load.add(
            OutboxMessage, id=number, created_at=when, kind=kind, to_address=to, subject=subject,
            message_id=f"<{number}.bench@council.example.gov.uk>", raw=raw, status=status,
            attempts=1, sent_at=sent, last_error=error, **more,
        )  # fmt: skip

    # --- pass one: people and cases ----------------------------------------------------------

    def people(self) -> None:
        start = self.now - timedelta(days=SPAN_DAYS + 30)
        for email, role in (
            *((e, "SENCO") for e in self.requesters),
            *((e, "Educational psychologist") for e in self.advisers),
            *((e, "Caseworker") for e in self.caseworkers),
        ):
            self.load.add(
                Professional, id=self.next_id("professional"), email=email, name="Bench Person",
                role=role, organisation_name="Bench organisation", is_active=True,
                is_caseworker=role == "Caseworker", created_at=start, activated_at=start,
                failed_codes=0,
            )  # fmt: skip

    def path(self, number: int) -> list[tuple[S, float]]:
        """The stages a case goes through, with the week each is reached."""
        fate = self.random.random()
        pace = 1.0 if self.random.random() < 0.8 else self.random.uniform(1.2, 1.8)
        if number == self.busy_index:
            fate, pace = 0.99, 1.0
        if fate < 0.2:
            steps = [*MAIN_PATH[:3], (S.REFUSED_TO_ASSESS, 5.5)]
        elif fate < 0.25:
            steps = [*MAIN_PATH[:7], (S.NOT_ISSUING, 14.5)]
        elif fate < 0.28:
            cut = self.random.randint(1, 8)
            steps = [*MAIN_PATH[:cut], (S.WITHDRAWN, MAIN_PATH[cut][1])]
        else:
            steps = list(MAIN_PATH)
        return [(stage, weeks * pace) for stage, weeks in steps]

    def case(self, number: int) -> None:
        busy = number == self.busy_index
        age = SPAN_DAYS * (self.cases - 1 - number) / max(self.cases - 1, 1)
        day0 = self.today - timedelta(days=int(age))
        case_id, child_id = self.next_id("case"), self.next_id("child")
        reference = self.reference("EHC", day0.year)
        requester = self.requesters[number % REQUESTERS]
        opened = at(day0, number)
        reached = [(s, day0 + timedelta(days=round(w * 7))) for s, w in self.path(number)]
        reached = [(s, d) for s, d in reached if d <= self.today]
        self.load.add(
            Child, id=child_id, forename="Bench", surname=f"Child{number}",
            date_of_birth=day0 - timedelta(days=3000 + number % 2000), postcode="LE1 6ZG",
            sex="Female" if number % 2 else "Male", created_at=opened,
        )  # fmt: skip
        self.load.add(
            Case, id=case_id, reference=reference, child_id=child_id,
            requested_by_id=number % REQUESTERS + 1, request_token=f"bench-token-{case_id}",
            stage=reached[-1][0].value, day0=day0, created_at=opened,
        )  # fmt: skip
        # The request (and its later versions): an accepted message each, with the case's first
        # stage event and its audit entries written beside the first.
        first_event = self.next_id("timeline")
        for version in range(1, (5 if busy else 2 if number % 5 == 0 else 1) + 1):
            when = opened + timedelta(days=3 * (version - 1))
            submission = dict(
                id=self.next_id("submission"), case_id=case_id, kind="request", version=version,
                token=f"bench-token-{case_id}", pdf_sha256=_sha(f"request {case_id} {version}"),
                answers=REQUEST_ANSWERS, created_at=when,
            )  # fmt: skip
            also: list[tuple[Any, dict]] = []
            if version == 1:
                also.append((TimelineEvent, dict(
                    id=first_event, case_id=case_id, kind="stage", stage=S.REQUEST_RECEIVED.value,
                    occurred_on=day0, recorded_at=when, actor=requester, detail={},
                )))  # fmt: skip
                self.audit(when, requester, "case-opened", "case", reference,
                           stage=S.REQUEST_RECEIVED.value, on=day0.isoformat())  # fmt: skip
            also.append((AuditEntry, dict(
                id=self.next_id("audit"), at=when, actor=requester, action="submission-recorded",
                subject_type="case", subject_id=reference,
                detail={"kind": "request", "version": version, "submission_id": submission["id"]},
            )))  # fmt: skip
            self.accepted.append(
                Accepted(when, requester, case_id, reference, "request", submission, also)
            )
        caseworker = self.caseworkers[number % CASEWORKERS]
        for (before, _), (stage, on) in zip(reached, reached[1:], strict=False):
            moved = at(on, number + 7)
            self.load.add(
                TimelineEvent, id=self.next_id("timeline"), case_id=case_id, kind="stage",
                stage=stage.value, occurred_on=on, recorded_at=moved, actor=caseworker,
                detail={"from": before.value, "to": stage.value},
            )  # fmt: skip
            self.audit(
                moved,
                caseworker,
                "case-stage-moved",
                "case",
                reference,
                **{"from": before.value, "to": stage.value, "on": on.isoformat()},
            )
            if stage == S.ADVICE_REQUESTED:
                self.advice(case_id, reference, number, on, caseworker, reached[-1][0], busy)
        for view in range(40 if busy else 3):
            seen = at(min(day0 + timedelta(days=7 * view), self.today), number + view)
            self.audit(seen, caseworker, "case-viewed", "case", reference, via="portal case page")

    def advice(self, case_id, reference, number, sent_on, caseworker, now_at, busy) -> None:
        closed = now_at in (S.FINAL_ISSUED, S.NOT_ISSUING, S.WITHDRAWN, S.REFUSED_TO_ASSESS)
        for k in range(25 if busy else len(ADVICE_KINDS)):
            advice_id = self.next_id("advice")
            advice_ref = self.reference("ADV", sent_on.year)
            adviser_number = (number * 7 + k) % ADVISERS
            adviser = self.advisers[adviser_number]
            due_on = sent_on + timedelta(weeks=6)
            answered_on = sent_on + timedelta(days=self.random.randint(14, 49))
            answered = answered_on <= self.today and (busy or self.random.random() < 0.92)
            status = "received" if answered else ("covered" if closed else "open")
            asked = at(sent_on, number + k)
            self.load.add(
                AdviceRequest, id=advice_id, reference=advice_ref, case_id=case_id,
                professional_id=REQUESTERS + adviser_number + 1,
                advice_type=ADVICE_KINDS[k % len(ADVICE_KINDS)], sent_on=sent_on,
                due_on=due_on, status=status, created_at=asked,
            )  # fmt: skip
            self.audit(asked, caseworker, "advice-requested", "advice_request", advice_ref,
                       status="open", case=reference, to=adviser)  # fmt: skip
            self.outbox(
                asked, "advice_request", adviser,
                f"You are required to submit information: advice {advice_ref} for case {reference}",
                case_id=case_id,
            )  # fmt: skip
            if not answered:
                continue
            for version in range(1, (2 if busy or k == 0 and number % 10 == 0 else 1) + 1):
                when = at(answered_on + timedelta(days=2 * (version - 1)), number + k)
                submission = dict(
                    id=self.next_id("submission"), case_id=case_id, advice_request_id=advice_id,
                    kind="advice", version=version, token=f"bench-advice-{advice_id}",
                    pdf_sha256=_sha(f"advice {advice_id} {version}"), answers=ADVICE_ANSWERS,
                    created_at=when,
                )  # fmt: skip
                note = {"note": "advice received", "advice_request": advice_ref,
                        "version": version}  # fmt: skip
                also = [
                    (TimelineEvent, dict(
                        id=self.next_id("timeline"), case_id=case_id, kind="note", stage=None,
                        occurred_on=when.date(), recorded_at=when, actor=adviser, detail=note,
                    )),
                    (AuditEntry, dict(
                        id=self.next_id("audit"), at=when, actor=adviser,
                        action="submission-recorded", subject_type="case", subject_id=reference,
                        detail={"kind": "advice", "version": version,
                                "submission_id": submission["id"], "advice_request": advice_ref},
                    )),
                    (AuditEntry, dict(
                        id=self.next_id("audit"), at=when, actor=adviser, action="advice-received",
                        subject_type="advice_request", subject_id=advice_ref, detail=note,
                    )),
                ]  # fmt: skip
                self.accepted.append(
                    Accepted(when, adviser, case_id, reference, "advice", submission, also)
                )

    # --- pass two: every message in time order -----------------------------------------------

    def other_messages(self) -> list[tuple[datetime, str, int]]:
        """(received_at, status, a case it names or 0) for the mail that made no submission."""
        left = max(self.messages - len(self.accepted), 0)
        counts = {status: int(self.messages * share) for status, share in HELD_SHARES.items()}
        processed = max(left - sum(counts.values()), 0)
        counts |= {s: int(processed * share) for s, share in PROCESSED_SHARES.items()}
        counts["rejected"] += left - sum(counts.values())
        found = []
        for status, count in counts.items():
            within = HELD_WITHIN_DAYS.get(status, SPAN_DAYS)
            for _ in range(count):
                when = self.now - timedelta(days=self.random.uniform(0, within))
                names_case = status in ("rejected", "duplicate") and self.random.random() < 0.3
                case_id = self.random.randint(1, self.cases) if names_case else 0
                found.append((when, status, case_id))
        return found

    def messages_in_order(self) -> None:
        timeline: list[tuple[datetime, str, Any]] = [
            (a.received_at, "accepted", a) for a in self.accepted
        ]
        timeline += self.other_messages()
        timeline.sort(key=lambda item: item[0])
        self.accepted = []
        for when, status, what in timeline:
            message_id = self.next_id("message")
            if status == "accepted":
                self.accepted_message(message_id, when, what)
            else:
                self.other_message(message_id, when, status, what)

    def message_row(self, message_id: int, when: datetime, status: str, sender: str, **more):
        row = dict(
            id=message_id, received_at=when, transport="imap" if message_id % 3 else "smtp",
            mailbox=None, uidvalidity=None, uid=None,
            message_key=f"{message_id}.{message_id * 7919 % 100003}@bench.example",
            raw_sha256=_sha(f"raw {message_id}"), size=300_000 + message_id % 150_000,
            envelope_from=sender, envelope_to=ENVELOPE_TO,
            from_address=sender, subject="Re: Your form", status=status, reasons=NO_REASONS,
            decisions=DECISIONS[status], attempts=1, processed_at=when + timedelta(seconds=2),
        )  # fmt: skip
        if row["transport"] == "imap":
            row.update(mailbox="INBOX", uidvalidity=1, uid=message_id)
        row.update(more)
        self.load.add(InboundMessage, **row)

    def accepted_message(self, message_id: int, when: datetime, accepted: Accepted) -> None:
        submission = accepted.submission
        self.message_row(
            message_id, when, "accepted", accepted.sender, case_id=accepted.case_id,
            submission_id=submission["id"], sender_verified="dmarc",
            subject=f"Re: Your form for {accepted.reference}",
        )  # fmt: skip
        self.load.add(Submission, inbound_message_id=message_id, **submission)
        for model, row in accepted.also:
            row["detail"] = {**row["detail"], "inbound_message_id": message_id}
            self.load.add(model, **row)
        form = f"{accepted.kind}-form.pdf"
        files = [(form, "application/pdf", 320_000), ("provision-map.pdf", "application/pdf", 9000)]
        if message_id % 2:
            files.append(("consultation-record.docx", "application/octet-stream", 40_000))
        for name, content_type, size in files:
            self.load.add(
                Attachment, id=self.next_id("attachment"), inbound_message_id=message_id,
                submission_id=submission["id"], filename=name, content_type=content_type,
                sha256=_sha(f"{name} {message_id}"), size=size, listed=True,
            )  # fmt: skip
        kind = "confirmation" if accepted.kind == "request" else "advice_received"
        self.outbox(when + timedelta(seconds=3), kind, accepted.sender,
                    f"Received: {accepted.reference}, your {accepted.kind}",
                    inbound_message_id=message_id, case_id=accepted.case_id)  # fmt: skip

    def other_message(self, message_id: int, when: datetime, status: str, case_id: int) -> None:
        sender = self.requesters[message_id % REQUESTERS]
        more: dict[str, Any] = {"case_id": case_id or None}
        if status == "ignored":
            sender = f"mailer-daemon@mx{message_id % 50}.example.org"
        if status in REASONS:
            more["reasons"] = REASONS[status][message_id % len(REASONS[status])]
        if status == "duplicate" and message_id > 1:
            more["duplicate_of_id"] = self.random.randint(1, message_id - 1)
        if status in ("failed", "parked"):
            more.update(
                attempts=5 if status == "parked" else 2, processed_at=None,
                last_error="OperationalError: the PDF reader timed out",
                next_attempt_at=None if status == "parked" else when + timedelta(minutes=2),
            )  # fmt: skip
        if status == "received":
            more.update(attempts=0, processed_at=None)
        self.message_row(message_id, when, status, sender, **more)
        if status == "rejected":
            self.load.add(
                Attachment, id=self.next_id("attachment"), inbound_message_id=message_id,
                filename="request-form.pdf", content_type="application/pdf",
                sha256=_sha(f"rejected {message_id}"), size=310_000, listed=True,
            )  # fmt: skip
            reason = more["reasons"][0]["code"]
            self.outbox(when + timedelta(seconds=3), "problems", sender,
                        "Please correct your form", inbound_message_id=message_id,
                        reason=reason)  # fmt: skip
        elif status == "awaiting_verification":
            self.outbox(when + timedelta(seconds=3), "one_time_code", sender,
                        "Your code to confirm your form", inbound_message_id=message_id,
                        reason="awaiting-verification")  # fmt: skip

    def held_mail(self) -> None:
        """Replies the rate limit held back in the last week: the queue's "mail not sent"."""
        for n in range(12):
            when = self.now - timedelta(hours=10 * n + 1)
            recipient = self.requesters[n]
            self.audit(
                when, "system", RATE_LIMITED_ACTION, "inbound_message", str(n + 1),
                kind="problems", recipient=recipient, reason="no-form-attached",
                same_reason_last_day=5, per_reason_per_day=5,
            )  # fmt: skip

    def run(self, say: Callable[[str], None]) -> None:
        self.people()
        for number in range(self.cases):
            self.case(number)
            if (number + 1) % 20_000 == 0:
                say(f"  cases made: {number + 1:,}")
        say(f"  {len(self.accepted):,} accepted messages from the cases; the rest of the mail next")
        self.messages_in_order()
        self.held_mail()
        for (prefix, year), last in self.counters.items():
            self.load.add(ReferenceCounter, prefix=prefix, year=year, last_value=last)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def seed(url: str, cases: int, messages: int, now: datetime, say: Callable[[str], None]) -> dict:
    """Fill the (migrated, empty) database at `url`; returns rows written per table."""
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    write, close = (postgresql_writer if dialect == "postgresql" else sqlite_writer)(url)
    share_json(REQUEST_ANSWERS, ADVICE_ANSWERS, ENVELOPE_TO, NO_REASONS, *DECISIONS.values())
    share_json(*(reasons for kinds in REASONS.values() for reasons in kinds))
    loader = Loader(write, say)
    try:
        Seeder(loader, cases, messages, now).run(say)
        written = loader.finish()
    finally:
        close()
    return written


def probe_cases(connection: Any) -> tuple[str, str, str]:
    """(a typical case: the first closed with a plan from the middle on; the busiest case; the
    busiest case's requester) of a seeded database,
    found by query so that a database kept from an earlier run can be measured again."""
    middle = connection.execute(
        text(
            "SELECT reference FROM cases WHERE stage = 'FINAL_ISSUED'"
            " AND id >= (SELECT max(id) / 2 FROM cases) ORDER BY id LIMIT 1"
        )
    ).scalar_one()
    busy, sender = connection.execute(
        text(
            "SELECT c.reference, p.email FROM cases c JOIN professionals p"
            " ON p.id = c.requested_by_id WHERE c.id = (SELECT case_id FROM submissions"
            " GROUP BY case_id ORDER BY count(*) DESC, case_id LIMIT 1)"
        )
    ).one()
    return middle, busy, sender
