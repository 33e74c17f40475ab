"""What the caseworkers' case page shows beyond `case_document` (the CLI's view of a case): each
submission's answers grouped by the form's steps and labelled as the form labels them, the files
that came with it, the audit trail, and a red/amber/green state for every clock.

Viewing a case is itself recorded in the audit log, as a person's access to a child's record.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from documents import get_form
from intake.services import Services
from intake.views.case import attachments_by_submission, case_document, form_version_label
from store import AdviceRequest, Attachment, AuditEntry, Case, Submission

# Amber: a date falls due within this many days (and has not been met).
AMBER_WITHIN_DAYS = 7


def rag(due: date | None, met_on: date | None, today: date) -> str | None:
    """Green on time, amber due within `AMBER_WITHIN_DAYS` days, red missed; None: no date."""
    if due is None:
        return None
    if met_on is not None:
        return "green" if met_on <= due else "red"
    if today > due:
        return "red"
    return "amber" if (due - today).days <= AMBER_WITHIN_DAYS else "green"


def caseworker_case_view(
    services: Services, reference: str, today: date, *, viewer: str, via: str
) -> dict[str, Any] | None:
    """A case as the caseworkers' case page and the API show it: `case_document` with a RAG
    state on every milestone and open advice request, each submission's answers by step and
    files, and the audit trail (newest first); None when there is no such case. The view is
    audited as `case_document` audits it."""
    document = case_document(services, reference, today, viewer=viewer, via=via)
    if document is None:
        return None
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == document["reference"]))
        details = submission_details(session, case)
        document["audit"] = [
            {"at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject_id,
             "detail": e.detail}
            for e in audit_trail(session, case)
        ]  # fmt: skip
    for milestone in document["milestones"]:
        milestone["rag"] = (
            None
            if milestone["state"] == "not-applicable"
            else rag(date.fromisoformat(milestone["due"]), _date(milestone["met_on"]), today)
        )
    for advice in document["advice_requests"]:
        advice["rag"] = (
            rag(_date(advice["due_on"]), None, today) if advice["status"] == "open" else None
        )
    for submission, detail in zip(document["submissions"], details, strict=True):
        submission.update(detail, label=form_version_label(submission, document["advice_requests"]))
    return document


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def shown_value(value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def unanswered(value: Any) -> bool:
    # An unticked box is stored as False on every form: not worth a line each.
    return value is None or value is False or value == "" or value == []


def answers_by_step(kind: str, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers given, step by step, labelled by the form definition; a repeated group's
    rows say which row they are. Answers the form no longer defines come last, by name."""
    try:
        form = get_form(kind)
    except (KeyError, ValueError):
        form = None
    steps, labelled = [], set()
    for step in form.steps if form else ():
        rows = []
        groups = {g.name: g.label for g in step.groups}
        for field in step.fields:
            labelled.add(field.name)
            value = answers.get(field.name)
            if unanswered(value):
                continue
            label = field.label
            if field.group and field.row:
                label = f"{groups.get(field.group, field.group)} {field.row}: {field.label}"
            rows.append({"name": field.name, "label": label, "value": shown_value(value)})
        if rows:
            steps.append({"step": step.number, "title": step.title, "answers": rows})
    others = [
        {"name": name, "label": name, "value": shown_value(value)}
        for name, value in sorted(answers.items())
        if name not in labelled and not unanswered(value)
    ]
    if others:
        steps.append({"step": None, "title": None, "answers": others})
    return steps


def submission_details(session: Session, case: Case) -> list[dict[str, Any]]:
    """Every submission of the case, oldest first (as `case_document` lists them): its answers
    by step and its files, each with the id its download link names."""
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.case_id == case.id).order_by(Submission.id)
        )
    )
    files_of = attachments_by_submission(session, [s.id for s in submissions])
    details = []
    for s in submissions:
        files = files_of.get(s.id, [])
        details.append(
            {
                "id": s.id,
                "steps": answers_by_step(str(s.kind), s.answers or {}),
                "attachments": [
                    {"id": a.id, "filename": a.filename, "size": a.size, "flag": a.flag,
                     "listed": a.listed}
                    for a in files
                ],
            }
        )  # fmt: skip
    return details


def case_attachment(session: Session, case: Case, attachment_id: int) -> Attachment | None:
    """A file of one of the case's submissions; None for any other file."""
    return session.scalar(
        select(Attachment)
        .join(Submission, Submission.id == Attachment.submission_id)
        .where(Attachment.id == attachment_id, Submission.case_id == case.id)
    )


def audit_trail(session: Session, case: Case) -> list[AuditEntry]:
    """Who did what to the case and to its advice requests, newest first.

    The advice references are read first and given as a list: with a subquery in their place,
    PostgreSQL read the whole audit log (a hashed subplan cannot use the subject index)."""
    advice = list(
        session.scalars(select(AdviceRequest.reference).where(AdviceRequest.case_id == case.id))
    )
    about_case = (AuditEntry.subject_type == "case") & (AuditEntry.subject_id == case.reference)
    about_advice = (AuditEntry.subject_type == "advice_request") & AuditEntry.subject_id.in_(advice)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(or_(about_case, about_advice) if advice else about_case)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )


def record_file_downloaded(
    session: Session, case: Case, attachment: Attachment, actor: str
) -> None:
    session.add(
        AuditEntry(
            actor=actor, action="case-file-downloaded", subject_type="case",
            subject_id=case.reference, detail={"attachment_id": attachment.id},
        )
    )  # fmt: skip
