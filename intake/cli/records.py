"""`intake init|serve|worker|ingest|professional|queue|outbox|metrics`: the service's commands
(`case` is in `intake.cli.cases`).

Listing commands print a table with headings, or with `--json` one JSON object per line. Only
init, serve, ingest and `professional add` make a database where there is none.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

from documents import ORGANISATION_TYPES, ROLES
from intake.cases.accounts import add_professional, professional_summary
from intake.cli.args import JSON_HELP, Choice, positive_count
from intake.cli.cases import add_case_commands
from intake.cli.opened import one_line, opened, unreachable_reason
from intake.cli.tables import local_time, print_rows
from intake.errors import CommandFailed
from intake.logs import say
from intake.outcomes import outcome_of
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.serve import RunningService, outbox_sender
from intake.services import make_home
from intake.views.case import queue_rows
from intake.views.metrics import prometheus_text, read_metrics
from intake.workers import WorkerPool, worker_count_note
from notifier import outbox_rows
from portal import WebServer, create_app
from store import InboundStatus, OutboxStatus, Professional, Transport, upgrade

ROLE = Choice(ROLES)
ORGANISATION_TYPE = Choice(ORGANISATION_TYPES)
QUEUE_STATUS = Choice([*(s.value for s in InboundStatus), "all"])
OUTBOX_STATUS = Choice(s.value for s in OutboxStatus)
logger = logging.getLogger("intake.service")


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("init", help="create or upgrade the database under INTAKE_HOME")
    p.set_defaults(run=run_init)

    p = commands.add_parser(
        "serve", help="run the SMTP listener, IMAP watcher, pipeline, outbox, web"
    )
    p.add_argument(
        "--workers",
        type=positive_count,
        default=1,
        metavar="N",
        help="worker processes doing the work on mail (PostgreSQL; default 1, in this process)",
    )
    p.set_defaults(run=run_serve)

    p = commands.add_parser(
        "worker",
        help="on PostgreSQL: process mail and send the outbox beside other workers, "
        "taking the IMAP watcher or the scheduler when no other process runs it",
    )
    p.set_defaults(run=run_worker)

    p = commands.add_parser("ingest", help="run .eml files or Maildir folders through the pipeline")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".eml file or Maildir")
    p.add_argument("--json", action="store_true", help="print one JSON object per message")
    p.set_defaults(run=run_ingest)

    professional = commands.add_parser("professional", help="professionals' accounts")
    sub = professional.add_subparsers(
        dest="professional_command", required=True, metavar="ACTION", help="add or list"
    )
    p = sub.add_parser("add", help="add an account")
    p.add_argument("--email", required=True, help="their work email address")
    p.add_argument("--name", required=True, help="their name as shown on forms")
    p.add_argument("--role", required=True, type=ROLE, help=ROLE.help())
    p.add_argument("--organisation", required=True, help="the organisation's name")
    p.add_argument("--organisation-type", type=ORGANISATION_TYPE, help=ORGANISATION_TYPE.help())
    p.add_argument("--phone", help="work telephone number")
    p.add_argument("--activate", action="store_true", help="active at once, no activation link")
    p.set_defaults(run=run_professional_add)
    p = sub.add_parser("list", help="list accounts")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run_professional_list)

    p = commands.add_parser("queue", help="what needs a caseworker")
    p.add_argument(
        "--status",
        type=QUEUE_STATUS,
        help=QUEUE_STATUS.help("only messages with this status"),
    )
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(run=run_queue)

    case = commands.add_parser("case", help="a case and its timeline")
    sub = case.add_subparsers(
        dest="case_command", required=True, metavar="ACTION", help="show, stage or exception"
    )
    add_case_commands(sub)

    outbox = commands.add_parser("outbox", help="mail waiting to be sent; `outbox send` sends it")
    outbox.add_argument("--json", action="store_true", help=JSON_HELP)
    outbox.add_argument("--status", type=OUTBOX_STATUS, help=OUTBOX_STATUS.help("only"))
    outbox.set_defaults(run=run_outbox)
    sub = outbox.add_subparsers(
        dest="outbox_command", metavar="ACTION", help="send (without it: list the outbox)"
    )
    p = sub.add_parser("send", help="send what is due now")
    p.set_defaults(run=run_outbox_send)

    p = commands.add_parser(
        "metrics", help="counts for monitoring: Prometheus text (as /metrics), or --json"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run_metrics)


def run_init(args: argparse.Namespace) -> int:
    make_home(Path(args.settings.home))
    url = args.settings.database_url
    try:
        upgrade(url)
    except Exception as exc:
        reason = unreachable_reason(url, exc)
        if reason is None:
            reason = f"cannot create or upgrade the database: {one_line(exc)}"
        raise CommandFailed(reason) from None
    # Never the password: this line ends up in terminals, CI logs and support tickets.
    shown = make_url(url).render_as_string(hide_password=True)
    say(f"database ready at {shown}")
    return 0


def stop_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM. Handlers first, before anything starts: a signal sent
    as soon as the start line is printed must stop us cleanly."""
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    return stopped


def run_serve(args: argparse.Namespace) -> int:
    stopped = stop_signals()
    with opened(args.settings, create=True) as services:
        note = worker_count_note(args.workers, services.db.dialect)
        if note:
            logger.warning(note)
        pool = WorkerPool(args.workers) if args.workers > 1 and not note else None
        web_host, web_port = args.settings.web_listen
        web = WebServer(create_app(services), web_host, web_port)
        service = RunningService(services, scheduler=True, web=web, pipeline=pool is None)
        try:
            service.start()
        except OSError as exc:
            # What did start (the SMTP listener, the scheduler, the workers) stops again.
            service.stop()
            raise CommandFailed(f"cannot start: {exc.strerror or exc}") from None
        if pool is not None:
            pool.start()
        hour, minute = args.settings.reminder_time
        workers = (
            f"; {args.workers} worker processes ({', '.join(map(str, pool.pids()))}) run the mail"
            if pool
            else ""
        )
        say(
            f"serving; {service.describe()}{workers}; reminders on working days at "
            f"{hour:02d}:{minute:02d} {args.settings.timezone}; Ctrl-C to stop"
        )
        stopped.wait()
        say("stopping")
        service.stop()
        if pool is not None:
            pool.stop()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    stopped = stop_signals()
    if make_url(args.settings.database_url).get_backend_name() != "postgresql":
        # Two processes writing one SQLite file would queue behind its one writer, and each
        # would run its own IMAP watcher and scheduler: `intake serve` is the one worker there.
        raise CommandFailed(
            "`intake worker` needs PostgreSQL (INTAKE_DATABASE_URL); on SQLite `intake serve`"
            " runs the one worker itself"
        )
    with opened(args.settings, create=True) as services:
        service = RunningService(services, smtp=False, scheduler=True)
        service.start()
        say(f"worker {os.getpid()} ready; {service.describe()}")
        stopped.wait()
        say(f"worker {os.getpid()} stopping")
        service.stop()
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
    with opened(args.settings, create=True) as services:
        captured = []
        for path in files:
            result = capture_message(services, path.read_bytes(), Transport.FILE)
            captured.append((path, result))
        process_all(services)
        if services.settings.smtp_url is None:
            outbox_sender(services).send_due()
        outcomes = []
        for path, result in captured:
            outcome = outcome_of(services, result.inbound_id).as_dict()
            outcome["file"] = str(path)
            if not result.new:
                outcome["already_captured"] = True
            outcomes.append(outcome)
    for outcome in outcomes:
        if args.json:
            print(json.dumps(outcome, ensure_ascii=False, default=str))
            continue
        print(f"{outcome['file']}: {outcome['status']} {outcome['reference'] or ''}".rstrip())
        for r in outcome["reasons"]:
            print(f"    - {r['message']}")
    return 0


def run_professional_add(args: argparse.Namespace) -> int:
    with opened(args.settings, create=True) as services:
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
    print(
        f"added {p.email} (id {p.id}, {'active' if p.is_active else 'not yet active'})",
        file=sys.stderr,
    )
    return 0


def run_professional_list(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        rows = [professional_summary(p) for p in session.query(Professional).order_by("id")]
    columns = [
        ("ID", "id"), ("EMAIL", "email"), ("NAME", "name"), ("ROLE", "role"),
        ("ORGANISATION", "organisation"), ("ACTIVE", "active"),
    ]  # fmt: skip
    print_rows(rows, args.json, columns, empty="no accounts yet")
    return 0


def run_queue(args: argparse.Namespace) -> int:
    with opened(args.settings) as services:
        rows = queue_rows(services, args.status)
    columns = [
        ("TYPE", "type"), ("ID", "id"), ("STATUS", "status"),
        ("RECEIVED", lambda row: local_time(args.settings.timezone)(row["received_at"])),
        ("FROM", "from"), ("REFERENCE", "reference"), ("SUMMARY", "summary"),
    ]  # fmt: skip
    print_rows(rows, args.json, columns, empty="nothing waiting")
    return 0


def run_outbox(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        rows = outbox_rows(session, status=args.status)
    columns = [
        ("ID", "id"), ("STATUS", "status"), ("KIND", "kind"), ("TO", "to"),
        ("ATTEMPTS", "attempts"), ("LAST ERROR", "last_error"),
    ]  # fmt: skip
    print_rows(rows, args.json, columns, empty="nothing in the outbox")
    return 0


def run_outbox_send(args: argparse.Namespace) -> int:
    with opened(args.settings) as services:
        report = outbox_sender(services).send_due()
    print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}", file=sys.stderr)
    return 1 if report.failed else 0


def run_metrics(args: argparse.Namespace) -> int:
    with opened(args.settings) as services, services.db.session() as session:
        metrics = read_metrics(session, services.now())
    if args.json:
        print(json.dumps(metrics.as_json(), ensure_ascii=False))
    else:
        print(prometheus_text(metrics), end="")
    return 0
