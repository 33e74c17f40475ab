"""The scheduled reminder run: the exact reminders and deadline warnings over ten simulated weeks,
nothing more when run twice, after a restart or by two runs at once, working days only, catch-up
without a burst, no child data in any email (checked at a real SMTP relay too), the scheduler's
leader lock, and `intake remind` as a script runs it.

Every database test runs on SQLite and PostgreSQL; the clock is the `today` passed to each run.
"""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import Message

from conftest import SECRET_KEY
from mail_factory import child_data_in_mail
from mail_servers import RelaySink, relay_sink  # noqa: F401 (fixture)
from sqlalchemy import func, select, text
from test_cli import run

import store
from documents import verify_token
from intake.cases.timeline import statutory_milestones
from intake.reminders.advice import latest_threshold
from intake.reminders.run import run_reminders
from intake.reminders.scheduler import (
    JOB_ID,
    LEADER_LOCK_KEY,
    PURGE_JOB_ID,
    run_scheduled,
    start_scheduler,
)
from intake.serve import outbox_sender
from intake.services import Services, open_services
from notifier import SmtpRelay
from store import (
    AdviceRequest,
    AdviceStatus,
    Case,
    Child,
    OutboxMessage,
    Professional,
    ReminderSent,
)

D = date.fromisoformat
START = D("2026-01-05")  # a Monday
WEEKS = 10
CHILD = {"forename": "Zephyrine", "surname": "Quillfeather", "date_of_birth": D("2015-03-14")}
CHILD_TRACES = ("Zephyrine", "Quillfeather", "2015-03-14", "14/03/2015", "14 March 2015")


class Records:
    """Rows written straight into the store, as the rest of the service would leave them."""

    def __init__(self, db: store.Database) -> None:
        self.db = db
        self.count = 0
        with db.session() as session:
            self.child_id = self._add(session, Child(**CHILD)).id
            self.advisor_id = self._professional(session, "ann.adviser@health.example.nhs.uk").id

    def _add(self, session, row):
        session.add(row)
        session.flush()
        return row

    def _professional(self, session, address: str, *, caseworker=False, active=True):
        return self._add(
            session,
            Professional(
                email=address, name="Ann Adviser", role="Other", organisation_name="Org",
                is_active=active, is_caseworker=caseworker,
            ),
        )  # fmt: skip

    def caseworker(self, address: str, *, active: bool = True) -> None:
        with self.db.session() as session:
            self._professional(session, address, caseworker=True, active=active)

    def case(self, day0: date, stage: str = "REQUEST_RECEIVED") -> str:
        self.count += 1
        reference = f"EHC-2025-{self.count:06d}"
        with self.db.session() as session:
            self._add(
                session,
                Case(
                    reference=reference, child_id=self.child_id, requested_by_id=self.advisor_id,
                    request_token=f"token-{self.count}", stage=stage, day0=day0,
                ),
            )  # fmt: skip
        return reference

    def advice(self, case: str, sent_on: date, due_on: date, status=AdviceStatus.OPEN) -> str:
        self.count += 1
        reference = f"ADV-2025-{self.count:06d}"
        with self.db.session() as session:
            case_id = session.scalar(select(Case.id).where(Case.reference == case))
            self._add(
                session,
                AdviceRequest(
                    reference=reference, case_id=case_id, professional_id=self.advisor_id,
                    advice_type="medical", sent_on=sent_on, due_on=due_on, status=status,
                ),
            )  # fmt: skip
        return reference

    def set_advice_status(self, reference: str, status: AdviceStatus) -> None:
        with self.db.session() as session:
            row = session.scalar(select(AdviceRequest).where(AdviceRequest.reference == reference))
            row.status = status

    def set_stage(self, reference: str, stage: str) -> None:
        with self.db.session() as session:
            session.scalar(select(Case).where(Case.reference == reference)).stage = stage


def deadline_kind(day0: date, weeks: int) -> tuple[str, date]:
    """The warning kind for the milestone `weeks` after day 0, named by the timeline's label."""
    (milestone,) = [m for m in statutory_milestones(day0) if m.due == day0 + timedelta(weeks=weeks)]
    slug = "-".join("".join(c if c.isalnum() else " " for c in milestone.label.lower()).split())
    return f"deadline-{slug}-{milestone.due.isoformat()}", milestone.due


def days(first: date, count: int) -> Iterator[date]:
    return (first + timedelta(days=n) for n in range(count))


def _text_of(message: Message) -> str:
    parts = [str(message["Subject"])]
    for part in message.walk():
        if not part.is_multipart():
            parts.append(
                part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            )
    return "\n".join(parts)


def count(services: Services, model, *where) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_ten_weeks_send_exactly_the_expected_reminders_and_no_more(services, database) -> None:
    records = Records(services.db)
    records.caseworker("cw.one@council.example.gov.uk")
    records.caseworker("cw.two@council.example.gov.uk")
    records.caseworker("cw.left@council.example.gov.uk", active=False)
    # A case long open: its 16-week date already missed, its 20-week date (19 Jan) ahead.
    old_case = records.case(D("2025-09-01"))
    weekday = records.advice(old_case, D("2025-12-15"), D("2026-01-28"))  # a Wednesday
    saturday = records.advice(old_case, D("2025-12-29"), D("2026-02-14"))
    covered = records.advice(old_case, D("2025-12-26"), D("2026-02-06"))
    withdrawn = records.advice(old_case, D("2025-12-08"), D("2026-01-20"), AdviceStatus.WITHDRAWN)
    received = records.advice(old_case, D("2025-12-19"), D("2026-01-30"))
    overdue = records.advice(old_case, D("2025-11-21"), D("2026-01-02"))  # a Friday
    new_case = records.case(D("2025-12-01"))
    early_case = records.case(D("2026-01-21"))
    closed_case = records.case(D("2025-09-01"), stage="NOT_ISSUING")
    withdrawn_case = records.case(D("2025-11-03"))

    # On each day first whatever happens to the records, then the run(s).
    events = {
        D("2026-01-20"): lambda: records.set_advice_status(received, AdviceStatus.RECEIVED),
        D("2026-02-02"): lambda: records.set_advice_status(covered, AdviceStatus.COVERED),
        D("2026-02-09"): lambda: records.set_stage(withdrawn_case, "WITHDRAWN"),
    }
    short_due = []
    events[D("2026-01-21")] = lambda: short_due.append(
        records.advice(new_case, D("2026-01-21"), D("2026-02-03"))  # 13 days: no due-in-14
    )
    queued: list[tuple[date, str, str]] = []
    current = services
    try:
        for today in days(START, WEEKS * 7):
            events.get(today, lambda: None)()
            report = run_reminders(current, today)
            assert report.working_day == (today.weekday() < 5)
            queued += [
                (today, i.advice_reference or i.case_reference, i.kind) for i in report.items
            ]
            again = run_reminders(current, today)
            assert again.items == [] and again.already_sent == len(report.items)
            if today == D("2026-02-16"):  # a restart: everything reopened, then the same day
                current = open_services(
                    services.settings, database=store.open_database(database.url),
                    sandbox=services.sandbox,
                )  # fmt: skip
                assert run_reminders(current, today).items == []
    finally:
        if current is not services:
            current.db.close()

    mondays = ["01-05", "01-12", "01-19", "01-26", "02-02", "02-09", "02-16", "02-23", "03-02"]
    thursdays = ["02-05", "02-12", "02-19", "02-26", "03-05", "03-12"]
    expected_advice = {
        (D("2026-01-14"), weekday, "due-in-14"),
        (D("2026-01-26"), weekday, "due-in-3"),  # the Sunday's threshold, on Monday
        (D("2026-01-28"), weekday, "due-today"),
        (D("2026-01-29"), weekday, "overdue-1"),
        *((D(f"2026-{d}"), weekday, f"overdue-{n}") for n, d in enumerate(thursdays, 2)),
        (D("2026-02-02"), saturday, "due-in-14"),
        (D("2026-02-11"), saturday, "due-in-3"),
        # Due on Saturday: "due today" on the Friday before; on Monday the latest threshold is
        # overdue-1 (Sunday), sent alone.
        (D("2026-02-13"), saturday, "due-today"),
        (D("2026-02-16"), saturday, "overdue-1"),
        (D("2026-02-23"), saturday, "overdue-2"),
        (D("2026-03-02"), saturday, "overdue-3"),
        (D("2026-03-09"), saturday, "overdue-4"),
        (D("2026-01-23"), covered, "due-in-14"),
        (D("2026-01-16"), received, "due-in-14"),
        *((D(f"2026-{d}"), overdue, f"overdue-{n}") for n, d in enumerate(mondays, 1)),
        (D("2026-03-09"), overdue, "overdue-10"),
        (D("2026-02-02"), short_due[0], "due-in-3"),
        (D("2026-02-03"), short_due[0], "due-today"),
        (D("2026-02-04"), short_due[0], "overdue-1"),
        *((D(f"2026-{d}"), short_due[0], f"overdue-{n}") for n, d in enumerate(
            ["02-11", "02-18", "02-25", "03-04", "03-11"], 2)),
    }  # fmt: skip
    old_16, old_16_due = deadline_kind(D("2025-09-01"), 16)
    old_20, _ = deadline_kind(D("2025-09-01"), 20)
    new_6, _ = deadline_kind(D("2025-12-01"), 6)
    early_6, early_6_due = deadline_kind(D("2026-01-21"), 6)
    gone_6, _ = deadline_kind(D("2025-11-03"), 6)
    expected_deadlines = {
        (START, old_case, old_16),  # missed on 22 December: warned at the first run
        (D("2026-01-12"), old_case, old_20),  # seven days before 19 January
        (START, new_case, new_6),
        (early_6_due - timedelta(days=7), early_case, early_6),
        (START, withdrawn_case, gone_6),  # its 16-week warning (16 Feb) never comes: withdrawn
    }
    assert old_16_due == D("2025-12-22") and early_6_due == D("2026-03-04")
    assert set(queued) == expected_advice | expected_deadlines
    assert len(queued) == len(expected_advice) + len(expected_deadlines)
    assert not {withdrawn, closed_case} & {subject for _, subject, _ in queued}

    assert count(services, ReminderSent) == len(expected_deadlines)
    assert count(services, OutboxMessage, OutboxMessage.kind == "advice_reminder") == len(
        expected_advice
    )
    # Each deadline warning to both active caseworkers, never to the one who left.
    warnings = count(services, OutboxMessage, OutboxMessage.kind == "deadline_warning")
    assert warnings == 2 * len(expected_deadlines)
    assert count(services, OutboxMessage, OutboxMessage.to_address.like("cw.left%")) == 0
    # Every email names the reminder that caused it: an advice reminder its request and kind
    # (its row is its claim), a deadline warning its claim.
    unnamed = OutboxMessage.advice_request_id.is_(None) | OutboxMessage.reminder_kind.is_(None)
    assert count(services, OutboxMessage, OutboxMessage.kind == "advice_reminder", unnamed) == 0
    assert count(services, OutboxMessage, OutboxMessage.reminder_id.is_(None)) == len(
        expected_advice
    )
    assert child_data_in_mail(services, CHILD_TRACES) == []


def test_a_run_after_missed_days_sends_only_the_latest_threshold(services) -> None:
    records = Records(services.db)
    case = records.case(D("2025-12-01"), stage="FINAL_ISSUED")
    friday = records.advice(case, D("2025-11-28"), D("2026-01-16"))  # due-in-3 Tue, due Fri
    assert [i.kind for i in run_reminders(services, D("2026-01-12")).items] == []
    # Down all week: the next run, the Monday after, sends overdue-1 (Saturday) alone.
    later = run_reminders(services, D("2026-01-19"))
    assert [(i.advice_reference, i.kind) for i in later.items] == [(friday, "overdue-1")]
    assert latest_threshold(D("2026-01-16"), D("2026-01-19")) == ("overdue-1", D("2026-01-17"))


def test_a_weekend_run_and_a_dry_run_queue_nothing(services) -> None:
    records = Records(services.db)
    case = records.case(D("2025-12-01"), stage="FINAL_ISSUED")
    due = records.advice(case, D("2025-12-01"), D("2026-01-10"))  # Saturday
    assert run_reminders(services, D("2026-01-10")).items == []  # Saturday itself
    dry = run_reminders(services, D("2026-01-12"), dry_run=True)
    assert [(i.advice_reference, i.kind, i.recipient_domain) for i in dry.items] == [
        (due, "overdue-1", "health.example.nhs.uk")
    ]
    assert count(services, ReminderSent) == 0 and count(services, OutboxMessage) == 0
    assert [i.kind for i in run_reminders(services, D("2026-01-12")).items] == ["overdue-1"]


def test_two_runs_at_once_queue_each_reminder_once(services) -> None:
    records = Records(services.db)
    case = records.case(D("2025-11-24"))  # 6-week date 5 January: a deadline warning too
    references = [records.advice(case, D("2025-11-01"), D("2026-01-05")) for _ in range(30)]
    start = threading.Barrier(2)
    reports, errors = [], []

    def one_run() -> None:
        try:
            start.wait()
            reports.append(run_reminders(services, START))
        except Exception as exc:  # reported below rather than lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    items = [i for r in reports for i in r.items]
    assert sorted(i.advice_reference for i in items if i.advice_reference) == sorted(references)
    assert [i.case_reference for i in items if i.advice_reference is None] == [case]
    assert sum(r.already_sent for r in reports) == len(items) == 31
    assert count(services, OutboxMessage) == 31  # the warning to the intake address: no caseworker


def test_reminders_reach_the_relay_with_references_and_a_reply_token_only(
    services,
    relay_sink: RelaySink,  # noqa: F811
) -> None:
    records = Records(services.db)
    case = records.case(D("2025-12-01"))
    advice = records.advice(case, D("2025-12-01"), D("2026-01-19"))  # due-in-14 on 5 January
    report = run_reminders(services, START)
    assert {i.kind for i in report.items} == {"due-in-14", deadline_kind(D("2025-12-01"), 6)[0]}
    with services.db.session() as session:
        (queued,) = session.scalars(select(OutboxMessage).where(OutboxMessage.raw.is_(None)))
        assert queued.kind == "advice_reminder" and advice in queued.subject
        queued_id, queued_message_id = queued.id, queued.message_id
    sender = outbox_sender(services, SmtpRelay(relay_sink.url))
    assert sender.send_due().sent == 2
    with services.db.session() as session:
        composed_row = session.get(OutboxMessage, queued_id)
        assert composed_row.raw is not None and composed_row.message_id == queued_message_id
    by_kind = {}
    for delivered in relay_sink.wait_for(2):
        message = email.message_from_bytes(delivered.data)
        by_kind[tuple(delivered.rcpt_tos)] = message
        body = _text_of(message)
        assert case in body and message["Auto-Submitted"] == "auto-generated"
        assert not [t for t in CHILD_TRACES if t in body]
    reminder = by_kind[("ann.adviser@health.example.nhs.uk",)]
    assert advice in reminder["Subject"] and "19 January 2026" in _text_of(reminder)
    # Composed when sent, with the Message-ID fixed when the run queued it.
    assert reminder["Message-ID"] == queued_message_id
    assert (
        " ".join(reminder["Subject"].split())  # unfolded
        == f"Reminder: advice {advice} for case {case} is due on 19 January 2026"
    )
    token = reminder["Reply-To"].split("+", 1)[1].split("@")[0]
    check = verify_token(SECRET_KEY, token, today=START)
    with services.db.session() as session:
        advice_id = session.scalar(
            select(AdviceRequest.id).where(AdviceRequest.reference == advice)
        )
    assert check.valid and check.kind == "advice" and check.subject_id == advice_id
    # No caseworker account: the warning goes to the intake address itself.
    warning = by_kind[(services.settings.address,)]
    assert case in warning["Subject"] and "12 January 2026" in _text_of(warning)


def test_scheduler_fires_on_working_days_in_the_configured_zone(services) -> None:
    scheduler = start_scheduler(services, hour=6, minute=30)
    try:
        assert {job.id for job in scheduler.get_jobs()} == {JOB_ID, PURGE_JOB_ID}
        job = scheduler.get_job(JOB_ID)
        nxt = job.next_run_time
        assert str(nxt.tzinfo) == "Europe/London" and nxt.weekday() < 5
        assert (nxt.hour, nxt.minute) == (6, 30)
        assert job.coalesce and job.max_instances == 1 and job.misfire_grace_time == 3600
        # The retention purge runs every night, weekends too, at INTAKE_PURGE_TIME (02:30).
        purge_next = scheduler.get_job(PURGE_JOB_ID).next_run_time
        assert (purge_next.hour, purge_next.minute) == (2, 30)
    finally:
        scheduler.shutdown(wait=False)


def test_only_the_process_holding_the_leader_lock_runs(services) -> None:
    if services.db.dialect == "postgresql":
        with services.db.engine.connect() as other_process:
            other_process.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY})
            assert run_scheduled(services) is None
            other_process.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
            other_process.commit()
    # SQLite has one process and no lock; on PostgreSQL the lock is free again.
    assert run_scheduled(services).today == services.today()


def test_remind_command_dry_run_lists_as_json_and_queues_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'home' / 'intake.db'}"
    (tmp_path / "home").mkdir()
    store.upgrade(url)
    database = store.open_database(url)
    records = Records(database)
    case = records.case(D("2025-12-01"), stage="FINAL_ISSUED")
    advice = records.advice(case, D("2025-12-01"), D("2026-01-19"))

    dry = run(tmp_path, "remind", "--today", "2026-01-05", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    rows = [json.loads(line) for line in dry.stdout.splitlines()]
    assert rows == [
        {
            "kind": "due-in-14", "case_reference": case, "advice_reference": advice,
            "recipient_domain": "health.example.nhs.uk", "due_on": "2026-01-19",
            "outbox_id": None, "milestone": None,
        }
    ]  # fmt: skip
    assert "would queue 1 advice reminder(s)" in dry.stderr
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReminderSent)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    real = run(tmp_path, "remind", "--today", "2026-01-05", "--json")
    assert real.returncode == 0 and json.loads(real.stdout)["outbox_id"] is not None
    again = run(tmp_path, "remind", "--today", "2026-01-05", "--json")
    assert again.returncode == 0 and again.stdout == "" and "1 already sent" in again.stderr
    weekend = run(tmp_path, "remind", "--today", "2026-01-10")
    assert weekend.returncode == 0 and "not a working day" in weekend.stderr
    database.close()


def test_the_days_reminders_are_found_from_the_plans_dates_on_sqlite(sqlite_database) -> None:
    """SQLite has no statistics on the plan's dates: offered the queue's index on
    (status, due_on), it read every open advice request in date order (75 times slower with
    100,000 of them, benchmarks/remind.py). The run's selection must start from the plan."""
    from intake.reminders.sql import advice_statements, plan_document

    day = date(2026, 1, 7)
    listing = advice_statements("sqlite").listing
    compiled = listing.compile(sqlite_database.engine)
    params = compiled.construct_params(
        {
            "plan": plan_document({day: ("due-today", day)}, day),
            "due_dates": [day],
            "today": day.isoformat(),
        }
    )
    values = tuple(
        v.isoformat() if isinstance(v, date) else v
        for v in (params[name] for name in compiled.positiontup)
    )
    with sqlite_database.engine.connect() as connection:
        plan = " ".join(
            row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
        )
    assert "advice_requests USING INDEX ix_advice_requests_due_on" in plan, plan
