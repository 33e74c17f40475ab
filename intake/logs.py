"""Logging for every `intake` command, set up once at start from INTAKE_LOG_LEVEL and
INTAKE_LOG_FORMAT: text lines or one JSON object per line on stderr, with the libraries' chatter
turned down so that what remains at INFO is worth reading and carries no one's address."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# aiosmtpd logs each peer and every MAIL FROM and RCPT TO address at INFO.
SMTP_SERVER_LOGGER = "mail.log"
# APScheduler says "Adding job tentatively", "Added job", "Scheduler started" on every start;
# the service's own line already says when the reminders run.
SCHEDULER_LOGGER = "apscheduler"
# uvicorn says "Started server process" and "Uvicorn running on ..." at INFO; the start line
# already names the web listener. Its errors (a port in use) are kept.
WEB_SERVER_LOGGER = "uvicorn.error"
# Alembic names its dialect on every start, whether or not a migration runs; the lines it
# writes when one does ("Running upgrade ...") come from the same logger and are kept.
MIGRATION_LOGGER = "alembic.runtime.migration"
MIGRATION_EVERY_START = ("Context impl ", "Will assume ")

# What every LogRecord carries; anything else on a record was given as `extra=`.
RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, then any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in RECORD_ATTRIBUTES and not name.startswith("_"):
                entry.setdefault(name, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class SkipMigrationPreamble(logging.Filter):
    """Drops Alembic's per-start dialect lines and lets the migration steps through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(MIGRATION_EVERY_START))


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every logger's records at `level` and above to `stream` (stderr) as `log_format`
    ("text" or "json"). Called once at start; a second call replaces the first."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(
        JsonLineFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for previous in list(root.handlers):
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)

    debugging = logging.getLevelName(level) <= logging.DEBUG
    for chatty in (SMTP_SERVER_LOGGER, SCHEDULER_LOGGER, WEB_SERVER_LOGGER):
        logging.getLogger(chatty).setLevel(logging.NOTSET if debugging else logging.WARNING)
    migration = logging.getLogger(MIGRATION_LOGGER)
    for previous in [f for f in migration.filters if isinstance(f, SkipMigrationPreamble)]:
        migration.removeFilter(previous)
    if not debugging:
        migration.addFilter(SkipMigrationPreamble())
