"""The registration web form: the registration PDF's questions (one form definition drives both,
documents/forms/registration.py) plus the email address, which by email is the sender's own.
Every problem is shown at once, worded as the emailed reply words them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from documents import FieldType, get_form, normalise_email, validate
from documents.schema import CheckContext
from intake.accounts.registration import register
from intake.reasons import Reason
from portal.forms import CheckedForm, SentForm
from portal.identity import services_of
from portal.pages import problem, render, worded

FORM = get_form("registration")
EMAIL_FIELD = "email"
# Reasons that would tell a stranger whether an address has an account: the page says only
# "check your email", as it does for a new one, and the email says the rest.
SAID_BY_EMAIL_ONLY = frozenset(
    {"already-registered", "registration-pending", "registration-declined"}
)


def questions() -> list:
    return [f for s in FORM.steps for f in s.fields]


def answers_from(form: SentForm) -> dict[str, object]:
    answers: dict[str, object] = {}
    for field in questions():
        if field.type is FieldType.CHECKBOX:
            answers[field.name] = form.text(field.name) == "yes"
        else:
            answers[field.name] = form.text(field.name)
    return answers


def show_register(request: Request) -> Response:
    return render(request, "register.html", form=FORM, questions=questions())


def take_register(request: Request, form: CheckedForm) -> Response:
    services = services_of(request)
    answers = answers_from(form)
    address = normalise_email(form.stripped(EMAIL_FIELD))
    problems = []
    if not form.stripped(EMAIL_FIELD):
        problems.append(problem("email-missing", EMAIL_FIELD))
    elif address is None:
        problems.append(problem("email-invalid-web", EMAIL_FIELD))
    validation = validate(FORM, answers, CheckContext(today=services.today()))
    problems += worded((Reason.from_rejection(r, FORM) for r in validation.rejections), FORM.kind)
    values = {**answers, EMAIL_FIELD: form.stripped(EMAIL_FIELD)}
    if problems:
        return render(
            request,
            "register.html",
            form=FORM,
            questions=questions(),
            problems=problems,
            values=values,
        )
    given = validation.answers
    with services.db.session() as session:
        professional, reasons = register(
            services,
            session,
            email=address,
            name=given["name"],
            role=given["role"],
            organisation=given["organisation_name"],
            organisation_type=given["organisation_type"],
            phone=given["work_phone"],
            organisation_id=given["organisation_id"] or None,
            via="web",
        )
    told = [r for r in reasons if r.code not in SAID_BY_EMAIL_ONLY]
    if professional is None and told:
        return render(
            request,
            "register.html",
            form=FORM,
            questions=questions(),
            problems=worded(told, FORM.kind),
            values=values,
        )
    return render(request, "register_sent.html", email=address)
