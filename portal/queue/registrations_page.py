"""GET /registrations: the accounts waiting (registered, not yet active, not declined), newest
first, 50 a page; POST approve (a fresh activation link emailed) or decline with a reason (emailed
to the person), through intake.accounts.review."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.accounts.review import (
    MAX_REASON_LENGTH,
    approve_registration,
    count_waiting,
    decline_registration,
    registrations_waiting,
)
from portal.forms import CheckedForm
from portal.identity import services_of
from portal.pages import Problem, problem, render
from portal.queue.access import Caseworker, local_time, number_in_path
from portal.queue.queue_page import page_number

PAGE_SIZE = 50


def show_registrations(request: Request, caseworker: Caseworker, page: str = "1") -> Response:
    return registrations_response(request, page_number(page))


def registrations_response(
    request: Request,
    page: int = 1,
    problems: list[Problem] | None = None,
    values: dict | None = None,
    declining: int | None = None,
) -> Response:
    services = services_of(request)
    with services.db.session() as session:
        total = count_waiting(session)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        waiting = registrations_waiting(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        session.expunge_all()
    return render(
        request,
        "registrations.html",
        waiting=waiting,
        total=total,
        page=page,
        pages=pages,
        now=services.now(),
        when=lambda value: local_time(request, value),
        notice=request.session.pop("notice", None),
        problems=problems or [],
        values=values or {},
        declining=declining,
        max_reason=MAX_REASON_LENGTH,
    )


def approve(request: Request, form: CheckedForm, caseworker: Caseworker, professional_id: str):
    services = services_of(request)
    number = number_in_path(professional_id)
    with services.db.session() as session:
        approved = approve_registration(services, session, number, actor=caseworker.email)
        request.session["notice"] = {
            "kind": "approved" if approved else "not-waiting",
            "email": approved.email if approved else "",
        }
    if services.wake_sender is not None:
        services.wake_sender()
    return RedirectResponse("/registrations", status_code=303)


def decline(request: Request, form: CheckedForm, caseworker: Caseworker, professional_id: str):
    services = services_of(request)
    number = number_in_path(professional_id)
    why = form.stripped(f"why-{number}")
    problems = []
    if not why:
        problems.append(problem("decline-reason-missing", f"why-{number}"))
    elif len(why) > MAX_REASON_LENGTH:
        problems.append(
            problem("decline-reason-too-long", f"why-{number}", limit=MAX_REASON_LENGTH)
        )
    if problems:
        return registrations_response(
            request, problems=problems, values={f"why-{number}": why}, declining=number
        )
    with services.db.session() as session:
        declined = decline_registration(services, session, number, actor=caseworker.email, why=why)
        request.session["notice"] = {
            "kind": "declined" if declined else "not-waiting",
            "email": declined.email if declined else "",
        }
    if services.wake_sender is not None:
        services.wake_sender()
    return RedirectResponse("/registrations", status_code=303)
