"""My children: the "select person" list of the cases a professional is part of, a progress page
for each, and their own forms fetched again (the request form with its token and latest answers,
or an advice form). A case they are not part of is "not found", whether or not it exists."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from intake.cases.timeline import shown_date
from intake.views.professional_cases import (
    case_progress_for,
    children_of,
    my_advice_form,
    my_case,
    my_receipt,
    my_request_form,
)
from notifier import Attachment
from portal.identity import SignedIn, services_of
from portal.pages import PAGE_HEADERS, Problem, render
from store import Professional

# What a download's file name may hold: references are letters, digits and hyphens already.
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9-]")


def show_children(request: Request, professional: SignedIn) -> Response:
    with services_of(request).db.session() as session:
        rows = children_of(session, professional)
    return render(request, "children.html", rows=rows, when=shown_date)


def progress_page(
    request: Request,
    professional: Professional,
    reference: str,
    *,
    problems: list[Problem] | None = None,
) -> Response:
    """The progress page of one case of the professional's (404 for any other)."""
    services = services_of(request)
    with services.db.session() as session:
        case = my_case(session, professional, reference)
        if case is None:
            raise HTTPException(404)
        progress = case_progress_for(session, case, professional, services.today())
        # Rendered here: the page reads the child's details from the open session.
        return render(
            request,
            "child_progress.html",
            case=progress,
            when=shown_date,
            problems=problems or [],
        )


def show_child(request: Request, professional: SignedIn, reference: str) -> Response:
    return progress_page(request, professional, reference)


def pdf_download(reference: str, name: str, attachment: Attachment) -> Response:
    filename = "-".join(_UNSAFE_IN_FILE_NAME.sub("", part) for part in (reference, name) if part)
    filename += ".pdf"
    return Response(
        attachment.data,
        media_type="application/pdf",
        headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def download_request_form(request: Request, professional: SignedIn, reference: str) -> Response:
    services = services_of(request)
    with services.db.session() as session:
        case = my_case(session, professional, reference)
        form = my_request_form(services, session, case, professional) if case else None
        if form is None:
            raise HTTPException(404)
        return pdf_download(case.reference, "request-form", form)


def download_advice_form(
    request: Request, professional: SignedIn, reference: str, advice: str
) -> Response:
    services = services_of(request)
    with services.db.session() as session:
        case = my_case(session, professional, reference)
        form = (
            my_advice_form(services, session, case, professional, advice, services.today())
            if case
            else None
        )
        if form is None:
            raise HTTPException(404)
        return pdf_download(f"{case.reference}-{advice}", "advice-form", form)


def download_receipt(
    request: Request, professional: SignedIn, reference: str, submission: str
) -> Response:
    services = services_of(request)
    with services.db.session() as session:
        case = my_case(session, professional, reference)
        found = submission.isdigit() and case is not None
        receipt = my_receipt(session, case, professional, int(submission)) if found else None
        if receipt is None:
            raise HTTPException(404)
        return pdf_download(receipt.filename.removesuffix(".pdf"), "", receipt)
