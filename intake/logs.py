"""Logging for every `intake` command, set up once at start from INTAKE_LOG_LEVEL and
INTAKE_LOG_FORMAT: text lines or one JSON object per line on stderr, with the libraries' chatter
turned down so that what remains at INFO is worth reading and carries no one's address.

With JSON, every line `intake serve` writes is one object, so a log collector never meets a
stray line: the libraries' records (uvicorn, aiosmtpd, APScheduler, Alembic) come through the
same handler, tracebacks sit inside their record (`exception`), an exception no one caught in a
thread or the main program and Python's warnings are logged rather than printed, and the lines
the command itself writes for its supervisor (`say`: serving, stopping, cannot start) are records
too. Only argparse's usage errors (exit 2), written before settings are read, stay text.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
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
    as_json = log_format == "json"
    logging.captureWarnings(False)  # undo a first call's, so that this one takes hold
    logging.captureWarnings(as_json)
    sys.excepthook = log_uncaught if as_json else sys.__excepthook__
    threading.excepthook = log_uncaught_in_thread if as_json else threading.__excepthook__

    migration = logging.getLogger(MIGRATION_LOGGER)
    for previous in [f for f in migration.filters if isinstance(f, SkipMigrationPreamble)]:
        migration.removeFilter(previous)
    if not debugging:
        migration.addFilter(SkipMigrationPreamble())


# The logger of lines the command writes itself, and of exceptions nothing caught.
COMMAND_LOGGER = "intake"


def say(text: str, level: int = logging.INFO) -> None:
    """A line for whoever runs the command (`serving; ...`, `cannot start: ...`) on stderr: as
    text, `intake: TEXT`, whatever the level setting; with JSON logs, one record like any other
    (written whatever the level, as the text line is)."""
    handlers = logging.getLogger().handlers
    json_handlers = [h for h in handlers if isinstance(h.formatter, JsonLineFormatter)]
    if not json_handlers:
        print(f"intake: {text}", file=sys.stderr)
        return
    record = logging.getLogger(COMMAND_LOGGER).makeRecord(
        COMMAND_LOGGER, level, "(command)", 0, text, (), None
    )
    for handler in json_handlers:
        handler.handle(record)


def log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    """sys.excepthook with JSON logs: the traceback inside one record, not printed bare."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger(COMMAND_LOGGER).critical(
        "uncaught exception", exc_info=(kind, error, traceback)
    )


def log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    """threading.excepthook with JSON logs: a thread that died says so in one record."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "unknown"
    logging.getLogger(COMMAND_LOGGER).error(
        "uncaught exception in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
