"""Cases and advice requests a page at a time, as the JSON API lists them, and who may read one:
a caseworker reads every case and advice request; a professional only those of the cases they
are part of (`professional_cases.my_case`, the rule the professional's pages use) and the advice
asked of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from intake.cases.advice_requests import advice_type_choice
from intake.cases.timeline import stage_code, stage_name
from intake.views.case_page import rag
from intake.views.professional_cases import case_progress_for, children_of, my_advice, my_case
from intake.views.queue import PAGE_SIZE, Asked, cases_searched, stage_values
from store import AdviceRequest, AdviceStatus, Case, Child, Professional


@dataclass(frozen=True)
class ListPage:
    """One page of a list, from 1, and how many rows the whole list has."""

    rows: list[dict[str, Any]]
    page: int
    pages: int
    total: int


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def paged(session: Session, statement: Select, page: int) -> tuple[list[Any], int, int]:
    """Page `page` of `statement`'s rows (a page past the end is the last page), the page
    number and the count."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page = min(max(page, 1), page_count(total))
    found = session.execute(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return found, page, total


def readable_case(session: Session, viewer: Professional, reference: str) -> Case | None:
    """The case `viewer` may read: any case for a caseworker, else one they are part of; None
    otherwise, whether or not it exists."""
    if viewer.is_caseworker:
        return session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    return my_case(session, viewer, reference)


def readable_advice_request(
    session: Session, viewer: Professional, reference: str
) -> AdviceRequest | None:
    """The advice request `viewer` may read: any for a caseworker, else one asked of them."""
    wanted = select(AdviceRequest).where(AdviceRequest.reference == reference.strip().upper())
    if not viewer.is_caseworker:
        wanted = my_advice(viewer).where(AdviceRequest.reference == reference.strip().upper())
    return session.scalar(wanted)


def child_summary(child: Child) -> dict[str, Any]:
    return {
        "forename": child.forename,
        "surname": child.surname,
        "date_of_birth": child.date_of_birth,
    }


def cases_page(
    session: Session, viewer: Professional, asked: Asked, *, page: int, stage: str = ""
) -> ListPage:
    """A caseworker's page of every case, newest first, narrowed to a stage and by `asked`'s
    search (a case reference or part of the requester's address); a professional's page of
    their own cases (`children_of`, as their children page lists them), narrowed to a stage
    and a case reference."""
    wanted_stage = stage_code(stage) if stage else None
    if not viewer.is_caseworker:
        rows = [
            {
                "reference": r.reference,
                "stage_name": r.stage_name,
                "child": {
                    "forename": r.forename,
                    "surname": r.surname,
                    "date_of_birth": r.date_of_birth,
                },
                "requested": r.requested,
                "advice_types": list(r.advice_types),
            }
            for r in children_of(session, viewer)
            if (wanted_stage is None or r.stage_name == stage_name(wanted_stage))
            and (not asked.reference or r.reference == asked.reference)
        ]
        page = min(max(page, 1), page_count(len(rows)))
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return ListPage(shown, page, page_count(len(rows)), len(rows))
    statement = select(Case)
    if wanted_stage is not None:
        statement = statement.where(Case.stage.in_(stage_values([wanted_stage])))
    statement = cases_searched(statement, asked).order_by(Case.created_at.desc(), Case.id.desc())
    found, page, total = paged(session, statement, page)
    rows = [
        {
            "reference": case.reference,
            "stage": (stage_code(case.stage) or case.stage),
            "stage_name": stage_name(case.stage),
            "day0": case.day0,
            "requested_by": case.requested_by.email,
            "child": child_summary(case.child),
        }
        for (case,) in found
    ]
    return ListPage(rows, page, page_count(total), total)


def advice_request_row(request: AdviceRequest, today: date) -> dict[str, Any]:
    """An advice request with its clock: days left (negative when overdue) and RAG while open."""
    is_open = request.status == AdviceStatus.OPEN
    return {
        "reference": request.reference,
        "case_reference": request.case.reference,
        "advice_type": advice_type_choice(request.advice_type),
        "professional": request.professional.email,
        "status": str(request.status),
        "sent_on": request.sent_on,
        "due_on": request.due_on,
        "days_left": (request.due_on - today).days if request.due_on else None,
        "rag": rag(request.due_on, None, today) if is_open else None,
    }


def advice_requests_page(
    session: Session, viewer: Professional, today: date, *, page: int
) -> ListPage:
    """A caseworker's page of the open advice requests, soonest due first; a professional's page
    of those asked of them (withdrawn ones are not theirs any more), newest first."""
    if viewer.is_caseworker:
        statement = (
            select(AdviceRequest)
            .where(AdviceRequest.status == AdviceStatus.OPEN)
            .order_by(AdviceRequest.due_on, AdviceRequest.id)
        )
    else:
        statement = my_advice(viewer).order_by(AdviceRequest.id.desc())
    found, page, total = paged(session, statement, page)
    rows = [advice_request_row(request, today) for (request,) in found]
    return ListPage(rows, page, page_count(total), total)


def professional_case_view(
    session: Session, case: Case, professional: Professional, today: date
) -> dict[str, Any]:
    """A case as `professional`'s progress page shows it (`case_progress_for`, audited there),
    with a RAG state on each open advice request of theirs."""
    shown = case_progress_for(session, case, professional, today)
    return {
        "reference": shown.reference,
        "child": child_summary(shown.child),
        "requested": shown.requested,
        "progress": shown.progress,
        "advice": [
            {
                **asdict(a),
                "rag": rag(a.due_on, None, today) if a.status == AdviceStatus.OPEN else None,
            }
            for a in shown.advice
        ],
        "submissions": [asdict(s) for s in shown.submissions],
        "emails": [asdict(e) for e in shown.emails],
    }
