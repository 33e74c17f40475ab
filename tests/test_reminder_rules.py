"""The reminder run's rules day by day: a statutory milestone the case has met (it reached or
passed the stage that meets it) never warns, nor does a closed case; the "due today" reminder
for advice due on a weekend, bank holiday or closure day goes out on the working day before.

Every database test runs on SQLite and PostgreSQL; the clock is the `today` passed to each run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from mail_factory import body_texts, read_email
from sqlalchemy import select
from test_reminders import Records, days

from intake.cases.timeline import STATUTORY_LIMITS
from intake.reminders.mail import outbox_composer
from intake.reminders.run import run_reminders
from store import OutboxMessage

D = date.fromisoformat
RUN_ON = D("2027-02-17")  # a Wednesday
LABELS = {limit.code: limit.label for limit in STATUTORY_LIMITS}
WEEKS = {limit.code: limit.weeks for limit in STATUTORY_LIMITS}
# How long ago each milestone was missed on RUN_ON: the 16-week one only just, so that the
# 20-week date after it is not yet within notice.
MISSED_BY = {"decision-to-assess": 35, "decision-to-issue": 3, "final-plan": 35}


def warnings_on(services, today: date) -> list[tuple[str, str | None]]:
    report = run_reminders(services, today)
    return [(item.case_reference, item.milestone) for item in report.deadline_warnings]


def test_the_reported_case_agreed_late_is_not_warned_weeks_later(services) -> None:
    records = Records(services.db)
    # Day 0 on 2 December 2026: the 6-week date was 13 January, the assessment agreed on 20th.
    records.case(D("2026-12-02"), stage="ASSESSMENT_AGREED")
    assert warnings_on(services, RUN_ON) == []


@pytest.mark.parametrize(
    ("milestone", "stage", "warned"),
    [
        ("decision-to-assess", "DECISION_TO_ASSESS_DUE", True),
        ("decision-to-assess", "PARTIES_NOTIFIED", True),
        ("decision-to-assess", "ASSESSMENT_AGREED", False),  # met
        ("decision-to-assess", "Assessment agreed", False),  # met, stored by display name
        ("decision-to-assess", "ADVICE_DUE", False),  # passed
        ("decision-to-assess", "REFUSED_TO_ASSESS", False),  # met, and closed
        ("decision-to-assess", "WITHDRAWN", False),  # closed
        ("decision-to-issue", "DECISION_TO_ISSUE_DUE", True),
        ("decision-to-issue", "ASSESSMENT_COMPLETE", True),
        ("decision-to-issue", "DRAFT_ISSUED", False),  # met
        ("decision-to-issue", "SETTING_CONSULTATION", False),  # passed
        ("decision-to-issue", "NOT_ISSUING", False),  # met, and closed
        ("final-plan", "SETTING_CONSULTATION", True),
        ("final-plan", "REQUEST_RECEIVED", True),
        ("final-plan", "FINAL_ISSUED", False),  # met, and closed
        ("final-plan", "WITHDRAWN", False),
    ],
)
def test_a_missed_milestone_warns_only_while_the_case_has_not_met_it(
    services, milestone: str, stage: str, warned: bool
) -> None:
    records = Records(services.db)
    day0 = RUN_ON - timedelta(weeks=WEEKS[milestone], days=MISSED_BY[milestone])
    case = records.case(day0, stage=stage)
    expected = [(case, LABELS[milestone])] if warned else []
    assert warnings_on(services, RUN_ON) == expected


@pytest.mark.parametrize("milestone", sorted(WEEKS))
def test_a_milestone_within_notice_warns_unless_met(services, milestone: str) -> None:
    records = Records(services.db)
    day0 = RUN_ON - timedelta(weeks=WEEKS[milestone], days=-7)  # due in seven days
    meeting = {
        "decision-to-assess": "ASSESSMENT_AGREED",
        "decision-to-issue": "DRAFT_ISSUED",
        "final-plan": "FINAL_ISSUED",
    }[milestone]
    waiting = records.case(
        day0, stage="PARTIES_NOTIFIED" if WEEKS[milestone] == 6 else "ADVICE_DUE"
    )
    records.case(day0, stage=meeting)
    assert warnings_on(services, RUN_ON) == [(waiting, LABELS[milestone])]


def advice_reminders_over(services, first: date, count: int) -> list[tuple[date, str, str]]:
    sent = []
    for today in days(first, count):
        report = run_reminders(services, today)
        sent += [(today, i.advice_reference, i.kind) for i in report.advice_reminders]
    return sent


def test_advice_due_on_a_saturday_is_reminded_on_the_friday_before(services) -> None:
    records = Records(services.db)
    case = records.case(D("2026-01-05"), stage="FINAL_ISSUED")
    saturday = records.advice(case, D("2026-01-05"), D("2026-02-14"))
    sent = advice_reminders_over(services, D("2026-02-09"), 9)
    assert sent == [
        (D("2026-02-11"), saturday, "due-in-3"),
        (D("2026-02-13"), saturday, "due-today"),  # Friday, the day before
        (D("2026-02-16"), saturday, "overdue-1"),  # Sunday's threshold, on Monday
    ]


def test_the_reminder_brought_forward_says_the_due_date_is_a_closed_day(services) -> None:
    records = Records(services.db)
    case = records.case(D("2026-01-05"), stage="FINAL_ISSUED")
    saturday = records.advice(case, D("2026-01-05"), D("2026-02-14"))
    assert advice_reminders_over(services, D("2026-02-13"), 1) == [
        (D("2026-02-13"), saturday, "due-today")
    ]
    compose = outbox_composer(services)
    with services.db.session() as session:
        (row,) = session.scalars(select(OutboxMessage))
        email = read_email(compose(session, row).raw)
    text = " ".join(body_texts(email)[0].split())
    assert (
        email["Subject"]
        == f"Reminder: advice {saturday} for case {case} is due on 14 February 2026"
    )
    assert "is due on 14 February 2026, in 1 day. Our office is closed on that day" in text


def test_advice_due_on_easter_monday_is_reminded_on_the_thursday_before(services) -> None:
    records = Records(services.db)
    case = records.case(D("2026-01-05"), stage="FINAL_ISSUED")
    # Due Easter Monday, 6 April 2026; Good Friday (3 April) is a bank holiday too.
    easter = records.advice(case, D("2026-02-23"), D("2026-04-06"))
    sent = advice_reminders_over(services, D("2026-04-01"), 7)
    assert sent == [
        (D("2026-04-02"), easter, "due-today"),  # the 3-day threshold (Good Friday) folds in
        (D("2026-04-07"), easter, "overdue-1"),
    ]


def test_advice_due_on_a_closure_day_is_reminded_on_the_working_day_before(services) -> None:
    records = Records(services.db)
    case = records.case(D("2026-09-07"), stage="FINAL_ISSUED")
    closure = records.advice(case, D("2026-11-12"), D("2026-12-24"))  # a Thursday, closed
    services = replace(services, settings=replace(services.settings, closed_days={D("2026-12-24")}))
    sent = advice_reminders_over(services, D("2026-12-21"), 10)
    assert sent == [
        (D("2026-12-21"), closure, "due-in-3"),
        (D("2026-12-23"), closure, "due-today"),
        (D("2026-12-29"), closure, "overdue-1"),
    ]


def test_a_catch_up_run_after_a_missed_friday_sends_the_due_today_reminder(services) -> None:
    records = Records(services.db)
    case = records.case(D("2026-01-05"), stage="FINAL_ISSUED")
    sunday = records.advice(case, D("2026-01-05"), D("2026-02-15"))
    assert advice_reminders_over(services, D("2026-02-12"), 1) == [
        (D("2026-02-12"), sunday, "due-in-3")
    ]
    # No run on Friday 13th: Monday's run is after the due date, so it sends overdue-1 alone.
    assert advice_reminders_over(services, D("2026-02-16"), 1) == [
        (D("2026-02-16"), sunday, "overdue-1")
    ]
