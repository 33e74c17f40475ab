"""Uploading a completed PDF form on a progress page, as an alternative to email: the file goes
through the same pipeline as a professional's email (intake.pipeline.upload), so the same checks
run and the same reply is emailed; the page then shows what came of it, problems by step."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import PureWindowsPath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from intake.outcomes import Outcome
from intake.pipeline.upload import UploadedFile, receive_upload
from intake.views.professional_cases import my_case
from portal.forms import CsrfRefused
from portal.identity import SignedIn, services_of
from portal.pages import problem, render
from portal.professional.children import progress_page
from portal.sessions import CSRF_FIELD, csrf_matches
from store import Professional

UPLOAD_PATH = re.compile(r"^/children/[^/]+/upload$")
FORM_FIELD = "form_pdf"
DOCUMENTS_FIELD = "documents"
# The CSRF token, the form and its documents; screening judges the number of documents itself.
MAX_FIELDS = 5


async def take_upload(request: Request, professional: SignedIn, reference: str) -> Response:
    limits = services_of(request).screen_limits
    sent = await request.form(max_fields=MAX_FIELDS, max_files=limits.max_attachments + 1)
    if not csrf_matches(request, sent.get(CSRF_FIELD)):
        raise CsrfRefused()
    form = sent.get(FORM_FIELD)
    if not isinstance(form, UploadFile) or not form.filename:
        return await run_in_threadpool(
            progress_page,
            request,
            professional,
            reference,
            problems=[problem("upload-missing", FORM_FIELD)],
        )
    documents = [
        upload
        for upload in sent.getlist(DOCUMENTS_FIELD)
        if isinstance(upload, UploadFile) and upload.filename
    ]
    files = [(file_name(upload), await upload.read()) for upload in (form, *documents)]
    return await run_in_threadpool(take_uploaded_files, request, professional, reference, files)


def file_name(upload: UploadFile) -> str:
    # Some browsers send the path the file came from: only its last part is its name.
    return PureWindowsPath(upload.filename or "").name


def take_uploaded_files(
    request: Request, professional: Professional, reference: str, files: list[UploadedFile]
) -> Response:
    services = services_of(request)
    with services.db.session() as session:
        case = my_case(session, professional, reference)
        found = case.reference if case is not None else None
    if found is None:
        return progress_page(request, professional, reference)  # not found, as for a GET
    reference = found
    outcome = receive_upload(services, professional, reference, files)
    return render(
        request,
        "upload_outcome.html",
        reference=reference,
        outcome=outcome,
        steps=reasons_by_step(outcome),
    )


def reasons_by_step(outcome: Outcome) -> list[tuple[int | None, list[str]]]:
    """The outcome's sentences by the step of the form they concern, in step order; those about
    the form as a whole (no step) first."""
    grouped: dict[int | None, list[str]] = defaultdict(list)
    for r in outcome.reasons:
        grouped[r.get("step")].append(r["message"])
    return sorted(grouped.items(), key=lambda item: (item[0] is not None, item[0] or 0))
