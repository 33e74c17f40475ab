"""The dashboard's statements take their indexes on SQLite, which keeps no statistics and so
picks by the shape of the query alone: each regression here would be silent in every other test
and cost a whole table at scale (benchmarks/portal.py, 100,000 cases and 1,000,000 messages).
PostgreSQL chooses by its statistics, which a small test database does not have."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, literal, select

from intake.cases.timeline import CLOSED_STAGE_VALUES
from intake.views.queue import Asked, held_mail
from intake.views.queue_lists import LIST_BY_NAME, QUEUE_LISTS
from store import CLOSED_CASE_STAGES, Database

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def plan_of(database: Database, statement) -> str:
    compiled = statement.compile(database.engine, compile_kwargs={"literal_binds": True})
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        return " / ".join(row[-1] for row in rows)


def counted(name: str, asked: Asked):
    """The count the queue page makes of a list (`QueueList.count`), up to its limit."""
    queue_list = LIST_BY_NAME[name]
    listed = (queue_list.counted or queue_list.statement)(asked)
    rows = listed.order_by(None).with_only_columns(literal(1)).limit(10_001)
    return select(func.count()).select_from(rows.subquery())


def test_a_case_s_messages_are_found_through_the_case_not_the_status(
    sqlite_database: Database,
) -> None:
    """A list searched by a case reference: the status index also gives the order, and SQLite
    took it, reading every rejected message (a third of a million) to find one case's."""
    asked = Asked(NOW.date(), NOW, "EHC-2026-000123")
    page = LIST_BY_NAME["rejected"].statement(asked).limit(50)
    for statement in (page, counted("rejected", asked)):
        plan = plan_of(sqlite_database, statement)
        assert "inbound_messages USING COVERING INDEX ix_inbound_messages_case_status" in plan or (
            "inbound_messages USING INDEX ix_inbound_messages_case_status_received" in plan
        ), plan


def test_message_lists_are_counted_from_the_status_index_alone(
    sqlite_database: Database,
) -> None:
    """Every page counts every list (up to 10,001): from the index, never the messages' rows."""
    asked = Asked(date(2026, 12, 2), NOW)
    message_lists = [q.name for q in QUEUE_LISTS if q.counted is not None]
    assert len(message_lists) == 5
    for name in message_lists:
        plan = plan_of(sqlite_database, counted(name, asked))
        assert "USING COVERING INDEX ix_inbound_messages_status_received" in plan, (name, plan)


def test_the_held_mail_is_found_by_action_and_time(sqlite_database: Database) -> None:
    """The queue's "mail not sent": a handful of entries, not the week's whole audit log."""
    plan = plan_of(sqlite_database, held_mail(NOW))
    assert "audit_log USING INDEX ix_audit_log_action_at" in plan, plan


def test_the_deadlines_at_risk_are_read_among_open_cases_only(sqlite_database: Database) -> None:
    """Counted on every queue page: closed cases, most of the table, were read every time. The
    partial index holds open cases only, and SQLite takes it only when the query repeats its
    condition word for word: the store's list of closed stages must be the timeline's."""
    assert CLOSED_CASE_STAGES == tuple(sorted(CLOSED_STAGE_VALUES))
    asked = Asked(NOW.date(), NOW)
    page = LIST_BY_NAME["deadlines-at-risk"].statement(asked).limit(50)
    assert "cases USING INDEX ix_cases_open_day0" in plan_of(sqlite_database, page)
    plan = plan_of(sqlite_database, counted("deadlines-at-risk", asked))
    assert "cases USING COVERING INDEX ix_cases_open_day0" in plan, plan
