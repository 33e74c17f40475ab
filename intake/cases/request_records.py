"""Recording a valid request form: the child, the case and its day 0, the submission version,
and the attachments the email carried.

A request form's token stands for one request: the first valid submission makes the case, a
later one with the same token is a new version of it, and the same token with the same PDF is
a duplicate of the submission already recorded.

A request on another form for a child who already has an open case (`match_child`) is new
information for that case, not a second case: it is recorded as the next version of the case's
request, with its own token, and noted on the case's timeline with how the child was matched,
so a caseworker can check the match. The statutory clock keeps running from the first
request's day 0. Holding it for a caseworker instead would leave the professional without a
reference and the case without the information until someone acted; a version loses nothing,
and the earlier versions are kept. A closed case is not reopened: the request makes a new case.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from documents import FormDefinition, Rejection
from intake.cases.stages import record_event
from intake.cases.timeline import CLOSED_STAGE_VALUES, StageCode
from intake.parse.message import Attachment as MailAttachment
from intake.services import Services
from store import (
    CASE_PREFIX,
    Attachment,
    AuditEntry,
    Case,
    Child,
    InboundMessage,
    Submission,
    SubmissionKind,
    TimelineEvent,
    TimelineKind,
    next_reference_now,
)


@dataclass(frozen=True)
class Recorded:
    case: Case
    submission: Submission
    new_case: bool
    # Another form's request for the child of this open case, added to it as new information.
    joined_open_case: bool = False


@dataclass(frozen=True)
class ChildMatch:
    child: Child
    # upn | nhs-number | name-and-date-of-birth
    matched_by: str


def listed_files(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, str]:
    """Step 6 file names (folded for comparison) to the field that lists each."""
    return {
        str(answers[f.name]).strip().casefold(): f.name
        for f in form.fields()
        if f.group == "documents" and f.name.endswith(".file") and answers.get(f.name)
    }


def attachment_problems(
    form: FormDefinition, answers: Mapping[str, Any], attachments: Sequence[MailAttachment]
) -> list[Rejection]:
    """A file listed in the form's documents step (6 of the request, 7 of the advice) that the
    email does not carry is a problem with that row."""
    present = {a.filename.strip().casefold() for a in attachments}
    return [
        Rejection("file-not-attached", form.step_of(field), field, {"file": answers[field]})
        for name, field in listed_files(form, answers).items()
        if name not in present
    ]


def find_duplicate(session: Session, token: str, pdf: bytes) -> Submission | None:
    digest = hashlib.sha256(pdf).hexdigest()
    return session.scalar(
        select(Submission).where(Submission.token == token, Submission.pdf_sha256 == digest)
    )


def record_request(
    services: Services,
    session: Session,
    message: InboundMessage,
    *,
    form: FormDefinition,
    answers: Mapping[str, Any],
    token: str,
    professional_id: int,
    pdf: MailAttachment,
    attachments: Sequence[MailAttachment],
    received_on: date,
) -> Recorded:
    queue_behind_same_child(session, token, answers)
    case = case_of_token(session, token)
    new_case, joined_open_case = case is None, False
    match = match_child(session, answers) if case is None else None
    if match is not None and (case := open_case_of(session, match.child)) is not None:
        new_case, joined_open_case = False, True
    if case is None:
        child = match.child if match is not None else new_child(session, answers)
        case = Case(
            reference=next_reference_now(session, CASE_PREFIX, received_on.year),
            child_id=child.id,
            requested_by_id=professional_id,
            request_token=token,
            stage=StageCode.REQUEST_RECEIVED,
            day0=received_on,
        )
        session.add(case)
        session.flush()
        session.add(
            TimelineEvent(
                case_id=case.id,
                kind=TimelineKind.STAGE,
                stage=StageCode.REQUEST_RECEIVED,
                occurred_on=received_on,
                actor=message.from_address or "unknown",
                detail={"inbound_message_id": message.id},
            )
        )
    version = (
        session.scalar(
            select(func.max(Submission.version)).where(
                Submission.case_id == case.id, Submission.kind == SubmissionKind.REQUEST
            )
        )
        or 0
    ) + 1
    submission = Submission(
        case_id=case.id,
        kind=SubmissionKind.REQUEST,
        version=version,
        inbound_message_id=message.id,
        token=token,
        pdf_sha256=hashlib.sha256(pdf.data).hexdigest(),
        answers=dict(answers),
    )
    session.add(submission)
    session.flush()
    if joined_open_case:
        assert match is not None
        record_event(
            session,
            case,
            kind=TimelineKind.NOTE,
            on=received_on,
            actor=message.from_address or "unknown",
            action="further-request",
            subject=("case", case.reference),
            detail={
                "further_request": True,
                "matched_by": match.matched_by,
                "submission_version": version,
                "inbound_message_id": message.id,
            },
        )
    audit_submission(session, message, case, submission, opened=new_case)
    keep_attachments(
        services, session, message, submission, attachments, listed_files(form, answers), pdf
    )
    return Recorded(case, submission, new_case, joined_open_case)


def case_of_token(session: Session, token: str) -> Case | None:
    """The case a request form's token belongs to: the case it opened, or the open case its
    first submission joined."""
    case = session.scalar(select(Case).where(Case.request_token == token))
    if case is not None:
        return case
    return session.scalar(
        select(Case)
        .join(Submission, Submission.case_id == Case.id)
        .where(Submission.token == token, Submission.kind == SubmissionKind.REQUEST)
        .limit(1)
    )


def open_case_of(session: Session, child: Child) -> Case | None:
    """The child's earliest case that is not closed."""
    return session.scalar(
        select(Case)
        .where(Case.child_id == child.id, Case.stage.not_in(CLOSED_STAGE_VALUES))
        .order_by(Case.id)
        .limit(1)
    )


def audit_submission(
    session: Session,
    message: InboundMessage,
    case: Case,
    submission: Submission,
    *,
    opened: bool = False,
    **detail: Any,
) -> None:
    """The audit log's lines for a recorded submission (and the case it opened), by its sender."""
    actor = message.from_address or "unknown"
    facts = {
        "kind": str(submission.kind),
        "version": submission.version,
        "submission_id": submission.id,
        "inbound_message_id": message.id,
        **detail,
    }
    lines = [("submission-recorded", facts)]
    if opened:
        lines.insert(0, ("case-opened", {"stage": str(case.stage), "on": case.day0.isoformat()}))
    for action, about in lines:
        session.add(
            AuditEntry(
                actor=actor,
                action=action,
                subject_type="case",
                subject_id=case.reference,
                detail=about,
            )
        )


def keep_attachments(
    services: Services,
    session: Session,
    message: InboundMessage,
    submission: Submission | None,
    attachments: Sequence[MailAttachment],
    listed: Mapping[str, str],
    form_pdf: MailAttachment | None,
    *,
    unlisted_flag: str = "not listed in step 6",
) -> None:
    """Every attachment is kept; one the form does not list, or whose content needs a look (see
    `Attachment.content`), is flagged for the caseworker."""
    for item in attachments:
        is_form = form_pdf is not None and item is form_pdf
        is_listed = item.filename.strip().casefold() in listed
        flags = [] if is_listed or is_form else [unlisted_flag]
        flags += item.content.flags
        session.add(
            Attachment(
                inbound_message_id=message.id,
                submission_id=submission.id if submission else None,
                filename=item.filename,
                content_type=item.content_type,
                sha256=services.attachments.put(item.data),
                size=item.size,
                listed=is_listed or is_form,
                flag="; ".join(flags) or None,
            )
        )


# The first of the two keys of pg_advisory_xact_lock(int, int) for a child's records: a space of
# its own, apart from the leader roles' one-key locks (intake/leaders.py).
CHILD_LOCK_SPACE = 0x1E4C


def queue_behind_same_child(session: Session, token: str, answers: Mapping[str, Any]) -> None:
    """On PostgreSQL, wait until no other worker's transaction is recording a request for the
    same child (by token, UPN, NHS number, or name and date of birth: whatever `match_child`
    could match on), and hold that until this transaction ends. Without it two workers could
    each find no case and open two for one child, or both number a version N+1 so that one
    fails. Requests for other children go on side by side. SQLite has one writer anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    names = [f"token:{token}", f"born:{answers.get('date_of_birth')}:"
             f"{_fold(answers.get('child_forename') or '')}:"
             f"{_fold(answers.get('child_surname') or '')}"]  # fmt: skip
    names += [f"{field}:{answers[field]}" for field in ("upn", "nhs_number") if answers.get(field)]
    # Sorted, so that two workers wanting the same two locks take them in one order.
    for key in sorted({_lock_key(name) for name in names}):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": CHILD_LOCK_SPACE, "key": key},
        )


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


def match_child(session: Session, answers: Mapping[str, Any]) -> ChildMatch | None:
    """The child the answers name, if we know them: the same UPN, else the same NHS number, else
    the same name and date of birth.

    Both identifiers carry a check character, and the validator has put them in one spelling.
    Names are compared folded: case, accents, spaces, hyphens and apostrophes aside ("Nowak-Pryce"
    is "nowak pryce"). A child with the same name and birthday but a different UPN or NHS number
    on record is another child. The postcode is not compared: families move, and a second
    request often comes after a move.
    """
    for matched_by, field, column in (
        ("upn", "upn", Child.upn),
        ("nhs-number", "nhs_number", Child.nhs_number),
    ):
        if answers.get(field):
            found = session.scalar(
                select(Child).where(column == answers[field]).order_by(Child.id).limit(1)
            )
            if found is not None:
                return ChildMatch(found, matched_by)
    born = date.fromisoformat(answers["date_of_birth"])
    wanted = (_fold(answers["child_forename"]), _fold(answers["child_surname"]))
    for child in session.scalars(
        select(Child).where(Child.date_of_birth == born).order_by(Child.id)
    ):
        if (_fold(child.forename), _fold(child.surname)) != wanted:
            continue
        conflicting = any(
            answers.get(field) and known and answers[field] != known
            for field, known in (("upn", child.upn), ("nhs_number", child.nhs_number))
        )
        if not conflicting:
            return ChildMatch(child, "name-and-date-of-birth")
    return None


def case_of_another_child(
    session: Session, token: str | None, answers: Mapping[str, Any]
) -> Case | None:
    """The case this request token already made, when the answers are about a different child:
    another date of birth, or a UPN or NHS number other than the one held. A name alone may be
    corrected in a later version; the date of birth and the child's numbers may not."""
    case = session.scalar(select(Case).where(Case.request_token == token)) if token else None
    if case is None:
        return None
    child = case.child
    if str(answers.get("date_of_birth") or "") != child.date_of_birth.isoformat():
        return case
    for column in ("upn", "nhs_number"):
        held, given = getattr(child, column), answers.get(column)
        if held and given and _fold(str(held)) != _fold(str(given)):
            return case
    return None


def new_child(session: Session, answers: Mapping[str, Any]) -> Child:
    child = Child(
        forename=answers["child_forename"],
        surname=answers["child_surname"],
        date_of_birth=date.fromisoformat(answers["date_of_birth"]),
        postcode=answers.get("postcode"),
        upn=answers.get("upn"),
        nhs_number=answers.get("nhs_number"),
        sex=answers.get("sex"),
    )
    session.add(child)
    session.flush()
    return child


def _fold(name: str) -> str:
    """A name as compared: letters and digits only, accents dropped, case folded."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum())
