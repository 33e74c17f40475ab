"""`intake purge [--dry-run] [--today DATE] [--json]`: the retention purge, by hand, as the
scheduler runs it each night.

It prints what went (or, with `--dry-run`, what would go): the case references removed, the
numbers of the messages whose raw mail was purged, counts of files, and the cases kept by a legal
hold or by mail still waiting; never a child's name. A summary line goes to stderr. Running it
twice for one day removes nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import sys

from intake.cli.args import iso_date
from intake.cli.opened import opened
from intake.lifecycle import PurgeReport, purge


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "purge",
        help="remove raw mail, files and cases past their retention (INTAKE_RETAIN_*)",
        description="Remove what retention says is due: raw mail and sent mail's bytes of "
        "finished messages after INTAKE_RETAIN_MAIL_DAYS, and whole cases once the child is "
        "INTAKE_RETAIN_CASES_YEARS old. Cases on legal hold, their mail, and mail still waiting "
        "for someone are kept.",
    )
    p.add_argument("--today", type=iso_date, help="the day to purge for (default: today)")
    p.add_argument("--dry-run", action="store_true", help="list what would go; remove nothing")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(run=run_purge)


def run_purge(args: argparse.Namespace) -> int:
    with opened(args.settings) as services:
        report = purge(services, args.today, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        print_report(report)
    print(summary(report), file=sys.stderr)
    return 0


def print_report(report: PurgeReport) -> None:
    lines = [
        ("cases removed", report.cases),
        ("kept on legal hold", report.kept_on_legal_hold),
        ("kept for unfinished mail", report.kept_for_unfinished_mail),
        ("messages purged", [str(m) for m in report.messages]),
    ]
    for label, items in lines:
        if items:
            print(f"{label}: {', '.join(items)}")


def summary(report: PurgeReport) -> str:
    verb = "would remove" if report.dry_run else "removed"
    files = report.files_removed
    done = (
        ""
        if report.dry_run
        else f"; files removed: {files['raw']} raw, {files['attachments']} attachments"
    )
    orphans = report.orphans["raw"] + report.orphans["attachments"]
    return (
        f"purge {report.today}: {verb} {len(report.cases)} case(s), the raw mail of "
        f"{len(report.messages)} message(s) and the bytes of {report.sent_mail} sent email(s); "
        f"{len(report.kept_on_legal_hold)} case(s) kept on legal hold{done}; "
        f"{orphans} orphan file(s)"
    )
