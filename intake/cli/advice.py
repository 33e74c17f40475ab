"""`intake advice request|covered|withdraw|list`: a caseworker asking professionals for advice
on a case and closing requests that are no longer needed.

A request that cannot be made or closed (an unknown case, professional or type, a request not
open) exits 1 with one line. `list --json` prints one advice request per line.
"""

from __future__ import annotations

import argparse
import json
import sys

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
from intake.cli.args import iso_date
from intake.errors import CommandFailed
from intake.services import open_services
from store import AdviceRequest


def add_commands(commands: argparse._SubParsersAction) -> None:
    advice = commands.add_parser("advice", help="ask professionals for advice on a case")
    sub = advice.add_subparsers(dest="advice_command", required=True, metavar="ACTION")

    p = sub.add_parser("request", help="ask a professional for advice; emails them the form")
    p.add_argument("case", metavar="CASE")
    p.add_argument("--professional", required=True, metavar="EMAIL")
    p.add_argument("--type", required=True, dest="advice_type", help=", ".join(ADVICE_TYPES))
    p.add_argument("--due", type=iso_date, help="due date (default: six weeks from sending)")
    p.add_argument("--on", type=iso_date, help="the day it is sent (default today)")
    p.add_argument("--actor", help="the caseworker's email address")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_advice_request)

    for name, help_text in (
        ("covered", "existing advice already covers the request (reg 6(4))"),
        ("withdraw", "the advice is no longer needed"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("reference", metavar="REF")
        p.add_argument("--note", help="why, for the audit log")
        p.add_argument("--actor", help="the caseworker's email address")
        p.add_argument("--json", action="store_true")
        p.set_defaults(run=run_advice_close, close=name)

    p = sub.add_parser("list", help="advice requests, oldest first")
    p.add_argument("--case", metavar="CASE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_advice_list)


def run_advice_request(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        today = args.on or services.today()
        with services.db.session() as session:
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
    finally:
        services.close()
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
    services = open_services(args.settings)
    try:
        with services.db.session() as session:
            request = find_advice_request(session, args.reference)
            if request is None:
                raise CommandFailed(f"no advice request {args.reference}")
            close(session, request, actor=args.actor or "cli", note=args.note)
            summary = advice_summary(request, services.today())
    finally:
        services.close()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{summary['reference']}: {summary['status']}")
    return 0


def run_advice_list(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        today = services.today()
        with services.db.session() as session:
            statement = select(AdviceRequest).order_by(AdviceRequest.id)
            if args.case:
                case = find_case(session, args.case)
                if case is None:
                    raise CommandFailed(f"no case {args.case}")
                statement = statement.where(AdviceRequest.case_id == case.id)
            rows = [advice_summary(r, today) for r in session.scalars(statement)]
    finally:
        services.close()
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print("  ".join(str(row[c]) for c in ("reference", "case", "status", "due_on")))
    if not rows and not args.json:
        print("no advice requests", file=sys.stderr)
    return 0
