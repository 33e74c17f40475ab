"""The caseworkers' case page and its actions: the child, the clock (red, amber or green against
the statutory limits), every submission's answers by step, the files, advice requests with their
clocks and the audit trail; moving the stage, recording an exception, asking for advice and
sending an advice reminder now.

The work is the CLI's (`intake case stage|exception`, `intake advice request`): these pages call
the same functions in intake.cases and intake.reminders, and show a refusal as the CLI words it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.cases.accounts import find_professional
from intake.cases.advice_requests import (
    ADVICE_TYPES,
    find_advice_request,
    find_case,
    request_advice,
)
from intake.cases.stages import move_case, record_exception
from intake.cases.timeline import ExceptionGround, stage_name
from intake.errors import CommandFailed
from intake.reminders.by_hand import send_reminder_now
from intake.views.case import case_document, form_version_label
from intake.views.case_page import (
    case_attachment,
    caseworker_case_view,
    record_file_downloaded,
)
from portal.casework.caseworkers import Caseworker
from portal.forms import CheckedForm, SentForm
from portal.identity import services_of
from portal.pages import Problem, problem, render
from store import Professional


def case_page(
    request: Request,
    reference: str,
    caseworker: Professional,
    *,
    problems: Iterable[Problem] = (),
    values: dict[str, str] | None = None,
) -> Response:
    """The case page, recording that `caseworker` looked at it."""
    services = services_of(request)
    today = services.today()
    document = caseworker_case_view(
        services, reference, today, viewer=caseworker.email, via="portal case page"
    )
    if document is None:
        raise HTTPException(404)
    return render(
        request,
        "case.html",
        problems=problems,
        values=values or {},
        case=document,
        moves=[(m, stage_name(m)) for m in document["allowed_moves"]],
        grounds=[g.value for g in ExceptionGround],
        advice_types=ADVICE_TYPES,
        audit=document["audit"],
        notice=request.session.pop("case_notice", None),
        today=today.isoformat(),
    )


def done(request: Request, reference: str, notice: dict[str, Any]) -> Response:
    """After an action: back to the case page (a reload does not repeat the action)."""
    request.session["case_notice"] = notice
    return RedirectResponse(f"/cases/{quote(reference.upper())}", status_code=303)


def wake_sender(request: Request) -> None:
    """After an action that queued mail has committed: send it now, not at the next interval."""
    wake = services_of(request).wake_sender
    if wake is not None:
        wake()


def show_case(request: Request, reference: str, caseworker: Caseworker) -> Response:
    return case_page(request, reference, caseworker)


def download_file(
    request: Request, reference: str, attachment_id: int, caseworker: Caseworker
) -> Response:
    services = services_of(request)
    with services.db.session() as session:
        case = find_case(session, reference)
        attachment = case_attachment(session, case, attachment_id) if case else None
        if attachment is None:
            raise HTTPException(404)
        record_file_downloaded(session, case, attachment, caseworker.email)
        filename, digest = attachment.filename, attachment.sha256
    body = services.attachments.get(digest)
    # Always a download, never shown in the browser: the bytes came from a stranger's email.
    disposition = (
        f"attachment; filename=\"{ascii_name(filename)}\"; filename*=UTF-8''{quote(filename)}"
    )
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


def ascii_name(filename: str) -> str:
    """The name for old browsers: ASCII, without quotes or backslashes."""
    kept = filename.encode("ascii", "replace").decode()
    return "".join(c if c.isprintable() and c not in '"\\?' else "_" for c in kept)


def parsed_date(form: SentForm, name: str, problems: list[Problem], *, required: bool):
    text = form.stripped(name)
    if not text:
        if required:
            problems.append(problem("date-missing", name))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(problem("date-invalid", name))
        return None


def take_stage_move(
    request: Request, reference: str, form: CheckedForm, caseworker: Caseworker
) -> Response:
    services = services_of(request)
    problems: list[Problem] = []
    wanted = form.stripped("stage")
    on = parsed_date(form, "on", problems, required=False)
    if not wanted:
        problems.append(problem("stage-missing", "stage"))
    if not problems:
        with services.db.session() as session:
            case = find_case(session, reference)
            if case is None:
                raise HTTPException(404)
            move = move_case(services, session, case, wanted, actor=caseworker.email, on=on)
            if move.done:
                return done(request, reference, {"kind": "moved", "to": stage_name(move.to_stage)})
            session.rollback()
        problems.append(Problem("stage", move.reason))
    return case_page(request, reference, caseworker, problems=problems, values=dict(form))


def take_exception(
    request: Request, reference: str, form: CheckedForm, caseworker: Caseworker
) -> Response:
    services = services_of(request)
    problems: list[Problem] = []
    ground = form.stripped("ground")
    if not ground:
        problems.append(problem("ground-missing", "ground"))
    start = parsed_date(form, "start", problems, required=True)
    end = parsed_date(form, "end", problems, required=False)
    informed = parsed_date(form, "family_informed_on", problems, required=False)
    if not problems:
        with services.db.session() as session:
            case = find_case(session, reference)
            if case is None:
                raise HTTPException(404)
            recorded = record_exception(
                services, session, case, ground=ground, start=start, end=end,
                family_informed_on=informed, note=form.stripped("note") or None,
                actor=caseworker.email,
            )  # fmt: skip
            if recorded.done:
                return done(request, reference, {"kind": "exception", "ground": recorded.ground})
            session.rollback()
        problems.append(Problem("ground", recorded.reason))
    return case_page(request, reference, caseworker, problems=problems, values=dict(form))


def take_advice_request(
    request: Request, reference: str, form: CheckedForm, caseworker: Caseworker
) -> Response:
    services = services_of(request)
    problems: list[Problem] = []
    email, advice_type = form.stripped("professional"), form.stripped("advice_type")
    if not email:
        problems.append(problem("professional-email-missing", "professional"))
    if advice_type not in ADVICE_TYPES:
        problems.append(problem("advice-type-missing", "advice_type"))
    due = parsed_date(form, "due", problems, required=False)
    asked_notice = None
    if not problems:
        with services.db.session() as session:
            case = find_case(session, reference)
            if case is None:
                raise HTTPException(404)
            professional = find_professional(session, email)
            if professional is None:
                problems.append(problem("professional-unknown", "professional", email=email))
            else:
                try:
                    asked = request_advice(
                        services, session, case, professional, advice_type, due=due,
                        today=services.today(), actor=caseworker.email,
                    )  # fmt: skip
                    asked_notice = {"kind": "advice", "reference": asked.reference}
                except CommandFailed as failed:
                    session.rollback()
                    # The account, the case or the due date: CommandFailed's line says which.
                    problems.append(Problem(None, str(failed)))
    if asked_notice is not None:  # committed, so its email can go
        wake_sender(request)
        return done(request, reference, asked_notice)
    return case_page(request, reference, caseworker, problems=problems, values=dict(form))


def take_reminder(
    request: Request, reference: str, advice_reference: str, form: CheckedForm,
    caseworker: Caseworker,
) -> Response:  # fmt: skip
    services = services_of(request)
    with services.db.session() as session:
        case = find_case(session, reference)
        advice = find_advice_request(session, advice_reference)
        if case is None or advice is None or advice.case_id != case.id:
            raise HTTPException(404)
        sent = send_reminder_now(
            services, session, advice, actor=caseworker.email, today=services.today()
        )
    if sent.outbox_id is None:
        failed = problem(f"reminder-{sent.refusal}", None, reference=advice.reference)
        return case_page(request, reference, caseworker, problems=[failed])
    wake_sender(request)
    return done(request, reference, {"kind": "reminded", "reference": advice_reference.upper()})


# (method, path, endpoint), all for caseworkers only: portal.app adds them to its table.
ROUTES = (
    ("GET", "/cases/{reference}", show_case),
    ("GET", "/cases/{reference}/files/{attachment_id}", download_file),
    ("POST", "/cases/{reference}/stage", take_stage_move),
    ("POST", "/cases/{reference}/exception", take_exception),
    ("POST", "/cases/{reference}/advice", take_advice_request),
    ("POST", "/cases/{reference}/advice/{advice_reference}/remind", take_reminder),
)
