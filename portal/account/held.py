"""Forms held until their sender proves the address they came from: the signed-in professional
sees their own held forms and enters the code we emailed for each, as an alternative to replying
with it (intake.pipeline.trust holds and releases them; the pipeline then records them).
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.accounts.codes import CodeResult
from intake.pipeline.trust import release_held_submission
from portal.forms import CheckedForm
from portal.identity import SignedIn, services_of
from portal.pages import problem, render
from store import InboundMessage, InboundStatus, Professional

CODE_RESULT_PROBLEMS = {
    CodeResult.WRONG: "code-wrong",
    CodeResult.EXPIRED: "held-code-expired",
    CodeResult.LOCKED: "account-locked",
}


def held_forms(request: Request, professional: Professional) -> list[dict]:
    """This professional's messages waiting for their code, newest first: when each came and
    its place in the list, never its subject (a subject may name a child)."""
    services = services_of(request)
    with services.db.session() as session:
        rows = session.execute(
            select(InboundMessage.id, InboundMessage.received_at)
            .where(
                InboundMessage.status == InboundStatus.AWAITING_VERIFICATION,
                InboundMessage.from_address == professional.email,
            )
            .order_by(InboundMessage.received_at.desc())
        ).all()
    return [{"id": row.id, "received_at": row.received_at} for row in rows]


def show_held(request: Request, professional: SignedIn) -> Response:
    notice = request.session.pop("notice", None)
    return render(request, "held.html", held=held_forms(request, professional), notice=notice)


def take_code(
    request: Request, inbound_id: int, form: CheckedForm, professional: SignedIn
) -> Response:
    services = services_of(request)
    field = f"code-{inbound_id}"
    code = form.stripped(field)
    if not code:
        problems = [problem("code-missing", field)]
    else:
        with services.db.session() as session:
            person = session.get(Professional, professional.id)
            result = release_held_submission(services, session, person, code, inbound_id)
        if result is CodeResult.OK:
            if services.wake_pipeline is not None:
                services.wake_pipeline()
            request.session["notice"] = "released"
            return RedirectResponse("/held", status_code=303)
        problems = [problem(CODE_RESULT_PROBLEMS[result], field)]
    return render(
        request,
        "held.html",
        held=held_forms(request, professional),
        problems=problems,
        status_code=400,
    )
