"""Leader roles on PostgreSQL: of all the processes sharing one database, one runs the IMAP
watcher and one the scheduler, each the process holding that role's session advisory lock.

The others try for the lock every INTAKE_LEADER_RETRY_SECONDS. When the holder dies its database
connection closes, the server frees the lock, and another process takes the role over within
that time (and logs "took over the IMAP watcher"). The keys, the same in every process:

    the IMAP watcher  0x1E4C2E49  ("I")
    the scheduler     0x1E4C2E53  ("S"); the reminder run's own lock is 0x1E4C2E31

Each role holds its lock on a connection of its own, outside any pool: a pooled connection given
back would keep the lock while other work used it, and a pool's silent reconnect would lose it.
The holder checks that connection every second; the moment it fails (the database restarted,
the network dropped), the role's part is stopped, so that it does not run on beside the process
that takes the role over. A process taking a role over from another waits one check's time
before starting the part, so a holder cut off a moment ago has stopped first. Even an overlap
would do no harm: capture is exactly once by transport and message keys, and the reminder run
takes its own lock and claims each reminder by a unique key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

logger = logging.getLogger("intake.leaders")

# How often a holder makes sure its lock connection still stands.
CHECK_SECONDS = 1.0
# libpq: fail a connection attempt, or a check on a connection whose peer has gone silent, in
# seconds rather than the operating system's minutes.
LOCK_CONNECTION_ARGS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,
}

StopPart = Callable[[], None]
StartPart = Callable[[], StopPart]


@dataclass(frozen=True)
class Role:
    """A part of the service that one process of a deployment runs."""

    name: str
    key: int


IMAP_WATCHER = Role("the IMAP watcher", 0x1E_4C_2E_49)
SCHEDULER = Role("the scheduler", 0x1E_4C_2E_53)


def lock_engine(url: str) -> Engine:
    """An engine whose connections are never pooled: closing one really closes it, freeing its
    locks, and none is ever handed to other work."""
    return create_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=LOCK_CONNECTION_ARGS
    )


class LeaderRole:
    """Competes for `role` until stopped; runs the part (`start()` returns its stop) while held."""

    def __init__(self, engine: Engine, role: Role, start: StartPart, retry_seconds: float) -> None:
        self.engine = engine
        self.role = role
        self.start_part = start
        self.retry_seconds = retry_seconds

    def run(self, stop: threading.Event) -> None:
        """Try for the role, hold it while the connection stands, give it up when `stop` is set
        (unlocking at once, so another process need not wait for a retry to notice)."""
        first_try = True
        failing = False
        while not stop.is_set():
            try:
                with self.engine.connect() as connection:
                    failing = False
                    while not stop.is_set():
                        if self._try_lock(connection):
                            self._hold(connection, stop, waited=not first_try)
                            break
                        first_try = False
                        if stop.wait(self.retry_seconds):
                            return
                        connection.execute(text("SELECT 1"))
            except Exception as error:
                # Connection refused or lost: the lock, if we had it, is gone with it.
                report = logger.debug if failing else logger.warning
                report("cannot hold %s: %s", self.role.name, _first_line(error))
                failing = True
            first_try = False
            stop.wait(self.retry_seconds)

    def _try_lock(self, connection: Connection) -> bool:
        statement = text("SELECT pg_try_advisory_lock(:key)")
        return bool(connection.execute(statement, {"key": self.role.key}).scalar_one())

    def _hold(self, connection: Connection, stop: threading.Event, *, waited: bool) -> None:
        if waited and stop.wait(CHECK_SECONDS):
            return
        logger.info("took over %s", self.role.name)
        stop_part = self.start_part()
        try:
            while not stop.wait(CHECK_SECONDS):
                connection.execute(text("SELECT 1"))
        except Exception:
            logger.warning("lost the database connection: gave up %s", self.role.name)
            raise
        finally:
            stop_part()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.role.key})
        logger.info("handed over %s", self.role.name)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def thread_part(name: str, run: Callable[[threading.Event], None]) -> StartPart:
    """A part that is a loop running in a thread of its own until its stop event is set."""

    def start() -> StopPart:
        part_stop = threading.Event()
        thread = threading.Thread(target=run, args=(part_stop,), name=f"intake-{name}", daemon=True)
        thread.start()

        def stop() -> None:
            part_stop.set()
            thread.join(timeout=10)

        return stop

    return start
