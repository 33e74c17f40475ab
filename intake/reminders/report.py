"""What a reminder run did (or, dry, would do): the reminders it queued and the counts of those
another run had claimed already today, complete when the run returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple


class ReminderItem(NamedTuple):
    """One reminder queued (or, in a dry run, that would be). A named tuple: a run may make
    thousands, and they are made inside its transaction."""

    kind: str
    case_reference: str
    advice_reference: str | None
    recipient_domain: str
    due_on: date
    outbox_id: int | None = None
    milestone: str | None = None

    def as_json(self) -> dict[str, Any]:
        row = self._asdict()
        row["due_on"] = self.due_on.isoformat()
        return row


@dataclass(frozen=True)
class Queued:
    """One part of a run's work: what it queued, and how many of the reminders owed today were
    claimed already today (an earlier run, or another run at the same time)."""

    items: tuple[ReminderItem, ...] = ()
    already_sent: int = 0


@dataclass(frozen=True)
class ReminderReport:
    today: date
    dry_run: bool
    working_day: bool
    # Thresholds on days after this one and up to `today` are sent by this run.
    window_start: date | None = None
    advice: Queued = Queued()
    deadlines: Queued = Queued()

    @property
    def advice_reminders(self) -> tuple[ReminderItem, ...]:
        return self.advice.items

    @property
    def deadline_warnings(self) -> tuple[ReminderItem, ...]:
        return self.deadlines.items

    @property
    def advice_count(self) -> int:
        return len(self.advice.items)

    @property
    def already_sent(self) -> int:
        return self.advice.already_sent + self.deadlines.already_sent

    @property
    def items(self) -> list[ReminderItem]:
        return [*self.advice.items, *self.deadlines.items]


def domain_of(address: str) -> str:
    """What a report shows of a recipient: the domain of the address, never the person."""
    return address.rpartition("@")[2].lower()
