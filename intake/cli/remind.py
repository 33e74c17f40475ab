"""`intake remind [--today DATE] [--dry-run] [--json]`: the scheduled reminder run, by hand.

It runs exactly what the scheduler runs, for any date (default: today in the configured time
zone). It prints a table of the reminders queued (or, with `--dry-run`, that would be), or with
`--json` one object per reminder; a summary line goes to stderr. Running it twice for one day
queues nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import sys

from intake.cli.args import iso_date
from intake.cli.opened import opened
from intake.cli.tables import print_table
from intake.reminders.run import ReminderReport, run_reminders


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("remind", help="queue the advice reminders and deadline warnings due")
    p.add_argument("--today", type=iso_date, help="the day to run for (default: today)")
    p.add_argument("--dry-run", action="store_true", help="list what would be queued; queue none")
    p.add_argument("--json", action="store_true", help="print one JSON object per reminder")
    p.set_defaults(run=run_remind)


def run_remind(args: argparse.Namespace) -> int:
    with opened(args.settings) as services:
        report = run_reminders(services, args.today or services.today(), dry_run=args.dry_run)
    items = report.items
    if args.json:
        for item in items:
            print(json.dumps(item.as_json()))
    elif items:
        columns = [
            ("KIND", "kind"), ("CASE", "case_reference"),
            ("ABOUT", lambda row: row["advice_reference"] or row["milestone"]),
            ("DUE", "due_on"), ("TO DOMAIN", "recipient_domain"),
        ]  # fmt: skip
        print_table([item.as_json() for item in items], columns)
    print(summary(report), file=sys.stderr)
    return 0


def summary(report: ReminderReport) -> str:
    day = report.today.isoformat()
    if not report.working_day:
        return f"remind {day}: not a working day, nothing queued"
    verb = "would queue" if report.dry_run else "queued"
    return (
        f"remind {day}: {verb} {report.advice_count} advice reminder(s) and "
        f"{len(report.deadline_warnings)} deadline warning(s); "
        f"{report.already_sent} already sent"
    )
