"""`intake advice request|covered|withdraw|list`: a caseworker asking professionals for advice
on a case and closing requests that are no longer needed.

A request that cannot be made or closed (an unknown case or professional, a request not open)
exits 1 with one line; an unknown advice type is a usage error (2). `list` prints a table, or with
`--json` one advice request per line.
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy import select

from intake.cases.accounts import find_professional
from intake.cases.advice_requests import (
    ADVICE_TYPES,
    advice_summary,
    find_advice_request,
    find_case,
    mark_covered,
    request_advice,
    withdraw,
)
from intake.cli.args import ACTOR_HELP, JSON_HELP, Choice, iso_date
from intake.cli.opened import opened
from intake.cli.tables import print_rows
from intake.errors import CommandFailed
from store import AdviceRequest

# Typed as the short word (`social-care`); the form's own wording is accepted too.
ADVICE_TYPE = Choice(ADVICE_TYPES, aliases={label: short for short, label in ADVICE_TYPES.items()})


def add_commands(commands: argparse._SubParsersAction) -> None:
    advice = commands.add_parser("advice", help="ask professionals for advice on a case")
    sub = advice.add_subparsers(
        dest="advice_command", required=True, metavar="ACTION",
        help="request, covered, withdraw or list",
    )  # fmt: skip

    p = sub.add_parser("request", help="ask a professional for advice; emails them the form")
    p.add_argument("case", metavar="CASE", help="the case reference, EHC-YYYY-NNNNNN")
    p.add_argument(
        "--professional", required=True, metavar="EMAIL", help="the account to ask, by address"
    )
    p.add_argument(
        "--type", required=True, dest="advice_type", type=ADVICE_TYPE, help=ADVICE_TYPE.help()
    )
    p.add_argument("--due", type=iso_date, help="due date (default: six weeks from sending)")
    p.add_argument("--on", type=iso_date, help="the day it is sent (default today)")
    p.add_argument("--actor", help=ACTOR_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run_advice_request)

    for name, help_text in (
        ("covered", "existing advice already covers the request (reg 6(4))"),
        ("withdraw", "the advice is no longer needed"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("reference", metavar="REF", help="the advice request, ADV-YYYY-NNNNNN")
        p.add_argument("--note", help="why, for the audit log")
        p.add_argument("--actor", help=ACTOR_HELP)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(run=run_advice_close, close=name)

    p = sub.add_parser("list", help="advice requests, oldest first")
    p.add_argument("--case", metavar="CASE", help="only the requests of this case")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run_advice_list)


def run_advice_request(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        today = args.on or services.today()
        case = find_case(session, args.case)
        if case is None:
            raise CommandFailed(f"no case {args.case}")
        professional = find_professional(session, args.professional)
        if professional is None:
            raise CommandFailed(f"no professional with the address {args.professional}")
        request = request_advice(
            services,
            session,
            case,
            professional,
            args.advice_type,
            due=args.due,
            today=today,
            actor=args.actor or "cli",
        )
        summary = advice_summary(request, today)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(
            f"{summary['reference']}: {summary['advice_type']} advice asked of "
            f"{summary['professional']} on {summary['case']}, due {summary['due_on']}"
        )
    return 0


def run_advice_close(args: argparse.Namespace) -> int:
    close = mark_covered if args.close == "covered" else withdraw
    with opened(args.settings) as services, services.db.session() as session:
        request = find_advice_request(session, args.reference)
        if request is None:
            raise CommandFailed(f"no advice request {args.reference}")
        close(session, request, actor=args.actor or "cli", note=args.note)
        summary = advice_summary(request, services.today())
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{summary['reference']}: {summary['status']}")
    return 0


def run_advice_list(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        today = services.today()
        statement = select(AdviceRequest).order_by(AdviceRequest.id)
        if args.case:
            case = find_case(session, args.case)
            if case is None:
                raise CommandFailed(f"no case {args.case}")
            statement = statement.where(AdviceRequest.case_id == case.id)
        rows = [advice_summary(r, today) for r in session.scalars(statement)]
    columns = [
        ("REFERENCE", "reference"), ("CASE", "case"), ("TYPE", "advice_type"),
        ("PROFESSIONAL", "professional"), ("STATUS", "status"), ("DUE", "due_on"),
    ]  # fmt: skip
    print_rows(rows, args.json, columns, empty="no advice requests")
    return 0
