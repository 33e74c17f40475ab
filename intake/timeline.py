"""The statutory clock of a case, counted from day 0 (the day the request was received).

Time limits from the SEND Regulations 2014: a decision whether to assess within 6 weeks
(reg 5), a decision not to issue a plan within 16 weeks (reg 10), the final plan within
20 weeks (reg 13). `../shared/domain/timeline.md` has the sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

REQUEST_RECEIVED = "Request received"


@dataclass(frozen=True)
class Milestone:
    label: str
    due: date


def statutory_milestones(day0: date) -> list[Milestone]:
    return [
        Milestone(REQUEST_RECEIVED, day0),
        Milestone("Decision whether to carry out an assessment", day0 + timedelta(weeks=6)),
        Milestone("Decision if a plan is not to be issued", day0 + timedelta(weeks=16)),
        Milestone("Final EHC plan issued", day0 + timedelta(weeks=20)),
    ]


def timeline_rows(day0: date) -> list[dict[str, str]]:
    """The milestones as an email shows them: received on a date, the rest due by one."""
    rows = []
    for m in statutory_milestones(day0):
        when = f"{m.due:%d/%m/%Y}" if m.label == REQUEST_RECEIVED else f"by {m.due:%d/%m/%Y}"
        rows.append({"label": m.label, "when": when})
    return rows
