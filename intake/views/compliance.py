"""Compliance with the statutory time limits, counted by the database for every case at once:
per case, the dates and outcomes the SEN2 return asks for, and by month the share of decisions
whether to assess made within 6 weeks and of final plans issued within 20 weeks.

The rules are the case clock's (`intake.cases.timeline`): a limit is met on the first day a stage
meeting it was reached; a late one is excused when an exception was in force between day 0 and
that day. Months are those in which the decision was made or the plan issued, as SEN2 counts plans
issued in its period. One GROUP BY over the stage events and one EXISTS per late milestone, so
100,000 cases are read once, never case by case in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from intake.cases.timeline import STAGE_BY_CODE, STATUTORY_LIMITS, StageCode
from store import Case, TimelineEvent, TimelineKind

LIMITS = {limit.code: limit for limit in STATUTORY_LIMITS}
DECISION = LIMITS["decision-to-assess"]
FINAL_PLAN = LIMITS["final-plan"]


def stored_values(codes: Iterable[StageCode]) -> list[str]:
    """A stage as `TimelineEvent.stage` may hold it: its code, or its older display name."""
    return [value for code in codes for value in (code.value, STAGE_BY_CODE[code].name)]


def first_reached(codes: Iterable[StageCode]) -> Any:
    """The first day a case reached any of `codes` (per case, in the GROUP BY below)."""
    reached = and_(
        TimelineEvent.kind == TimelineKind.STAGE, TimelineEvent.stage.in_(stored_values(codes))
    )
    return func.min(case((reached, TimelineEvent.occurred_on)))


def excused(case_id: Any, day0: Any, met_on: Any) -> Any:
    """An exception in force at some time between day 0 and `met_on` (`ExceptionNote.covers`);
    its dates are ISO text in the event's detail, which compares as the dates do."""
    note = aliased(TimelineEvent)
    start, end = note.detail["start"].as_string(), note.detail["end"].as_string()
    return exists().where(
        note.case_id == case_id,
        note.kind == TimelineKind.EXCEPTION,
        start <= cast(met_on, String),
        or_(end.is_(None), end >= cast(day0, String)),
    )


def per_case_statement() -> Any:
    """One row per case: reference, day 0, the decision and its outcome, the final plan, the
    number of exceptions, and whether each late milestone was excused."""
    milestones = (
        select(
            TimelineEvent.case_id.label("case_id"),
            first_reached({StageCode.ASSESSMENT_AGREED}).label("assess_on"),
            first_reached({StageCode.REFUSED_TO_ASSESS}).label("refused_on"),
            first_reached(FINAL_PLAN.met_by).label("final_on"),
            func.count(case((TimelineEvent.kind == TimelineKind.EXCEPTION, 1))).label("exceptions"),
        )
        .group_by(TimelineEvent.case_id)
        .subquery("milestones")
    )
    # Refusing to assess closes a case, so a case has one decision or none.
    decided_on = func.coalesce(milestones.c.assess_on, milestones.c.refused_on)
    return select(
        Case.id,
        Case.reference,
        Case.day0,
        decided_on.label("decided_on"),
        milestones.c.assess_on,
        milestones.c.refused_on,
        milestones.c.final_on,
        func.coalesce(milestones.c.exceptions, 0).label("exceptions"),
    ).outerjoin(milestones, milestones.c.case_id == Case.id)


@dataclass(frozen=True)
class CaseReturn:
    """One case as the SEN2 export shows it."""

    reference: str
    request_received: date
    decision_on: date | None
    decision: str | None  # "assess" or "not-assess"
    decision_on_time: bool | None
    decision_excused: bool | None
    final_plan_on: date | None
    final_plan_on_time: bool | None
    final_plan_excused: bool | None
    exceptions: int


def case_returns(session: Session) -> Iterator[CaseReturn]:
    """Every case, by reference, with its dates, outcomes and whether each was on time."""
    rows = per_case_statement().subquery("per_case")
    decision_late = late_expression(session, rows.c.day0, rows.c.decided_on, DECISION.weeks)
    final_late = late_expression(session, rows.c.day0, rows.c.final_on, FINAL_PLAN.weeks)
    statement = select(
        rows,
        case((decision_late, excused(rows.c.id, rows.c.day0, rows.c.decided_on)), else_=None)
        .label("decision_excused"),
        case((final_late, excused(rows.c.id, rows.c.day0, rows.c.final_on)), else_=None)
        .label("final_excused"),
        decision_late.label("decision_late"),
        final_late.label("final_late"),
    ).order_by(rows.c.reference)  # fmt: skip
    for row in session.execute(statement).mappings():
        decided = row["decided_on"]
        decision = None
        if decided is not None:
            decision = "assess" if decided == row["assess_on"] else "not-assess"
        yield CaseReturn(
            reference=row["reference"],
            request_received=row["day0"],
            decision_on=decided,
            decision=decision,
            decision_on_time=None if decided is None else not row["decision_late"],
            decision_excused=bool(row["decision_excused"]) if row["decision_late"] else None,
            final_plan_on=row["final_on"],
            final_plan_on_time=None if row["final_on"] is None else not row["final_late"],
            final_plan_excused=bool(row["final_excused"]) if row["final_late"] else None,
            exceptions=row["exceptions"],
        )


def late_expression(session: Session, day0: Any, met_on: Any, weeks: int) -> Any:
    """`met_on` is after day 0 plus `weeks`. Date arithmetic differs by database: SQLite keeps
    dates as ISO text, which compares as the dates do (a CAST to DATE would make it a number)."""
    if session.get_bind().dialect.name == "postgresql":
        due = day0 + literal(weeks * 7)
    else:
        due = func.date(day0, f"+{weeks * 7} days")
    return and_(met_on.is_not(None), met_on > due)


@dataclass(frozen=True)
class MonthFigures:
    """One month: decisions whether to assess made in it and final plans issued in it, how
    many of each were on time, and how many on time or excused by an exception."""

    month: str
    decisions: int
    decisions_on_time: int
    decisions_on_time_or_excused: int
    final_plans: int
    final_plans_on_time: int
    final_plans_on_time_or_excused: int

    @staticmethod
    def share(part: int, whole: int) -> str:
        return f"{round(100 * part / whole)}%" if whole else "–"


def month_of(session: Session, day: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.strftime("%Y-%m", day)


def monthly_figures(session: Session) -> list[MonthFigures]:
    """The months with any decision or final plan, newest first: one pass over the cases (a
    CTE both milestones read), each late milestone's exceptions looked up by case."""
    per_case = per_case_statement().cte("per_case")
    if session.get_bind().dialect.name == "sqlite":
        # Read twice below: made once, not once per reader.
        per_case = per_case.prefix_with("MATERIALIZED")
    milestones = []
    for met_on, weeks, prefix in (
        (per_case.c.decided_on, DECISION.weeks, "decisions"),
        (per_case.c.final_on, FINAL_PLAN.weeks, "final_plans"),
    ):
        late = late_expression(session, per_case.c.day0, met_on, weeks)
        milestones.append(
            select(
                month_of(session, met_on).label("month"),
                literal(prefix).label("milestone"),
                case((late, 1), else_=0).label("late"),
                case((late, excused(per_case.c.id, per_case.c.day0, met_on)), else_=False)
                .label("excused"),
            ).where(met_on.is_not(None))
        )  # fmt: skip
    rows = union_all(*milestones).subquery("milestones_met")
    statement = select(
        rows.c.month,
        rows.c.milestone,
        func.count(),
        func.count(case((rows.c.late == 0, 1))),
        func.count(case((or_(rows.c.late == 0, rows.c.excused), 1))),
    ).group_by(rows.c.month, rows.c.milestone)
    figures: dict[str, dict[str, int]] = {}
    for name, prefix, total, on_time, or_excused in session.execute(statement):
        figures.setdefault(name, {}).update(
            {prefix: total, f"{prefix}_on_time": on_time,
             f"{prefix}_on_time_or_excused": or_excused}
        )  # fmt: skip
    empty = dict.fromkeys(
        ("decisions", "decisions_on_time", "decisions_on_time_or_excused", "final_plans",
         "final_plans_on_time", "final_plans_on_time_or_excused"), 0,
    )  # fmt: skip
    return [
        MonthFigures(month, **{**empty, **counts})
        for month, counts in sorted(figures.items(), reverse=True)
    ]
