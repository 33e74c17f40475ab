"""Moving a case along its timeline and recording exceptions, each as an immutable event.

A move is checked against the tables in `intake.cases.timeline`; a refused move is an ordinary
outcome (a `Refusal` with a code and one line of text), never an exception. An accepted move writes
the stage event, updates `Case.stage` and queues the progress emails, all in the caller's
transaction, so that the mail goes if and only if the move happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.cases.progress import queue_progress_emails
from intake.cases.timeline import (
    STAGE_BY_CODE,
    ExceptionGround,
    StageCode,
    TimelineFact,
    allowed_moves,
    stage_code,
    stage_name,
)
from intake.services import Services
from store import AuditEntry, Case, TimelineEvent, TimelineKind

# One line per refusal code: what the CLI prints after `intake:` and the dashboard shows.
REFUSAL_TEXTS: Mapping[str, str] = {
    "unknown-stage": "{stage!r} is not a stage; stages are: {choices}",
    "case-closed": "case {reference} is closed ({current}); a closed case cannot move",
    "move-not-allowed": "case {reference} cannot move from {current} to {wanted}; "
    "it can move to: {choices}",
    "dated-before-current-stage": "the move cannot be dated {on}: case {reference} reached "
    "{current} on {since}",
    "dated-in-future": "the date {on} is in the future",
    "unknown-ground": "{ground!r} is not an exception ground; grounds are: {choices}",
    "ends-before-start": "the exception cannot end ({end}) before it starts ({start})",
    "starts-before-day0": "the exception cannot start ({start}) before day 0 ({day0})",
}


@dataclass(frozen=True)
class Refusal:
    code: str
    params: dict[str, Any]

    @property
    def message(self) -> str:
        return REFUSAL_TEXTS[self.code].format(**self.params)


class _Outcome:
    """Done unless refused; `reason` is the refusal's one line, for the CLI to print."""

    refusal: Refusal | None

    @property
    def done(self) -> bool:
        return self.refusal is None

    @property
    def reason(self) -> str:
        return self.refusal.message if self.refusal else ""


@dataclass(frozen=True)
class Move(_Outcome):
    """What `move_case` did: moved (an event id and who was told) or refused (why)."""

    reference: str
    from_stage: str
    to_stage: str
    on: date
    refusal: Refusal | None = None
    event_id: int | None = None
    notified: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ExceptionRecorded(_Outcome):
    reference: str
    ground: str
    refusal: Refusal | None = None
    event_id: int | None = None


def case_events(session: Session, case: Case) -> list[TimelineEvent]:
    """The case's events in the order they were recorded."""
    return list(
        session.scalars(
            select(TimelineEvent).where(TimelineEvent.case_id == case.id).order_by(TimelineEvent.id)
        )
    )


def current_stage_since(events: Iterable[TimelineEvent]) -> date | None:
    stages = [e.occurred_on for e in events if e.kind == TimelineKind.STAGE]
    return stages[-1] if stages else None


def check_move(
    case: Case, wanted: str, on: date, since: date | None, today: date
) -> tuple[StageCode | None, Refusal | None]:
    """The stage `wanted` names and, when the move may not be made, why not."""
    current = stage_code(case.stage)
    target = stage_code(wanted)
    params = {"reference": case.reference, "current": stage_name(case.stage), "on": on}
    if target is None:
        choices = ", ".join(s.value for s in StageCode)
        return None, Refusal("unknown-stage", {"stage": wanted, "choices": choices})
    if current is not None and STAGE_BY_CODE[current].terminal:
        return target, Refusal("case-closed", params)
    moves = allowed_moves(current) if current else ()
    if target not in moves:
        choices = ", ".join(m.value for m in moves) or "nothing"
        return target, Refusal(
            "move-not-allowed", {**params, "wanted": stage_name(target), "choices": choices}
        )
    if on > today:
        return target, Refusal("dated-in-future", params)
    # Stage dates only go forward, so a replay in recorded order is also in date order.
    if since is not None and on < since:
        return target, Refusal("dated-before-current-stage", {**params, "since": since})
    return target, None


def record_event(
    session: Session,
    case: Case | int,
    *,
    kind: TimelineKind,
    on: date,
    actor: str,
    action: str,
    subject: tuple[str, str],
    detail: dict[str, Any],
    stage: str | None = None,
    audit_detail: dict[str, Any] | None = None,
) -> TimelineEvent:
    """One event on a case's timeline and its line in the audit log (`action` on `subject`,
    a (type, id) pair), in `session`'s transaction: who did what to the case, and when."""
    event = TimelineEvent(
        case_id=case if isinstance(case, int) else case.id,
        kind=kind,
        stage=stage,
        occurred_on=on,
        actor=actor,
        detail=detail,
    )
    session.add(event)
    subject_type, subject_id = subject
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=detail if audit_detail is None else audit_detail,
        )
    )
    return event


def move_case(
    services: Services,
    session: Session,
    case: Case,
    stage: str,
    *,
    actor: str,
    on: date | None = None,
    today: date | None = None,
) -> Move:
    """Move `case` to `stage` on `on` (default today) if the timeline allows it.

    Writes a stage event (who, when, from and to), updates `Case.stage`, and queues a progress
    email to the requester and each advice giver, in `session`'s transaction; the caller commits.
    """
    today = today or services.today()
    on = on or today
    events = case_events(session, case)
    target, refusal = check_move(case, stage, on, current_stage_since(events), today)
    from_code = stage_code(case.stage)
    from_stage = from_code.value if from_code else case.stage
    if refusal is not None:
        return Move(case.reference, from_stage, target or stage, on, refusal)
    event = record_event(
        session,
        case,
        kind=TimelineKind.STAGE,
        stage=target.value,
        on=on,
        actor=actor,
        action="case-stage-moved",
        subject=("case", case.reference),
        detail={"from": from_stage, "to": target.value},
        audit_detail={"from": from_stage, "to": target.value, "on": on.isoformat()},
    )
    case.stage = target.value
    session.flush()
    notified = queue_progress_emails(services, session, case, today=today)
    return Move(case.reference, from_stage, target.value, on, None, event.id, tuple(notified))


def record_exception(
    services: Services,
    session: Session,
    case: Case,
    *,
    ground: str,
    start: date,
    actor: str,
    end: date | None = None,
    family_informed_on: date | None = None,
    note: str | None = None,
    on: date | None = None,
) -> ExceptionRecorded:
    """Record an exception to the time limits as an annotation: the clock does not stop."""
    on = on or services.today()
    wanted = ground.strip().upper()
    if wanted not in ExceptionGround.__members__:
        choices = ", ".join(g.value for g in ExceptionGround)
        return ExceptionRecorded(
            case.reference,
            ground,
            Refusal("unknown-ground", {"ground": ground, "choices": choices}),
        )
    if end is not None and end < start:
        return ExceptionRecorded(
            case.reference, wanted, Refusal("ends-before-start", {"start": start, "end": end})
        )
    if start < case.day0:
        return ExceptionRecorded(
            case.reference,
            wanted,
            Refusal("starts-before-day0", {"start": start, "day0": case.day0}),
        )
    detail = {
        "ground": wanted,
        "start": start.isoformat(),
        "end": end.isoformat() if end else None,
        "family_informed_on": family_informed_on.isoformat() if family_informed_on else None,
        "note": note,
    }
    event = record_event(
        session,
        case,
        kind=TimelineKind.EXCEPTION,
        stage=case.stage,
        on=on,
        actor=actor,
        action="case-exception-recorded",
        subject=("case", case.reference),
        detail=detail,
    )
    session.flush()
    return ExceptionRecorded(case.reference, wanted, None, event.id)


class HistoryBroken(Exception):
    """A recorded stage history contains a move the timeline does not allow (a bug or a raw
    database edit, since `move_case` refuses such moves)."""


def replay(events: Iterable[TimelineFact]) -> StageCode | None:
    """The stage a case's history arrives at, checking every recorded move on the way."""
    current: StageCode | None = None
    for e in events:
        if str(e.kind) != TimelineKind.STAGE.value:
            continue
        reached = stage_code(e.stage)
        if reached is None:
            raise HistoryBroken(f"unknown stage {e.stage!r} in the history")
        if current is None:
            if reached is not StageCode.REQUEST_RECEIVED:
                raise HistoryBroken(f"the history starts at {reached}, not REQUEST_RECEIVED")
        elif reached not in allowed_moves(current):
            raise HistoryBroken(f"the history moves from {current} to {reached}")
        current = reached
    return current
