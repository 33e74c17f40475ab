"""The second half of `intake demo`: the caseworker asks for advice, an educational psychologist
replies with the advice form, and the daily run reminds a social worker whose advice is due.

`intake.cli.demo` tells the request half and hands over the running service, the case reference and
the helpers that wait for, show and answer the service's emails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from documents import get_form, prefill_values, read_pdf_fields, render_form
from documents.schema import TOKEN_FIELD
from intake.cases.accounts import add_professional
from intake.cases.advice_requests import advice_form_facts, find_case, request_advice
from intake.errors import CommandFailed
from intake.reminders.run import run_reminders
from intake.reminders.working_days import WorkingDays
from intake.services import Services
from store import Professional

ADVICE = get_form("advice")
PSYCHOLOGIST = {
    "email": ADVICE.example["work_email"],
    "name": ADVICE.example["author_name"],
    "role": ADVICE.example["author_role"],
    "organisation": ADVICE.example["organisation"],
}
SOCIAL_WORKER = {
    "email": "a.okafor@childrens-services.example.gov.uk",
    "name": "Adaeze Okafor",
    "role": "Social worker/Early help worker",
    "organisation": "Children's Social Care",
}
CASEWORKER = "caseworker@send.example.gov.uk"
REMINDER_LEAD = timedelta(days=14)


def tell_the_advice_story(
    services: Services,
    out: Path,
    case_reference: str,
    *,
    say: Callable[[str], None],
    next_email: Callable[[int], EmailMessage],
    show: Callable[[EmailMessage, Path, bytes, Path], None],
    reply: Callable[[str, str, EmailMessage, bytes, str, list[str]], None],
    attachment: Callable[[EmailMessage, str], bytes],
    emails_so_far: int,
) -> None:
    today = services.today()
    say("\n8. The caseworker asks an educational psychologist for advice.")
    psychologist = add_professional(services, activate=True, **PSYCHOLOGIST)
    answers = _ask(services, case_reference, psychologist.email, "psychological", today)
    asked = next_email(emails_so_far + 1)
    form_pdf = attachment(asked, ".pdf")
    show(asked, out / "4-advice-request-email.eml", form_pdf, out / "4-advice-form.pdf")

    say("\n9. He completes the advice form (the child's details were already on it) and replies")
    say("   with his two reports attached.")
    token = read_pdf_fields(form_pdf).fields[TOKEN_FIELD]
    filled = render_form(ADVICE, values=answers, token=token)
    (out / "5-advice-filled.pdf").write_bytes(filled)
    reports = [answers[f"documents[{row}].file"] for row in (1, 2)]
    reply(psychologist.name, psychologist.email, asked, filled, "advice-form.pdf", reports)
    received = next_email(emails_so_far + 2)
    say("\n10. The advice is recorded against the case and confirmed:")
    receipt = attachment(received, ".pdf")
    show(received, out / "5-advice-confirmation.eml", receipt, out / "5-advice-receipt.pdf")

    run_on = _ask_and_pick_reminder_day(services, case_reference, today)
    next_email(emails_so_far + 3)  # the social care advice request itself
    say("\n11. Social care advice is asked for too, and is not back yet. Two weeks before it is")
    say(f"    due, on {run_on:%A %d %B %Y}, the daily run (`intake remind`) reminds the")
    say("    social worker:")
    report = run_reminders(services, run_on)
    if not report.advice_count:
        raise CommandFailed("the demo did not go as told: the reminder run queued nothing")
    services.wake_sender()
    reminder = next_email(emails_so_far + 4)
    reminder_path = out / "6-reminder-email.eml"
    reminder_path.write_bytes(bytes(reminder))
    say(f"    Subject: {reminder['Subject']}")
    body = reminder.get_body(("plain",)).get_content()
    for line in body.split("\n--\n")[0].strip().splitlines():
        say(f"    | {line}")
    again = run_reminders(services, run_on)
    if again.advice_count:
        raise CommandFailed("the demo did not go as told: a second run reminded again")
    say(f"    saved: {reminder_path.name}. Run again that day, it finds all {again.already_sent}")
    say("    reminder(s) already sent and queues nothing.")


def _ask(
    services: Services, case_reference: str, email: str, advice_type: str, today: date
) -> dict:
    """Ask `email` for advice on the case; the answers a careful professional would send back."""
    with services.db.session() as session:
        case = find_case(session, case_reference)
        professional = session.scalar(select(Professional).where(Professional.email == email))
        request = request_advice(
            services, session, case, professional, advice_type, today=today, actor=CASEWORKER
        )
        known = prefill_values(ADVICE, advice_form_facts(case, professional, request))
    services.wake_sender()
    return {
        **ADVICE.example,
        **known,
        "date_request_received": today.isoformat(),
        "signed_date": today.isoformat(),
    }


def _ask_and_pick_reminder_day(services: Services, case_reference: str, today: date) -> date:
    add_professional(services, activate=True, **SOCIAL_WORKER)
    _ask(services, case_reference, SOCIAL_WORKER["email"], "social care", today)
    # Six weeks out, less two: the "14 days to go" reminder, on the working day it falls on.
    return WorkingDays(services.settings.closed_days).next(
        today + timedelta(weeks=6) - REMINDER_LEAD
    )
