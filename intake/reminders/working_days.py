"""Working days for the reminder run: Monday to Friday, except the bank holidays of England and
Wales and any day the council names as closed (`INTAKE_CLOSED_DAYS`).

Statutory deadlines are not moved by holidays (the regulations count weeks); only the days on
which reminders go out are. The regular bank holidays follow from the rules below, for any year.
One-off holidays (a coronation, a jubilee) and the years a regular one moved (the early May
holiday on Friday 8 May 2020) are not rules: name them in `INTAKE_CLOSED_DAYS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

MONDAY, SATURDAY, SUNDAY = 0, 5, 6


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm in Meeus' form)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(MONDAY - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - MONDAY) % 7)


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def england_bank_holidays(year: int) -> frozenset[date]:
    """The regular bank holidays of England and Wales in `year`, substitute days included."""
    easter = easter_sunday(year)
    christmas = date(year, 12, 25)
    # A Christmas or Boxing Day at the weekend is made up on the next weekdays, in that order.
    christmas_off = _weekday_on_or_after(christmas)
    boxing_off = _weekday_on_or_after(max(date(year, 12, 26), christmas_off + timedelta(days=1)))
    return frozenset(
        {
            _weekday_on_or_after(date(year, 1, 1)),
            easter - timedelta(days=2),  # Good Friday
            easter + timedelta(days=1),  # Easter Monday
            _first_monday(year, 5),  # early May
            _last_monday(year, 5),  # spring
            _last_monday(year, 8),  # summer
            christmas_off,
            boxing_off,
        }
    )


class WorkingDays:
    """Which days reminders may go out on."""

    def __init__(self, closed_days: Iterable[date] = ()) -> None:
        self.closed_days = frozenset(closed_days)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        if day.weekday() >= SATURDAY or day in self.closed_days:
            return False
        return day not in england_bank_holidays(day.year)

    def previous(self, day: date) -> date:
        """The last working day before `day`."""
        day -= timedelta(days=1)
        while day not in self:
            day -= timedelta(days=1)
        return day

    def on_or_before(self, day: date) -> date:
        """`day` if it is a working day, else the last working day before it."""
        return day if day in self else self.previous(day)

    def next(self, day: date) -> date:
        """`day` if it is a working day, else the first working day after it."""
        while day not in self:
            day += timedelta(days=1)
        return day


# Weekdays less the bank holidays, with no closure days of the council's own.
REGULAR_WORKING_DAYS = WorkingDays()
