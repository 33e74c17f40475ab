"""The service's parts, opened for one command and closed after it, with the database's own
failures turned into the one line an operator reads: a database that cannot be reached, or one
that does not exist yet where a command only reads, is an exit 1 with a reason, never a
traceback (and never a new, empty database in whatever folder the command was run from).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from intake.errors import CommandFailed
from intake.services import Services, open_services
from intake.settings import Settings
from store import open_database


@contextmanager
def opened(settings: Settings, *, create: bool = False) -> Iterator[Services]:
    """The service's parts for one command. Only a command that may start a new service
    (`create=True`: init, serve, ingest, professional add) makes the database when there is
    none; the others refuse with a pointer to `intake init`."""
    with database_errors(settings.database_url):
        if not create:
            require_database(settings)
        services = open_services(settings)
        try:
            yield services
        finally:
            services.close()


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """CommandFailed, in one line, for a database that cannot be reached; other errors as they
    are (a failed query is a bug and keeps its traceback)."""
    try:
        yield
    except DBAPIError as exc:
        reason = unreachable_reason(url, exc)
        if reason is None:
            raise
        raise CommandFailed(reason) from None


def unreachable_reason(url: str, exc: BaseException) -> str | None:
    """`cannot reach the database at HOST:PORT: WHY` when `exc` says the database could not be
    connected to (no statement had been sent yet) or the connection was lost; else None."""
    if not isinstance(exc, DBAPIError):
        return None
    if exc.statement is not None and not exc.connection_invalidated:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"cannot open the database at {parsed.database}: {why(exc)}"
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return f"cannot reach the database at {where}: {why(exc)}"


def why(exc: BaseException) -> str:
    """The driver's own reason, short: `Connection refused`, not the whole report."""
    # psycopg: `connection failed: connection to server at "h", port 1 failed: Connection refused`
    return one_line(exc).rpartition(" failed: ")[2]


def one_line(exc: BaseException) -> str:
    """The first line of the driver's message (SQLAlchemy adds lines and a link after it)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def require_database(settings: Settings) -> None:
    """CommandFailed unless there is a database to open: for SQLite its file; for a server the
    home folder that `intake init` makes (it holds the raw mail and the token key) and a schema
    that `intake init` made (an empty database on the server is left empty)."""
    url = settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not Path(path).is_file():
            raise CommandFailed(f"no database yet at {path}: run `intake init` first")
        return
    if not Path(settings.home).is_dir():
        raise CommandFailed(
            f"no database yet: INTAKE_HOME {settings.home} does not exist (run `intake init` first)"
        )
    if not has_schema(url):
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"
        raise CommandFailed(f"no database yet at {where}: run `intake init` first")


def has_schema(url: str) -> bool:
    """Whether Alembic has ever migrated the database at `url` (its version table exists)."""
    database = open_database(url)
    try:
        return inspect(database.engine).has_table("alembic_version")
    finally:
        database.close()
