"""The JSON API's endpoints: the caseworkers' queue and messages, cases and advice requests,
read-only. Each answer is built from the view the matching page shows (intake/views/), so the
API and the pages cannot disagree; who may read what is decided as the pages decide
(portal.api.access, intake.views.case_lists)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query
from starlette.requests import Request

from intake.cases.timeline import StageCode
from intake.views.case_lists import (
    advice_request_row,
    advice_requests_page,
    cases_page,
    professional_case_view,
    readable_advice_request,
    readable_case,
)
from intake.views.case_page import caseworker_case_view
from intake.views.queue import PAGE_SIZE, Asked
from intake.views.queue_lists import COUNTED_UP_TO, DEFAULT_LIST, LIST_BY_NAME, queue_page
from portal.api.access import ApiCaseworker, ApiUser, not_found
from portal.identity import services_of
from portal.queue.message_page import viewed_message

QueueListName = StrEnum("QueueListName", {name: name for name in LIST_BY_NAME})
DEFAULT_QUEUE_LIST = QueueListName(DEFAULT_LIST)
Page = Annotated[int, Query(ge=1, le=1_000_000, description="the page, from 1")]
Search = Annotated[
    str, Query(max_length=200, description="a case or advice reference, or part of an address")
]
Reference = Annotated[str, Path(max_length=40, description="EHC-YYYY-NNNNNN")]
AdviceReference = Annotated[str, Path(max_length=40, description="ADV-YYYY-NNNNNN")]
VIA = "api"


def get_queue(
    request: Request,
    viewer: ApiCaseworker,
    status: Annotated[QueueListName, Query(description="which list")] = DEFAULT_QUEUE_LIST,
    page: Page = 1,
    q: Search = "",
) -> dict:
    """One page of one list of the intake queue, newest first, with every list's count: what
    /queue shows."""
    shown = queue_page(services_of(request), status.value, page, q.strip())
    return {
        "name": shown.name,
        "search": shown.search,
        "page": shown.page,
        "pages": shown.pages,
        "page_size": PAGE_SIZE,
        "counted_up_to": COUNTED_UP_TO,
        "lists": [
            {"name": name, "count": count, "more_than_counted": shown.more_than_counted(name)}
            for name, count in shown.counts.items()
        ],
        "rows": shown.rows,
    }


def get_message(
    request: Request,
    viewer: ApiCaseworker,
    inbound_id: Annotated[int, Path(ge=1, le=2**62, description="the message's number")],
) -> dict:
    """One inbound message: what arrived, why it ended where it did, what we sent back and its
    audit trail, as /messages/{id} shows it. The view is audited."""
    view = viewed_message(services_of(request), inbound_id, viewer.email)
    if view is None:
        raise not_found()
    return view


def list_cases(
    request: Request,
    viewer: ApiUser,
    stage: Annotated[StageCode | None, Query(description="only cases at this stage")] = None,
    page: Page = 1,
    q: Search = "",
) -> dict:
    """Caseworkers: every case, newest first, narrowed by stage and by a case reference or part
    of the requester's address. Professionals: the cases they asked for or advise on, as
    /children lists them, narrowed by stage and case reference."""
    services = services_of(request)
    asked = Asked(services.today(), services.now(), q.strip())
    with services.db.session() as session:
        shown = cases_page(session, viewer, asked, page=page, stage=stage or "")
    return {"cases": shown.rows, "page": shown.page, "pages": shown.pages, "total": shown.total}


def get_case(request: Request, viewer: ApiUser, reference: Reference) -> dict:
    """Caseworkers: the case as /cases/{reference} shows it (the child, the clock with a RAG
    state per milestone, every submission's answers by step and files, advice requests with
    their clocks, the audit trail). Professionals, for a case they are part of: their progress
    page (/children/{reference}): the timeline, their own forms, advice and emails. Anyone
    else: 404. Each view is audited."""
    services = services_of(request)
    today = services.today()
    with services.db.session() as session:
        case = readable_case(session, viewer, reference)
        if case is None:
            raise not_found()
        if not viewer.is_caseworker:
            return professional_case_view(session, case, viewer, today)
        reference = case.reference
    return caseworker_case_view(services, reference, today, viewer=viewer.email, via=VIA)


def list_advice_requests(request: Request, viewer: ApiUser, page: Page = 1) -> dict:
    """Caseworkers: every open advice request, soonest due first. Professionals: the advice
    asked of them (not withdrawn), newest first. Each with its clock."""
    services = services_of(request)
    with services.db.session() as session:
        shown = advice_requests_page(session, viewer, services.today(), page=page)
    return {
        "advice_requests": shown.rows,
        "page": shown.page,
        "pages": shown.pages,
        "total": shown.total,
    }


def get_advice_request(request: Request, viewer: ApiUser, reference: AdviceReference) -> dict:
    """One advice request with its clock: any for caseworkers, one asked of them for a
    professional; anyone else 404."""
    services = services_of(request)
    with services.db.session() as session:
        found = readable_advice_request(session, viewer, reference)
        if found is None:
            raise not_found()
        return advice_request_row(found, services.today())
