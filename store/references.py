"""Reference numbers such as EHC-2026-000123 and ADV-2026-000001: sequential per prefix and year,
never handed out twice, even when several workers take them at once."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import ReferenceCounter

CASE_PREFIX = "EHC"
ADVICE_PREFIX = "ADV"


def next_reference(session: Session, prefix: str, year: int) -> str:
    """The next reference for `prefix` and `year`, as PREFIX-YEAR-NNNNNN.

    The counter row stays locked until the session's transaction ends, so concurrent callers
    queue behind it; if that transaction rolls back its number is taken again by the next one.
    """
    number = _increment(session, prefix, year)
    if number is None:
        # First reference of the year. ON CONFLICT DO NOTHING: a concurrent first caller may
        # insert the row between our UPDATE and this INSERT; then we simply queue behind it.
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(ReferenceCounter)
            .values(prefix=prefix, year=year, last_value=0)
            .on_conflict_do_nothing()
        )
        number = _increment(session, prefix, year)
    assert number is not None, "the counter row exists: it was just inserted"
    return f"{prefix}-{year}-{number:06d}"


def next_reference_now(session: Session, prefix: str, year: int) -> str:
    """`next_reference`, but on PostgreSQL taken and committed at once in a short transaction of
    its own: workers then queue for the counter only for that moment, not for the rest of each
    other's transactions (a request's receipt is rendered once its reference is known, and with
    the counter held meanwhile two workers could not render at once). The price: a number taken
    by a transaction that then fails is skipped, as a sequence's would be; none is handed out
    twice. On SQLite, one writer at a time, which this session already is: `next_reference`."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return next_reference(session, prefix, year)
    with Session(bind.engine) as own, own.begin():
        return next_reference(own, prefix, year)


def _increment(session: Session, prefix: str, year: int) -> int | None:
    # One UPDATE ... RETURNING both locks the row and reads the new value (SQLite has it too).
    statement = (
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last_value=ReferenceCounter.last_value + 1)
        .returning(ReferenceCounter.last_value)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).scalar_one_or_none()
