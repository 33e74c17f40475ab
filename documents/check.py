"""Judge a returned PDF on its own: read it safely, know which form it is, check its token and
validate every step. No database: checks against records (the case exists, the date of birth
matches) happen on ingest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from documents.forms import FORMS
from documents.messages import describe
from documents.pdf.read.reader import PdfRead, PdfSandbox, ReadOutcome, read_pdf_fields
from documents.pdfvalues import answers_from_pdf
from documents.schema import FORM_ID_FIELD, TOKEN_FIELD, CheckContext, FormDefinition, Rejection
from documents.tokens import TokenCheck, verify_token
from documents.validate import Validation, validate

# Outcomes of a check beyond the reader's: the PDF has fields, but they are not one of our forms.
NOT_OUR_FORM = "not-our-form"


@dataclass(frozen=True)
class FormCheck:
    """What a PDF turned out to be, and, for one of our forms, every problem with it."""

    outcome: str
    detail: str = ""
    form: FormDefinition | None = None
    token: TokenCheck | None = None
    validation: Validation | None = None
    # The token as written in the PDF, whether or not it verified.
    token_text: str | None = None

    @property
    def readable(self) -> bool:
        return self.form is not None

    @property
    def ok(self) -> bool:
        """Read, ours, token valid and every step valid."""
        return bool(self.form and self.token and self.token.valid and self.validation.ok)

    def problems(self) -> tuple[Rejection, ...]:
        if self.validation is None:
            return ()
        return self.validation.rejections

    def as_dict(self) -> dict[str, Any]:
        """The `forms check --json` document (README: the command contract)."""
        out: dict[str, Any] = {
            "form": self.form.kind if self.form else None,
            "outcome": self.outcome,
            "detail": self.detail,
            "fields": self.validation.answers if self.validation else {},
            "token": self.token.as_dict() if self.token else {"valid": False, "reason": "unread"},
            "steps": [],
        }
        if self.form and self.validation:
            for s in self.form.steps:
                errors = [
                    {"field": r.field, "code": r.code, "message": describe(r, self.form)}
                    for r in self.validation.errors_in_step(s.number)
                ]
                out["steps"].append({"step": s.number, "ok": not errors, "errors": errors})
        return out


def identify_form(fields: dict[str, Any]) -> FormDefinition | None:
    form_id = fields.get(FORM_ID_FIELD)
    return next((f for f in FORMS.values() if f.form_id == form_id), None)


def check_pdf(
    data: bytes,
    *,
    key: bytes,
    today: date,
    sandbox: PdfSandbox | None = None,
    passwords: Sequence[str] = (),
) -> FormCheck:
    """Read, identify, verify the token of and validate one PDF; never raises on bad input.
    An encrypted PDF is opened with the first of `passwords` that fits."""
    read: PdfRead = (
        sandbox.read(data, passwords) if sandbox else read_pdf_fields(data, passwords=passwords)
    )
    if read.outcome is not ReadOutcome.OK:
        return FormCheck(str(read.outcome), read.detail)
    form = identify_form(read.fields)
    if form is None:
        return FormCheck(NOT_OUR_FORM, "the PDF has form fields, but it is not one of our forms")
    raw_token = read.fields.get(TOKEN_FIELD)
    token_text = raw_token.strip().lower() if isinstance(raw_token, str) else None
    token = verify_token(key, token_text, today=today)
    if token.valid and token.kind != form.kind:
        token = TokenCheck(
            False, "wrong-form", token.kind, token.professional_id, token.subject_id, token.expires
        )
    answers = answers_from_pdf(form, read.fields)
    validation = validate(form, answers, CheckContext(today=today))
    detail = "" if token.valid else f"the form's token is not valid ({token.reason})"
    return FormCheck("ok", detail, form, token, validation, token_text or None)
