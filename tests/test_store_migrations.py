"""Migrations on SQLite and PostgreSQL: they reach head, the schema they build is the one the
models describe, and they go down to nothing and back up again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

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
