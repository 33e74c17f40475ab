"""One inbound message for a caseworker: GET /messages/{id} shows what arrived and why it ended
where it did (intake.views.message), with the actions its status allows; POSTs release it
from quarantine, process it again, or reject it with a reason emailed to the sender
(intake.pipeline.held); GET /messages/{id}/raw downloads it as it arrived. Every view and
download is written in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.pipeline import held
from intake.screening.attachments import size_in_words
from intake.services import Services
from intake.views.message import message_view, raw_of
from portal.forms import CheckedForm
from portal.identity import services_of
from portal.pages import Problem, problem, render
from portal.queue.access import Caseworker, local_time, number_in_path
from store import InboundMessage

# The caseworker's reason is emailed as it is typed: a few sentences, not a letter.
MAX_WHY = 1000
MAX_NOTE = 500


def _wake_pipeline(request: Request) -> None:
    wake = services_of(request).wake_pipeline
    if wake is not None:
        wake()


def actions_for(status: str) -> dict[str, bool]:
    return {
        "release": status in held.RELEASABLE,
        "process_again": status in held.TO_PROCESS_AGAIN,
        "reject": status in held.REJECTABLE,
    }


def show_message(request: Request, caseworker: Caseworker, inbound_id: str) -> Response:
    return message_response(request, caseworker, number_in_path(inbound_id))


def viewed_message(services: Services, number: int, actor: str) -> dict | None:
    """The message's view (intake.views.message), its viewing by `actor` audited; None when
    there is no such message. The page and the API show this."""
    with services.db.session() as session:
        if session.get(InboundMessage, number) is None:
            return None
        held.record_message_event(session, "message-viewed", number, actor)
    return message_view(services, number)


def message_response(
    request: Request,
    caseworker,
    number: int,
    problems: list[Problem] | None = None,
    values: dict | None = None,
) -> Response:
    """The message's page (with `problems` in a form sent back), its view audited."""
    view = viewed_message(services_of(request), number, caseworker.email)
    if view is None:
        raise HTTPException(status_code=404)
    return render(
        request,
        "message.html",
        message=view,
        actions=actions_for(view["status"]),
        notice=request.session.pop("notice", None),
        when=lambda value: local_time(request, value),
        size=size_in_words,
        problems=problems or [],
        values=values or {},
    )


def download_raw(request: Request, caseworker: Caseworker, inbound_id: str) -> Response:
    services = services_of(request)
    number = number_in_path(inbound_id)
    with services.db.session() as session:
        message = session.get(InboundMessage, number)
        raw = raw_of(services, message) if message is not None else None
        if raw is None:
            raise HTTPException(status_code=404)
        held.record_message_event(session, "message-downloaded", number, caseworker.email)
    return Response(
        raw,
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="message-{number}.eml"',
            "Cache-Control": "no-store",
        },
    )


def _act(
    request: Request,
    inbound_id: str,
    act: Callable[..., held.Action],
    notice: str,
    **options,
) -> Response:
    services = services_of(request)
    number = number_in_path(inbound_id)
    with services.db.session() as session:
        if session.get(InboundMessage, number) is None:
            raise HTTPException(status_code=404)
        outcome = act(services, session, number, **options)
    if outcome.done:
        request.session["notice"] = notice if not outcome.emailed else f"{notice}-emailed"
        _wake_pipeline(request)
    else:
        request.session["notice"] = "not-done"
    return RedirectResponse(f"/messages/{number}", status_code=303)


def release(request: Request, form: CheckedForm, caseworker: Caseworker, inbound_id: str):
    note = form.stripped("note")[:MAX_NOTE]
    return _act(
        request, inbound_id, held.release_message, "released", actor=caseworker.email, note=note
    )


def process_again(request: Request, form: CheckedForm, caseworker: Caseworker, inbound_id: str):
    note = form.stripped("note")[:MAX_NOTE]
    return _act(
        request, inbound_id, held.process_again, "processing-again", actor=caseworker.email,
        note=note,
    )  # fmt: skip


def reject(request: Request, form: CheckedForm, caseworker: Caseworker, inbound_id: str):
    why = form.stripped("why")
    problems = []
    if not why:
        problems.append(problem("rejection-reason-missing", "why"))
    elif len(why) > MAX_WHY:
        problems.append(problem("rejection-reason-too-long", "why", limit=MAX_WHY))
    if problems:
        return message_response(
            request, caseworker, number_in_path(inbound_id), problems, {"why": why}
        )
    return _act(
        request, inbound_id, held.reject_message, "rejected", actor=caseworker.email, why=why
    )
