"""`intake demo`: the story told on embedded defaults, narrated, leaving its files to open.

Today it covers the forms: a request form is issued, comes back with two mistakes, is answered
with both, and comes back right. The email legs join as the request flow lands.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from documents import SPECIMEN, check_pdf, describe, get_form, issue_token, render_form

from .errors import CommandFailed

# The two mistakes our professional makes: a postcode one character short, and no signature.
MISTAKES = {"postcode": "LE1 6Z", "signed_name": None}


def add_command(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="tell the whole story on embedded defaults")
    demo.add_argument(
        "--out", type=Path, help="folder for the demo's files (default: $INTAKE_HOME/demo)"
    )
    demo.set_defaults(run=run_demo)


def say(text: str) -> None:
    print(text, flush=True)


def run_demo(args: argparse.Namespace) -> int:
    settings = args.settings
    out: Path = args.out or settings.home / "demo"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandFailed(f"cannot create {out}: {exc.strerror}") from None
    key, today = settings.token_key(), date.today()
    form = get_form("request")
    token = issue_token(key, form.kind, SPECIMEN, today=today)

    say(f'1. The service issues "{form.title}" as a fillable PDF.')
    blank = _write(out / "1-request-form.pdf", render_form(form, token=token))
    say(f"   {blank}  ({len(form.steps)} steps, signed token inside)")

    say("2. A SENCO fills it in, but gets the postcode wrong and forgets to sign.")
    answers = {**form.example, **MISTAKES}
    wrong = _write(
        out / "2-filled-with-mistakes.pdf", render_form(form, values=answers, token=token)
    )
    say(f"   {wrong}")

    say("3. The service reads the PDF back and checks every step at once:")
    first = check_pdf(wrong.read_bytes(), key=key, today=today)
    for problem in first.problems():
        say(f"   - step {problem.step}: {describe(problem, form)}")
    say(f"   {len(first.problems())} problems found; the SENCO's answers are all kept in the PDF.")

    say("4. The SENCO corrects the two answers and sends it again.")
    right = _write(out / "3-corrected.pdf", render_form(form, values=form.example, token=token))
    second = check_pdf(right.read_bytes(), key=key, today=today)
    verdict = "every step valid" if second.ok else f"{len(second.problems())} problems"
    say(f"   {right}: {verdict}, token {'valid' if second.token.valid else 'invalid'}.")

    say(f"\nThe PDFs are in {out}/ ; open them in any PDF viewer.")
    say("Try: intake forms check " + str(right) + " --json")
    if len(first.problems()) != len(MISTAKES) or not second.ok:
        raise CommandFailed("the demo did not go as told: see the output above")
    return 0


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
