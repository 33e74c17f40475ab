"""Migrations on SQLite and PostgreSQL: they reach head, the schema they build is the one the
models describe, and they go down to nothing and back up again."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

import store
from store import Database

# SQLite cannot reflect the lower(email) index, so it is not compared there; the email test
# proves it exists.
UNREFLECTED_INDEX = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression"
)
UNCOMPARED_INDEX = pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified")


@UNREFLECTED_INDEX
@UNCOMPARED_INDEX
def test_migrations_reach_head_and_match_the_models(database: Database) -> None:
    head = ScriptDirectory.from_config(store.alembic_config(database.url)).get_current_head()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == head
        assert compare_metadata(context, store.Base.metadata) == []


@UNREFLECTED_INDEX
@UNCOMPARED_INDEX
def test_downgrade_to_base_leaves_nothing_and_upgrade_restores(database: Database) -> None:
    config = store.alembic_config(database.url)
    command.downgrade(config, "base")
    assert set(inspect(database.engine).get_table_names()) == {"alembic_version"}
    with database.engine.connect() as connection:
        # The comparison sees a missing schema, so an empty diff above means something.
        context = MigrationContext.configure(connection)
        assert len(compare_metadata(context, store.Base.metadata)) > 10
    database.engine.dispose()
    store.upgrade(database.url)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, store.Base.metadata) == []


@UNREFLECTED_INDEX
@UNCOMPARED_INDEX
def test_0003_keeps_the_link_between_a_reminder_and_its_email_both_ways(
    database: Database,
) -> None:
    """0003 turned `reminders_sent.outbox_id` into `outbox.reminder_id`: a link made at head
    survives a downgrade to 0002 and the upgrade back, and unsent mail without a body stops
    the downgrade rather than being dropped."""
    with database.session() as session:
        child = store.Child(forename="A", surname="B", date_of_birth=date(2015, 1, 1))
        author = store.Professional(
            email="a@x.example", name="A", role="Other", organisation_name="O"
        )
        session.add_all([child, author])
        session.flush()
        case = store.Case(
            reference="EHC-2026-000001", child_id=child.id, requested_by_id=author.id,
            request_token="t", stage="REQUEST_RECEIVED", day0=date(2026, 1, 5),
        )  # fmt: skip
        session.add(case)
        session.flush()
        reminder = store.ReminderSent(case_id=case.id, kind="deadline-x", sent_on=date(2026, 1, 5))
        session.add(reminder)
        session.flush()
        mail = {"kind": "deadline_warning", "to_address": "a@x.example", "subject": "s"}
        session.add(
            store.OutboxMessage(message_id="<a@x>", raw=b"x", reminder_id=reminder.id, **mail)
        )
        waiting = store.OutboxMessage(message_id="<b@x>", raw=None, **mail)
        session.add(waiting)
    config = store.alembic_config(database.url)
    with pytest.raises(RuntimeError, match="1 outbox email"):
        command.downgrade(config, "0002")
    with database.session() as session:
        session.get(store.OutboxMessage, waiting.id).raw = b"y"
    command.downgrade(config, "0002")
    with database.engine.connect() as connection:
        links = connection.execute(text("SELECT id, outbox_id FROM reminders_sent")).all()
        first_mail = connection.scalar(text("SELECT id FROM outbox WHERE message_id = '<a@x>'"))
    assert links == [(reminder.id, first_mail)]
    database.engine.dispose()
    store.upgrade(database.url)
    with database.session() as session:
        rows = session.execute(
            select(store.OutboxMessage.message_id, store.OutboxMessage.reminder_id)
        )
        assert sorted(rows) == [("<a@x>", reminder.id), ("<b@x>", None)]
