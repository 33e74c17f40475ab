"""Alembic's entry point: runs the migrations in versions/ against the configured database.

There is no alembic.ini; `store.db.alembic_config(url)` builds the configuration. To write a new
migration, compare the models with a database at head:

    .venv/bin/python -c "from alembic import command; from store.db import alembic_config; \\
        command.revision(alembic_config('sqlite:///var/intake.db'), 'what changed', \\
        autogenerate=True)"

then read and correct what it wrote (it cannot see renames, check constraints or data changes).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

import store
from store.db import open_database

LOCK_KEY = 0x1E_4C_1A_7E  # any fixed number, the same in every process

database = open_database(context.config.get_main_option("sqlalchemy.url"))
try:
    with database.engine.connect() as connection:
        if database.dialect == "sqlite":
            # SQLite rebuilds a table to alter it; with foreign keys enforced, dropping the old
            # copy of a table that others point at would fail. Its documented procedure: turn
            # enforcement off outside the transaction, rebuild, then check every key (below).
            # On the driver's connection: through SQLAlchemy it would begin a transaction first
            # (BEGIN IMMEDIATE, see store.db), inside which SQLite ignores this pragma.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=store.Base.metadata,
            # SQLite alters most things only by copying the table: "batch" mode does that.
            render_as_batch=database.dialect == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if database.dialect == "postgresql":
                # Workers starting together: one migrates, the rest wait and then find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            context.run_migrations()
            if database.dialect == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"a migration left broken foreign keys: {broken[:5]}")
finally:
    database.close()
