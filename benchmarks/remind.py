"""Measure the daily reminder run over 100,000 open advice requests on SQLite, of which 1% are
due a reminder on the chosen day, against the bare query that selects just the due ones.

Run `.venv/bin/python benchmarks/remind.py [--requests N] [--due-share 0.01] [--json]`.
The rows are bulk inserted into a temporary INTAKE_HOME once. The run is the real one
(`run_reminders`, not a dry run): it claims each reminder and queues its email in one
transaction. Each of `--repeats` (5) measurements runs on a fresh copy of the seeded database in
a fresh engine, cold (nothing compiled yet, as for `intake remind` by hand) and warm (yesterday's
run first in the same engine, as for the scheduler in `intake serve`); medians are printed, with
the spread. Printed: the bare query (median of 5), a dry run (the same selection, no writes), the
real run, the ratio of the run to the bare query, the targets (under 2 s, within 3x), the time to
compose the same number of emails alone, and the time the outbox sender then spends composing
the reminders the run queued without a body (work moved out of the run, not removed).
`--outbox-rows N` first fills the outbox with N earlier messages, as months of service would.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import func, insert, select  # noqa: E402

from intake.reminder_mail import outbox_composer  # noqa: E402
from intake.reminders import (  # noqa: E402
    due_dates_for,
    run_reminders,
    window_start,
)
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
    ReminderSent,
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


def measure_once(services: Services, due: int, *, warm: bool, compose: bool) -> dict[str, float]:
    """One day's figures on a fresh copy of the seeded database in a fresh engine. Cold: nothing
    compiled yet, as for `intake remind` started by hand. Warm: yesterday's run went first in
    the same engine, as in `intake serve`, whose scheduler runs every working day."""
    if warm:
        run_reminders(services, TODAY - timedelta(days=1))
    bare_times = []
    for _ in range(5):
        seconds, selected = timed(lambda: bare_query(services))
        bare_times.append(seconds)
    assert selected == due, (selected, due)
    dry_seconds, dry = timed(lambda: run_reminders(services, TODAY, dry_run=True))
    run_seconds, report = timed(lambda: run_reminders(services, TODAY))
    with services.db.session() as session:
        queued = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .join(ReminderSent, ReminderSent.id == OutboxMessage.reminder_id)
            .where(OutboxMessage.kind == "advice_reminder", ReminderSent.sent_on == TODAY)
        )
    assert len(dry.items) == len(report.items) == queued == due, (len(dry.items), queued, due)
    figures = {
        "bare": statistics.median(bare_times),
        "dry": dry_seconds,
        "run": run_seconds,
    }
    if compose:
        figures["compose_alone"], _ = timed(lambda: compose_only(services, due))
        figures["sender_composes"], composed = timed(lambda: compose_queued(services))
        assert composed == due, (composed, due)
    return figures


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
        by_state: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
        for k in range(args.repeats):
            for state, runs in by_state.items():
                home = Path(folder) / f"{state}-{k}"
                shutil.copytree(seeded, home)
                services = open_home(home)
                try:
                    last = state == "cold" and k == args.repeats - 1
                    runs.append(measure_once(services, due, warm=state == "warm", compose=last))
                finally:
                    services.close()
                shutil.rmtree(home)
    runs = by_state["cold"]
    warm_ratios = sorted(r["run"] / r["bare"] for r in by_state["warm"])
    ratios = sorted(r["run"] / r["bare"] for r in runs)
    ratio = statistics.median(ratios)
    run_seconds = statistics.median(r["run"] for r in runs)

    def spread(key: str, state: str = "cold") -> list[float]:
        values = [r[key] for r in by_state[state]]
        return [round(min(values), 4), round(max(values), 4)]

    figures = {
        "open_advice_requests": args.requests,
        "outbox_rows_before": args.outbox_rows,
        "due_today": due,
        "repeats": args.repeats,
        "seed_seconds": round(seed_seconds, 3),
        "bare_query_seconds": round(statistics.median(r["bare"] for r in runs), 4),
        "bare_query_range": spread("bare"),
        "dry_run_seconds": round(statistics.median(r["dry"] for r in runs), 4),
        "run_seconds": round(run_seconds, 4),
        "run_range": spread("run"),
        "run_to_bare_ratio": round(ratio, 1),
        "run_to_bare_ratios": [round(r, 1) for r in ratios],
        "warm_bare_query_seconds": round(statistics.median(r["bare"] for r in by_state["warm"]), 4),
        "warm_run_seconds": round(statistics.median(r["run"] for r in by_state["warm"]), 4),
        "warm_run_range": spread("run", "warm"),
        "warm_run_to_bare_ratio": round(statistics.median(warm_ratios), 1),
        "warm_run_to_bare_ratios": [round(r, 1) for r in warm_ratios],
        "compose_emails_alone_seconds": round(runs[-1]["compose_alone"], 4),
        "sender_composes_queued_seconds": round(runs[-1]["sender_composes"], 4),
        "target_run_seconds": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
        "run_under_target": run_seconds < TARGET_SECONDS,
        "ratio_within_target": ratio <= TARGET_RATIO,
        "warm_ratio_within_target": statistics.median(warm_ratios) <= TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:31} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
