"""The queue's lists in one table, in the order the web page shows them, and the two ways they
are read: a page of one list with every list's count (the web queue), or whole (`intake queue`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session, selectinload

from intake.services import Services
from intake.views.queue import (
    NEEDS_A_PERSON,
    PAGE_SIZE,
    Asked,
    advice_rows,
    case_rows,
    deadline_rows,
    deadlines_at_risk,
    message_rows,
    messages_counted,
    messages_of,
    new_requests,
    overdue_advice,
    page_of_messages,
    unsent_mail_rows,
)
from store import AdviceRequest, Case, InboundStatus

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class QueueList:
    """One list of the queue: its name (the page's `?status=`), the statement that finds its
    rows newest first and how they become queue rows; or, for a short list gathered from more
    than one table, `whole`, which gives every row at once."""

    name: str
    statement: Callable[[Asked], Select] | None
    rows: Callable[[Sequence[Any], Asked], Rows] = field(default=lambda found, asked: [])
    whole: Callable[[Session, Asked], Rows] | None = None
    # A page's own statement, where taking one from `statement` would sort the whole list.
    paged: Callable[[Asked, int, int], Select] | None = None
    # What `rows` reads of each row's relations, loaded with the rows (one query per relation,
    # not one per row); never part of a count.
    load: tuple[Any, ...] = ()
    # The list's rows for counting, where `statement` joins what a count need not read.
    counted: Callable[[Asked], Select] | None = None

    def fetch(self, session: Session, asked: Asked, limit: int | None = None, offset: int = 0):
        if self.statement is None:
            rows = self.whole(session, asked)
            return rows[offset:] if limit is None else rows[offset : offset + limit]
        if limit is None:
            statement = self.statement(asked)
        elif self.paged is not None:
            statement = self.paged(asked, limit, offset)
        else:
            statement = self.statement(asked).limit(limit).offset(offset)
        if self.load:
            statement = statement.options(*self.load)
        return self.rows(session.execute(statement).all(), asked)

    def count(self, session: Session, asked: Asked, up_to: int | None = None) -> int:
        """How many rows the list has; past `up_to`, `up_to + 1` (counting stops there)."""
        if self.statement is None:
            return len(self.whole(session, asked))
        listed = (self.counted or self.statement)(asked)
        counted = listed.order_by(None).with_only_columns(literal(1))
        if up_to is not None:
            counted = counted.limit(up_to + 1)
        return session.scalar(select(func.count()).select_from(counted.subquery()))


def _messages(*statuses: InboundStatus) -> QueueList:
    paged = page_of_messages(statuses) if len(statuses) > 1 else None
    return QueueList(
        "",
        messages_of(statuses),
        lambda found, asked: message_rows(found),
        paged=paged,
        counted=messages_counted(statuses),
    )


def _named(name: str, queue_list: QueueList) -> QueueList:
    return replace(queue_list, name=name)


def _firsts(found: Sequence[Any]) -> list[Any]:
    return [row[0] for row in found]


QUEUE_LISTS: tuple[QueueList, ...] = (
    _named("needs-a-person", _messages(*NEEDS_A_PERSON)),
    _named("quarantined", _messages(InboundStatus.QUARANTINED)),
    _named("awaiting-verification", _messages(InboundStatus.AWAITING_VERIFICATION)),
    _named("rejected", _messages(InboundStatus.REJECTED)),
    _named("failed", _messages(InboundStatus.FAILED, InboundStatus.PARKED)),
    QueueList(
        "new-requests",
        new_requests,
        lambda found, asked: case_rows(_firsts(found)),
        load=(selectinload(Case.requested_by),),
    ),
    QueueList(
        "overdue-advice",
        overdue_advice,
        lambda found, asked: advice_rows(_firsts(found), asked.today),
        load=(selectinload(AdviceRequest.professional), selectinload(AdviceRequest.case)),
    ),
    QueueList(
        "deadlines-at-risk",
        deadlines_at_risk,
        lambda found, asked: deadline_rows(found, asked.today),
        load=(selectinload(Case.requested_by),),
    ),
    QueueList("mail-not-sent", None, whole=unsent_mail_rows),
)
LIST_BY_NAME = {queue_list.name: queue_list for queue_list in QUEUE_LISTS}
DEFAULT_LIST = "needs-a-person"
# The page counts each list up to here and says "more than" past it: a count costs what it
# counts, and a list this long is searched, not paged through (200 pages of 50).
COUNTED_UP_TO = 10_000


@dataclass(frozen=True)
class QueuePage:
    """One page of one list, and how many rows each list has."""

    name: str
    rows: Rows
    counts: dict[str, int]
    page: int
    pages: int
    search: str

    def more_than_counted(self, name: str) -> bool:
        return self.counts[name] > COUNTED_UP_TO


def queue_page(services: Services, name: str, page: int = 1, search: str = "") -> QueuePage:
    """Page `page` (from 1) of the list `name`, PAGE_SIZE rows, with every list's count; a page
    past the end is the last page."""
    chosen = LIST_BY_NAME[name]
    asked = Asked(services.today(), services.now(), search[:200])
    with services.db.session() as session:
        counts = {q.name: q.count(session, asked, COUNTED_UP_TO) for q in QUEUE_LISTS}
        pages = max(1, -(-min(counts[name], COUNTED_UP_TO) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        rows = chosen.fetch(session, asked, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return QueuePage(name, rows, counts, page, pages, search)


# Without --status, `intake queue` prints these lists whole, one after the other.
COMMAND_LINE_LISTS = (
    "needs-a-person",
    "mail-not-sent",
    "overdue-advice",
    "new-requests",
    "deadlines-at-risk",
)


def queue_rows(services: Services, status: str | None) -> Rows:
    """`intake queue`: messages needing a person (or of one status, or all), then, in the default
    queue, mail not sent, advice overdue, cases not yet decided and deadlines at risk."""
    asked = Asked(services.today(), services.now())
    if status == "all":
        chosen = [QueueList("all", messages_of(None), LIST_BY_NAME["rejected"].rows)]
    elif status:
        chosen = [_messages(InboundStatus(status))]
    else:
        chosen = [LIST_BY_NAME[name] for name in COMMAND_LINE_LISTS]
    with services.db.session() as session:
        return [row for queue_list in chosen for row in queue_list.fetch(session, asked)]
