"""`intake demo`: the whole story on embedded defaults, narrated, leaving every email and PDF in
a folder to open.

It runs the real service (SQLite, the built-in SMTP listener, outbound mail written as .eml
files): a SENCO is registered, is emailed the request form, replies with two mistakes, gets
both back in one email with the form still filled in, replies with them corrected, and gets a
confirmation with the case reference. `intake.cli.demo_advice` goes on: advice asked for, given and
confirmed, and a reminder from the daily run.
"""

from __future__ import annotations

import argparse
import dataclasses
import email
import os
import re
import shutil
import smtplib
import socket
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from documents import get_form, read_pdf_fields, render_form
from documents.schema import TOKEN_FIELD
from intake.cases.accounts import add_professional
from intake.cli.demo_advice import tell_the_advice_story
from intake.cli.opened import opened
from intake.errors import CommandFailed
from intake.logs import configure_logging
from intake.replies import Thread, send_request_form
from intake.serve import RunningService
from intake.services import Services
from intake.views.case import case_document

# The two mistakes our professional makes: a postcode one character short, and no signature.
MISTAKES = {"postcode": "LE1 6Z", "signed_name": None}
SENCO = {
    "email": "h.michalowska@glanwy.sch.uk",
    "name": "Hélène Michałowska",
    "role": "SENCO",
    "organisation": "Glan Ŵy Primary School",
    "organisation_type": "Maintained school",
    "phone": "+441164960123",
}
WAIT_SECONDS = 30
# Left in every folder the demo makes: only a folder holding it is ever emptied by a later run.
MADE_BY_THE_DEMO = ".intake-demo"


def add_command(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="tell the whole story on embedded defaults")
    demo.add_argument(
        "--out",
        type=Path,
        help="a new or empty folder for the demo (default: $INTAKE_HOME/demo); a folder an "
        "earlier demo made is emptied first",
    )
    demo.set_defaults(run=run_demo)


DEMO_TRUSTED_DOMAINS = ("*.sch.uk", "*.gov.uk")


def say(text: str = "") -> None:
    print(text, flush=True)


def run_demo(args: argparse.Namespace) -> int:
    out: Path = args.out or Path(args.settings.home) / "demo"
    prepare_folder(out)
    if "INTAKE_LOG_LEVEL" not in os.environ:
        # The narration is the demo's output; the service's routine log lines would bury it.
        configure_logging("WARNING", args.settings.log_format)
    settings = dataclasses.replace(
        args.settings,
        home=out / "service",
        database_url=f"sqlite:///{out / 'service' / 'intake.db'}",
        smtp_url=None,
        imap_url=None,
        smtp_listen=_listen_address(args.settings.smtp_listen),
        # The story's school and council addresses, trusted as a council trusts its partners'
        # secure mail, so that its receipts and forms travel attached.
        trusted_domains=args.settings.trusted_domains or DEMO_TRUSTED_DOMAINS,
        # The story's mail is written by the demo itself, with no receiving server to check it:
        # the From address is trusted here, as nowhere else (INTAKE_SENDER_VERIFICATION).
        sender_verification="none",
    )
    with opened(settings, create=True) as services:
        service = RunningService(services, imap=False)
        try:
            service.start()
            tell_the_story(services, out)
        finally:
            service.stop()
    return 0


def prepare_folder(out: Path) -> None:
    """Make the demo's folder; or empty one an earlier demo made; or use an empty one. A folder
    with anything else in it is refused: the demo never deletes what it did not make."""
    if out.exists() and not out.is_dir():
        raise CommandFailed(f"{out} is not a folder: give --out a new or empty folder")
    if (out / MADE_BY_THE_DEMO).is_file():
        for entry in out.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    elif out.exists() and any(out.iterdir()):
        raise CommandFailed(
            f"{out} is not empty and an earlier demo did not make it: give --out a new or empty "
            "folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / MADE_BY_THE_DEMO).write_text("made by `intake demo`, which empties it on its next run\n")


def tell_the_story(services: Services, out: Path) -> None:
    host, port = services.settings.smtp_listen
    sent = Path(services.settings.home) / "outbox-sent"
    say(f"The service is running: SMTP listener on {host}:{port}, database and mail under {out}/")

    say("\n1. A school SENCO is given an account.")
    senco = add_professional(services, activate=True, **SENCO)
    say(f"   {senco.name} <{senco.email}>, {senco.role} at {senco.organisation_name}")

    say("\n2. The service emails her the request form, her work details already filled in.")
    with services.db.session() as session:
        thread = Thread(senco.email, None, (), None)
        send_request_form(services, session, senco, thread)
    services.wake_sender()
    form_email = _next_email(sent, 1)
    pdf = _attachment(form_email, ".pdf")
    token = read_pdf_fields(pdf).fields[TOKEN_FIELD]
    show(form_email, out / "1-request-form-email.eml", pdf, out / "1-request-form.pdf")

    form = get_form("request")
    say("\n3. She fills it in, but gets the child's postcode wrong and forgets to sign,")
    say("   and replies with the form and her supporting documents attached.")
    with_mistakes = render_form(form, values={**form.example, **MISTAKES}, token=token)
    (out / "2-filled-with-mistakes.pdf").write_bytes(with_mistakes)
    _reply(services, SENCO["name"], senco.email, form_email, with_mistakes)
    problems = _next_email(sent, 2)
    say("\n4. Within seconds the service answers, naming every problem at once:")
    show(
        problems,
        out / "2-problems-email.eml",
        _attachment(problems, ".pdf"),
        out / "2-returned-form.pdf",
    )

    say("\n5. She corrects the two answers in the returned form and replies again.")
    corrected = render_form(form, values=form.example, token=token)
    (out / "3-corrected.pdf").write_bytes(corrected)
    _reply(services, SENCO["name"], senco.email, problems, corrected)
    confirmation = _next_email(sent, 3)
    say("\n6. The request is recorded and confirmed:")
    show(
        confirmation,
        out / "3-confirmation-email.eml",
        _attachment(confirmation, ".pdf"),
        out / "3-receipt.pdf",
    )

    found = re.search(r"EHC-\d{4}-\d{6}", confirmation["Subject"])
    case = case_document(services, found.group(0), viewer="demo") if found else None
    if case is None:
        raise CommandFailed("the demo did not go as told: no case was recorded")
    say(
        f'\n7. The caseworker\'s view of {case["reference"]}: stage "{case["stage_name"]}", day 0 '
        f"{case['day0']}"
    )
    for m in case["milestones"][1:]:
        say(f"   {m['label']}: due {m['due']} ({m['days_left']} days left)")
    tell_the_advice_story(
        services,
        out,
        case["reference"],
        say=say,
        next_email=lambda count: _next_email(sent, count),
        show=show,
        reply=lambda name, address, ours, pdf, filename, files: _reply(
            services, name, address, ours, pdf, filename, files
        ),
        attachment=_attachment,
        emails_so_far=3,
    )
    say(f"\nEvery email and PDF is in {out}/ ; the service's own files are in {out}/service/.")
    say(f"Try: INTAKE_HOME={out}/service intake case show {case['reference']} --json")


def show(message: EmailMessage, eml_path: Path, pdf: bytes, pdf_path: Path) -> None:
    eml_path.write_bytes(bytes(message))
    pdf_path.write_bytes(pdf)
    say(f"   Subject: {message['Subject']}")
    body = message.get_body(("plain",)).get_content()
    for line in body.split("\n--\n")[0].strip().splitlines():
        say(f"   | {line}")
    say(f"   saved: {eml_path.name}, attachment {pdf_path.name}")


def _reply(
    services: Services,
    name: str,
    sender: str,
    ours: EmailMessage,
    pdf: bytes,
    filename: str = "request-form.pdf",
    files: list[str] | None = None,
) -> None:
    """Reply to one of our emails with a filled form and the files it lists (stand-in contents)."""
    if files is None:
        files = [v for k, v in get_form("request").example.items() if k.endswith(".file")]
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = ours["Reply-To"] or services.settings.address
    msg["Subject"] = "Re: " + ours["Subject"]
    msg["In-Reply-To"] = ours["Message-ID"]
    msg["References"] = ours["Message-ID"]
    msg["Message-ID"] = email.utils.make_msgid(domain="glanwy.sch.uk")
    msg.set_content("Please find the completed form attached.")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    for listed in files:
        msg.add_attachment(
            f"(contents of {listed})".encode(),
            maintype="application",
            subtype="octet-stream",
            filename=listed,
        )
    host, port = services.settings.smtp_listen
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.send_message(msg)


def _next_email(folder: Path, count: int) -> EmailMessage:
    """Wait for the `count`-th email the service writes, and return it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.eml")) if folder.exists() else []
        if len(files) >= count:
            return email.message_from_bytes(files[count - 1].read_bytes(), policy=default_policy)
        time.sleep(0.1)
    raise CommandFailed(f"the demo did not go as told: no reply within {WAIT_SECONDS} s")


def _attachment(message: EmailMessage, suffix: str) -> bytes:
    for part in message.iter_attachments():
        if (part.get_filename() or "").endswith(suffix):
            return part.get_content()
    raise CommandFailed("the demo did not go as told: an expected attachment is missing")


def _listen_address(wanted: tuple[str, int]) -> tuple[str, int]:
    """The configured listener address, or a free port beside it when that one is taken."""
    host, port = wanted
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
            return host, port
        except OSError:
            probe.bind((host, 0))
            return host, probe.getsockname()[1]
