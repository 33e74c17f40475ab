"""The JSON API's answers as pydantic models, so that /openapi.json (and the /docs page drawn
from it) describes every field. Each model is filled from a view in intake/views/, field for
field; dates are ISO 8601 strings, times ISO 8601 with their offset."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RAG = Literal["red", "amber", "green"]


class Refusal(BaseModel):
    """What an /api/ request is refused with."""

    error: str = Field(description="what was refused: sign-in-needed, caseworkers-only, not-found")
    status: int = Field(description="the HTTP status, repeated")


# --- the queue and messages --------------------------------------------------------------------


class QueueReason(BaseModel):
    code: str = Field(description="the reason's code (templates/reasons.toml)")
    step: int | None = Field(description="the form step it concerns")
    field: str | None = Field(description="the form field it concerns")
    message: str = Field(description="the sentence the sender was sent")


class QueueRow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(description="message, case, advice, deadline, held-mail or undelivered-mail")
    id: int | str = Field(
        description="a message's or email's number, or a case or advice reference"
    )
    status: str = Field(description="the message's status, a case's stage, or at-risk/overdue")
    received_at: str = Field(description="when it arrived or was made (ISO 8601)")
    sender: str | None = Field(alias="from", description="the sender or professional's address")
    reference: str | None = Field(None, description="the case it belongs to, if any")
    summary: str = Field(description="one line on why it is in the queue")
    subject: str | None = Field(None, description="a message's subject")
    reasons: list[QueueReason] | None = Field(None, description="a message's reasons")
    milestone: str | None = Field(None, description="a deadline's statutory milestone code")
    due: date | None = Field(None, description="a deadline's due date")


class QueueCount(BaseModel):
    name: str = Field(description="the list's name, as ?status= takes it")
    count: int = Field(description="its rows, counted up to counted_up_to (+1 past it)")
    more_than_counted: bool = Field(description="the list is longer than counted_up_to")


class QueuePage(BaseModel):
    name: str = Field(description="the list shown")
    search: str = Field(description="the search it is narrowed by (?q=)")
    page: int = Field(description="this page, from 1")
    pages: int = Field(description="how many pages the list has")
    page_size: int = Field(description="rows a page")
    counted_up_to: int = Field(description="lists are counted no further than this")
    lists: list[QueueCount] = Field(description="every list of the queue, in the page's order")
    rows: list[QueueRow] = Field(description="this page's rows, newest first")


class MessageReason(BaseModel):
    code: str
    step: int | None
    field: str | None
    sentence: str = Field(description="the sentence the sender read")
    detail: str | None = Field(description="what the check measured (for caseworkers only)")
    params: dict[str, Any] = Field(description="the values the sentence was made with")


class ArrivedFile(BaseModel):
    filename: str | None = Field(description="the file's name as sent: data, never markup")
    content_type: str | None
    size: int
    flags: list[str] = Field(description="what screening noticed about its bytes")
    listed: bool | None = Field(description="the form lists it (None: not recorded)")


class Reply(BaseModel):
    kind: str = Field(description="which email we sent")
    to: str
    status: str = Field(description="its outbox status")
    created_at: datetime | None


class AuditRow(BaseModel):
    at: datetime | None
    actor: str
    action: str
    detail: dict[str, Any] | None = None


class MessageDetail(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    status: str = Field(description="the message's lifecycle status")
    reference: str | None = Field(description="the case it was recorded on")
    received_at: datetime | None
    processed_at: datetime | None
    transport: str = Field(description="smtp, imap, file or web")
    mailbox: str | None
    uid: int | None
    size: int | None
    envelope_from: str | None
    envelope_to: list[str]
    sender: str | None = Field(alias="from", description="the From address")
    subject: str | None
    message_key: str | None = Field(description="what makes it the same message again")
    sender_verified: str | None = Field(description="how the sender was proven: dmarc or code")
    released_by: str | None
    attempts: int
    last_error: str | None = Field(description="why processing failed, when it did")
    duplicate_of_id: int | None
    raw_kept: bool = Field(description="its raw bytes are still kept")
    processing_failed: bool
    reasons: list[MessageReason]
    decisions: list[dict[str, Any]] = Field(description="every screening and routing decision")
    attachments: list[ArrivedFile]
    replies: list[Reply] = Field(description="the emails we sent about it")
    audit: list[AuditRow] = Field(description="who did what to it, newest first")


# --- cases -------------------------------------------------------------------------------------


class ChildSummary(BaseModel):
    forename: str
    surname: str
    date_of_birth: date


class CaseRow(BaseModel):
    reference: str
    stage: str | None = Field(None, description="the stage's code (caseworkers)")
    stage_name: str
    day0: date | None = Field(None, description="the day the request was received (caseworkers)")
    requested_by: str | None = Field(None, description="the requester's address (caseworkers)")
    requested: bool | None = Field(None, description="you asked for it (professionals)")
    advice_types: list[str] = Field([], description="advice asked of you (professionals)")
    child: ChildSummary


class CaseList(BaseModel):
    cases: list[CaseRow]
    page: int
    pages: int
    total: int = Field(description="rows in the whole list")


class Milestone(BaseModel):
    code: str
    label: str
    due: date
    met_on: date | None
    state: str = Field(description="met, due, overdue or not-applicable")
    days_left: int = Field(description="negative once the date is past")
    on_time_including_exceptions: bool | None
    on_time_excluding_exceptions: bool | None
    excused_by: list[str]
    rag: RAG | None = Field(description="red missed, amber due within 7 days, green on time")


class CaseException(BaseModel):
    ground: str
    start: date
    end: date | None
    family_informed_on: date | None
    note: str | None
    recorded_on: date
    actor: str


class TimelineRow(BaseModel):
    kind: str
    stage: str | None
    stage_name: str | None
    occurred_on: date
    recorded_at: datetime
    actor: str | None
    detail: dict[str, Any] | None


class AnswerRow(BaseModel):
    name: str = Field(description="the form field")
    label: str = Field(description="the field's label on the form")
    value: str = Field(description="the answer as given: data, never markup")


class AnswerStep(BaseModel):
    step: int | None = Field(description="the form's step (None: answers the form no longer has)")
    title: str | None
    answers: list[AnswerRow]


class CaseFile(BaseModel):
    id: int = Field(description="the file's number in /cases/{reference}/files/{id}")
    filename: str = Field(description="the file's name as the sender gave it: data, never markup")
    size: int
    flag: str | None = Field(description="what screening noticed about its bytes")
    listed: bool | None = Field(description="the form lists it")


class SubmissionDetail(BaseModel):
    id: int
    label: str = Field(description="request v2, or advice ADV-... v1")
    kind: str
    version: int
    advice_request_id: int | None
    created_at: datetime
    inbound_message_id: int | None
    steps: list[AnswerStep]
    attachments: list[CaseFile]


class AdviceClock(BaseModel):
    """An advice request and its clock."""

    reference: str
    professional: str = Field(description="the address of the professional asked")
    advice_type: str
    status: str = Field(description="open, received, covered or withdrawn")
    sent_on: date | None
    due_on: date | None
    days_left: int | None = Field(description="negative once overdue")
    rag: RAG | None = Field(description="while open: red overdue, amber due within 7 days")


class AdviceOnCase(AdviceClock):
    id: int = Field(description="the number a submission's advice_request_id names")


class CaseAudit(BaseModel):
    at: datetime | None
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] | None


class CaseForCaseworker(BaseModel):
    """A case as a caseworker's case page shows it."""

    view: Literal["caseworker"] = "caseworker"
    reference: str
    stage: str
    stage_name: str
    closed: bool
    allowed_moves: list[str] = Field(description="the stages it may move to next")
    day0: date
    today: date
    requested_by: str
    child: ChildSummary
    next_due: date | None
    next_milestone: str | None
    days_left: int | None
    days_overdue: int | None
    on_time_including_exceptions: bool | None
    on_time_excluding_exceptions: bool | None
    milestones: list[Milestone]
    exceptions: list[CaseException]
    timeline: list[TimelineRow]
    submissions: list[SubmissionDetail]
    advice_requests: list[AdviceOnCase]
    audit: list[CaseAudit] = Field(description="who did what to the case, newest first")


class ProgressRow(BaseModel):
    label: str
    when: str = Field(description="done on, due by, or no longer applies, in words")


class AdviceTally(BaseModel):
    received: int
    total: int


class Progress(BaseModel):
    stage_name: str
    now_text: str = Field(description="what is happening now")
    closed: bool
    next_step: str | None
    next_label: str | None
    next_date: str | None = Field(description="dd/mm/yyyy")
    days_left: int | None
    days_overdue: int | None
    rows: list[ProgressRow]
    advice: AdviceTally | None


class AdviceAsked(BaseModel):
    reference: str
    advice_type: str
    status: str
    sent_on: date | None
    due_on: date | None
    days_left: int | None
    form_offered: bool = Field(description="its form may be fetched again")
    rag: RAG | None


class OwnSubmission(BaseModel):
    id: int
    kind: str
    version: int
    advice_reference: str | None
    received_at: datetime


class OwnEmail(BaseModel):
    subject: str
    queued_at: datetime
    status: str


class CaseForProfessional(BaseModel):
    """A case as the professional's progress page shows it: their own part of it only."""

    view: Literal["professional"] = "professional"
    reference: str
    child: ChildSummary
    requested: bool = Field(description="you asked for the assessment")
    progress: Progress
    advice: list[AdviceAsked] = Field(description="advice asked of you on this case")
    submissions: list[OwnSubmission] = Field(description="the forms you sent for it")
    emails: list[OwnEmail] = Field(description="the emails we sent you about it, newest first")


# --- advice requests ---------------------------------------------------------------------------


class AdviceRequestRow(AdviceClock):
    case_reference: str


class AdviceRequestList(BaseModel):
    advice_requests: list[AdviceRequestRow]
    page: int
    pages: int
    total: int
