"""`intake case show|stage|exception|hold|release-hold`: a caseworker looking at a case, moving
it along its timeline, recording an exception to the time limits, and placing or releasing the
legal hold that keeps it from the retention purge.

They are actions of the `case` command that `intake.cli.records` defines; it hands its action
subparsers to `add_case_commands`. A refused move or an unknown case exits 1 with one line.
"""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Callable
from typing import Any

from intake.cases.advice_requests import find_case
from intake.cases.stages import move_case, record_exception
from intake.cases.timeline import STAGES, ExceptionGround, StageCode, stage_name
from intake.cli.args import ACTOR_HELP, Choice, default_actor, iso_date, slug
from intake.cli.opened import opened
from intake.cli.tables import local_time, print_table
from intake.errors import CommandFailed
from intake.lifecycle import place_legal_hold, release_legal_hold
from intake.views.case import case_document, form_version_label
from store import Case

# A stage is typed as its code (`parties-notified`); its display name is accepted too.
STAGE = Choice((s.value for s in StageCode), aliases={s.name: s.code.value for s in STAGES})
GROUND = Choice(g.value for g in ExceptionGround)
JSON_HELP = "print JSON"


def add_case_commands(case_actions: argparse._SubParsersAction) -> None:
    p = case_actions.add_parser("show", help="a case, its submissions and timeline")
    p.add_argument("reference", metavar="CASE", help="the case reference, EHC-YYYY-NNNNNN")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run_case_show)

    p = case_actions.add_parser("stage", help="move a case to a stage of its timeline")
    p.add_argument("reference", metavar="CASE", help="the case reference, EHC-YYYY-NNNNNN")
    p.add_argument("stage", metavar="STAGE", type=STAGE, help=STAGE.help())
    p.add_argument("--on", type=iso_date, help="the date the stage was reached (default today)")
    p.add_argument("--actor", help=ACTOR_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run_case_stage)

    p = case_actions.add_parser("exception", help="record an exception to the time limits")
    p.add_argument("reference", metavar="CASE", help="the case reference, EHC-YYYY-NNNNNN")
    p.add_argument("--ground", required=True, type=GROUND, help=GROUND.help())
    p.add_argument("--start", required=True, type=iso_date, help="the day the exception began")
    p.add_argument("--end", type=iso_date, help="the day it ended, when it has")
    p.add_argument(
        "--family-informed-on", type=iso_date, help="the day the family was told of the delay"
    )
    p.add_argument("--note", help="why, for the audit log")
    p.add_argument("--actor", help=ACTOR_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run_case_exception)

    p = case_actions.add_parser(
        "hold", help="place a legal hold: the case, its mail and files are never purged"
    )
    p.add_argument("reference", metavar="CASE", help="the case reference, EHC-YYYY-NNNNNN")
    p.add_argument("--reason", required=True, help="why (proceedings, a complaint), audited")
    p.add_argument("--actor", help=ACTOR_HELP)
    p.set_defaults(run=run_case_hold)

    p = case_actions.add_parser("release-hold", help="release a case's legal hold")
    p.add_argument("reference", metavar="CASE", help="the case reference, EHC-YYYY-NNNNNN")
    p.add_argument("--actor", help=ACTOR_HELP)
    p.set_defaults(run=run_case_release_hold)


def _find_case(session, reference: str) -> Case:
    case = find_case(session, reference)
    if case is None:
        raise CommandFailed(f"no case {reference}")
    return case


def run_case_show(args: argparse.Namespace) -> int:
    with opened(args.settings) as services:
        # No one signs in to the command: the computer account that ran it is the viewer.
        viewer = f"cli:{getpass.getuser()}"
        document = case_document(services, args.reference, viewer=viewer, via="intake case show")
    if document is None:
        raise CommandFailed(f"no case {args.reference}")
    if args.json:
        print(json.dumps(document, ensure_ascii=False, default=str))
    else:
        print_case(document, local_time(args.settings.timezone))
    return 0


def print_case(document: dict[str, Any], shown_time: Callable[[str], str | None]) -> None:
    """The case for a person: what it is and where it stands, then one table per part."""
    print(f"{document['reference']}: {document['stage_name']} (day 0 {document['day0']})")
    print(f"requested by {document['requested_by']}")
    hold = document["legal_hold"]
    if hold:
        print(f"on legal hold since {shown_time(hold['since'])} by {hold['by']}: {hold['reason']}")
    moves = ", ".join(slug(m) for m in document["allowed_moves"])
    print(f"can move to: {moves or 'nothing (closed)'}")
    sections = [
        (document["milestones"], [
            ("MILESTONE", "label"), ("DUE", "due"), ("MET ON", "met_on"), ("STATE", "state"),
            ("DAYS LEFT", lambda m: None if m["met_on"] else m["days_left"]),
        ]),
        (document["submissions"], [
            ("FORM", lambda s: form_version_label(s, document["advice_requests"])),
            ("RECEIVED", lambda s: shown_time(s["created_at"])),
            ("FILES", lambda s: len(s["attachments"])),
        ]),
        (document["advice_requests"], [
            ("ADVICE", "reference"), ("TYPE", "advice_type"), ("PROFESSIONAL", "professional"),
            ("STATUS", "status"), ("DUE", "due_on"), ("DAYS LEFT", "days_left"),
        ]),
        (document["timeline"], [
            ("ON", "occurred_on"), ("EVENT", "kind"), ("STAGE", "stage_name"), ("BY", "actor"),
        ]),
    ]  # fmt: skip
    for rows, columns in sections:
        if rows:
            print()
            print_table(rows, columns)


def run_case_stage(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        case = _find_case(session, args.reference)
        move = move_case(
            services, session, case, args.stage, actor=args.actor or default_actor(), on=args.on
        )
        if not move.done:
            raise CommandFailed(move.reason)
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
    with opened(args.settings) as services, services.db.session() as session:
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


def run_case_hold(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        case = _find_case(session, args.reference)
        change = place_legal_hold(
            services, session, case, reason=args.reason, actor=args.actor or default_actor()
        )
        if not change.done:
            raise CommandFailed(change.reason)
    print(f"{change.reference}: on legal hold; the purge keeps it, its mail and its files")
    return 0


def run_case_release_hold(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        case = _find_case(session, args.reference)
        change = release_legal_hold(services, session, case, actor=args.actor or default_actor())
        if not change.done:
            raise CommandFailed(change.reason)
    print(f"{change.reference}: legal hold released; retention applies again")
    return 0
