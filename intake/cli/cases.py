"""`intake case stage` and `intake case exception`: a caseworker moving a case along its timeline
and recording an exception to the time limits.

They are actions of the `case` command that `intake.cli.records` defines; it hands its action
subparsers to `add_case_commands`. A refused move or an unknown case exits 1 with one line.
"""

from __future__ import annotations

import argparse
import json

from intake.cases.advice_requests import find_case
from intake.cases.stages import move_case, record_exception
from intake.cases.timeline import ExceptionGround, StageCode, stage_name
from intake.cli.args import default_actor, iso_date
from intake.errors import CommandFailed
from intake.services import open_services
from store import Case


def add_case_commands(case_actions: argparse._SubParsersAction) -> None:
    p = case_actions.add_parser("stage", help="move a case to a stage of its timeline")
    p.add_argument("reference", metavar="CASE")
    p.add_argument(
        "stage", metavar="STAGE", help="one of: " + ", ".join(s.value for s in StageCode)
    )
    p.add_argument("--on", type=iso_date, help="the date the stage was reached (default today)")
    p.add_argument("--actor", help="the caseworker's email address")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_case_stage)

    p = case_actions.add_parser("exception", help="record an exception to the time limits")
    p.add_argument("reference", metavar="CASE")
    p.add_argument(
        "--ground", required=True, help="one of: " + ", ".join(g.value for g in ExceptionGround)
    )
    p.add_argument("--start", required=True, type=iso_date)
    p.add_argument("--end", type=iso_date)
    p.add_argument("--family-informed-on", type=iso_date)
    p.add_argument("--note")
    p.add_argument("--actor", help="the caseworker's email address")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_case_exception)


def _find_case(session, reference: str) -> Case:
    case = find_case(session, reference)
    if case is None:
        raise CommandFailed(f"no case {reference}")
    return case


def run_case_stage(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        with services.db.session() as session:
            case = _find_case(session, args.reference)
            move = move_case(
                services, session, case, args.stage, actor=args.actor or default_actor(), on=args.on
            )
            if not move.done:
                raise CommandFailed(move.reason)
    finally:
        services.close()
    if args.json:
        row = {
            "reference": move.reference,
            "from": move.from_stage,
            "to": move.to_stage,
            "on": move.on.isoformat(),
            "event_id": move.event_id,
            "notified": list(move.notified),
        }
        print(json.dumps(row, ensure_ascii=False))
    else:
        print(
            f"{move.reference}: {stage_name(move.from_stage)} -> {stage_name(move.to_stage)} "
            f"on {move.on.isoformat()}; progress email queued for {len(move.notified)}"
        )
    return 0


def run_case_exception(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        with services.db.session() as session:
            case = _find_case(session, args.reference)
            recorded = record_exception(
                services,
                session,
                case,
                ground=args.ground,
                start=args.start,
                end=args.end,
                family_informed_on=args.family_informed_on,
                note=args.note,
                actor=args.actor or default_actor(),
            )
            if not recorded.done:
                raise CommandFailed(recorded.reason)
    finally:
        services.close()
    if args.json:
        row = {
            "reference": recorded.reference,
            "ground": recorded.ground,
            "event_id": recorded.event_id,
        }
        print(json.dumps(row, ensure_ascii=False))
    else:
        print(f"{recorded.reference}: exception {recorded.ground} recorded")
    return 0
