"""`intake caseworker add`: a SEND caseworker's account, pending until they open the activation
link emailed to them and choose a password and two-step verification.
"""

from __future__ import annotations

import argparse
import sys

from intake.accounts.registration import add_caseworker
from intake.cli.args import default_actor
from intake.errors import CommandFailed
from intake.services import open_services


def add_commands(commands: argparse._SubParsersAction) -> None:
    caseworker = commands.add_parser("caseworker", help="SEND caseworkers' accounts")
    sub = caseworker.add_subparsers(
        dest="caseworker_command", required=True, metavar="ACTION", help="what to do"
    )
    p = sub.add_parser("add", help="open a caseworker account and email its activation link")
    p.add_argument("--email", required=True, help="the caseworker's work email address")
    p.add_argument("--name", required=True, help="the caseworker's full name")
    p.add_argument("--actor", help="who is adding it, for the audit log (default: cli:USER)")
    p.set_defaults(run=run_caseworker_add)


def run_caseworker_add(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        with services.db.session() as session:
            added, reasons = add_caseworker(
                services,
                session,
                email=args.email,
                name=args.name,
                actor=args.actor or default_actor(),
            )
            address, number = (added.email, added.id) if added is not None else (None, None)
    finally:
        services.close()
    if added is None:
        raise CommandFailed(reasons[0].sentence())
    print(
        f"added caseworker {address} (id {number}, not yet active); activation link queued: "
        "`intake serve` or `intake outbox send` sends it",
        file=sys.stderr,
    )
    return 0
