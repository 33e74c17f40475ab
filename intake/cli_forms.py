"""`intake forms schema|example|render|check`: the forms, with no database needed."""

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

from .errors import CommandFailed


def add_commands(commands: argparse._SubParsersAction) -> None:
    forms = commands.add_parser("forms", help="the forms: schema, example answers, render, check")
    sub = forms.add_subparsers(dest="forms_command", required=True, metavar="ACTION")

    schema = sub.add_parser("schema", help="a form's steps, fields and rules")
    schema.add_argument("kind", choices=KINDS, metavar="KIND", help=" | ".join(KINDS))
    schema.add_argument("--json", action="store_true", help="print JSON")
    schema.set_defaults(run=run_schema)

    example = sub.add_parser("example", help="a complete, valid set of answers")
    example.add_argument("kind", choices=KINDS, metavar="KIND", help=" | ".join(KINDS))
    example.add_argument("--json", action="store_true", help="print JSON")
    example.set_defaults(run=run_example)

    render = sub.add_parser("render", help="write a fillable PDF")
    render.add_argument("kind", choices=KINDS, metavar="KIND", help=" | ".join(KINDS))
    render.add_argument("--professional", metavar="EMAIL", help="pre-fill for this account")
    render.add_argument("--advice-request", metavar="REF", help="the advice request it answers")
    render.add_argument("--out", required=True, type=Path, metavar="FILE", help="PDF to write")
    render.set_defaults(run=run_render)

    check = sub.add_parser("check", help="read a filled PDF and validate every step")
    check.add_argument("file", type=Path, metavar="FILE.pdf")
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
        # Accounts and advice requests live in the store, which arrives with the request flow.
        raise CommandFailed(
            "--professional and --advice-request need the account store, which this version "
            "does not have yet; leave them out for a specimen form"
        )
    token = issue_token(args.settings.token_key(), form.kind, SPECIMEN, today=date.today())
    pdf = render_form(form, token=token)
    try:
        args.out.write_bytes(pdf)
    except OSError as exc:
        raise CommandFailed(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"wrote {args.out} ({form.title}, specimen, {len(pdf):,} bytes)", file=sys.stderr)
    return 0


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
