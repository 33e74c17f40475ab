"""`intake init|serve|ingest|professional|queue|case|outbox`: the service's commands.

Listing commands take `--json` and then print one JSON object per line.
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from documents import ORGANISATION_TYPES, ROLES
from intake.cases.accounts import add_professional, professional_summary
from intake.cases.case_view import case_document, queue_rows
from intake.cli.cases import add_case_commands
from intake.errors import CommandFailed
from intake.outcomes import outcome_of
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.serve import RunningService, outbox_sender
from intake.services import open_services
from notifier import outbox_rows
from store import InboundStatus, Professional, Transport, upgrade


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("init", help="create or upgrade the database under INTAKE_HOME")
    p.set_defaults(run=run_init)

    p = commands.add_parser("serve", help="run the SMTP listener, IMAP watcher, pipeline, outbox")
    p.set_defaults(run=run_serve)

    p = commands.add_parser("ingest", help="run .eml files or Maildir folders through the pipeline")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--json", action="store_true", help="print one JSON object per message")
    p.set_defaults(run=run_ingest)

    professional = commands.add_parser("professional", help="professionals' accounts")
    sub = professional.add_subparsers(dest="professional_command", required=True, metavar="ACTION")
    p = sub.add_parser("add", help="add an account")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, help="one of: " + "; ".join(ROLES))
    p.add_argument("--organisation", required=True)
    p.add_argument("--organisation-type", help="one of: " + "; ".join(ORGANISATION_TYPES))
    p.add_argument("--phone")
    p.add_argument("--activate", action="store_true", help="active at once, no activation link")
    p.set_defaults(run=run_professional_add)
    p = sub.add_parser("list", help="list accounts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_professional_list)

    p = commands.add_parser("queue", help="what needs a caseworker")
    p.add_argument("--status", choices=[s.value for s in InboundStatus] + ["all"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_queue)

    case = commands.add_parser("case", help="a case and its timeline")
    sub = case.add_subparsers(dest="case_command", required=True, metavar="ACTION")
    p = sub.add_parser("show", help="a case, its submissions and timeline")
    p.add_argument("reference", metavar="CASE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_case_show)
    add_case_commands(sub)

    outbox = commands.add_parser("outbox", help="mail waiting to be sent; `outbox send` sends it")
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("--status", choices=["pending", "sending", "sent", "failed"])
    outbox.set_defaults(run=run_outbox)
    sub = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    p = sub.add_parser("send", help="send what is due now")
    p.set_defaults(run=run_outbox_send)


def emit(rows: list[dict[str, Any]], as_json: bool, columns: list[str]) -> None:
    for row in rows:
        if as_json:
            print(json.dumps(row, ensure_ascii=False, default=str))
        else:
            print("  ".join(str(row.get(c, "")) for c in columns))


def run_init(args: argparse.Namespace) -> int:
    home = Path(args.settings.home)
    home.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(args.settings.database_url)
    except Exception as exc:
        raise CommandFailed(f"cannot create or upgrade the database: {exc}") from None
    print(f"database ready at {args.settings.database_url}", file=sys.stderr)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    # Handlers first: a signal sent as soon as "serving" is printed must stop us cleanly.
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    services = open_services(args.settings)
    service = RunningService(services, scheduler=True)
    try:
        service.start()
    except OSError as exc:
        services.close()
        raise CommandFailed(f"cannot start: {exc.strerror or exc}") from None
    hour, minute = args.settings.reminder_time
    print(
        f"intake: serving; {service.describe()}; reminders on working days at "
        f"{hour:02d}:{minute:02d} {args.settings.timezone}; Ctrl-C to stop",
        file=sys.stderr,
    )
    stopped.wait()
    print("intake: stopping", file=sys.stderr)
    service.stop()
    services.close()
    return 0


def message_files(paths: list[Path]) -> list[Path]:
    """Each .eml file, and every message in each Maildir (its cur/ and new/) or folder."""
    files: list[Path] = []
    for path in paths:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            folders = [path / "cur", path / "new"] if (path / "cur").is_dir() else [path]
            files.extend(sorted(f for d in folders for f in d.iterdir() if f.is_file()))
        else:
            raise CommandFailed(f"{path}: no such file or folder")
    return files


def run_ingest(args: argparse.Namespace) -> int:
    files = message_files(args.paths)
    services = open_services(args.settings)
    try:
        captured = []
        for path in files:
            result = capture_message(services, path.read_bytes(), Transport.FILE)
            captured.append((path, result))
        process_all(services)
        if services.settings.smtp_url is None:
            outbox_sender(services).send_due()
        for path, result in captured:
            outcome = outcome_of(services, result.inbound_id).as_dict()
            outcome["file"] = str(path)
            if not result.new:
                outcome["already_captured"] = True
            emit([outcome], args.json, ["file", "status", "reference"])
            if not args.json:
                for r in outcome["reasons"]:
                    print(f"    - {r['message']}")
    finally:
        services.close()
    return 0


def run_professional_add(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        p = add_professional(
            services,
            email=args.email,
            name=args.name,
            role=args.role,
            organisation=args.organisation,
            organisation_type=args.organisation_type,
            phone=args.phone,
            activate=args.activate,
        )
    finally:
        services.close()
    print(
        f"added {p.email} (id {p.id}, {'active' if p.is_active else 'not yet active'})",
        file=sys.stderr,
    )
    return 0


def run_professional_list(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        with services.db.session() as session:
            rows = [professional_summary(p) for p in session.query(Professional).order_by("id")]
    finally:
        services.close()
    emit(rows, args.json, ["id", "email", "name", "role", "organisation", "active"])
    return 0


def run_queue(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        rows = queue_rows(services, args.status)
    finally:
        services.close()
    emit(rows, args.json, ["type", "id", "status", "received_at", "from", "summary"])
    return 0


def run_case_show(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        # No one signs in to the command: the computer account that ran it is the viewer.
        viewer = f"cli:{getpass.getuser()}"
        document = case_document(services, args.reference, viewer=viewer, via="intake case show")
    finally:
        services.close()
    if document is None:
        raise CommandFailed(f"no case {args.reference}")
    if args.json:
        print(json.dumps(document, ensure_ascii=False, default=str))
    else:
        print(f"{document['reference']}: {document['stage']} (day 0 {document['day0']})")
        for m in document["milestones"]:
            print(f"  {m['label']}: {m['due']} ({m['days_left']} days left)")
        for s in document["submissions"]:
            print(f"  version {s['version']} received {s['created_at']}")
    return 0


def run_outbox(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        with services.db.session() as session:
            rows = outbox_rows(session, status=args.status)
    finally:
        services.close()
    emit(rows, args.json, ["id", "status", "kind", "to", "attempts", "last_error"])
    return 0


def run_outbox_send(args: argparse.Namespace) -> int:
    services = open_services(args.settings)
    try:
        report = outbox_sender(services).send_due()
    finally:
        services.close()
    print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}", file=sys.stderr)
    return 1 if report.failed else 0
