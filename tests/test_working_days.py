"""Working days for reminders: the bank holidays of England and Wales by rule, checked against
the lists gov.uk publishes, closure days from the settings, and the reminder run skipping them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from test_reminders import Records

from intake.reminders.run import run_reminders
from intake.reminders.working_days import WorkingDays, easter_sunday, england_bank_holidays

D = date.fromisoformat

# As published on gov.uk/bank-holidays for England and Wales.
PUBLISHED = {
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_lists(year: int) -> None:
    assert england_bank_holidays(year) == {D(f"{year}-{day}") for day in PUBLISHED[year]}


@pytest.mark.parametrize(
    ("year", "christmas_and_boxing_days_off"),
    [
        (2020, ["12-25", "12-28"]),  # Christmas on a Friday: Boxing Day (Saturday) on Monday
        (2021, ["12-27", "12-28"]),  # Christmas on a Saturday
        (2022, ["12-26", "12-27"]),  # Christmas on a Sunday
        (2023, ["12-25", "12-26"]),
    ],
)
def test_christmas_at_a_weekend_is_made_up_on_the_next_weekdays(
    year: int, christmas_and_boxing_days_off: list[str]
) -> None:
    december = {day for day in england_bank_holidays(year) if day.month == 12}
    assert december == {D(f"{year}-{day}") for day in christmas_and_boxing_days_off}


def test_easter_sunday_over_the_extremes_of_its_range() -> None:
    known = ["2008-03-23", "2011-04-24", "2019-04-21", "2038-04-25", "2285-03-22", "1943-04-25"]
    assert [easter_sunday(D(day).year) for day in known] == [D(day) for day in known]


def test_weekends_bank_holidays_and_closure_days_are_not_working_days() -> None:
    days = WorkingDays([D("2026-12-24")])
    assert D("2026-12-23") in days
    assert D("2026-12-24") not in days  # the council's own closure
    assert D("2026-12-26") not in days and D("2026-12-28") not in days  # Saturday; substitute
    assert days.next(D("2026-12-24")) == D("2026-12-29")
    assert days.previous(D("2026-12-29")) == D("2026-12-23")
    assert D("2026-12-24") in WorkingDays()


def test_the_reminder_run_skips_a_bank_holiday_and_a_closure_day(services) -> None:
    records = Records(services.db)
    case = records.case(D("2026-02-02"))
    # Due Monday 20 April 2026: its 14-day reminder falls on Easter Monday, 6 April.
    easter = records.advice(case, D("2026-03-09"), D("2026-04-20"))
    # Due Friday 24 April: its 14-day reminder falls on Friday 10 April, a closure day.
    closed = records.advice(case, D("2026-03-13"), D("2026-04-24"))
    services = replace(services, settings=replace(services.settings, closed_days={D("2026-04-10")}))

    def sent(day: str) -> list[tuple[str | None, str]]:
        report = run_reminders(services, D(day))
        return [(i.advice_reference, i.kind) for i in report.advice_reminders]

    assert sent("2026-04-02") == []
    for holiday in ("2026-04-03", "2026-04-06"):  # Good Friday, Easter Monday
        assert not run_reminders(services, D(holiday)).working_day
    assert sent("2026-04-07") == [(easter, "due-in-14")]
    assert sent("2026-04-09") == []
    assert not run_reminders(services, D("2026-04-10")).working_day
    assert sent("2026-04-13") == [(closed, "due-in-14")]
