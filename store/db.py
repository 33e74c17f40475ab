"""Opening the database (SQLite or PostgreSQL) with the right connection settings, sessions
that commit or roll back as a unit, and upgrading the schema with Alembic from code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Beside the database file while it is open in WAL mode; they hold recent writes in clear.
SQLITE_COMPANION_SUFFIXES = ("-wal", "-shm")
PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True)
class Database:
    """An engine and the sessions made from it. Close it when done to release connections."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed if the block ends normally, else rolled back."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here, the one PostgreSQL driver we install."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def open_database(url: str, **engine_options: Any) -> Database:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        make_sqlite_file_private(url)
        engine = create_engine(url, **engine_options)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, **engine_options)
    # expire_on_commit=False: rows returned from a finished session stay readable.
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def make_sqlite_file_private(url: str) -> None:
    """Create the SQLite file at `url` readable by its owner alone, or narrow an existing one.

    SQLite would create it with 0644 less the umask, world-readable on most systems; it gives
    the -wal and -shm files it creates later the database file's own mode, so this covers them.
    """
    path = _sqlite_file(url)
    if path is None or not path.parent.is_dir():
        return  # in memory, a URI, or a folder that is missing: SQLite reports that itself
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + s) for s in SQLITE_COMPANION_SUFFIXES)):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(PRIVATE_FILE_MODE)
        except FileNotFoundError:
            pass


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:" or parsed.query.get("uri"):
        return None
    return Path(parsed.database)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        # Take transaction control from the sqlite3 module so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode but for power loss
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin_immediate(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
        # another writer got in between; busy_timeout cannot help it. IMMEDIATE waits instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str) -> Config:
    """Alembic's configuration built in code, so no alembic.ini is needed at run time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser would read "%" in a password as interpolation.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema at `url` to `revision` (the latest by default)."""
    command.upgrade(alembic_config(url), revision)
