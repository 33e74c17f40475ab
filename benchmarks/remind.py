"""Measure the daily reminder run over 100,000 open advice requests on SQLite, of which 1% are
due a reminder on the chosen day, against the bare query that selects just the due ones.

Run `.venv/bin/python benchmarks/remind.py [--requests N] [--due-share 0.01] [--json]`.
The rows are bulk inserted into a temporary INTAKE_HOME once. The run is the real one
(`run_reminders`, not a dry run): it claims and queues each reminder in one transaction. Each of
`--repeats` (5) rounds measures fresh copies of the seeded database, each in a fresh engine, and
compares like with like:

- warm: the run and the bare query both compiled and connected, as in `intake serve`, whose
  scheduler runs every working day (yesterday's run goes first in the same engine);
- cold: each first thing in a fresh engine, as `intake remind` by hand or a script that only
  selects the due ones: both open the connection and compile their statements.

Medians are printed, with the spread and each round's ratio; also the cold run against the warm
bare query (the comparison printed before both were given), a dry run, the time to read the
report's counts after the run (the scheduler's log line), the time to checkpoint the run's writes
into the database file (see `measure_warm`), the time to compose the same number of
emails alone, and the time the outbox sender then spends composing the reminders the run queued
without a body (work moved out of the run, not removed).
`--outbox-rows N` first fills the outbox with N earlier messages, as months of service would.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import func, insert, select  # noqa: E402

from intake.reminders.advice import due_dates_for  # noqa: E402
from intake.reminders.mail import outbox_composer  # noqa: E402
from intake.reminders.run import run_reminders, window_start  # noqa: E402
from intake.services import Services, open_services  # noqa: E402
from intake.settings import load_settings  # noqa: E402
from notifier import compose_email  # noqa: E402
from store import (  # noqa: E402
    AdviceRequest,
    AdviceStatus,
    Case,
    Child,
    OutboxMessage,
    Professional,
    ReminderRun,
)

TODAY = date(2026, 1, 7)  # a Wednesday; the previous run was on Tuesday
CASES = 1000
PROFESSIONALS = 200
TARGET_SECONDS = 2.0
TARGET_RATIO = 3.0


def seed(services: Services, requests: int, due_share: float) -> int:
    """Bulk insert the rows; returns how many advice requests are due a reminder today."""
    yesterday = TODAY - timedelta(days=1)
    due_dates = due_dates_for(window_start(yesterday, TODAY), TODAY)
    taken = set(due_dates)
    # Not due today: spread over a year either side, off every date a threshold falls on today.
    other_dates = [
        TODAY + timedelta(days=n)
        for n in range(-365, 300)
        if TODAY + timedelta(days=n) not in taken
    ]
    due_count = int(requests * due_share)
    with services.db.session() as session:
        session.execute(
            insert(Professional),
            [
                {"email": f"p{n}@org{n % 40}.example.org", "name": f"Professional {n}",
                 "role": "Other", "organisation_name": "Org", "is_active": True}
                for n in range(PROFESSIONALS)
            ],
        )  # fmt: skip
        session.execute(
            insert(Child),
            [
                {"forename": "A", "surname": f"Child{n}", "date_of_birth": date(2015, 1, 1)}
                for n in range(CASES)
            ],
        )
        # Every case recent (day 0 ten days ago): the deadline watch has nothing to warn of.
        session.execute(
            insert(Case),
            [
                {"reference": f"EHC-2026-{n:06d}", "child_id": n, "requested_by_id": 1,
                 "request_token": f"t{n}", "stage": "ADVICE_REQUESTED",
                 "day0": TODAY - timedelta(days=10)}
                for n in range(1, CASES + 1)
            ],
        )  # fmt: skip
        rows = []
        for n in range(requests):
            due = (
                due_dates[n % len(due_dates)]
                if n < due_count
                else other_dates[n % len(other_dates)]
            )
            rows.append(
                {"reference": f"ADV-2026-{n:06d}", "case_id": n % CASES + 1,
                 "professional_id": n % PROFESSIONALS + 1, "advice_type": "medical",
                 "sent_on": due - timedelta(days=42), "due_on": due, "status": "open"}
            )  # fmt: skip
        session.execute(insert(AdviceRequest), rows)
        session.add(ReminderRun(run_on=yesterday))
    return due_count


def seed_outbox(services: Services, rows: int) -> None:
    """Mail sent in earlier weeks: the outbox a council's service carries after a while."""
    if rows == 0:
        return
    sent_at = services.now() - timedelta(days=30)
    with services.db.session() as session:
        session.execute(
            insert(OutboxMessage),
            [
                {"kind": "confirmation", "to_address": f"p{n % PROFESSIONALS}@org.example.org",
                 "subject": "s", "message_id": f"<old{n}@bench>", "raw": b"x", "status": "sent",
                 "attempts": 1, "created_at": sent_at, "sent_at": sent_at}
                for n in range(rows)
            ],
        )  # fmt: skip


def compose_only(services: Services, count: int) -> None:
    """The floor for the mail itself: composing `count` reminder emails, nothing stored."""
    context = {
        "service_name": "SEND service", "name": "Professional 1", "threshold": "due-in-3",
        "subject": "Reminder: advice ADV-2026-000001 for case EHC-2026-000001 is due on"
                   " 10 January 2026",
        "case_reference": "EHC-2026-000001", "advice_reference": "ADV-2026-000001",
        "due_on": "10 January 2026", "days_left": 3, "days_overdue": -3,
    }  # fmt: skip
    for _ in range(count):
        compose_email(
            "advice_reminder", context, sender=services.settings.address, to="p1@org.example.org",
            instance=services.instance, reply_to=services.settings.address,
            auto_submitted="auto-generated",
        )  # fmt: skip


def compose_queued(services: Services) -> int:
    """What the run left to the outbox sender: composing each queued reminder (nothing sent,
    nothing stored). Returns how many were composed."""
    compose = outbox_composer(services)
    with services.db.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.raw.is_(None))).all()
        for row in rows:
            compose(session, row)
        session.rollback()
    return len(rows)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def bare_query(services: Services) -> int:
    """Just the due ones: open advice requests on the day's due dates, through the due-date
    index, with what a reminder names (references, the professional's address and name)."""
    statement = (
        select(
            AdviceRequest.id,
            AdviceRequest.reference,
            AdviceRequest.sent_on,
            AdviceRequest.due_on,
            Case.reference,
            Professional.email,
            Professional.name,
        )
        .join(Case, Case.id == AdviceRequest.case_id)
        .join(Professional, Professional.id == AdviceRequest.professional_id)
        .where(
            AdviceRequest.status == AdviceStatus.OPEN,
            AdviceRequest.due_on.in_(due_dates_for(TODAY - timedelta(days=1), TODAY)),
        )
    )
    with services.db.session() as session:
        return len(session.execute(statement).all())


def open_home(home: Path) -> Services:
    environ = {"INTAKE_HOME": str(home), "INTAKE_SECRET_KEY": "benchmark key"}
    return open_services(load_settings(environ=environ, toml_path=None))


def verify_run(services: Services, report, due: int) -> float:
    """Check the run queued one email per due request; returns the time to read the report's
    counts afterwards, as the scheduler does for its log line."""
    seconds, _ = timed(lambda: (report.advice_count, report.already_sent))
    with services.db.session() as session:
        queued = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "advice_reminder", OutboxMessage.reminder_on == TODAY)
        )
    assert report.advice_count == queued == due and report.already_sent == 0, (queued, due)
    return seconds


def measure_cold_run(services: Services, due: int, *, compose: bool) -> dict[str, float]:
    """The run first thing in a fresh engine, as `intake remind` by hand: it opens the
    connection and compiles its statements."""
    run_seconds, report = timed(lambda: run_reminders(services, TODAY))
    figures = {"run": run_seconds, "report": verify_run(services, report, due)}
    if compose:
        figures["compose_alone"], _ = timed(lambda: compose_only(services, due))
        figures["sender_composes"], composed = timed(lambda: compose_queued(services))
        assert composed == due, (composed, due)
    return figures


def measure_cold_bare(services: Services, due: int) -> dict[str, float]:
    """The bare query first thing in a fresh engine (the cold baseline), then warm (median of
    5), and a dry run."""
    first, selected = timed(lambda: bare_query(services))
    assert selected == due, (selected, due)
    warm = statistics.median(timed(lambda: bare_query(services))[0] for _ in range(5))
    dry_seconds, dry = timed(lambda: run_reminders(services, TODAY, dry_run=True))
    assert len(dry.items) == due, (len(dry.items), due)
    return {"bare": first, "warm_bare": warm, "dry": dry_seconds}


def measure_warm(services: Services, home: Path, due: int) -> dict[str, float]:
    """Both compiled and connected: yesterday's run went first in the same engine, as in
    `intake serve`, whose scheduler runs every working day; the bare query's median of 5.

    Yesterday's run (here some 8,000 reminders, the seeded year's dates) leaves its pages in
    SQLite's write-ahead log, and whichever commit next takes the log past 1,000 pages copies it
    all back into the database file. The log is checkpointed first, as the cold copies start,
    so that today's run is not charged with yesterday's copying; the checkpoint of today's own
    writes, right after the run, is timed and printed on its own."""
    run_reminders(services, TODAY - timedelta(days=1))
    checkpoint(home)
    bare = statistics.median(timed(lambda: bare_query(services))[0] for _ in range(5))
    run_seconds, report = timed(lambda: run_reminders(services, TODAY))
    checkpoint_seconds, _ = timed(lambda: checkpoint(home))
    return {
        "bare": bare,
        "run": run_seconds,
        "checkpoint": checkpoint_seconds,
        "report": verify_run(services, report, due),
    }


def checkpoint(home: Path) -> None:
    """Copy the write-ahead log into the database file and empty it (from a connection of its
    own: the engine's would be inside a transaction)."""
    connection = sqlite3.connect(home / "intake.db")
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "the checkpoint could not finish"
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    parser.add_argument(
        "--outbox-rows", type=int, default=0, help="earlier mail already in the outbox"
    )
    parser.add_argument("--repeats", type=int, default=5, help="fresh copies measured")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seeded = Path(folder) / "seeded"
        services = open_home(seeded)
        try:
            seed_seconds, due = timed(lambda: seed(services, args.requests, args.due_share))
            seed_outbox(services, args.outbox_rows)
        finally:
            services.close()
        by_state: dict[str, list[dict[str, float]]] = {"cold_run": [], "cold_bare": [], "warm": []}
        for k in range(args.repeats):
            for state, runs in by_state.items():
                home = Path(folder) / f"{state}-{k}"
                shutil.copytree(seeded, home)
                services = open_home(home)
                try:
                    if state == "cold_run":
                        last = k == args.repeats - 1
                        runs.append(measure_cold_run(services, due, compose=last))
                    elif state == "cold_bare":
                        runs.append(measure_cold_bare(services, due))
                    else:
                        runs.append(measure_warm(services, home, due))
                finally:
                    services.close()
                shutil.rmtree(home)
    cold_runs, cold_bares, warm = by_state["cold_run"], by_state["cold_bare"], by_state["warm"]

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    def spread(rows: list[dict[str, float]], key: str) -> list[float]:
        values = [r[key] for r in rows]
        return [round(min(values), 4), round(max(values), 4)]

    def ratios(runs: list[dict[str, float]], bares: list[dict[str, float]], key: str) -> list:
        return sorted(r["run"] / b[key] for r, b in zip(runs, bares, strict=True))

    cold_ratios = ratios(cold_runs, cold_bares, "bare")
    warm_ratios = ratios(warm, warm, "bare")
    mixed_ratios = ratios(cold_runs, cold_bares, "warm_bare")
    run_seconds = median(cold_runs, "run")
    figures = {
        "open_advice_requests": args.requests,
        "outbox_rows_before": args.outbox_rows,
        "due_today": due,
        "repeats": args.repeats,
        "seed_seconds": round(seed_seconds, 3),
        "warm_bare_query_seconds": round(median(warm, "bare"), 4),
        "warm_bare_query_range": spread(warm, "bare"),
        "warm_run_seconds": round(median(warm, "run"), 4),
        "warm_run_range": spread(warm, "run"),
        "warm_run_to_bare_ratio": round(statistics.median(warm_ratios), 2),
        "warm_run_to_bare_ratios": [round(r, 2) for r in warm_ratios],
        "cold_bare_query_seconds": round(median(cold_bares, "bare"), 4),
        "cold_bare_query_range": spread(cold_bares, "bare"),
        "cold_run_seconds": round(run_seconds, 4),
        "cold_run_range": spread(cold_runs, "run"),
        "cold_run_to_bare_ratio": round(statistics.median(cold_ratios), 2),
        "cold_run_to_bare_ratios": [round(r, 2) for r in cold_ratios],
        "cold_run_to_warm_bare_ratio": round(statistics.median(mixed_ratios), 2),
        "dry_run_seconds": round(median(cold_bares, "dry"), 4),
        "report_counts_read_after_seconds": round(median(warm, "report"), 4),
        "checkpoint_after_warm_run_seconds": round(median(warm, "checkpoint"), 4),
        "compose_emails_alone_seconds": round(cold_runs[-1]["compose_alone"], 4),
        "sender_composes_queued_seconds": round(cold_runs[-1]["sender_composes"], 4),
        "target_run_seconds": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
        "run_under_target": max(run_seconds, median(warm, "run")) < TARGET_SECONDS,
        "warm_ratio_within_target": statistics.median(warm_ratios) <= TARGET_RATIO,
        "cold_ratio_within_target": statistics.median(cold_ratios) <= TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:31} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
