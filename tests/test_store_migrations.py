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
from sqlalchemy.exc import IntegrityError

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
        case = _a_case(session)
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
    with database.engine.begin() as connection:  # at 0003 now: the models are ahead of it
        connection.execute(
            text("UPDATE outbox SET raw = :raw WHERE id = :id"), {"raw": b"y", "id": waiting.id}
        )
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


@UNREFLECTED_INDEX
@UNCOMPARED_INDEX
def test_0004_moves_advice_reminders_to_their_emails_and_back(database: Database) -> None:
    """0004 made an advice reminder's outbox row its claim: a downgrade to 0003 gives it a
    `reminders_sent` row again with the email pointing at it, and the upgrade back undoes that,
    drops advice claims that never had an email, and leaves deadline warnings alone."""
    with database.session() as session:
        case = _a_case(session)
        advice = store.AdviceRequest(
            reference="ADV-2026-000001", case_id=case.id, professional_id=case.requested_by_id,
            advice_type="medical", sent_on=date(2026, 1, 5), due_on=date(2026, 2, 16),
        )  # fmt: skip
        warning = store.ReminderSent(case_id=case.id, kind="deadline-x", sent_on=date(2026, 1, 5))
        session.add_all([advice, warning])
        session.flush()
        mail = {"to_address": "a@x.example", "subject": "s", "raw": None}
        session.add_all(
            [
                store.OutboxMessage(
                    kind="advice_reminder", message_id="<r@x>", advice_request_id=advice.id,
                    reminder_kind="due-in-14", reminder_on=date(2026, 2, 2), **mail,
                ),
                store.OutboxMessage(
                    kind="deadline_warning", message_id="<w@x>", reminder_id=warning.id, **mail
                ),
            ]
        )  # fmt: skip
    config = store.alembic_config(database.url)
    command.downgrade(config, "0003")
    with database.engine.begin() as connection:
        claims = connection.execute(
            text(
                "SELECT r.advice_request_id, r.case_id, r.kind, r.sent_on, o.message_id"
                " FROM reminders_sent r JOIN outbox o ON o.reminder_id = r.id ORDER BY r.kind"
            )
        ).all()
        # An advice claim held back by an earlier version's rate limit: no email, nothing sent.
        connection.execute(
            text(
                "INSERT INTO reminders_sent (advice_request_id, kind, sent_on, created_at)"
                " VALUES (:id, 'due-in-3', '2026-02-13', '2026-02-13 09:00:00')"
            ),
            {"id": advice.id},
        )
    # SQLite hands back dates as text, PostgreSQL as dates: compared as text.
    assert [(*c[:3], str(c[3]), c[4]) for c in claims] == [
        (None, case.id, "deadline-x", "2026-01-05", "<w@x>"),
        (advice.id, None, "due-in-14", "2026-02-02", "<r@x>"),
    ]
    database.engine.dispose()
    store.upgrade(database.url)
    with database.session() as session:
        emails = session.execute(
            select(
                store.OutboxMessage.message_id,
                store.OutboxMessage.reminder_id,
                store.OutboxMessage.advice_request_id,
                store.OutboxMessage.reminder_kind,
                store.OutboxMessage.reminder_on,
            ).order_by(store.OutboxMessage.message_id)
        ).all()
        warnings = session.execute(select(store.ReminderSent.id, store.ReminderSent.kind)).all()
    assert [tuple(e) for e in emails] == [
        ("<r@x>", None, advice.id, "due-in-14", date(2026, 2, 2)),
        ("<w@x>", warning.id, None, None, None),
    ]
    assert [tuple(w) for w in warnings] == [(warning.id, "deadline-x")]
    # The claim's unique key: the same reminder cannot be queued twice.
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(
            store.OutboxMessage(
                kind="advice_reminder", message_id="<again@x>", advice_request_id=advice.id,
                reminder_kind="due-in-14", reminder_on=date(2026, 2, 3), **mail,
            )
        )  # fmt: skip


def _a_case(session) -> store.Case:
    child = store.Child(forename="A", surname="B", date_of_birth=date(2015, 1, 1))
    author = store.Professional(email="a@x.example", name="A", role="Other", organisation_name="O")
    session.add_all([child, author])
    session.flush()
    case = store.Case(
        reference="EHC-2026-000001", child_id=child.id, requested_by_id=author.id,
        request_token="t", stage="REQUEST_RECEIVED", day0=date(2026, 1, 5),
    )  # fmt: skip
    session.add(case)
    session.flush()
    return case
