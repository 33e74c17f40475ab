"""`intake forms schema|example|render|check`: the forms. Only a personalised render
(`--professional`, `--advice-request`) opens the database; the rest need none."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from documents import (
    KINDS,
    SPECIMEN,
    FormCheck,
    check_pdf,
    describe,
    get_form,
    issue_token,
    render_form,
)
from intake.cases.accounts import find_professional
from intake.cases.advice_requests import advice_form, find_advice_request
from intake.cli.args import Choice
from intake.cli.opened import opened
from intake.errors import CommandFailed
from intake.replies import personal_request_form
from store import Professional

KIND = Choice(KINDS)


def add_commands(commands: argparse._SubParsersAction) -> None:
    forms = commands.add_parser("forms", help="the forms: schema, example answers, render, check")
    sub = forms.add_subparsers(
        dest="forms_command", required=True, metavar="ACTION",
        help="schema, example, render or check",
    )  # fmt: skip

    schema = sub.add_parser("schema", help="a form's steps, fields and rules")
    schema.add_argument("kind", type=KIND, metavar="KIND", help=KIND.help())
    schema.add_argument("--json", action="store_true", help="print JSON")
    schema.set_defaults(run=run_schema)

    example = sub.add_parser("example", help="a complete, valid set of answers")
    example.add_argument("kind", type=KIND, metavar="KIND", help=KIND.help())
    example.add_argument("--json", action="store_true", help="print JSON")
    example.set_defaults(run=run_example)

    render = sub.add_parser("render", help="write a fillable PDF")
    render.add_argument("kind", type=KIND, metavar="KIND", help=KIND.help())
    render.add_argument("--professional", metavar="EMAIL", help="pre-fill for this account")
    render.add_argument("--advice-request", metavar="REF", help="the advice request it answers")
    render.add_argument("--out", required=True, type=Path, metavar="FILE", help="PDF to write")
    render.set_defaults(run=run_render)

    check = sub.add_parser("check", help="read a filled PDF and validate every step")
    check.add_argument("file", type=Path, metavar="FILE.pdf", help="the filled PDF to read")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=run_check)


def run_schema(args: argparse.Namespace) -> int:
    form = get_form(args.kind)
    if args.json:
        print(json.dumps(form.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{form.title} ({form.form_id})")
    for s in form.steps:
        print(f"\nStep {s.number} of {len(form.steps)}: {s.title}")
        for f in s.fields:
            need = "required" if f.required else "optional"
            print(f"  {f.name:<40} {f.type.value:<12} {need}")
    print(f"\n{len(form.rules)} rules: " + ", ".join(r.name for r in form.rules))
    return 0


def run_example(args: argparse.Namespace) -> int:
    form = get_form(args.kind)
    if args.json:
        print(json.dumps(dict(form.example), ensure_ascii=False, indent=2))
    else:
        for name, value in form.example.items():
            print(f"{name}: {value}")
    return 0


def run_render(args: argparse.Namespace) -> int:
    form = get_form(args.kind)
    if args.professional or args.advice_request:
        pdf, issued_to = personal_form(args)
    else:
        token = issue_token(args.settings.token_key(), form.kind, SPECIMEN, today=date.today())
        pdf, issued_to = render_form(form, token=token), "specimen"
    try:
        args.out.write_bytes(pdf)
    except OSError as exc:
        raise CommandFailed(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"wrote {args.out} ({form.title}, {issued_to}, {len(pdf):,} bytes)", file=sys.stderr)
    return 0


def personal_form(args: argparse.Namespace) -> tuple[bytes, str]:
    """A request form for an account, or the advice form of one advice request, with a token of
    its own; CommandFailed when the options do not fit the kind or name nothing we hold."""
    if args.kind == "registration":
        raise CommandFailed("a registration form is for someone without an account: no options")
    if args.kind == "request" and args.advice_request:
        raise CommandFailed("--advice-request goes with the advice form, not the request form")
    if args.kind == "advice" and not args.advice_request:
        raise CommandFailed("an advice form answers one advice request: give --advice-request REF")
    with opened(args.settings) as services, services.db.session() as session:
        if args.kind == "request":
            professional = _active_account(session, args.professional)
            _, attachment = personal_request_form(services, professional)
            return attachment.data, f"issued to {professional.email}"
        request = find_advice_request(session, args.advice_request)
        if request is None:
            raise CommandFailed(f"no advice request {args.advice_request}")
        professional = request.professional
        if args.professional and _active_account(session, args.professional) != professional:
            raise CommandFailed(
                f"advice request {request.reference} was sent to {professional.email}, "
                f"not {args.professional}"
            )
        _, attachment = advice_form(
            services, request.case, professional, request, today=services.today()
        )
        return attachment.data, f"for {request.reference}, issued to {professional.email}"


def _active_account(session, address: str) -> Professional:
    professional = find_professional(session, address)
    if professional is None:
        raise CommandFailed(f"no professional with the address {address}")
    if not professional.is_active:
        # The form carries their details and, for advice, the child's: active accounts only.
        raise CommandFailed(f"{professional.email} has no active account")
    return professional


def run_check(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CommandFailed(f"cannot read {args.file}: {exc.strerror}") from None
    result = check_pdf(data, key=args.settings.token_key(), today=date.today())
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_check(result)
    if not result.ok:
        print(f"intake: {failure_reason(result)}", file=sys.stderr)
        return 1
    return 0


def failure_reason(result: FormCheck) -> str:
    if not result.readable:
        return result.detail or result.outcome
    count = len(result.problems())
    if count:
        return f"{count} problem{'s' if count != 1 else ''} in the {result.form.kind} form"
    return result.detail


def print_check(result: FormCheck) -> None:
    if not result.readable:
        print(f"Not read: {result.detail}")
        return
    form = result.form
    token = result.token
    token_text = "specimen (issued to nobody)" if token.specimen else "valid"
    print(f"{form.title}: token {token_text if token.valid else 'NOT valid: ' + str(token.reason)}")
    for s in form.steps:
        errors = result.validation.errors_in_step(s.number)
        status = "ok" if not errors else f"{len(errors)} problem{'s' if len(errors) > 1 else ''}"
        print(f"Step {s.number} of {len(form.steps)}, {s.title}: {status}")
        for r in errors:
            print(f"  - {describe(r, form)}")
