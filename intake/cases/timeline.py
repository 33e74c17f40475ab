"""The timeline of a case as tables, and its statutory clock counted from day 0.

Day 0 is the day the request was received. The limits come from the SEND Regulations 2014: a
decision whether to assess within 6 weeks (reg 5), a decision not to issue a plan within 16
weeks (reg 10), the final plan within 20 weeks (reg 13). Weeks are calendar weeks from day 0
with no bank-holiday adjustment (SI 2014/1530).

The clock never pauses: an exception (reg 10(4)) is an annotation that only changes whether a
late milestone counts as on time "excluding exceptions", the figure DfE publishes beside the
strict one. Nothing here touches the database, so the rules can be read and tested alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Protocol


class StageCode(StrEnum):
    """The stage codes `Case.stage` and `TimelineEvent.stage` store."""

    REQUEST_RECEIVED = "REQUEST_RECEIVED"
    REQUEST_ACKNOWLEDGED = "REQUEST_ACKNOWLEDGED"
    PARTIES_NOTIFIED = "PARTIES_NOTIFIED"
    DECISION_TO_ASSESS_DUE = "DECISION_TO_ASSESS_DUE"
    REFUSED_TO_ASSESS = "REFUSED_TO_ASSESS"
    ASSESSMENT_AGREED = "ASSESSMENT_AGREED"
    ADVICE_REQUESTED = "ADVICE_REQUESTED"
    ADVICE_DUE = "ADVICE_DUE"
    ASSESSMENT_COMPLETE = "ASSESSMENT_COMPLETE"
    DECISION_TO_ISSUE_DUE = "DECISION_TO_ISSUE_DUE"
    NOT_ISSUING = "NOT_ISSUING"
    DRAFT_ISSUED = "DRAFT_ISSUED"
    REPRESENTATIONS_OPEN = "REPRESENTATIONS_OPEN"
    SETTING_CONSULTATION = "SETTING_CONSULTATION"
    FINAL_ISSUED = "FINAL_ISSUED"
    WITHDRAWN = "WITHDRAWN"


@dataclass(frozen=True)
class Stage:
    code: StageCode
    name: str
    # Weeks from day 0 by which the law wants this stage reached; None for local targets.
    due_weeks: int | None
    terminal: bool = False

    @property
    def now_text(self) -> str:
        """What is happening now, in our own words, for progress emails and pages
        (`templates/timeline.toml`)."""
        return stage_texts()[self.code.value]


S = StageCode


@cache
def stage_texts() -> Mapping[str, str]:
    source = resources.files("templates").joinpath("timeline.toml").read_text(encoding="utf-8")
    return tomllib.loads(source)["now"]


# timeline.md section 7, in timeline order. Terminal: the case is closed and accepts no move
# (an appeal is out of scope for v1 and would reopen it as a new event kind).
STAGES: tuple[Stage, ...] = (
    Stage(S.REQUEST_RECEIVED, "Request received", 0),
    Stage(S.REQUEST_ACKNOWLEDGED, "Acknowledged", None),
    Stage(S.PARTIES_NOTIFIED, "Others told we are considering an assessment", None),
    Stage(S.DECISION_TO_ASSESS_DUE, "Decision whether to assess", 6),
    Stage(S.REFUSED_TO_ASSESS, "Decision: not assessing", 6, terminal=True),
    Stage(S.ASSESSMENT_AGREED, "Assessment agreed", 6),
    Stage(S.ADVICE_REQUESTED, "Advice requested", None),
    Stage(S.ADVICE_DUE, "Advice due back", None),
    Stage(S.ASSESSMENT_COMPLETE, "Advice collated", None),
    Stage(S.DECISION_TO_ISSUE_DUE, "Decision whether to issue a plan", 16),
    Stage(S.NOT_ISSUING, "Decision: no plan", 16, terminal=True),
    Stage(S.DRAFT_ISSUED, "Draft plan sent", None),
    Stage(S.REPRESENTATIONS_OPEN, "Family comments on draft", None),
    Stage(S.SETTING_CONSULTATION, "Schools or colleges consulted", None),
    Stage(S.FINAL_ISSUED, "Final plan issued", 20, terminal=True),
    Stage(S.WITHDRAWN, "Request withdrawn", None, terminal=True),
)  # fmt: skip
STAGE_BY_CODE: Mapping[StageCode, Stage] = {s.code: s for s in STAGES}

# The moves forward, written out. Optional local stages (acknowledgement, telling others, advice
# collated, setting consultation) may be skipped, so they appear beside the stage after them.
# WITHDRAWN is allowed from every open stage (the rule in `allowed_moves`), never from a
# closed one.
FORWARD_MOVES: Mapping[StageCode, tuple[StageCode, ...]] = {
    S.REQUEST_RECEIVED: (S.REQUEST_ACKNOWLEDGED, S.PARTIES_NOTIFIED, S.DECISION_TO_ASSESS_DUE),
    S.REQUEST_ACKNOWLEDGED: (S.PARTIES_NOTIFIED, S.DECISION_TO_ASSESS_DUE),
    S.PARTIES_NOTIFIED: (S.DECISION_TO_ASSESS_DUE,),
    S.DECISION_TO_ASSESS_DUE: (S.ASSESSMENT_AGREED, S.REFUSED_TO_ASSESS),
    S.ASSESSMENT_AGREED: (S.ADVICE_REQUESTED,),
    S.ADVICE_REQUESTED: (S.ADVICE_DUE,),
    S.ADVICE_DUE: (S.ASSESSMENT_COMPLETE, S.DECISION_TO_ISSUE_DUE),
    S.ASSESSMENT_COMPLETE: (S.DECISION_TO_ISSUE_DUE,),
    S.DECISION_TO_ISSUE_DUE: (S.DRAFT_ISSUED, S.NOT_ISSUING),
    S.DRAFT_ISSUED: (S.REPRESENTATIONS_OPEN,),
    S.REPRESENTATIONS_OPEN: (S.SETTING_CONSULTATION, S.FINAL_ISSUED),
    S.SETTING_CONSULTATION: (S.FINAL_ISSUED,),
}
OPTIONAL_STAGES = frozenset(
    {S.REQUEST_ACKNOWLEDGED, S.PARTIES_NOTIFIED, S.ASSESSMENT_COMPLETE, S.SETTING_CONSULTATION}
)

# Before stage codes were stored, a new case's stage was its display name.
REQUEST_RECEIVED = "Request received"


def stage_code(value: str | None) -> StageCode | None:
    """The stage a stored or typed value names: a code in any case, or a display name."""
    if not value:
        return None
    wanted = value.strip()
    for stage in STAGES:
        if wanted.upper() == stage.code.value or wanted.casefold() == stage.name.casefold():
            return stage.code
    return None


def stage_name(value: str | None) -> str:
    """The display name for a stored stage value; an unknown value is shown as it is."""
    code = stage_code(value)
    return STAGE_BY_CODE[code].name if code else (value or "")


def allowed_moves(current: StageCode) -> tuple[StageCode, ...]:
    if STAGE_BY_CODE[current].terminal:
        return ()
    return (*FORWARD_MOVES.get(current, ()), S.WITHDRAWN)


def main_path_next(current: StageCode) -> StageCode | None:
    """The usual next stage: the first forward move that is not an optional local stage."""
    moves = [m for m in FORWARD_MOVES.get(current, ()) if m not in OPTIONAL_STAGES]
    return moves[0] if moves else None


class ExceptionGround(StrEnum):
    """Reg 10(4)(a)-(d) grounds, applied to the 20-week limit by reg 13(3)."""

    SCHOOL_CLOSURE = "SCHOOL_CLOSURE"
    EARLY_YEARS_CLOSURE = "EARLY_YEARS_CLOSURE"
    PERSONAL_CIRCUMSTANCES = "PERSONAL_CIRCUMSTANCES"
    ABSENT_FROM_AREA = "ABSENT_FROM_AREA"


@dataclass(frozen=True)
class StatutoryLimit:
    code: str
    label: str
    weeks: int
    # The stages that meet the limit: either outcome of the decision counts.
    met_by: frozenset[StageCode]
    basis: str


# The 16-week limit binds only a decision NOT to issue; when a plan is issued, the draft is the
# practical 16-week point (it leaves room for the two 15-day windows before week 20).
STATUTORY_LIMITS: tuple[StatutoryLimit, ...] = (
    StatutoryLimit(
        "decision-to-assess",
        "Decision whether to carry out an assessment",
        6,
        frozenset({S.ASSESSMENT_AGREED, S.REFUSED_TO_ASSESS}),
        "reg 5(1)",
    ),
    StatutoryLimit(
        "decision-to-issue",
        "Decision if a plan is not to be issued",
        16,
        frozenset({S.DRAFT_ISSUED, S.NOT_ISSUING}),
        "reg 10(1)",
    ),
    StatutoryLimit(
        "final-plan", "Final EHC plan issued", 20, frozenset({S.FINAL_ISSUED}), "reg 13(2)"
    ),
)


def _reachable_avoiding(avoided: frozenset[StageCode]) -> frozenset[StageCode]:
    """The stages a case can reach from its first without passing through `avoided`."""
    seen, waiting = {S.REQUEST_RECEIVED}, [S.REQUEST_RECEIVED]
    while waiting:
        following = set(allowed_moves(waiting.pop())) - avoided - seen
        seen |= following
        waiting += following
    return frozenset(seen)


# Case.stage values of a closed case, by code and by the display name stored before codes were.
CLOSED_STAGE_VALUES = frozenset(v for s in STAGES if s.terminal for v in (s.code.value, s.name))
# Limit code to the stages meeting it: its own, and those reached only through one (the moves).
STAGES_MEETING: Mapping[str, frozenset[StageCode]] = {
    limit.code: frozenset(STAGE_BY_CODE) - _reachable_avoiding(limit.met_by)
    for limit in STATUTORY_LIMITS
}


@dataclass(frozen=True)
class Milestone:
    label: str
    due: date
    code: str = ""


def statutory_milestones(day0: date) -> list[Milestone]:
    return [
        Milestone(REQUEST_RECEIVED, day0, "request-received"),
        *(Milestone(m.label, day0 + timedelta(weeks=m.weeks), m.code) for m in STATUTORY_LIMITS),
    ]


def shown_date(day: date) -> str:
    """A date as our emails write it in a sentence: "5 January 2027"."""
    return f"{day.day} {day:%B %Y}"


def timeline_rows(day0: date) -> list[dict[str, str]]:
    """The milestones as an email shows them: received on a date, the rest due by one."""
    rows = []
    for m in statutory_milestones(day0):
        when = f"{m.due:%d/%m/%Y}" if m.label == REQUEST_RECEIVED else f"by {m.due:%d/%m/%Y}"
        rows.append({"label": m.label, "when": when})
    return rows


class TimelineFact(Protocol):
    """What the clock reads from a timeline event (`store.TimelineEvent` is one)."""

    kind: Any
    stage: str | None
    occurred_on: date
    detail: dict[str, Any]


@dataclass(frozen=True)
class ExceptionNote:
    ground: str
    start: date
    end: date | None
    family_informed_on: date | None
    note: str | None
    recorded_on: date
    actor: str

    def covers(self, first: date, last: date) -> bool:
        """In force at some point between `first` and `last` (an open end runs on)."""
        return self.start <= last and (self.end is None or self.end >= first)


@dataclass(frozen=True)
class MilestoneStatus:
    code: str
    label: str
    due: date
    met_on: date | None
    # met | due | overdue | not-applicable (the case closed before reaching it)
    state: str
    days_left: int | None
    on_time_including_exceptions: bool | None
    on_time_excluding_exceptions: bool | None
    excused_by: tuple[str, ...]


@dataclass(frozen=True)
class CaseClock:
    stage: StageCode | None
    closed: bool
    milestones: tuple[MilestoneStatus, ...]
    exceptions: tuple[ExceptionNote, ...]
    next_milestone: MilestoneStatus | None
    on_time_including_exceptions: bool | None
    on_time_excluding_exceptions: bool | None

    @property
    def next_due(self) -> date | None:
        return self.next_milestone.due if self.next_milestone else None

    @property
    def days_left(self) -> int | None:
        """Days until the next statutory date; None when it has passed or there is none."""
        left = self.next_milestone.days_left if self.next_milestone else None
        return left if left is not None and left >= 0 else None

    @property
    def days_overdue(self) -> int | None:
        left = self.next_milestone.days_left if self.next_milestone else None
        return -left if left is not None and left < 0 else None


def _is(kind: Any, name: str) -> bool:
    return str(kind) == name


def current_stage(events: Iterable[TimelineFact]) -> StageCode | None:
    """The stage of the last stage event, in the order given."""
    stage = None
    for e in events:
        if _is(e.kind, "stage"):
            stage = stage_code(e.stage) or stage
    return stage


def exception_notes(events: Iterable[TimelineFact]) -> list[ExceptionNote]:
    notes = []
    for e in events:
        if not _is(e.kind, "exception"):
            continue
        d = e.detail or {}
        notes.append(
            ExceptionNote(
                ground=d["ground"],
                start=date.fromisoformat(d["start"]),
                end=_optional_date(d.get("end")),
                family_informed_on=_optional_date(d.get("family_informed_on")),
                note=d.get("note"),
                recorded_on=e.occurred_on,
                actor=getattr(e, "actor", ""),
            )
        )
    return notes


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def case_clock(day0: date, events: Iterable[TimelineFact], today: date) -> CaseClock:
    """Where a case stands against the law's clock on `today`, from its timeline events."""
    events = list(events)
    reached: dict[StageCode, date] = {}
    for e in events:
        code = stage_code(e.stage) if _is(e.kind, "stage") else None
        if code is not None:
            reached.setdefault(code, e.occurred_on)
    stage = current_stage(events)
    closed = stage is not None and STAGE_BY_CODE[stage].terminal
    notes = exception_notes(events)
    statuses = [_milestone_status(m, day0, reached, notes, closed, today) for m in STATUTORY_LIMITS]
    finished = [m for m in statuses if m.state == "met"]
    open_ = [m for m in statuses if m.state in ("due", "overdue")]
    return CaseClock(
        stage=stage,
        closed=closed,
        milestones=tuple(statuses),
        exceptions=tuple(notes),
        next_milestone=open_[0] if open_ else None,
        on_time_including_exceptions=(
            all(m.on_time_including_exceptions for m in finished) if finished else None
        ),
        on_time_excluding_exceptions=(
            all(m.on_time_excluding_exceptions for m in finished) if finished else None
        ),
    )


def _milestone_status(
    limit: StatutoryLimit,
    day0: date,
    reached: Mapping[StageCode, date],
    notes: list[ExceptionNote],
    closed: bool,
    today: date,
) -> MilestoneStatus:
    due = day0 + timedelta(weeks=limit.weeks)
    met_on = min((reached[s] for s in limit.met_by if s in reached), default=None)
    if met_on is not None:
        on_time = met_on <= due
        # An exception excuses lateness only if it was in force while the work was under way.
        excused = () if on_time else tuple(n.ground for n in notes if n.covers(day0, met_on))
        return MilestoneStatus(
            limit.code, limit.label, due, met_on, "met", None, on_time, on_time or bool(excused),
            excused,
        )  # fmt: skip
    if closed:
        return MilestoneStatus(
            limit.code, limit.label, due, None, "not-applicable", None, None, None, ()
        )
    days_left = (due - today).days
    state = "overdue" if days_left < 0 else "due"
    return MilestoneStatus(limit.code, limit.label, due, None, state, days_left, None, None, ())
